"""Reading a response as a browser would get it, and calling an app in process: what
``consentkit audit`` and the assertions of :mod:`consentkit.testing` both need.

The audit is a command, not a test helper: it imports this module, never
``consentkit.testing``, which re-exports the public names here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import io
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from consentkit.catalogue import Catalogue
from consentkit.config import ConsentConfig
from consentkit.consent import Consent
from consentkit.cookies import parse_set_cookie
from consentkit.gate import Gate
from consentkit.html import VendorDetector, VendorSignature
from consentkit.html._inventory import HTML as INVENTORY
from consentkit.html._inventory import URL, URLS
from consentkit.rewrite import is_deletion

__all__ = [
    "WSGIResponse",
    "call_asgi",
    "call_wsgi",
    "status_of",
    "status_text",
    "tracking_held_back",
    "tracking_leaks",
]

_SCRIPT_JS = ("", "module", "text/javascript", "application/javascript")
# What loads something: the middleware's own table (consentkit/html/_inventory.py), with
# the SVG elements that load from href (HTMLParser knows no namespaces).
_LOADING: dict[str, tuple[str, ...]] = {
    tag.decode(): tuple(a.decode() for a, kind in attrs.items() if kind in (URL, URLS))
    for tag, attrs in INVENTORY.items()
}
for _svg in ("script", "image", "feimage", "use"):
    _LOADING[_svg] = (*_LOADING.get(_svg, ()), "href", "xlink:href")


# --- Reading any response ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class WSGIResponse:
    """A response as a WSGI or ASGI app gave it: the status, every header, the whole body."""

    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


@runtime_checkable
class _MultiItems(Protocol):
    """httpx's ``Headers`` (Starlette's ``TestClient``): repeated headers kept apart."""

    def multi_items(self) -> list[tuple[str, str]]: ...


@runtime_checkable
class _WsgiList(Protocol):
    """Werkzeug's ``Headers`` (Flask's test client)."""

    def to_wsgi_list(self) -> list[tuple[str, str]]: ...


@runtime_checkable
class _DjangoResponse(Protocol):
    """Django's ``HttpResponseBase``: one header per name, cookies in ``response.cookies``."""

    cookies: Mapping[str, Any]

    def items(self) -> Iterable[tuple[str, str]]: ...


@runtime_checkable
class _GetData(Protocol):
    """Werkzeug's response: ``get_data()`` returns the body, streamed ones included."""

    def get_data(self) -> bytes: ...


def status_of(response: object) -> int:
    if isinstance(response, tuple):
        raw: object = response[0]
    else:
        raw = getattr(response, "status_code", None)
        if raw is None:
            raw = getattr(response, "status", None)  # "200 OK" or 200
    try:
        return int(str(raw).split(" ", 1)[0])
    except ValueError:
        raise TypeError(f"can't read the status of a {type(response).__name__}") from None


