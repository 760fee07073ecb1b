"""Which vendors a page's markup belongs to, and what a rewriter looks for in bytes.

A :class:`VendorDetector` is built once from the catalogue's signatures; for each consent
decision it makes a plan of *probes*: what any tag loading a denied vendor must contain,
searched for in C before anything is tokenised (see :mod:`consentkit.html._rewriter`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.entities import html5

from consentkit.exceptions import ConfigurationError
from consentkit.html import _memo
from consentkit.html._idna import HOST_HIDING_UTF8
from consentkit.html._markup import VENDOR_ATTR
from consentkit.html._urls import UrlPatterns

_URL_SPACE = b"\t\n\r"
ASCII = bytes(range(128))
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MIN_PROBE = 3
_EXTRA_PROBES = ("data-consentkit-vendor", "srcdoc", "data:", "javascript:")
_NAMES = frozenset(["data-consentkit-vendor", "srcdoc"])  # attribute names, not in URLs
# An event handler attribute: code that may call a denied vendor's markers.
_EVENT_HANDLER = re.compile(rb"on[a-z]+[\t\n\f\r ]*=")
# How many consent decisions a detector remembers.
_PLAN_CACHE = 256


@dataclass(frozen=True, slots=True)
class VendorSignature:
    """How one vendor shows up in a page.

    ``url_patterns`` are matched against URLs parsed as a browser parses them, host and
    path apart (see :mod:`consentkit.html._urls`). ``inline_markers`` are case-sensitive
    substrings of inline code: script bodies, event handlers, ``javascript:`` URLs.
    """

    vendor: str
    url_patterns: tuple[str, ...]
    inline_markers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What streams look for in each buffer under one consent decision."""

    denied: frozenset[str]
    #: False when some denied pattern has no usable probe: every start tag is parsed.
    probing: bool
    literals: tuple[bytes, ...]  # probes found with bytes.find
    patterns: tuple[re.Pattern[bytes], ...]  # probes found with a regex
    hosts: re.Pattern[bytes] | None  # the host probes, all starting with "."
    hidable: tuple[bytes, ...]  # other literals a tab or newline could split
    markers: tuple[tuple[str, tuple[bytes, ...]], ...]  # the denied vendors' inline markers

    def hits(self, low: bytes) -> list[int]:
        """Where probes start in a lower-cased buffer, in order."""
        hits = []
        # Characters hiding a host are rare: looked for among the non-ASCII bytes alone
        # first (a multi-byte character stays whole when the ASCII around it goes).
        if not low.isascii() and HOST_HIDING_UTF8.search(low.translate(None, ASCII)):
            m = HOST_HIDING_UTF8.search(low)
            while m:
                hits.append(m.start())
                m = HOST_HIDING_UTF8.search(low, m.end())
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

    def hidden(self, low: bytes) -> bool:
        """Whether removing tabs and newlines, as the URL parser does, reveals a probe."""
        hosts = self.hosts
        if hosts is None or not (b"\n" in low or b"\t" in low or b"\r" in low):
            return False
        squeezed = low.translate(None, _URL_SPACE)
        if len(hosts.findall(squeezed)) > len(hosts.findall(low)):
            return True
        return any(squeezed.find(p) >= 0 and squeezed.count(p) > low.count(p) for p in self.hidable)


