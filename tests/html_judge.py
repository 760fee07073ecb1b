"""What a browser would fetch or run at page load, read by a spec parser, not by consentkit.

The judge parses a page with html5lib, a tree builder that follows the HTML Standard's
tokeniser and tree construction, and walks the tree it builds. It reports a :class:`Load`
for everything that fetches or runs **at page load, before any user action**, taken from
the specs (HTML Standard, SVG 2), never from consentkit's own inventory:

===============================  ==========================================================
element (namespace)              what loads
===============================  ==========================================================
``script`` (HTML, SVG)           ``src`` (HTML) / ``href``, ``xlink:href`` (SVG), else the
                                 inline text; only for JavaScript MIME types (parameters
                                 ignored: Firefox runs ``text/javascript;charset=...``),
                                 ``module``, an empty or absent type, and
                                 ``speculationrules`` (it prefetches the URLs it lists)
``img``                          ``src``, ``srcset`` (``<image>`` is an ``img`` in the tree)
``iframe``                       ``src``; ``srcdoc`` is a document, judged recursively
``frame``, ``embed``             ``src``
``object``                       ``data``
``video``                        ``src``, ``poster``
``audio``, ``track``             ``src``
``source``                       ``src``, ``srcset``
``input type=image``             ``src``
``link``                         ``href`` whatever its ``rel`` (fail closed), ``imagesrcset``
``body``, ``table``, ``thead``,  ``background``
``tbody``, ``tfoot``, ``tr``,
``td``, ``th``
``meta http-equiv=refresh``      the URL in ``content`` (a navigation the page starts)
SVG ``image``, ``feImage``,      ``href``, ``xlink:href``
``use``
any element                      ``on*`` event-handler attributes, as inline code
===============================  ==========================================================

``javascript:`` URLs in ``iframe``/``frame``/``embed``/``object`` run on load: their
percent-decoded text is inline code. ``data:`` URLs there whose MIME type is HTML, SVG or
XML are documents, decoded (percent or base64) and judged recursively.

Left out, because nothing is fetched before the visitor acts or because a server cannot
see it: ``a``/``area`` ``href`` and ``ping`` (on click), ``form``/``formaction`` (on
submit), ``cite``, ``longdesc``, ``manifest`` (application caches are gone), plugin
``param``s, SVG ``a``, paint-server and filter references (not fetched across documents),
CSS ``url()`` and ``@import`` in ``style`` elements and attributes, and URLs assembled by
script at run time. Content that is text in the tree loads nothing: comments, ``textarea``,
``title``, ``xmp``, ``iframe`` text, CDATA in foreign content, ``noscript`` with scripting
on. ``<template>`` content is inert (HTML Standard: it belongs to a document without a
browsing context); ``templates=True`` counts it anyway, and ``copies=True`` reads the
text of each ``noscript`` (scripting on) as markup, for callers that fail closed because
scripts commonly clone templates and copy ``noscript`` text into the page, where it runs.

The first HTML ``base`` with an ``href`` in tree order sets the base URL of the URLs after
it (unless it does not parse or is ``data:``/``javascript:``); every URL is resolved with
``ada_url``, the WHATWG URL parser (tabs and newlines stripped, IDNA mapped, dot segments
resolved, default ports dropped).
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import ada_url
import html5lib  # type: ignore[import-untyped]  # ships no types

DOCUMENT_URL = "https://site.example/page"

HTML_NS = "http://www.w3.org/1999/xhtml"
SVG_NS = "http://www.w3.org/2000/svg"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XLINK_NS = "http://www.w3.org/1999/xlink"
_PREFIXES = {HTML_NS: "", SVG_NS: "svg:", MATHML_NS: "math:"}

#: Load kinds: a URL fetched, code run, a nested document (its loads follow, with
#: ``frames`` naming where they are).
FETCH, CODE, DOCUMENT = "fetch", "code", "document"

# HTML Standard, "JavaScript MIME type essence match".
JAVASCRIPT_TYPES = frozenset(
    {
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
    }
)
DOCUMENT_TYPES = frozenset(
    {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml"}
)
BACKGROUND_ELEMENTS = frozenset({"body", "table", "thead", "tbody", "tfoot", "tr", "td", "th"})
# element -> URL attributes fetched (HTML namespace); srcset-like ones apart.
HTML_URL_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "img": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "source": ("src",),
    "track": ("src",),
    "link": ("href",),
}
HTML_SRCSET_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "img": ("srcset",),
    "source": ("srcset",),
    "link": ("imagesrcset",),
}
NESTING_ELEMENTS = frozenset({"iframe", "frame", "embed", "object"})
SVG_HREF_ELEMENTS = frozenset({"script", "image", "feImage", "use"})
MAX_DEPTH = 6
# (reported name, (namespace, local name)) of the attributes a script loads from.
_SCRIPT_REFS = (("src", ("", "src")),)
_SVG_REFS = (("href", ("", "href")), ("xlink:href", (XLINK_NS, "href")))


@dataclass(frozen=True)
class Load:
    """One thing the page fetches or runs at load."""

    kind: str  #: FETCH, CODE or DOCUMENT
    element: str  #: local name, prefixed ``svg:`` or ``math:`` outside HTML
    attribute: str  #: the attribute, or ``#text`` for an inline script's text
    value: str  #: the attribute's value (or text) as the tree has it
    url: str | None  #: the resolved URL (None for code, or when it does not parse)
    frames: tuple[str, ...] = ()  #: ``srcdoc`` / ``data:`` for each nested document

    def key(self) -> tuple[str, str, str, str | None, tuple[str, ...]]:
        """What a load means, without the spelling of a nested document's source."""
        if self.kind == CODE:
            return (self.kind, self.element, self.attribute, self.value, self.frames)
        url = None if self.kind == DOCUMENT else self.url
        return (self.kind, self.element, self.attribute, url, self.frames)


