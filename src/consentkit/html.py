"""Neutralise the tags of vendors a visitor has not consented to, streaming, on bytes.

The middleware must pass most of a page through close to copy speed and may never hold a
whole body, so nothing here builds a tree or decodes the document. Wherever tokenising
decides meaning, it follows the WHATWG tokeniser: tags, quoted attribute values, comments
and the raw-text elements (``script``, ``style``, ``textarea``, ``title``, ``xmp``,
``iframe``, ``noembed``, ``noframes``, ``plaintext``). Only the start tags of elements that
load something are ever rewritten: ``script``, ``iframe``, ``img``, ``link``, ``video``,
``audio``, ``source`` (in ``picture`` too), ``embed`` and ``object``.

Speed comes from not tokenising what cannot change. A rewriter works out once what its
consent decision makes worth looking for. Each buffer is lower-cased once and searched in
C for *events*: raw-text and comment openers, whose content must be skipped, and hits of
*probes*. A probe is ``data-consentkit-vendor``, a literal that any URL of a *denied*
vendor must contain (taken from its patterns), or a character reference that could spell
part of one. Host probes start at the host's first dot (``.google-analytics.com``), so one
regex anchored on ``.`` finds them all. A tag with no probe inside can't change, unless it
is an inline script whose body holds a denied vendor's marker, so it is never parsed. At
an event, the tokeniser state is re-established locally: text resumes after the last ``>``
that provably isn't inside a quoted value. When that can't be shown cheaply, the region is
tokenised exactly. Either way the output is the exact tokeniser's, however the input is
chunked. A buffer with no event that could change anything isn't tokenised at all when it
ends the body; when it starts the body, it is passed on at once and tokenised only if
another chunk follows. Decisions on tags are remembered per rewriter, as pages repeat the
same few vendor tags, and so are whole pages (and streams' first chunks) that come again.

Bounds: a stream holds back at most an unfinished tag (:data:`MAX_TAG_BYTES`), or an
inline script start tag plus :data:`MAX_SCRIPT_LOOKAHEAD` bytes of its body; it may also
keep the first chunk, already passed on, until the next one. A "tag" longer than the
bound is text, as if its ``<`` were ``&lt;``. A script whose body is longer than the
look-ahead is judged on its first :data:`MAX_SCRIPT_LOOKAHEAD` bytes only.

Two choices go beyond the letter of the conventions, both failing closed: a tag marked
with a denied vendor that still has a live loading attribute (``src``, ``href``,
``srcset``...) or runs as JavaScript is neutralised rather than left as is, and a script is
judged on its body when *any* denied vendor's marker is in it, even if an allowed vendor's
marker is too. Scripts of a non-JavaScript type are never touched, with or without
``src``: they can't run.

Not modelled: tree construction. In ``<svg>``/``<math>`` a ``<style>`` or ``<title>`` is
still taken as raw text, and ``<!--`` inside a script does not enter the "escaped" states.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.entities import html5

from consentkit.exceptions import ConfigurationError

__all__ = [
    "MAX_SCRIPT_LOOKAHEAD",
    "MAX_TAG_BYTES",
    "HtmlRewriter",
    "HtmlStream",
    "VendorDetector",
    "VendorSignature",
]

#: Longest tag, end tag or bogus comment recognised as one, and so the most held back for
#: a tag cut by a chunk boundary; a longer one passes through as text.
MAX_TAG_BYTES = 16 * 1024
#: How much of an inline script's body is searched for vendor markers.
MAX_SCRIPT_LOOKAHEAD = 64 * 1024

_SPACE = frozenset(b"\t\n\f\r ")
_ATTR = (
    rb"([^\t\n\f\r />][^\t\n\f\r /=>]*+)(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"
    rb"(\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >\"'][^\t\n\f\r >]*+|(?=>))|(?![\t\n\f\r ]*+=))"
)
_ATTRS = re.compile(rb"[\t\n\f\r /]*+" + _ATTR)
# One token at a "<": comment opener, start or end tag, or bogus comment. Possessive
# quantifiers keep it deterministic, so a failed match always means "not finished yet".
_TOKEN = re.compile(
    rb"<(?:(!--)|/?([A-Za-z][^\t\n\f\r />]*+)(?:[\t\n\f\r /]++|"
    + _ATTR
    + rb")*+>|(?:!|\?|/(?![A-Za-z]))[^>]*+>)"
)
_MARKUP_START = re.compile(rb"<[A-Za-z/!?]")
_HOLD_START = re.compile(rb"<(?:[A-Za-z/!?]|\Z)")
_COMMENT_END = re.compile(rb"--!?>")
_RAW_NAMES = (b"script", b"style", b"title", b"textarea", b"xmp", b"iframe", b"noembed")
_RAW_END = {n: re.compile(rb"</" + n + rb"[\t\n\f\r />]") for n in (*_RAW_NAMES, b"noframes")}
# Factored by first letter: these searches visit every "<" of the page.
_OPENER_NAMES = rb"s(?:cript|tyle)|t(?:itle|extarea)|xmp|iframe|no(?:embed|frames)|plaintext"
_OPENERS = re.compile(rb"<(?:!--|(?:" + _OPENER_NAMES + rb")[\t\n\f\r />])")
# The attributes that make each rewritable tag load something.
_MOVED = {
    b"script": (b"src",),
    b"iframe": (b"src",),
    b"img": (b"src", b"srcset"),
    b"link": (b"href", b"imagesrcset"),
    b"video": (b"src", b"poster"),
    b"audio": (b"src",),
    b"source": (b"src", b"srcset"),
    b"embed": (b"src",),
    b"object": (b"data",),
}
_OPENERS_AND_TAGS = re.compile(
    rb"<(?:!--|(?:" + _OPENER_NAMES + rb"|img|link|video|audio|source|embed|object)[\t\n\f\r />])"
)
_VENDOR_ATTR = b"data-consentkit-vendor"
# The HTML standard's JavaScript MIME types, plus "module" and the empty (default) type.
_JS_TYPES = frozenset(
    [
        "module",
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    ]
) | {""}
_CHARREF = re.compile(r"&(?:#([xX][0-9a-fA-F]+|[0-9]+);?|([A-Za-z][A-Za-z0-9]*)(;?))")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PATTERN_SCHEME = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*|\*):(?=//)")
_SPECIAL_SCHEMES = frozenset(["http", "https", "ws", "wss", "ftp"])
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SRCSET_SPLIT = re.compile(r"[\t\n\f\r ,]+")
_MIN_PROBE = 3
# How many consent decisions a detector remembers, and how many decisions on tags (of at
# most _CACHED_TAG bytes) a rewriter does.
_PLAN_CACHE = 256
_TAG_CACHE = 128
_CACHED_TAG = 512
# Pages remembered per detector (whole bodies, and streams' first chunks): each at most
# _MEMO_PAGE bytes, all of them (in and out) at most _MEMO_BYTES, and only once a page has
# been seen twice (of the last _MEMO_DOORKEEPER seen), so pages that differ on every
# request don't evict the others.
_MEMO_PAGE = 64 * 1024
_MEMO_BYTES = 4 * 1024 * 1024
_MEMO_DOORKEEPER = 4096
_serials = itertools.count()
_DATA, _COMMENT, _RAW, _PLAINTEXT = range(4)

_Attr = tuple[bytes, int, int, int, bytes | None]  # name, start, name end, end, value


@dataclass(frozen=True, slots=True)
class VendorSignature:
    """How one vendor shows up in a page.

    ``url_patterns`` are globs (``*`` any run of characters, ``?`` one character) matched
    against a URL stripped of its scheme and leading ``//``, with the host lower-cased and
    ``/`` appended when there is no path: ``https://www.google-analytics.com`` is seen as
    ``www.google-analytics.com/``. A pattern may carry a scheme; it is normalised alike.
    ``inline_markers`` are case-sensitive substrings of an inline script's text.
    """

    vendor: str
    url_patterns: tuple[str, ...]
    inline_markers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What streams look for in each buffer under one consent decision."""

    denied: frozenset[str]
    #: False when some denied pattern has no usable probe: every rewritable tag is parsed.
    probing: bool
    literals: tuple[bytes, ...]  # probes found with bytes.find
    patterns: tuple[re.Pattern[bytes], ...]  # probes found with a regex
    openers: re.Pattern[bytes]
    markers: tuple[tuple[str, tuple[bytes, ...]], ...]  # the denied vendors' inline markers

    def hits(self, low: bytes) -> list[int]:
        """Where probes start in a lower-cased buffer, in order."""
        hits = []
        for pattern in self.patterns:
            m = pattern.search(low)
            while m:
                hits.append(m.start())
                m = pattern.search(low, m.end())
        for probe in self.literals:
            i = low.find(probe)
            while i >= 0:
                hits.append(i)
                i = low.find(probe, i + 1)
        if len(hits) > 1:
            hits.sort()
        return hits


