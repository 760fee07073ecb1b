"""The engine's per-request caches: same answers as working everything out afresh, bounded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit import Catalogue, Consent, ConsentConfig, Gate
from consentkit import engine as engine_module
from consentkit.banner import csp_nonce
from consentkit.cookies import cookie_names
from consentkit.engine import BodyStream, Engine
from consentkit.html._charset import charset_of, sniff_stream, transcoded
from consentkit.rewrite import (
    add_vary_cookie,
    filter_set_cookies,
    is_rewritable,
    stale_cookie_deletions,
)
from tests import apps
from tests.helpers import EXAMPLE_CATALOGUE, SECRET

CATALOGUE = Catalogue.from_file(EXAMPLE_CATALOGUE)
CONFIG = ConsentConfig(catalogue=CATALOGUE, secret_keys=[SECRET], consent_mode="basic")
# The crawler test as it was before user agents were remembered and lower-cased.
CRAWLER = re.compile(
    r"bot/\d|crawler|spider|slurp|googlebot|bingbot|yandex|baiduspider|duckduckbot|"
    r"facebookexternalhit|facebot|ia_archiver|applebot|petalbot|semrush|ahrefs|mj12bot",
    re.IGNORECASE,
)
CONSENTS = [
    Consent.accept_all(CATALOGUE),
    Consent.accept_all(CATALOGUE),  # the same choices, another visitor
    Consent.refuse_all(CATALOGUE),
    Consent.custom(CATALOGUE, purposes=["audience"], vendors=[]),
    Consent.custom(CATALOGUE, purposes=["audience"], vendors=["google-analytics"]),
]
TOKENS = [CONFIG.signer.dumps(consent) for consent in CONSENTS]

cookie_pairs = st.sampled_from(
    [
        "_ga=GA1.1.1.2",
        "_gid=GA1.1.3.4",
        "_ga_ABC123=GS1.1",
        "_gat_UA-1-1=1",
        "sessionid=abc",
        "x_ga=1",
        "didomi_token=x",
        "euconsent-v2=CP",
        '"quoted"="v"',
        "junk",
        " _ga = spaced ",
    ]
)
cookie_headers = st.builds(
    lambda pairs, token: "; ".join(pairs + ([f"consentkit={token}"] if token else [])),
    st.lists(cookie_pairs, max_size=5),
    st.none() | st.sampled_from([*TOKENS, "tampered.token"]),
) | st.sampled_from(["", "consentkit="])
response_headers = st.lists(
    st.sampled_from(
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("content-type", "TEXT/HTML"),
            ("Content-Type", "text/html; charset=utf-16"),
            ("Content-Type", "application/xhtml+xml"),
            ("Content-Type", "application/json"),
            ("Content-Length", "1234"),
            ("content-length", "12"),
            ("Content-Encoding", "gzip"),
            ("Content-Encoding", " Identity "),
            ("Vary", "Accept-Encoding"),
            ("vary", "Cookie"),
            ("Vary", ""),
            ("Content-Security-Policy", "script-src 'nonce-abc123' 'self'"),
            ("Content-Security-Policy", "default-src 'self'"),
            ("Set-Cookie", apps.GA_COOKIE),
            ("set-cookie", "_ga=; Max-Age=0"),
            ("Set-Cookie", "sessionid=s; Path=/; HttpOnly"),
            ("Set-Cookie", "=nameless"),
            ("X-Other", "1"),
        ]
    ),
    max_size=7,
)
user_agents = st.sampled_from(
    [
        None,
        "",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "SPIDER-man",
        "ſpider",  # long s: a case-blind "s" in Python's re
        "Kelvin \u212arawler",
    ]
)


def reference(
    engine: Engine,
    method: str,
    host: str,
    cookie_header: str,
    user_agent: str | None,
    accept_language: str | None,
    status: int,
    headers: list[tuple[str, str]],
) -> tuple[Consent | None, list[tuple[str, str]], BodyStream | None]:
    """The pipeline as it was before anything was remembered: each step afresh."""
    crawler = bool(user_agent) and CRAWLER.search(user_agent or "") is not None
    consent = None if crawler else engine.read_consent(cookie_header)
    gate = Gate(engine.catalogue, consent, strict=engine.config.strict)
    out = filter_set_cookies(headers, gate)
    if cookie_header:
        names = cookie_names(cookie_header)
        for value in stale_cookie_deletions(names, gate, host, keep=engine.own_cookies):
            out.append(("Set-Cookie", value))
    head = method.upper() == "HEAD"
    if not is_rewritable("GET" if head else method.upper(), status, out):
        return consent, out, None
    out = [(name, value) for name, value in out if name.lower() != "content-length"]
    add_vary_cookie(out)
    if head:  # the headers of its GET, and no body
        return consent, out, None
    rewriter = engine.rewriter(gate.allowed_vendors)
    snippet = None
    if engine.config.banner and not crawler:
        snippet = engine.loader(
            engine.language(accept_language), consent, gate.allowed_vendors, csp_nonce(out)
        )
    content_type = next((v for n, v in reversed(out) if n.lower() == "content-type"), None)
    if content_type is None:
        return consent, out, sniff_stream(lambda _: rewriter.stream(snippet))
    return consent, out, transcoded(lambda _: rewriter.stream(snippet), charset_of(content_type))


PNG = [("Content-Type", "image/png")]


@pytest.fixture
def small_caches() -> Iterator[None]:
    """Caches of three entries, so that tests fill and empty them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_module, "_CACHE_SIZE", 3)
        yield


