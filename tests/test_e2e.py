"""End to end: the demo site under gunicorn (WSGI) and uvicorn (ASGI), over real HTTP.

Each server is started by the test on a free loopback port and stopped after.
"""

from __future__ import annotations

import gzip
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from consentkit import Catalogue, Consent, TokenSigner
from tests.helpers import EXAMPLE_CATALOGUE, OTHER_SECRET, ROOT, SECRET
from tests.servers import free_port, running

DEMO = ROOT / "examples" / "plus-que-pro"
GTAG_LIVE = ' src="https://www.googletagmanager.com/gtag/js?id=G-DEMO0PQP00"'


COMMANDS = {
    "gunicorn": [
        "-m",
        "gunicorn",
        "--chdir",
        str(DEMO),
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:{port}",
        "wsgi_app:app",
    ],
    "uvicorn": [
        "-m",
        "uvicorn",
        "--app-dir",
        str(DEMO),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "asgi_app:app",
    ],
}


@pytest.fixture(scope="module", params=sorted(COMMANDS))
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, *(arg.format(port=port) for arg in COMMANDS[request.param])]
    with running(argv, port, {"CONSENTKIT_SECRET_KEY": SECRET}) as url:
        yield url


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_file(EXAMPLE_CATALOGUE)


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    # No cookie jar: every test states the cookies a browser would send.
    with httpx.Client(base_url=server, follow_redirects=False, cookies=None) as client:
        yield client


def token_cookie(consent: Consent, secret: str = SECRET) -> str:
    return f"consentkit={TokenSigner([secret]).dumps(consent)}"


def choose(http: httpx.Client, body: dict[str, Any], cookie: str = "") -> httpx.Response:
    headers = {"Cookie": cookie} if cookie else {}
    return http.post("/_consentkit/consent", json=body, headers=headers)


def token_from(response: httpx.Response) -> tuple[str, int]:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith("consentkit="):
            match = re.search(r"Max-Age=(\d+)", value)
            assert match
            return value.split(";")[0], int(match.group(1))
    raise AssertionError("no consent cookie set")


def test_first_visit(http: httpx.Client) -> None:
    """First visit: GA neutralised in the page, the app's `_ga` Set-Cookie dropped."""
    page = http.get("/")
    assert page.status_code == 200
    assert GTAG_LIVE not in page.text
    assert (
        'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-DEMO0PQP00"'
        in page.text
    )
    assert page.headers["vary"] == "Cookie"
    account = http.get("/mon-compte")
    assert account.headers.get_list("set-cookie") == []


def test_accept_all(http: httpx.Client) -> None:
    """Accept all: a ~6-month token, then GA intact and `_ga` set."""
    cookie, max_age = token_from(choose(http, {"action": "accept_all"}))
    assert 180 * 86400 <= max_age <= 184 * 86400
    assert GTAG_LIVE in http.get("/", headers={"Cookie": cookie}).text
    account = http.get("/mon-compte", headers={"Cookie": cookie})
    assert [c.split("=")[0] for c in account.headers.get_list("set-cookie")] == ["_ga"]


def test_refuse_all_expires_stale_trackers(http: httpx.Client) -> None:
    """Refuse all: a ~3-month token, and `_ga`, `_gid`, `_ga_XYZ` the browser holds are expired."""
    stale = "_ga=GA1.1.1.2; _gid=GA1.2.3.4; _ga_XYZ=GS1.1.2"
    response = choose(http, {"action": "refuse_all"}, cookie=stale)
    cookie, max_age = token_from(response)
    assert 89 * 86400 <= max_age <= 92 * 86400
    deleted = {c.split("=")[0] for c in response.headers.get_list("set-cookie")[1:]}
    assert deleted == {"_ga", "_gid", "_ga_XYZ"}
    page = http.get("/", headers={"Cookie": f"{cookie}; {stale}"})
    assert GTAG_LIVE not in page.text
    assert {c.split("=")[0] for c in page.headers.get_list("set-cookie")} == deleted


def test_custom(http: httpx.Client) -> None:
    """Custom: audience on but Google Analytics switched off keeps GA out."""
    cookie, _ = token_from(
        choose(http, {"action": "custom", "purposes": ["audience"], "vendors": []})
    )
    assert GTAG_LIVE not in http.get("/", headers={"Cookie": cookie}).text
    cookie, _ = token_from(choose(http, {"action": "custom", "purposes": ["audience"]}))
    assert GTAG_LIVE in http.get("/", headers={"Cookie": cookie}).text


def test_form_choice_and_withdraw(http: httpx.Client) -> None:
    """The "Gestion des cookies" forms: choose, come back, withdraw, and `_ga` is gone."""
    response = http.post("/_consentkit/consent", data={"action": "accept_all", "next": "/cookies"})
    assert (response.status_code, response.headers["location"]) == (303, "/cookies")
    cookie, _ = token_from(response)
    settings = http.get("/cookies", headers={"Cookie": cookie})
    assert "mesure d&#x27;audience acceptée" in settings.text
    withdrawn = http.post(
        "/_consentkit/consent",
        data={"action": "withdraw", "next": "/cookies"},
        headers={"Cookie": f"{cookie}; _ga=GA1.1.1.2"},
    )
    cookies = withdrawn.headers.get_list("set-cookie")
    assert cookies[0].startswith("consentkit=;")
    assert any(c.startswith("_ga=;") for c in cookies)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda c: token_cookie(Consent.accept_all(c))[:-3] + "AAA", id="tampered"),
        pytest.param(
            lambda c: token_cookie(
                Consent.accept_all(c, now=datetime.now(UTC) - timedelta(days=200))
            ),
            id="expired",
        ),
        pytest.param(lambda c: token_cookie(Consent.accept_all(c), OTHER_SECRET), id="foreign"),
        pytest.param(
            lambda c: token_cookie(
                Consent.accept_all(Catalogue.model_validate({**c.model_dump(), "revision": "old"}))
            ),
            id="other-revision",
        ),
        pytest.param(lambda c: 'consentkit="; ;;==;\t_ga', id="malformed"),
    ],
)
def test_bad_tokens_are_no_consent(http: httpx.Client, catalogue: Catalogue, make: Any) -> None:
    """Tampered, expired, foreign, old-revision and malformed cookies: GA stays out, no error."""
    page = http.get("/", headers={"Cookie": make(catalogue)})
    assert page.status_code == 200
    assert GTAG_LIVE not in page.text


def test_cross_site_post(http: httpx.Client) -> None:
    """Another site can't record a choice."""
    response = http.post(
        "/_consentkit/consent",
        json={"action": "accept_all"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


def test_oversized_body(http: httpx.Client) -> None:
    """A body over 16 KiB is refused with 413."""
    response = http.post(
        "/_consentkit/consent",
        content=b"[" + b"0," * 10000 + b"0]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_streaming_split_mid_tag(http: httpx.Client) -> None:
    """A response streamed in two chunks cut inside the gtag.js tag is still neutralised."""
    streamed = http.get("/flux").text
    assert GTAG_LIVE not in streamed
    assert (
        'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-DEMO0PQP00"' in streamed
    )


def test_gzip_untouched(http: httpx.Client) -> None:
    """A gzip-encoded body passes byte for byte (and so can't be enforced: see the docs)."""
    with http.stream("GET", "/gzip", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip"
        assert "vary" not in response.headers
    assert GTAG_LIVE.encode() in gzip.decompress(raw)
