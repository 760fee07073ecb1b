"""The banner's server side: the loader it injects, its assets, its words, Consent Mode."""

from __future__ import annotations

import json
import re
import tomllib
from itertools import pairwise
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit import Catalogue, Consent, ConsentConfig, WSGIConsentMiddleware
from consentkit.banner import (
    _CRAWLER,
    ASSETS,
    consent_mode_state,
    csp_nonce,
    is_crawler,
    negotiate_language,
    notice,
    texts,
)
from consentkit.catalogue import ConsentModeMapping
from consentkit.html import HtmlRewriter, VendorDetector
from tests import apps
from tests.helpers import ROOT, SECRET

BASE = "http://shop.example.com"
CONFIG_ELEMENT = re.compile(
    r'<script type="application/json" id="consentkit-config">(.*?)</script>'
)


def client(catalogue: Catalogue, **options: Any) -> httpx.Client:
    config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], **options)
    app = WSGIConsentMiddleware(apps.wsgi_app, config)
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE)


def injected_config(html: str) -> dict[str, Any]:
    match = CONFIG_ELEMENT.search(html)
    assert match, html[:300]
    loaded: dict[str, Any] = json.loads(match.group(1))
    return loaded


@pytest.fixture
def cm_catalogue(data: dict[str, Any]) -> Catalogue:
    """The reference catalogue with audience measurement driving analytics_storage."""
    assert data["consent_mode"] == {
        "analytics_storage": ["audience"],
        "vendors": ["google-analytics"],
    }
    return Catalogue.model_validate(data)


class TestInjection:
    def test_first_in_the_head(self, catalogue: Catalogue) -> None:
        """The loader goes right after <head>, before any Google tag, and shows the banner."""
        with client(catalogue) as http:
            html = http.get("/").text
        head = html.index("<head>") + len("<head>")
        assert html[head:].startswith('<script type="application/json" id="consentkit-config">')
        assert html.index("consentkit-config") < html.index("googletagmanager")
        config = injected_config(html)
        assert config == {
            "endpoint": "/_consentkit/consent",
            "lang": "fr",
            "show": True,
            "allowed": ["didomi", "google-recaptcha"],
            "consentMode": None,
        }
        assert '<script defer="defer" src="/_consentkit/banner.js?v=' in html
        assert '<link rel="stylesheet" href="/_consentkit/banner.css?v=' in html

    def test_returning_visitor_banner_closed(self, catalogue: Catalogue) -> None:
        """With a valid consent the loader is there (to reopen it) but doesn't show it."""
        token = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET]).signer.dumps(
            Consent.accept_all(catalogue)
        )
        with client(catalogue) as http:
            config = injected_config(http.get("/", headers={"Cookie": f"consentkit={token}"}).text)
        assert config["show"] is False
        assert config["allowed"] == ["didomi", "google-analytics", "google-recaptcha"]

    def test_language_from_accept_language(self, catalogue: Catalogue) -> None:
        """The visitor's language among the catalogue's, else the default."""
        with client(catalogue) as http:
            english = http.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}).text
            german = http.get("/", headers={"Accept-Language": "de-DE"}).text
        assert injected_config(english)["lang"] == "en"
        assert injected_config(german)["lang"] == "fr"

    def test_language_forced_by_config(self, catalogue: Catalogue) -> None:
        """A site may fix the banner's language."""
        with client(catalogue, language="en") as http:
            assert injected_config(http.get("/").text)["lang"] == "en"

    def test_csp_nonce_passed_through(self, catalogue: Catalogue) -> None:
        """The response's CSP nonce goes on every injected script and link."""

        def app(environ: dict[str, Any], start: Any) -> list[bytes]:
            start(
                "200 OK",
                [
                    ("Content-Type", "text/html"),
                    ("Content-Security-Policy", "script-src 'self' 'nonce-r4nd0m+/='"),
                ],
            )
            return [b"<html><head><title>x</title></head><body></body></html>"]

        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET])
        wrapped = WSGIConsentMiddleware(app, config)
        with httpx.Client(transport=httpx.WSGITransport(app=wrapped), base_url=BASE) as http:
            html = http.get("/").text
        assert html.count('nonce="r4nd0m+/="') == 2

    def test_crawlers_get_no_banner_and_no_consent(self, catalogue: Catalogue) -> None:
        """A crawler sees no banner, and its cookies never count as consent."""
        token = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET]).signer.dumps(
            Consent.accept_all(catalogue)
        )
        ua = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
        with client(catalogue) as http:
            page = http.get("/", headers={"User-Agent": ua, "Cookie": f"consentkit={token}"})
            who = http.get("/whoami", headers={"User-Agent": ua, "Cookie": f"consentkit={token}"})
        assert "consentkit-config" not in page.text
        assert 'data-consentkit-vendor="google-analytics"' in page.text
        assert who.text == "none"

    def test_banner_off(self, catalogue: Catalogue) -> None:
        """banner=False injects nothing."""
        with client(catalogue, banner=False) as http:
            assert "consentkit-config" not in http.get("/").text

    def test_config_json_cannot_close_the_element(self, data: dict[str, Any]) -> None:
        """Text in the injected JSON can't end the element it lives in."""
        from consentkit.banner import loader

        snippet = loader(
            mount_path="/_consentkit",
            lang="fr",
            show=True,
            allowed=["</script><script>alert(1)</script>"],
            consent_mode=None,
            nonce=None,
        ).decode()
        assert snippet.count("</script>") == 2  # the element's own, and banner.js's