def status_text(code: int) -> str:
    """``"404 Not Found"``: the code with its reason phrase, when it has one."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _headers(response: object) -> list[tuple[str, str]]:
    if isinstance(response, tuple):
        return [(str(k), str(v)) for k, v in response[1]]
    headers = getattr(response, "headers", None)
    if isinstance(headers, _MultiItems):
        return list(headers.multi_items())
    if isinstance(headers, _WsgiList):
        return list(headers.to_wsgi_list())
    if isinstance(response, _DjangoResponse):
        out = [(str(k), str(v)) for k, v in response.items()]
        return out + [("Set-Cookie", m.OutputString()) for m in response.cookies.values()]
    if isinstance(headers, list):
        return [(str(k), str(v)) for k, v in headers]
    raise TypeError(f"can't read the headers of a {type(response).__name__}")


def _body(response: object) -> bytes:
    if isinstance(response, tuple):
        raw: object = response[2]
    elif isinstance(response, _GetData):
        raw = response.get_data()
    elif isinstance(response, WSGIResponse):
        raw = response.body
    elif getattr(response, "streaming", False):  # Django's streaming responses
        raw = b"".join(getattr(response, "streaming_content", ()))
    else:
        raw = getattr(response, "content", b"")
    if not isinstance(raw, bytes):
        raw = b"".join(raw) if isinstance(raw, Iterable) and not isinstance(raw, str) else b""
    return raw


def _decoded(body: bytes, headers: Sequence[tuple[str, str]]) -> bytes:
    """The body as the browser reads it; httpx has already decoded, the others have not."""
    encoding = ",".join(v for k, v in headers if k.lower() == "content-encoding").lower()
    if "gzip" in encoding and body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    if "deflate" in encoding:
        try:
            return zlib.decompress(body)
        except zlib.error:
            return body
    return body


# --- Finding leaks ------------------------------------------------------------------------


class _TagScanner(HTMLParser):
    """Every tag that would load or run something, with its vendor when one is known."""

    def __init__(self, detector: VendorDetector) -> None:
        super().__init__(convert_charrefs=True)
        self.detector = detector
        #: (vendor, what, line) for every loading tag of a known vendor.
        self.active: list[tuple[str, str, int]] = []
        #: (vendor, what, line) for every tag left neutralised for a vendor.
        self.inert: list[tuple[str, str, int]] = []
        self._script: tuple[str, int, bool] | None = None  # start tag, line, runs
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _LOADING:
            return
        values = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        shown = _shown(tag, values)
        marked = values.get("data-consentkit-vendor")
        runs = tag != "script" or _is_js(values.get("type"))
        live = [values[a] for a in _LOADING[tag] if values.get(a)]
        vendor = marked or next(
            (v for url in live for part in url.split(",") if (v := self._vendor(part))),
            None,
        )
        if tag == "script" and not live:
            self._script = (shown, line, runs)
            self._text = []
            if marked and not runs:
                self.inert.append((marked, shown, line))
            return
        if vendor is None:
            return
        if live and runs:
            self.active.append((vendor, shown, line))
        elif marked:
            self.inert.append((marked, shown, line))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self._script is None:
            return
        shown, line, runs = self._script
        self._script = None
        vendor = self.detector.vendor_for_inline("".join(self._text))
        if vendor is not None and runs:
            self.active.append((vendor, f"{shown} (inline)", line))

    def _vendor(self, url: str) -> str | None:
        url = url.strip().split(" ", 1)[0]
        return self.detector.vendor_for_url(url) if url else None


def _is_js(kind: str | None) -> bool:
    return (
        kind is None
        or kind.split(";")[0].strip().lower() in _SCRIPT_JS
        or ("javascript" in kind.lower() or "ecmascript" in kind.lower())
    )


def _shown(tag: str, values: Mapping[str, str]) -> str:
    loading = _LOADING[tag]
    for attr in (*loading, *(f"data-consentkit-{a}" for a in loading)):
        if values.get(attr):
            url = values[attr]
            parts = urlsplit(url)
            short = url if len(url) <= 80 else f"{parts.scheme}://{parts.netloc}{parts.path}…"
            return f'<{tag} {attr}="{short}">'
    return f"<{tag}>"


def _scan(body: bytes, catalogue: Catalogue) -> _TagScanner:
    detector = _detector(catalogue)
    scanner = _TagScanner(detector)
    scanner.feed(body.decode("utf-8", "replace"))
    scanner.close()
    return scanner


_DETECTORS: dict[int, tuple[Catalogue, VendorDetector]] = {}


def _detector(catalogue: Catalogue) -> VendorDetector:
    """A vendor detector built as the middleware's is, so both recognise the same tags."""
    cached = _DETECTORS.get(id(catalogue))
    if cached is None or cached[0] is not catalogue:
        detector = VendorDetector(
            VendorSignature(v.id, v.url_patterns, v.inline_markers)
            for v in catalogue.vendors
            if v.url_patterns or v.inline_markers
        )
        cached = _DETECTORS[id(catalogue)] = (catalogue, detector)
    return cached[1]


def _is_html(headers: Sequence[tuple[str, str]]) -> bool:
    kinds = [v.lower() for k, v in headers if k.lower() == "content-type"]
    return not kinds or any("html" in kind for kind in kinds)


def tracking_leaks(
    response: object,
    catalogue: Catalogue | ConsentConfig,
    consent: Consent | None = None,
    *,
    strict: bool = False,
) -> list[str]:
    """What in ``response`` tracks beyond ``consent``: one sentence per leak, or none.

    A leak is a ``Set-Cookie`` storing a cookie the consent doesn't allow (deletions
    never leak), and, in an HTML body, a ``<script>``, ``<iframe>``, ``<img>``, ``<link>``
    or media element (``<video>``, ``<audio>``, ``<source>``, ``<embed>``, ``<object>``) of a
    denied vendor that would load or run. With ``strict``, cookies no
    catalogue rule declares leak too.
    """
    cat = catalogue.catalogue if isinstance(catalogue, ConsentConfig) else catalogue
    gate = Gate(cat, consent, strict=strict)
    headers = _headers(response)
    leaks = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        cookie = parse_set_cookie(value)
        if cookie is None or is_deletion(cookie.max_age, cookie.expires):
            continue
        verdict = gate.verdict(cookie.name)
        if verdict == "deny":
            rule = cat.rule_for(cookie.name)
            who = f" (vendor {rule.vendor!r})" if rule is not None and rule.vendor else ""
            leaks.append(f"Set-Cookie stores {cookie.name!r}{who}, which is not allowed")
        elif verdict == "undeclared" and strict:
            leaks.append(f"Set-Cookie stores {cookie.name!r}, which no catalogue rule declares")
    if _is_html(headers):
        scanner = _scan(_decoded(_body(response), headers), cat)
        for vendor, shown, line in scanner.active:
            if not gate.allows_vendor(vendor):
                leaks.append(f"line {line}: {shown} of vendor {vendor!r} would load or run")
    return leaks


