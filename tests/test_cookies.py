"""Tests for consentkit.cookies: request Cookie parsing and Set-Cookie syntax."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit.cookies import (
    SetCookie,
    consent_cookie,
    cookie_names,
    deletion_domains,
    expire_cookie,
    get_cookie,
    parse_cookie_header,
    parse_set_cookie,
    set_cookie_name,
)

GA_SET_COOKIE = (
    "_ga=GA1.1.123.456; Path=/; Domain=.example.com; "
    "Expires=Fri, 26 Nov 2027 10:00:00 GMT; Max-Age=63072000; SameSite=Lax"
)
CF_BM = (
    "Qb3ZyA8Wq0.5m4oX1iHjJkqG7bXeZy2h9y0pVnCq4Yg-1700000000-1.0.1.1-"
    "9fJ2k3l4m5n6o7p8q9r0s1t2u3v4w5x6y7z8A9B0C1D2E3F4G5H6I7J8K9L0M1N2O3P4Q5R6S7T8U9V0W1X2Y3Z4a5b6c7d8e9f0g=="
)
TOKEN = "eyJ2IjoxLCJwIjpbImFuYWx5dGljcyJdfQ.ZkXq3p9vJmN0bGs4Yz-_AbCd"
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"

# --- hypothesis strategies ----------------------------------------------------------------

BLANKS = " \t"
# Control characters except HTAB: browsers never send them in a cookie.
CTLS = "".join(chr(c) for c in (*range(0x09), *range(0x0A, 0x20), 0x7F))


def _trimmed(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return text.map(lambda s: s.strip(BLANKS))


# Any text a pair can hold once the header is split: no ";" and no control character.
pair_text = st.text(st.characters(exclude_characters=";" + CTLS), max_size=20)
cookie_name = _trimmed(st.text(st.characters(exclude_characters=";=" + CTLS), max_size=12)).filter(
    bool
)
cookie_value = _trimmed(pair_text).filter(
    lambda v: not (len(v) > 1 and v[0] == '"' and v[-1] == '"')
)
# Few symbols, so that names, quotes, blanks and separators collide often.
cookieish_text = st.text(st.sampled_from(list('ab_=; \t"é\x00\x85\xa0')), max_size=40)
attribute_text = _trimmed(pair_text).filter(bool)
set_cookies = st.builds(
    SetCookie,
    name=cookie_name,
    value=_trimmed(pair_text),
    domain=st.none() | attribute_text,
    path=st.none() | pair_text.map(lambda s: ("/" + s).rstrip(BLANKS)),
    max_age=st.none() | st.integers(),
    expires=st.none() | attribute_text,
    secure=st.booleans(),
    http_only=st.booleans(),
    same_site=st.sampled_from([None, "Strict", "Lax", "None"]),
    partitioned=st.booleans(),
    # An "X-" prefix keeps generated attributes apart from the ones SetCookie has fields for.
    extra=st.lists(pair_text.map(lambda s: ("X-" + s).rstrip(BLANKS)), max_size=3).map(tuple),
)
set_cookie_attributes = st.sampled_from(
    [
        "Domain=.example.com",
        "domain=",
        "Path=/",
        "path=relative",
        "Max-Age=10",
        "max-age=-3",
        "MAX-AGE=1e3",
        f"Expires={EPOCH}",
        "expires=",
        "Secure",
        "secure=no",
        "HttpOnly",
        "SameSite=lax",
        "samesite=bogus",
        "Partitioned",
        "Priority=High",
        "",
        " ",
        "=",
    ]
)
set_cookie_like = st.tuples(
    cookieish_text, st.lists(set_cookie_attributes | cookieish_text, max_size=8)
).map(lambda t: "; ".join([t[0], *t[1]]))


# --- request Cookie header ----------------------------------------------------------------


class TestParseCookieHeader:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            pytest.param("", {}, id="empty"),
            pytest.param(
                "_ga=GA1.1.123.456; _ga_ABC123=GS1.1.1700000000.1.0.1700000000.0.0.0",
                {"_ga": "GA1.1.123.456", "_ga_ABC123": "GS1.1.1700000000.1.0.1700000000.0.0.0"},
                id="google-analytics",
            ),
            pytest.param(f"__cf_bm={CF_BM}; a=1", {"__cf_bm": CF_BM, "a": "1"}, id="cloudflare"),
            pytest.param('a="x y"', {"a": "x y"}, id="quoted"),
            pytest.param('a="x\\"y"', {"a": 'x\\"y'}, id="quoted-no-unescaping"),
            pytest.param('a=""', {"a": ""}, id="quoted-empty"),
            pytest.param('a="', {"a": '"'}, id="lone-quote"),
            pytest.param('a="x', {"a": '"x'}, id="unbalanced-quote"),
            pytest.param("a=b=c", {"a": "b=c"}, id="equals-in-value"),
            pytest.param("a=; b=1", {"a": "", "b": "1"}, id="empty-value"),
            pytest.param(";;a=1;;b=2;;", {"a": "1", "b": "2"}, id="empty-pairs"),
            pytest.param("  a  =  1  ;  b=2 ", {"a": "1", "b": "2"}, id="stray-spaces"),
            pytest.param("\ta\t=\t1\t;b=2", {"a": "1", "b": "2"}, id="tabs"),
            pytest.param("a\tb=1", {"a\tb": "1"}, id="tab-inside-name"),
            pytest.param("a=x y", {"a": "x y"}, id="space-inside-value"),
            pytest.param("a=1; a=2", {"a": "1"}, id="duplicate-first-wins"),
            pytest.param("a=1; A=2", {"a": "1", "A": "2"}, id="names-case-sensitive"),
            pytest.param("flag; a=1", {"a": "1"}, id="pair-without-equals"),
            pytest.param("=x; a=1", {"a": "1"}, id="empty-name"),
            pytest.param("a\x00b=1; c\x7f=2; d=3", {"d": "3"}, id="control-in-name"),
            pytest.param("a=1\x002", {"a": "1\x002"}, id="control-in-value-kept"),
            pytest.param("a=1, b=2", {"a": "1, b=2"}, id="comma-is-not-a-separator"),
            pytest.param("$Version=1; a=1", {"$Version": "1", "a": "1"}, id="rfc2965-dollar"),
            pytest.param(
                "caf\xc3\xa9=cr\xc3\xa8me; \xe2\x82\xac=1",
                {"caf\xc3\xa9": "cr\xc3\xa8me", "\xe2\x82\xac": "1"},
                id="utf8-bytes-as-latin1",
            ),
            pytest.param("a=\xa01\xa0", {"a": "\xa01\xa0"}, id="nbsp-is-not-a-blank"),
        ],
    )
    def test_parses(self, header: str, expected: dict[str, str]) -> None:
        """Pairs are split, trimmed and unquoted as browsers send them; junk is skipped."""
        assert expected == parse_cookie_header(header)

    def test_huge_header(self) -> None:
        """A 100 KB header of 5,000 pairs parses completely, in order."""
        header = "; ".join(f"c{i}=v{i:014d}" for i in range(5000))
        assert len(header) > 100_000

        cookies = parse_cookie_header(header)

        assert len(cookies) == 5000
        assert (next(iter(cookies)), list(cookies)[-1]) == ("c0", "c4999")

    def test_huge_junk(self) -> None:
        """100 KB without a single separator is one pair, or nothing."""
        assert parse_cookie_header("x" * 100_000) == {}
        assert parse_cookie_header("x" + "=" * 100_000) == {"x": "=" * 99_999}

    @given(header=st.text() | cookieish_text)
    def test_never_raises(self, header: str) -> None:
        """Any text gives a dict of clean names to values."""
        cookies = parse_cookie_header(header)

        for name, value in cookies.items():
            assert name == name.strip(BLANKS) != ""
            assert ";" not in name + value
            assert "=" not in name

    @given(
        pairs=st.lists(st.tuples(cookie_name, cookie_value), max_size=8),
        separator=st.sampled_from(["; ", ";", " ; ", ";\t"]),
        quote=st.booleans(),
    )
    def test_round_trip(self, pairs: list[tuple[str, str]], separator: str, quote: bool) -> None:
        """A header built from valid pairs parses back to them, first value winning."""
        header = separator.join(f'{n}="{v}"' if quote else f"{n}={v}" for n, v in pairs)
        expected: dict[str, str] = {}
        for name, value in pairs:
            expected.setdefault(name, value)

        assert expected == parse_cookie_header(header)


class TestGetCookie:
    @pytest.mark.parametrize(
        ("header", "name", "expected"),
        [
            pytest.param(
                f"_ga=GA1.1.1.2; consentkit={TOKEN}; x=1", "consentkit", TOKEN, id="token"
            ),
            pytest.param("_ga=1", "consentkit", None, id="missing"),
            pytest.param("", "a", None, id="empty-header"),
            pytest.param("xa=1; a=2", "a", "2", id="name-is-suffix-of-another"),
            pytest.param("_ga_ABC=1; _ga=2", "_ga", "2", id="name-is-prefix-of-another"),
            pytest.param("_ga=1", "ga", None, id="suffix-only"),
            pytest.param("x=a=1; a=2", "a", "2", id="name-inside-a-value"),
            pytest.param("x=a; a", "a", None, id="name-without-equals"),
            pytest.param("a=1; a=2", "a", "1", id="first-wins"),
            pytest.param(" \ta \t= \t1 \t; b=2", "a", "1", id="blanks"),
            pytest.param('a="x y"; b=2', "a", "x y", id="quoted"),
            pytest.param("b=2; a=", "a", "", id="empty-value-at-end"),
            pytest.param("a=b=c", "a", "b=c", id="equals-in-value"),
            pytest.param("a; b=1", "a; b", None, id="name-with-semicolon"),
            pytest.param("a=1=2", "a=1", None, id="name-with-equals"),
            pytest.param("a=1; b=2", " b", None, id="name-with-blank"),
            pytest.param("=1", "", None, id="empty-name"),
            pytest.param("a\x00=1", "a\x00", None, id="control-in-name"),
            pytest.param("a\tb=1", "a\tb", "1", id="tab-inside-name"),
        ],
    )
    def test_finds(self, header: str, name: str, expected: str | None) -> None:
        """Only a whole pair's name matches, never text inside another name or a value."""
        assert expected == get_cookie(header, name)

    @given(header=st.text() | cookieish_text, name=st.text() | cookieish_text)
    def test_agrees_with_parse_on_any_text(self, header: str, name: str) -> None:
        """get_cookie always gives the dict lookup's answer."""
        assert parse_cookie_header(header).get(name) == get_cookie(header, name)

    @given(header=st.text() | cookieish_text)
    def test_agrees_with_parse_for_every_name(self, header: str) -> None:
        """Every name the header holds is found, with the value parse_cookie_header gives."""
        for name, value in parse_cookie_header(header).items():
            assert value == get_cookie(header, name)


