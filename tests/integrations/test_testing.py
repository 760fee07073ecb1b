"""consentkit.testing: consent cookies and the leak assertions, on plain WSGI and ASGI apps."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from consentkit import (
    ASGIConsentMiddleware,
    Catalogue,
    ConsentConfig,
    WSGIConsentMiddleware,
)
from consentkit.testing import (
    assert_no_tracking,
    assert_tracking_allowed,
    call_asgi,
    call_wsgi,
    consent_cookie_header,
    make_consent,
    tracking_held_back,
    tracking_leaks,
)
from tests import apps
from tests.helpers import EXAMPLE_CATALOGUE, SECRET

LEAKY = [
    ("Set-Cookie", "_ga=GA1.1.1.1; Path=/; Max-Age=63072000"),
    ("Set-Cookie", "sessionid=abc; Path=/; HttpOnly"),
    ("Content-Type", "text/html; charset=utf-8"),
]
LEAKY_PAGE = (
    b'<html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-X">'
    b"</script>\n<script>gtag('config', 'G-X');</script></head></html>"
)


@pytest.fixture
def config(catalogue: Catalogue) -> ConsentConfig:
    return ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], banner=False)


class TestAssertions:
    def test_names_each_leak(self, catalogue: Catalogue) -> None:
        """A page setting `_ga` and loading gtag.js fails, with each leak named on its line."""
        with pytest.raises(AssertionError) as info:
            assert_no_tracking((200, LEAKY, LEAKY_PAGE), catalogue)
        message = str(info.value)
        assert message.startswith("3 tracking leaks without consent:")
        assert "Set-Cookie stores '_ga' (vendor 'google-analytics')" in message
        assert "gtag/js?id=G-X" in message
        assert "(inline) of vendor 'google-analytics'" in message
        assert "sessionid" not in message

    def test_media_leak_until_neutralised(self, config: ConsentConfig) -> None:
        """A video's poster or a picture's source of a denied vendor is a leak; the
        middleware's output of the same page is none."""
        page = (
            b'<html><head></head><body><video poster="https://www.google-analytics.com/p.gif">'
            b'</video><picture><source srcset="//www.google-analytics.com/c 2x"></picture>'
        )
        headers = [("Content-Type", "text/html")]

        def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", headers)
            return [page]

        rewritten = call_wsgi(WSGIConsentMiddleware(site, config), "/")

        assert tracking_leaks((200, headers, page), config) == [
            f"line 1: {tag} of vendor 'google-analytics' would load or run"
            for tag in (
                '<video poster="https://www.google-analytics.com/p.gif">',
                '<source srcset="//www.google-analytics.com/c 2x">',
            )
        ]
        assert_no_tracking(rewritten, config.catalogue)

    def test_every_loading_element_of_the_inventory(self, config: ConsentConfig) -> None:
        """The elements the middleware's table names are leaks too: <image>, <input src>,
        background=, SVG href; the middleware's output of the page has none."""
        ga = "https://www.google-analytics.com/c"
        page = (
            f'<html><head></head><body background="{ga}"><image src="{ga}">'
            f'<input type="image" src="{ga}"><svg><image href="{ga}"/></svg>'
        ).encode()
        headers = [("Content-Type", "text/html")]

        def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", headers)
            return [page]

        rewritten = call_wsgi(WSGIConsentMiddleware(site, config), "/")

        assert [leak.split(" of ")[0] for leak in tracking_leaks((200, headers, page), config)] == [
            f'line 1: <body background="{ga}">',
            f'line 1: <image src="{ga}">',
            f'line 1: <input src="{ga}">',
            f'line 1: <image href="{ga}">',
        ]
        assert_no_tracking(rewritten, config.catalogue)

    def test_strict_reports_undeclared_cookies(self, catalogue: Catalogue) -> None:
        """With strict=True, a cookie no rule declares is a leak too."""
        leaks = tracking_leaks((200, LEAKY[1:], b""), catalogue, strict=True)
        assert leaks == ["Set-Cookie stores 'sessionid', which no catalogue rule declares"]

    def test_accepted_consent_allows_it(self, catalogue: Catalogue) -> None:
        """The same response is no leak under "Tout accepter", and tracking is allowed."""
        consent = make_consent(catalogue, "accept_all")
        assert_no_tracking((200, LEAKY, LEAKY_PAGE), catalogue, consent)
        assert_tracking_allowed(
            (200, LEAKY, LEAKY_PAGE), catalogue, consent, vendors=["google-analytics"]
        )

    def test_tracking_allowed_fails_on_a_neutralised_page(self, config: ConsentConfig) -> None:
        """A page whose GA stayed neutralised fails assert_tracking_allowed, naming the tag."""
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        response = call_wsgi(app, "/")
        with pytest.raises(AssertionError, match="still neutralised"):
            assert_tracking_allowed(response, config.catalogue, vendors=["google-analytics"])

    def test_deletions_are_never_leaks(self, catalogue: Catalogue) -> None:
        """Expiring `_ga` is what consent asks for, not a leak."""
        headers = [("Set-Cookie", "_ga=; Path=/; Max-Age=0")]
        assert tracking_leaks((200, headers, b""), catalogue) == []


