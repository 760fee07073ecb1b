"""Per-request cost of the middleware: apps wrapped vs bare, in the same run.

In process, with the visitor's consent granted and denied, and the headers a
browser sends (a User-Agent, an Accept-Language):

- the demo site's home page, called directly (WSGI) or through a minimal ASGI
  driver. Targets (issue 3): wrapped >= 0.95x bare throughput for WSGI, >= 0.90x
  for ASGI. The demo app is a ~3 µs function that formats a string: against it no
  middleware that reads a cookie can stay within 5%, so the absolute time added
  per request is printed too;
- the project's framework examples, the Flask app (examples/flask_app) and the
  FastAPI app (examples/fastapi_app), each bare and wrapped in the same run, serving
  the same ~2 KB page: the ratio a real app sees;
- the same framework apps with a page that differs on every request (a CSRF-like
  token in the body) and a Cookie header that does too (a session id), so that no
  cache of whole pages or of headers can help: the cold cost.

Over loopback: the demo site under gunicorn and uvicorn, driven by wrk when it is
installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import itertools
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import ModuleType
from typing import Any

from _timing import per_call_ns

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "plus-que-pro"
sys.path.insert(0, str(DEMO))

import asgi_app  # noqa: E402  (the demo lives outside the package)
import wsgi_app  # noqa: E402
from site_pages import CATALOGUE, CONFIG, GTAG  # noqa: E402

from consentkit import Consent  # noqa: E402

TARGETS = {"WSGI": 0.95, "ASGI": 0.90}
#: What a current browser sends along: the middleware reads both.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ACCEPT_LANGUAGE = "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"
#: The body of the ~2 KB page the framework apps serve: the demo's gtag.js snippet,
#: then text. ``{token}`` is a per-request token in the cold variant, fixed otherwise.
PAGE_2K = (
    '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>Trouvez un professionnel de confiance</title>\n"
    '<link rel="preconnect" href="https://www.google-analytics.com">\n'
    + GTAG
    + '\n</head>\n<body>\n<header><a href="/">Plus que PRO</a></header>\n<main>\n'
    "<h1>Trouvez un professionnel de confiance</h1>\n"
    + "<p>Plus que PRO vous aide à trouver des artisans et entreprises recommandés par "
    "leurs clients, près de chez vous.</p>\n" * 9 + '<form method="post" action="/contact">'
    '<input type="hidden" name="csrf" value="{token}"><button>Envoyer</button></form>\n'
    '</main>\n<footer><a href="/cookies" data-consentkit-open>Gestion des cookies</a>'
    "</footer>\n</body>\n</html>\n"
)
FIXED_TOKEN = "A" * 22  # as long as secrets.token_urlsafe(16)


def _environ(cookie: str, path: str = "/") -> dict[str, Any]:
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
    return None


def wsgi_call(app: Any, cookie: str, path: str = "/") -> bytes:
    result = app(_environ(cookie, path), _start_response)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _scope(cookie: str, path: str) -> dict[str, Any]:
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


def _asgi_caller(run: Callable[[Coroutine[Any, Any, None]], object]) -> Callable[..., bytes]:
    """An ASGI driver that collects the body; ``run`` takes the app's coroutine to its end."""

    def call(app: Any, cookie: str, path: str = "/") -> bytes:
        body: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        run(app(_scope(cookie, path), receive, send))
        return b"".join(body)

    return call


def _by_hand(coroutine: Coroutine[Any, Any, None]) -> None:
    # An app that never really awaits finishes on its first step: an event loop per
    # call would dwarf both sides.
    with contextlib.suppress(StopIteration):
        coroutine.send(None)


asgi_call = _asgi_caller(_by_hand)


def _asgi_loop_call(loop: asyncio.AbstractEventLoop) -> Callable[..., bytes]:
    """An ASGI driver on one event loop, for apps that really await (FastAPI does)."""
    return _asgi_caller(loop.run_until_complete)


