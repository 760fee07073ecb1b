from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from unittest import mock

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import consentkit.html
import consentkit.html._memo
import consentkit.html._rewriter
from consentkit.exceptions import ConfigurationError
from consentkit.html import (
    MAX_SCRIPT_LOOKAHEAD,
    MAX_TAG_BYTES,
    HtmlRewriter,
    VendorDetector,
    VendorSignature,
)

# The Google Analytics and reCaptcha signatures of examples/plus-que-pro/catalogue.toml.
GA = VendorSignature(
    "google-analytics",
    (
        "www.googletagmanager.com/gtag/js*",
        "www.google-analytics.com/*",
        "*.google-analytics.com/*",
        "ssl.google-analytics.com/*",
        "*.analytics.google.com/*",
    ),
    ("gtag(", "GoogleAnalyticsObject", "google-analytics.com/analytics.js"),
)
RECAPTCHA = VendorSignature(
    "google-recaptcha",
    ("www.google.com/recaptcha/*", "www.gstatic.com/recaptcha/*"),
    ("grecaptcha.",),
)
YOUTUBE = VendorSignature(
    "youtube", ("www.youtube.com/embed/*", "www.youtube-nocookie.com/embed/*"), ()
)
DETECTOR = VendorDetector([GA, RECAPTCHA, YOUTUBE])


def allowing(*vendors: str) -> HtmlRewriter:
    return HtmlRewriter(DETECTOR, frozenset(vendors).__contains__)


DENY = allowing()
ALLOW = allowing("google-analytics", "google-recaptcha", "youtube")
REWRITERS = (DENY, ALLOW, allowing("google-recaptcha"))


MEMO_PAGE = consentkit.html._memo.MEMO_PAGE
INJECT = b"<script src=/_consentkit/banner.js></script>"


@pytest.fixture(autouse=True, scope="module")
def page_memo() -> Iterator[None]:
    """Off here, so that rewrite() always rewrites: tests compare it with streams while
    patching the rewriter's internals. TestPageMemo turns it back on."""
    with mock.patch.object(consentkit.html._memo, "MEMO_PAGE", -1):
        yield


# The real tags, as Google documents them.
GTAG_LOADER = (
    b'<script async src="https://www.googletagmanager.com/gtag/js?id=G-X4B2C9D1E7"></script>'
)
GTAG_BLOCK = b"""<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-X4B2C9D1E7');
</script>"""
ANALYTICS_JS_BODY = b"""
(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){
(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),
m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)
})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');
ga('create', 'UA-12345678-1', 'auto');
ga('send', 'pageview');
"""
ANALYTICS_JS = b'<script type="text/javascript">' + ANALYTICS_JS_BODY + b"</script>"
PIXEL_URL = b"https://www.google-analytics.com/collect?v=1&amp;tid=UA-12345678-1&amp;t=pageview"
PIXEL = b'<noscript><img height="1" width="1" src="' + PIXEL_URL + b'"></noscript>'
PRECONNECT = b'<link rel="preconnect" href="https://www.google-analytics.com">'
DNS_PREFETCH = b'<link rel="dns-prefetch" href="//www.google-analytics.com">'
GA_MARK = b' data-consentkit-vendor="google-analytics"'

