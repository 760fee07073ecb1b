"""The Django middleware, through Django's test client, on the example project's settings."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.integrations.conftest import EXAMPLES, GTAG_INERT, GTAG_LIVE

PROJECT = EXAMPLES / "django_project"


def _setup() -> None:
    """Configure Django once per process from the example's own settings module."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    sys.path.insert(0, str(PROJECT))
    import mysite.settings as example_settings  # type: ignore[import-not-found]

    settings.configure(
        **{k: getattr(example_settings, k) for k in dir(example_settings) if k.isupper()}
    )
    django.setup()


_setup()

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse  # noqa: E402
from django.http.response import HttpResponseBase  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from consentkit import Catalogue, ConfigurationError, ConsentConfig  # noqa: E402
from consentkit.integrations.django import (  # noqa: E402
    ConsentMiddleware,
    _check_order,
    get_engine,
)
from consentkit.testing import assert_no_tracking, assert_tracking_allowed  # noqa: E402


@pytest.fixture
def consentkit_config() -> ConsentConfig:
    return get_engine().config


@pytest.fixture
def client() -> Client:
    return Client()


def set_cookies(response: HttpResponseBase) -> list[str]:
    return [m.OutputString() for m in response.cookies.values()]


class TestExampleProject:
    def test_ga_neutralised_before_consent(
        self, client: Client, consentkit_catalogue: Catalogue
    ) -> None:
        """Without consent, the Django page has gtag.js inert and the banner's loader."""
        response = client.get("/")
        body = response.content.decode()
        assert GTAG_LIVE not in body
        assert GTAG_INERT in body
        assert "consentkit-config" in body
        assert response["Content-Length"] == str(len(response.content))
        assert "Cookie" in response["Vary"]
        assert_no_tracking(response, consentkit_catalogue)

    def test_ga_cookie_dropped_but_session_kept(self, client: Client) -> None:
        """The view's `_ga` is dropped without consent; the session cookie goes out."""
        names = [c.split("=", 1)[0] for c in set_cookies(client.get("/mon-compte"))]
        assert names == ["sessionid"]

    def test_intact_after_accept(
        self,
        client: Client,
        consentkit_cookie_header: Callable[..., str],
        consentkit_catalogue: Catalogue,
    ) -> None:
        """After "Tout accepter", gtag.js is live, `_ga` is set, and the template knows."""
        response = client.get("/mon-compte", HTTP_COOKIE=consentkit_cookie_header())
        body = response.content.decode()
        assert GTAG_LIVE in body
        assert "Mesure d'audience acceptée jusqu'au" in body
        assert "_ga" in response.cookies
        assert_tracking_allowed(response, consentkit_catalogue, vendors=["google-analytics"])

    def test_request_consent(
        self, client: Client, consentkit_cookie_header: Callable[..., str]
    ) -> None:
        """Views read the visitor's decision as request.consent."""
        assert client.get("/whoami").json() == {"consent": None}
        refused = client.get("/whoami", HTTP_COOKIE=consentkit_cookie_header("refuse_all"))
        assert refused.json() == {"consent": "refuse_all"}

    def test_stale_ga_expired_on_every_domain(
        self, client: Client, consentkit_cookie_header: Callable[..., str]
    ) -> None:
        """A refused visitor's `_ga` is expired host-only and on the parent domain, both sent."""
        cookie = consentkit_cookie_header("refuse_all") + "; _ga=GA1.1.1.1"
        response = client.get("/whoami", HTTP_COOKIE=cookie, HTTP_HOST="www.example.com")
        deletions = [c for c in set_cookies(response) if c.startswith("_ga=")]
        assert len(deletions) >= 2
        assert any("Domain=.example.com" in c or "Domain=example.com" in c for c in deletions)
        assert all("Max-Age=0" in c for c in deletions)

    def test_streaming_response_is_rewritten(self, client: Client) -> None:
        """A StreamingHttpResponse cut inside the gtag.js tag is rewritten as it streams."""
        response = client.get("/flux")
        assert isinstance(response, StreamingHttpResponse)
        body = b"".join(response.streaming_content).decode()
        assert GTAG_LIVE not in body
        assert GTAG_INERT in body
        assert not response.has_header("Content-Length")

    def test_only_changed_headers_are_touched(self) -> None:
        """The view's headers stay where they were; the engine's changes are made in place:
        Vary gains Cookie, Content-Length is the rewritten body's."""
        from django.test import RequestFactory

        def view(request: HttpRequest) -> HttpResponse:
            page = f"<!doctype html><html><head>{GTAG_LIVE}</head><body>Bonjour</body></html>"
            response = HttpResponse(page, content_type="text/html; charset=utf-8")
            response["Vary"] = "Accept-Encoding"
            response["X-Frame-Options"] = "DENY"
            response["Content-Length"] = str(len(page))
            return response

        response = ConsentMiddleware(view)(RequestFactory().get("/"))
        assert GTAG_INERT in response.content.decode()
        assert list(response.items()) == [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Vary", "Accept-Encoding, Cookie"),
            ("X-Frame-Options", "DENY"),
            ("Content-Length", str(len(response.content))),
        ]


