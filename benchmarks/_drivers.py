"""Requests as the benchmarks make them: one WSGI or ASGI call in process, with the
headers a browser sends, and a free port for the servers run over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import Any

#: What a current browser sends along: the middleware reads both.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ACCEPT_LANGUAGE = "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"

#: ``call(app, cookie, path)``: the response body.
Call = Callable[..., bytes]


def environ(cookie: str, path: str = "/") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_COOKIE": cookie,
        "HTTP_USER_AGENT": USER_AGENT,
        "HTTP_ACCEPT_LANGUAGE": ACCEPT_LANGUAGE,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    assert status.startswith("200"), status
    return None


def wsgi_call(app: Any, cookie: str, path: str = "/") -> bytes:
    result = app(environ(cookie, path), _start_response)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def scope(cookie: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", USER_AGENT.encode()),
            (b"accept-language", ACCEPT_LANGUAGE.encode()),
            (b"cookie", cookie.encode("latin-1")),
        ],
    }


def asgi_caller(run: Callable[[Coroutine[Any, Any, None]], object]) -> Call:
    """An ASGI driver that collects the body; ``run`` takes the app's coroutine to its end."""

    def call(app: Any, cookie: str, path: str = "/") -> bytes:
        body: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        run(app(scope(cookie, path), receive, send))
        return b"".join(body)

    return call


def _by_hand(coroutine: Coroutine[Any, Any, None]) -> None:
    # An app that never really awaits finishes on its first step: an event loop per
    # call would dwarf both sides.
    with contextlib.suppress(StopIteration):
        coroutine.send(None)


#: For ASGI apps that never really await.
asgi_call = asgi_caller(_by_hand)


def asgi_loop_call(loop: asyncio.AbstractEventLoop) -> Call:
    """An ASGI driver on one event loop, for apps that really await (FastAPI does)."""
    return asgi_caller(loop.run_until_complete)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