class TestSameAnswers:
    # One engine for every example: its caches carry over from request to request,
    # which is what must never change an answer.
    engine = Engine(CONFIG)

    @settings(max_examples=400)
    @given(
        method=st.sampled_from(["GET", "get", "HEAD", "POST"]),
        host=st.sampled_from(["shop.example.com", "www.shop.example.com:8443", "127.0.0.1:8000"]),
        cookie_header=cookie_headers,
        user_agent=user_agents,
        accept_language=st.sampled_from([None, "en-GB,en;q=0.8", "fr", "de"]),
        status=st.sampled_from([200, 404, 500, 204, 304, 101]),
        headers=response_headers,
        chunked=st.booleans(),
    )
    def test_as_if_worked_out_afresh(
        self,
        method: str,
        host: str,
        cookie_header: str,
        user_agent: str | None,
        accept_language: str | None,
        status: int,
        headers: list[tuple[str, str]],
        chunked: bool,
    ) -> None:
        """Every request gets the headers, consent and body it would get with no cache."""
        engine = self.engine
        expected_consent, expected, expected_stream = reference(
            engine, method, host, cookie_header, user_agent, accept_language, status, headers
        )
        given_headers = list(headers)
        ctx = engine.for_request(
            method, host, cookie_header, user_agent=user_agent, accept_language=accept_language
        )
        out, stream = ctx.response_headers(status, given_headers)
        assert given_headers == headers  # the caller's list is left alone
        assert ctx.consent == expected_consent
        assert out == expected
        assert (stream is None) == (expected_stream is None)
        if stream is not None and expected_stream is not None:
            want = expected_stream.feed(apps.PAGE) + expected_stream.close()
            if chunked:
                got = stream.feed(apps.PAGE[:40]) + stream.finish(apps.PAGE[40:])
            else:
                got = stream.finish(apps.PAGE)
            assert got == want

    def test_with_tiny_caches(self, small_caches: None) -> None:
        """Caches emptied every few requests still give every request its own answer."""
        engine = Engine(CONFIG)
        html = [("Content-Type", "text/html")]
        for _ in range(3):
            for token, consent in zip(TOKENS, CONSENTS, strict=True):
                for host in ("a.example.com", "b.example.org"):
                    cookie = f"_ga=1; consentkit={token}"
                    ctx = engine.for_request("GET", host, cookie, user_agent=f"UA {host}")
                    _, out, _ = reference(engine, "GET", host, cookie, None, None, 200, html)
                    assert ctx.consent == consent
                    assert ctx.response_headers(200, html)[0] == out