@dataclass(frozen=True)
class HostRule:
    """A denied vendor's URLs: a host (``*.`` for any subdomain) and a path prefix."""

    host: str
    path: str = "/"

    def matches(self, url: str) -> bool:
        """Whether a resolved URL goes to this host, under this (decoded) path."""
        try:
            parsed = ada_url.URL(url)
        except ValueError:
            return False
        if parsed.protocol not in ("http:", "https:"):
            return False
        host = parsed.hostname.rstrip(".").lower()
        on_host = host.endswith(self.host[1:]) if self.host.startswith("*.") else host == self.host
        # A server decodes %-escapes before routing, so the decoded path is what counts.
        return on_host and urllib.parse.unquote(parsed.pathname).startswith(self.path)

    @property
    def needle(self) -> str:
        """The text that names this host in inline code (matched case-blind)."""
        host = self.host.removeprefix("*.")
        return host + (self.path if self.path != "/" else "")


# The vendors of tests/test_html.py's signatures (examples/plus-que-pro/catalogue.toml);
# tests/test_html_differential.py checks that the two tables agree.
VENDOR_HOSTS: Mapping[str, tuple[HostRule, ...]] = {
    "google-analytics": (
        HostRule("www.googletagmanager.com", "/gtag/js"),
        HostRule("www.google-analytics.com"),
        HostRule("*.google-analytics.com"),
        HostRule("*.analytics.google.com"),
    ),
    "google-recaptcha": (
        HostRule("www.google.com", "/recaptcha/"),
        HostRule("www.gstatic.com", "/recaptcha/"),
    ),
    "youtube": (
        HostRule("www.youtube.com", "/embed/"),
        HostRule("www.youtube-nocookie.com", "/embed/"),
    ),
}
VENDOR_MARKERS: Mapping[str, tuple[str, ...]] = {
    "google-analytics": ("gtag(", "GoogleAnalyticsObject", "google-analytics.com/analytics.js"),
    "google-recaptcha": ("grecaptcha.",),
    "youtube": (),
}
ALL_VENDORS = tuple(VENDOR_HOSTS)


