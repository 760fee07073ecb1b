"""The demo site as a WSGI app, wrapped by consentkit: `make demo` serves it with gunicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from site_pages import ACCOUNT_COOKIE, CONFIG, ROUTES, gzipped_home, stream_chunks

from consentkit import WSGIConsentMiddleware, get_consent

HTML = ("Content-Type", "text/html; charset=utf-8")


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    consent = get_consent(environ)
    if path == "/flux":
        start_response("200 OK", [HTML])
        return iter(stream_chunks())
    if path == "/gzip":
        body = gzipped_home()
        start_response(
            "200 OK", [HTML, ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        )
        return [body]
    render = ROUTES.get(path)
    if render is None:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Page introuvable\n"]
    body = render(consent)
    headers = [HTML, ("Content-Length", str(len(body)))]
    if path == "/mon-compte":
        headers.append(("Set-Cookie", ACCOUNT_COOKIE))
    start_response("200 OK", headers)
    return [body]


app = WSGIConsentMiddleware(site, CONFIG)
