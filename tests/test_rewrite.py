from __future__ import annotations

import pytest

from consentkit import Catalogue, Consent, Gate
from consentkit.rewrite import (
    add_vary_cookie,
    filter_set_cookies,
    is_rewritable,
    stale_cookie_deletions,
)

GA = "_ga=GA1.1.1.2; Path=/; Domain=.example.com; Max-Age=63072000; SameSite=Lax"


class TestFilterSetCookies:
    def test_drops_denied_keeps_others(self, catalogue: Catalogue) -> None:
        """Without consent, `_ga` is dropped; essential and other headers stay in order."""
        headers = [
            ("Content-Type", "text/html"),
            ("Set-Cookie", GA),
            ("set-cookie", "_ga_XYZ=GS1; Path=/"),
            ("Set-Cookie", "didomi_token=abc; Path=/"),
        ]
        assert filter_set_cookies(headers, Gate(catalogue, None)) == [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "didomi_token=abc; Path=/"),
        ]

    def test_keeps_allowed(self, catalogue: Catalogue) -> None:
        """With consent, the app's GA cookie goes out unchanged."""
        headers = [("Set-Cookie", GA)]
        assert (
            filter_set_cookies(headers, Gate(catalogue, Consent.accept_all(catalogue))) == headers
        )

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("_ga=; Max-Age=0; Path=/", id="max-age-0"),
            pytest.param("_ga=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", id="expires-past"),
        ],
    )
    def test_app_deletions_always_pass(self, catalogue: Catalogue, value: str) -> None:
        """An app removing a tracker cookie is never stopped."""
        headers = [("Set-Cookie", value)]
        assert filter_set_cookies(headers, Gate(catalogue, None)) == headers

    def test_unparsable_passes(self, catalogue: Catalogue) -> None:
        """A header no browser would accept is left for the browser to ignore."""
        headers = [("Set-Cookie", "no-equals-sign")]
        assert filter_set_cookies(headers, Gate(catalogue, None)) == headers

    def test_strict_blocks_undeclared(self, catalogue: Catalogue) -> None:
        """In strict mode an undeclared cookie is dropped."""
        headers = [("Set-Cookie", "tracker=1")]
        assert filter_set_cookies(headers, Gate(catalogue, None, strict=True)) == []


class TestStaleCookieDeletions:
    def test_expires_on_host_and_parent_domains(self, catalogue: Catalogue) -> None:
        """A denied `_ga` is expired host-only and on every parent domain, on Path=/."""
        deletions = stale_cookie_deletions(["_ga"], Gate(catalogue, None), "www.example.com:8443")
        expired = "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
        assert deletions == [
            f"_ga=; Path=/; {expired}",
            f"_ga=; Path=/; Domain=www.example.com; {expired}",
            f"_ga=; Path=/; Domain=example.com; {expired}",
        ]

    def test_only_declared_denied_cookies(self, catalogue: Catalogue) -> None:
        """Allowed, essential, undeclared and kept cookies are never deleted."""
        gate = Gate(catalogue, None)
        names = ["sessionid", "didomi_token", "consentkit", "_gid"]
        deletions = stale_cookie_deletions(names, gate, "localhost", keep=["consentkit"])
        assert deletions == ["_gid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"]

    def test_rule_domain_and_path(self, data: dict, catalogue: Catalogue) -> None:  # type: ignore[type-arg]
        """A rule naming its own domain and path is also expired there."""
        data["cookies"][0]["domain"] = ".plus-que-pro.fr"
        data["cookies"][0]["path"] = "/avis"
        gate = Gate(Catalogue.model_validate(data), None)
        deletions = stale_cookie_deletions(["_ga"], gate, "localhost")
        assert deletions[-1] == (
            "_ga=; Path=/avis; Domain=.plus-que-pro.fr; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
            "Max-Age=0"
        )

    def test_forged_host_is_bounded(self, catalogue: Catalogue) -> None:
        """A Host with a hundred labels doesn't make a hundred headers."""
        host = ".".join(["a"] * 100) + ".com"
        assert len(stale_cookie_deletions(["_ga"], Gate(catalogue, None), host)) <= 6


class TestIsRewritable:
    @pytest.mark.parametrize(
        ("method", "status", "headers", "expected"),
        [
            pytest.param(
                "GET", 200, [("Content-Type", "text/html; charset=utf-8")], True, id="html"
            ),
            pytest.param("GET", 200, [("content-type", "application/xhtml+xml")], True, id="xhtml"),
            pytest.param("HEAD", 200, [("Content-Type", "text/html")], False, id="head"),
            pytest.param("GET", 204, [("Content-Type", "text/html")], False, id="204"),
            pytest.param("GET", 304, [("Content-Type", "text/html")], False, id="304"),
            pytest.param("GET", 200, [("Content-Type", "application/json")], False, id="json"),
            pytest.param("GET", 200, [], True, id="no-type-sniffed"),
            pytest.param(
                "GET",
                200,
                [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                False,
                id="gzip",
            ),
            pytest.param(
                "GET",
                200,
                [("Content-Type", "text/html"), ("Content-Encoding", "identity")],
                True,
                id="identity",
            ),
            pytest.param(
                "GET", 200, [("Content-Type", "text/html; charset=UTF-16")], True, id="utf16"
            ),
            pytest.param("POST", 404, [("Content-Type", "text/html")], True, id="error-page"),
        ],
    )
    def test_cases(
        self, method: str, status: int, headers: list[tuple[str, str]], expected: bool
    ) -> None:
        """Only HTML bodies that are really sent, uncompressed and readable, are rewritten."""
        assert is_rewritable(method, status, headers) is expected


class TestVary:
    @pytest.mark.parametrize(
        ("before", "after"),
        [
            pytest.param([], [("Vary", "Cookie")], id="none"),
            pytest.param(
                [("Vary", "Accept-Encoding")], [("Vary", "Accept-Encoding, Cookie")], id="append"
            ),
            pytest.param([("vary", "cookie")], [("vary", "cookie")], id="already"),
            pytest.param([("Vary", "*")], [("Vary", "*")], id="star"),
        ],
    )
    def test_adds_cookie_once(
        self, before: list[tuple[str, str]], after: list[tuple[str, str]]
    ) -> None:
        """Vary gains Cookie exactly once."""
        assert add_vary_cookie(list(before)) == after