class VendorDetector:
    """Recognises vendors by URL and inline script; built once, shared by all requests.

    The first signature that matches wins, in the order given. Everything is compiled
    here, so per-request work is only matching.
    """

    __slots__ = (
        "_inline",
        "_markers",
        "_memo",
        "_plans",
        "_probes",
        "_url_re",
        "_url_vendors",
        "_vendors",
    )

    def __init__(self, signatures: Iterable[VendorSignature]) -> None:
        sigs = tuple(signatures)
        alternatives: list[str] = []
        vendors: list[str] = []
        probes: dict[str, list[str]] = {}
        for sig in sigs:
            if "" in sig.url_patterns or "" in sig.inline_markers:
                raise ConfigurationError(f"vendor {sig.vendor!r}: empty URL pattern or marker")
            patterns = [_normalise_pattern(p) for p in sig.url_patterns]
            if patterns:
                alternatives.append(f"(?P<v{len(vendors)}>{'|'.join(map(_glob, patterns))})")
                vendors.append(sig.vendor)
            probes.setdefault(sig.vendor, []).extend(map(_probe, patterns))
        self._url_re = re.compile("(?s)" + "|".join(alternatives)) if alternatives else None
        self._url_vendors = tuple(vendors)
        self._inline = tuple((s.vendor, s.inline_markers) for s in sigs if s.inline_markers)
        self._markers = tuple(
            (v, tuple(m.encode("utf-8", "surrogatepass") for m in ms)) for v, ms in self._inline
        )
        self._vendors = tuple(probes)
        self._probes = probes
        self._plans: dict[frozenset[str], _Plan] = {}
        self._memo = _PageMemo()

    def vendor_for_url(self, url: str) -> str | None:
        """Return the vendor whose pattern matches ``url``; relative URLs never match."""
        key = _normalise_url(url)
        match = self._url_re.fullmatch(key) if key is not None and self._url_re else None
        return self._url_vendors[int(match.lastgroup[1:])] if match and match.lastgroup else None

    def vendor_for_inline(self, script_text: str) -> str | None:
        """Return the first vendor with a marker in ``script_text``."""
        return next((v for v, ms in self._inline if any(m in script_text for m in ms)), None)

    def _plan(self, denied: frozenset[str]) -> _Plan:
        """The plan for rewriters denying ``denied``; there are few such sets."""
        plan = self._plans.get(denied)
        if plan is None:
            if len(self._plans) >= _PLAN_CACHE:
                self._plans.clear()
            plan = self._plans[denied] = self._make_plan(denied)
        return plan

    def _make_plan(self, denied: frozenset[str]) -> _Plan:
        markers = tuple((v, ms) for v, ms in self._markers if v in denied)
        runs = sorted(
            {r for v in denied for r in self._probes.get(v, ())}, key=lambda r: (len(r), r)
        )
        if not all(len(r) >= _MIN_PROBE and r.isascii() for r in runs):
            return _Plan(denied, False, (), (), _OPENERS_AND_TAGS, markers)
        # A run that contains a shorter one adds nothing: the shorter one finds it too.
        kept = [r for i, r in enumerate(runs) if not any(k in r for k in runs[:i])]
        literals = [_VENDOR_ATTR] + [r.encode() for r in kept if not r.startswith(".")]
        hosts = [re.escape(r[1:].encode()) for r in kept if r.startswith(".")]
        patterns = [re.compile(rb"\.(?:" + b"|".join(hosts) + rb")")] if hosts else []
        if kept:
            patterns.append(_references_to(set("".join(kept))))
        return _Plan(denied, True, tuple(literals), tuple(patterns), _OPENERS, markers)


