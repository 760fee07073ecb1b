"""WSGI middleware: consent enforced in the response, PEP 3333 to the letter.

The middleware reads the visitor's consent, serves the consent endpoints under
the mount path, and passes everything else to the app, rewriting its response:
denied ``Set-Cookie`` headers dropped, stale tracker cookies expired, denied
vendors' tags neutralised in HTML. The body streams: it is never buffered whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from types import TracebackType
from typing import Any

from consentkit._http import (
    declared_length,
    environ_client,
    environ_headers,
    environ_host,
    too_large,
)
from consentkit.config import ConsentConfig
from consentkit.endpoints import EndpointRequest, handle
from consentkit.engine import CONSENT_KEY, BodyStream, Engine, RequestContext

__all__ = ["WSGIConsentMiddleware"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WSGIConsentMiddleware:
    """Wrap a WSGI app so that it only tracks visitors who consented.

    The app reads the visitor's consent with :func:`consentkit.get_consent` on its
    ``environ``. Put this middleware *inside* compression (it rewrites HTML, which
    it can't do once compressed) and *outside* sessions and the app.
    """

    def __init__(self, app: WSGIApp, config: ConsentConfig) -> None:
        self.app = app
        self.engine = Engine(config)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        engine = self.engine
        if engine.is_endpoint(environ.get("PATH_INFO", "")):
            return self._endpoint(environ, start_response)
        ctx = engine.for_request(
            environ.get("REQUEST_METHOD", "GET"),
            environ_host(environ),
            environ.get("HTTP_COOKIE"),
            user_agent=environ.get("HTTP_USER_AGENT"),
            accept_language=environ.get("HTTP_ACCEPT_LANGUAGE"),
            path=environ.get("PATH_INFO", ""),
        )
        environ[CONSENT_KEY] = ctx.consent
        response = _Response(ctx, start_response)
        app_iter = self.app(environ, response.start_response)
        response.in_app_call = False
        if response.pending is not None:
            kind = type(app_iter)
            if kind is list or kind is tuple:
                # The whole body is here (a list has no close() to call): rewrite it
                # now, and give the server its exact length.
                return response.whole(app_iter)  # type: ignore[arg-type]
            declared = response.declared
            if declared is not None and declared <= MAX_WHOLE_BODY:
                # Werkzeug (Flask) hands an ordinary page over as an iterator, with its
                # length: that many bytes are the whole body, however many chunks.
                return response.whole(_read(app_iter, declared))
            response.send_headers()
        if response.started and response.stream is None:
            return app_iter  # nothing to rewrite: hand the app's iterable (and file_wrapper) over
        return _Body(app_iter, response)

    def _endpoint(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        engine = self.engine
        limit = engine.config.max_body
        body = b""
        length = declared_length(environ.get("CONTENT_LENGTH") or None)
        stream = environ.get("wsgi.input")
        if length is not None and length > limit:
            body = too_large(limit)
        elif stream is not None and length:
            body = stream.read(length)
        elif stream is not None and length is None and environ.get("wsgi.input_terminated"):
            # Chunked: read to its end, which the server marks (PEP 3333 allows nothing else).
            body = stream.read(limit + 1)
        prefix = engine.config.mount_path
        request = EndpointRequest(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=environ.get("PATH_INFO", "")[len(prefix) :] or "/",
            query=environ.get("QUERY_STRING", ""),
            headers=environ_headers(environ),
            body=body,
            scheme=environ.get("wsgi.url_scheme", "http"),
            host=environ_host(environ),
            consent=engine.read_consent(environ.get("HTTP_COOKIE")),
            client=environ_client(environ),
        )
        response = handle(engine, request)
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", response.headers)
        return [response.body]


#: The largest body with a declared ``Content-Length`` that is read whole before it is
#: rewritten, so the server gets the rewritten length; larger ones are streamed.
MAX_WHOLE_BODY = 1 << 20


def _read(app_iter: Iterable[bytes], length: int) -> list[bytes]:
    """The app's chunks up to ``length`` bytes (or its end), its iterable closed after."""
    chunks: list[bytes] = []
    got = 0
    try:
        for chunk in app_iter:
            chunks.append(chunk)
            got += len(chunk)
            if got >= length:
                break
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return chunks


class _Response:
    """One response's state: whether it started, and the HTML stream if it is rewritten.

    The headers of an HTML response started during the app's call are held back
    (``pending``) until the app has returned: when its body is a list, or an
    iterable of a declared ``Content-Length`` (up to :data:`MAX_WHOLE_BODY`), it is
    rewritten at once and the server gets its exact ``Content-Length``. Anything
    else sends them on at once, as they came: the app's ``write()``, a second
    ``start_response()``, a body of another kind.
    PEP 3333 lets middleware start the response as late as the first body chunk.
    """

    __slots__ = (
        "ctx",
        "declared",
        "in_app_call",
        "pending",
        "server_start_response",
        "server_write",
        "started",
        "stream",
    )

    def __init__(self, ctx: RequestContext, start_response: StartResponse) -> None:
        self.ctx = ctx
        self.server_start_response = start_response
        self.server_write: Callable[[bytes], object] | None = None
        self.started = False
        self.stream: BodyStream | None = None
        self.pending: tuple[str, list[tuple[str, str]]] | None = None
        #: Only a start while the app is being called can wait for the app's return.
        self.in_app_call = True
        #: The app's ``Content-Length``, when it gave one for a body to rewrite.
        self.declared: int | None = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        # Called again with exc_info, it replaces an error's headers: decide afresh. The
        # server re-raises if the first headers were already sent, as PEP 3333 requires.
        if self.pending is not None:
            self.send_headers()  # the server judges a second call as if none were held
        try:
            code = int(status.split(" ", 1)[0])
        except ValueError:
            code = 500
        new_headers, self.stream = self.ctx.response_headers(code, list(headers))
        self.started = True
        if self.stream is not None and exc_info is None and self.in_app_call:
            self.pending = (status, new_headers)
            self.declared = _content_length(headers)
        else:
            self.server_write = self.server_start_response(status, new_headers, exc_info)
        return self.write

    def send_headers(self) -> None:
        """Start the server's response with the headers held back."""
        if self.pending is not None:
            status, headers = self.pending
            self.pending = None
            self.server_write = self.server_start_response(status, headers)

    def whole(self, chunks: list[bytes] | tuple[bytes, ...]) -> list[bytes]:
        """Rewrite a body given whole: one chunk out per chunk in, and the exact length."""
        stream, pending = self.stream, self.pending
        if stream is None or pending is None:  # only called with headers held back
            raise RuntimeError("no rewritten response is waiting for its body")
        if len(chunks) == 1:  # the usual body: one page
            out = [stream.finish(chunks[0])]
        elif chunks:
            last = len(chunks) - 1
            out = [stream.feed(chunk) for chunk in chunks[:last]]
            out.append(stream.finish(chunks[last]))
        else:
            tail = stream.close()
            out = [tail] if tail else []
        status, headers = pending
        self.pending = None
        headers.append(("Content-Length", str(sum(map(len, out)))))
        self.server_write = self.server_start_response(status, headers)
        return out

    def write(self, data: bytes) -> None:
        """The legacy write() callable: data goes through the same rewriting."""
        if self.pending is not None:
            self.send_headers()
        if self.server_write is None:
            raise RuntimeError("write() called before start_response()")
        if self.stream is not None:
            data = self.stream.feed(data)
        if data:
            self.server_write(data)


class _Body:
    """The app's iterable with its chunks rewritten; ``close()`` reaches the app's."""

    __slots__ = ("app_iter", "response")

    def __init__(self, app_iter: Iterable[bytes], response: _Response) -> None:
        self.app_iter = app_iter
        self.response = response

    def __iter__(self) -> Iterator[bytes]:
        response = self.response
        for chunk in self.app_iter:
            stream = response.stream
            # PEP 3333: yield something each time the app yields, even b"", never block.
            yield stream.feed(chunk) if stream is not None else chunk
        if response.stream is not None:
            tail = response.stream.close()
            if tail:
                yield tail

    def close(self) -> None:
        close = getattr(self.app_iter, "close", None)
        if close is not None:
            close()


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    for name, value in headers:
        if name.lower() == "content-length":
            return declared_length(value)
    return None