def judge(
    page: str | bytes,
    *,
    scripting: bool = True,
    templates: bool = False,
    copies: bool = False,
    runs_code: bool | None = None,
    url: str = DOCUMENT_URL,
    encoding: str = "utf-8",
) -> list[Load]:
    """Everything ``page`` fetches or runs at load, in tree order.

    :param scripting: parse as a browser with scripting on (``noscript`` is raw text, and
        scripts and event handlers run) or off (``noscript`` content is markup).
    :param templates: count ``<template>`` content too (inert by the spec).
    :param copies: with scripting on, count what each ``noscript``'s text loads once a
        script copies it into the page.
    :param runs_code: count scripts, event handlers and ``javascript:`` URLs (by default,
        when ``scripting`` is on).
    :param url: the document's URL, the base of its relative URLs.
    :param encoding: how to decode ``page`` when it is bytes.
    """
    text = page if isinstance(page, str) else page.decode(encoding, errors="replace")
    code = scripting if runs_code is None else runs_code
    walk = _Walk(scripting, templates, copies and scripting, code)
    return list(walk.document(text, url, (), 0))


def would_load(
    page: str | bytes, *, url: str = DOCUMENT_URL, encoding: str = "utf-8"
) -> list[Load]:
    """Fail closed: the loads with scripting on and off, template content included.

    With scripting on, ``noscript`` text and ``template`` content count as markup that
    runs, since scripts commonly copy them into the page; with scripting off, what
    ``noscript`` holds is fetched, and nothing runs. Where the two readings diverge
    (:func:`readings_diverge`), only the first is taken.
    """
    loads = judge(page, url=url, encoding=encoding, templates=True, copies=True)
    if readings_diverge(page, encoding=encoding):
        return loads
    seen = {load.key() for load in loads}
    reading = judge(page, url=url, encoding=encoding, templates=True, scripting=False)
    for load in reading:
        if load.key() not in seen:
            loads.append(load)
    return loads


def denied(
    loads: Iterable[Load], denied_hosts: Iterable[HostRule], denied_markers: Iterable[str]
) -> list[Load]:
    """The loads that reach a denied host, or run code naming a denied marker or host."""
    hosts, markers = tuple(denied_hosts), tuple(denied_markers)
    needles = tuple(rule.needle.lower() for rule in hosts)
    found = []
    for load in loads:
        reaches = load.url is not None and any(rule.matches(load.url) for rule in hosts)
        names = load.kind == CODE and (
            any(marker in load.value for marker in markers)
            or any(needle in load.value.lower() for needle in needles)
        )
        if reaches or names:
            found.append(load)
    return found


