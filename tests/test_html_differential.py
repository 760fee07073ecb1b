"""The rewriter against a spec parser: what loads before and after rewriting (issue 10)."""

from __future__ import annotations

import base64
from collections import Counter
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.html import HtmlRewriter, VendorDetector, VendorSignature
from tests.html_judge import (
    ALL_VENDORS,
    CODE,
    DOCUMENT,
    VENDOR_HOSTS,
    VENDOR_MARKERS,
    HostRule,
    Load,
    denied,
    denied_by,
    judge,
    readings_diverge,
    srcset_urls,
    would_load,
)
from tests.html_strategies import pages
from tests.test_html import GA, RECAPTCHA, YOUTUBE

SIGNATURES = (GA, RECAPTCHA, YOUTUBE)
DETECTOR = VendorDetector(SIGNATURES)
GA_URL = "https://www.google-analytics.com/collect"


def allowing(*vendors: str) -> HtmlRewriter:
    """A rewriter for a visitor who allowed these vendors only."""
    return HtmlRewriter(DETECTOR, frozenset(vendors).__contains__)


DENY = allowing()
ALLOW = allowing(*ALL_VENDORS)
REWRITERS = (DENY, ALLOW, allowing("google-recaptcha"))

# Each property rewrites and parses every page several times: few examples keep the file
# well under a minute on a shared 2-core machine; the "ci" profile's count is not wanted.
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def denied_anywhere(page: bytes) -> list[Load]:
    """Every vendor load in ``page`` read either way (scripting on or off, templates too)."""
    return denied_by(would_load(page))


def meaning(page: bytes, scripting: bool) -> Counter[tuple[object, ...]]:
    """What ``page`` loads, as a multiset that ignores how nested documents are spelt."""
    return Counter(load.key() for load in judge(page, scripting=scripting, templates=True))


def feed_in_pieces(rewriter: HtmlRewriter, html: bytes, cuts: list[int]) -> bytes:
    """The stream's output for ``html`` cut at ``cuts`` (taken modulo its length)."""
    stream = rewriter.stream()
    points = [0, *sorted(c % (len(html) + 1) for c in cuts), len(html)]
    return b"".join(stream.feed(html[a:b]) for a, b in pairwise(points)) + stream.close()