YOUTUBE_IFRAME = (
    b'<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" allowfullscreen></iframe>'
)
RECAPTCHA_LOADER = b'<script src="https://www.google.com/recaptcha/api.js" async defer></script>'
PAGE_TEMPLATE = b"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Plombier \xc3\xa0 Obernai</title>
%s
%s
<link rel="stylesheet" href="/static/main.css">
%s
%s
%s
</head><body>%s
<header><a href="/" class="logo"><img src="/logo.svg" alt="Plus que PRO"></a></header>
<main><article class="card"><a href="/artisans/12?ref=home&amp;p=2">Artisan</a>
<img src="/media/12.webp" srcset="/media/12@2x.webp 2x" alt="a > b" loading="lazy"></article>
<!-- <script src="https://www.googletagmanager.com/gtag/js"></script> -->
%s
</main>
%s
</body></html>
"""
PAGE_TAGS: tuple[bytes, ...] = (PRECONNECT, DNS_PREFETCH, GTAG_LOADER, GTAG_BLOCK)
PAGE_TAGS += (ANALYTICS_JS, PIXEL, YOUTUBE_IFRAME, RECAPTCHA_LOADER)
PAGE = PAGE_TEMPLATE % PAGE_TAGS
# The same tags neutralised, then activated again by an allowing rewriter.
NEUTRALISED = (
    b"<link"
    + GA_MARK
    + b' rel="preconnect" data-consentkit-href="https://www.google-analytics.com">',
    b"<link" + GA_MARK + b' rel="dns-prefetch" data-consentkit-href="//www.google-analytics.com">',
    b'<script type="text/plain"' + GA_MARK + b" async data-consentkit-src="
    b'"https://www.googletagmanager.com/gtag/js?id=G-X4B2C9D1E7"></script>',
    b'<script type="text/plain"' + GA_MARK + GTAG_BLOCK[7:],
    b'<script type="text/plain"'
    + GA_MARK
    + b' data-consentkit-type="text/javascript">'
    + ANALYTICS_JS_BODY
    + b"</script>",
    b"<noscript><img"
    + GA_MARK
    + b' height="1" width="1" data-consentkit-src="'
    + PIXEL_URL
    + b'"></noscript>',
    b'<iframe data-consentkit-vendor="youtube" data-consentkit-src='
    b'"https://www.youtube.com/embed/dQw4w9WgXcQ" allowfullscreen></iframe>',
    b'<script type="text/plain" data-consentkit-vendor="google-recaptcha" data-consentkit-src='
    b'"https://www.google.com/recaptcha/api.js" async defer></script>',
)
ACTIVATED = (
    b"<link" + GA_MARK + b' rel="preconnect" href="https://www.google-analytics.com">',
    b"<link" + GA_MARK + b' rel="dns-prefetch" href="//www.google-analytics.com">',
    b"<script" + GA_MARK + b' async src="https://www.googletagmanager.com/gtag/js?id=G-X4B2C9D1E7">'
    b"</script>",
    b"<script" + GA_MARK + GTAG_BLOCK[7:],
    b"<script" + GA_MARK + b' type="text/javascript">' + ANALYTICS_JS_BODY + b"</script>",
    b"<noscript><img" + GA_MARK + b' height="1" width="1" src="' + PIXEL_URL + b'"></noscript>',
    b'<iframe data-consentkit-vendor="youtube" src="https://www.youtube.com/embed/dQw4w9WgXcQ" '
    b"allowfullscreen></iframe>",
    b'<script data-consentkit-vendor="google-recaptcha" src="https://www.google.com/recaptcha/api.js"'
    b" async defer></script>",
)

PLAIN_PAGE = b"""<!DOCTYPE html><html><head><title>Caf\xe9 & co</title>
<link rel="stylesheet" href="/css/site.css"><link rel="preconnect" href="https://fonts.gstatic.com">
<script src="/js/app.js" defer></script><script>window.app = {page: "home"};</script>
<style>.a > .b { color: red }</style></head>
<body><!-- nav --><nav><a href="/a?x=1&amp;y=2">A</a> &lt; <a href='/b'>B</a></nav>
<img src="https://cdn.example.com/hero.jpg" srcset="https://cdn.example.com/hero@2x.jpg 2x" alt="">
<p>5 > 3 && 2 < 4</p><textarea><img src="https://www.google-analytics.com/c"></textarea>
</body></html>
"""


def feed_in_pieces(rewriter: HtmlRewriter, html: bytes, cuts: list[int]) -> bytes:
    stream = rewriter.stream()
    points = [0, *sorted(c % (len(html) + 1) for c in cuts), len(html)]
    return b"".join(stream.feed(html[a:b]) for a, b in pairwise(points)) + stream.close()


class TestVendorDetector:
    @pytest.mark.parametrize(
        ("url", "vendor"),
        [
            pytest.param(
                "https://www.googletagmanager.com/gtag/js?id=G-1", "google-analytics", id="gtag"
            ),
            pytest.param("https://www.googletagmanager.com/gtm.js", None, id="other-path"),
            pytest.param("//www.google-analytics.com/collect", "google-analytics", id="no-scheme"),
            pytest.param(
                "HTTPS://WWW.Google-Analytics.COM/collect", "google-analytics", id="host-case"
            ),
            pytest.param("https://www.google-analytics.com", "google-analytics", id="no-path"),
            pytest.param("https://ssl.google-analytics.com?x=1", "google-analytics", id="query"),
            pytest.param(
                "https://u:p@www.google-analytics.com/c", "google-analytics", id="userinfo"
            ),
            pytest.param(" https://www.google-analytics.com/c\n", "google-analytics", id="spaces"),
            pytest.param(
                "https:\\\\www.google-analytics.com\\c", "google-analytics", id="backslash"
            ),
            pytest.param("https:www.google-analytics.com/c", "google-analytics", id="no-slashes"),
            pytest.param("/www.google-analytics.com/c", None, id="relative-path"),
            pytest.param("www.google-analytics.com/c", None, id="relative-name"),
            pytest.param("data:text/plain,//www.google-analytics.com/", None, id="data-url"),
            pytest.param("https://www.google-analytics.com.example/c", None, id="lookalike"),
            pytest.param("https://www.youtube.com/embed/x", "youtube", id="youtube"),
            pytest.param("", None, id="empty"),
        ],
    )
    def test_vendor_for_url(self, url: str, vendor: str | None) -> None:
        """URLs are matched without scheme, with the host lower-cased; relative URLs never."""
        assert DETECTOR.vendor_for_url(url) == vendor

    @pytest.mark.parametrize(
        ("pattern", "url", "matches"),
        [
            pytest.param("https://CDN.example.com", "http://cdn.example.com", True, id="root"),
            pytest.param(
                "https://CDN.example.com", "http://cdn.example.com/x", False, id="root-only"
            ),
            pytest.param("img?.example.com/*", "//img1.example.com/a", True, id="question-mark"),
            pytest.param("img?.example.com/*", "//img12.example.com/a", False, id="one-char"),
            pytest.param("*.example.com/a/*", "//x.example.com/a/b?c", True, id="star"),
            pytest.param("//x.example.com/A*", "//x.example.com/a", False, id="path-case"),
        ],
    )
    def test_pattern_globs(self, pattern: str, url: str, matches: bool) -> None:
        """Patterns are globs normalised like URLs: scheme dropped, host lower-cased."""
        detector = VendorDetector([VendorSignature("v", (pattern,), ())])

        assert detector.vendor_for_url(url) == ("v" if matches else None)

    def test_first_signature_wins(self) -> None:
        """When two signatures match, the one given first is the vendor."""
        detector = VendorDetector(
            [
                VendorSignature("a", ("*.example.com/*",), ("x(",)),
                VendorSignature("b", ("*",), ("x",)),
            ]
        )

        assert (
            detector.vendor_for_url("//www.example.com/"),
            detector.vendor_for_url("//other.org/"),
            detector.vendor_for_inline("x(1)"),
        ) == ("a", "b", "a")

    @pytest.mark.parametrize(
        ("script", "vendor"),
        [
            pytest.param(GTAG_BLOCK.decode(), "google-analytics", id="gtag"),
            pytest.param(ANALYTICS_JS_BODY.decode(), "google-analytics", id="analytics.js"),
            pytest.param("grecaptcha.ready(f)", "google-recaptcha", id="recaptcha"),
            pytest.param("console.log('hi')", None, id="none"),
        ],
    )
    def test_vendor_for_inline(self, script: str, vendor: str | None) -> None:
        """An inline script belongs to the first vendor with a marker in it."""
        assert DETECTOR.vendor_for_inline(script) == vendor

    @pytest.mark.parametrize(
        "signature",
        [
            pytest.param(VendorSignature("v", ("",), ()), id="pattern"),
            pytest.param(VendorSignature("v", (), ("",)), id="marker"),
        ],
    )
    def test_rejects_empty_needles(self, signature: VendorSignature) -> None:
        """An empty pattern or marker would match everything, so it is refused at start-up."""
        with pytest.raises(ConfigurationError):
            VendorDetector([signature])


class TestHtmlRewriterNeutralises:
    @pytest.mark.parametrize(
        ("html", "expected"),
        [
            pytest.param(
                GTAG_LOADER,
                b'<script type="text/plain"' + GA_MARK + b" async data-consentkit-src="
                b'"https://www.googletagmanager.com/gtag/js?id=G-X4B2C9D1E7"></script>',
                id="gtag-loader",
            ),
            pytest.param(
                GTAG_BLOCK,
                b'<script type="text/plain"' + GA_MARK + GTAG_BLOCK[7:],
                id="gtag-block",
            ),
            pytest.param(
                ANALYTICS_JS,
                b'<script type="text/plain"'
                + GA_MARK
                + b' data-consentkit-type="text/javascript">'
                + ANALYTICS_JS_BODY
                + b"</script>",
                id="analytics.js",
            ),
            pytest.param(
                PIXEL,
                b"<noscript><img" + GA_MARK + b' height="1" width="1" data-consentkit-src="'
                b'%s"></noscript>' % PIXEL_URL,
                id="noscript-pixel",
            ),
            pytest.param(
                PRECONNECT,
                b"<link" + GA_MARK + b' rel="preconnect" data-consentkit-href='
                b'"https://www.google-analytics.com">',
                id="preconnect",
            ),
            pytest.param(
                DNS_PREFETCH,
                b"<link" + GA_MARK + b' rel="dns-prefetch" data-consentkit-href='
                b'"//www.google-analytics.com">',
                id="dns-prefetch",
            ),
            pytest.param(
                b'<iframe width="560" src="https://www.youtube.com/embed/x" allowfullscreen>'
                b"</iframe>",
                b'<iframe data-consentkit-vendor="youtube" width="560" data-consentkit-src='
                b'"https://www.youtube.com/embed/x" allowfullscreen></iframe>',
                id="iframe",
            ),
            pytest.param(
                b'<img src="/a.png" srcset="/a2.png 2x, '
                b'https://ssl.google-analytics.com/p.gif 3x">',
                b"<img" + GA_MARK + b' data-consentkit-src="/a.png" data-consentkit-srcset='
                b'"/a2.png 2x, https://ssl.google-analytics.com/p.gif 3x">',
                id="srcset",
            ),
            pytest.param(
                b'<picture><source media="(min-width: 800px)" srcset="https://www.google-analytics'
                b'.com/p.gif 1x"><img src="/a.png"></picture>',
                b"<picture><source" + GA_MARK + b' media="(min-width: 800px)" data-consentkit-'
                b'srcset="https://www.google-analytics.com/p.gif 1x"><img src="/a.png"></picture>',
                id="picture-source",
            ),
            pytest.param(
                b'<video controls poster="https://www.google-analytics.com/p.gif" src="/v.mp4">'
                b'<source src="https://www.youtube.com/embed/v.webm" type="video/webm"></video>',
                b"<video" + GA_MARK + b' controls data-consentkit-poster="https://www.google-'
                b'analytics.com/p.gif" data-consentkit-src="/v.mp4"><source data-consentkit-'
                b'vendor="youtube" data-consentkit-src="https://www.youtube.com/embed/v.webm" '
                b'type="video/webm"></video>',
                id="video-poster-source",
            ),
            pytest.param(
                b"<audio src=//www.google-analytics.com/a.mp3 autoplay></audio>",
                b"<audio" + GA_MARK + b" data-consentkit-src=//www.google-analytics.com/a.mp3 "
                b"autoplay></audio>",
                id="audio",
            ),
            pytest.param(
                b'<embed type="video/mp4" src="https://www.youtube.com/embed/x">',
                b'<embed data-consentkit-vendor="youtube" type="video/mp4" data-consentkit-src='
                b'"https://www.youtube.com/embed/x">',
                id="embed",
            ),
            pytest.param(
                b'<object data="https://www.youtube.com/embed/x" width="400"></object>',
                b'<object data-consentkit-vendor="youtube" data-consentkit-data='
                b'"https://www.youtube.com/embed/x" width="400"></object>',
                id="object",
            ),
            pytest.param(
                b'<link rel="preload" as="image" imagesrcset="https://www.google-analytics.com/'
                b'p.gif 2x">',
                b"<link" + GA_MARK + b' rel="preload" as="image" data-consentkit-imagesrcset='
                b'"https://www.google-analytics.com/p.gif 2x">',
                id="link-imagesrcset",
            ),
            pytest.param(
                b'<script id=ga nonce="r4nd0m" crossorigin=anonymous defer type=module '
                b"src='//www.googletagmanager.com/gtag/js?id=G-1&amp;l=dl'></script>",
                b'<script type="text/plain"' + GA_MARK + b' id=ga nonce="r4nd0m" '
                b"crossorigin=anonymous defer data-consentkit-type=module "
                b"data-consentkit-src='//www.googletagmanager.com/gtag/js?id=G-1&amp;l=dl'></script>",
                id="other-attributes-kept",
            ),
            pytest.param(
                b'<SCRIPT SRC="https://www.googletagmanager.com/gtag/js" ASYNC></SCRIPT>',
                b'<SCRIPT type="text/plain"' + GA_MARK + b" data-consentkit-src="
                b'"https://www.googletagmanager.com/gtag/js" ASYNC></SCRIPT>',
                id="upper-case",
            ),
            pytest.param(
                b"<script type='TEXT/JAVASCRIPT; charset=utf-8'>gtag('js')</script>",
                b'<script type="text/plain"' + GA_MARK + b" data-consentkit-type="
                b"'TEXT/JAVASCRIPT; charset=utf-8'>gtag('js')</script>",
                id="js-type-with-parameters",
            ),
            pytest.param(
                b"<script type=''>gtag('js')</script>",
                b'<script type="text/plain"' + GA_MARK + b" data-consentkit-type=''>"
                b"gtag('js')</script>",
                id="empty-type",
            ),
            pytest.param(
                b"<script src='/a.js' src=https://www.googletagmanager.com/gtag/js></script>",
                b"<script src='/a.js' src=https://www.googletagmanager.com/gtag/js></script>",
                id="duplicate-first-wins",
            ),
            pytest.param(
                b"<img src=https://www.google-analytics.com/c SRC=/a.png>",
                b"<img" + GA_MARK + b" data-consentkit-src=https://www.google-analytics.com/c"
                b" data-consentkit-src=/a.png>",
                id="duplicates-all-moved",
            ),
            pytest.param(
                b'<img src="https:&#47;&#47;www&#46;google-analytics&#x2E;com/c">',
                b"<img" + GA_MARK + b' data-consentkit-src="https:&#47;&#47;www&#46;'
                b'google-analytics&#x2E;com/c">',
                id="character-references",
            ),
            pytest.param(
                b'<img src="//www.&#103;oogle-analytics.com/c">',
                b"<img" + GA_MARK + b' data-consentkit-src="//www.&#103;oogle-analytics.com/c">',
                id="numeric-reference-inside-probe",
            ),
            pytest.param(
                b"<script/src=//www.googletagmanager.com/gtag/js></script>",
                b'<script type="text/plain"' + GA_MARK + b"/data-consentkit-src="
                b"//www.googletagmanager.com/gtag/js></script>",
                id="slash-separator",
            ),
        ],
    )
    def test_denied_tag(self, html: bytes, expected: bytes) -> None:
        """A denied vendor's tag is neutralised in place; every other byte is kept."""
        assert DENY.rewrite(html) == expected

    @pytest.mark.parametrize(
        "html",
        [
            pytest.param(b'<script type="application/ld+json">{"a": "gtag("}</script>', id="json"),
            pytest.param(b'<script type="text/template">gtag(</script>', id="template"),
            pytest.param(
                b"<script type=text/plain src=//www.googletagmanager.com/gtag/js>", id="inert"
            ),
            pytest.param(b'<script src="/js/app.js">gtag(</script>', id="src-ignores-body"),
            pytest.param(b'<a href="https://www.google-analytics.com/c">GA</a>', id="anchor"),
            pytest.param(b"<scriptx src=//www.googletagmanager.com/gtag/js>", id="other-name"),
            pytest.param(b'<img src="/www.google-analytics.com/c">', id="relative-url"),
        ],
    )
    def test_untouched(self, html: bytes) -> None:
        """Scripts that can't run, tags out of scope and relative URLs are left alone."""
        assert DENY.rewrite(html) == html

    def test_reference_page(self) -> None:
        """On a whole page every vendor tag is neutralised; the rest, comment included, is kept."""
        assert DENY.rewrite(PAGE) == PAGE_TEMPLATE % NEUTRALISED

    def test_allowed_vendor_untouched(self) -> None:
        """Only the vendors the visitor refused are neutralised."""
        html = GTAG_LOADER + b'<script src="https://www.google.com/recaptcha/api.js"></script>'

        assert allowing("google-analytics").rewrite(html) == (
            GTAG_LOADER + b'<script type="text/plain" data-consentkit-vendor="google-recaptcha" '
            b'data-consentkit-src="https://www.google.com/recaptcha/api.js"></script>'
        )

    def test_stale_copies_dropped(self) -> None:
        """A leftover data-consentkit-src would win on activation, so it is dropped."""
        html = (
            b'<script data-consentkit-src="/old.js" src="https://www.googletagmanager.com/gtag/js">'
        )

        assert DENY.rewrite(html) == (
            b'<script type="text/plain"' + GA_MARK + b" data-consentkit-src="
            b'"https://www.googletagmanager.com/gtag/js">'
        )

    def test_latin1_page(self) -> None:
        """Bytes are never decoded: a Latin-1 page keeps its bytes around the rewritten tag."""
        html = b"<p>Caf\xe9 cr\xe8me</p>" + PRECONNECT + b"\xa0"

        assert DENY.rewrite(html) == b"<p>Caf\xe9 cr\xe8me</p>" + NEUTRALISED[0] + b"\xa0"

    def test_vendor_id_is_escaped(self) -> None:
        """A vendor id is written as a double-quoted, attribute-escaped value."""
        detector = VendorDetector([VendorSignature('a&"b', ("x.example/*",), ())])

        rewriter = HtmlRewriter(detector, lambda vendor: False)

        assert rewriter.rewrite(b"<img src=//x.example/>") == (
            b'<img data-consentkit-vendor="a&amp;&quot;b" data-consentkit-src=//x.example/>'
        )

    def test_page_without_vendor_tags_is_identical(self) -> None:
        """A page with no vendor tags comes out byte for byte, even in any encoding."""
        assert DENY.rewrite(PLAIN_PAGE) == PLAIN_PAGE

    def test_without_probes_every_loading_tag_is_read(self) -> None:
        """A vendor matching any URL leaves nothing to probe for: every tag that loads
        something is read, the media elements too."""
        everything = VendorDetector([VendorSignature("cdn", ("*/*",), ())])
        page = b"<video poster=//x.org/p.jpg></video><object data=//y.org/o></object><p>t</p>"

        assert HtmlRewriter(everything, lambda vendor: False).rewrite(page) == (
            b'<video data-consentkit-vendor="cdn" data-consentkit-poster=//x.org/p.jpg></video>'
            b'<object data-consentkit-vendor="cdn" data-consentkit-data=//y.org/o></object>'
            b"<p>t</p>"
        )


