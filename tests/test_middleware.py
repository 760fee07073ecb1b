"""The middleware's behaviour, identical under WSGI and ASGI (each test runs on both)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from consentkit import (
    ASGIConsentMiddleware,
    Catalogue,
    ConfigurationError,
    Consent,
    ConsentConfig,
    TokenSigner,
    WSGIConsentMiddleware,
)
from tests import apps
from tests.helpers import OTHER_SECRET, SECRET

BASE = "http://shop.example.com"
SIX_MONTHS = 183 * 86400
THREE_MONTHS = 92 * 86400


class Client:
    """One interface over httpx's WSGI and ASGI transports."""

    def __init__(self, kind: str, config: ConsentConfig) -> None:
        self.kind = kind
        self.config = config
        if kind == "wsgi":
            self.app: Any = WSGIConsentMiddleware(apps.wsgi_app, config)
        else:
            self.app = ASGIConsentMiddleware(apps.asgi_app, config)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.kind == "wsgi":
            with httpx.Client(transport=httpx.WSGITransport(app=self.app), base_url=BASE) as client:
                return client.request(method, path, **kwargs)

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                response = await client.request(method, path, **kwargs)
                await response.aread()
                return response

        return asyncio.run(go())

    def get(self, path: str, cookie: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if cookie is not None:
            headers["Cookie"] = cookie
        return self.request("GET", path, headers=headers, **kwargs)

    def token(self, consent: Consent) -> str:
        return f"consentkit={self.config.signer.dumps(consent)}"


@pytest.fixture
def config(catalogue: Catalogue) -> ConsentConfig:
    # Without the banner, so pages can be compared byte for byte (tests/test_banner.py
    # covers its injection).
    return ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], banner=False)


@pytest.fixture(params=["wsgi", "asgi"])
def client(request: pytest.FixtureRequest, config: ConsentConfig) -> Client:
    return Client(request.param, config)


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def max_age(cookie: str) -> int:
    match = re.search(r"Max-Age=(\d+)", cookie)
    assert match, cookie
    return int(match.group(1))


class TestFirstVisit:
    def test_google_analytics_is_neutralised(self, client: Client) -> None:
        """Without consent, gtag.js neither loads nor runs: both tags are inert."""
        response = client.get("/")
        body = response.text
        assert response.status_code == 200
        assert ' src="https://www.googletagmanager.com' not in body
        assert (
            '<script type="text/plain" data-consentkit-vendor="google-analytics" async '
            'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-TEST000001">'
        ) in body
        assert body.count('type="text/plain" data-consentkit-vendor="google-analytics"') == 2
        assert "gtag('config', 'G-TEST000001')" in body  # kept, for activation later

    def test_html_gets_vary_and_loses_content_length(self, client: Client) -> None:
        """A rewritten page varies by cookie and has no stale length."""
        response = client.get("/plain")
        assert response.headers["vary"] == "Cookie"
        assert response.content == apps.PLAIN_PAGE
        assert "content-length" not in response.headers or int(
            response.headers["content-length"]
        ) == len(apps.PLAIN_PAGE)

    def test_ga_set_cookie_is_dropped(self, client: Client) -> None:
        """The app's own `_ga` Set-Cookie never reaches a browser without consent."""
        assert set_cookies(client.get("/set-ga")) == []

    def test_no_consent_for_the_app(self, client: Client) -> None:
        """The app sees no consent."""
        assert client.get("/whoami").text == "none"


