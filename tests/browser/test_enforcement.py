"""Enforcement as Chromium sees it: the corpus of tests/browser/corpus.py, served by the
middleware, loads nothing from a tracker before consent and, once the visitor clicks
"Tout accepter", the same tracker loads in the same page, restored by the banner.

Tracker hosts are answered on loopback by the browser context's routing
(support.Network), which records every request to them; every tracker URL of a case
carries ``ck=<case id>``. A case whose load cannot happen after the fact says why in
``Case.stays_silent``; for it the test checks the neutralised attributes came back.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.corpus import CASES, MARKED, Case
from tests.browser.support import Network

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import OpenPage

ACCEPT = "Tout accepter"
#: How long a case may take to show the banner, or to load its tracker once accepted.
PATIENCE_MS = 6_000

# Whatever the server left neutralised in the page (srcdoc documents included).
NEUTRALISED = """() => {
  const docs = [document, ...[...document.querySelectorAll('iframe[srcdoc]')]
    .map(f => { try { return f.contentDocument; } catch (e) { return null; } })
    .filter(Boolean)];
  return docs.flatMap(d => [...d.querySelectorAll('*')].flatMap(el => [...el.attributes]
    .filter(a => a.name.startsWith('data-consentkit-') && a.name !== 'data-consentkit-vendor')
    .map(a => el.localName + ' ' + a.name)));
}"""


def traced(network: Network, case: Case) -> list[str]:
    """The tracker requests of ``case``."""
    return [url for url in network.google if parse_qs(urlsplit(url).query).get("ck") == [case.id]]


def accept(page: Page) -> None:
    """Click the banner's accept button."""
    page.get_by_role("button", name=ACCEPT).click(timeout=PATIENCE_MS)


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)


def check(page: Page, network: Network, case: Case) -> None:
    """Nothing traced before consent; once accepted, ``case``'s load, in the same page."""
    settle(page)
    assert network.google == [], "tracker request before consent"
    page.evaluate("window.__marker = 'same page'")
    accept(page)
    if case.stays_silent:
        page.wait_for_function("() => window.consentkit.consent", timeout=PATIENCE_MS)
        settle(page)
        assert page.evaluate(NEUTRALISED) == [], "still neutralised once accepted"
        assert traced(network, case) == [], case.stays_silent
    else:
        deadline = time.monotonic() + PATIENCE_MS / 1000
        while not any(case.carrying in url for url in traced(network, case)):
            assert time.monotonic() < deadline, f"no tracker request once accepted: {network}"
            page.wait_for_timeout(50)
    assert page.evaluate("window.__marker") == "same page", "the page was reloaded"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_nothing_before_consent_then_loads_once_accepted(
    open_page: OpenPage, corpus_url: str, network: Network, case: Case
) -> None:
    """A page of the corpus asks nothing of a tracker before consent, and loads it once accepted."""
    check(open_page(corpus_url + case.path), network, case)


@pytest.mark.parametrize("case", MARKED, ids=[case.id for case in MARKED])
def test_banner_restores_neutralised_tags(
    open_page: OpenPage, corpus_url: str, network: Network, case: Case
) -> None:
    """A tag neutralised by the convention stays silent until accepted, then comes back."""
    check(open_page(f"{corpus_url}/marked/{case.id}"), network, case)


def test_blocked_frame_offers_its_vendor(
    open_page: OpenPage, corpus_url: str, network: Network
) -> None:
    """A blocked frame shows, in its place, what is blocked and a button that accepts its
    vendor: clicked, the frame loads in the same page and the choice is on record."""
    case = next(case for case in CASES if case.id == "iframe")
    page = open_page(corpus_url + case.path)
    page.get_by_role("button", name="Continuer sans accepter").click(timeout=PATIENCE_MS)
    placeholder = page.get_by_role("group", name="Google Analytics")
    button = placeholder.get_by_role("button", name="Accepter Google Analytics")
    settle(page)
    assert (traced(network, case), page.locator("iframe").is_visible()) == ([], False)

    page.evaluate("window.__marker = 'same page'")
    button.click(timeout=PATIENCE_MS)
    deadline = time.monotonic() + PATIENCE_MS / 1000
    while not traced(network, case):
        assert time.monotonic() < deadline, f"no tracker request once accepted: {network}"
        page.wait_for_timeout(50)

    consent = page.evaluate("window.consentkit.consent")
    assert (consent["action"], "google-analytics" in consent["vendors"]) == ("custom", True)
    assert "audience" in consent["purposes"]
    assert (placeholder.count(), page.locator("iframe").is_visible()) == (0, True)
    assert page.evaluate("window.__marker") == "same page", "the page was reloaded"