class TestHtmlRewriterActivates:
    @pytest.mark.parametrize(
        ("html", "expected"),
        [
            pytest.param(
                b'<script type="text/plain" data-consentkit-vendor="google-analytics" async '
                b'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>',
                b'<script data-consentkit-vendor="google-analytics" async '
                b'src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>',
                id="script-src",
            ),
            pytest.param(
                b"<script type=text/plain data-consentkit-type=module data-consentkit-vendor"
                b"=google-analytics>gtag('js')</script>",
                b"<script type=module data-consentkit-vendor=google-analytics>gtag('js')</script>",
                id="script-type",
            ),
            pytest.param(
                b"<script type='text/plain' data-consentkit-vendor='google-analytics'>gtag(1)"
                b"</script>",
                b"<script data-consentkit-vendor='google-analytics'>gtag(1)</script>",
                id="inline-script",
            ),
            pytest.param(
                b'<iframe data-consentkit-src="https://www.youtube.com/embed/x" '
                b'data-consentkit-vendor="youtube"></iframe>',
                b'<iframe src="https://www.youtube.com/embed/x" data-consentkit-vendor="youtube">'
                b"</iframe>",
                id="iframe",
            ),
            pytest.param(
                b'<img data-consentkit-vendor="google-analytics" data-consentkit-src="/p.gif" '
                b'data-consentkit-srcset="/p2.gif 2x" alt="">',
                b'<img data-consentkit-vendor="google-analytics" src="/p.gif" srcset="/p2.gif 2x" '
                b'alt="">',
                id="img",
            ),
            pytest.param(
                b'<link rel=preconnect data-consentkit-vendor="google-analytics" '
                b'data-consentkit-href="https://www.google-analytics.com">',
                b'<link rel=preconnect data-consentkit-vendor="google-analytics" '
                b'href="https://www.google-analytics.com">',
                id="link",
            ),
            pytest.param(
                b'<source data-consentkit-vendor="google-analytics" data-consentkit-srcset='
                b'"/p.gif 1x" media="print">',
                b'<source data-consentkit-vendor="google-analytics" srcset="/p.gif 1x" '
                b'media="print">',
                id="source",
            ),
            pytest.param(
                b'<video data-consentkit-vendor="youtube" data-consentkit-poster="/p.jpg" '
                b'data-consentkit-src="/v.mp4" controls>',
                b'<video data-consentkit-vendor="youtube" poster="/p.jpg" src="/v.mp4" controls>',
                id="video",
            ),
            pytest.param(
                b'<object data-consentkit-vendor="youtube" data-consentkit-data="/o.swf">',
                b'<object data-consentkit-vendor="youtube" data="/o.swf">',
                id="object",
            ),
            pytest.param(
                b'<img data-consentkit-vendor="google&#45;analytics" data-consentkit-src="/p.gif">',
                b'<img data-consentkit-vendor="google&#45;analytics" src="/p.gif">',
                id="escaped-vendor",
            ),
        ],
    )
    def test_allowed_pre_marked_tag(self, html: bytes, expected: bytes) -> None:
        """A pre-marked tag of an allowed vendor gets its src, href and type back."""
        assert ALLOW.rewrite(html) == expected

    @pytest.mark.parametrize(
        "html",
        [
            pytest.param(
                b'<script type="text/plain" data-consentkit-vendor="google-analytics" '
                b'data-consentkit-src="https://www.googletagmanager.com/gtag/js"></script>',
                id="denied",
            ),
            pytest.param(
                b'<img data-consentkit-vendor="hotjar" data-consentkit-src="/p.gif">', id="unknown"
            ),
            pytest.param(
                b'<script type="text/plain" data-consentkit-vendor="">gtag(1)</script>', id="empty"
            ),
        ],
    )
    def test_blocked_pre_marked_tag_kept(self, html: bytes) -> None:
        """A pre-marked tag whose vendor is denied or unknown is left exactly as is."""
        assert allowing("youtube").rewrite(html) == html

    def test_blocked_marked_tag_with_live_source(self) -> None:
        """A tag marked with a denied vendor but still live is neutralised, fail-closed."""
        html = b'<img data-consentkit-vendor="google-analytics" src="/pixel.gif">'

        assert DENY.rewrite(html) == (
            b'<img data-consentkit-vendor="google-analytics" data-consentkit-src="/pixel.gif">'
        )

    def test_round_trip_restores_meaning(self) -> None:
        """A neutralised page passed through an allowing rewriter loads what it loaded before."""
        assert ALLOW.rewrite(DENY.rewrite(PAGE)) == PAGE_TEMPLATE % ACTIVATED

    def test_allowing_rewriter_leaves_page(self) -> None:
        """With every vendor allowed, a page without pre-marked tags is unchanged."""
        assert ALLOW.rewrite(PAGE) == PAGE


