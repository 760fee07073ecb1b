"""A minimal FastAPI site with Google Analytics, kept out until the visitor consents.

Run it with ``uvicorn --app-dir examples/fastapi_app app:app`` (see README.md).
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from consentkit import ASGIConsentMiddleware, Catalogue, Consent, ConsentConfig
from consentkit.integrations.starlette import consent_dependency

CATALOGUE = Path(__file__).resolve().parent.parent / "plus-que-pro" / "catalogue.toml"
#: Public, for the demo only: set CONSENTKIT_SECRET_KEY (``consentkit keygen``) anywhere else.
DEMO_KEY = "demo-only-key-never-use-in-production"

CONFIG = ConsentConfig(
    catalogue=Catalogue.from_file(CATALOGUE),
    secret_keys=[os.environ.get("CONSENTKIT_SECRET_KEY", DEMO_KEY)],
    # Served on http://127.0.0.1: a Secure consent cookie would never come back.
    cookie_secure=os.environ.get("CONSENTKIT_COOKIE_SECURE", "0") == "1",
)

app = FastAPI()
app.add_middleware(ASGIConsentMiddleware, config=CONFIG)

ConsentDep = Annotated[Consent | None, Depends(consent_dependency)]

GTAG = """<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id=G-DEMO0PQP00"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());

  gtag('config', 'G-DEMO0PQP00');
</script>"""


def page(title: str, consent: Consent | None) -> str:
    measured = consent is not None and consent.allows_vendor("google-analytics")
    state = "Mesure d'audience acceptée." if measured else "Google Analytics est neutralisé."
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} · consentkit + FastAPI</title>
{GTAG}
</head>
<body>
<header><a href="/">Accueil</a> · <a href="/mon-compte">Mon compte</a></header>
<main><h1>{html.escape(title)}</h1><p>{state}</p></main>
<footer><a href="/" data-consentkit-open>Gestion des cookies</a></footer>
</body>
</html>
"""


@app.get("/", response_class=HTMLResponse)
def home(consent: ConsentDep) -> str:
    return page("Accueil", consent)


@app.get("/mon-compte", response_class=HTMLResponse)
def account(consent: ConsentDep) -> HTMLResponse:
    """This page's own server code sets ``_ga``: consentkit drops it without consent."""
    response = HTMLResponse(page("Mon compte", consent))
    response.set_cookie("_ga", "GA1.1.1234567890.1764100000", max_age=63072000, samesite="lax")
    return response


@app.get("/whoami")
def whoami(consent: ConsentDep) -> dict[str, str | None]:
    """The visitor's decision as the app sees it (``null`` before any choice)."""
    return {"consent": consent.action.value if consent else None}