class TestStatus:
    @pytest.mark.parametrize("status", [400, 404, 500, 302])
    def test_not_2xx_fails(self, catalogue: Catalogue, status: int) -> None:
        """An error page (Django's 400 for a Host it doesn't allow) holds none of the page's
        tags: both assertions fail on it, naming the status, instead of passing."""
        response = (status, [("Content-Type", "text/plain")], b"Bad Request (400)")
        for check in (assert_no_tracking, assert_tracking_allowed):
            with pytest.raises(AssertionError, match=rf"^the response is a {status} .*not a 2xx"):
                check(response, catalogue)

    def test_opt_in_judges_an_error_page(self, catalogue: Catalogue) -> None:
        """`status=` names the status the test means to judge: a code or a container."""
        page = (404, [("Content-Type", "text/html")], b"<p>introuvable</p>")
        assert_no_tracking(page, catalogue, status=404)
        assert_no_tracking(page, catalogue, status=range(400, 500))
        assert_tracking_allowed(page, catalogue, status={404, 410})
        with pytest.raises(AssertionError, match="tracking leak"):
            assert_no_tracking((404, LEAKY, LEAKY_PAGE), catalogue, status=404)

    def test_opt_in_is_exact(self, catalogue: Catalogue) -> None:
        """A status other than the one allowed fails, even a 200."""
        ok = (200, [("Content-Type", "text/html")], b"")
        with pytest.raises(AssertionError, match=r"^the response is a 200 OK, not 404$"):
            assert_no_tracking(ok, catalogue, status=404)
        with pytest.raises(AssertionError, match=r"not one of range\(400, 500\)"):
            assert_tracking_allowed(ok, catalogue, status=range(400, 500))

    def test_status_of_every_response_kind(self, config: ConsentConfig) -> None:
        """The status is read from a WSGIResponse, a tuple with a status line, and objects
        with `status_code` or `status`; a response without one is a TypeError."""
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        with pytest.raises(AssertionError, match="404"):
            assert_no_tracking(call_wsgi(app, "/nowhere"), config.catalogue)
        assert_no_tracking(("200 OK", [], b""), config.catalogue)
        with pytest.raises(AssertionError, match="403 Forbidden"):
            assert_no_tracking(("403 Forbidden", [], b""), config.catalogue)

        class Response:
            status = "201 Created"
            headers: list[tuple[str, str]] = []  # noqa: RUF012
            content = b""

        assert_no_tracking(Response(), config.catalogue)
        Response.status = "none"
        with pytest.raises(TypeError, match="can't read the status of a Response"):
            assert_no_tracking(Response(), config.catalogue)


class TestHeldBack:
    def test_lists_what_a_consent_allows_but_the_page_holds_back(
        self, config: ConsentConfig
    ) -> None:
        """The page a site serves without consent, judged as if accepted: GA's tags are
        still neutralised, which is what a wrong key looks like."""
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        held = tracking_held_back(call_wsgi(app, "/"), config, vendors=["google-analytics"])
        assert len(held) == 3
        assert all("of vendor 'google-analytics' is still neutralised" in h for h in held[:2])
        assert held[2] == "no tag of vendor 'google-analytics' would load or run"
        accepted = call_wsgi(app, "/", cookie=consent_cookie_header(config))
        assert tracking_held_back(accepted, config, vendors=["google-analytics"]) == []

    def test_vendor_the_catalogue_does_not_know(self, catalogue: Catalogue) -> None:
        """A tag neutralised for a vendor the catalogue lacks can never load: a typo, or
        another catalogue than the site's. Refusing doesn't excuse it."""
        page = b'<img data-consentkit-vendor="matomo" data-consentkit-src="https://m.example/p">'
        response = (200, [("Content-Type", "text/html")], page)
        expected = [
            'line 1: <img data-consentkit-src="https://m.example/p"> is neutralised for '
            "vendor 'matomo', which the catalogue doesn't know"
        ]
        assert tracking_held_back(response, catalogue) == expected
        refused = make_consent(catalogue, "refuse_all")
        assert tracking_held_back(response, catalogue, refused) == expected


