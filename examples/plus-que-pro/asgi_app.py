"""The demo site as a pure ASGI app, wrapped by consentkit; `make demo-asgi` runs it on uvicorn."""

from __future__ import annotations

from typing import Any

from site_pages import ACCOUNT_COOKIE, CONFIG, ROUTES, gzipped_home, stream_chunks

from consentkit import ASGIConsentMiddleware, get_consent

HTML = (b"content-type", b"text/html; charset=utf-8")


async def site(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    path = scope["path"]
    if path == "/flux":
        await send({"type": "http.response.start", "status": 200, "headers": [HTML]})
        for chunk in stream_chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/gzip":
        body = gzipped_home()
        headers = [
            HTML,
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    render = ROUTES.get(path)
    if render is None:
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": b"Page introuvable\n"})
        return
    body = render(get_consent(scope))
    headers = [HTML, (b"content-length", str(len(body)).encode())]
    if path == "/mon-compte":
        headers.append((b"set-cookie", ACCOUNT_COOKIE.encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = ASGIConsentMiddleware(site, CONFIG)