def injected(page: bytes, cuts: list[int] | None = None) -> bytes:
    """The page as the rewriter's stream gives it, with the loader ``X``."""
    stream = HtmlRewriter(VendorDetector([]), lambda vendor: False).stream(b"X")
    points = [0, *sorted(c % (len(page) + 1) for c in cuts or []), len(page)]
    return b"".join(stream.feed(page[a:b]) for a, b in pairwise(points)) + stream.close()


class TestLoaderPlace:
    @pytest.mark.parametrize(
        ("page", "expected"),
        [
            pytest.param(b"<html><head><title>", b"<html><head>X<title>", id="head"),
            pytest.param(b'<HTML><HEAD lang="fr">t', b'<HTML><HEAD lang="fr">Xt', id="upper-attrs"),
            pytest.param(
                b"<!doctype html><html><header>h</header><body>",
                b"<!doctype html><html>X<header>h</header><body>",
                id="header-implies-head",
            ),
            pytest.param(b"<title>t</title><body>b", b"X<title>t</title><body>b", id="no-head-tag"),
            pytest.param(b"<p>fragment</p>", b"<p>fragment</p>", id="fragment"),
            pytest.param(
                b"<!doctype html><!-- <head> --><html><head>",
                b"<!doctype html><!-- <head> --><html><head>X",
                id="head-in-comment",
            ),
            pytest.param(
                b"<!doctype html>\n  <base href=/x><head>",
                b"<!doctype html>\n  X<base href=/x><head>",
                id="base-implies-head",
            ),
            pytest.param(b"<!doctype html>hello", b"<!doctype html>Xhello", id="text"),
            pytest.param(b"<!doctype html>", b"<!doctype html>X", id="empty"),
            pytest.param(
                b'<?xml version="1.0"?><html><head>',
                b'<?xml version="1.0"?><html><head>X',
                id="xhtml",
            ),
        ],
    )
    def test_where(self, page: bytes, expected: bytes) -> None:
        """Where the parser opens the head, in a document; nowhere in a fragment."""
        assert injected(page) == expected

    @given(st.lists(st.integers(0, 200), max_size=6))
    def test_any_split_gives_the_same_page(self, cuts: list[int]) -> None:
        """However the page is cut into chunks, the loader lands in the same place."""
        page = (
            b'<!doctype html><!-- <head> --><html lang="fr"><head data-x="1">'
            b"<title>t</title><script>var s = '<head>';</script></head><body></body></html>"
        )
        assert injected(page, cuts) == page.replace(b'"1">', b'"1">X')