class TestCookieNames:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            pytest.param("", [], id="empty"),
            pytest.param("b=1; a=2; c=3", ["b", "a", "c"], id="in-order"),
            pytest.param("a=1; b=2; a=3", ["a", "b"], id="deduplicated"),
            pytest.param("a; =1; b\x00=2; c=3", ["c"], id="invalid-skipped"),
        ],
    )
    def test_names(self, header: str, expected: list[str]) -> None:
        """Names come in header order, once each, without the pairs parsing skips."""
        assert expected == cookie_names(header)


# --- Set-Cookie -----------------------------------------------------------------------------


class TestSetCookie:
    @pytest.mark.parametrize(
        ("cookie", "expected"),
        [
            pytest.param(SetCookie("a", "1"), "a=1", id="minimal"),
            pytest.param(SetCookie("a", ""), "a=", id="empty-value"),
            pytest.param(
                SetCookie(
                    "a",
                    "1",
                    domain=".example.com",
                    path="/p",
                    max_age=60,
                    expires=EPOCH,
                    secure=True,
                    http_only=True,
                    same_site="None",
                    partitioned=True,
                    extra=("Priority=High", "Comment"),
                ),
                f"a=1; Path=/p; Domain=.example.com; Expires={EPOCH}; Max-Age=60; Secure; "
                "HttpOnly; SameSite=None; Partitioned; Priority=High; Comment",
                id="everything",
            ),
            pytest.param(SetCookie("a", "1", max_age=-1), "a=1; Max-Age=-1", id="negative-age"),
        ],
    )
    def test_serializes(self, cookie: SetCookie, expected: str) -> None:
        """Fields are written in a fixed order, flags without a value, extras last."""
        assert expected == cookie.serialize()

    @pytest.mark.parametrize(
        ("cookie", "message"),
        [
            pytest.param(SetCookie("", "1"), "non-empty", id="empty-name"),
            pytest.param(SetCookie("a=b", "1"), "no '='", id="equals-in-name"),
            pytest.param(SetCookie("a;b", "1"), "';'", id="semicolon-in-name"),
            pytest.param(SetCookie(" a", "1"), "blanks", id="blank-around-name"),
            pytest.param(SetCookie("a", "1; Domain=evil.example"), "';'", id="attribute-injection"),
            pytest.param(SetCookie("a", "1\r\nX-Evil: 1"), "control", id="header-injection"),
            pytest.param(SetCookie("a", "1 "), "blanks", id="blank-around-value"),
            pytest.param(SetCookie("a", "1", domain=""), "empty", id="empty-domain"),
            pytest.param(SetCookie("a", "1", path="p"), "start with '/'", id="relative-path"),
            pytest.param(SetCookie("a", "1", path="/\n"), "control", id="control-in-path"),
            pytest.param(SetCookie("a", "1", expires=""), "empty", id="empty-expires"),
            pytest.param(SetCookie("a", "1", same_site="lax"), "'Lax'", id="same-site-case"),
            pytest.param(SetCookie("a", "1", extra=("",)), "empty", id="empty-extra"),
            pytest.param(SetCookie("a", "1", extra=("secure",)), "field", id="extra-with-a-field"),
            pytest.param(SetCookie("a", "1", extra=("Max-Age=1",)), "field", id="extra-max-age"),
        ],
    )
    def test_rejects(self, cookie: SetCookie, message: str) -> None:
        """A field that would change the header's meaning raises instead of being written."""
        with pytest.raises(ValueError, match=message):
            cookie.serialize()

    def test_frozen(self) -> None:
        """A SetCookie can't be changed once built."""
        cookie = SetCookie("a", "1")

        with pytest.raises(dataclasses.FrozenInstanceError):
            cookie.value = "2"  # type: ignore[misc]

    @given(cookie=set_cookies)
    def test_round_trip(self, cookie: SetCookie) -> None:
        """Every valid SetCookie parses back equal from its own serialization."""
        assert cookie == parse_set_cookie(cookie.serialize())


