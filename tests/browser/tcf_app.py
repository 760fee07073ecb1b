"""A page with IAB TCF on, wrapped by consentkit, for the ``__tcfapi`` browser tests.

Its catalogue has three vendors from ``tests/data/gvl-v3-trimmed.json`` (GVL ids 4,
52 and 128) and purposes mapped to TCF purposes. A "vendor script" in the head, as a
TCF vendor's tag would, pings the CMP and registers a listener before any choice;
an ad frame (``data:``, so cross-origin) stands for a nested vendor. The page runs
under a strict nonce-based Content-Security-Policy. Served by gunicorn in the browser
tests (``tcf_app:app``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from consentkit import Catalogue, ConsentConfig, WSGIConsentMiddleware
from consentkit.tcf import GlobalVendorList, TCFConfig
from tests.helpers import ROOT, SECRET

GVL = ROOT / "tests" / "data" / "gvl-v3-trimmed.json"
#: The reserved CMP id: consentkit is no registered CMP, and this is a test.
CMP_ID = 1
CMP_VERSION = 3

PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>TCF</title>
<script nonce="{nonce}" src="/vendor.js"></script>
</head>
<body>
<main><h1>TCF</h1>
<iframe title="Publicité" width="300" height="50" src="data:text/html,%3Cp%3Ead%3C/p%3E"></iframe>
</main>
<footer><a href="/cookies" data-consentkit-open>Gestion des cookies</a></footer>
</body>
</html>
"""

#: What a TCF vendor's tag does first: ask the CMP, at once, and listen.
VENDOR_JS = b"""
window.__tcfPing = null;
window.__tcfapi('ping', 2, function (ping) { window.__tcfPing = ping; });
window.__tcfEvents = [];
window.__tcfapi('addEventListener', 2, function (tcData, success) {
  window.__tcfEvents.push({ success: success, data: tcData });
});
"""

CATALOGUE = Catalogue.model_validate(
    {
        "revision": "tcf-1",
        "default_language": "fr",
        "policy_url": "/cookies",
        "purposes": [
            {
                "id": "necessary",
                "essential": True,
                "name": {"fr": "Fonctionnement du site"},
                "description": {"fr": "Conserver votre choix."},
            },
            {
                "id": "advertising",
                "name": {"fr": "Publicité"},
                "description": {"fr": "Publicité personnalisée et sa mesure."},
                "tcf_purposes": [1, 2, 3, 4],
            },
            {
                "id": "audience",
                "name": {"fr": "Mesure d'audience"},
                "description": {"fr": "Mesurer la fréquentation du site."},
                "tcf_purposes": [1, 8, 9],
            },
        ],
        "vendors": [
            {
                "id": "adbeam",
                "name": "Adbeam Exchange SAS",
                "purposes": ["advertising"],
                "privacy_policy": "https://adbeam.example/privacy",
                "country": "FR",
                "gvl_id": 4,
            },
            {
                "id": "quillmetrics",
                "name": "Quillmetrics GmbH",
                "purposes": ["audience"],
                "privacy_policy": "https://quillmetrics.example/privacy",
                "country": "DE",
                "gvl_id": 52,
            },
            {
                "id": "lumen",
                "name": "Lumen Retargeting BV",
                "purposes": ["advertising"],
                "privacy_policy": "https://lumen.example/privacy",
                "country": "NL",
                "gvl_id": 128,
            },
        ],
    }
)


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/vendor.js":
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/javascript; charset=utf-8"),
                ("Content-Length", str(len(VENDOR_JS))),
            ],
        )
        return [VENDOR_JS]
    nonce = secrets.token_urlsafe(16)
    body = PAGE.format(nonce=nonce).encode()
    policy = (
        f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; "
        "frame-src 'self' data:; connect-src 'self'"
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
    catalogue=CATALOGUE,
    secret_keys=[SECRET],
    cookie_secure=False,
    tcf=TCFConfig(
        cmp_id=CMP_ID,
        cmp_version=CMP_VERSION,
        gvl=GlobalVendorList.from_file(GVL),
        publisher_country="FR",
        allow_reserved_cmp_id=True,
    ),
)
app = WSGIConsentMiddleware(site, CONFIG)
