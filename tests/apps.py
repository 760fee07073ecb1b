"""Tiny real apps for the middleware tests, the same routes in WSGI and ASGI."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from typing import Any

from consentkit import get_consent

GA_ID = "G-TEST000001"
GTAG_LOADER = f'<script async src="https://www.googletagmanager.com/gtag/js?id={GA_ID}"></script>'
GTAG_INLINE = (
    "<script>window.dataLayer = window.dataLayer || [];"
    "function gtag(){dataLayer.push(arguments);}"
    f"gtag('js', new Date());gtag('config', '{GA_ID}');</script>"
)
PAGE = (
    "<!doctype html><html><head><title>t</title>"
    f"{GTAG_LOADER}{GTAG_INLINE}</head><body><p>Bonjour</p>"
    '<a href="/cookies">Gestion des cookies</a></body></html>'
).encode()
PLAIN_PAGE = (
    b"<!doctype html><html><head><title>plain</title></head><body>no trackers</body></html>"
)
GA_COOKIE = "_ga=GA1.1.111.222; Path=/; Max-Age=63072000; SameSite=Lax"

# path -> (status, headers, body chunks)
ROUTES: dict[str, tuple[int, list[tuple[str, str]], list[bytes]]] = {
    "/": (200, [("Content-Type", "text/html; charset=utf-8")], [PAGE]),
    "/plain": (
        200,
        [("Content-Type", "text/html"), ("Content-Length", str(len(PLAIN_PAGE)))],
        [PLAIN_PAGE],
    ),
    "/set-ga": (200, [("Content-Type", "text/html"), ("Set-Cookie", GA_COOKIE)], [PAGE]),
    "/json": (
        200,
        [("Content-Type", "application/json")],
        [b'{"gtag": "<script src=\\"https://www.googletagmanager.com/gtag/js\\">"}'],
    ),
    "/split": (200, [("Content-Type", "text/html")], [PAGE[:70], PAGE[70:75], PAGE[75:]]),
    "/gzip": (
        200,
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        [gzip.compress(PAGE, mtime=0)],
    ),
    "/empty": (204, [], []),
}


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status, headers, chunks = ROUTES.get(
        environ["PATH_INFO"], (404, [("Content-Type", "text/plain")], [b"no"])
    )
    if environ["PATH_INFO"] == "/whoami":
        consent = get_consent(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [(consent.action.value if consent else "none").encode()]
    start_response(f"{status} X", list(headers))
    return list(chunks)


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    if scope["path"] == "/whoami":
        consent = get_consent(scope)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": (consent.action.value if consent else "none").encode(),
            }
        )
        return
    status, headers, chunks = ROUTES.get(
        scope["path"], (404, [("Content-Type", "text/plain")], [b"no"])
    )
    raw = [(k.lower().encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    for i, chunk in enumerate(chunks):
        await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})
    if not chunks:
        await send({"type": "http.response.body", "body": b""})
