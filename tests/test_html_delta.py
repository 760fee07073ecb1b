"""Rewriting a page against the last one gives the very bytes of rewriting it afresh.

Templated pages differ in a few places from one request to the next; the rewriter
copies what it rewrote for the last page wherever the tokeniser's state and the bytes
are the same again. These tests compare it with a rewriter that has never seen a page,
on generated pages edited in every way: same length or not, one place or several, in
tags, in scripts, across the marks.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.html import HtmlRewriter, HtmlStream, VendorDetector, _memo
from tests.html_judge import ALL_VENDORS
from tests.html_strategies import blocks, pages
from tests.test_html_differential import SIGNATURES

INJECT = b"<script src=/_consentkit/banner.js></script>"


def _fresh(vendors: frozenset[str], page: bytes, inject: bytes | None) -> bytes:
    """The page rewritten by a rewriter with nothing remembered."""
    return HtmlRewriter(VendorDetector(SIGNATURES), vendors.__contains__).rewrite(page, inject)


@st.composite
def edits(draw: st.DrawFn, page: bytes) -> bytes:
    """``page`` with a few places replaced by other bytes, of the same length or not."""
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(page)))
        end = draw(st.integers(start, min(len(page), start + 40)))
        same = draw(st.booleans())
        if same:
            new = draw(st.binary(min_size=end - start, max_size=end - start))
            alphabet = b"<>\"'=/ abc-!&;\n"
            new = bytes(alphabet[b % len(alphabet)] for b in new)
        else:
            new = draw(st.sampled_from([b"", b"x", b"<", b"</script>", b'"', b"<!--", b"-->"]))
            new += draw(blocks).encode()
        page = page[:start] + new + page[end:]
    return page


@pytest.fixture(params=[16, 64, 2048], ids=["step16", "step64", "step2048"])
def step(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small steps put marks everywhere in the generated pages, in tags and scripts."""
    monkeypatch.setattr(_memo, "DELTA_STEP", request.param)
    return int(request.param)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), first=pages(), allowed=st.sets(st.sampled_from(sorted(ALL_VENDORS))))
def test_against_last_is_afresh(
    step: int, data: st.DataObject, first: bytes, allowed: set[str]
) -> None:
    """A series of edited pages through one rewriter: each output is a fresh rewriter's."""
    vendors = frozenset(allowed)
    inject = data.draw(st.sampled_from([INJECT, None]))
    rewriter = HtmlRewriter(VendorDetector(SIGNATURES), vendors.__contains__)
    page = first
    for _ in range(3):
        assert rewriter.rewrite(page, inject) == _fresh(vendors, page, inject)
        page = data.draw(edits(page))


def test_a_csrf_value_costs_one_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that differs from the last only in a value is run over the step around it
    alone (and the step after, where the state meets the last page's again)."""
    monkeypatch.setattr(_memo, "DELTA_STEP", 256)
    head = (
        b'<!doctype html><html><head><script src="https://www.google-analytics.com/a.js"></script>'
    )
    body = b"".join(
        b"<p>Paragraph %d of the page, with <a href=/x>a link</a>.</p>\n" % i for i in range(200)
    )
    pages = [
        head + body[:4000] + b'<input name=csrf value="%s">' % v + body[4000:]
        for v in (b"a" * 22, b"b" * 22)
    ]
    rewriter = HtmlRewriter(VendorDetector(SIGNATURES), frozenset().__contains__)
    rewriter.rewrite(pages[0], INJECT)
    fed: list[int] = []
    feed = HtmlStream.feed

    def counting(self: HtmlStream, chunk: bytes) -> bytes:
        fed.append(len(chunk))
        return feed(self, chunk)

    expected = _fresh(frozenset(), pages[1], INJECT)
    monkeypatch.setattr("consentkit.html._rewriter.HtmlStream.feed", counting)
    assert rewriter.rewrite(pages[1], INJECT) == expected
    assert 0 < sum(fed) <= 3 * 256 < len(pages[1]) // 10


def test_pages_remembered_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two paths served in turn are each compared with their own last page: coming
    again, a page costs a comparison and no tokenising, whatever came in between."""
    rewriter = HtmlRewriter(VendorDetector(SIGNATURES), frozenset().__contains__)
    ga = b'<script src="https://www.google-analytics.com/analytics.js"></script>'
    home, shop = b"<p>home</p>" + ga, b"<p>shop</p>" + ga * 2
    expected = {home: _fresh(frozenset(), home, INJECT), shop: _fresh(frozenset(), shop, INJECT)}
    for page, name in ((home, "/"), (shop, "/shop")):
        assert rewriter.rewrite(page, INJECT, page=name) == expected[page]

    def run(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("tokenised again")

    monkeypatch.setattr(HtmlStream, "_run", run)
    for page, name in ((home, "/"), (shop, "/shop"), (home, "/")):
        assert rewriter.rewrite(page, INJECT, page=name) == expected[page]
