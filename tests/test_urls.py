"""URL patterns against URLs parsed as browsers parse them (consentkit.html._urls)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit import ConfigurationError
from consentkit.html._idna import HOST_HIDING, HOST_HIDING_UTF8, _generate
from consentkit.html._urls import UrlPatterns, resolve_base
from tests.html_strategies import URL_FORMS, VENDOR_URLS, _mangle

PATTERNS = UrlPatterns(
    [
        ("ga", ["https://www.googletagmanager.com/gtag/js*", "*.google-analytics.com/*"]),
        ("recaptcha", ["www.google.com/recaptcha/*", "www.gstatic.com/recaptcha/*"]),
        ("youtube", ["//www.youtube.com/embed/*"]),
        ("cdn", ["cdn?.example.net/lib/*.js"]),
        ("preconnect", ["fonts.example.org"]),
        ("any-host", ["*/pixel.gif"]),
    ]
)


def vendors(url: str, base: str | None = None) -> tuple[str, ...]:
    return PATTERNS.vendors(url, base)


class TestMatching:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            pytest.param("https://www.googletagmanager.com/gtag/js?id=G-1", ("ga",), id="prefix"),
            pytest.param("https://region1.google-analytics.com/g/collect", ("ga",), id="sub"),
            pytest.param("https://a.b.google-analytics.com/x", ("ga",), id="labels"),
            pytest.param("https://google-analytics.com/x", (), id="star-label-needs-one"),
            pytest.param("https://www.google-analytics.com.evil.example/x", (), id="suffix"),
            pytest.param("https://wwwgoogle-analytics.com/x", (), id="no-dot"),
            pytest.param("wss://www.google-analytics.com/x", ("ga",), id="wss"),
            pytest.param("ftp://www.google-analytics.com/x", ("ga",), id="ftp"),
            pytest.param("file://www.google-analytics.com/x", (), id="file"),
            pytest.param("https://www.google-analytics.com:8443/x", ("ga",), id="any-port"),
            pytest.param("https://cdn1.example.net/lib/a.js", ("cdn",), id="question-mark"),
            pytest.param("https://cdn12.example.net/lib/a.js", (), id="question-is-one"),
            pytest.param("https://cdn1.example.net/lib/x/a.js", (), id="star-not-slash"),
            pytest.param("https://fonts.example.org", ("preconnect",), id="root"),
            pytest.param("https://fonts.example.org/", ("preconnect",), id="root-slash"),
            pytest.param("https://fonts.example.org/css", (), id="no-path-is-root-only"),
            pytest.param("https://anything.example/pixel.gif", ("any-host",), id="any-host"),
            pytest.param("https://anything.example/a/pixel.gif", (), id="any-host-path"),
        ],
    )
    def test_components(self, url: str, expected: tuple[str, ...]) -> None:
        """Host and path are matched apart, each by its own rules."""
        assert vendors(url) == expected

    @pytest.mark.parametrize(
        "url",
        [
            "https://site.example/out?u=https://www.google-analytics.com/x",
            "https://site.example/redirect/www.google-analytics.com/collect",
            "https://site.example/www.youtube.com/embed/x",
            "https://site.example/#https://www.google.com/recaptcha/api.js",
            "/proxy/https://www.googletagmanager.com/gtag/js",
            "https://user:www.google-analytics.com@site.example/x",
        ],
    )
    def test_first_party_url_carrying_a_tracker(self, url: str) -> None:
        """A tracker's URL in another URL's path, query, fragment or user info is not its
        host: ``*`` never runs from one component into another."""
        assert vendors(url, "https://site.example/") == ()

    @pytest.mark.parametrize(
        ("url", "base", "expected"),
        [
            pytest.param("/g/collect", None, (), id="relative-no-base"),
            pytest.param("//www.google-analytics.com/c", None, ("ga",), id="scheme-relative"),
            pytest.param("collect", "https://www.google-analytics.com/g/", ("ga",), id="base"),
            pytest.param("../recaptcha/api.js", "https://www.google.com/x/", ("recaptcha",)),
            pytest.param("/c", "data:text/html,x", (), id="opaque-base"),
            pytest.param("https:www.google-analytics.com/c", None, ("ga",), id="no-slashes"),
        ],
    )
    def test_resolution(self, url: str, base: str | None, expected: tuple[str, ...]) -> None:
        """Relative URLs resolve against the base; with none, only what names a host."""
        assert vendors(url, base) == expected

    @pytest.mark.parametrize("form", URL_FORMS)
    @pytest.mark.parametrize("url", VENDOR_URLS[:3])
    def test_spellings_browsers_read_alike(self, url: str, form: str) -> None:
        """Every spelling the WHATWG parser reads as the same URL matches the same."""
        assert vendors(_mangle(url, form)) == vendors(url) == ("ga",)

    def test_percent_decoded_path(self) -> None:
        """Unreserved characters percent-encoded in the path are the same path."""
        assert vendors("https://www.google.com/%72ecaptcha/api.js") == ("recaptcha",)


class TestPatternErrors:
    @pytest.mark.parametrize(
        ("pattern", "message"),
        [
            pytest.param("", "empty URL pattern", id="empty"),
            pytest.param("   ", "empty URL pattern", id="blank"),
            pytest.param("https:///path", "no valid host", id="no-host"),
            pytest.param("www.exa mple.com/x", "no valid host", id="space"),
            pytest.param("www.example.com%2F/x", "no valid host", id="percent"),
        ],
    )
    def test_bad_pattern_named(self, pattern: str, message: str) -> None:
        """A pattern that can't match a host is refused, naming vendor and pattern."""
        with pytest.raises(ConfigurationError, match=message) as caught:
            UrlPatterns([("tracker", [pattern])])

        assert "'tracker'" in str(caught.value)


