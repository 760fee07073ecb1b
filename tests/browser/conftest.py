"""Fixtures for the browser tests: Chromium, the demo site under gunicorn, routed contexts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.support import (
    CHROMIUM,
    DEMO,
    HERE,
    LAUNCH_ARGS,
    REQUIRE_BROWSER,
    Network,
    browser_unavailable,
    gunicorn,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

#: Opens a page of a fresh browser context: ``open_page(url, locale=..., viewport=...)``.
OpenPage = Callable[..., "Page"]

# Records CSP violations, so a test can say none happened.
_INIT_SCRIPT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


# Module scope, not session: the sync API keeps an event loop running in this thread
# until it stops, and later test modules call asyncio.run().
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    reason = browser_unavailable()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"CONSENTKIT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    # Debian's Chromium, never a downloaded one.
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    """The demo site (examples/plus-que-pro) under gunicorn."""
    with gunicorn(DEMO, "wsgi_app:app") as url:
        yield url


@pytest.fixture(scope="module")
def csp_url() -> Iterator[str]:
    """A page under a nonce-based CSP (tests/browser/csp_app.py) under gunicorn."""
    with gunicorn(HERE, "csp_app:app") as url:
        yield url


@pytest.fixture(scope="module")
def corpus_url() -> Iterator[str]:
    """The enforcement corpus (tests/browser/corpus_app.py) under gunicorn."""
    with gunicorn(HERE, "corpus_app:app") as url:
        yield url


@pytest.fixture
def network() -> Network:
    """What the test's pages asked for outside the machine."""
    return Network()


@pytest.fixture
def open_page(browser: Browser, network: Network) -> Iterator[OpenPage]:
    contexts: list[BrowserContext] = []

    def open_(url: str, *, locale: str = "fr-FR", **options: Any) -> Page:
        language = locale.split("-")[0]
        context = browser.new_context(
            locale=locale,
            extra_http_headers={"Accept-Language": f"{locale},{language};q=0.9"},
            **options,
        )
        contexts.append(context)
        context.route("**/*", network.handle)
        context.add_init_script(_INIT_SCRIPT)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    # Whatever a test did, nothing but the fake Google left the page.
    assert network.blocked == [], f"requests to the outside world: {network.blocked}"
