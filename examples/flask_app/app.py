"""A minimal Flask site with Google Analytics, kept out until the visitor consents.

Run it with ``flask --app examples/flask_app/app.py run`` (see README.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, make_response, render_template
from flask.typing import ResponseReturnValue

from consentkit.integrations.flask import ConsentKit, current_consent

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parent / "plus-que-pro" / "catalogue.toml"
#: Public, for the demo only: set CONSENTKIT_SECRET_KEY (``consentkit keygen``) anywhere else.
DEMO_KEY = "demo-only-key-never-use-in-production"

app = Flask(__name__, root_path=str(HERE))
app.config.update(
    CONSENTKIT_CATALOGUE=CATALOGUE,
    CONSENTKIT_SECRET_KEYS=[os.environ.get("CONSENTKIT_SECRET_KEY", DEMO_KEY)],
    # Served on http://127.0.0.1: a Secure consent cookie would never come back.
    CONSENTKIT_COOKIE_SECURE=os.environ.get("CONSENTKIT_COOKIE_SECURE", "0") == "1",
)
ConsentKit(app)


@app.get("/")
def home() -> ResponseReturnValue:
    return render_template("page.html", title="Accueil")


@app.get("/mon-compte")
def account() -> ResponseReturnValue:
    """This page's own server code sets ``_ga``: consentkit drops it without consent."""
    response = make_response(render_template("page.html", title="Mon compte"))
    response.set_cookie("_ga", "GA1.1.1234567890.1764100000", max_age=63072000, samesite="Lax")
    return response


@app.get("/whoami")
def whoami() -> ResponseReturnValue:
    """The visitor's decision as the app sees it (``none`` before any choice)."""
    consent = current_consent()
    return {"consent": consent.action.value if consent else None}