class VendorDetector:
    """Recognises vendors by URL and inline code; built once, shared by all requests.

    Everything is compiled here, so per-request work is only matching.
    """

    __slots__ = ("_code", "_markers", "_plans", "_probes", "_urls", "last_pages", "memo", "vendors")

    def __init__(self, signatures: Iterable[VendorSignature]) -> None:
        sigs = tuple(signatures)
        probes: dict[str, list[str]] = {}
        for sig in sigs:
            if "" in sig.url_patterns or "" in sig.inline_markers:
                raise ConfigurationError(f"vendor {sig.vendor!r}: empty URL pattern or marker")
            probes.setdefault(sig.vendor, []).extend(map(_probe, sig.url_patterns))
        self._urls = UrlPatterns((s.vendor, s.url_patterns) for s in sigs if s.url_patterns)
        self._markers = tuple(
            (s.vendor, tuple(m.encode("utf-8", "surrogatepass") for m in s.inline_markers))
            for s in sigs
            if s.inline_markers
        )
        # What attributes inline code to a vendor: its markers, or its hosts' names.
        self._code = tuple(
            (s.vendor, s.inline_markers, tuple(r for r in map(_probe, s.url_patterns) if r))
            for s in sigs
        )
        #: The vendors it knows, in the order of their signatures.
        self.vendors = tuple(probes)
        self._probes = probes
        self._plans: dict[frozenset[str], _Plan] = {}
        #: The rewriters' memory of pages (both bounded; see :mod:`consentkit.html._memo`).
        self.memo = _memo.PageMemo()
        self.last_pages = _memo.LastPages()

    def vendor_for_url(self, url: str, base: str | None = None) -> str | None:
        """Return the first vendor whose pattern matches ``url``; relative URLs match
        only against a ``base``."""
        return next(iter(self.vendors_for_url(url, base)), None)

    def vendors_for_url(self, url: str, base: str | None = None) -> tuple[str, ...]:
        """Every vendor whose pattern matches ``url`` as a browser resolves it."""
        return self._urls.vendors(url, base)

    def vendor_for_inline(self, script_text: str) -> str | None:
        """Return the first vendor with a marker in ``script_text``."""
        return next(
            (v for v, ms, _ in self._code if any(m in script_text for m in ms)),
            None,
        )

    def vendors_for_code(self, code: str) -> list[str]:
        """Every vendor that ``code`` (a script, an event handler) may load or call: by
        its markers, or by its hosts' names anywhere in it."""
        low = code.translate(ASCII_LOWER)
        return [
            v
            for v, markers, hosts in self._code
            if any(m in code for m in markers) or any(h in low for h in hosts)
        ]

    def plan(self, denied: frozenset[str]) -> _Plan:
        """The plan for rewriters denying ``denied``; there are few such sets."""
        plan = self._plans.get(denied)
        if plan is None:
            if len(self._plans) >= _PLAN_CACHE:
                self._plans.clear()
            plan = self._plans[denied] = self._make_plan(denied)
        return plan

    def _make_plan(self, denied: frozenset[str]) -> _Plan:
        markers = tuple((v, ms) for v, ms in self._markers if v in denied)
        if not denied:
            return _Plan(denied, True, (VENDOR_ATTR,), (), None, (), markers)
        runs = {r for v in denied for r in self._probes.get(v, ())}
        probing = all(len(r) >= _MIN_PROBE and r.isascii() for r in runs)
        ordered = sorted(runs | set(_EXTRA_PROBES), key=lambda r: (len(r), r))
        # A run that contains a shorter one adds nothing: the shorter one finds it too.
        kept = [r for i, r in enumerate(ordered) if not any(k in r for k in ordered[:i])]
        literals = [r.encode() for r in kept if not r.startswith(".")]
        hosts = [re.escape(r[1:].encode()) for r in kept if r.startswith(".")]
        host_re = re.compile(rb"\.(?:" + b"|".join(hosts) + rb")") if hosts else None
        chars = set("".join(kept))
        patterns = [] if host_re is None else [host_re]
        patterns += [_references_to(chars), _percent_escapes(chars)]
        if markers:  # in code, they matter in event handlers only (and javascript: URLs)
            patterns.append(_EVENT_HANDLER)
        # Only what a URL parser reads can be cut by a tab or newline: not attribute names.
        hidable = [r.encode() for r in kept if not r.startswith(".") and r not in _NAMES]
        return _Plan(
            denied, probing, tuple(literals), tuple(patterns), host_re, tuple(hidable), markers
        )


def _probe(pattern: str) -> str:
    """A literal that every URL matching ``pattern`` contains, lower-cased.

    It is the pattern's longest run between wildcards and slashes (which ``\\`` may spell).
    A host's run is cut to start at its first dot ("www.example.com" gives ".example.com")
    when that keeps at least half of it: such probes all start alike, so one regex
    anchored on "." finds them all.
    """
    pattern = pattern.strip().replace("\\", "/").translate(ASCII_LOWER)
    pattern = re.sub(r"^(?:[a-z][a-z0-9+.\-]*|\*):(?=//)", "", pattern).removeprefix("//")
    run = max(re.split(r"[*?/:]", pattern), key=len)
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


def _percent_escapes(chars: set[str]) -> re.Pattern[bytes]:
    """Percent escapes, in a lower-cased buffer, that could spell one of ``chars``."""
    codes = sorted({ord(c) for c in chars | {c.upper() for c in chars} if ord(c) < 0x80})
    return re.compile(b"%(?:" + "|".join(f"{c:02x}" for c in codes).encode() + b")")