class TestParseSetCookie:
    @given(value=st.text() | cookieish_text)
    def test_name_alone_is_the_parsed_name(self, value: str) -> None:
        """The name read alone is the full parse's, or None for the same headers."""
        parsed = parse_set_cookie(value)
        assert set_cookie_name(value) == (parsed.name if parsed is not None else None)

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            pytest.param(
                GA_SET_COOKIE,
                SetCookie(
                    "_ga",
                    "GA1.1.123.456",
                    domain=".example.com",
                    path="/",
                    max_age=63072000,
                    expires="Fri, 26 Nov 2027 10:00:00 GMT",
                    same_site="Lax",
                ),
                id="google-analytics",
            ),
            pytest.param(
                f"__cf_bm={CF_BM}; path=/; expires=Sat, 25-Nov-23 10:30:00 GMT; "
                "domain=.example.com; HttpOnly; Secure; SameSite=None",
                SetCookie(
                    "__cf_bm",
                    CF_BM,
                    domain=".example.com",
                    path="/",
                    expires="Sat, 25-Nov-23 10:30:00 GMT",
                    secure=True,
                    http_only=True,
                    same_site="None",
                ),
                id="cloudflare",
            ),
            pytest.param(
                "sessionid=abc; expires=Fri, 10 Dec 2027 10:00:00 GMT; HttpOnly; "
                "Max-Age=1209600; Path=/; SameSite=Lax",
                SetCookie(
                    "sessionid",
                    "abc",
                    path="/",
                    max_age=1209600,
                    expires="Fri, 10 Dec 2027 10:00:00 GMT",
                    http_only=True,
                    same_site="Lax",
                ),
                id="django-session",
            ),
            pytest.param(
                "__Host-id=1; Secure; Path=/; Partitioned",
                SetCookie("__Host-id", "1", path="/", secure=True, partitioned=True),
                id="chips-partitioned",
            ),
            pytest.param('a="x y"', SetCookie("a", '"x y"'), id="quotes-kept"),
            pytest.param("a=b=c", SetCookie("a", "b=c"), id="equals-in-value"),
            pytest.param("a=", SetCookie("a", ""), id="empty-value"),
            pytest.param(" \ta \t= \t1 \t", SetCookie("a", "1"), id="blanks"),
            pytest.param(
                "a=1; DOMAIN=Example.COM; pAtH=/x; secure; HTTPONLY; samesite=STRICT",
                SetCookie(
                    "a",
                    "1",
                    domain="Example.COM",
                    path="/x",
                    secure=True,
                    http_only=True,
                    same_site="Strict",
                ),
                id="case-insensitive-attributes",
            ),
            pytest.param(
                "a=1; Path=/a; Path=/b; Max-Age=1; Max-Age=2",
                SetCookie("a", "1", path="/b", max_age=2),
                id="last-wins",
            ),
            pytest.param(
                "a=1; Max-Age=10; Max-Age=abc", SetCookie("a", "1", max_age=10), id="bad-age"
            ),
            pytest.param("a=1; Max-Age=+5", SetCookie("a", "1"), id="age-with-plus"),
            pytest.param("a=1; Max-Age=1e3", SetCookie("a", "1"), id="age-with-exponent"),
            pytest.param("a=1; Max-Age=-", SetCookie("a", "1"), id="age-minus-only"),
            pytest.param("a=1; Max-Age=-3", SetCookie("a", "1", max_age=-3), id="negative-age"),
            pytest.param("a=1; Max-Age= 7 ", SetCookie("a", "1", max_age=7), id="age-blanks"),
            pytest.param(
                "a=1; Domain=x.com; Domain=", SetCookie("a", "1", domain="x.com"), id="bad-domain"
            ),
            pytest.param("a=1; Path=/a; Path=rel", SetCookie("a", "1"), id="relative-path-resets"),
            pytest.param("a=1; Path=", SetCookie("a", "1"), id="empty-path"),
            pytest.param("a=1; Expires=", SetCookie("a", "1"), id="empty-expires"),
            pytest.param(
                "a=1; SameSite=Lax; SameSite=Bogus", SetCookie("a", "1"), id="unknown-same-site"
            ),
            pytest.param(
                "a=1; Secure=no; HttpOnly=0",
                SetCookie("a", "1", secure=True, http_only=True),
                id="flag-values",
            ),
            pytest.param(
                "a=1; Priority=High; ; Comment = x ;;SameParty",
                SetCookie("a", "1", extra=("Priority=High", "Comment = x", "SameParty")),
                id="unknown-attributes-kept",
            ),
            pytest.param("a=1;", SetCookie("a", "1"), id="trailing-semicolon"),
            pytest.param(
                "\xe2\x82\xac=caf\xc3\xa9", SetCookie("\xe2\x82\xac", "caf\xc3\xa9"), id="latin1"
            ),
        ],
    )
    def test_parses(self, header: str, expected: SetCookie) -> None:
        """Attributes are read as browsers read them: last wins, ignored ones dropped."""
        assert expected == parse_set_cookie(header)

    @pytest.mark.parametrize(
        "header",
        [
            pytest.param("", id="empty"),
            pytest.param("nameless", id="no-equals"),
            pytest.param("=value; Path=/", id="empty-name"),
            pytest.param(" \t=1", id="blank-name"),
            pytest.param("; a=1", id="attributes-only"),
            pytest.param("a=1\r\nX-Evil: 1", id="line-break"),
            pytest.param("a=1; Path=/\x00", id="nul"),
        ],
    )
    def test_no_usable_name(self, header: str) -> None:
        """Without a name, or with a control character browsers reject, there's no cookie."""
        assert parse_set_cookie(header) is None

    def test_ga_round_trip(self) -> None:
        """The Google Analytics header survives serialize and parse unchanged."""
        cookie = parse_set_cookie(GA_SET_COOKIE)

        assert cookie is not None
        assert cookie == parse_set_cookie(cookie.serialize())

    @given(header=st.text() | set_cookie_like)
    def test_parsed_cookies_round_trip(self, header: str) -> None:
        """Anything parsed from any text serializes, and parses back equal."""
        cookie = parse_set_cookie(header)

        if cookie is not None:
            assert cookie == parse_set_cookie(cookie.serialize())