# Where a stream stands after a chunk: held bytes, how many of them were passed on
# already, whether they pass through as they are, the tokeniser's mode and raw-text name.
_State = tuple[bytes, int, bool, int, bytes]


class _PageMemo:
    """Pages rewritten lately, and what they became.

    Sites serve the same page to every visitor without a session, over and over; a
    rewrite is a pure function of the rewriter and the bytes, so it is done once. Hashing
    a body costs a tenth of rewriting it, and that is all a body seen once costs. Whole
    bodies are remembered with their output; the first chunks of streams with what the
    stream passed on and the state it was left in, as more chunks may follow.
    """

    __slots__ = ("_lock", "_pages", "_seen", "_size")

    def __init__(self) -> None:
        self._pages: dict[tuple[int, bytes], tuple[bytes, _State | None, int]] = {}
        self._seen: set[int] = set()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, bytes]) -> tuple[bytes, _State | None, int] | None:
        return self._pages.get(key)

    def put(self, key: tuple[int, bytes], out: bytes, state: _State | None = None) -> None:
        digest = hash(key)
        if digest not in self._seen:
            if len(self._seen) >= _MEMO_DOORKEEPER:
                self._seen.clear()
            self._seen.add(digest)
            return
        page = key[1]
        held = state[0] if state is not None else page
        size = len(page) + (0 if out is page else len(out)) + (0 if held is page else len(held))
        with self._lock:
            pages = self._pages
            if key in pages:
                return
            # Oldest first: dicts keep insertion order.
            while pages and self._size + size > _MEMO_BYTES:
                self._size -= pages.pop(next(iter(pages)))[2]
            pages[key] = (out, state, size)
            self._size += size


