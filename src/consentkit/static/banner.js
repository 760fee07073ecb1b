/* consentkit banner (docs/banner.md): plain ES2017, no dependency, no build step.
 * Settings come from the server's <script type="application/json" id="consentkit-config">.
 * Catalogue texts only ever enter the DOM as text nodes. */
(() => {
'use strict';
const d = document, w = window, P = 'consentkit-', D = 'data-consentkit-';
if (w.consentkit) return; // loaded twice: the first one rules
let cfg = {};
try {
  cfg = JSON.parse(d.getElementById(P + 'config').textContent) || {};
} catch (e) { /* no config: defaults, banner closed */ }
// URLs the banner fetches or links to are on the page's origin, whatever <base> says.
const own = u => { try { return new URL(u, location.origin).href; } catch (e) { return u; } };
const endpoint = own(cfg.endpoint || '/_consentkit/consent');
// Vendors whose tags are live or have run in this page: denying one later needs a reload.
const ran = new Set(cfg.allowed || []);
const sw = { p: new Map(), v: new Map() }; // purpose / vendor id -> its switch
const views = {};
// consent: the latest known one, undefined until fetched.
let cat, T, consent, root, dialog, err, closer, custom, more, view, opener, busy, loading;

// h('p', {c: 'desc', id: 'x'}, 'text', node, [nodes]): strings become text nodes.
const h = (tag, props, ...kids) => {
  const el = d.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'c') el.className = v.split(' ').map(x => P + x).join(' ');
    else if (k === 'on') el.addEventListener('click', v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
  return el;
};
const btn = (text, on, c = 'btn') => h('button', { type: 'button', c, on }, text);
// Web or site-relative links only: `javascript:` never belongs in a catalogue.
const safe = u => (/^(https?:\/\/|\/)/i.test(u || '') ? own(u) : null);

const api = async (method, body) => {
  const url = method === 'GET' && cfg.lang
    ? endpoint + (endpoint.includes('?') ? '&' : '?') + 'lang=' + encodeURIComponent(cfg.lang)
    : endpoint;
  const r = await fetch(url, {
    method, credentials: 'same-origin', cache: 'no-store',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let j = null;
  try { j = await r.json(); } catch (e) { /* not JSON: reported below */ }
  if (!r.ok || !j) throw new Error(r.status + (j && j.error ? ' ' + j.error : ''));
  return j;
};

// The purposes a consent grants (essential ones always) and the vendors it allows:
// granted, with every one of their purposes granted.
const granted = c => {
  const g = new Set(c ? c.purposes : []);
  for (const p of cat.purposes) if (p.essential) g.add(p.id);
  return g;
};
const allowed = c => {
  const g = granted(c), v = new Set(c ? c.vendors : []);
  return new Set(cat.vendors
    .filter(x => x.essential || (v.has(x.id) && x.purposes.every(p => g.has(p))))
    .map(x => x.id));
};

// One fetch of the catalogue, whoever asks first (the banner, a placeholder).
let fetched;
const load = () => fetched || (fetched = api('GET').then(j => {
  cat = j.catalogue;
  T = cat.texts || {};
  if (consent === undefined) consent = j.consent;
  build();
}, e => { fetched = null; throw e; }));

const build = () => {
  const names = {};
  for (const p of cat.purposes) names[p.id] = p.name;
  let regions;
  try { regions = new Intl.DisplayNames([cat.language], { type: 'region' }); } catch (e) { /* codes */ }
  const country = c => { try { return regions.of(c) || c; } catch (e) { return c; } };
  const actions = (...b) => h('div', { c: 'actions' }, b);
  const pair = (term, value) => value && [h('dt', {}, term), h('dd', {}, value)];
  const save = () => choose({ action: 'custom', purposes: on(sw.p), vendors: on(sw.v) });
  // A vendor's cookies, or the site's own under their purpose: a list that opens.
  const cookies = list => list && list.length > 0 && h('details', { c: 'cookies' },
    h('summary', {}, T.cookies + ' (' + list.length + ')'),
    h('ul', { c: 'list' }, list.map(k => h('li', {},
      h('code', {}, k.name), k.storage && k.storage !== 'cookie' ? ' (' + k.storage + ')' : '',
      k.description && h('p', { c: 'desc' }, k.description),
      h('dl', { c: 'meta' }, pair(T.duration, k.duration))))));

  // A purpose or vendor: its name, a heading that labels its switch, and the switch.
  const item = (kind, it, extra) => {
    const id = P + kind + '-' + it.id;
    const input = h('input', {
      type: 'checkbox', role: 'switch', id, c: 'switch',
      disabled: it.essential, 'aria-describedby': it.essential && id + '-on',
    });
    input.addEventListener('change', () => link(kind, it, input.checked));
    sw[kind].set(it.id, input);
    return h('li', { c: 'item' }, h('div', { c: 'row' },
      h('h4', { c: 'name' }, h('label', { for: id }, it.name)),
      it.essential && h('span', { c: 'on', id: id + '-on' }, T.always_on), input), extra);
  };

  custom = btn(T.customise, () => show('purposes'));
  views.notice = h('div', { c: 'view' },
    h('p', { id: P + 'notice', c: 'text' }, T.notice),
    safe(cat.policy_url) && h('p', {}, h('a', { href: cat.policy_url }, T.policy)),
    actions(btn(T.accept_all, () => choose({ action: 'accept_all' })),
      btn(T.refuse_all, () => choose({ action: 'refuse_all' })), custom));

  more = btn(T.partners, () => show('partners'), 'more');
  views.purposes = h('div', { c: 'view' },
    h('h3', { c: 'h', tabindex: -1 }, T.purposes_title),
    h('ul', { c: 'list' }, cat.purposes.map(p => item('p', p,
      [h('p', { c: 'desc' }, p.description), cookies(p.cookies)]))),
    h('p', {}, more),
    actions(btn(T.back, back), btn(T.save, save)));

  views.partners = h('div', { c: 'view' },
    h('h3', { c: 'h', tabindex: -1 }, T.partners_title),
    h('ul', { c: 'list' }, cat.vendors.map(v => item('v', v, [
      v.description && h('p', { c: 'desc' }, v.description),
      h('dl', { c: 'meta' },
        pair(T.purposes_of_vendor, v.purposes.map(p => names[p] || p).join(', ')),
        pair(T.country, v.country && country(v.country)),
        pair(T.transfer, v.transfer_safeguard
          && ((T.safeguards || {})[v.transfer_safeguard] || v.transfer_safeguard))),
      safe(v.privacy_policy) && h('p', { c: 'desc' },
        h('a', { href: v.privacy_policy, target: '_blank', rel: 'noopener' }, T.privacy_policy)),
      cookies(v.cookies),
    ]))),
    actions(btn(T.back, back), btn(T.save, save)));

  closer = h('button', { type: 'button', c: 'x', 'aria-label': T.close, on: close }, '\u00d7');
  err = h('p', { c: 'error', role: 'alert', hidden: true });
  dialog = h('div', {
    c: 'dialog', role: 'dialog', 'aria-modal': 'true', tabindex: -1,
    'aria-labelledby': P + 'title', 'aria-describedby': P + 'notice',
  }, h('div', { c: 'head' }, h('h2', { id: P + 'title', c: 'title' }, T.title), closer),
  views.notice, views.purposes, views.partners);
  root = h('div', { c: 'root', lang: cat.language, hidden: true }, dialog);
  root.addEventListener('keydown', onKey);
  // Nothing in a <frameset> (a frameset page's body) renders: the dialog goes beside it.
  (d.body && d.body.localName !== 'frameset' ? d.body : d.documentElement).append(root);
};

const on = m => [...m].filter(([, i]) => i.checked && !i.disabled).map(([id]) => id);

// Keep the switches to what the server will allow: a vendor needs all its purposes,
// so a purpose carries its vendors along, and a vendor switched on brings its purposes.
const link = (kind, it, checked) => {
  if (kind === 'v') {
    if (checked) for (const p of it.purposes) if (sw.p.has(p)) sw.p.get(p).checked = true;
    return;
  }
  for (const v of cat.vendors) {
    if (!v.essential && v.purposes.includes(it.id)) {
      sw.v.get(v.id).checked = checked && v.purposes.every(p => sw.p.get(p).checked);
    }
  }
};

const sync = () => {
  const g = granted(consent), ok = allowed(consent);
  sw.p.forEach((i, id) => { i.checked = g.has(id); });
  sw.v.forEach((i, id) => { i.checked = ok.has(id); });
};

const focusables = () => [...dialog.querySelectorAll('a[href],button,input,summary')]
  .filter(x => !x.disabled && x.getClientRects().length > 0);

// Show a view; focus goes to its heading, or to `focus` (the control that led back).
const show = (name, focus) => {
  view = name;
  for (const k in views) views[k].hidden = k !== name;
  views[name].lastChild.prepend(err); // errors show above the view's buttons
  err.hidden = true;
  dialog.scrollTop = 0;
  (focus || views[name].querySelector('h3') || dialog).focus();
};
const back = () => (view === 'partners' ? show('purposes', more) : show('notice', custom));

const open = async (name, from) => {
  if (loading) return;
  loading = true;
  const active = from || d.activeElement;
  try {
    await load();
  } catch (e) {
    console.warn('consentkit: no banner', e);
    // The opener is usually a link to the no-JS settings page: follow it instead.
    if (from && from.href) location.href = from.href;
    return;
  } finally {
    loading = false;
  }
  if (root.hidden) {
    opener = active;
    sync();
  }
  closer.hidden = !consent;
  root.hidden = false;
  show(views[name] ? name : 'notice');
};

const close = () => {
  if (!root || root.hidden) return;
  root.hidden = true;
  const o = opener;
  opener = null;
  if (o && o !== d.body && o.isConnected && o.focus) o.focus();
};

const onKey = e => {
  const t = e.target;
  if (e.key === 'Escape') {
    // Never a choice: it steps back, or closes when a choice is on record.
    e.preventDefault();
    if (view !== 'notice') back();
    else if (consent) close();
  } else if (e.key === 'Enter' && t.getAttribute('role') === 'switch') {
    e.preventDefault(); // Space toggles a checkbox natively; Enter does too here
    t.click();
  } else if (e.key === 'Tab') {
    const f = focusables(), a = d.activeElement, first = f[0], last = f[f.length - 1];
    if (e.shiftKey ? a === first || !f.includes(a) : a === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  }
};

// Focus stays in the open dialog, whatever tried to move it out.
d.addEventListener('focusin', e => {
  if (root && !root.hidden && !root.contains(e.target)) (focusables()[0] || dialog).focus();
});

const fail = e => {
  console.warn('consentkit:', e);
  if (!err) return;
  err.textContent = (T.error || '\u26a0') + ' (' + ((e && e.message) || e) + ')';
  err.hidden = false;
};

const choose = async body => {
  if (busy) return;
  busy = true;
  dialog.setAttribute('aria-busy', 'true');
  try {
    await apply((await api(body ? 'POST' : 'DELETE', body)).consent);
  } catch (e) {
    fail(e);
  } finally {
    busy = false;
    dialog.removeAttribute('aria-busy');
  }
};

const apply = async c => {
  consent = c;
  const ok = allowed(c), cm = cfg.consentMode;
  if (cm) {
    // Consent Mode v2: a signal is granted iff it has purposes and all are granted.
    const g = granted(c), s = cm.signals || {}, state = {};
    for (const k of Object.keys(Object.assign({}, cm.state, s))) {
      state[k] = s[k] && s[k].length && s[k].every(p => g.has(p)) ? 'granted' : 'denied';
    }
    w.dataLayer = w.dataLayer || [];
    if (typeof w.gtag !== 'function') w.gtag = function () { w.dataLayer.push(arguments); };
    w.gtag('consent', 'update', state);
  }
  // Code that already ran can only be stopped by a fresh page.
  const reload = [...ran].some(v => !ok.has(v));
  if (!reload) {
    await activate(ok);
    close();
  }
  d.dispatchEvent(new CustomEvent('consentkit:change', { detail: c }));
  if (reload) location.reload();
};

// Bring back the tags of allowed vendors in document order (docs/banner.md): event
// handlers first, then srcdoc, then URLs, so a handler is set before the load it awaits.
const SVG = 'http://www.w3.org/2000/svg';
const URLS = ['srcdoc', 'srcset', 'imagesrcset', 'src', 'poster', 'data', 'href', 'xlink-href',
  'background', 'ping'].map(n => D + n);
const moved = el => [...el.getAttributeNames().filter(n => /^data-consentkit-on[a-z]+$/.test(n)),
  ...URLS.filter(n => el.hasAttribute(n))];
// Moves `n` back to its own name (xlink-href is xlink:href) on `to`.
const restore = (el, n, to = el) => {
  const a = n.slice(D.length), v = el.getAttribute(n);
  el.removeAttribute(n);
  if (a === 'xlink-href') to.setAttributeNS('http://www.w3.org/1999/xlink', 'xlink:href', v);
  else to.setAttribute(a, v);
};

const activate = async (ok, doc = d) => {
  for (const el of doc.querySelectorAll('[' + D + 'vendor]')) {
    // Space-separated vendors: back only when every one is allowed.
    const vs = vendorsOf(el);
    if (!vs.length || !vs.every(v => ok.has(v)) || !el.isConnected) continue;
    unhold(el);
    const names = moved(el);
    if (el.localName === 'script') {
      await rerun(el, vs, names, el.namespaceURI === SVG);
      continue;
    }
    if (!names.length) continue;
    vs.forEach(v => ran.add(v));
    for (const n of names) restore(el, n);
    // Media don't look at their <source>s again by themselves; the rest loads when set.
    const m = el.localName === 'source' && el.parentElement;
    if (m && m.load) m.load();
  }
  // srcdoc documents are this origin's (null when sandboxed): their marked tags too.
  for (const f of doc.querySelectorAll('iframe[srcdoc]')) {
    const inner = f.contentDocument;
    if (inner && inner !== doc) await activate(ok, inner);
  }
};

const vendorsOf = el => el.getAttribute(D + 'vendor').split(/\s+/).filter(Boolean);

// A blocked frame gets, in its place, what is blocked and a button that accepts its
// vendors (with their purposes) on top of the visitor's choice (docs/banner.md).
const held = new Map(); // frame -> [its placeholder, its display before]
const hold = async () => {
  const frames = [...d.querySelectorAll('iframe[' + D + 'vendor]')]
    .filter(f => moved(f).length);
  if (!frames.length) return;
  try { await load(); } catch (e) { return console.warn('consentkit: no placeholder', e); }
  const names = new Map(cat.vendors.map(v => [v.id, v.name]));
  for (const f of frames) {
    if (held.has(f) || !moved(f).length) continue;
    const vs = vendorsOf(f), who = vs.map(v => names.get(v) || v).join(', ');
    const say = k => (T[k] || '').replace('{vendor}', who);
    const box = h('div', { c: 'placeholder', role: 'group', 'aria-label': say('blocked') },
      h('p', {}, say('blocked')), btn(say('allow_vendor'), () => allow(vs)));
    const wd = f.getAttribute('width'), ht = f.getAttribute('height');
    if (/^\d+$/.test(wd || '')) box.style.width = wd + 'px';
    if (/^\d+$/.test(ht || '')) box.style.minHeight = ht + 'px';
    held.set(f, [box, f.style.display]);
    f.style.display = 'none';
    f.before(box);
  }
};
const unhold = el => {
  const [box, display] = held.get(el) || [];
  if (!box) return;
  held.delete(el);
  box.remove();
  el.style.display = display;
};
const allow = vs => {
  const g = granted(consent), ok = allowed(consent);
  for (const x of cat.vendors) if (vs.includes(x.id)) x.purposes.forEach(p => g.add(p));
  vs.forEach(v => ok.add(v));
  choose({ action: 'custom', purposes: [...g], vendors: [...ok] });
};

// A browser never runs a script whose type changed after insertion: make a new HTML or
// SVG one, with the same attributes and nonce and the moved ones back.
const rerun = async (el, vs, names, svg) => {
  const url = names.find(n => /-(src|href)$/.test(n)), type = el.getAttribute(D + 'type');
  if (!url && (el.getAttribute('type') || '').toLowerCase() !== 'text/plain') return;
  const doc = el.ownerDocument;
  const s = svg ? doc.createElementNS(SVG, 'script') : doc.createElement('script');
  for (const a of el.attributes) {
    if (/^(type|nonce|data-consentkit-type)$/.test(a.name) || names.includes(a.name)) continue;
    s.setAttributeNS(a.namespaceURI, a.name, a.value);
  }
  if (type) s.setAttribute('type', type);
  if (el.nonce) s.nonce = el.nonce; // the attribute reads empty once parsed
  vs.forEach(v => ran.add(v));
  const wait = url && !el.hasAttribute('async') && (!type || /script|module/i.test(type));
  if (wait && !svg) s.async = false;
  for (const n of names) restore(el, n, s);
  if (!url) s.textContent = el.textContent; // inline: runs on insertion
  // A blocking script: what follows (inline code using it) waits, as when parsing.
  if (wait) await new Promise(done => {
    s.addEventListener('load', done);
    s.addEventListener('error', done);
    el.replaceWith(s);
  });
  else el.replaceWith(s);
};

d.addEventListener('click', e => {
  const t = e.target.closest && e.target.closest('[' + D + 'open]');
  if (!t || e.defaultPrevented || e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  open(t.getAttribute(D + 'open'), t);
});

w.consentkit = {
  open: name => open(name),
  close,
  withdraw: () => load().then(() => choose(null), fail),
  get consent() { return consent; },
};
if (cfg.show) open();
hold();
})();