class TestWithConsent:
    def test_accept_all_leaves_ga_intact(self, client: Client, catalogue: Catalogue) -> None:
        """After "Tout accepter", the page is byte-identical and `_ga` goes out."""
        cookie = client.token(Consent.accept_all(catalogue))
        response = client.get("/set-ga", cookie=cookie)
        assert response.content == apps.PAGE
        assert set_cookies(response) == [apps.GA_COOKIE]
        assert client.get("/whoami", cookie=cookie).text == "accept_all"

    def test_refusal_expires_stale_trackers(self, client: Client, catalogue: Catalogue) -> None:
        """After a refusal, `_ga`, `_gid` and `_ga_XYZ` still in the browser are expired."""
        cookie = client.token(Consent.refuse_all(catalogue))
        cookie += "; _ga=GA1.1.1.2; _gid=GA1.2.3.4; _ga_XYZ=GS1.1; sessionid=keep"
        deleted = set_cookies(client.get("/plain", cookie=cookie))
        names = {c.split("=")[0] for c in deleted}
        assert names == {"_ga", "_gid", "_ga_XYZ"}
        assert all("Max-Age=0" in c for c in deleted)
        assert (
            "_ga=; Path=/; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
            in deleted
        )

    def test_custom_audience_off(self, client: Client, catalogue: Catalogue) -> None:
        """A custom choice without audience measurement keeps GA out."""
        cookie = client.token(Consent.custom(catalogue, purposes=[]))
        assert 'data-consentkit-vendor="google-analytics"' in client.get("/", cookie=cookie).text


class TestBadTokens:
    @pytest.mark.parametrize(
        "cookie",
        [
            pytest.param("consentkit=garbage", id="garbage"),
            pytest.param('consentkit="AQ.abc"', id="quoted"),
            pytest.param("consentkit=" + "A" * 5000, id="huge"),
            pytest.param(";;; =; consentkit; ==; \x7f=\x01", id="junk-header"),
            pytest.param("consentkit=x.y; consentkit=x", id="duplicates"),
        ],
    )
    def test_malformed_is_no_consent(self, client: Client, cookie: str) -> None:
        """A malformed cookie is no consent, never a 500."""
        response = client.get("/whoami", cookie=cookie)
        assert (response.status_code, response.text) == (200, "none")

    def test_tampered_expired_foreign_stale(
        self, client: Client, catalogue: Catalogue, data: dict[str, Any]
    ) -> None:
        """Tampered, expired, foreign-key and old-revision tokens all count as no consent."""
        good = client.config.signer.dumps(Consent.accept_all(catalogue))
        expired = client.config.signer.dumps(
            Consent.accept_all(catalogue, now=datetime.now(UTC) - timedelta(days=200))
        )
        foreign = TokenSigner([OTHER_SECRET]).dumps(Consent.accept_all(catalogue))
        data["revision"] = "2099-01-01"
        stale = client.config.signer.dumps(Consent.accept_all(Catalogue.model_validate(data)))
        tampered = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
        for token in (tampered, expired, foreign, stale):
            assert client.get("/whoami", cookie=f"consentkit={token}").text == "none"
        assert client.get("/whoami", cookie=f"consentkit={good}").text == "accept_all"


class TestPassThrough:
    def test_split_tag_across_chunks(self, client: Client) -> None:
        """A streamed page cut inside the gtag.js tag is rewritten as if whole."""
        whole = client.get("/").content
        assert client.get("/split").content == whole

    def test_gzip_untouched(self, client: Client) -> None:
        """A compressed body passes byte for byte: it can't be read."""
        response = client.request("GET", "/gzip", headers={"Accept-Encoding": "identity"})
        assert response.headers["content-encoding"] == "gzip"
        assert "vary" not in response.headers

    def test_compressed_page_said_once(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A compressed page means compression sits inside consentkit: its trackers go out
        live, and the log says so, once, with the fix."""
        with caplog.at_level("WARNING", logger="consentkit"):
            client.get("/gzip")
            client.get("/gzip")

        assert [r.getMessage() for r in caplog.records if "compressed page" in r.getMessage()] == [
            "consentkit met a compressed page (text/html) and could not neutralise its "
            "trackers: put the compression middleware outside consentkit "
            "(docs/middleware.md, 'Ordering with other middleware')"
        ]

    def test_compressed_page_refused_when_strict(self, catalogue: Catalogue) -> None:
        """In strict mode a page that can't be enforced is an error, not a silent leak."""
        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], strict=True)
        for kind in ("wsgi", "asgi"):
            with pytest.raises(ConfigurationError, match="compression middleware outside"):
                Client(kind, config).get("/gzip")

    def test_json_untouched(self, client: Client) -> None:
        """Only HTML is rewritten."""
        assert client.get("/json").content == apps.ROUTES["/json"][2][0]

    def test_head(self, client: Client) -> None:
        """A HEAD response has the headers its GET gets: Vary: Cookie, and no
        Content-Length of the app's page, whose rewritten length differs."""
        head = client.request("HEAD", "/plain")
        get = client.get("/plain")

        assert (head.status_code, head.headers.get("vary")) == (200, "Cookie")
        assert head.headers.get("content-length") in (None, get.headers.get("content-length"))

    def test_204(self, client: Client) -> None:
        """Bodiless statuses pass."""
        assert client.get("/empty").status_code == 204