def ga_loads(page: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(element, attribute, frames) of each Google Analytics load ``page`` makes."""
    return [
        (x.element, x.attribute, x.frames) for x in denied_by(judge(page), ["google-analytics"])
    ]


class TestJudge:
    @pytest.mark.parametrize(
        ("page", "expected"),
        [
            pytest.param(f"<script src={GA_URL}></script>", ("script", "src"), id="script"),
            pytest.param(f"<image src={GA_URL}>", ("img", "src"), id="image-is-img"),
            pytest.param(f"<input type=Image src={GA_URL}>", ("input", "src"), id="input-image"),
            pytest.param(
                f"<frameset><frame src={GA_URL}></frameset>", ("frame", "src"), id="frame"
            ),
            pytest.param(
                f"<svg><script href={GA_URL}></script></svg>", ("svg:script", "href"), id="svg-href"
            ),
            pytest.param(
                f"<svg><script xlink:href={GA_URL}></script></svg>",
                ("svg:script", "xlink:href"),
                id="svg-xlink",
            ),
            pytest.param(
                f"<svg><image href={GA_URL} /></svg>", ("svg:image", "href"), id="svg-img"
            ),
            pytest.param(
                f"<svg><feimage href={GA_URL} /></svg>", ("svg:feImage", "href"), id="feimage"
            ),
            pytest.param(f"<svg><use href={GA_URL} /></svg>", ("svg:use", "href"), id="use"),
            pytest.param(
                f"<body background={GA_URL}>", ("body", "background"), id="body-background"
            ),
            pytest.param(
                f"<table><tr><td background={GA_URL}>x</table>",
                ("td", "background"),
                id="td-background",
            ),
            pytest.param(f"<img srcset='/a.png 1x, {GA_URL} 2x'>", ("img", "srcset"), id="srcset"),
            pytest.param(
                f"<link rel=alternate href={GA_URL}>", ("link", "href"), id="link-any-rel"
            ),
            pytest.param(f"<video poster={GA_URL}>", ("video", "poster"), id="poster"),
            pytest.param(f"<object data={GA_URL}></object>", ("object", "data"), id="object"),
            pytest.param(
                "<script>gtag('js', new Date())</script>", ("script", "#text"), id="inline"
            ),
            pytest.param(
                "<svg><script>gt&#97;g(1)</script></svg>", ("svg:script", "#text"), id="svg-entity"
            ),
            pytest.param(
                f"<img src=x onerror=\"new Image().src='{GA_URL}'\">",
                ("img", "onerror"),
                id="handler-with-host",
            ),
            pytest.param(
                "<iframe src='javascript:gt%61g(1)'></iframe>", ("iframe", "src"), id="javascript"
            ),
            pytest.param(
                f"<meta http-equiv=refresh content='0; url={GA_URL}'>",
                ("meta", "content"),
                id="refresh",
            ),
            pytest.param(
                f"<noscript><!--</noscript><script src={GA_URL}></script>-->",
                ("script", "src"),
                id="noscript-raw-text",
            ),
            pytest.param(
                f"<svg><style><img src={GA_URL}></style></svg>", ("img", "src"), id="svg-breakout"
            ),
        ],
    )
    def test_finds_construct(self, page: str, expected: tuple[str, str]) -> None:
        """Each construct of the inventory that loads Google Analytics is found."""
        assert [(*expected, ())] == ga_loads(page)

    @pytest.mark.parametrize(
        ("page", "frames"),
        [
            pytest.param(
                f"<iframe srcdoc='<script src={GA_URL}></script>'></iframe>",
                ("srcdoc",),
                id="srcdoc",
            ),
            pytest.param(
                "<iframe src='data:text/html;base64,"
                + base64.b64encode(f"<img src={GA_URL}>".encode()).decode()
                + "'></iframe>",
                ("data:",),
                id="data-base64",
            ),
            pytest.param(
                f"<embed src='data:image/svg+xml,%3Csvg%3E%3Cimage href=\"{GA_URL}\"/%3E'>",
                ("data:",),
                id="data-svg-percent",
            ),
        ],
    )
    def test_nested_documents(self, page: str, frames: tuple[str, ...]) -> None:
        """srcdoc and data: documents are judged as documents, their loads marked so."""
        assert [load.frames for load in denied_by(judge(page))] == [frames]

    @pytest.mark.parametrize(
        "page",
        [
            pytest.param(f"<!-- <script src={GA_URL}></script> -->", id="comment"),
            pytest.param(f"<textarea><img src={GA_URL}></textarea>", id="textarea"),
            pytest.param(f"<title><img src={GA_URL}></title>", id="title"),
            pytest.param("<script type=text/plain>gtag(1)</script>", id="text-plain"),
            pytest.param(f"<script type=text/plain src={GA_URL}></script>", id="text-plain-src"),
            pytest.param("<script src=/app.js>gtag(1)</script>", id="src-wins-over-text"),
            pytest.param(f"<svg><script src={GA_URL}></script></svg>", id="svg-script-src"),
            pytest.param(f"<template><img src={GA_URL}></template>", id="template"),
            pytest.param(f"<svg><![CDATA[<img src={GA_URL}>]]></svg>", id="cdata"),
            pytest.param(f"<iframe><img src={GA_URL}></iframe>", id="iframe-text"),
            pytest.param(f"<noscript><img src={GA_URL}></noscript>", id="noscript"),
            pytest.param(f"<a href={GA_URL} ping={GA_URL}>x</a>", id="anchor-and-ping"),
            pytest.param(f"<img src=/x.png data-src={GA_URL}>", id="data-attribute"),
            pytest.param("<img src=/x.png alt='gtag('>", id="marker-in-alt"),
            pytest.param(
                "<script src=https://www.googletagmanager.com/gtm.js></script>", id="other-path"
            ),
            pytest.param(
                "<img src='https://site.example/out?u=https://www.google-analytics.com/x'>",
                id="tracker-in-query",
            ),
        ],
    )
    def test_inert_places(self, page: str) -> None:
        """Text, inert scripts, templates and click-only URLs load nothing at page load."""
        assert denied_by(judge(page)) == []

    def test_fail_closed_reading(self) -> None:
        """would_load adds noscript content (scripting off) and template content."""
        page = f"<template><img src={GA_URL}></template><noscript><iframe src={GA_URL}>"

        assert [x.element for x in denied_by(would_load(page))] == ["img", "iframe"]

    def test_scripting_off_runs_nothing(self) -> None:
        """With scripting off, scripts and handlers run nothing but noscript content loads."""
        page = f"<script>gtag(1)</script><img src=x onload=gtag(2)><noscript><img src={GA_URL}>"

        assert [(x.element, x.attribute) for x in denied_by(judge(page, scripting=False))] == [
            ("img", "src")
        ]

    @pytest.mark.parametrize(
        ("url", "resolved"),
        [
            pytest.param(
                "\x01https://\uff57ww.google-analytics.com./c",
                "https://www.google-analytics.com./c",
                id="control-fullwidth-dot",
            ),
            pytest.param(
                "ht\ttps://www\u3002google\u00ad-analytics.com:443/c",
                "https://www.google-analytics.com/c",
                id="tab-ideographic-soft-hyphen-port",
            ),
            pytest.param(
                "https://%77ww.google-analytics.com:/a/../c",
                "https://www.google-analytics.com/c",
                id="percent-host-empty-port-dots",
            ),
        ],
    )
    def test_urls_parsed_as_browsers_do(self, url: str, resolved: str) -> None:
        """URLs go through the WHATWG parser, and a trailing dot is the same host."""
        loads = denied_by(judge(f"<img src='{url}'>"))

        assert [resolved] == [x.url for x in loads]

    def test_percent_encoded_path(self) -> None:
        """A path prefix is matched on the decoded path, as a server routes it."""
        page = "<script src='https://www.googletagmanager.com/%67tag/js?id=G-1'></script>"

        assert len(denied_by(judge(page))) == 1

    @pytest.mark.parametrize(
        ("page", "url"),
        [
            pytest.param(
                "<base href='https://www.google-analytics.com/'><img src=c>",
                "https://www.google-analytics.com/c",
                id="base",
            ),
            pytest.param(
                "<img src=c><base href='https://www.google-analytics.com/'>",
                "https://site.example/c",
                id="before-base",
            ),
            pytest.param(
                "<base href=/a/><base href=//www.google-analytics.com/><img src=c>",
                "https://site.example/a/c",
                id="first-base-only",
            ),
            pytest.param(
                "<base href='javascript:x'><img src=c>", "https://site.example/c", id="bad-base"
            ),
            pytest.param(
                "<base href='https://www.google-analytics.com/'>"
                "<iframe srcdoc='<img src=c>'></iframe>",
                "https://www.google-analytics.com/c",
                id="srcdoc-inherits",
            ),
        ],
    )
    def test_base_url(self, page: str, url: str) -> None:
        """The first base with an href sets the base of the URLs after it."""
        assert url == next(x for x in judge(page) if x.element == "img").url

    def test_srcset_split(self) -> None:
        """srcset is split as the HTML Standard splits it (commas kept inside URLs)."""
        value = " a.png 1x,b.png 2x , c,,d.png  e.png,f.png (x, y) 3x,, g,"

        assert srcset_urls(value) == ["a.png", "b.png", "c,,d.png", "f.png", "g"]

    def test_denied_takes_hosts_and_markers(self) -> None:
        """denied() is told the hosts and markers to look for, nothing else."""
        loads = judge(f"<img src={GA_URL}><script>foo(1)</script>")

        assert (
            denied(loads, [HostRule("*.google-analytics.com")], []),
            denied(loads, [], ["foo("]),
            denied(loads, [HostRule("www.google.com", "/recaptcha/")], ["bar"]),
        ) == ([loads[0]], [loads[1]], [])

    def test_nested_document_load_listed(self) -> None:
        """A srcdoc is itself a load of kind document, then its loads follow."""
        loads = judge("<iframe srcdoc='<script>gtag(1)</script>'></iframe>")

        assert [x.kind for x in loads] == [DOCUMENT, CODE]

    @pytest.mark.parametrize("signature", SIGNATURES, ids=lambda s: s.vendor)
    def test_tables_agree_with_signatures(self, signature: VendorSignature) -> None:
        """The judge's vendor tables say what tests/test_html.py's signatures say."""
        rules = VENDOR_HOSTS[signature.vendor]
        urls = ["https://" + r.host.replace("*.", "x.") + r.path + "x" for r in rules]

        assert (signature.inline_markers, [signature.vendor] * len(urls)) == (
            VENDOR_MARKERS[signature.vendor],
            [DETECTOR.vendor_for_url(url) for url in urls],
        )


class TestDifferential:
    @PROPERTY
    @given(page=pages())
    def test_no_denied_load_survives(self, page: bytes) -> None:
        """With every vendor denied, nothing in the rewritten page loads any of them."""
        assert denied_anywhere(DENY.rewrite(page)) == []

    @PROPERTY
    @given(page=pages())
    def test_page_without_vendor_load_unchanged(self, page: bytes) -> None:
        """A page the judge finds no vendor load in comes out byte for byte."""
        if b"data-consentkit-" in page or denied_anywhere(page):
            return
        assert page == DENY.rewrite(page)

    @PROPERTY
    @given(page=pages())
    def test_allowed_page_unchanged(self, page: bytes) -> None:
        """With every vendor allowed, a page without consentkit markup is left as is."""
        if b"data-consentkit-" in page:
            return
        assert page == ALLOW.rewrite(page)

    @PROPERTY
    @given(page=pages(), cuts=st.lists(st.integers(min_value=0), max_size=6))
    def test_split_invariance(self, page: bytes, cuts: list[int]) -> None:
        """Fed in any chunks, every rewriter gives the bytes of rewrite()."""
        for rewriter in REWRITERS:
            assert rewriter.rewrite(page) == feed_in_pieces(rewriter, page, cuts)

    @PROPERTY
    @given(page=pages())
    def test_activation_restores_loads(self, page: bytes) -> None:
        """Neutralised, then activated with every vendor allowed, a page loads what it did."""
        if b"data-consentkit-" in page:
            return
        restored = ALLOW.rewrite(DENY.rewrite(page))
        readings = (True,) if readings_diverge(page) else (True, False)

        assert [meaning(page, s) for s in readings] == [meaning(restored, s) for s in readings]