class TestCaches:
    def test_a_returning_visitor_gets_the_same_gate(self) -> None:
        """The same token twice is the same consent, so the same gate: nothing to rebuild."""
        engine = Engine(CONFIG)
        first = engine.for_request("GET", "h", f"consentkit={TOKENS[0]}")
        again = engine.for_request("GET", "h", f"consentkit={TOKENS[0]}")
        assert again.gate is first.gate
        assert again.choice is first.choice

    def test_equal_choices_share_their_work_but_not_their_consent(self) -> None:
        """Two visitors who accepted all share a rewriter, yet each sees their own consent."""
        engine = Engine(CONFIG)
        one = engine.for_request("GET", "h", f"consentkit={TOKENS[0]}")
        two = engine.for_request("GET", "h", f"consentkit={TOKENS[1]}")
        assert one.choice is two.choice
        assert one.consent is not None
        assert two.consent is not None
        assert one.consent.id != two.consent.id
        assert one.gate.consent is one.consent
        assert two.gate.consent is two.consent

    def test_different_choices_get_different_pages(self) -> None:
        """An acceptance never leaks into the next request's refusal, nor the reverse."""
        engine = Engine(CONFIG)
        html = [("Content-Type", "text/html")]
        pages = []
        for token in (TOKENS[0], TOKENS[2], TOKENS[0], None):
            cookie = f"consentkit={token}" if token else ""
            _, stream = engine.for_request("GET", "h", cookie).response_headers(200, html)
            assert stream is not None
            pages.append(stream.finish(apps.PAGE))
        assert pages[0] == pages[2]
        assert b'<script async src="https://www.googletagmanager.com' in pages[0]
        for denied in (pages[1], pages[3]):
            assert b'<script async src="https://www.googletagmanager.com' not in denied

    def test_stale_cookies_expire_on_each_request_s_own_host(self) -> None:
        """Deletions name the host of the request they answer, whatever came before."""
        engine = Engine(CONFIG)
        cookie = f"_ga=1; consentkit={TOKENS[2]}"
        for host in ("a.example.com", "b.example.org", "a.example.com"):
            out, _ = engine.for_request("GET", host, cookie).response_headers(200, PNG)
            domains = {
                value.split("Domain=")[1].split(";")[0] for _, value in out if "Domain=" in value
            }
            assert domains == {host, host.split(".", 1)[1]}
        granted = engine.for_request("GET", "a.example.com", f"_ga=1; consentkit={TOKENS[0]}")
        assert granted.response_headers(200, PNG) == (PNG, None)

    @pytest.mark.parametrize(
        "cache",
        ["_crawlers", "_seen", "_choices", "_html_types"],
    )
    def test_bounded(self, small_caches: None, cache: str) -> None:
        """However many distinct visitors, agents and types come, each cache stays small."""
        engine = Engine(CONFIG)
        for i in range(20):
            consent = Consent.custom(
                CATALOGUE,
                purposes=["audience"] if i % 2 else [],
                vendors=["google-analytics"] if i % 4 > 1 else [],
            )
            cookie = f"_ga=1; _x{i}=1; consentkit={CONFIG.signer.dumps(consent)}"
            ctx = engine.for_request("GET", "h", cookie, user_agent=f"agent {i}")
            ctx.response_headers(200, [("Content-Type", f"text/html; v={i}")])
        size = len(getattr(engine, cache))
        assert 0 < size <= 3

    def test_verdicts_bounded(self, small_caches: None) -> None:
        """Cookie names come from visitors: a choice remembers only a few verdicts."""
        engine = Engine(CONFIG)
        cookie = "; ".join(f"_ga{i}=1" for i in range(20))
        ctx = engine.for_request("GET", "h", cookie)
        ctx.response_headers(200, [])
        assert ctx.choice is not None
        assert len(ctx.choice.verdicts) <= 3

    def test_long_user_agents_are_not_kept(self) -> None:
        """A huge User-Agent is judged, not remembered."""
        engine = Engine(CONFIG)
        ctx = engine.for_request("GET", "h", "", user_agent="Googlebot/2.1 " + "x" * 5000)
        assert ctx.crawler
        assert engine._crawlers == {}


