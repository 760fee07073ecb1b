"""ASGI details of the middleware: scopes it leaves alone, and no shared state."""

from __future__ import annotations

import asyncio
from typing import Any

from consentkit import ASGIConsentMiddleware, Catalogue, ConsentConfig
from tests import apps
from tests.helpers import SECRET


def middleware(catalogue: Catalogue, app: Any) -> ASGIConsentMiddleware:
    return ASGIConsentMiddleware(app, ConsentConfig(catalogue=catalogue, secret_keys=[SECRET]))


def test_non_http_scopes_pass_through(catalogue: Catalogue) -> None:
    """Lifespan and websocket scopes reach the app exactly as they came."""
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    wrapped = middleware(catalogue, app)
    for scope in ({"type": "lifespan"}, {"type": "websocket", "path": "/ws", "headers": []}):
        asyncio.run(wrapped(scope, None, None))  # type: ignore[arg-type]
    assert [s["type"] for s in seen] == ["lifespan", "websocket"]
    assert "consentkit.consent" not in seen[1]


def test_no_state_on_self(catalogue: Catalogue) -> None:
    """Concurrent requests don't share a stream: the middleware keeps nothing per request."""
    wrapped = middleware(catalogue, apps.asgi_app)
    before = dict(vars(wrapped))

    async def one(path: str) -> bytes:
        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"host", b"x.test")]}
        await wrapped(scope, receive, send)
        return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    async def both() -> list[bytes]:
        return list(await asyncio.gather(one("/split"), one("/json"), one("/")))

    split, json_body, page = asyncio.run(both())
    assert split == page
    assert json_body == apps.ROUTES["/json"][2][0]
    assert vars(wrapped) == before


def test_pathsend_is_withheld_from_the_app(catalogue: Catalogue) -> None:
    """An HTML file can't skip the rewriting by being sent by path."""
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        pass

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "extensions": {"http.response.pathsend": {}, "other": {}},
    }
    asyncio.run(middleware(catalogue, app)(scope, None, send))  # type: ignore[arg-type]
    assert seen[0]["extensions"] == {"other": {}}


def run(catalogue: Catalogue, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the server receives when the wrapped app sends these messages."""
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"x.test")]}
    asyncio.run(middleware(catalogue, app)(scope, receive, send))
    return sent


HTML_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/html"), (b"content-length", b"999")],
}


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def length_of(message: dict[str, Any]) -> list[bytes]:
    return [value for name, value in message["headers"] if name.lower() == b"content-length"]


def test_a_body_in_one_message_gets_its_exact_length(catalogue: Catalogue) -> None:
    """An HTML body sent whole is rewritten in one go, and its start says how long it is."""
    sent = run(catalogue, [HTML_START, {"type": "http.response.body", "body": apps.PAGE}])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert length_of(sent[0]) == [str(len(sent[1]["body"])).encode()]
    assert b"data-consentkit-src" in sent[1]["body"]


def test_a_streamed_body_has_no_length(catalogue: Catalogue) -> None:
    """Sent in several messages, the body streams and its start carries no length."""
    chunks = [apps.PAGE[:70], apps.PAGE[70:]]
    sent = run(
        catalogue,
        [HTML_START]
        + [{"type": "http.response.body", "body": c, "more_body": True} for c in chunks]
        + [{"type": "http.response.body", "body": b""}],
    )
    assert sent[0]["type"] == "http.response.start"
    assert length_of(sent[0]) == []
    whole = run(catalogue, [HTML_START, {"type": "http.response.body", "body": apps.PAGE}])
    assert body_of(sent) == body_of(whole)


def test_a_start_without_body_still_reaches_the_server(catalogue: Catalogue) -> None:
    """An app that starts a response and sends nothing more: the start is not lost."""
    sent = run(catalogue, [HTML_START])
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert length_of(sent[0]) == []
