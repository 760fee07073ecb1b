"""Neutralise what vendors a visitor has not consented to would fetch or run, streaming.

The middleware must pass most of a page through close to copy speed and may never hold a
whole body, so nothing here builds a tree or decodes the document. One pass follows the
WHATWG tokeniser, with the few pieces of tree construction that change its states: raw
text (``script`` with its escaped states, ``style``, ``title``, ``textarea``, ``xmp``,
``iframe``, ``noembed``, ``noframes``, and ``noscript``, as scripting is on), comments,
``plaintext``, and foreign content (``<svg>``, ``<math>``: no raw text there, CDATA
sections, integration points and breakout tags, tracked on a stack of the foreign
elements open). The same pass places the banner's loader where the parser opens the head.
What an element loads is in :mod:`consentkit.html._inventory`; how it is neutralised and
brought back, in :mod:`consentkit.html._markup`; URLs are parsed as a browser parses them
(:mod:`consentkit.html._urls`), against the document's ``<base href>``.

Speed comes from not tokenising what cannot change. A rewriter works out once what its
consent decision makes worth looking for. Each buffer is lower-cased once and searched in
C for *events*: openers of the states above, and hits of *probes*. A probe is something
any tag loading a denied vendor must contain: a literal from its URL patterns or inline
markers, ``data-consentkit-vendor``, ``srcdoc``, ``data:``, ``javascript:``, a character
reference or percent escape that could spell part of one, or a character that the URL
parser's IDNA mapping turns into ASCII or drops. Tabs and newlines, which the URL parser
removes, are the one way left to hide a literal: a buffer where removing them reveals one
more is tokenised whole. A tag with no probe inside can't change, so it is never parsed.
At an event, the tokeniser state is re-established locally: text resumes after the last
``>`` that provably isn't inside a quoted value; when that can't be shown cheaply, the
region is tokenised exactly. Foreign content, the document's start (until the banner's
place is found) and documents with a ``<base href>`` at a denied vendor are tokenised
exactly. Either way the output is the exact tokeniser's, however the input is chunked.

Bounds fail closed: a stream holds back at most an unfinished tag (:data:`MAX_TAG_BYTES`;
a longer one is turned into text, ``&lt;``, which is the one way a stream's output can
differ from the whole document's) or an inline script start tag plus
:data:`MAX_SCRIPT_LOOKAHEAD` bytes of its body (a longer unmarked script is neutralised
for every denied vendor that has markers).

An element is live only if every vendor it can be attributed to (its author's mark, the
URLs it loads, the code it runs) is allowed. Scripts of a non-JavaScript type never run,
and are left as they are.
"""

from __future__ import annotations

import base64
import itertools
import re
from bisect import bisect_left
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from consentkit.html import _memo
from consentkit.html._inventory import (
    CODE,
    DOCUMENT,
    DOCUMENT_LOADERS,
    JS_URL,
    URLS,
    loading_attributes,
    original_name,
)
from consentkit.html._markup import (
    VENDOR_ATTR,
    Attr,
    activate,
    is_js,
    neutralise,
    parse_attrs,
    unescape,
    unescape_text,
    vendors_of,
)
from consentkit.html._tokens import (
    ALL_TAGS,
    BOGUS,
    BOGUS_END,
    BREAKOUT,
    CDATA,
    CDATA_END,
    COMMENT,
    COMMENT_END,
    DATA,
    HEAD_ONLY,
    HOLD_START,
    MARKUP_START,
    NS_HTML,
    NS_MATH,
    NS_SVG,
    OPENERS,
    PLAINTEXT,
    RAW,
    RAW_END,
    RAW_END_SVG_SCRIPT,
    SCRIPT,
    SCRIPT_TAIL,
    TOKEN,
    VOID,
    Open,
    font_breaks_out,
    html_rules,
    is_point,
    maybe_quoted,
    script_end,
)
from consentkit.html._urls import resolve_base
from consentkit.html._vendors import ASCII_LOWER, VendorDetector, VendorSignature

__all__ = [
    "MAX_SCRIPT_LOOKAHEAD",
    "MAX_TAG_BYTES",
    "HtmlRewriter",
    "HtmlStream",
    "VendorDetector",
    "VendorSignature",
]

#: Longest tag, end tag or bogus comment recognised as one, and so the most held back for
#: a tag cut by a chunk boundary; a longer start tag is made text (its ``<`` as ``&lt;``).
MAX_TAG_BYTES = 256 * 1024
#: How much of an inline script's body is held back to look for vendor markers.
MAX_SCRIPT_LOOKAHEAD = 256 * 1024