class HtmlRewriter:
    """Applies one consent decision to HTML; built once per decision, safe to share.

    Tags of denied vendors are neutralised in place (the attributes that load something,
    ``src``, ``href``, ``srcset``, ``poster``, ``data``..., and a script's ``type`` move to
    ``data-consentkit-*``, scripts get ``type="text/plain"``,
    and ``data-consentkit-vendor`` names the vendor). Tags so marked, by us or by the
    page's authors, are activated again when their vendor is allowed.

    :param allowed: says whether a vendor id may load. It is asked about each vendor the
        detector knows when the rewriter is built, and about any other id a marked tag
        names when the tag is first seen; it must return false for ids it doesn't know,
        so unknown vendors stay blocked.
    """

    __slots__ = ("_allowed", "_decided", "_detector", "_plan", "_serial")

    def __init__(self, detector: VendorDetector, allowed: Callable[[str], bool]) -> None:
        self._detector = detector
        self._allowed = allowed
        self._plan = detector._plan(frozenset(v for v in detector._vendors if not allowed(v)))
        self._decided: dict[tuple[bytes, str | None], bytes | None] = {}
        self._serial = next(_serials)  # names this rewriter in its detector's memo

    def stream(self) -> HtmlStream:
        """Start rewriting one response body."""
        return HtmlStream._of(self)

    def rewrite(self, html: bytes) -> bytes:
        """Rewrite a whole document; the same bytes as a stream fed it in any chunks.

        Documents of up to 64 KiB that come again are answered from memory.
        """
        html = bytes(html)
        if len(html) > _MEMO_PAGE:
            return HtmlStream._of(self)._run(html, final=True)
        key = (self._serial, html)
        memo = self._detector._memo
        known = memo.get(key)
        if known is not None:
            return known[0]
        out = HtmlStream._of(self)._run(html, final=True)
        memo.put(key, out)
        return out

    def _decide(self, tag: bytes, name: bytes, vendor: str | None) -> bytes | None:
        """The tag rewritten, or None to leave it.

        It is decided on its attributes alone, or, when ``vendor`` is the denied vendor
        whose marker is in an inline script's body, on that too. As decisions depend on the
        tag's bytes only, and pages repeat the same few vendor tags, they are remembered.
        """
        key = (tag, vendor)
        try:
            return self._decided[key]
        except KeyError:
            pass
        attrs, first = _parse_attrs(tag, len(name) + 1)
        if vendor is None:
            new = self._by_attributes(tag, name, attrs, first)
        else:
            new = _neutralise(tag, name, attrs, first, vendor) if _needs_body(first) else None
        if len(tag) <= _CACHED_TAG:
            if len(self._decided) >= _TAG_CACHE:
                self._decided.clear()
            self._decided[key] = new
        return new

    def _by_attributes(
        self, tag: bytes, name: bytes, attrs: list[_Attr], first: dict[bytes, _Attr]
    ) -> bytes | None:
        """Activate a marked tag whose vendor is allowed, neutralise a denied vendor's."""
        mark = first.get(_VENDOR_ATTR)
        if mark is not None:
            marked = _unescape(mark[4] or b"")
            if marked and self._allowed(marked):
                return _activate(tag, name, attrs, first)
            return _neutralise(tag, name, attrs, first, None)
        if name == b"script" and not _is_js(first.get(b"type")):
            return None
        for attr in _MOVED[name]:
            value = first.get(attr)
            if value is None or not value[4]:
                continue
            url = _unescape(value[4])
            for part in _SRCSET_SPLIT.split(url) if attr.endswith(b"srcset") else (url,):
                vendor = self._detector.vendor_for_url(part)
                if vendor is not None and vendor in self._plan.denied:
                    return _neutralise(tag, name, attrs, first, vendor)
        return None