def _cookies() -> dict[str, str]:
    signer = CONFIG.signer
    return {
        # After a refusal the browser no longer holds `_ga`: it was expired once.
        "denied": "sessionid=abc; consentkit=" + signer.dumps(Consent.refuse_all(CATALOGUE)),
        "granted": "_ga=GA1.1.1.2; sessionid=abc; consentkit="
        + signer.dumps(Consent.accept_all(CATALOGUE)),
    }


def _compare(
    label: str, kind: str, bare: Callable[[], object], wrapped: Callable[[], object]
) -> None:
    bare_ns = per_call_ns(bare)
    wrapped_ns = per_call_ns(wrapped)
    ratio = bare_ns / wrapped_ns
    verdict = "met" if ratio >= TARGETS[kind] else "missed"
    print(
        f"{label:<22} bare {bare_ns / 1000:7.2f} µs  wrapped {wrapped_ns / 1000:7.2f} µs  "
        f"added {(wrapped_ns - bare_ns) / 1000:6.2f} µs  "
        f"throughput {ratio:.2f}x  (target >= {TARGETS[kind]:.2f}x: {verdict})"
    )


def in_process() -> None:
    cookies = _cookies()
    size = len(wsgi_call(wsgi_app.site, ""))
    print(f"demo home page: {size} bytes; wrapped/bare throughput (higher is better)")
    drivers = {
        "WSGI": (wsgi_call, wsgi_app.site, wsgi_app.app),
        "ASGI": (asgi_call, asgi_app.site, asgi_app.app),
    }
    for kind, (call, bare, wrapped) in drivers.items():
        for state, cookie in cookies.items():
            _compare(
                f"{kind} {state}",
                kind,
                lambda call=call, bare=bare, cookie=cookie: call(bare, cookie),
                lambda call=call, wrapped=wrapped, cookie=cookie: call(wrapped, cookie),
            )