_SRCSET_SPLIT = re.compile(r"[\t\n\f\r ,]+")
_C0_SPACE = "".join(map(chr, range(0x21)))
_URL_TABS = str.maketrans("", "", "\t\n\r")
# How many decisions on tags (of at most _CACHED_TAG bytes) a rewriter remembers.
_TAG_CACHE = 256
_CACHED_TAG = 1024
_MAX_NESTING = 4  # srcdoc and data: documents inside each other
_serials = itertools.count()


class HtmlRewriter:
    """Applies one consent decision to HTML; built once per decision, safe to share.

    What a denied vendor would load or run is neutralised in place (the attributes that
    load something, and a script's ``type``, move to ``data-consentkit-*``, scripts get
    ``type="text/plain"``, and ``data-consentkit-vendor`` names the vendors). Tags so
    marked, by us or by the page's authors, are activated again when all their vendors
    are allowed.

    :param allowed: says whether a vendor id may load. It must return false for ids it
        doesn't know, so unknown vendors stay blocked.
    """

    __slots__ = ("_allowed", "_decided", "_detector", "_plan", "_serial", "_verdicts")

    def __init__(self, detector: VendorDetector, allowed: Callable[[str], bool]) -> None:
        self._detector = detector
        self._allowed = allowed
        self._verdicts: dict[str, bool] = {v: bool(allowed(v)) for v in detector.vendors}
        self._plan = detector.plan(frozenset(v for v, ok in self._verdicts.items() if not ok))
        self._decided: dict[tuple[Any, ...], tuple[bytes | None, tuple[str, ...]]] = {}
        self._serial = next(_serials)  # names this rewriter in its detector's memo

    def stream(self, inject: bytes | None = None, page: str = "") -> HtmlStream:
        """Start rewriting one response body; ``inject`` goes where the head opens.

        ``page`` names the document, as for :meth:`rewrite` (used when the body comes
        whole, in one :meth:`HtmlStream.finish`)."""
        stream = HtmlStream._of(self, inject)
        stream._page = page
        return stream

    def rewrite(self, html: bytes, inject: bytes | None = None, page: str = "") -> bytes:
        """Rewrite a whole document; the same bytes as a stream fed it in any chunks.

        ``page`` names the document (the request's path): what this rewriter gave for
        the last one of that name is reused where the two are the same (see
        :meth:`_against_last`), and a document that comes again costs one comparison.
        """
        html = bytes(html)
        # In steps, a page gives a whole rewrite's bytes only below the stream's bounds.
        if len(html) <= min(_memo.DELTA_PAGE, MAX_TAG_BYTES - 1, MAX_SCRIPT_LOOKAHEAD - 1):
            return self._against_last(html, inject or b"", page)
        return HtmlStream._of(self, inject)._finished(html)

    def _against_last(self, html: bytes, inject: bytes, page: str) -> bytes:
        """Rewrite a page in steps, reusing what it has in common with the last page
        rewritten under this decision and snippet (:class:`~consentkit.html._memo.LastPages`).

        A stream's output from a point on depends only on its state there and on the bytes
        that follow. So where the stream stands in the state the last page's stream was in
        at a mark, the steps that follow with the same bytes give the same output: it is
        copied, a run of them at once, and the stream is run only over the steps that
        differ, until its state meets the last page's again.
        """
        last_pages = self._detector.last_pages
        slot = (self._serial, inject, page)
        last = last_pages.get(slot)
        if last is not None and html == last[0]:
            return last[1]
        if last is not None and len(html) < _memo.DELTA_MIN and _inert(last, inject):
            # A small page in which the last one had nothing to neutralise: whole, it is
            # a search and a copy, cheaper than steps.
            out = HtmlStream._of(self, inject or None)._finished(html)
            last_pages.put(slot, html, out, [])
            return out
        old, old_out, old_marks = last or (b"", b"", [])
        view, out_view = memoryview(old), memoryview(old_out)  # copied once, by the join
        n, count = len(html), len(old_marks)
        stream = HtmlStream._of(self, inject or None)
        stream._fresh = False
        parts: list[bytes | memoryview] = []
        marks: list[_memo.Mark] = []
        pos = done = 0  # bytes in and out so far
        offset = 0  # where the last page's bytes are in this one: at old + offset
        at = -1  # the stream is in the state of the last page's mark at (-1: its start)
        state: _State | None = None  # that state, when it still has to be restored
        while last is not None:
            old_pos, old_done = old_marks[at][:2] if at >= 0 else (0, 0)
            if n - pos == len(old) - old_pos and html.startswith(view[old_pos:], pos):
                # The rest is the same as well: so is its output, to the end.
                parts.append(out_view[old_done:])
                marks += _moved(old_marks[at + 1 :], offset, done - old_done)
                out = b"".join(parts)
                last_pages.put(slot, html, out, marks)
                return out
            # Copy the longest run of steps from the mark ``at`` whose bytes are the same:
            # galloping, then halving (differences are near, and pages long).
            low, high, probe = at, count, 1
            while at + probe < count:
                if html.startswith(view[old_pos : old_marks[at + probe][0]], pos):
                    low, probe = at + probe, probe * 2
                else:
                    high = at + probe
                    break
            high -= 1
            while low < high:
                mid = (low + high + 1) // 2
                if html.startswith(view[old_pos : old_marks[mid][0]], pos):
                    low = mid
                else:
                    high = mid - 1
            if low > at:
                to_in, to_out, state = old_marks[low]
                parts.append(out_view[old_done:to_out])
                moved = done - old_done
                marks += _moved(old_marks[at + 1 : low + 1], offset, moved)
                pos, done, at = to_in + offset, to_out + moved, low
            if state is not None:
                stream._restore(state)
                state = None
            # Run the stream until its state meets the last page's at one of its marks
            # beyond this point, taking what differs as one edit: the rest is shifted by
            # the difference in length.
            offset = n - len(old)
            at += 1
            while at < count and old_marks[at][0] + offset <= pos:
                at += 1
            met = False
            while at < count:
                target = old_marks[at][0] + offset
                while pos < target:
                    pos, done = self._step(
                        stream, html, pos, _step_end(html, pos, target), done, parts, marks
                    )
                if stream._nested is None and stream._state() == old_marks[at][2]:
                    met = True
                    break
                at += 1
            if not met:
                break
        while pos < n:
            pos, done = self._step(stream, html, pos, _step_end(html, pos, n), done, parts, marks)
        parts.append(stream.close())
        out = b"".join(parts)
        last_pages.put(slot, html, out, marks)
        return out

    @staticmethod
    def _step(
        stream: HtmlStream,
        html: bytes,
        pos: int,
        end: int,
        done: int,
        parts: list[bytes | memoryview],
        marks: list[_memo.Mark],
    ) -> tuple[int, int]:
        """Feed ``html[pos:end]``; mark the state reached when a later page may resume
        from it (no ``<noscript>`` content open, the banner placed, little held back)."""
        out = stream.feed(html[pos:end])
        parts.append(out)
        done += len(out)
        if stream._nested is None and not stream._pending and len(stream._held) <= _memo.DELTA_STEP:
            marks.append((end, done, stream._state()))
        return end, done

    def _is_allowed(self, vendor: str) -> bool:
        ok = self._verdicts.get(vendor)
        if ok is None:
            ok = bool(self._allowed(vendor))
            if len(self._verdicts) < 4 * len(self._detector.vendors) + 64:
                self._verdicts[vendor] = ok
        return ok

    def _decide(
        self,
        tag: bytes,
        name: bytes,
        foreign: bool,
        base: str | None,
        body: tuple[str, ...],
        depth: int,
    ) -> tuple[bytes | None, tuple[str, ...]]:
        """The tag rewritten (or None to leave it), and the denied vendors it had.

        ``body`` lists the vendors an inline script's body was attributed to. As decisions
        depend on these arguments only, and pages repeat the same few tags, they are
        remembered.
        """
        key = (tag, foreign, base, body, depth)
        try:
            return self._decided[key]
        except KeyError:
            pass
        decision = self._judge(tag, name, foreign, base, body, depth)
        if len(tag) <= _CACHED_TAG:
            if len(self._decided) >= _TAG_CACHE:
                self._decided.clear()
            self._decided[key] = decision
        return decision

    def _judge(
        self,
        tag: bytes,
        name: bytes,
        foreign: bool,
        base: str | None,
        body: tuple[str, ...],
        depth: int,
    ) -> tuple[bytes | None, tuple[str, ...]]:
        attrs, first = parse_attrs(tag, len(name) + 1)
        script = name == b"script" and is_js(first.get(b"type"))
        if name == b"script" and not script and VENDOR_ATTR not in first:
            return None, ()  # never runs, whatever it says
        table = loading_attributes(name, foreign)
        vendors: dict[str, None] = {}
        mark = first.get(VENDOR_ATTR)
        if mark is not None:
            vendors.update(dict.fromkeys(vendors_of(mark)))
        live: list[Attr] = []
        for attr in attrs:
            attr_name = attr[0]
            if first[attr_name] is not attr:
                continue  # browsers take the first of duplicates
            kept = attr_name[:16] == b"data-consentkit-"
            if kept:  # judged as what it would be once restored
                original = original_name(attr_name, name, foreign)
                if original is None or original == b"type":
                    continue
                attr_name = original
            kind = table.get(attr_name)
            if kind is None and attr_name[:2] == b"on" and len(attr_name) > 2:
                kind = CODE
            if kind is None:
                continue
            value = unescape(attr[4] or b"")
            found = self._loads(kind, name, value, base, depth)
            vendors.update(dict.fromkeys(found))
            if not kept and (kind != JS_URL or found):
                live.append(attr)
        vendors.update(dict.fromkeys(body))
        if not vendors:
            return None, ()
        listed = tuple(sorted(vendors))
        denied = tuple(v for v in listed if not self._is_allowed(v))
        if denied:
            if not live and not script:
                return None, ()  # nothing in it loads: marked already, say
            return neutralise(tag, name, attrs, first, live, listed, script), denied
        if mark is None:
            return None, ()
        return activate(tag, name, foreign, attrs, first), ()

    def _loads(
        self, kind: int, element: bytes, value: str, base: str | None, depth: int
    ) -> list[str]:
        """The vendors a loading attribute's value can be attributed to."""
        detector = self._detector
        if kind == CODE:
            return detector.vendors_for_code(value)
        if kind == DOCUMENT:  # srcdoc: the parent's base URL is the document's
            return self._document_vendors(value.encode("utf-8", "surrogatepass"), depth, base)
        candidates = _SRCSET_SPLIT.split(value) if kind == URLS else (value,)
        found: list[str] = []
        for url in candidates:
            squeezed = url.strip(_C0_SPACE).translate(_URL_TABS)
            scheme = squeezed[:11].translate(ASCII_LOWER)
            if scheme.startswith("javascript:"):
                code = unquote_to_bytes(squeezed[11:]).decode("utf-8", "replace")
                found += detector.vendors_for_code(code)
            elif scheme.startswith("data:"):
                found += self._data_vendors(squeezed, element, depth)
            elif kind != JS_URL and url:
                found += detector.vendors_for_url(url, base)
        return found

    def _data_vendors(self, url: str, element: bytes, depth: int) -> list[str]:
        """A ``data:`` document in a frame or object, or a ``data:`` script, judged whole."""
        if element not in DOCUMENT_LOADERS and element != b"script":
            return []
        head, comma, payload = url[5:].partition(",")
        if not comma:
            return []
        data = unquote_to_bytes(payload)
        if head.translate(ASCII_LOWER).rstrip(" ").endswith(";base64"):
            try:
                data = base64.b64decode(re.sub(rb"[\t\n\f\r ]", b"", data) + b"==", validate=False)
            except ValueError:
                return list(self._plan.denied)  # unreadable: fail closed
        if element == b"script":
            return self._detector.vendors_for_code(data.decode("utf-8", "replace"))
        # A data: document's base is its own URL, against which no relative URL resolves.
        return self._document_vendors(data, depth, url)

    def _document_vendors(self, document: bytes, depth: int, base: str | None) -> list[str]:
        """The denied vendors a nested document (``srcdoc``, ``data:``) loads or runs."""
        if depth >= _MAX_NESTING:
            return sorted(self._plan.denied) if MARKUP_START.search(document) else []
        stream = HtmlStream._of(self, None, depth + 1)
        if base is not None:
            stream._use_base(base)
        stream._finished(document)
        return sorted(stream._found)