class TestResolveBase:
    @pytest.mark.parametrize(
        ("href", "base", "expected"),
        [
            ("https://www.google-analytics.com/", None, "https://www.google-analytics.com/"),
            ("/a/", "https://site.example/x", "https://site.example/a/"),
            ("javascript:void(0)", None, None),
            ("data:text/html,x", None, None),
            ("https://[::1", None, None),
        ],
    )
    def test_base(self, href: str, base: str | None, expected: str | None) -> None:
        """A base that doesn't parse, or that the HTML Standard ignores, sets nothing."""
        assert resolve_base(href, base) == expected


class TestNeverRaises:
    @given(
        url=st.text(),
        base=st.sampled_from([None, "https://site.example/a/", "data:,x", "about:blank"]),
    )
    def test_any_text(self, url: str, base: str | None) -> None:
        """Any text, surrogates and controls included, is matched or not, never an error."""
        assert set(vendors(url, base)) <= {
            "ga",
            "recaptcha",
            "youtube",
            "cdn",
            "preconnect",
            "any-host",
        }

    @given(href=st.text(), base=st.sampled_from([None, "https://site.example/", "data:,x"]))
    def test_any_base(self, href: str, base: str | None) -> None:
        """resolve_base gives an http(s)-like URL string or None, never an error."""
        resolved = resolve_base(href, base)

        assert resolved is None or not resolved.startswith(("data:", "javascript:"))


class TestHostHidingTable:
    def test_table_is_what_ada_maps(self) -> None:
        """The generated table is current with the installed ada (regenerate with
        ``python -m consentkit.html._idna`` when this fails after an upgrade)."""
        assert _generate() == HOST_HIDING

    def test_utf8_regex_finds_exactly_the_table(self) -> None:
        """The trie regex matches each code point of the table and no other."""
        listed = {c for first, last in HOST_HIDING for c in range(first, last + 1)}
        found = {
            code
            for code in range(0x80, 0x110000)
            if not 0xD800 <= code <= 0xDFFF
            and HOST_HIDING_UTF8.fullmatch(chr(code).encode("utf-8"))
        }

        assert found == listed
