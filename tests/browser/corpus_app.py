"""The enforcement corpus (tests/browser/corpus.py) served through consentkit.

Served by gunicorn in the browser tests (``corpus_app:app``): ``/case/<id>`` is a
case's page and ``/marked/<id>`` a hand-neutralised one, each sent with its own
Content-Type (or none) and encoding; ``/pixel.gif`` and ``/blank`` are the
first-party loads some pages need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from consentkit import Catalogue, ConsentConfig, WSGIConsentMiddleware
from tests.browser.corpus import CASES, MARKED, PIXEL
from tests.helpers import EXAMPLE_CATALOGUE, SECRET

PAGES = {case.path: case for case in CASES}
PAGES.update((f"/marked/{case.id}", case) for case in MARKED)


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    headers: list[tuple[str, str]]
    if path == "/pixel.gif":
        body, headers = PIXEL, [("Content-Type", "image/gif")]
    elif path == "/blank":
        body, headers = b"<!doctype html><title>blank</title>", [("Content-Type", "text/html")]
    elif (case := PAGES.get(path)) is not None:
        body = case.body
        headers = [] if case.content_type is None else [("Content-Type", case.content_type)]
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]


CONFIG = ConsentConfig(
    catalogue=Catalogue.from_file(EXAMPLE_CATALOGUE), secret_keys=[SECRET], cookie_secure=False
)
app = WSGIConsentMiddleware(site, CONFIG)
