"""Fail-opens found by the differential tests, one test each, with what a browser does."""

from __future__ import annotations

import base64

import pytest

from consentkit.html import MAX_SCRIPT_LOOKAHEAD, _memo
from tests.html_judge import denied_by, readings_diverge, would_load
from tests.test_html import ALLOW, DENY, GA_MARK

GA_URL = "https://www.google-analytics.com/collect"


def loads_ga(page: bytes) -> bool:
    """Whether a browser would load Google Analytics from ``page``, either way it reads it."""
    return bool(denied_by(would_load(page), ["google-analytics"]))


class TestRegressions:
    def test_script_cut_exactly_at_its_look_ahead(self) -> None:
        """A body cut by the chunk's end exactly at the look-ahead was judged as if whole,
        and a marker just past it went out live."""
        body = b" " * MAX_SCRIPT_LOOKAHEAD + b"gtag('config', 'G-1')"
        stream = DENY.stream()
        out = stream.feed(b"<script>" + body[:MAX_SCRIPT_LOOKAHEAD])
        out += stream.feed(body[MAX_SCRIPT_LOOKAHEAD:] + b"</script>") + stream.close()

        assert (loads_ga(b"<script>" + body + b"</script>"), loads_ga(out)) == (True, False)

    def test_script_end_tag_cut_at_the_look_ahead(self) -> None:
        """A body that ends inside the look-ahead, its end tag cut by the chunk's end,
        is judged on its body, as when whole (the fix above had made it too long)."""
        body = b" " * (MAX_SCRIPT_LOOKAHEAD - 12) + b"var x = 1;"  # ends 2 bytes inside
        html = b"<script>" + body + b"</script><p>fin</p>"
        cut = len(b"<script>") + MAX_SCRIPT_LOOKAHEAD
        stream = DENY.stream()
        out = stream.feed(html[:cut]) + stream.feed(html[cut:]) + stream.close()

        assert out == DENY.rewrite(html) == html

    @pytest.mark.parametrize(
        "script",
        [
            pytest.param(f"new Image().src = '{GA_URL}';", id="pixel"),
            pytest.param("fetch('//region1.google-analytics.com/g/collect')", id="fetch"),
            pytest.param(f"document.write('<img src={GA_URL}>')", id="document-write"),
        ],
    )
    def test_inline_script_naming_a_host(self, script: str) -> None:
        """Inline scripts were judged by markers alone; a host named in one loads from it,
        as in an event handler."""
        page = f"<script>{script}</script>".encode()

        assert (loads_ga(page), loads_ga(DENY.rewrite(page)), ALLOW.rewrite(page)) == (
            True,
            False,
            page,
        )

    def test_mathml_script_is_no_script(self) -> None:
        """MathML has no scripts: a <script> there is an element like any other and was
        neutralised for nothing; in a text integration point (<mi>) it is HTML's, and runs."""
        inert = b"<math><script>gtag('config', 'G-1')</script></math>"
        live = b"<math><mi><script>gtag('config', 'G-1')</script></mi></math>"

        assert (loads_ga(inert), DENY.rewrite(inert)) == (False, inert)
        assert (loads_ga(live), loads_ga(DENY.rewrite(live))) == (True, False)

    def test_stray_end_tag_in_svg(self) -> None:
        """``</div>`` in SVG with no <div> open is ignored by the parser: SVG goes on, and
        ``<style>`` there is markup whose ``<img>`` breaks out and loads."""
        page = f"<svg></div><style><img src={GA_URL}></style></svg>".encode()

        assert (loads_ga(page), loads_ga(DENY.rewrite(page))) == (True, False)

    def test_stray_end_tag_closing_html_around_svg(self) -> None:
        """Staying in foreign content where the parser leaves it errs toward seeing tags:
        an <img> in a real <style> is neutralised though it was only text."""
        page = f"<div><svg></div><style><img src={GA_URL}></style>".encode()

        assert (loads_ga(page), DENY.rewrite(page)) == (
            False,
            b"<div><svg></div><style><img"
            + GA_MARK
            + b" data-consentkit-src="
            + GA_URL.encode()
            + b"></style>",
        )


class TestNestedDocumentBase:
    def test_data_document_resolves_nothing_relative(self) -> None:
        """A data: document's base is its own URL: "//host/x" resolves against nothing
        there, and loads nothing."""
        inner = b"<script src='//region1.google-analytics.com/g/collect'></script>"
        page = b"<iframe src='data:text/html;base64," + base64.b64encode(inner) + b"'></iframe>"

        assert (loads_ga(page), DENY.rewrite(page)) == (False, page)

    def test_srcdoc_inherits_the_parents_base(self) -> None:
        """An about:srcdoc document resolves its relative URLs against its parent's base."""
        page = (
            b"<base href='https://www.google-analytics.com/'>"
            b"<iframe srcdoc='<img src=collect>'></iframe>"
        )
        rewritten = DENY.rewrite(page)

        assert (loads_ga(page), loads_ga(rewritten), b"data-consentkit-srcdoc" in rewritten) == (
            True,
            False,
            True,
        )

    def test_base_on_a_denied_host_in_a_long_page(self) -> None:
        """Past a <base> on a denied host, every relative URL loads from there: the rest
        of a page too long for steps is read, though no host is named in it again."""
        page = (
            b"<!doctype html><html><head><base href='https://www.google-analytics.com/'>"
            b"<script src='/analytics.js'></script></head><body>"
            + b"<p>Un artisan pr\xc3\xa8s de chez vous.</p>\n" * 6000
            + b"<img src='collect'></body></html>"
        )
        assert len(page) > _memo.DELTA_PAGE
        rewritten = DENY.rewrite(page)

        assert (loads_ga(page), loads_ga(rewritten)) == (True, False)

    @pytest.mark.parametrize("href", ["javascript:void(0)", "data:text/html,x"])
    def test_base_of_a_scheme_the_standard_ignores(self, href: str) -> None:
        """<base href> with a data: or javascript: URL sets no base, and neither do the
        ones after it."""
        page = f"<base href='{href}'><base href='https://www.google-analytics.com/'>"
        page += "<img src='//cdn.example/i.png'>"

        assert (loads_ga(page.encode()), DENY.rewrite(page.encode())) == (False, page.encode())


class TestTwoReadings:
    def test_noscript_text_copied_by_a_script(self) -> None:
        """Scripts copy noscript text into the page: a tracker in it counts, and goes."""
        page = f"<noscript><script src={GA_URL}></script></noscript>".encode()

        assert (loads_ga(page), loads_ga(DENY.rewrite(page))) == (True, False)

    @pytest.mark.parametrize(
        ("page", "diverge"),
        [
            pytest.param('<noscript><p title="</noscript>">', True, id="attribute"),
            pytest.param("<noscript><!--</noscript>-->", True, id="comment"),
            pytest.param("<noscript><textarea></noscript></textarea>", True, id="raw-text"),
            pytest.param("<noscript><p>a</p></noscript><p title='</noscript>'>", False, id="after"),
            pytest.param("<noscript><img src=/a></noscript>", False, id="plain"),
        ],
    )
    def test_readings_diverge(self, page: str, diverge: bool) -> None:
        """The judge knows where browsers with and without scripting part ways."""
        assert readings_diverge(page) is diverge