class TestHtmlRewriterTokenises:
    @pytest.mark.parametrize(
        "html",
        [
            pytest.param(
                b"<style>/* <img src=//www.google-analytics.com/c> */</style>", id="style"
            ),
            pytest.param(b"<textarea>" + GTAG_LOADER + b"</textarea>", id="textarea"),
            pytest.param(b"<title>" + GTAG_LOADER + b"</TITLE>", id="title"),
            pytest.param(b"<xmp>" + PIXEL + b"</xmp>", id="xmp"),
            pytest.param(b"<iframe src=/x>" + PIXEL + b"</iframe>", id="iframe-content"),
            pytest.param(b"<!-- " + GTAG_LOADER + b" -->", id="comment"),
            pytest.param(b"<!--[if lt IE 9]>" + GTAG_BLOCK + b"<![endif]-->", id="conditional"),
            pytest.param(b"<a title='<img src=//www.google-analytics.com/c>'>x</a>", id="in-value"),
            pytest.param(b"<!x <img src=//www.google-analytics.com/c>", id="bogus-comment"),
            pytest.param(b"<?x <img src=//www.google-analytics.com/c>", id="processing-instr"),
            pytest.param(b"<plaintext>" + PIXEL, id="plaintext"),
            pytest.param(b'<img src="//www.google-analytics.com/c"', id="unfinished-at-eof"),
            pytest.param(b"\xff\xfe<p>\x80\x00</p>", id="binary"),
        ],
    )
    def test_not_markup_is_not_rewritten(self, html: bytes) -> None:
        """Raw text, comments, attribute values and bogus comments are never scanned."""
        assert DENY.rewrite(html) == html

    @pytest.mark.parametrize(
        ("html", "expected"),
        [
            pytest.param(
                b"<script>gtag(1)</SCRIPT \n><img src=//www.google-analytics.com/c>",
                b'<script type="text/plain"' + GA_MARK + b">gtag(1)</SCRIPT \n>"
                b"<img" + GA_MARK + b" data-consentkit-src=//www.google-analytics.com/c>",
                id="end-tag-case-and-space",
            ),
            pytest.param(
                b'<img alt="a > b" src="//www.google-analytics.com/c">',
                b"<img"
                + GA_MARK
                + b' alt="a > b" data-consentkit-src="//www.google-analytics.com/c">',
                id="gt-in-quoted-value",
            ),
            pytest.param(
                b"<!--><img src=//www.google-analytics.com/c><!--->",
                b"<!--><img"
                + GA_MARK
                + b" data-consentkit-src=//www.google-analytics.com/c><!--->",
                id="abrupt-comments",
            ),
            pytest.param(
                b'<p title=x="y>" <img src=//www.google-analytics.com/c>',
                b'<p title=x="y>" <img' + GA_MARK + b" data-consentkit-src="
                b"//www.google-analytics.com/c>",
                id="quote-in-unquoted-value",
            ),
            pytest.param(
                b"<style>x</style ><img src=//www.google-analytics.com/c>",
                b"<style>x</style ><img" + GA_MARK + b" data-consentkit-src="
                b"//www.google-analytics.com/c>",
                id="after-raw-text",
            ),
        ],
    )
    def test_markup_after_tricky_syntax(self, html: bytes, expected: bytes) -> None:
        """Tags are found where a browser finds them, and only there."""
        assert DENY.rewrite(html) == expected

    def test_overlong_tag_is_text(self) -> None:
        """A tag too long to hold while streaming is made text, so that nothing in it
        loads; seen whole, it is judged."""
        html = b'<img alt="' + b"x" * MAX_TAG_BYTES + b'" src="//www.google-analytics.com/c">'
        stream = DENY.stream()
        streamed = b"".join(stream.feed(html[i : i + 8192]) for i in range(0, len(html), 8192))

        assert (streamed + stream.close(), DENY.rewrite(html)[:4]) == (
            b"&lt;" + html[1:],
            b"<img",
        )
        assert b"data-consentkit-src" in DENY.rewrite(html)

    @pytest.mark.parametrize(
        "script",
        [
            pytest.param(b"document.write('<img src=\"https://www.google-analytics.com/c\">')"),
            pytest.param(b"new Image().src = '//REGION1.Google-Analytics.com/g/collect'"),
            pytest.param(b"var u = 'https://www.google-analytics.com/' + 'collect'"),
        ],
    )
    def test_script_naming_a_host_is_neutralised_whole(self, script: bytes) -> None:
        """A script that names a denied vendor's host loads from it: the script is
        neutralised, and its text, which is not markup, is left as it is."""
        html = b"<script>" + script + b"</script>"

        assert DENY.rewrite(html) == b'<script type="text/plain"' + GA_MARK + html[7:]

    def test_inline_script_judged_on_look_ahead(self) -> None:
        """An inline script longer than MAX_SCRIPT_LOOKAHEAD is neutralised unread, for
        every denied vendor: it could name any of them past the look-ahead."""
        near = b"<script>" + b" " * (MAX_SCRIPT_LOOKAHEAD - 5) + b"gtag(</script>"
        far = b"<script>" + b" " * (MAX_SCRIPT_LOOKAHEAD - 3) + b"x();</script>"

        assert (DENY.rewrite(near), DENY.rewrite(far)) == (
            b'<script type="text/plain"' + GA_MARK + near[7:],
            b'<script type="text/plain" data-consentkit-vendor="google-analytics'
            b' google-recaptcha youtube"' + far[7:],
        )


