"""Each framework example, started under a real server on a free loopback port, over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest

from consentkit import Catalogue, ConsentConfig
from consentkit.testing import assert_no_tracking, assert_tracking_allowed, consent_cookie_header
from tests.helpers import EXAMPLE_CATALOGUE, SECRET
from tests.integrations.conftest import EXAMPLES, GTAG_INERT, GTAG_LIVE
from tests.servers import free_port, running

SERVERS = {
    "flask-gunicorn": ["-m", "gunicorn", "--chdir", str(EXAMPLES / "flask_app"), "app:app"],
    "fastapi-uvicorn": ["-m", "uvicorn", "--app-dir", str(EXAMPLES / "fastapi_app"), "app:app"],
    "django-gunicorn": [
        "-m",
        "gunicorn",
        "--chdir",
        str(EXAMPLES / "django_project"),
        "mysite.wsgi",
    ],
    "django-uvicorn": [
        "-m",
        "uvicorn",
        "--app-dir",
        str(EXAMPLES / "django_project"),
        "mysite.asgi:application",
    ],
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, *SERVERS[request.param]]
    if "gunicorn" in argv:
        argv += ["--bind", f"127.0.0.1:{port}"]
    else:
        argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with running(argv, port, {"CONSENTKIT_SECRET_KEY": SECRET}) as url:
        yield url


@pytest.fixture(scope="module")
def config() -> ConsentConfig:
    return ConsentConfig(
        catalogue=Catalogue.from_file(EXAMPLE_CATALOGUE), secret_keys=[SECRET], cookie_secure=False
    )


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, follow_redirects=False) as client:
        yield client


def test_ga_neutralised_and_ga_cookie_dropped(http: httpx.Client, config: ConsentConfig) -> None:
    """Before any choice, gtag.js is inert, `_ga` isn't set, and the banner loads."""
    response = http.get("/mon-compte")
    assert response.status_code == 200
    assert GTAG_LIVE not in response.text
    assert GTAG_INERT in response.text
    assert "data-consentkit-open" in response.text
    assert not any(c.startswith("_ga=") for c in response.headers.get_list("set-cookie"))
    assert_no_tracking(response, config.catalogue)
    assert http.get("/_consentkit/banner.js").status_code == 200


def test_choice_recorded_then_honoured(http: httpx.Client, config: ConsentConfig) -> None:
    """A "Tout accepter" POST sets the token; with it, GA and `_ga` go out intact."""
    chosen = http.post("/_consentkit/consent", json={"action": "accept_all"})
    assert chosen.status_code == 200
    assert http.get("/whoami").json() == {"consent": "accept_all"}
    response = http.get("/mon-compte", headers={"Cookie": consent_cookie_header(config)})
    assert GTAG_LIVE in response.text
    assert any(c.startswith("_ga=") for c in response.headers.get_list("set-cookie"))
    assert_tracking_allowed(response, config.catalogue, vendors=["google-analytics"])


def test_gzip_accepting_client(http: httpx.Client) -> None:
    """A client accepting gzip still gets GA neutralised (Django compresses after consentkit)."""
    response = http.get("/", headers={"Accept-Encoding": "gzip"})
    assert GTAG_LIVE not in response.text
    assert GTAG_INERT in response.text