def denied_by(loads: Iterable[Load], vendors: Iterable[str] = ALL_VENDORS) -> list[Load]:
    """The loads of these vendors (all of them by default)."""
    names = tuple(vendors)
    hosts = [rule for name in names for rule in VENDOR_HOSTS[name]]
    markers = [marker for name in names for marker in VENDOR_MARKERS[name]]
    return denied(loads, hosts, markers)


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset``, split as the HTML Standard's srcset parser splits them.

    Candidates with invalid descriptors are kept (fail closed): the browser drops them,
    but no rewriter should rely on that.
    """
    urls: list[str] = []
    i, n = 0, len(value)
    while True:
        while i < n and (value[i] in _WHITESPACE or value[i] == ","):
            i += 1
        if i >= n:
            return urls
        start = i
        while i < n and value[i] not in _WHITESPACE:
            i += 1
        candidate = value[start:i]
        if candidate.endswith(","):
            urls.append(candidate.rstrip(","))
            continue
        urls.append(candidate)
        # Descriptors run to a comma that is not inside parentheses.
        in_parens = False
        while i < n:
            c = value[i]
            if c == "(":
                in_parens = True
            elif c == ")":
                in_parens = False
            elif c == "," and not in_parens:
                i += 1
                break
            i += 1


def data_url_document(url: str) -> str | None:
    """The text of a ``data:`` URL whose MIME type is a document, else None."""
    if url[:5].lower() != "data:":
        return None
    header, comma, body = url[5:].partition(",")
    if not comma:
        return None
    params = [p.strip(_WHITESPACE) for p in header.split(";")]
    mime = params[0].lower() or "text/plain"
    if mime not in DOCUMENT_TYPES:
        return None
    raw = urllib.parse.unquote_to_bytes(body)
    if params[-1].lower() == "base64" and len(params) > 1:
        squeezed = re.sub(rb"[\t\n\f\r ]", b"", raw).rstrip(b"=")
        try:
            raw = base64.b64decode(squeezed + b"=" * (-len(squeezed) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
    charset = "utf-8"
    for param in params[1:]:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip('"') or charset
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def resolve(value: str, base: str) -> str | None:
    """``value`` parsed as a URL against ``base``, as a browser does; None on failure."""
    try:
        return ada_url.URL(value, base).href
    except ValueError:
        return None


_WHITESPACE = "\t\n\f\r "


def _split(tag: Any) -> tuple[str, str] | None:
    if not isinstance(tag, str):  # comments and processing instructions
        return None
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _attributes(element: Any) -> Iterator[tuple[str, str, str]]:
    """(namespace, local name, value) of each attribute."""
    for name, value in element.attrib.items():
        namespace, local = _split(name) or ("", name)
        yield namespace, local, value


class _Walk:
    def __init__(self, scripting: bool, templates: bool, copies: bool, code: bool) -> None:
        self.scripting = scripting
        self.templates = templates
        self.copies = copies
        self.code = code

    def document(self, text: str, url: str, frames: tuple[str, ...], depth: int) -> Iterator[Load]:
        parser = _parser()
        root = parser.parse(text.lstrip("\ufeff"), scripting=self.scripting)
        self.base = url
        self.fallback = url
        self.base_set = False
        yield from self._element(root, frames, depth)

    def _element(self, element: Any, frames: tuple[str, ...], depth: int) -> Iterator[Load]:
        split = _split(element.tag)
        if split is not None:
            namespace, local = split
            if namespace in _PREFIXES:
                yield from self._loads(element, namespace, local, frames, depth)
            if namespace == HTML_NS and local == "template" and not self.templates:
                return
            if namespace == HTML_NS and local == "noscript" and self.copies:
                # Its text, as a script copying it into the page would insert it.
                inner = _Walk(self.scripting, self.templates, self.copies, self.code)
                inner.base, inner.fallback, inner.base_set = self.base, self.fallback, True
                fragment = "".join(element.itertext())
                yield from inner._element(_fragment(fragment, self.scripting), frames, depth)
                return
        for child in element:
            yield from self._element(child, frames, depth)

    def _loads(
        self, element: Any, namespace: str, local: str, frames: tuple[str, ...], depth: int
    ) -> Iterator[Load]:
        name = _PREFIXES[namespace] + local
        attrs = {(ns, n): v for ns, n, v in _attributes(element)}
        html = namespace == HTML_NS

        def fetch(attribute: str, value: str) -> Load:
            return Load(FETCH, name, attribute, value, resolve(value, self.base), frames)

        if html and local == "base" and ("", "href") in attrs and not self.base_set:
            self.base_set = True
            url = resolve(attrs["", "href"], self.fallback)
            if url is not None and not url.startswith(("data:", "javascript:")):
                self.base = url
        if self.code:
            for (ns, attr), value in attrs.items():
                if not ns and attr.lower().startswith("on"):
                    yield Load(CODE, name, attr, value, None, frames)
        if local == "script" and namespace in (HTML_NS, SVG_NS):
            if self.code and _runs(attrs):
                refs = _SCRIPT_REFS if html else _SVG_REFS
                present = [(attr, attrs[key]) for attr, key in refs if key in attrs]
                if present:
                    yield from (fetch(a, v) for a, v in present)
                else:
                    body = "".join(element.itertext())
                    yield Load(CODE, name, "#text", body, None, frames)
            return
        if not html:
            if namespace == SVG_NS and local in SVG_HREF_ELEMENTS:
                for attr, key in _SVG_REFS:
                    if key in attrs:
                        yield fetch(attr, attrs[key])
            return
        for attr in HTML_URL_ATTRIBUTES.get(local, ()):
            if ("", attr) in attrs:
                yield from self._url(name, attr, attrs["", attr], local, frames, depth)
        for attr in HTML_SRCSET_ATTRIBUTES.get(local, ()):
            if ("", attr) in attrs:
                for candidate in srcset_urls(attrs["", attr]):
                    yield fetch(attr, candidate)
        image_input = attrs.get(("", "type"), "").strip(_WHITESPACE).lower() == "image"
        if local == "input" and image_input and ("", "src") in attrs:
            yield fetch("src", attrs["", "src"])
        if local in BACKGROUND_ELEMENTS and ("", "background") in attrs:
            yield fetch("background", attrs["", "background"])
        if local == "meta" and attrs.get(("", "http-equiv"), "").lower() == "refresh":
            target = _refresh_url(attrs.get(("", "content"), ""))
            if target:
                yield fetch("content", target)
        if local == "iframe" and ("", "srcdoc") in attrs and depth < MAX_DEPTH:
            srcdoc = attrs["", "srcdoc"]
            yield Load(DOCUMENT, name, "srcdoc", srcdoc, "about:srcdoc", frames)
            yield from self._nested(srcdoc, self.base, (*frames, "srcdoc"), depth)

    def _url(
        self, name: str, attr: str, value: str, local: str, frames: tuple[str, ...], depth: int
    ) -> Iterator[Load]:
        url = resolve(value, self.base)
        if local in NESTING_ELEMENTS and url is not None:
            if url.startswith("javascript:"):
                if self.code:
                    code = urllib.parse.unquote(url.removeprefix("javascript:"))
                    yield Load(CODE, name, attr, code, None, frames)
                return
            nested = data_url_document(url)
            if nested is not None:
                yield Load(DOCUMENT, name, attr, value, url, frames)
                if depth < MAX_DEPTH:
                    yield from self._nested(nested, url, (*frames, "data:"), depth)
                return
        yield Load(FETCH, name, attr, value, url, frames)

    def _nested(self, text: str, url: str, frames: tuple[str, ...], depth: int) -> Iterator[Load]:
        inner = _Walk(self.scripting, self.templates, self.copies, self.code)
        yield from inner.document(text, url, frames, depth + 1)


def _parser() -> Any:
    return html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"))


def _fragment(text: str, scripting: bool) -> Any:
    """``text`` parsed as the body of a document (innerHTML on a ``div``)."""
    parser = _parser()
    return parser.parseFragment(text, container="div", scripting=scripting)


def readings_diverge(page: str | bytes, *, encoding: str = "utf-8") -> bool:
    """Whether browsers with and without scripting disagree on what is markup.

    Scripting on, ``noscript`` content is text up to the first ``</noscript>``; scripting
    off, it is markup, and a ``</noscript>`` inside one of its attribute values, comments
    or raw-text elements does not end it: past that point, markup to one reading is text
    to the other. consentkit follows the scripting-on reading there (docs/middleware.md,
    "Known limits"), so the scripting-off reading of such a page is not judged.
    """
    text = page if isinstance(page, str) else page.decode(encoding, errors="replace")
    return _hidden_ends(text, scripting=False) > _hidden_ends(text, scripting=True)


def _hidden_ends(text: str, scripting: bool) -> int:
    """How many ``</noscript`` the tree holds as text, comments or attribute values."""
    parser = _parser()
    count = 0
    for element in parser.parse(text, scripting=scripting).iter():
        values = [element.text or "", element.tail or "", *element.attrib.values()]
        count += sum(value.lower().count("</noscript") for value in values)
    return count


def _runs(attrs: Mapping[tuple[str, str], str]) -> bool:
    """Whether a script's type makes it run (HTML Standard, "prepare the script element")."""
    if ("", "type") in attrs:
        kind = attrs["", "type"].strip(_WHITESPACE)
    elif attrs.get(("", "language")):
        kind = "text/" + attrs["", "language"]
    else:
        kind = ""
    essence = kind.split(";")[0].strip(_WHITESPACE).lower()
    return essence in ("", "module", "speculationrules") or essence in JAVASCRIPT_TYPES


def _refresh_url(content: str) -> str | None:
    """The URL of a ``meta refresh`` (HTML Standard, "shared declarative refresh steps")."""
    match = re.match(
        r"[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,]?[\t\n\f\r ]*(?:url[\t\n\f\r ]*=[\t\n\f\r ]*)?(.*)",
        content,
        re.IGNORECASE | re.DOTALL,
    )
    if not match or not match.group(1):
        return None
    target = match.group(1)
    if target[:1] in ("'", '"'):
        target = target[1:].split(target[0])[0]
    return target or None
