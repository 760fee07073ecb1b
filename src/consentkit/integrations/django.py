"""Django: a ``MIDDLEWARE`` entry, ``request.consent``, a context processor and template filters.

.. code-block:: python

    # settings.py
    CONSENTKIT = {"catalogue": BASE_DIR / "catalogue.toml", "secret_keys": [...]}
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.gzip.GZipMiddleware",            # outside: compresses last
        "consentkit.integrations.django.ConsentMiddleware",  # sees the HTML uncompressed
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]

The middleware is consentkit's engine behind Django's request and response objects:
the same :class:`~consentkit.engine.RequestContext` decides the headers and rewrites
the body, and the same :func:`~consentkit.endpoints.handle` answers under the mount
path, so what is enforced can't drift from the WSGI and ASGI middleware. Bodies:

- an ``HttpResponse`` has its ``content`` rewritten at once, and a correct
  ``Content-Length``;
- a ``StreamingHttpResponse`` (sync or async iterator) or a ``FileResponse`` is
  rewritten as it streams, and loses ``Content-Length``; a ``FileResponse`` no longer
  goes to the server's ``wsgi.file_wrapper``, which would send the file unrewritten.

Django keeps cookies in ``response.cookies``, one per name, but a stale ``_ga`` must be
expired once per domain it may have been set on; those headers go out through
morsels that write their ``Set-Cookie`` value verbatim, which Django's WSGI and ASGI
handlers, and its test client, all accept.

**Order.** Django runs ``MIDDLEWARE`` top to bottom on the request and bottom to top on
the response. List this middleware *after* ``GZipMiddleware`` (it must see HTML before
it is compressed: a compressed body is passed through untouched, GA included) and
*before* the rest (so it sees their ``Set-Cookie`` headers too). It refuses to start
the other way round.

**CSRF.** The consent endpoint answers before any view runs, so ``CsrfViewMiddleware``
never checks it: it needs no token from the banner because it refuses cross-site
writes itself (``Sec-Fetch-Site: cross-site`` or a foreign ``Origin`` get a 403).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Container, Iterable, Iterator
from functools import cache
from http.cookies import Morsel, SimpleCookie
from typing import Any, TypeAlias

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django import template
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from consentkit._http import (
    declared_length,
    environ_client,
    environ_headers,
    environ_host,
    too_large,
)
from consentkit.consent import Consent
from consentkit.cookies import parse_set_cookie
from consentkit.endpoints import EndpointRequest, handle
from consentkit.engine import CONSENT_KEY, BodyStream, Engine, RequestContext
from consentkit.exceptions import ConfigurationError
from consentkit.gate import Gate
from consentkit.integrations import config_from_settings

__all__ = [
    "SETTING",
    "ConsentMiddleware",
    "allows_purpose",
    "allows_vendor",
    "context_processor",
    "get_engine",
    "register",
]

#: The name of the settings dict: ``settings.CONSENTKIT``.
SETTING = "CONSENTKIT"
_GATE_ATTR = "consent_gate"
_GZIP = "django.middleware.gzip.GZipMiddleware"
_SELF = f"{__name__}.ConsentMiddleware"

GetResponse: TypeAlias = Callable[[HttpRequest], Any]

#: The template library: ``TEMPLATES[...]["OPTIONS"]["libraries"] = {"consentkit":
#: "consentkit.integrations.django"}``, then ``{% load consentkit %}``.
register = template.Library()


@cache
def get_engine() -> Engine:
    """The engine built from ``settings.CONSENTKIT``, once per process.

    :raises ConfigurationError: when the setting is missing or invalid, at the first
        request's start-up (Django builds its middleware before serving).
    """
    raw = getattr(settings, SETTING, None)
    if not isinstance(raw, dict):
        raise ConfigurationError(
            "settings.CONSENTKIT must be a dict such as "
            "{'catalogue': 'catalogue.toml', 'secret_keys': ['...']}",
            source="settings.CONSENTKIT",
        )
    return Engine(config_from_settings(raw, "settings.CONSENTKIT"))


def _check_order(middleware: list[str]) -> None:
    """Refuse GZip inside consentkit: HTML would be compressed first, and never neutralised."""
    if (
        _SELF in middleware
        and _GZIP in middleware
        and middleware.index(_GZIP) > middleware.index(_SELF)
    ):
        raise ConfigurationError(
            f"{_GZIP} is listed after {_SELF}: it would compress pages before consentkit "
            "sees them, and a compressed page passes untouched. List GZipMiddleware first.",
            source="settings.MIDDLEWARE",
        )


class ConsentMiddleware:
    """Enforce consent on every response; set ``request.consent`` for views.

    ``request.consent`` is the visitor's valid :class:`~consentkit.Consent`, or ``None``
    before any choice and for any token that isn't valid; ``request.consent_gate`` is
    the :class:`~consentkit.Gate` that answers for vendors and purposes (essential ones
    are allowed even without a choice). Works under WSGI and ASGI, sync and async.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        _check_order(list(getattr(settings, "MIDDLEWARE", None) or ()))
        self.engine = get_engine()
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self._acall(request)
        if self.engine.is_endpoint(request.path_info):
            return self._endpoint(request)
        ctx = self._prepare(request)
        response: HttpResponseBase = self.get_response(request)
        return self._finish(ctx, response)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if self.engine.is_endpoint(request.path_info):
            return self._endpoint(request)
        ctx = self._prepare(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        response = await get_response(request)
        return self._finish(ctx, response)

    def _prepare(self, request: HttpRequest) -> RequestContext:
        meta = request.META
        ctx = self.engine.for_request(
            request.method or "GET",
            environ_host(meta),
            meta.get("HTTP_COOKIE"),
            user_agent=meta.get("HTTP_USER_AGENT"),
            accept_language=meta.get("HTTP_ACCEPT_LANGUAGE"),
            path=request.path,
        )
        meta[CONSENT_KEY] = ctx.consent  # for consentkit.get_consent(request.META)
        request.consent = ctx.consent  # type: ignore[attr-defined]
        request.consent_gate = ctx.gate  # type: ignore[attr-defined]
        return ctx

    def _finish(self, ctx: RequestContext, response: HttpResponseBase) -> HttpResponseBase:
        headers = [(str(k), str(v)) for k, v in response.items()]
        headers += [("Set-Cookie", m.OutputString()) for m in response.cookies.values()]
        new, stream = ctx.response_headers(response.status_code, headers)
        _replace_headers(response, headers, new)
        if stream is not None:
            _rewrite_body(response, stream)
        return response

    def _endpoint(self, request: HttpRequest) -> HttpResponse:
        engine = self.engine
        meta = request.META
        limit = engine.config.max_body
        length = declared_length(meta.get("CONTENT_LENGTH") or None)
        if length is not None and length > limit:
            body = too_large(limit)
        elif length:
            body = request.read(limit + 1)
        elif length is None:
            # No length: a chunked body. Django's ASGI request holds it whole; its WSGI
            # request reads nothing, so the server's stream is read when the server
            # says it ends (``wsgi.input_terminated``), as the WSGI adapter does.
            body = request.read(limit + 1)
            stream = meta.get("wsgi.input")
            if not body and stream is not None and meta.get("wsgi.input_terminated"):
                body = stream.read(limit + 1)
        else:
            body = b""
        mount = engine.config.mount_path
        answer = handle(
            engine,
            EndpointRequest(
                method=(request.method or "GET").upper(),
                path=request.path_info[len(mount) :] or "/",
                query=meta.get("QUERY_STRING", ""),
                headers=environ_headers(meta),
                body=body,
                scheme=request.scheme or "http",
                host=environ_host(meta),
                consent=engine.read_consent(meta.get("HTTP_COOKIE")),
                client=environ_client(meta),
            ),
        )
        response = HttpResponse(answer.body, status=answer.status)
        del response.headers["Content-Type"]  # the endpoint says its own, or none (304)
        _replace_headers(response, [], answer.headers)
        return response


class _RawMorsel(Morsel[str]):
    """A ``Set-Cookie`` value written out verbatim, as consentkit made or kept it.

    ``key`` and ``value`` are still set, so Django's test client stores the cookie.
    """

    def __init__(self, raw: str) -> None:
        super().__init__()
        self._raw = raw

    def OutputString(self, attrs: Container[str] | None = None) -> str:
        return self._raw


def _replace_headers(
    response: HttpResponseBase,
    old: list[tuple[str, str]],
    new: Iterable[tuple[str, str]],
) -> None:
    """Make ``response``'s headers and cookies exactly ``new``, which the engine made from
    ``old``: only the headers and cookies that changed are touched (most often, the
    engine only drops a ``Content-Length`` that the rewritten body replaces)."""
    plain = _by_name(new)
    if plain != _by_name(old):
        headers = response.headers
        for name in list(headers):
            if name.lower() not in plain:
                del headers[name]
        for name, value in plain.values():
            if headers.get(name) != value:
                headers[name] = value
    set_cookies = [value for name, value in new if name.lower() == "set-cookie"]
    if set_cookies == [value for name, value in old if name.lower() == "set-cookie"]:
        return
    cookies: SimpleCookie = SimpleCookie()
    for value in set_cookies:
        parsed = parse_set_cookie(value)
        morsel = _RawMorsel(value)
        key = parsed.name if parsed is not None else ""
        morsel.set(key, parsed.value if parsed else "", parsed.value if parsed else "")
        slot = key
        while slot in cookies:  # the same name on several domains: one morsel each
            slot += "\0"
        dict.__setitem__(cookies, slot, morsel)
    response.cookies = cookies


def _by_name(headers: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Headers but ``Set-Cookie`` as Django keeps them: one value per name, whatever its
    case (several are joined), under the lower-cased name."""
    kept: dict[str, tuple[str, str]] = {}
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie":
            continue
        if key in kept:
            first, joined = kept[key]
            kept[key] = (first, f"{joined}, {value}")
        else:
            kept[key] = (name, value)
    return kept


def _rewrite_body(response: HttpResponseBase, stream: BodyStream) -> None:
    if isinstance(response, StreamingHttpResponse):
        if isinstance(response, FileResponse):
            response.file_to_stream = None  # else wsgi.file_wrapper sends the file as is
        content = response.streaming_content
        if isinstance(content, AsyncIterator):
            response.streaming_content = _arewrite(content, stream)
        else:
            response.streaming_content = _rewrite(content, stream)
    elif isinstance(response, HttpResponse):
        response.content = stream.finish(response.content)
        response.headers["Content-Length"] = str(len(response.content))


def _rewrite(chunks: Iterable[object], stream: BodyStream) -> Iterator[bytes]:
    for chunk in chunks:
        yield stream.feed(_bytes(chunk))
    yield stream.close()


async def _arewrite(chunks: AsyncIterator[object], stream: BodyStream) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield stream.feed(_bytes(chunk))
    yield stream.close()


def _bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, memoryview | bytearray):
        return bytes(chunk)
    return str(chunk).encode(settings.DEFAULT_CHARSET)


def context_processor(request: HttpRequest) -> dict[str, Any]:
    """``consent`` and ``consent_gate`` in every template rendered with a request.

    Add ``"consentkit.integrations.django.context_processor"`` to
    ``TEMPLATES[...]["OPTIONS"]["context_processors"]``.
    """
    return {
        "consent": getattr(request, "consent", None),
        "consent_gate": _gate(request),
    }


def _gate(source: object) -> Gate:
    """A gate from a request, a gate, or a consent; anything else allows only essentials."""
    if isinstance(source, Gate):
        return source
    gate = getattr(source, _GATE_ATTR, None)
    if isinstance(gate, Gate):
        return gate
    catalogue = get_engine().catalogue
    return Gate(catalogue, source if isinstance(source, Consent) else None)


@register.filter
def allows_vendor(source: object, vendor_id: str) -> bool:
    """``{% if request|allows_vendor:"youtube" %}``: may this vendor's content render?

    ``source`` is the ``request``, the ``consent_gate`` or the ``consent``. Anything
    else, ``None`` included, allows only essential vendors: content that needs
    consent must fail closed when the template can't tell.
    """
    return _gate(source).allows_vendor(vendor_id)


@register.filter
def allows_purpose(source: object, purpose_id: str) -> bool:
    """``{% if request|allows_purpose:"audience" %}``: is this purpose granted?"""
    return _gate(source).allows_purpose(purpose_id)