class TestHtmlStream:
    def test_holds_only_an_unfinished_tag(self) -> None:
        """Bytes are released as soon as they are decided; a cut tag waits for its end."""
        stream = DENY.stream()

        assert (
            stream.feed(b"<p>hi</p><img src=//x.google-ana"),
            stream.feed(b"lytics.com/c"),
            stream.feed(b">") + stream.close(),
        ) == (
            b"<p>hi</p>",
            b"",
            b"<img" + GA_MARK + b" data-consentkit-src=//x.google-analytics.com/c>",
        )

    def test_memory_is_bounded(self) -> None:
        """A long comment, text or unfinished tag is passed on, never buffered whole."""
        stream = DENY.stream()
        body = b"<!-- " + b"x" * 200_000 + b"<p " + b"y" * 200_000
        chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]
        fed = out = lag = 0
        for chunk in chunks:
            fed += len(chunk)
            out += len(stream.feed(chunk))
            lag = max(lag, fed - out)

        assert (lag < MAX_TAG_BYTES, out + len(stream.close())) == (True, len(body))

    def test_script_held_up_to_look_ahead(self) -> None:
        """An inline script is released once its look-ahead, and an end tag's length past
        it, are seen (an end tag starting inside may not be whole), with its decision."""
        body = b"gtag(" + b" " * (MAX_SCRIPT_LOOKAHEAD + 4)
        stream = DENY.stream()

        assert (
            stream.feed(b"<script>" + body[: MAX_SCRIPT_LOOKAHEAD - 1]),
            stream.feed(body[MAX_SCRIPT_LOOKAHEAD - 1 :]),
        ) == (
            b"",
            b'<script type="text/plain" data-consentkit-vendor="google-analytics'
            b' google-recaptcha youtube">' + body[:-9],
        )

    def test_every_split_point(self) -> None:
        """Cutting the reference page anywhere in two gives the whole page's output."""
        whole = DENY.rewrite(PAGE)

        assert [feed_in_pieces(DENY, PAGE, [cut]) for cut in range(len(PAGE) + 1)] == [whole] * (
            len(PAGE) + 1
        )

    @pytest.mark.parametrize(
        "rewriter",
        [
            pytest.param(DENY, id="deny"),
            pytest.param(ALLOW, id="allow"),
            pytest.param(REWRITERS[2], id="mixed"),
        ],
    )
    def test_byte_by_byte(self, rewriter: HtmlRewriter) -> None:
        """Feeding one byte at a time gives the whole page's output."""
        stream = rewriter.stream()
        out = b"".join(stream.feed(PAGE[i : i + 1]) for i in range(len(PAGE)))

        assert out + stream.close() == rewriter.rewrite(PAGE)