class TestTrackerHint:
    def test_a_glob_starting_with_a_wildcard_parses_every_header(
        self, data: dict[str, Any]
    ) -> None:
        """A rule like ``*_trk`` can match any name: no header is skipped."""
        data["cookies"].append(
            {
                "name": "*_trk",
                "vendor": "google-analytics",
                "duration": "13 mois",
                "description": {"fr": "Traceur.", "en": "Tracker."},
            }
        )
        config = ConsentConfig(catalogue=Catalogue.model_validate(data), secret_keys=[SECRET])
        engine = Engine(config)
        out, _ = engine.for_request("GET", "shop.example.com", "abc_trk=1").response_headers(
            200, []
        )
        assert any(value.startswith("abc_trk=;") for _, value in out)

    def test_headers_without_declared_names_are_not_parsed(self) -> None:
        """A Cookie header naming no declared cookie needs no parsing for stale ones."""
        engine = Engine(CONFIG)
        ctx = engine.for_request("GET", "h", f"sessionid=1; consentkit={TOKENS[2]}")
        assert ctx.cookie_names == ()
        assert ctx.consent == CONSENTS[2]

    def test_the_consent_cookie_is_never_a_tracker(self) -> None:
        """consentkit's own cookie is not among the names looked for."""
        assert Engine(CONFIG)._trackers == ("_ga", "_gid", "didomi_token", "euconsent-v2")


@pytest.mark.parametrize("strict", [False, True])
def test_undeclared_cookie_warned_once_per_engine(
    strict: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """An app's cookie that no rule declares is let through (or dropped when strict),
    and said once per name by the engine that met it, not once per process."""
    config = ConsentConfig(catalogue=CATALOGUE, secret_keys=[SECRET], strict=strict)
    headers = [("Content-Type", "text/plain"), ("Set-Cookie", "ab_test=b; Path=/")]
    kept = []
    with caplog.at_level("WARNING", logger="consentkit"):
        for engine in (Engine(config), Engine(config)):
            for _ in range(2):
                ctx = engine.for_request("GET", "x.test", None)
                out, _ = ctx.response_headers(200, headers)
                kept.append(("Set-Cookie", "ab_test=b; Path=/") in out)
    warned = [r.getMessage() for r in caplog.records if "ab_test" in r.getMessage()]
    assert kept == [not strict] * 4
    assert len(warned) == 2  # once by each engine
    assert ("blocked (strict mode)" if strict else "let through") in warned[0]


def test_accept_all_reads_no_cookie_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """A visitor who accepted everything has nothing stale to expire: the Cookie header
    isn't parsed for names, though it names `_ga`. A refusal's is, and `_ga` expires."""
    engine = Engine(CONFIG)
    accepted, refused = TOKENS[0], TOKENS[2]
    parsed: list[str] = []
    parse = engine_module.parse_cookie_header  # type: ignore[attr-defined]  # the name it calls

    def counting(header: str) -> dict[str, str]:
        parsed.append(header)
        return parse(header)

    monkeypatch.setattr(engine_module, "parse_cookie_header", counting)
    headers = [("Content-Type", "text/plain")]
    ctx = engine.for_request("GET", "x.test", f"_ga=GA1.1.1.2; consentkit={accepted}")
    out, _ = ctx.response_headers(200, headers)
    assert parsed == []
    assert not any(name == "Set-Cookie" for name, _ in out)
    ctx = engine.for_request("GET", "x.test", f"_ga=GA1.1.1.2; consentkit={refused}")
    out, _ = ctx.response_headers(200, headers)
    assert len(parsed) == 1
    assert any(name == "Set-Cookie" and value.startswith("_ga=;") for name, value in out)