class HtmlStream:
    """Rewrites one body chunk by chunk, holding back only what it can't decide yet.

    Streams come from :meth:`HtmlRewriter.stream`; one made from a detector and an
    ``allowed`` callable builds its own rewriter.
    """

    __slots__ = ("_fresh", "_held", "_inert", "_mode", "_plan", "_raw", "_rewriter", "_sent")

    def __init__(self, detector: VendorDetector, allowed: Callable[[str], bool]) -> None:
        self._start(HtmlRewriter(detector, allowed))

    @classmethod
    def _of(cls, rewriter: HtmlRewriter) -> HtmlStream:
        stream = cls.__new__(cls)
        stream._start(rewriter)
        return stream

    def _start(self, rewriter: HtmlRewriter) -> None:
        self._rewriter = rewriter
        self._plan = rewriter._plan
        self._fresh = True  # nothing fed yet
        self._held = b""  # what is run again with the next chunk,
        self._sent = 0  # of which this many bytes are passed on already,
        self._inert = False  # and whether all of it would pass through as it is
        self._mode = _DATA
        self._raw = b""

    def feed(self, chunk: bytes) -> bytes:
        """Take the next chunk; return the bytes that are final now."""
        if not chunk:
            return b""
        if self._fresh and len(chunk) <= _MEMO_PAGE:
            return self._first(bytes(chunk))
        buf, self._held = (self._held + chunk if self._held else bytes(chunk)), b""
        sent, self._sent, self._inert = self._sent, 0, False
        out = self._run(buf, final=False, lazy=self._fresh)
        self._fresh = False
        if len(out) < sent:  # all of it was passed on already
            self._sent = sent - len(out)
            return b""
        return out[sent:]

    def _first(self, chunk: bytes) -> bytes:
        """The first chunk, answered from the page memo when it came before."""
        self._fresh = False
        rewriter = self._rewriter
        key = (~rewriter._serial, chunk)  # apart from rewrite()'s whole pages
        memo = rewriter._detector._memo
        known = memo.get(key)
        if known is not None and (state := known[1]) is not None:
            self._held, self._sent, self._inert, self._mode, self._raw = state
            return known[0]
        out = self._run(chunk, final=False, lazy=True)
        memo.put(key, out, (self._held, self._sent, self._inert, self._mode, self._raw))
        return out

    def finish(self, chunk: bytes) -> bytes:
        """Take the body's last chunk and end it: ``feed(chunk) + close()``, done at once.

        A whole body given in one call (``finish`` on a fresh stream) is rewritten by
        :meth:`HtmlRewriter.rewrite`, which knows nothing follows.
        """
        if self._fresh:
            self._fresh = False
            return self._rewriter.rewrite(chunk) if chunk else b""
        return self.feed(chunk) + self.close()

    def close(self) -> bytes:
        """End the body: whatever was held back is decided on what was seen."""
        buf, self._held = self._held, b""
        out = buf if self._inert else self._run(buf, final=True) if buf else b""
        out = out[self._sent :]
        self._mode, self._sent, self._inert = _DATA, 0, False
        return out

    def _run(self, buf: bytes, final: bool, lazy: bool = False) -> bytes:
        plan = self._plan
        low = buf.lower()
        hits = plan.hits(low) if plan.probing else []
        if (final or lazy) and plan.probing and not hits and not self._may_judge(buf, low, final):
            if final:
                return buf  # nothing here can change, and nothing comes after it
            # The first chunk is often the whole body. When nothing in it can change, it is
            # passed on at once, and kept: only if another chunk follows is it run again
            # with that one, to learn the tokeniser's state where it ends. What it passed
            # on comes out of that run unchanged, and is dropped there.
            if (cut := _cut(buf, 0)) is not None:
                self._held, self._sent, self._inert = buf, cut, True
                return buf[:cut]
        out: list[bytes] = []
        emit, token, openers = out.append, self._token, plan.openers.search
        n, nhits = len(buf), len(hits)
        pos, cand, h, probe_from, exact_until = 0, -1, 0, 0, -1
        while pos < n:
            if self._mode != _DATA:
                pos, stop = self._content(buf, low, pos, final, out)
                if stop:
                    break
                continue
            if pos <= exact_until:  # tokenise one token exactly
                m = _HOLD_START.search(buf, pos)
                s = m.start() if m else n
                emit(buf[pos:s])
                pos = s
                if s == n or (s == n - 1 and not final):  # a lone "<" may start a tag
                    break
                if (pos := token(buf, low, s, final, out, hits)) < 0:
                    pos = s
                    break
                continue
            if cand < pos:
                m = openers(low, pos)
                cand = m.start() if m else n
            if probe_from < pos:
                probe_from = pos
            while h < nhits and hits[h] < probe_from:
                h += 1
            e = hits[h] if h < nhits and hits[h] < cand else cand
            if e >= n:  # no event left: emit all but an unfinished tag at the end
                cut = n if final else _cut(buf, pos)
                if cut is None:
                    exact_until = n
                    continue
                emit(buf[pos:cut])
                pos = cut
                break
            g = buf.rfind(b">", pos, e)
            if g < 0:
                g = pos - 1
            elif _maybe_quoted(buf, pos, g):
                exact_until = e
                continue
            m = _MARKUP_START.search(buf, g + 1, e + 2)
            if m is None:  # a probe in text
                probe_from = e + 1
                continue
            s = m.start()
            emit(buf[pos:s])
            if (pos := token(buf, low, s, final, out, hits)) < 0:
                pos = s
                break
        self._held = buf[pos:]
        return b"".join(out)

    def _may_judge(self, buf: bytes, low: bytes, final: bool) -> bool:
        """Whether an inline script in ``buf`` could be neutralised for its body.

        Before the end, a script's body may go on in the next chunk.
        """
        if not self._plan.markers or b"<script" not in low:
            return False
        return not final or self._inline_vendor(buf, 0, len(buf)) is not None

    def _content(
        self, buf: bytes, low: bytes, pos: int, final: bool, out: list[bytes]
    ) -> tuple[int, bool]:
        """Pass comment or raw-text content through, up to its end when in sight."""
        n = len(buf)
        if self._mode == _PLAINTEXT:
            m = None
        elif self._mode == _COMMENT:
            m = _COMMENT_END.search(buf, pos)
        else:
            m = _RAW_END[self._raw].search(low, pos)
        if m is not None:
            end = m.end() if self._mode == _COMMENT else m.start()
            out.append(buf[pos:end])
            self._mode = _DATA
            return end, False
        if final or self._mode == _PLAINTEXT:
            keep = n
        else:  # keep what could be the start of the end marker
            keep = max(pos, n - (3 if self._mode == _COMMENT else len(self._raw) + 2))
        out.append(buf[pos:keep])
        return keep, True

    def _token(
        self, buf: bytes, low: bytes, s: int, final: bool, out: list[bytes], hits: list[int]
    ) -> int:
        """Emit the markup at ``s`` (rewritten if need be); return where text resumes.

        Returns -1 when the token is unfinished and must be held back.
        """
        n = len(buf)
        m = _TOKEN.match(buf, s, s + MAX_TAG_BYTES)
        if m is None:
            if not final and n - s < MAX_TAG_BYTES:
                return -1
            out.append(b"<")
            return s + 1
        t = m.end()
        if m[1]:  # "<!--": the shortest comments are "<!-->" and "<!--->"
            b = s + 4
            if not final and buf[b : b + 2] in (b"", b"-"):
                return -1
            t = b + 1 if buf[b : b + 1] == b">" else b + 2 if buf[b : b + 2] == b"->" else b
            if t == b and (end := _COMMENT_END.search(buf, b)) is not None:
                t = end.end()  # the whole comment is in sight
            elif t == b:
                self._mode = _COMMENT
            out.append(buf[s:t])
            return t
        name = m[2].lower() if m[2] and buf[s + 1] != 0x2F else b""
        tag = buf[s:t]
        end = _RAW_END[name].search(low, t) if name in _RAW_END else None
        if name in _MOVED:
            # Only a probe inside can make the attributes matter.
            i = bisect_left(hits, s)
            probed = not self._plan.probing or (i < len(hits) and hits[i] < t)
            new = self._rewriter._decide(tag, name, None) if probed else None
            if new is None and name == b"script" and self._plan.markers:
                if end is None and not final and n - t < MAX_SCRIPT_LOOKAHEAD + 8:
                    if _needs_body(_parse_attrs(tag, len(name) + 1)[1]):
                        return -1  # wait for the body's end or the whole look-ahead
                else:
                    stop = min(end.start() if end else n, t + MAX_SCRIPT_LOOKAHEAD)
                    if (vendor := self._inline_vendor(buf, t, stop)) is not None:
                        new = self._rewriter._decide(tag, name, vendor)
            tag = tag if new is None else new
        out.append(tag)
        if end is not None:  # raw text whose end is in sight
            out.append(buf[t : end.start()])
            return end.start()
        if name in _RAW_END:
            self._mode, self._raw = _RAW, name
        elif name == b"plaintext":
            self._mode = _PLAINTEXT
        return t

    def _inline_vendor(self, buf: bytes, start: int, stop: int) -> str | None:
        """The first denied vendor with a marker in ``buf[start:stop]``."""
        for vendor, markers in self._plan.markers:
            for marker in markers:
                if buf.find(marker, start, stop) >= 0:
                    return vendor
        return None