class TestAssets:
    @pytest.mark.parametrize("name", ["banner.js", "banner.css", "consent-mode.js"])
    def test_served_with_etag(self, catalogue: Catalogue, name: str) -> None:
        """Each asset is served with its type and an ETag, and revalidates to 304."""
        with client(catalogue) as http:
            response = http.get(f"/_consentkit/{name}")
            again = http.get(
                f"/_consentkit/{name}", headers={"If-None-Match": response.headers["etag"]}
            )
        assert response.status_code == 200
        assert response.content == ASSETS[name].body
        assert response.headers["content-type"].startswith(("text/javascript", "text/css"))
        assert (again.status_code, again.content) == (304, b"")

    def test_versioned_url_is_immutable(self, catalogue: Catalogue) -> None:
        """The loader's URL carries the content's digest, so it may be cached for good."""
        asset = ASSETS["banner.js"]
        with client(catalogue) as http:
            versioned = http.get(f"/_consentkit/banner.js?v={asset.version}")
            bare = http.get("/_consentkit/banner.js")
        assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert bare.headers["cache-control"] == "public, max-age=3600"

    def test_head_and_reason_phrase(self, catalogue: Catalogue) -> None:
        """HEAD answers like GET without a body; statuses carry their reason phrase."""
        from tests.test_wsgi import Recorder, environ

        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET])
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        recorder = Recorder()
        etag = ASSETS["banner.css"].etag
        body = b"".join(app(environ("/_consentkit/banner.css", HTTP_IF_NONE_MATCH=etag), recorder))
        assert (recorder.calls[0][0], body) == ("304 Not Modified", b"")
        body = b"".join(app(environ("/_consentkit/banner.css", REQUEST_METHOD="HEAD"), recorder))
        assert recorder.calls[1][0] == "200 OK"
        assert body == b""
        assert ("Content-Length", str(len(ASSETS["banner.css"].body))) in recorder.calls[1][1]

    def test_get_consent_has_the_banner_words(self, catalogue: Catalogue) -> None:
        """The banner's texts come with the catalogue, localised, catalogue overrides first."""
        with client(catalogue) as http:
            fr = http.get("/_consentkit/consent").json()["catalogue"]["texts"]
            en = http.get("/_consentkit/consent?lang=en").json()["catalogue"]["texts"]
        assert (fr["accept_all"], fr["refuse_all"]) == ("Tout accepter", "Continuer sans accepter")
        assert en["accept_all"] == "Accept all"
        assert fr["safeguards"]["standard-contractual-clauses"] == "Clauses contractuelles types"


def videos_only(data: dict[str, Any]) -> dict[str, Any]:
    """The reference catalogue where the only optional purpose is embedded videos, not
    audience measurement."""
    data["purposes"][3] = {
        "id": "videos",
        "name": {"fr": "Vidéos intégrées", "en": "Embedded videos"},
        "description": {"fr": "Lire les vidéos", "en": "Plays videos"},
    }
    data["vendors"][0]["purposes"] = ["videos"]
    del data["consent_mode"]
    return data