def _mark_in(mark: _memo.Mark) -> int:
    return mark[0]


def _moved(marks: list[_memo.Mark], offset: int, moved: int) -> list[_memo.Mark]:
    """The last page's marks where they fall in this one: ``offset`` bytes in, ``moved``
    bytes out further (the same tuples when neither moved)."""
    if not (offset or moved):
        return marks
    return [(i + offset, o + moved, state) for i, o, state in marks]


def _inert(last: tuple[bytes, bytes, list[_memo.Mark]], inject: bytes) -> bool:
    """Whether the last page came out as it went in but for the banner's loader: nothing
    in it was neutralised (a guess about the next page, which costs only speed if wrong)."""
    return len(last[1]) - len(last[0]) == len(inject)


def _step_end(html: bytes, pos: int, limit: int) -> int:
    """Where a step from ``pos`` ends: just after the first ``>`` a step on, so that a
    mark seldom falls inside a tag, and a page that differs in one value meets the last
    page's state again at the very next mark."""
    step = _memo.DELTA_STEP
    want = pos + step
    if want >= limit:
        return limit
    close = html.find(b">", want, min(limit, want + step))
    return close + 1 if close >= 0 else want


def _same_start(a: bytes, b: bytes) -> int:
    """How many bytes ``a`` and ``b`` have in common from the start: a binary search
    whose every step is one ``memcmp``."""
    view = memoryview(b)
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a.startswith(view[:mid]):
            low = mid
        else:
            high = mid - 1
    return low