def _needs_body(first: dict[bytes, _Attr]) -> bool:
    """Only an unmarked inline script that would run is judged by its body."""
    if _VENDOR_ATTR in first or b"src" in first:
        return False
    return _is_js(first.get(b"type"))


def _probe(pattern: str) -> str:
    """A literal that every URL matching a normalised ``pattern`` contains, lower-cased.

    It is the pattern's longest run between wildcards and slashes (which ``\\`` may spell).
    A host's run is cut to start at its first dot ("www.example.com" gives ".example.com")
    when that keeps at least half of it: such probes all start alike, so one regex
    anchored on "." finds them all.
    """
    run = max(re.split(r"[*?/]", pattern.translate(_ASCII_LOWER)), key=len)
    dot = run.find(".")
    return run[dot:] if 0 <= dot <= len(run) // 2 else run


def _references_to(chars: set[str]) -> re.Pattern[bytes]:
    """Character references, in a lower-cased buffer, that could spell one of ``chars``."""
    chars = chars | {c.upper() for c in chars}
    codes = sorted(ord(c) for c in chars)
    names = sorted({k.rstrip(";").lower() for k, v in html5.items() if chars & set(v)})
    hexes = "|".join(f"{c:x}" for c in codes)
    decimals = "|".join(map(str, codes))
    named = "".join("|" + re.escape(k) for k in names)
    return re.compile(
        f"&(?:#(?:x0*(?:{hexes})(?![0-9a-f])|0*(?:{decimals})(?![0-9])){named})".encode()
    )


