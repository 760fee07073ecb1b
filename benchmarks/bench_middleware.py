"""Per-request cost of the middleware: the demo app wrapped vs bare, in the same run.

In process: the demo site's ~2 KB home page, called directly (WSGI) or through a
minimal ASGI driver, with the visitor's consent granted and denied. Targets (issue 3):
wrapped >= 0.95x bare throughput for WSGI, >= 0.90x for ASGI. Over loopback: the
same site under gunicorn and uvicorn, driven by wrk when it is installed.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _timing import per_call_ns

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "plus-que-pro"
sys.path.insert(0, str(DEMO))

import asgi_app  # noqa: E402  (the demo lives outside the package)
import wsgi_app  # noqa: E402
from site_pages import CATALOGUE, CONFIG  # noqa: E402

from consentkit import Consent  # noqa: E402

TARGETS = {"WSGI": 0.95, "ASGI": 0.90}


def _environ(cookie: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def wsgi_call(app: Any, cookie: str) -> bytes:
    result = app(_environ(cookie), _start_response)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def asgi_call(app: Any, cookie: str) -> bytes:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie.encode("latin-1"))],
    }
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    coroutine = app(scope, receive, send)
    # Drive the coroutine by hand: an event loop per call would dwarf both sides.
    with contextlib.suppress(StopIteration):
        coroutine.send(None)
    return b"".join(body)


def in_process() -> None:
    signer = CONFIG.signer
    cookies = {
        # After a refusal the browser no longer holds `_ga`: it was expired once.
        "denied": "sessionid=abc; consentkit=" + signer.dumps(Consent.refuse_all(CATALOGUE)),
        "granted": "_ga=GA1.1.1.2; sessionid=abc; consentkit="
        + signer.dumps(Consent.accept_all(CATALOGUE)),
    }
    size = len(wsgi_call(wsgi_app.site, ""))
    print(f"demo home page: {size} bytes; wrapped/bare throughput (higher is better)")
    drivers = {
        "WSGI": (wsgi_call, wsgi_app.site, wsgi_app.app),
        "ASGI": (asgi_call, asgi_app.site, asgi_app.app),
    }
    for kind, (call, bare, wrapped) in drivers.items():
        for state, cookie in cookies.items():
            bare_ns = per_call_ns(lambda call=call, bare=bare, cookie=cookie: call(bare, cookie))
            wrapped_ns = per_call_ns(
                lambda call=call, wrapped=wrapped, cookie=cookie: call(wrapped, cookie)
            )
            ratio = bare_ns / wrapped_ns
            verdict = "met" if ratio >= TARGETS[kind] else "missed"
            print(
                f"{kind} {state:<8} bare {bare_ns / 1000:7.2f} µs  "
                f"wrapped {wrapped_ns / 1000:7.2f} µs  "
                f"throughput {ratio:.2f}x  (target >= {TARGETS[kind]:.2f}x: {verdict})"
            )


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
    if os.environ.get("CONSENTKIT_BENCH_LOOPBACK", "1") == "1":
        over_loopback()


if __name__ == "__main__":
    main()