def _same_end(a: bytes, b: bytes, limit: int) -> int:
    """How many bytes (at most ``limit``) ``a`` and ``b`` have in common at the end."""
    view, size = memoryview(b), len(b)
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if a.endswith(view[size - mid :]):
            low = mid
        else:
            high = mid - 1
    return low


# Where a stream stands after a chunk, so that a remembered first chunk resumes it.
_State = tuple[bytes, int, bool, int, bytes, int, tuple[Open, ...], str | None, bool, bool, bool]


class HtmlStream:
    """Rewrites one body chunk by chunk, holding back only what it can't decide yet.

    Streams come from :meth:`HtmlRewriter.stream`; one made from a detector and an
    ``allowed`` callable builds its own rewriter.
    """

    __slots__ = (
        "_all",
        "_base",
        "_based",
        "_depth",
        "_doc",
        "_esc",
        "_found",
        "_fresh",
        "_held",
        "_inert",
        "_inject",
        "_mode",
        "_nested",
        "_open",
        "_page",
        "_pending",
        "_plan",
        "_raw",
        "_rewriter",
        "_sent",
        "_stack",
    )

    def __init__(self, detector: VendorDetector, allowed: Callable[[str], bool]) -> None:
        self._start(HtmlRewriter(detector, allowed), None, 0)

    @classmethod
    def _of(cls, rewriter: HtmlRewriter, inject: bytes | None, depth: int = 0) -> HtmlStream:
        stream = cls.__new__(cls)
        stream._start(rewriter, inject, depth)
        return stream

    def _start(self, rewriter: HtmlRewriter, inject: bytes | None, depth: int) -> None:
        self._rewriter = rewriter
        self._plan = rewriter._plan
        self._inject = inject or b""
        self._page = ""  # the document's name, for rewrite() when it comes whole
        self._depth = depth
        self._found: set[str] = set()  # denied vendors neutralised
        self._fresh = True  # nothing fed yet
        self._held = b""  # what is run again with the next chunk,
        self._sent = 0  # of which this many bytes are passed on already,
        self._inert = False  # and whether all of it would pass through as it is
        self._mode = DATA
        self._raw = b""
        self._esc = 0  # the script states: 0 data, 1 escaped, 2 double escaped
        self._stack: tuple[Open, ...] = ()  # foreign content open, innermost last
        self._base: str | None = None  # the document's base URL, when it is not its own
        self._based = False  # a <base href> was seen: later ones count for nothing
        self._pending = bool(inject)  # the banner's place is still to find
        self._doc = False  # a doctype or <html> was seen: this is a document
        self._open = False  # every start tag is parsed from now on
        self._nested: HtmlStream | None = None  # a <noscript>'s content, as markup
        self._all = False  # every start tag in the current buffer is parsed

    def _state(self) -> _State:
        return (
            self._held,
            self._sent,
            self._inert,
            self._mode,
            self._raw,
            self._esc,
            self._stack,
            self._base,
            self._based,
            self._pending,
            self._open,
        )

    def _restore(self, state: _State) -> None:
        (
            self._held,
            self._sent,
            self._inert,
            self._mode,
            self._raw,
            self._esc,
            self._stack,
            self._base,
            self._based,
            self._pending,
            self._open,
        ) = state
        self._doc = self._doc or not self._pending

    def feed(self, chunk: bytes) -> bytes:
        """Take the next chunk; return the bytes that are final now."""
        if not chunk:
            return b""
        if self._fresh and len(chunk) <= _memo.MEMO_PAGE:
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
        key = (~rewriter._serial, self._inject, chunk)  # apart from rewrite()'s whole pages
        memo = rewriter._detector.memo
        known = memo.get(key)
        if known is not None and self._depth == 0:
            self._restore(known[1])
            return known[0]
        out = self._run(chunk, final=False, lazy=True)
        if self._depth == 0 and self._nested is None:
            memo.put(key, out, self._state(), self._held)
        return out

    def finish(self, chunk: bytes) -> bytes:
        """Take the body's last chunk and end it: ``feed(chunk) + close()``, done at once.

        A whole body given in one call (``finish`` on a fresh stream) is rewritten by
        :meth:`HtmlRewriter.rewrite`, which knows nothing follows.
        """
        if self._fresh:
            self._fresh = False
            return self._rewriter.rewrite(chunk, self._inject or None, self._page) if chunk else b""
        return self.feed(chunk) + self.close()

    def close(self) -> bytes:
        """End the body: whatever was held back is decided on what was seen."""
        buf, self._held = self._held, b""
        out = buf if self._inert else self._run(buf, final=True) if buf else b""
        out = out[self._sent :]
        if self._pending:  # the parser opens the head at the end of a document
            self._pending = False
            if self._doc:
                out += self._inject
        self._mode, self._sent, self._inert = DATA, 0, False
        return out

    def _finished(self, html: bytes) -> bytes:
        """A whole document, from a fresh stream."""
        self._fresh = False
        out = self._run(html, final=True)
        if self._pending:
            self._pending = False
            if self._doc:
                out += self._inject
        return out

    def _run(self, buf: bytes, final: bool, lazy: bool = False) -> bytes:
        plan = self._plan
        low = buf.lower()
        probing = plan.probing and not self._open
        hits = plan.hits(low) if probing else []
        if probing and plan.hidden(low):
            probing = False
        self._all = not probing
        if (
            (final or lazy)
            and probing
            and not hits
            and not self._pending
            and not self._stack
            and self._mode == DATA
            and not self._may_judge(buf, low, final)
        ):
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
        emit, token = out.append, self._token
        openers = (OPENERS if probing else ALL_TAGS).search
        n, nhits = len(buf), len(hits)
        pos, cand, h, probe_from, exact_until = 0, -1, 0, 0, -1
        # At the end of a body, once the banner is placed, the rest is passed on as it is
        # when nothing in it can change: the test above, made on what is left.
        quiet = final and probing
        while pos < n:
            if self._mode != DATA:
                pos, stop = self._content(buf, low, pos, final, out)
                if stop:
                    break
                continue
            if quiet and pos > exact_until and not (self._pending or self._stack or self._open):
                while h < nhits and hits[h] < pos:
                    h += 1
                if h == nhits:
                    if not self._may_judge(buf, low, final, pos):
                        emit(buf[pos:])
                        pos = n
                        break
                    quiet = False  # a script ahead may be judged on its body
            if pos <= exact_until or self._stack or self._pending or self._open:  # exactly
                m = HOLD_START.search(buf, pos)
                s = m.start() if m else n
                if self._pending and s > pos:
                    self._text(buf, pos, s, out)
                else:
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
            elif maybe_quoted(buf, pos, g):
                exact_until = e
                continue
            m = MARKUP_START.search(buf, g + 1, e + 2)
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

    def _text(self, buf: bytes, pos: int, end: int, out: list[bytes]) -> None:
        """Text before the banner's place: the first that isn't space opens the head."""
        text = buf[pos:end]
        stripped = text.lstrip(b"\t\n\f\r ")
        if pos == 0 and stripped.startswith(b"\xef\xbb\xbf") and not self._doc:
            stripped = stripped[3:].lstrip(b"\t\n\f\r ")
        if not stripped:
            out.append(text)
            return
        at = end - len(stripped)
        out.append(buf[pos:at])
        self._place(out)
        out.append(buf[at:end])

    def _place(self, out: list[bytes]) -> None:
        """The parser opens the head here: the banner's loader goes in, in a document."""
        self._pending = False
        if self._doc:
            out.append(self._inject)

    def _may_judge(self, buf: bytes, low: bytes, final: bool, start: int = 0) -> bool:
        """Whether a script in ``buf[start:]`` could be neutralised for its body.

        Before the end, a script's body may go on in the next chunk.
        """
        if not self._plan.markers or low.find(b"<script", start) < 0:
            return False
        if not final or len(buf) - start > MAX_SCRIPT_LOOKAHEAD:
            return True
        foreign = low.find(b"<svg", start) >= 0
        return self._inline_vendors(buf, start, len(buf), foreign, False) != ()

    def _content(
        self, buf: bytes, low: bytes, pos: int, final: bool, out: list[bytes]
    ) -> tuple[int, bool]:
        """Pass comment, CDATA or raw-text content through, up to its end when in sight."""
        n = len(buf)
        mode = self._mode
        if mode == SCRIPT:
            end, self._esc, scanned = script_end(low, pos, self._esc)
            if end >= 0:
                out.append(buf[pos:end])
                self._mode = DATA
                return end, False
            keep = n if final else max(pos, min(scanned, n - SCRIPT_TAIL))
            out.append(buf[pos:keep])
            return keep, True
        if mode == PLAINTEXT:
            m = None
        elif mode == COMMENT:
            m = COMMENT_END.search(buf, pos)
        elif mode == CDATA:
            m = CDATA_END.search(buf, pos)
        elif mode == BOGUS:
            m = BOGUS_END.search(buf, pos)
        else:
            m = RAW_END[self._raw].search(low, pos)
        if m is not None:
            end = m.start() if mode == RAW else m.end()
            out.append(self._raw_text(buf[pos:end], True))
            self._mode = DATA
            return end, False
        if final or mode == PLAINTEXT:
            keep = n
        else:  # keep what could be the start of the end marker
            keep = max(pos, n - (len(self._raw) + 2 if mode == RAW else 2))
        out.append(self._raw_text(buf[pos:keep], final))
        return keep, True

    def _raw_text(self, text: bytes, ends: bool) -> bytes:
        """Raw text as it goes out: a ``<noscript>``'s is rewritten as markup, which is
        what a browser with scripting off makes of it."""
        nested = self._nested
        if nested is None:
            return text
        out = nested.feed(text)
        if ends:
            out += nested.close()
            self._found |= nested._found
            self._nested = None
        return out

    def _token(
        self, buf: bytes, low: bytes, s: int, final: bool, out: list[bytes], hits: list[int]
    ) -> int:
        """Emit the markup at ``s`` (rewritten if need be); return where text resumes.

        Returns -1 when the token is unfinished and must be held back.
        """
        n = len(buf)
        top = self._stack[-1] if self._stack else None
        if top is not None and top[0] != NS_HTML and low.startswith(b"<![cdata[", s):
            self._mode = CDATA  # foreign content only
            out.append(buf[s : s + 9])
            return s + 9
        if top is not None and not final and n - s < 9 and b"<![cdata[".startswith(low[s:n]):
            return -1
        m = TOKEN.match(buf, s)
        if m is None:
            if not final and n - s < MAX_TAG_BYTES:
                return -1
            # Cut by the end of the document, the parser drops it. Too long to hold while
            # streaming, a start tag is made text, so that nothing it holds can load; an
            # end tag, doctype or bogus comment goes on to its ">".
            if final:
                out.append(b"<")
            elif low[s + 1 : s + 2].isalpha():
                out.append(b"&lt;")
            else:
                out.append(b"<")
                self._mode = BOGUS
            return s + 1
        t = m.end()
        if m[1]:  # "<!--": the shortest comments are "<!-->" and "<!--->"
            b = s + 4
            if not final and buf[b : b + 2] in (b"", b"-"):
                return -1
            t = b + 1 if buf[b : b + 1] == b">" else b + 2 if buf[b : b + 2] == b"->" else b
            if t == b and (close := COMMENT_END.search(buf, b)) is not None:
                t = close.end()  # the whole comment is in sight
            elif t == b:
                self._mode = COMMENT
            out.append(buf[s:t])
            return t
        if not m[2]:  # a doctype or a bogus comment
            if self._pending and low.startswith(b"<!doctype", s):
                self._doc = True
            out.append(buf[s:t])
            return t
        name = m[2].lower()
        tag = buf[s:t]
        if buf[s + 1] == 0x2F:
            self._end_tag(name, out)
            out.append(tag)
            return t
        # A start tag: in HTML content, or in foreign content?
        foreign = top is not None and not html_rules(top, name)
        if foreign and (name in BREAKOUT or (name == b"font" and font_breaks_out(tag))):
            self._pop_foreign()
            foreign = False
        if self._pending:
            if name == b"html":
                self._doc = True
            elif name == b"head":
                out.append(tag)
                self._place(out)
                return t
            else:
                if not self._doc and name in HEAD_ONLY:
                    self._doc = True
                self._place(out)
        self_closing = tag.endswith(b"/>")
        # HTML and SVG have scripts; a MathML <script> is an element like any other.
        script = name == b"script" and not (foreign and top is not None and top[0] == NS_MATH)
        # Where its raw text, if any, ends.
        end = -1
        if not foreign:
            if script:
                end = script_end(low, t, 0)[0]
            elif name in RAW_END:
                m2 = RAW_END[name].search(low, t)
                end = m2.start() if m2 else -1
        elif script:
            m2 = RAW_END_SVG_SCRIPT.search(low, t)
            end = m2.start() if m2 else -1
        i = bisect_left(hits, s)
        probed = self._all or (i < len(hits) and hits[i] < t)
        new: bytes | None = None
        if probed or script:
            body: tuple[str, ...] = ()
            if script and self._plan.denied:
                attrs = parse_attrs(tag, len(name) + 1)[1]
                if _needs_body(attrs):
                    limit = t + MAX_SCRIPT_LOOKAHEAD
                    # Wait for the body's end, or for the look-ahead and an end tag after it
                    # (one that starts inside it may not be whole yet).
                    if end < 0 and not final and n < limit + SCRIPT_TAIL:
                        return -1
                    # Unended before the end of the document, it runs past the look-ahead.
                    stop = end if end >= 0 else n if final else limit + 1
                    if stop <= limit:
                        # Hosts are looked for only in a body where a probe was found.
                        named = self._all or bisect_left(hits, t) < bisect_left(hits, stop)
                        body = self._inline_vendors(buf, t, stop, foreign, named)
                    else:  # too long to judge: as if it named every denied vendor
                        body = tuple(sorted(self._plan.denied))
            if probed or body:
                new, denied = self._rewriter._decide(
                    tag, name, foreign, self._base, body, self._depth
                )
                if denied:
                    self._found.update(denied)
            if name == b"base" and not foreign and not self._based:
                self._set_base(tag)
        out.append(new if new is not None else tag)
        # What the tag opens.
        if foreign:
            if not self_closing:
                self._stack += ((top[0] if top else NS_SVG, name, is_point(top, name, tag)),)
            return t
        if name in (b"svg", b"math"):
            if not self_closing:
                self._stack += ((NS_SVG if name == b"svg" else NS_MATH, name, False),)
            return t
        if self._stack and name not in VOID:
            self._stack += ((NS_HTML, name, False),)
        if name == b"script":
            if end >= 0:
                out.append(buf[t:end])
                return end
            self._mode, self._esc, self._raw = SCRIPT, 0, name
        elif name in RAW_END:
            if name == b"noscript":
                self._nested = HtmlStream._of(self._rewriter, None, self._depth + 1)
            if end >= 0:
                out.append(self._raw_text(buf[t:end], True))
                return end
            self._mode, self._raw = RAW, name
        elif name == b"plaintext":
            self._mode = PLAINTEXT
        return t

    def _end_tag(self, name: bytes, out: list[bytes]) -> None:
        """What an end tag closes: the banner's place, foreign content."""
        if self._pending and name in (b"head", b"body", b"html", b"br"):
            self._place(out)
        stack = self._stack
        if not stack:
            return
        if stack[-1][0] != NS_HTML:  # foreign content's rules
            if name in (b"br", b"p"):
                self._pop_foreign()
            else:
                for k in range(len(stack) - 1, -1, -1):
                    if stack[k][1] == name:
                        self._stack = stack[:k]
                        return
                    if stack[k][0] == NS_HTML:
                        break  # on to HTML's rules
                else:
                    # It may close an HTML element open around the foreign content, or
                    # be ignored; which, only the HTML elements open outside tells, and
                    # they are not tracked. Staying in foreign content is the reading
                    # that sees more tags (raw-text elements are markup there), and the
                    # next breakout tag (<p>, <div>, <img>...) ends it either way.
                    return
        # HTML's rules, which can't close past an integration point.
        stack = self._stack
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] != NS_HTML:
                return
            if stack[k][1] == name:
                self._stack = stack[:k]
                return

    def _pop_foreign(self) -> None:
        """A breakout: foreign elements close down to HTML content."""
        stack = self._stack
        while stack and stack[-1][0] != NS_HTML and not stack[-1][2]:
            stack = stack[:-1]
        self._stack = stack

    def _set_base(self, tag: bytes) -> None:
        href = parse_attrs(tag, 5)[1].get(b"href")
        if href is None:
            return
        self._based = True
        base = resolve_base(unescape(href[4] or b""), self._base)
        if base is not None:
            self._use_base(base)

    def _use_base(self, base: str) -> None:
        self._base = base
        # Every relative URL from here on loads from the base's host.
        if any(
            not self._rewriter._is_allowed(v)
            for v in self._rewriter._detector.vendors_for_url(base, None)
        ):
            self._open = self._all = True

    def _inline_vendors(
        self, buf: bytes, start: int, stop: int, foreign: bool, named: bool
    ) -> tuple[str, ...]:
        """The denied vendors a script's body ``buf[start:stop]`` calls or loads from.

        Markers are looked for in every body; hosts, as in event handlers, only in a
        body where a probe was found (``named``), so that most scripts are never decoded.
        """
        decode = foreign and b"&" in buf[start:stop]
        if not named:
            found = [
                vendor
                for vendor, markers in self._plan.markers
                if any(buf.find(marker, start, stop) >= 0 for marker in markers)
            ]
            if found or not decode:
                return tuple(found)
        # The code itself, as the browser runs it: markers and hosts alike.
        text = buf[start:stop].decode("utf-8", "replace")
        if decode:  # foreign content decodes character references in a script's text
            text = unescape_text(text)
        denied = self._plan.denied
        return tuple(v for v in self._rewriter._detector.vendors_for_code(text) if v in denied)


def _needs_body(first: dict[bytes, Attr]) -> bool:
    """Only an unmarked inline script that would run is judged by its body."""
    if VENDOR_ATTR in first or b"src" in first or b"href" in first or b"xlink:href" in first:
        return False
    return is_js(first.get(b"type"))


def _cut(buf: bytes, pos: int) -> int | None:
    """Where to hold back an unfinished tag at the end, text resuming at ``pos``.

    None when only exact tokenising can tell: the last ``>`` might be inside a quoted
    value, or a tag is too long to hold and must be made text.
    """
    n = len(buf)
    g = buf.rfind(b">", pos)
    if g >= 0 and maybe_quoted(buf, pos, g):
        return None
    m = HOLD_START.search(buf, g + 1 if g >= 0 else pos)
    if m and n - m.start() >= MAX_TAG_BYTES:
        return None
    return m.start() if m else n