# --- writing deletions and the consent cookie ----------------------------------------------


class TestExpireCookie:
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param(
                {"name": "_ga"}, f"_ga=; Path=/; Expires={EPOCH}; Max-Age=0", id="host-only"
            ),
            pytest.param(
                {"name": "_ga", "domain": "example.com"},
                f"_ga=; Path=/; Domain=example.com; Expires={EPOCH}; Max-Age=0",
                id="domain",
            ),
            pytest.param(
                {"name": "a", "path": "/shop", "secure": True},
                f"a=; Path=/shop; Expires={EPOCH}; Max-Age=0; Secure",
                id="path-and-secure",
            ),
            pytest.param(
                {"name": "__Secure-a", "domain": "example.com"},
                f"__Secure-a=; Path=/; Domain=example.com; Expires={EPOCH}; Max-Age=0; Secure",
                id="secure-prefix",
            ),
            pytest.param(
                {"name": "__Host-a", "domain": "example.com", "path": "/x"},
                f"__Host-a=; Path=/; Expires={EPOCH}; Max-Age=0; Secure",
                id="host-prefix",
            ),
            pytest.param(
                {"name": "__host-a", "domain": "example.com"},
                f"__host-a=; Path=/; Expires={EPOCH}; Max-Age=0; Secure",
                id="host-prefix-any-case",
            ),
            pytest.param(
                {"name": "__Securely"},
                f"__Securely=; Path=/; Expires={EPOCH}; Max-Age=0",
                id="not-a-prefix",
            ),
        ],
    )
    def test_expires(self, kwargs: dict[str, str], expected: str) -> None:
        """The deletion carries an empty value, both expiry forms, and the cookie's scope."""
        assert expected == expire_cookie(**kwargs)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("name", "path"),
        [
            pytest.param("a;b", "/", id="semicolon-in-name"),
            pytest.param("a", "relative", id="relative-path"),
            pytest.param("a", "/; Domain=evil.example", id="path-injection"),
        ],
    )
    def test_rejects(self, name: str, path: str) -> None:
        """A name or path that can't be written safely raises ValueError."""
        with pytest.raises(ValueError, match="cookie"):
            expire_cookie(name, path=path)

    @given(header=st.text() | cookieish_text, domain=st.sampled_from([None, "example.com"]))
    def test_every_request_cookie_can_be_expired(self, header: str, domain: str | None) -> None:
        """Each name a Cookie header holds gives a deletion that browsers read back as such."""
        for name in cookie_names(header):
            deletion = parse_set_cookie(expire_cookie(name, domain=domain))

            assert deletion is not None
            assert (name, "", 0, EPOCH) == (
                deletion.name,
                deletion.value,
                deletion.max_age,
                deletion.expires,
            )


