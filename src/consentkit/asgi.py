"""ASGI middleware: the same enforcement as the WSGI one, pure ASGI.

Nothing per request is kept on ``self``: each call's state lives in its own
closure. Non-HTTP scopes (websocket, lifespan) pass through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from consentkit._http import (
    declared_length,
    scope_client,
    scope_headers,
    scope_host,
    too_large,
)
from consentkit.config import ConsentConfig
from consentkit.endpoints import EndpointRequest, handle
from consentkit.engine import CONSENT_KEY, BodyStream, Engine

__all__ = ["ASGIConsentMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ASGIConsentMiddleware:
    """Wrap an ASGI app so that it only tracks visitors who consented.

    Works as ``app.add_middleware(ASGIConsentMiddleware, config=config)`` in
    Starlette and FastAPI. The app reads the visitor's consent with
    :func:`consentkit.get_consent` on its ``scope``.
    """

    def __init__(self, app: ASGIApp, config: ConsentConfig) -> None:
        self.app = app
        self.engine = Engine(config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = self.engine
        if engine.is_endpoint(scope["path"]):
            await self._endpoint(scope, receive, send)
            return
        headers = scope_headers(scope)
        ctx = engine.for_request(
            scope["method"],
            scope_host(scope, headers),
            headers.get("cookie"),
            user_agent=headers.get("user-agent"),
            accept_language=headers.get("accept-language"),
            path=scope["path"],
        )
        scope = dict(scope)
        scope[CONSENT_KEY] = ctx.consent
        extensions = scope.get("extensions")
        if extensions and "http.response.pathsend" in extensions:
            # A file sent by path would skip the rewriting of its body; let the app
            # send its bytes instead.
            scope["extensions"] = {
                k: v for k, v in extensions.items() if k != "http.response.pathsend"
            }
        stream: BodyStream | None = None
        # An HTML response's start, held back until its first body message: when that
        # is the whole body, the start gets its exact Content-Length.
        held: Message | None = None

        async def send_rewritten(message: Message) -> None:
            nonlocal stream, held
            kind = message["type"]
            if kind == "http.response.start":
                raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
                new, stream = ctx.response_headers(message["status"], raw)
                message = dict(message)
                message["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in new]
                if stream is not None:
                    held = message
                    return
            elif kind == "http.response.body" and stream is not None:
                message = dict(message)
                if message.get("more_body", False):
                    message["body"] = stream.feed(message.get("body", b""))
                else:
                    message["body"] = body = stream.finish(message.get("body", b""))
                    if held is not None:
                        held["headers"].append((b"content-length", b"%d" % len(body)))
            if held is not None:
                start, held = held, None
                await send(start)
            await send(message)

        await self.app(scope, receive, send_rewritten)
        if held is not None:  # the app started a response and sent no body: pass it on
            await send(held)

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        engine = self.engine
        headers = scope_headers(scope)
        limit = engine.config.max_body
        declared = declared_length(headers.get("content-length"))
        if declared is not None and declared > limit:
            body = too_large(limit)
        else:
            body = await _read_body(receive, limit + 1)
        request = EndpointRequest(
            method=scope["method"].upper(),
            path=scope["path"][len(engine.config.mount_path) :] or "/",
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            scheme=scope.get("scheme", "http"),
            host=scope_host(scope, headers),
            consent=engine.read_consent(headers.get("cookie")),
            client=scope_client(scope),
        )
        response = handle(engine, request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


async def _read_body(receive: Receive, limit: int) -> bytes:
    """Read the request body, stopping once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit or not message.get("more_body", False):
            break
    return b"".join(chunks)[:limit]