class TestEndpoints:
    def test_get_consent_none(self, client: Client) -> None:
        """GET answers the current consent (none) and the localised catalogue."""
        response = client.get("/_consentkit/consent", headers={"Accept-Language": "en-GB,en;q=0.9"})
        payload = response.json()
        assert response.headers["cache-control"] == "no-store"
        assert payload["consent"] is None
        assert payload["catalogue"]["language"] == "en"
        assert payload["catalogue"]["purposes"][3]["name"] == "Audience measurement"

    def test_get_consent_french_default(self, client: Client, catalogue: Catalogue) -> None:
        """Without a language asked, texts are in the catalogue's default language."""
        consent = Consent.accept_all(catalogue)
        payload = client.get("/_consentkit/consent", cookie=client.token(consent)).json()
        assert payload["consent"] == consent.to_json()
        assert payload["catalogue"]["purposes"][3]["name"] == "Mesure d'audience"

    def test_post_json_accept_all(self, client: Client) -> None:
        """A JSON choice answers the consent and sets the token cookie for ~6 months."""
        response = client.request("POST", "/_consentkit/consent", json={"action": "accept_all"})
        assert response.status_code == 200
        assert response.json()["consent"]["action"] == "accept_all"
        token = set_cookies(response)[0]
        assert token.startswith("consentkit=")
        for attribute in ("Path=/", "HttpOnly", "SameSite=Lax", "Secure"):
            assert attribute in token
        assert 180 * 86400 <= max_age(token) <= SIX_MONTHS

    def test_post_refuse_all_three_months(self, client: Client) -> None:
        """A refusal's token lasts ~3 months and stale trackers are expired."""
        response = client.request(
            "POST",
            "/_consentkit/consent",
            json={"action": "refuse_all"},
            headers={"Cookie": "_ga=GA1.1.1.2"},
        )
        token, *deletions = set_cookies(response)
        assert 89 * 86400 <= max_age(token) <= THREE_MONTHS
        assert deletions
        assert all(d.startswith("_ga=;") for d in deletions)

    def test_form_post_redirects_to_next(self, client: Client) -> None:
        """A form post answers 303 to a same-origin `next`."""
        response = client.request(
            "POST",
            "/_consentkit/consent",
            data={"action": "custom", "purposes": "audience", "next": "/cookies?ok=1"},
        )
        assert (response.status_code, response.headers["location"]) == (303, "/cookies?ok=1")
        assert set_cookies(response)[0].startswith("consentkit=")

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/\t/evil",
        ],
    )
    def test_no_open_redirect(self, client: Client, target: str) -> None:
        """`next` pointing anywhere but a local path sends to /."""
        response = client.request(
            "POST", "/_consentkit/consent", data={"action": "refuse_all", "next": target}
        )
        assert response.headers["location"] == "/"

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param({"Sec-Fetch-Site": "cross-site"}, id="fetch-metadata"),
            pytest.param({"Origin": "https://evil.example"}, id="foreign-origin"),
            pytest.param({"Origin": "null"}, id="opaque-origin"),
        ],
    )
    def test_cross_site_post_forbidden(self, client: Client, headers: dict[str, str]) -> None:
        """Another site can't record a choice for the visitor."""
        response = client.request(
            "POST", "/_consentkit/consent", json={"action": "accept_all"}, headers=headers
        )
        assert response.status_code == 403
        assert set_cookies(response) == []

    def test_same_origin_post_allowed(self, client: Client) -> None:
        """The site's own pages post with their Origin (default port omitted or not)."""
        for origin in (BASE, "https://shop.example.com", "http://shop.example.com:80"):
            response = client.request(
                "POST",
                "/_consentkit/consent",
                json={"action": "refuse_all"},
                headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
            )
            assert response.status_code == 200, origin

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            pytest.param(
                {"action": "custom", "purposes": ["ads"]}, "purposes", id="unknown-purpose"
            ),
            pytest.param(
                {"action": "custom", "vendors": ["matomo"]}, "vendors", id="unknown-vendor"
            ),
            pytest.param({"action": "accept"}, "action", id="bad-action"),
            pytest.param({"purposes": []}, "action", id="no-action"),
            pytest.param({"action": "custom", "purposes": "audience"}, "purposes", id="not-a-list"),
            pytest.param({"action": "accept_all", "extra": 1}, "extra", id="unknown-field"),
        ],
    )
    def test_bad_choice_400_names_the_field(
        self, client: Client, body: dict[str, Any], field: str
    ) -> None:
        """A bad choice is a 400 whose JSON names the field."""
        response = client.request("POST", "/_consentkit/consent", json=body)
        assert response.status_code == 400
        assert response.json()["field"] == field

    def test_malformed_json(self, client: Client) -> None:
        """Unparsable JSON is a 400."""
        response = client.request(
            "POST",
            "/_consentkit/consent",
            content=b"{nope",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400

    def test_oversized_body(self, client: Client) -> None:
        """A body over 16 KiB is refused with 413."""
        response = client.request(
            "POST",
            "/_consentkit/consent",
            content=b"{" + b" " * 20000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413

    def test_unsupported_type(self, client: Client) -> None:
        """Only JSON and url-encoded forms are read."""
        response = client.request(
            "POST", "/_consentkit/consent", content=b"x", headers={"Content-Type": "text/plain"}
        )
        assert (response.status_code, response.json()["field"]) == (415, "Content-Type")

    def test_withdraw(self, client: Client, catalogue: Catalogue) -> None:
        """DELETE expires the consent cookie and the trackers now denied."""
        cookie = client.token(Consent.accept_all(catalogue)) + "; _ga=GA1.1.1.2"
        response = client.request("DELETE", "/_consentkit/consent", headers={"Cookie": cookie})
        assert response.json() == {"consent": None}
        cookies = set_cookies(response)
        assert cookies[0].startswith("consentkit=;")
        assert "Max-Age=0" in cookies[0]
        assert any(c.startswith("_ga=;") for c in cookies[1:])

    def test_form_withdraw(self, client: Client) -> None:
        """A form with action=withdraw withdraws and redirects."""
        response = client.request(
            "POST", "/_consentkit/consent", data={"action": "withdraw", "next": "/cookies"}
        )
        assert (response.status_code, response.headers["location"]) == (303, "/cookies")
        assert set_cookies(response)[0].startswith("consentkit=;")

    def test_unknown_endpoint_and_method(self, client: Client) -> None:
        """Unknown paths are 404 and unknown methods 405 with Allow."""
        assert client.get("/_consentkit/nope").status_code == 404
        response = client.request("PUT", "/_consentkit/consent")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST, DELETE"

    def test_then_page_follows_the_new_choice(self, client: Client) -> None:
        """The token set by the endpoint is what the next page request honours."""
        response = client.request("POST", "/_consentkit/consent", json={"action": "accept_all"})
        token = set_cookies(response)[0].split(";")[0]
        assert client.get("/", cookie=token).content == apps.PAGE
