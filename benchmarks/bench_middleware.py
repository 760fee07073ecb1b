"""Per-request cost of the middleware: apps wrapped vs bare, in the same run.

Target (issue 13): on a static 2 KB page, in process, the middleware adds at most
10 µs per request, for a first visit (no consent: GA neutralised, the banner's loader
injected) and for an accepted visitor (accept all, ``_ga`` cookies sent), WSGI and
ASGI, with the headers a browser sends. What it costs realistic apps is
``bench_apps.py``'s part.

Over loopback: the example apps on a realistic page under gunicorn and uvicorn,
driven by wrk when it is installed, wrapped/bare.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _drivers import asgi_call, free_port, wsgi_call
from _timing import per_call_ns

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
DEMO = ROOT / "examples" / "plus-que-pro"
sys.path.insert(0, str(DEMO))

from site_pages import CATALOGUE, GTAG  # noqa: E402  (the demo lives outside the package)

from consentkit import (  # noqa: E402
    ASGIConsentMiddleware,
    Consent,
    ConsentConfig,
    WSGIConsentMiddleware,
)

#: The demo's catalogue, without a ledger: this is the middleware's cost alone.
STATIC_CONFIG = ConsentConfig(
    catalogue=CATALOGUE, secret_keys=["bench-key-0123456789abcdef-0123456789"]
)

#: At most this many µs added per request on the static page.
ADDED_TARGET_US = 10.0
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


def _static_apps() -> dict[str, tuple[Callable[..., bytes], Any, Any]]:
    """A WSGI and an ASGI app serving the same static 2 KB page, bare and wrapped."""
    page = PAGE_2K.replace("{token}", FIXED_TOKEN).encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))]
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers]

    def wsgi_site(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [page]

    async def asgi_site(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        await send({"type": "http.response.body", "body": page})

    return {
        "WSGI": (wsgi_call, wsgi_site, WSGIConsentMiddleware(wsgi_site, STATIC_CONFIG)),
        "ASGI": (asgi_call, asgi_site, ASGIConsentMiddleware(asgi_site, STATIC_CONFIG)),
    }


def _cookies() -> dict[str, str]:
    signer = STATIC_CONFIG.signer
    return {
        "first visit": "sessionid=abc",
        "accepted": "_ga=GA1.1.1.2; _ga_DEMO0PQP00=GS1.1.1; sessionid=abc; consentkit="
        + signer.dumps(Consent.accept_all(CATALOGUE)),
    }


def in_process() -> None:
    cookies = _cookies()
    apps = _static_apps()
    size = len(wsgi_call(apps["WSGI"][1], ""))
    print(f"a static {size}-byte page, in process: µs the middleware adds per request")
    for kind, (call, bare, wrapped) in apps.items():
        for state, cookie in cookies.items():
            samples = []
            for _ in range(5):  # interleaved: bare, then wrapped, five times
                bare_ns = per_call_ns(lambda call=call, bare=bare, c=cookie: call(bare, c))
                wrapped_ns = per_call_ns(
                    lambda call=call, wrapped=wrapped, c=cookie: call(wrapped, c)
                )
                samples.append((bare_ns, wrapped_ns))
            bare_ns = sorted(b for b, _ in samples)[2]
            wrapped_ns = sorted(w for _, w in samples)[2]
            added = (wrapped_ns - bare_ns) / 1000
            verdict = "met" if added <= ADDED_TARGET_US else "MISSED"
            print(
                f"{kind} {state:<12} bare {bare_ns / 1000:6.2f} µs  wrapped "
                f"{wrapped_ns / 1000:6.2f} µs  added {added:5.2f} µs  "
                f"(target <= {ADDED_TARGET_US:.0f} µs: {verdict})"
            )


def _serve(argv: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
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
    argv = ["wrk", "-t1", "-c8", f"-d{LOOPBACK_SECONDS}s"]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    return float(match.group(1)) if match else 0.0


#: A module the servers import: the example apps of bench_apps.py, bare and wrapped.
_SERVED = """
import asyncio, os, sys
sys.path.insert(0, {here!r})
import bench_apps
if os.environ.get("BENCH_FIXED"):  # the floor: the same page on every request
    bench_apps.FIXED.append("A" * 43)
_, flask_bare, flask_wrapped = bench_apps.flask_apps()
_, django_bare, django_wrapped = bench_apps.django_apps()
_, fastapi_bare, fastapi_wrapped = bench_apps.fastapi_apps(asyncio.new_event_loop())
"""
LOOPBACK_SECONDS = 3


def over_loopback() -> None:
    import tempfile

    import bench_apps

    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): loopback figures skipped")
        return
    print(
        f"\nover loopback, the realistic page of bench_apps.py: wrk -t1 -c8 "
        f"-d{LOOPBACK_SECONDS}s, one server worker, wrapped/bare requests per second; the "
        "floor: the same, serving an unchanging page"
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "bench_served.py").write_text(_SERVED.format(here=str(HERE)))
        servers = {
            "Flask": ["-m", "gunicorn", "--chdir", folder, "--workers", "1", "--bind"],
            "Django": ["-m", "gunicorn", "--chdir", folder, "--workers", "1", "--bind"],
            "FastAPI": [
                "-m",
                "uvicorn",
                "--app-dir",
                folder,
                "--log-level",
                "warning",
                "--lifespan",
                "off",
                "--host",
                "127.0.0.1",
                "--port",
            ],
        }
        for name, prefix in servers.items():
            for state, cookie in bench_apps.cookies().items():
                rates: dict[tuple[str, str], list[float]] = {
                    (variant, fixed): [] for fixed in ("", "1") for variant in ("bare", "wrapped")
                }
                for _ in range(2):  # interleaved rounds
                    for variant, fixed in rates:
                        port = free_port()
                        where = str(port) if name == "FastAPI" else f"127.0.0.1:{port}"
                        app = f"bench_served:{name.lower()}_{variant}"
                        argv = [sys.executable, *prefix, where, app]
                        process = _serve(argv, port, {"BENCH_FIXED": fixed})
                        try:
                            rate = _wrk(f"http://127.0.0.1:{port}/bench", cookie)
                            rates[variant, fixed].append(rate)
                        finally:
                            process.terminate()
                            process.wait(timeout=10)
                mean = {key: sum(values) / len(values) for key, values in rates.items()}
                bare, wrapped = mean["bare", ""], mean["wrapped", ""]
                ratio = wrapped / bare if bare else 0.0
                floor = mean["wrapped", "1"] / mean["bare", "1"] if mean["bare", "1"] else 0.0
                print(
                    f"{name:<8} {state:<12} bare {bare:7.0f} req/s  wrapped {wrapped:7.0f} req/s"
                    f"  {ratio:.3f}x  (target >= 0.95: {'met' if ratio >= 0.95 else 'MISSED'};"
                    f" floor {floor:.3f}x)"
                )


def main() -> None:
    in_process()
    if os.environ.get("CONSENTKIT_BENCH_LOOPBACK", "1") == "1":
        over_loopback()


if __name__ == "__main__":
    main()
