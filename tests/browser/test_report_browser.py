"""The HTML consent report in headless Chromium: it renders from a file, with no console
error and no request for anything but itself, its charts are drawn, and it prints.

A screenshot of each language goes to test-artifacts/ (docs/img/report.png is one of
them, looked at and copied by hand).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from consentkit import Catalogue
from consentkit.ledger import Ledger
from consentkit.report import aggregate, seed_synthetic, to_html
from tests.browser.support import ARTIFACTS
from tests.ledger_support import KEY, sqlite_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Request

NOW = datetime(2026, 12, 1, 18, tzinfo=UTC)


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> dict[str, Path]:
    """The demo's synthetic ledger, reported by week in English and French, and empty."""
    folder = tmp_path_factory.mktemp("report")
    url = sqlite_url(folder)
    with Ledger.open(url, key=KEY, origin="consentkit.synthetic/plus-que-pro") as ledger:
        seed_synthetic(ledger, catalogue, 1500, days=90, end=date(2026, 12, 1))
        report = aggregate(ledger, since=date(2026, 9, 7), by="week", now=NOW)
    with Ledger.open(sqlite_url(folder, "empty.db")) as empty:
        nothing = aggregate(empty, now=NOW)
    files = {}
    for name, page in (
        ("en", to_html(report, lang="en")),
        ("fr", to_html(report, lang="fr")),
        ("empty", to_html(nothing, lang="en")),
    ):
        files[name] = folder / f"report-{name}.html"
        files[name].write_text(page, "utf-8")
    return files


@pytest.mark.parametrize("name", ["en", "fr", "empty"])
def test_renders_alone_without_errors(
    browser: Browser, report_files: dict[str, Path], name: str
) -> None:
    """Opened from disk, the page logs no error, asks for nothing but itself, and each
    chart is drawn at the page's width."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    errors: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    context.on("request", record)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(report_files[name].as_uri())
        page.wait_for_load_state("load")
        assert errors == []
        assert requests == [report_files[name].as_uri()]
        widths = page.eval_on_selector_all(
            "figure svg", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert len(widths) == (0 if name == "empty" else 5)
        assert all(w > 600 for w in widths)
        # Bars and lines are there, not just axes.
        if name != "empty":
            assert page.locator("figure svg path").count() > 100
        page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
    finally:
        context.close()


def test_prints(browser: Browser, report_files: dict[str, Path]) -> None:
    """Printed to A4, the report keeps every chart inside the page's width."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(report_files["en"].as_uri())
        page.emulate_media(media="print")
        overflow = page.evaluate(
            "() => [...document.querySelectorAll('figure, table')]"
            ".filter(e => e.getBoundingClientRect().right > document.body.clientWidth + 1)"
            ".length"
        )
        assert overflow == 0
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF")
        (ARTIFACTS / "report-en.pdf").write_bytes(pdf)
    finally:
        context.close()