def _load_example(name: str, path: Path) -> ModuleType:
    """Import an example app as its own module: both are called ``app.py``."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flask_apps() -> tuple[Any, Any]:
    """The Flask example as it is built (``ConsentKit(app)``), and the same app unwrapped.

    The extension wraps ``app.wsgi_app``; calling the wrapped method bare runs the
    same app, context processors included, without the middleware.
    """
    import flask

    example = _load_example("flask_example", ROOT / "examples" / "flask_app" / "app.py")
    app = example.app
    template = app.jinja_env.from_string(PAGE_2K.replace("{token}", "{{ token }}"))

    def page_2k() -> str:
        return flask.render_template(template, token=FIXED_TOKEN)

    def page_2k_cold() -> str:
        return flask.render_template(template, token=secrets.token_urlsafe(16))

    app.add_url_rule("/bench-2k", view_func=page_2k)
    app.add_url_rule("/bench-2k-cold", view_func=page_2k_cold)
    bare = app.extensions["consentkit"].middleware.app
    return bare, app


def _fastapi_apps() -> tuple[Any, Any]:
    """The FastAPI example as it is built (``add_middleware``), and its routes bare.

    The page's handler is ``async``: a sync one would go through the thread pool,
    which costs more than the middleware and would flatter the ratio.
    """
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    example = _load_example("fastapi_example", ROOT / "examples" / "fastapi_app" / "app.py")
    wrapped = example.app

    async def page_2k() -> HTMLResponse:
        return HTMLResponse(PAGE_2K.replace("{token}", FIXED_TOKEN))

    async def page_2k_cold() -> HTMLResponse:
        return HTMLResponse(PAGE_2K.replace("{token}", secrets.token_urlsafe(16)))

    wrapped.add_api_route("/bench-2k", page_2k, response_class=HTMLResponse)
    wrapped.add_api_route("/bench-2k-cold", page_2k_cold, response_class=HTMLResponse)
    bare = FastAPI(routes=wrapped.routes)
    return bare, wrapped


def frameworks() -> None:
    try:
        flask_bare, flask_wrapped = _flask_apps()
        fastapi_bare, fastapi_wrapped = _fastapi_apps()
    except ImportError as exc:
        print(f"{exc.name} is not installed (pip install -e '.[test]'): framework figures skipped")
        return
    loop = asyncio.new_event_loop()
    asgi_loop_call = _asgi_loop_call(loop)
    size = len(wsgi_call(flask_wrapped, _cookies()["granted"], "/bench-2k"))
    print(f"\nframework examples, a {size}-byte page (granted), wrapped/bare in the same run")
    cookies = _cookies()
    apps = {
        "Flask": ("WSGI", wsgi_call, flask_bare, flask_wrapped),
        "FastAPI": ("ASGI", asgi_loop_call, fastapi_bare, fastapi_wrapped),
    }
    for name, (kind, call, bare, wrapped) in apps.items():
        for state, cookie in cookies.items():
            _compare(
                f"{name} {state}",
                kind,
                lambda call=call, bare=bare, cookie=cookie: call(bare, cookie, "/bench-2k"),
                lambda call=call, wrapped=wrapped, cookie=cookie: call(
                    wrapped, cookie, "/bench-2k"
                ),
            )
    print("cold: a new token in every page, a new session id in every Cookie header")
    sessions = itertools.count()
    for name, (kind, call, bare, wrapped) in apps.items():
        for state, cookie in cookies.items():

            def cold(call: Any = call, app: Any = None, cookie: str = cookie) -> bytes:
                fresh = cookie.replace("sessionid=abc", f"sessionid={next(sessions)}")
                return bytes(call(app, fresh, "/bench-2k-cold"))

            _compare(
                f"{name} {state} cold",
                kind,
                lambda cold=cold, bare=bare: cold(app=bare),
                lambda cold=cold, wrapped=wrapped: cold(app=wrapped),
            )
    loop.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{argv[2]} did not start")


def _wrk(url: str, cookie: str) -> float:
    result = subprocess.run(
        ["wrk", "-t1", "-c16", "-d5s", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    return float(match.group(1)) if match else 0.0


def over_loopback() -> None:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): loopback figures skipped")
        return
    servers = {
        "gunicorn": ["-m", "gunicorn", "--chdir", str(DEMO), "--workers", "1", "--bind"],
        "uvicorn": ["-m", "uvicorn", "--app-dir", str(DEMO), "--log-level", "warning", "--port"],
    }
    token = CONFIG.signer.dumps(Consent.refuse_all(CATALOGUE))
    print("over loopback, wrk -t1 -c16 -d5s, one server worker, consent refused:")
    for name, prefix in servers.items():
        rates = {}
        for variant, target in (("bare", "site"), ("wrapped", "app")):
            port = _free_port()
            module = "wsgi_app" if name == "gunicorn" else "asgi_app"
            where = f"127.0.0.1:{port}" if name == "gunicorn" else str(port)
            argv = [sys.executable, *prefix, where, f"{module}:{target}"]
            if name == "uvicorn":
                argv += ["--host", "127.0.0.1"]
                if target == "site":
                    argv += ["--lifespan", "off"]
            process = _serve(argv, port)
            try:
                rates[variant] = _wrk(f"http://127.0.0.1:{port}/", f"consentkit={token}")
            finally:
                process.terminate()
                process.wait(timeout=10)
        ratio = rates["wrapped"] / rates["bare"] if rates["bare"] else 0.0
        print(
            f"{name:<9} bare {rates['bare']:8.0f} req/s  wrapped {rates['wrapped']:8.0f} req/s"
            f"  throughput {ratio:.2f}x"
        )


def main() -> None:
    in_process()
    frameworks()
    if os.environ.get("CONSENTKIT_BENCH_LOOPBACK", "1") == "1":
        over_loopback()


if __name__ == "__main__":
    main()