# Strategies: realistic pages assembled from fragments (vendor tags, pre-marked tags, and
# ordinary or tricky markup where vendor URLs appear in text, comments, raw text or
# attribute values), and "token soup" that puts the tokeniser's special characters and
# the vendors' names next to each other at random.
VENDOR_TAGS = (
    *PAGE_TAGS,
    b'<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>',
    b"<SCRIPT SRC=//www.googletagmanager.com/gtag/js?id=1></SCRIPT >",
    b'<img src="https:&#47;&#47;www&#46;google-analytics&#46;com/c">',
    b"<script type=module>gtag('x')</script>",
    b'<picture><source srcset="https://www.google-analytics.com/p.gif"><img src=/a.png>',
    b"<video poster=//www.google-analytics.com/p.gif><source src=/v.mp4></video>",
    b"<object data=https://www.youtube.com/embed/x></object>",
)
PRE_MARKED = (
    b'<script type="text/plain" data-consentkit-vendor="google-analytics" '
    b'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>',
    b"<script type=text/plain data-consentkit-vendor=google-analytics>gtag(1)</script>",
    b'<img data-consentkit-vendor="youtube" data-consentkit-src="/thumb.jpg">',
    b'<link data-consentkit-vendor="google-analytics" '
    b'data-consentkit-href="//www.google-analytics.com">',
    b'<source data-consentkit-vendor="google-analytics" data-consentkit-srcset="/p.gif 1x">',
    b'<embed data-consentkit-vendor="youtube" data-consentkit-src="/e.mp4">',
)
ORDINARY = (
    b'<div class="card">',
    b"</div>",
    b'<a href="/a?x=1&amp;y=2">lien</a>',
    b'<img src="/i.png" alt="a > b" srcset="/i2.png 2x">',
    b'<video src="/v.mp4" poster="/p.jpg" controls><source src="/v.webm"></video>',
    b"<object data=/o.svg></object><embed src=/e.svg>",
    b'<link rel="stylesheet" href="/s.css">',
    b"Caf\xc3\xa9 \xe2\x82\xac 5 < 6 & 7 > 3 ",
    b"caf\xe9 ",
    b"<!-- <img src=//www.google-analytics.com/c> -->",
    b"<script>document.write('<img src=//cdn.example.com/c>')</script>",
    b"<textarea><script src=//www.googletagmanager.com/gtag/js></script></textarea>",
    b"<a title='<img src=//www.google-analytics.com/c>'>t</a>",
    b"<!x <img src=//www.google-analytics.com/c>",
    b"<style>/* <link href=//www.google-analytics.com> */</style>",
    b'<script type="application/ld+json">{"a": "gtag("}</script>',
    b'<a href="/search?q=">q</a><input value="=">',
    b"<!-->",
    b"\n",
)
TOKENS = (
    *"<>/!?-=\"' \n\tax#&;",
    "</",
    "<!--",
    "-->",
    "script",
    "SCRIPT",
    "style",
    "textarea",
    "iframe",
    "img",
    "IMG",
    "link",
    "noscript",
    "plaintext",
    "src",
    "srcset",
    "href",
    "type",
    "text/plain",
    "module",
    "application/ld+json",
    "data-consentkit-vendor",
    "data-consentkit-src",
    "data-consentkit-type",
    "data-consentkit-href",
    "google-analytics",
    "youtube",
    "https://www.google-analytics.com/c",
    "//www.googletagmanager.com/gtag/js",
    "gtag(",
    "&#46;",
    "&#x67;",
    "&#0071;",
    "&period;",
    "&amp;",
    "WWW.GOOGLE-ANALYTICS.COM",
    "é",
    "\x00",
)


def pages_of(*fragments: bytes) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(fragments), max_size=40).map(b"".join)


realistic_pages = pages_of(*VENDOR_TAGS, *PRE_MARKED, *ORDINARY)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=80).map(lambda ts: "".join(ts).encode())
any_page = realistic_pages | token_soup | st.binary(max_size=400)
rewriters = st.sampled_from(REWRITERS)


class TestHtmlRewriterProperties:
    @given(html=any_page, cuts=st.lists(st.integers(min_value=0), max_size=10), rewriter=rewriters)
    @example(html=PAGE, cuts=[100, 101, 700, 701, 702], rewriter=DENY)
    def test_split_invariant(self, html: bytes, cuts: list[int], rewriter: HtmlRewriter) -> None:
        """Every way of cutting the input into chunks gives the output of the whole."""
        assert feed_in_pieces(rewriter, html, cuts) == rewriter.rewrite(html)

    @given(html=any_page, cuts=st.lists(st.integers(min_value=0), max_size=4), rewriter=rewriters)
    def test_finish_is_feed_and_close(
        self, html: bytes, cuts: list[int], rewriter: HtmlRewriter
    ) -> None:
        """Ending a body with finish(last chunk) gives what feeding it and closing gives."""
        stream = rewriter.stream()
        points = [0, *sorted(c % (len(html) + 1) for c in cuts), len(html)]
        pieces = [html[a:b] for a, b in pairwise(points)]
        out = b"".join(map(stream.feed, pieces[:-1])) + stream.finish(pieces[-1])

        assert out + stream.close() == rewriter.rewrite(html)

    @given(html=any_page, cuts=st.lists(st.integers(min_value=0), max_size=10), rewriter=rewriters)
    def test_split_invariant_at_tiny_bounds(
        self, html: bytes, cuts: list[int], rewriter: HtmlRewriter
    ) -> None:
        """With bounds of a few bytes, overlong scripts still cut the same way, and a tag
        differs only where a stream had to give up holding it."""
        with (
            mock.patch.object(consentkit.html._rewriter, "MAX_TAG_BYTES", 9),
            mock.patch.object(consentkit.html._rewriter, "MAX_SCRIPT_LOOKAHEAD", 13),
        ):
            streamed, whole = feed_in_pieces(rewriter, html, cuts), rewriter.rewrite(html)
            assume(streamed.count(b"&lt;") == whole.count(b"&lt;"))
            assert streamed == whole

    @given(html=any_page, rewriter=rewriters)
    @example(html=PLAIN_PAGE, rewriter=DENY)
    @example(html=PAGE, rewriter=ALLOW)
    def test_one_run_is_the_steps(self, html: bytes, rewriter: HtmlRewriter) -> None:
        """A page too long to rewrite in steps goes in one run that ends the body, which
        passes on unread what nothing can change once the banner is placed: the very
        bytes of the steps."""
        steps = rewriter.rewrite(html, INJECT)
        with mock.patch.object(consentkit.html._memo, "DELTA_PAGE", -1):
            assert rewriter.rewrite(html, INJECT) == steps

    @given(html=any_page, cuts=st.lists(st.integers(min_value=0), max_size=4), rewriter=rewriters)
    def test_fast_path_is_exact(self, html: bytes, cuts: list[int], rewriter: HtmlRewriter) -> None:
        """Skipping untokenised regions gives what tokenising every byte gives."""
        fast = feed_in_pieces(rewriter, html, cuts)
        # Declaring every ">" possibly quoted sends each token through the exact tokeniser.
        with mock.patch.object(consentkit.html._rewriter, "maybe_quoted", return_value=True):
            assert rewriter.rewrite(html) == fast

    @given(html=any_page, rewriter=rewriters)
    def test_idempotent(self, html: bytes, rewriter: HtmlRewriter) -> None:
        """Rewriting the rewriter's own output changes nothing."""
        once = rewriter.rewrite(html)

        assert rewriter.rewrite(once) == once

    @given(html=pages_of(*VENDOR_TAGS, *ORDINARY))
    def test_deny_undoes_allow(self, html: bytes) -> None:
        """Activating a neutralised page and denying again gives the same neutralised page."""
        denied = DENY.rewrite(html)

        assert DENY.rewrite(ALLOW.rewrite(denied)) == denied

    @given(html=pages_of(*ORDINARY))
    def test_no_vendor_tags_identical(self, html: bytes) -> None:
        """Pages whose only vendor URLs sit in text, comments or raw text are unchanged."""
        assert DENY.rewrite(html) == html