class TestDeletionDomains:
    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            pytest.param(
                "www.shop.example.com",
                [None, "www.shop.example.com", "shop.example.com", "example.com"],
                id="subdomains",
            ),
            pytest.param("example.com", [None, "example.com"], id="apex"),
            pytest.param("example.com:8443", [None, "example.com"], id="port"),
            pytest.param("example.com:", [None, "example.com"], id="empty-port"),
            pytest.param("WWW.Example.COM", [None, "www.example.com", "example.com"], id="case"),
            pytest.param(" example.com\t", [None, "example.com"], id="blanks-around"),
            pytest.param(
                "a_b.example.com", [None, "a_b.example.com", "example.com"], id="underscore"
            ),
            pytest.param(
                "www.example.co.uk",
                [None, "www.example.co.uk", "example.co.uk", "co.uk"],
                id="no-public-suffix-list",
            ),
            pytest.param("xn--bcher-kva.example", [None, "xn--bcher-kva.example"], id="punycode"),
            pytest.param("localhost", [None], id="single-label"),
            pytest.param("localhost:8000", [None], id="single-label-port"),
            pytest.param("127.0.0.1", [None], id="ipv4"),
            pytest.param("127.0.0.1:8000", [None], id="ipv4-port"),
            pytest.param("0x7f.1", [None], id="ipv4-hex"),
            pytest.param("[::1]:8000", [None], id="ipv6"),
            pytest.param("::1", [None], id="ipv6-bare"),
            pytest.param("", [None], id="empty"),
            pytest.param("   ", [None], id="spaces"),
            pytest.param("exa mple.com", [None], id="inner-space"),
            pytest.param("example..com", [None], id="empty-label"),
            pytest.param(".example.com", [None], id="leading-dot"),
            pytest.param("example.com.", [None], id="trailing-dot"),
            pytest.param("-bad.example.com", [None], id="leading-hyphen"),
            pytest.param("example.com:http", [None], id="bad-port"),
            pytest.param("bücher.example", [None], id="non-ascii"),
            pytest.param("exampl\u212a.com", [None], id="kelvin-sign"),
            pytest.param("a" * 64 + ".com", [None], id="label-too-long"),
            pytest.param("a." * 127 + "com", [None], id="name-too-long"),
        ],
    )
    def test_domains(self, host: str, expected: list[str | None]) -> None:
        """The host-only cookie comes first, then the host and each parent, never a TLD."""
        assert expected == deletion_domains(host)

    @given(host=st.text())
    def test_never_raises(self, host: str) -> None:
        """Any text gives at least the host-only deletion, and every domain is writable."""
        domains = deletion_domains(host)

        assert domains[0] is None
        for domain in domains[1:]:
            assert domain is not None
            expire_cookie("_ga", domain=domain)