def tracking_held_back(
    response: object,
    catalogue: Catalogue | ConsentConfig,
    consent: Consent | None = None,
    *,
    vendors: Iterable[str] = (),
) -> list[str]:
    """What in ``response`` holds back what ``consent`` allows: one sentence per problem.

    The opposite of :func:`tracking_leaks`, and what shows that a site honoured a
    choice: a ``Set-Cookie`` deleting a cookie the consent allows, a tag of an allowed
    vendor left neutralised, a tag neutralised for a vendor the catalogue doesn't know
    (no consent can ever bring it to life: a typo, or another catalogue than the
    site's), and each of ``vendors`` with no tag that would load or run in the page.
    ``consent=None`` means "everything accepted". The status is not judged.

    .. versionadded:: 0.1
    """
    cat = catalogue.catalogue if isinstance(catalogue, ConsentConfig) else catalogue
    if consent is None:
        consent = Consent.accept_all(cat)
    gate = Gate(cat, consent)
    headers = _headers(response)
    problems = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        cookie = parse_set_cookie(value)
        if (
            cookie is not None
            and is_deletion(cookie.max_age, cookie.expires)
            and gate.verdict(cookie.name) == "allow"
        ):
            problems.append(f"Set-Cookie deletes {cookie.name!r}, which is allowed")
    active: set[str] = set()
    if _is_html(headers):
        scanner = _scan(_decoded(_body(response), headers), cat)
        active = {vendor for vendor, _, _ in scanner.active}
        for vendor, shown, line in scanner.inert:
            if gate.allows_vendor(vendor):
                problems.append(f"line {line}: {shown} of vendor {vendor!r} is still neutralised")
            elif cat.vendor(vendor) is None:
                problems.append(
                    f"line {line}: {shown} is neutralised for vendor {vendor!r}, "
                    "which the catalogue doesn't know"
                )
    for vendor in vendors:
        if not gate.allows_vendor(vendor):
            problems.append(f"vendor {vendor!r} is not allowed by this consent")
        elif vendor not in active:
            problems.append(f"no tag of vendor {vendor!r} would load or run")
    # A cookie is deleted once per domain it may have been set for: said once.
    return list(dict.fromkeys(problems))


# --- Calling an app without a client -------------------------------------------------------


def _request_headers(cookie: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    out = {k.lower(): v for k, v in (headers or {}).items()}
    if cookie is not None:
        out["cookie"] = cookie
    out.setdefault("host", "testserver")
    return out


def call_wsgi(
    app: Callable[..., Iterable[bytes]],
    path: str = "/",
    *,
    method: str = "GET",
    cookie: str | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> WSGIResponse:
    """Call a WSGI app once, in process, and collect its whole response."""
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)) if body else "",
    }
    for name, value in _request_headers(cookie, headers).items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], object]:
        started[:] = [(status, list(response_headers))]
        return written.append

    result = app(environ, start_response)
    try:
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, response_headers = started[0]
    return WSGIResponse(int(status.split(" ", 1)[0]), response_headers, b"".join(written))


def call_asgi(
    app: Callable[..., Awaitable[None]],
    path: str = "/",
    *,
    method: str = "GET",
    cookie: str | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> WSGIResponse:
    """Call an ASGI app once, in a new event loop, and collect its whole response.

    For use outside a running loop (a plain test function); async tests can await the
    app through ``httpx.ASGITransport`` instead.
    """
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in _request_headers(cookie, headers).items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    messages: list[Mapping[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # the app waits for a disconnect: none comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Mapping[str, Any]) -> None:
        messages.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in messages if m["type"] == "http.response.start")
    return WSGIResponse(
        int(start["status"]),
        [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", ())],
        b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"),
    )