# The shortcuts: a body part with no probe is not tokenised when it ends the body, and a
# first chunk with nothing to change is passed on at once, tokenised only if more follows.
# Patching _may_judge to "yes" turns both off, which leaves the exact path to compare with.
no_shortcuts = mock.patch.object(consentkit.html.HtmlStream, "_may_judge", return_value=True)
# Pieces that make an unchangeable first chunk end in every tokeniser state.
STATE_TOKENS = (
    *TOKENS,
    "<style>",
    "</style>",
    "<title>",
    "<textarea>",
    "</script",
    "<script>",
    "<script src=/a.js>",
    "<img src=/a.png>",
    "<!-- x --",
    "--!>",
    "->",
    "&period;",
    "&#X2E;",
    "&colon;",
    "GoogleAnalyticsObject",
    "grecaptcha.",
    ".google-analytics.com",
    "www.gstatic.com/recaptcha/x",
)
state_soup = st.lists(st.sampled_from(STATE_TOKENS), max_size=60).map(
    lambda ts: "".join(ts).encode()
)
shortcut_pages = state_soup | realistic_pages | st.binary(max_size=200)


class TestShortcuts:
    @pytest.mark.parametrize(
        ("rewriter", "html"),
        [
            pytest.param(ALLOW, PAGE, id="allow"),
            pytest.param(DENY, PLAIN_PAGE.replace(b"<script", b"<xscript"), id="deny"),
        ],
    )
    def test_first_chunk_passed_on_at_once(self, rewriter: HtmlRewriter, html: bytes) -> None:
        """A first chunk with nothing to change is released at once, but for a cut tag."""
        stream = rewriter.stream()

        assert (stream.feed(html + b"<img src="), stream.feed(b"/a.png>"), stream.close()) == (
            html,
            b"<img src=/a.png>",
            b"",
        )

    def test_vendor_tag_after_first_chunk(self) -> None:
        """The state a released first chunk ends in is worked out once a chunk follows."""
        stream = DENY.stream()
        out = stream.feed(b"<p>a</p><!-- b --") + stream.feed(b">" + PRECONNECT) + stream.close()

        assert out == b"<p>a</p><!-- b -->" + NEUTRALISED[0]

    def test_vendor_tag_in_raw_text_after_first_chunk(self) -> None:
        """Bytes released early and held again as maybe an end tag are not released twice."""
        html = b"<style>/* <link href=//www.google-analytics.com> */</style>"
        stream = DENY.stream()
        out = [stream.feed(html[:8]), stream.feed(html[8:9]), stream.feed(html[9:]), stream.close()]

        assert b"".join(out) == html

    def test_script_body_in_next_chunk(self) -> None:
        """A first chunk that opens a script waits for the body, which may hold a marker."""
        stream = DENY.stream()

        assert (stream.feed(b"<p>a</p><script>var a;"), stream.feed(b"gtag(1)</script>")) == (
            b"<p>a</p>",
            b'<script type="text/plain"' + GA_MARK + b">var a;gtag(1)</script>",
        )

    @pytest.mark.parametrize(
        ("html", "expected"),
        [
            pytest.param(
                b"<script>i['GoogleAnalyticsObject']=r</script>",
                b'<script type="text/plain"' + GA_MARK + b">i['GoogleAnalyticsObject']=r</script>",
                id="case-sensitive-marker",
            ),
            pytest.param(
                b'<link rel=preconnect href="https://www&period;google-analytics&period;com">',
                b"<link" + GA_MARK + b' rel=preconnect data-consentkit-href="https://'
                b'www&period;google-analytics&period;com">',
                id="named-reference-for-dot",
            ),
            pytest.param(
                b"<img src=//www&#X2E;google-analytics.com/c>",
                b"<img" + GA_MARK + b" data-consentkit-src=//www&#X2E;google-analytics.com/c>",
                id="upper-case-hex-reference",
            ),
            pytest.param(
                b"<img src=//fonts.gstatic.com/a.png>",
                b"<img src=//fonts.gstatic.com/a.png>",
                id="probe-but-no-vendor",
            ),
        ],
    )
    def test_only_probe_or_marker(self, html: bytes, expected: bytes) -> None:
        """A body whose only clue is a marker or a spelt-out host is still rewritten."""
        stream = DENY.stream()

        assert (DENY.rewrite(html), stream.feed(html) + stream.close()) == (expected, expected)

    def test_allowing_rewriter_activates_only(self) -> None:
        """With every vendor allowed, only marked tags are looked at, and they are activated."""
        html = PAGE + PRE_MARKED[2]

        assert (
            ALLOW.rewrite(html) == PAGE + b'<img data-consentkit-vendor="youtube" src="/thumb.jpg">'
        )

    def test_allowed_asked_once_per_known_vendor(self) -> None:
        """The consent decision is taken when the rewriter is built, not per tag."""
        asked: list[str] = []

        def allowed(vendor: str) -> bool:
            asked.append(vendor)
            return False

        rewriter = HtmlRewriter(DETECTOR, allowed)
        rewriter.rewrite(PAGE)

        assert sorted(asked) == ["google-analytics", "google-recaptcha", "youtube"]

    def test_rewriters_do_not_share_decisions(self) -> None:
        """Two rewriters that differ only on an unknown vendor decide its tags apart."""
        html = b'<img data-consentkit-vendor="hotjar" data-consentkit-src="/p.gif">'
        hotjar = HtmlRewriter(DETECTOR, frozenset({"hotjar"}).__contains__)

        assert (DENY.rewrite(html), hotjar.rewrite(html), DENY.rewrite(html)) == (
            html,
            b'<img data-consentkit-vendor="hotjar" src="/p.gif">',
            html,
        )

    def test_stream_made_directly(self) -> None:
        """An HtmlStream built from a detector and a decision works like a rewriter's."""
        stream = consentkit.html.HtmlStream(DETECTOR, frozenset().__contains__)

        assert stream.feed(PAGE) + stream.close() == DENY.rewrite(PAGE)

    def test_decisions_forgotten_when_full(self) -> None:
        """A full memory of tag decisions is emptied, never wrong."""
        rewriter = allowing()
        with mock.patch.object(consentkit.html._rewriter, "_TAG_CACHE", 1):
            assert [rewriter.rewrite(PAGE) for _ in range(2)] == [DENY.rewrite(PAGE)] * 2

    @given(html=shortcut_pages, cuts=st.lists(st.integers(min_value=0), max_size=4))
    @example(html=b"<style>/* <link href=//www.google-analytics.com> */</style>", cuts=[8, 9])
    def test_shortcuts_are_exact(self, html: bytes, cuts: list[int]) -> None:
        """With and without the shortcuts, in any chunks, every rewriter gives the same bytes."""
        for rewriter in REWRITERS:
            whole, pieces = rewriter.rewrite(html), feed_in_pieces(rewriter, html, cuts)
            with no_shortcuts:
                assert (whole, pieces) == (rewriter.rewrite(html),) * 2

    @given(
        html=shortcut_pages,
        first=st.integers(min_value=0, max_value=60),
        cuts=st.lists(st.integers(min_value=0), max_size=3),
        rewriter=rewriters,
    )
    def test_split_after_first_chunk(
        self, html: bytes, first: int, cuts: list[int], rewriter: HtmlRewriter
    ) -> None:
        """However the first chunk ends, later chunks give the output of the whole."""
        stream = rewriter.stream()
        out = stream.feed(html[:first])
        rest = html[first:]
        points = [0, *sorted(c % (len(rest) + 1) for c in cuts), len(rest)]
        out += b"".join(stream.feed(rest[a:b]) for a, b in pairwise(points)) + stream.close()

        assert out == rewriter.rewrite(html)

    @given(html=shortcut_pages, cuts=st.lists(st.integers(min_value=0), max_size=4))
    def test_shortcuts_at_tiny_bounds(self, html: bytes, cuts: list[int]) -> None:
        """With bounds of a few bytes, the shortcuts still give the exact path's bytes."""
        with (
            mock.patch.object(consentkit.html._rewriter, "MAX_TAG_BYTES", 9),
            mock.patch.object(consentkit.html._rewriter, "MAX_SCRIPT_LOOKAHEAD", 13),
        ):
            for rewriter in REWRITERS:
                whole, pieces = rewriter.rewrite(html), feed_in_pieces(rewriter, html, cuts)
                assume(pieces.count(b"&lt;") == whole.count(b"&lt;"))  # a tag given up
                with no_shortcuts:
                    assert (whole, pieces) == (rewriter.rewrite(html),) * 2

    @given(html=shortcut_pages)
    def test_remembered_decisions_are_fresh_ones(self, html: bytes) -> None:
        """A rewriter that has seen many pages decides like a new one."""
        fresh = (
            allowing(),
            allowing("google-analytics", "google-recaptcha", "youtube"),
            allowing("google-recaptcha"),
        )

        assert [r.rewrite(html) for r in REWRITERS] == [r.rewrite(html) for r in fresh]