class TestNotice:
    def test_names_the_catalogues_optional_purpose(self, data: dict[str, Any]) -> None:
        """With videos as the only optional purpose, the notice asks for videos, in each
        language, and says nothing of audience measurement."""
        catalogue = Catalogue.model_validate(videos_only(data))
        with client(catalogue) as http:
            fr = http.get("/_consentkit/consent").json()["catalogue"]["texts"]["notice"]
            en = http.get("/_consentkit/consent?lang=en").json()["catalogue"]["texts"]["notice"]
        assert fr.startswith(
            "Avec votre accord, nous et nos partenaires déposons des cookies et utilisons des "
            "données de navigation pour la finalité suivante : Vidéos intégrées. Les cookies "
            "strictement nécessaires"
        )
        assert en.startswith(
            "With your consent, we and our partners set cookies and use browsing data for "
            "this purpose: Embedded videos. Cookies that are strictly necessary"
        )
        assert "audience" not in fr + en

    def test_lists_every_optional_purpose_in_order(self, data: dict[str, Any]) -> None:
        """Several optional purposes are listed as the catalogue orders them."""
        data["purposes"].append(
            {
                "id": "ads",
                "name": {"fr": "Publicité", "en": "Advertising"},
                "description": {"fr": "x", "en": "x"},
            }
        )
        catalogue = Catalogue.model_validate(data)
        assert "pour les finalités suivantes : Mesure d'audience et Publicité." in notice(
            catalogue, "fr"
        )
        assert "for these purposes: Audience measurement and Advertising." in notice(
            catalogue, "en"
        )

    def test_no_partner_named_when_none_needs_consent(self, data: dict[str, Any]) -> None:
        """When only the site's own cookies need consent, the notice speaks for the site alone."""
        data["vendors"] = data["vendors"][1:]  # Google Analytics, the optional vendor, gone
        data["cookies"] = [c for c in data["cookies"] if c["vendor"] != "google-analytics"]
        data["cookies"].append(
            {
                "name": "theme",
                "purposes": ["audience"],
                "duration": "13 months",
                "description": {"fr": "x", "en": "x"},
            }
        )
        del data["consent_mode"]
        text = notice(Catalogue.model_validate(data), "fr")
        assert text.startswith("Avec votre accord, nous déposons des cookies")
        assert "partenaires" not in text

    def test_essential_only(self, data: dict[str, Any]) -> None:
        """A catalogue with nothing to consent to says so instead of asking."""
        data["purposes"] = data["purposes"][:3]
        data["vendors"] = data["vendors"][1:]
        data["cookies"] = [c for c in data["cookies"] if c["vendor"] != "google-analytics"]
        del data["consent_mode"]
        catalogue = Catalogue.model_validate(data)
        assert notice(catalogue, "en") == (
            "We only set cookies that are strictly necessary for the site to work, which "
            "can't be refused."
        )

    def test_catalogue_text_overrides_it(self, data: dict[str, Any]) -> None:
        """A catalogue's [texts.<lang>] notice replaces the built one, in that language only."""
        data["texts"] = {"fr": {"notice": "Notre propre texte."}}
        catalogue = Catalogue.model_validate(data)
        assert texts(catalogue, "fr")["notice"] == "Notre propre texte."
        assert texts(catalogue, "en")["notice"] == notice(catalogue, "en")

    def test_docs_override_snippet(self, data: dict[str, Any]) -> None:
        """The notice override docs/banner.md shows is a valid [texts] table that replaces
        the built notice."""
        doc = (ROOT / "docs" / "banner.md").read_text("utf-8")
        snippet = next(
            block for block in re.findall(r"```toml\n(.*?)```", doc, re.S) if "notice" in block
        )
        data["texts"] = tomllib.loads(snippet)["texts"]
        catalogue = Catalogue.model_validate(data)
        assert texts(catalogue, "fr")["notice"] == data["texts"]["fr"]["notice"]
        assert texts(catalogue, "en")["notice"].startswith("With your consent, we and our")