class TestPlainApps:
    def test_wsgi_call(self, config: ConsentConfig) -> None:
        """A plain WSGI call's result is checked: GA neutralised, intact after accept."""
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        assert_no_tracking(call_wsgi(app, "/"), config.catalogue)
        assert_no_tracking(call_wsgi(app, "/set-ga"), config.catalogue)
        accepted = call_wsgi(app, "/", cookie=consent_cookie_header(config))
        assert_tracking_allowed(accepted, config.catalogue, vendors=["google-analytics"])

    def test_asgi_call(self, config: ConsentConfig) -> None:
        """A plain ASGI call's result is checked the same way."""
        app = ASGIConsentMiddleware(apps.asgi_app, config)
        assert_no_tracking(call_asgi(app, "/"), config.catalogue)
        accepted = call_asgi(app, "/", cookie=consent_cookie_header(config, "accept_all"))
        assert_tracking_allowed(accepted, config.catalogue, vendors=["google-analytics"])

    def test_unprotected_app_fails(self, config: ConsentConfig) -> None:
        """The same app without the middleware leaks, and the assertion says so."""
        with pytest.raises(AssertionError, match="gtag"):
            assert_no_tracking(call_wsgi(apps.wsgi_app, "/"), config.catalogue)


class TestConsentCookie:
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param({}, "accept_all", id="accept"),
            pytest.param({"action": "refuse_all"}, "refuse_all", id="refuse"),
            pytest.param({"action": "custom", "purposes": ["audience"]}, "custom", id="custom"),
            pytest.param({"expired": True}, None, id="expired"),
            pytest.param({"revision": "2000-01-01"}, None, id="stale"),
        ],
    )
    def test_read_by_the_middleware(
        self, config: ConsentConfig, kwargs: dict[str, object], expected: str | None
    ) -> None:
        """Valid cookies give the app that choice; expired and stale ones give none."""
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        cookie = consent_cookie_header(config, **kwargs)  # type: ignore[arg-type]
        assert call_wsgi(app, "/whoami", cookie=cookie).body.decode() == (expected or "none")

    def test_custom_vendors(self, config: ConsentConfig) -> None:
        """A custom choice without the vendor keeps GA out although its purpose is granted."""
        consent = make_consent(config, "custom", purposes=["audience"], vendors=[])
        assert not consent.allows_vendor("google-analytics")
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        response = call_wsgi(app, "/", cookie=consent_cookie_header(config, consent))
        assert_no_tracking(response, config.catalogue, consent)


def test_plugin_in_a_fresh_project(tmp_path: Path) -> None:
    """The plugin's fixtures work in a project of its own, loaded as its entry point would be."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n", "utf-8")
    (tmp_path / "conftest.py").write_text(
        "import pytest\n"
        "from consentkit import ConsentConfig\n"
        "@pytest.fixture\n"
        "def consentkit_config():\n"
        f"    return ConsentConfig(catalogue={str(EXAMPLE_CATALOGUE)!r},"
        f" secret_keys=[{SECRET!r}])\n",
        "utf-8",
    )
    (tmp_path / "test_site.py").write_text(
        "from consentkit import TokenSigner\n"
        "def test_cookie(consentkit_cookie_header, consentkit_catalogue, consentkit_consent):\n"
        "    name, token = consentkit_cookie_header('refuse_all').split('=', 1)\n"
        f"    consent = TokenSigner([{SECRET!r}]).read(token, consentkit_catalogue)\n"
        "    assert name == 'consentkit' and consent.action == 'refuse_all'\n"
        "    assert consentkit_consent('accept_all').allows_vendor('google-analytics')\n",
        "utf-8",
    )
    registered = any(
        ep.value == "consentkit.pytest_plugin" for ep in entry_points(group="pytest11")
    )
    plugin = [] if registered else ["-p", "consentkit.pytest_plugin"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugin, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_consentkit_imports_no_framework() -> None:
    """Importing consentkit, its test helpers and the integrations package needs no framework."""
    code = (
        "import sys, consentkit, consentkit.testing, consentkit.integrations\n"
        "loaded = [m for m in ('django', 'flask', 'starlette', 'fastapi') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