def streamed(rewriter: HtmlRewriter, html: bytes) -> bytes:
    """The rewrite of ``html`` fed as one chunk: never from the page memo."""
    stream = rewriter.stream()
    return stream.feed(html) + stream.close()


class TestPageMemo:
    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def memo_on(cls, page_memo: None) -> Iterator[None]:
        with mock.patch.object(consentkit.html._memo, "MEMO_PAGE", MEMO_PAGE):
            yield

    def test_second_sight_remembered(self) -> None:
        """A page is remembered once seen twice, and then not rewritten again."""
        rewriter = allowing()
        page = PAGE + b"<!-- second sight -->"
        first, second = rewriter.rewrite(page), rewriter.rewrite(page)
        with mock.patch.object(consentkit.html.HtmlStream, "_run") as run:
            third = rewriter.rewrite(bytearray(page))  # type: ignore[arg-type]  # accepted too

        assert (first, second, third) == (streamed(DENY, page),) * 3
        run.assert_not_called()

    def test_seen_once_not_kept(self) -> None:
        """A page that differs on every request costs its hash, not memory."""
        rewriter = allowing()
        for i in range(50):
            rewriter.rewrite(PAGE + b"<!-- %d -->" % i)

        assert rewriter._detector.memo._size == 0 or all(
            key[0] != rewriter._serial for key in rewriter._detector.memo._pages
        )

    def test_rewriters_do_not_share(self) -> None:
        """Each consent decision has its own answers, though they share a detector."""
        deny, allow = allowing(), allowing("google-analytics", "google-recaptcha", "youtube")
        for _ in range(2):
            denied = deny.rewrite(PAGE)
        neutralised = deny.rewrite(PAGE)

        assert allow.rewrite(denied) != denied
        assert (allow.rewrite(neutralised), deny.rewrite(PAGE)) == (
            allow.rewrite(denied),
            denied,
        )

    def test_bounded(self) -> None:
        """However many pages come, under however many names, what is remembered of
        them stays within its budget, and is counted right."""
        detector = VendorDetector([GA])
        rewriter = HtmlRewriter(detector, lambda vendor: False)
        page = PAGE * (MEMO_PAGE // len(PAGE))
        for i in range(2 * consentkit.html._memo.LAST_BYTES // len(page)):
            rewriter.rewrite(page[:-12] + b"<!-- %05d -->" % i, page=f"/page/{i}")
        last = detector.last_pages

        assert 0 < last._size <= consentkit.html._memo.LAST_BYTES
        assert last._size == sum(
            consentkit.html._memo._size(key, *entry) for key, entry in last._pages.items()
        )

    def test_large_pages_not_kept(self) -> None:
        detector = VendorDetector([GA])
        rewriter = HtmlRewriter(detector, lambda vendor: False)
        page = PAGE * (MEMO_PAGE // len(PAGE) + 1)
        for _ in range(3):
            out = rewriter.rewrite(page)

        assert (out, detector.memo._size) == (streamed(rewriter, page), 0)

    @given(html=any_page, rewriter=rewriters)
    def test_remembered_is_rewritten(self, html: bytes, rewriter: HtmlRewriter) -> None:
        """What the memory answers is what rewriting gives."""
        fresh = streamed(rewriter, html)

        assert [rewriter.rewrite(html) for _ in range(3)] == [fresh] * 3

    @given(html=any_page, cuts=st.lists(st.integers(min_value=0), max_size=4), rewriter=rewriters)
    def test_remembered_first_chunk_streams_on(
        self, html: bytes, cuts: list[int], rewriter: HtmlRewriter
    ) -> None:
        """A first chunk answered from memory leaves the stream where rewriting it would."""
        with mock.patch.object(consentkit.html._memo, "MEMO_PAGE", -1):
            fresh = feed_in_pieces(rewriter, html, cuts)

        assert [feed_in_pieces(rewriter, html, cuts) for _ in range(3)] == [fresh] * 3

    def test_first_chunk_remembered(self) -> None:
        """Frameworks that stream a page in one chunk (Werkzeug) get the memo too."""
        rewriter = allowing()
        page = PAGE + b"<!-- streamed -->"
        outs = [rewriter.stream().feed(page) for _ in range(2)]
        with mock.patch.object(consentkit.html.HtmlStream, "_run") as run:
            stream = rewriter.stream()
            outs.append(stream.feed(page) + stream.close())

        assert outs == [streamed(DENY, page)] * 3
        run.assert_not_called()