def _parse_attrs(tag: bytes, start: int) -> tuple[list[_Attr], dict[bytes, _Attr]]:
    """The attributes in order, and by name: there the first of duplicates wins, as in
    browsers."""
    attrs: list[_Attr] = []
    first: dict[bytes, _Attr] = {}
    for m in _ATTRS.finditer(tag, start):
        name, value = m.groups()
        (_, end), (name_start, name_end), _ = m.regs
        if value and value[0] in b"\"'":
            value = value[1:-1]
        attr = (name.lower(), name_start, name_end, end, value)
        attrs.append(attr)
        first.setdefault(attr[0], attr)
    return attrs, first


def _is_js(type_attr: _Attr | None) -> bool:
    """Tell whether a browser would run the script; parameters are ignored to fail closed."""
    return type_attr is None or _essence(type_attr) in _JS_TYPES


def _essence(type_attr: _Attr) -> str:
    return _unescape(type_attr[4] or b"").split(";")[0].strip(" \t\n\f\r").lower()


def _neutralise(
    tag: bytes, name: bytes, attrs: list[_Attr], first: dict[bytes, _Attr], vendor: str | None
) -> bytes | None:
    """Move the live attributes aside; ``vendor`` is added unless the tag carries one.

    Leftover ``data-consentkit-*`` copies would win over the moved originals on activation,
    so they are dropped: all of them on an unmarked tag, those shadowing a live one otherwise.
    """
    moved = list(_MOVED[name])
    insert = b""
    if name == b"script":
        if not _is_js(first.get(b"type")):
            return None
        moved.append(b"type")
        insert = b' type="text/plain"'
    stale = set(moved) if vendor is not None else {a for a in moved if a in first}
    edits = []
    for attr in attrs:
        if attr[0] in moved:
            edits.append((attr[1], attr[2], b"data-consentkit-" + attr[0]))
        elif attr[0][:16] == b"data-consentkit-" and attr[0][16:] in stale:
            edits.append(_removal(tag, attr))
    if not edits and not insert:
        return None
    if vendor is not None:
        escaped = vendor.replace("&", "&amp;").replace('"', "&quot;")
        insert += b' data-consentkit-vendor="' + escaped.encode("utf-8", "surrogatepass") + b'"'
    return _edit(tag, len(name) + 1, insert, edits)