class TestMiddlewareOrder:
    def test_gzip_client_still_gets_ga_neutralised(self, client: Client) -> None:
        """Listed after GZipMiddleware, consentkit rewrites first: the gzip body is clean."""
        response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        body = gzip.decompress(response.content).decode()
        assert GTAG_LIVE not in body
        assert GTAG_INERT in body

    def test_gzip_inside_consentkit_is_refused(self) -> None:
        """GZip listed after consentkit would compress pages before they are checked: refused."""
        with pytest.raises(ConfigurationError, match="GZipMiddleware"):
            _check_order(
                [
                    "consentkit.integrations.django.ConsentMiddleware",
                    "django.middleware.gzip.GZipMiddleware",
                ]
            )
        with (
            override_settings(
                MIDDLEWARE=[
                    "consentkit.integrations.django.ConsentMiddleware",
                    "django.middleware.gzip.GZipMiddleware",
                ]
            ),
            pytest.raises(ConfigurationError),
        ):
            ConsentMiddleware(lambda request: HttpResponse())


class TestCsrf:
    @pytest.fixture
    def csrf_client(self) -> Client:
        return Client(enforce_csrf_checks=True)

    def test_cross_site_post_is_refused(self, csrf_client: Client) -> None:
        """A cross-site POST to the consent endpoint gets a 403 from consentkit itself."""
        response = csrf_client.post(
            "/_consentkit/consent",
            data={"action": "accept_all"},
            content_type="application/json",
            HTTP_SEC_FETCH_SITE="cross-site",
        )
        assert response.status_code == 403
        assert response.json()["field"] == "Sec-Fetch-Site"
        foreign = csrf_client.post(
            "/_consentkit/consent",
            data={"action": "accept_all"},
            content_type="application/json",
            HTTP_ORIGIN="https://evil.example",
        )
        assert foreign.status_code == 403

    def test_same_origin_post_needs_no_csrf_token(
        self, csrf_client: Client, consentkit_catalogue: Catalogue
    ) -> None:
        """The banner's same-origin POST records a choice without Django's CSRF token."""
        response = csrf_client.post(
            "/_consentkit/consent",
            data={"action": "accept_all"},
            content_type="application/json",
            HTTP_ORIGIN="http://testserver",
            HTTP_SEC_FETCH_SITE="same-origin",
        )
        assert response.status_code == 200
        assert response.json()["consent"]["action"] == "accept_all"
        assert "consentkit" in response.cookies
        # The cookie set is honoured on the next request, through the client's jar.
        assert csrf_client.get("/whoami").json() == {"consent": "accept_all"}

    def test_chunked_post_is_read(self) -> None:
        """A consent POST without Content-Length (chunked) is read, under WSGI as under
        ASGI, as the WSGI and ASGI middleware read it."""
        import asyncio
        import io

        from django.core.handlers.asgi import ASGIHandler
        from django.core.handlers.wsgi import WSGIHandler

        body = b'{"action": "refuse_all"}'
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/_consentkit/consent",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": io.StringIO(),
        }
        statuses: list[str] = []
        WSGIHandler()(environ, lambda status, headers, exc=None: statuses.append(status))  # type: ignore[arg-type]

        sent: list[dict[str, Any]] = []
        chunks = [
            {"type": "http.request", "body": body[:10], "more_body": True},
            {"type": "http.request", "body": body[10:], "more_body": False},
        ]

        async def receive() -> dict[str, Any]:
            if chunks:
                return chunks.pop(0)
            await asyncio.sleep(30)  # Django listens for a disconnect until it answers
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/_consentkit/consent",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
            "server": ("testserver", 80),
            "scheme": "http",
            "asgi": {"version": "3.0"},
        }
        asyncio.run(ASGIHandler()(scope, receive, send))

        assert (statuses, sent[0]["status"]) == (["200 OK"], 200)

    def test_csrf_still_guards_the_site(self, csrf_client: Client) -> None:
        """Other POSTs without a CSRF token are still refused by Django."""
        assert csrf_client.post("/", {"x": "1"}).status_code == 403


class TestTemplates:
    def render(self, source: str, request: HttpRequest) -> str:
        return engines["django"].from_string(source).render({}, request)

    @pytest.fixture
    def request_for(self) -> Callable[[str], HttpRequest]:
        from django.test import RequestFactory

        middleware = ConsentMiddleware(lambda request: HttpResponse())

        def make(cookie: str) -> HttpRequest:
            request = RequestFactory().get("/", HTTP_COOKIE=cookie)
            middleware._prepare(request)
            return request

        return make

    def test_filters_and_context_processor(
        self,
        request_for: Callable[[str], HttpRequest],
        consentkit_cookie_header: Callable[..., str],
    ) -> None:
        """`allows_vendor` and `{{ consent }}` follow the visitor's consent in templates."""
        source = (
            '{% load consentkit %}{{ request|allows_vendor:"google-analytics" }}'
            '|{{ consent_gate|allows_purpose:"audience" }}|{{ consent.action }}'
            '|{{ consent|allows_vendor:"google-recaptcha" }}'
        )
        assert self.render(source, request_for("")) == "False|False||True"
        accepted = self.render(source, request_for(consentkit_cookie_header()))
        assert accepted == "True|True|accept_all|True"