class TestConsentMode:
    def test_state(self) -> None:
        """A signal is granted only when all its purposes are; unmapped signals are denied."""
        mapping = ConsentModeMapping(
            analytics_storage=("audience",), ad_storage=("ads", "audience")
        )
        assert consent_mode_state(mapping, None) == dict.fromkeys(
            ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization"), "denied"
        )
        assert (
            consent_mode_state(mapping, frozenset({"audience"}))["analytics_storage"] == "granted"
        )
        assert consent_mode_state(mapping, frozenset({"audience"}))["ad_storage"] == "denied"

    def test_injected_for_basic_mode(self, cm_catalogue: Catalogue) -> None:
        """Basic mode: denied defaults before any Google tag, and GA still neutralised."""
        with client(cm_catalogue, consent_mode="basic") as http:
            html = http.get("/").text
        config = injected_config(html)
        assert config["consentMode"]["state"]["analytics_storage"] == "denied"
        assert config["consentMode"]["signals"]["analytics_storage"] == ["audience"]
        assert html.index("/_consentkit/consent-mode.js") < html.index("googletagmanager")
        assert ' src="https://www.googletagmanager.com' not in html

    def test_advanced_mode_loads_google_tags_but_filters_cookies(
        self, cm_catalogue: Catalogue
    ) -> None:
        """Advanced mode: Google's tags load with denied signals; `_ga` is still dropped."""
        with client(cm_catalogue, consent_mode="advanced") as http:
            response = http.get("/set-ga")
        assert ' src="https://www.googletagmanager.com' in response.text
        assert response.headers.get_list("set-cookie") == []

    def test_needs_a_mapping(self, data: dict[str, Any]) -> None:
        """Consent Mode without the catalogue's mapping is a configuration error."""
        from consentkit import ConfigurationError

        del data["consent_mode"]
        catalogue = Catalogue.model_validate(data)
        with pytest.raises(ConfigurationError, match=r"\[consent_mode\]"):
            ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], consent_mode="basic")

    def test_mapping_names_known_purposes(self, data: dict[str, Any]) -> None:
        """The mapping's purposes and vendors must exist."""
        from consentkit import ConfigurationError

        data["consent_mode"] = {"ad_storage": ["ads"], "vendors": ["matomo"]}
        with pytest.raises(ConfigurationError) as info:
            Catalogue.model_validate(data)
        assert info.value.problems == [
            "consent_mode.ad_storage: unknown purpose 'ads'",
            "consent_mode.vendors: unknown vendor 'matomo'",
        ]


class TestHelpers:
    @pytest.mark.parametrize(
        ("ua", "crawler"),
        [
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True),
            ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", True),
            ("facebookexternalhit/1.1", True),
            ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", True),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
                False,
            ),
            ("Mozilla/5.0 (Linux; Android 10; Cubot X30) AppleWebKit/537.36", False),
            ("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36 Chrome-Lighthouse", False),
            ("", False),
        ],
    )
    def test_is_crawler(self, ua: str, crawler: bool) -> None:
        """Known crawlers are recognised; browsers, phones named Cubot included, are not."""
        assert is_crawler(ua) is crawler

    @given(st.text(alphabet=st.sampled_from("botBOT/1 sSſpiderSPIDERkK\u212aıİi"), max_size=12))
    def test_is_crawler_is_case_blind(self, ua: str) -> None:
        """Any text is a crawler exactly when the case-blind pattern finds one in it."""
        assert is_crawler(ua) is (_CRAWLER.search(ua) is not None)

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("en-GB,en;q=0.9,fr;q=0.8", "en"),
            ("de-DE,fr;q=0.5,en;q=0.4", "fr"),
            ("en;q=0, fr", "fr"),
            ("*", "fr"),
            ("garbage;q=x", "fr"),
            (None, "fr"),
        ],
    )
    def test_negotiate_language(self, header: str | None, expected: str) -> None:
        """The best of the visitor's languages the catalogue has, else its default."""
        assert negotiate_language(header, ("fr", "en"), "fr") == expected

    def test_csp_nonce(self) -> None:
        """The nonce of the response's CSP, if any."""
        assert (
            csp_nonce([("Content-Security-Policy", "default-src 'self'; script-src 'nonce-abc'")])
            == "abc"
        )
        assert csp_nonce([("Content-Type", "text/html")]) is None