def _activate(
    tag: bytes, name: bytes, attrs: list[_Attr], first: dict[bytes, _Attr]
) -> bytes | None:
    """Restore what :func:`_neutralise` (or an author) moved aside, keeping the vendor."""
    restored = {a for a in _MOVED[name] if b"data-consentkit-" + a in first}
    if name == b"script":
        kept, current = first.get(b"data-consentkit-type"), first.get(b"type")
        # Without a kept type, "text/plain" is the neutralised mark; a kept "text/plain"
        # is not restored, or the next pass would take it for that mark.
        shown = kept if kept is not None else current
        if shown is not None and (_essence(shown) == "text/plain") == (kept is None):
            restored.add(b"type")
    edits = []
    for attr in attrs:
        if attr[0] in restored:
            edits.append(_removal(tag, attr))
        elif attr[0][:16] == b"data-consentkit-" and attr[0][16:] in restored:
            edits.append((attr[1], attr[2], attr[0][16:]))
    return _edit(tag, 0, b"", edits) if edits else None


def _removal(tag: bytes, attr: _Attr) -> tuple[int, int, bytes]:
    start = attr[1]
    while tag[start - 1] in _SPACE:
        start -= 1
    return start, attr[3], b""


def _edit(tag: bytes, at: int, insert: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    parts: list[bytes] = []
    last = 0
    for start, end, new in sorted([*edits, (at, at, insert)]):
        parts += (tag[last:start], new)
        last = end
    parts.append(tag[last:])
    return b"".join(parts)


def _cut(buf: bytes, pos: int) -> int | None:
    """Where to hold back an unfinished tag at the end, text resuming at ``pos``.

    None when the last ``>`` might be inside a quoted value, so only exact tokenising can
    tell. A "tag" too long to finish within the bound is text, and isn't held.
    """
    n = len(buf)
    g = buf.rfind(b">", pos)
    if g >= 0 and _maybe_quoted(buf, pos, g):
        return None
    m = _HOLD_START.search(buf, g + 1 if g >= 0 else pos)
    while m and n - m.start() >= MAX_TAG_BYTES:
        m = _HOLD_START.search(buf, m.start() + 1)
    return m.start() if m else n


def _maybe_quoted(buf: bytes, lo: int, g: int) -> bool:
    """Whether the ``>`` at ``g`` might sit inside a quoted attribute value.

    Such a value opens with the last quote of its kind before ``g``, right after ``=`` and
    optional whitespace; if neither quote kind looks like that, ``>`` ends any tag.
    """
    for quote in b'"', b"'":
        i = buf.rfind(quote, lo, g) - 1
        while i >= lo and buf[i] in _SPACE:
            i -= 1
        if i >= lo and buf[i] == 0x3D:
            return True
    return False


def _unescape(raw: bytes) -> str:
    """Decode an attribute value's character references the way a browser does."""
    text = raw.decode("utf-8", "surrogateescape")
    return _CHARREF.sub(_charref, text) if "&" in text else text


def _charref(m: re.Match[str]) -> str:
    number, name, semicolon = m.groups()
    if number is not None:
        digits = number.lstrip("xX").lstrip("0") or "0"
        code = int(digits, 16 if number[0] in "xX" else 10) if len(digits) <= 8 else 0x110000
        return html.unescape(f"&#{code};") if code < 0x110000 else "\ufffd"
    if semicolon and name + ";" in html5:
        return html5[name + ";"]
    # In attributes, a legacy reference without ";" stays literal before "=" (query strings).
    if not semicolon and name in html5 and m.string[m.end() : m.end() + 1] != "=":
        return html5[name]
    return m.group(0)


def _normalise_url(url: str) -> str | None:
    """``host/path`` with the host lower-cased, or None when the URL has no host."""
    url = url.strip("\t\n\f\r ").replace("\\", "/")
    scheme = _URL_SCHEME.match(url)
    if scheme:
        url = url[scheme.end() :]
        if scheme[1].lower() not in _SPECIAL_SCHEMES and not url.startswith("//"):
            return None
    elif not url.startswith("//"):
        return None
    url = url.lstrip("/")
    cut = len(url)
    for sep in "/?#":
        if 0 <= (i := url.find(sep)) < cut:
            cut = i
    host = url[:cut].rpartition("@")[2].translate(_ASCII_LOWER)
    return host + ("" if url.startswith("/", cut) else "/") + url[cut:]


def _normalise_pattern(pattern: str) -> str:
    pattern = pattern.strip().replace("\\", "/")
    if scheme := _PATTERN_SCHEME.match(pattern):
        pattern = pattern[scheme.end() :]
    host, _, path = pattern.removeprefix("//").partition("/")
    return host.translate(_ASCII_LOWER) + "/" + path


def _glob(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
