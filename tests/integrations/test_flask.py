"""The Flask extension, through Flask's own test client and on the example app."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from flask import Flask, render_template_string

from consentkit import Catalogue, ConfigurationError, ConsentConfig
from consentkit.integrations.flask import ConsentKit, current_consent
from consentkit.testing import assert_no_tracking, assert_tracking_allowed
from tests.helpers import EXAMPLE_CATALOGUE, SECRET
from tests.integrations.conftest import EXAMPLES, GTAG_INERT, GTAG_LIVE


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "flask_example_app", EXAMPLES / "flask_app" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def app() -> Flask:
    return load_example().app  # type: ignore[no-any-return]


@pytest.fixture
def consentkit_config(app: Flask) -> ConsentConfig:
    return app.extensions["consentkit"].config  # type: ignore[no-any-return]


class TestExampleApp:
    def test_ga_neutralised_before_consent(
        self, app: Flask, consentkit_catalogue: Catalogue
    ) -> None:
        """Without consent, Flask's page reaches the client with gtag.js inert."""
        response = app.test_client().get("/")
        body = response.get_data(as_text=True)
        assert GTAG_LIVE not in body
        assert GTAG_INERT in body
        assert response.headers["Vary"] == "Cookie"
        assert_no_tracking(response, consentkit_catalogue)

    def test_page_keeps_an_exact_length(self, app: Flask) -> None:
        """Flask hands its page over as an iterator with its length: the rewritten page
        goes out with its own exact Content-Length, and HEAD gets the GET's headers."""
        client = app.test_client()
        page, head = client.get("/"), client.head("/")

        assert page.headers["Content-Length"] == str(len(page.get_data()))
        assert (head.headers["Vary"], head.headers.get("Content-Length")) == (
            "Cookie",
            None,
        )

    def test_ga_cookie_dropped_before_consent(self, app: Flask) -> None:
        """The view's own `Set-Cookie: _ga` is dropped without consent."""
        response = app.test_client().get("/mon-compte")
        assert response.headers.getlist("Set-Cookie") == []

    def test_intact_after_accept(
        self,
        app: Flask,
        consentkit_cookie_header: Callable[..., str],
        consentkit_catalogue: Catalogue,
    ) -> None:
        """After "Tout accepter", gtag.js is live and `_ga` is set."""
        # Werkzeug's client replaces a Cookie header with its jar's: no jar here.
        client = app.test_client(use_cookies=False)
        response = client.get(
            "/mon-compte", headers={"Cookie": consentkit_cookie_header("accept_all")}
        )
        assert GTAG_LIVE in response.get_data(as_text=True)
        assert any(c.startswith("_ga=") for c in response.headers.getlist("Set-Cookie"))
        assert_tracking_allowed(response, consentkit_catalogue, vendors=["google-analytics"])

    def test_current_consent(
        self, app: Flask, consentkit_cookie_header: Callable[..., str]
    ) -> None:
        """Views see the visitor's decision through current_consent()."""
        client = app.test_client(use_cookies=False)
        assert client.get("/whoami").get_json() == {"consent": None}
        refused = client.get("/whoami", headers={"Cookie": consentkit_cookie_header("refuse_all")})
        assert refused.get_json() == {"consent": "refuse_all"}

    def test_template_helper(
        self, app: Flask, consentkit_cookie_header: Callable[..., str]
    ) -> None:
        """Templates ask `vendor_allowed(id)`, which follows the visitor's consent."""
        client = app.test_client(use_cookies=False)
        assert "Google Analytics est neutralisé" in client.get("/").get_data(as_text=True)
        accepted = client.get("/", headers={"Cookie": consentkit_cookie_header("accept_all")})
        assert "Mesure d'audience acceptée" in accepted.get_data(as_text=True)

    def test_endpoint_records_a_choice(self, app: Flask) -> None:
        """The consent endpoint answers inside Flask, and its cookie is then honoured."""
        client = app.test_client()
        response = client.post("/_consentkit/consent", json={"action": "accept_all"})
        assert response.status_code == 200
        assert response.get_json()["consent"]["action"] == "accept_all"
        assert client.get("/whoami").get_json() == {"consent": "accept_all"}


class TestConfiguration:
    def make(self, **config: Any) -> Flask:
        app = Flask("t")
        app.config.update(config)
        return app

    def test_init_app_later(self) -> None:
        """`ConsentKit()` then `init_app(app)` wraps the app as the one-step form does."""
        app = self.make(CONSENTKIT_CATALOGUE=EXAMPLE_CATALOGUE, CONSENTKIT_SECRET_KEYS=[SECRET])
        app.add_url_rule("/", "home", lambda: str(current_consent()))
        ext = ConsentKit()
        ext.init_app(app)
        assert app.test_client().get("/").get_data(as_text=True) == "None"

    def test_unknown_key_is_refused_at_start_up(self) -> None:
        """A misspelt CONSENTKIT_* key stops the start-up instead of being ignored."""
        app = self.make(
            CONSENTKIT_CATALOGUE=EXAMPLE_CATALOGUE,
            CONSENTKIT_SECRET_KEYS=[SECRET],
            CONSENTKIT_COOKIE_SECUR=False,
        )
        with pytest.raises(ConfigurationError, match="CONSENTKIT_COOKIE_SECUR"):
            ConsentKit(app)

    def test_missing_keys_are_refused(self) -> None:
        """Without secret keys, the app doesn't start."""
        app = self.make(CONSENTKIT_CATALOGUE=EXAMPLE_CATALOGUE)
        with pytest.raises(ConfigurationError, match="secret_keys is empty"):
            ConsentKit(app)

    def test_ready_config(self, catalogue: Catalogue) -> None:
        """A ready ConsentConfig can be given instead of app.config."""
        app = self.make()
        app.add_url_rule("/", "home", lambda: render_template_string("{{ consent }}"))
        ConsentKit(app, config=ConsentConfig(catalogue=catalogue, secret_keys=[SECRET]))
        assert app.test_client().get("/").get_data(as_text=True) == "None"
