/* consentkit: the IAB TCF CMP API v2.2, window.__tcfapi (docs/tcf.md). Plain ES2017, no
 * dependency. Loaded synchronously first in <head>, so it is the stub and the CMP at once.
 * The TC string comes from the cookie the server sets with each choice; the banner
 * (banner.js) tells when it opens (its root loses `hidden`) and when a choice is made
 * (`consentkit:change`). */
(() => {
'use strict';
const w = window, d = document, API = '__tcfapi', LOCATOR = API + 'Locator';
const prev = w[API];
if (prev && prev.consentkit) return; // loaded twice: the first one answers
let page = {};
try {
  page = JSON.parse(d.getElementById('consentkit-config').textContent) || {};
} catch (e) { /* no config: defaults */ }
const cfg = page.tcf || {}, applies = cfg.gdprApplies !== false, name = cfg.cookie || 'euconsent-v2';
const listeners = new Map();
let next = 0, tc = '', model = null, status, visible = false, root;

// The core segment (and a PublisherTC segment) of a TC string, as TCData fields.
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const decode = s => {
  let b, p, total = 0;
  const start = seg => {
    b = [...seg].map(c => {
      const i = B64.indexOf(c);
      if (i < 0) throw Error('not base64url');
      return i.toString(2).padStart(6, '0');
    }).join('');
    p = 0;
  };
  const int = n => {
    if (p + n > b.length) throw Error('truncated');
    return parseInt(b.slice(p, p += n), 2);
  };
  const flags = (n, o = {}) => { for (let i = 1; i <= n; i++) o[i] = int(1) === 1; return o; };
  // Range entries: ids (single or first-last) set to v; bounded, as a string may claim millions.
  const ranges = (o, v) => {
    for (let n = int(12); n--;) {
      const range = int(1), a = int(16), z = range ? int(16) : a;
      if ((total += z - a + 1) > 262144 || !a) throw Error('bad range');
      for (let i = a; i <= z; i++) o[i] = v;
    }
    return o;
  };
  const vendors = () => { const max = int(16); return int(1) ? ranges({}, true) : flags(max); };
  const segs = s.split('.');
  start(segs[0]);
  if (int(6) !== 2) throw Error('not a TCF v2 string');
  p = 132; // Created, LastUpdated, CmpId, CmpVersion, ConsentScreen, ConsentLanguage, VendorListVersion
  const t = {
    tcfPolicyVersion: int(6), isServiceSpecific: !!int(1), useNonStandardTexts: !!int(1),
    specialFeatureOptins: flags(12), purpose: { consents: flags(24), legitimateInterests: flags(24) },
    purposeOneTreatment: !!int(1), publisherCC: String.fromCharCode(65 + int(6), 65 + int(6)),
  };
  t.useNonStandardStacks = t.useNonStandardTexts; // its TCF 2.0 name
  p = 120;
  t.gvlVersion = int(12);
  p = 213;
  t.vendor = { consents: vendors(), legitimateInterests: vendors() };
  const pub = t.publisher = { consents: {}, legitimateInterests: {},
    customPurpose: { consents: {}, legitimateInterests: {} }, restrictions: {} };
  for (let n = int(12); n--;) {
    const purpose = int(6), type = int(2);
    ranges(pub.restrictions[purpose] = pub.restrictions[purpose] || {}, type);
  }
  for (const seg of segs.slice(1)) {
    start(seg);
    if (int(3) !== 3) continue; // DisclosedVendors, AllowedVendors: not part of TCData
    flags(24, pub.consents);
    flags(24, pub.legitimateInterests);
    const n = int(6);
    flags(n, pub.customPurpose.consents);
    flags(n, pub.customPurpose.legitimateInterests);
  }
  return t;
};

// The TC string on record: none before a choice, nor while the banner asks again.
const load = ignoreShow => {
  const c = ('; ' + d.cookie).split('; ' + name + '=')[1], s = c ? c.split(';')[0] : '';
  try {
    model = s && (ignoreShow || !page.show) ? decode(s) : null;
  } catch (e) {
    console.warn('consentkit: unreadable ' + name, e);
    model = null;
  }
  tc = model ? s : '';
};

const data = listenerId => {
  const base = {
    tcString: tc, tcfPolicyVersion: model ? model.tcfPolicyVersion : cfg.tcfPolicyVersion,
    cmpId: cfg.cmpId, cmpVersion: cfg.cmpVersion, gdprApplies: applies, listenerId,
  };
  if (!applies) return base;
  const empty = { consents: {}, legitimateInterests: {} };
  // A copy per callback: one caller changing its object changes no one else's.
  return Object.assign(JSON.parse(JSON.stringify(model || {
    isServiceSpecific: true, useNonStandardTexts: false, useNonStandardStacks: false,
    purposeOneTreatment: false, specialFeatureOptins: {}, purpose: empty, vendor: empty,
    publisher: Object.assign({ customPurpose: empty, restrictions: {} }, empty),
  })), base, { eventStatus: status, cmpStatus: 'loaded' });
};

const call = (cb, ...args) => {
  try {
    cb(...args);
  } catch (e) {
    setTimeout(() => { throw e; }); // reported as the page's error, without stopping the others
  }
};
const emit = s => {
  status = s;
  for (const [id, cb] of listeners) call(cb, data(id), true);
};

const api = (command, version, cb, parameter) => {
  if (typeof cb !== 'function') return;
  if (command === 'ping') {
    return call(cb, {
      gdprApplies: applies, cmpLoaded: true, cmpStatus: 'loaded',
      displayStatus: !applies ? 'disabled' : visible ? 'visible' : 'hidden',
      apiVersion: '2.2', cmpVersion: cfg.cmpVersion, cmpId: cfg.cmpId,
      gvlVersion: model ? model.gvlVersion : cfg.gvlVersion, tcfPolicyVersion: data().tcfPolicyVersion,
    }, true);
  }
  // Version 0, null or undefined: the latest, 2. Version 1 and future ones: not here.
  if (version && version !== 2) return call(cb, null, false);
  if (command === 'addEventListener') {
    listeners.set(++next, cb);
    return call(cb, data(next), true);
  }
  if (command === 'removeEventListener') return call(cb, listeners.delete(parameter));
  // Deprecated since 2.2, still asked by older vendors' code: the current TCData.
  if (command === 'getTCData') return call(cb, data(), true);
  call(cb, null, false);
};
api.consentkit = true;
w[API] = api;

load();
if (tc) status = 'tcloaded';

// Calls queued by a stub loaded earlier: the IAB's returns its queue when called bare.
let queued = [];
try {
  queued = (typeof prev === 'function' && prev()) || [];
} catch (e) { /* not a queuing stub */ }
for (const args of [].concat(Array.isArray(queued) ? queued : [], w[API + 'Queue'] || [])) {
  api(...args);
}
w[API + 'Queue'] = [];

// Nested frames find the CMP by this frame's name, and ask it by postMessage.
w.addEventListener('message', e => {
  let m = e.data;
  try {
    if (typeof m === 'string') m = JSON.parse(m);
  } catch (x) { return; }
  const c = m && m[API + 'Call'], src = e.source;
  if (!c || !src) return;
  api(c.command, c.version, (returnValue, success) => {
    const r = { [API + 'Return']: { returnValue, success, callId: c.callId } };
    src.postMessage(typeof e.data === 'string' ? JSON.stringify(r) : r, '*');
  }, c.parameter);
});

// The banner opening (again): its root, appended to the body, loses `hidden`.
const watch = () => {
  if (!root) {
    root = d.querySelector('body > .consentkit-root');
    if (!root) return;
    mo.disconnect();
    mo.observe(root, { attributes: true, attributeFilter: ['hidden'] });
  }
  const was = visible;
  visible = !root.hidden;
  if (visible && !was) emit('cmpuishown');
};
const mo = new MutationObserver(watch);

const body = () => {
  if (!d.body) return setTimeout(body, 5);
  if (!w.frames[LOCATOR]) {
    const f = d.createElement('iframe');
    f.name = LOCATOR;
    f.hidden = true;
    f.tabIndex = -1;
    f.setAttribute('aria-hidden', 'true');
    d.body.append(f);
  }
  mo.observe(d.body, { childList: true });
  watch();
};
body();

d.addEventListener('consentkit:change', () => {
  visible = !!root && !root.hidden;
  load(true);
  emit('useractioncomplete');
});
})();
