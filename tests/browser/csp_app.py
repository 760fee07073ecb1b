"""A page under a strict, nonce-based Content-Security-Policy, wrapped by consentkit.

Its Google tags carry the page's nonce and are written the way a parser must run
them: a blocking external gtag.js, then inline code that needs it to have run,
then a tracking pixel, and the same pixel in a ``<picture>``, a video's poster and its
``<source>``. The banner must bring them back with the nonce and in
that order. Served by gunicorn in the browser tests (``csp_app:app``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from consentkit import Catalogue, ConsentConfig, WSGIConsentMiddleware
from tests.helpers import EXAMPLE_CATALOGUE, SECRET

PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>CSP</title>
<script nonce="{nonce}" src="https://www.googletagmanager.com/gtag/js?id=G-CSP0000000"></script>
<script nonce="{nonce}">
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date());
  window.__order = window.__fakeGtagRan ? 'after gtag.js' : 'before gtag.js';
</script>
</head>
<body>
<main><h1>CSP</h1>
<img alt="" width="1" height="1" src="https://www.google-analytics.com/collect?v=2&amp;tid=G-CSP0000000">
<picture><source srcset="https://www.google-analytics.com/collect?v=2&amp;via=picture">
<img alt="" width="1" height="1" src="/pixel.gif"></picture>
<video width="1" height="1" poster="https://www.google-analytics.com/collect?v=2&amp;via=poster">
<source src="https://www.google-analytics.com/collect?v=2&amp;via=video" type="video/mp4"></video>
</main>
<footer><a href="/cookies" data-consentkit-open>Gestion des cookies</a></footer>
</body>
</html>
"""


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    nonce = secrets.token_urlsafe(16)
    body = PAGE.format(nonce=nonce).encode()
    policy = (
        f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; "
        "img-src 'self' https://www.google-analytics.com; "
        "media-src https://www.google-analytics.com; connect-src 'self'"
    )
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", policy),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


CONFIG = ConsentConfig(
    catalogue=Catalogue.from_file(EXAMPLE_CATALOGUE), secret_keys=[SECRET], cookie_secure=False
)
app = WSGIConsentMiddleware(site, CONFIG)