class TestConsentCookie:
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            pytest.param(
                {"max_age": 15_552_000},
                f"consentkit={TOKEN}; Path=/; Max-Age=15552000; Secure; HttpOnly; SameSite=Lax",
                id="default",
            ),
            pytest.param(
                {"max_age": 60, "secure": False},
                f"consentkit={TOKEN}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
                id="plain-http",
            ),
            pytest.param(
                {"max_age": 60, "domain": "example.com", "path": "/app"},
                f"consentkit={TOKEN}; Path=/app; Domain=example.com; Max-Age=60; Secure; "
                "HttpOnly; SameSite=Lax",
                id="domain-and-path",
            ),
        ],
    )
    def test_writes(self, kwargs: dict[str, object], expected: str) -> None:
        """The token cookie is HttpOnly, SameSite=Lax, Secure by default, with Max-Age only."""
        assert expected == consent_cookie("consentkit", TOKEN, **kwargs)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("name", "value", "kwargs", "message"),
        [
            pytest.param("consent kit", TOKEN, {}, "not an RFC 6265 token", id="space-in-name"),
            pytest.param("", TOKEN, {}, "not an RFC 6265 token", id="empty-name"),
            pytest.param("a=b", TOKEN, {}, "not an RFC 6265 token", id="equals-in-name"),
            pytest.param("consentkit", "a b", {}, "' '", id="space-in-value"),
            pytest.param("consentkit", "a;b", {}, "';'", id="semicolon-in-value"),
            pytest.param("consentkit", 'a"b', {}, "'\"'", id="quote-in-value"),
            pytest.param("consentkit", "a,b", {}, "','", id="comma-in-value"),
            pytest.param("consentkit", "é", {}, "'é'", id="non-ascii-value"),
            pytest.param("consentkit", TOKEN, {"max_age": -1}, "negative", id="negative-age"),
            pytest.param("__Secure-c", TOKEN, {"secure": False}, "secure=True", id="secure-prefix"),
            pytest.param(
                "__Host-c", TOKEN, {"domain": "example.com"}, "no domain", id="host-domain"
            ),
            pytest.param("__Host-c", TOKEN, {"path": "/app"}, "no domain", id="host-path"),
            pytest.param(
                "consentkit", TOKEN, {"path": "app"}, "start with '/'", id="relative-path"
            ),
            pytest.param("consentkit", TOKEN, {"domain": "a;b"}, "';'", id="domain-injection"),
        ],
    )
    def test_rejects(self, name: str, value: str, kwargs: dict[str, object], message: str) -> None:
        """A bad name, value or scope raises ValueError naming the problem."""
        arguments: dict[str, object] = {"max_age": 60, **kwargs}

        with pytest.raises(ValueError, match=message):
            consent_cookie(name, value, **arguments)  # type: ignore[arg-type]

    def test_reads_back(self) -> None:
        """The cookie written is the one parse_set_cookie and get_cookie read back."""
        cookie = parse_set_cookie(consent_cookie("__Host-consent", TOKEN, max_age=60))

        assert (
            SetCookie(
                "__Host-consent",
                TOKEN,
                path="/",
                max_age=60,
                secure=True,
                http_only=True,
                same_site="Lax",
            )
            == cookie
        )
        assert get_cookie(f"__Host-consent={TOKEN}", "__Host-consent") == TOKEN
