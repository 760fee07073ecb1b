"""Helpers for the browser tests: the browser, the servers, the fake Google, colour maths."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Route

from tests.helpers import ROOT, SECRET
from tests.servers import free_port, running

CHROMIUM = Path("/usr/bin/chromium")
#: Set by CI: a missing browser fails the run instead of skipping the browser tests.
REQUIRE_BROWSER = os.environ.get("CONSENTKIT_REQUIRE_BROWSER") == "1"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Resource hints (<link rel="preconnect">) open sockets without a request that
    # routing could catch: resolve nothing but loopback, so nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
STATIC = ROOT / "src" / "consentkit" / "static"
ARTIFACTS = ROOT / "test-artifacts"
DEMO = ROOT / "examples" / "plus-que-pro"
HERE = Path(__file__).resolve().parent

GOOGLE_DOMAINS = (
    "google.com",
    "googletagmanager.com",
    "google-analytics.com",
    "analytics.google.com",
    "gstatic.com",
    "doubleclick.net",
    "googleadservices.com",
    "recaptcha.net",
)
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")

#: Stands in for Google's gtag.js: records that it ran and what the data layer held
#: (Consent Mode commands included), and writes `_ga` from script as the real one does.
FAKE_GTAG = """
window.__fakeGtagRan = (window.__fakeGtagRan || 0) + 1;
window.__gtagSaw = (window.dataLayer || []).map(function (a) {
  return Array.prototype.slice.call(a).map(function (x) {
    return x instanceof Date ? 'date' : x;
  });
});
document.cookie = '_ga=GA1.1.424242.1764100000; path=/; max-age=63072000; SameSite=Lax';
"""


def browser_unavailable() -> str | None:
    """Why the browser tests can't run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright for Python is not installed (pip install playwright)"
    return None


def is_google(host: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in GOOGLE_DOMAINS)


@dataclass
class Network:
    """Every request of a test: loopback ones pass, Google's are faked, others aborted."""

    google: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        # "host." is the same host to DNS: Chromium sends the dot as written.
        host = (parts.hostname or "").lower().removesuffix(".")
        if parts.scheme in ("data", "blob", "about") or host in LOOPBACK or host == "::1":
            route.continue_()
        elif is_google(host):
            self.google.append(url)
            if parts.path.startswith("/gtag/js"):
                route.fulfill(status=200, content_type="text/javascript", body=FAKE_GTAG)
            else:
                route.fulfill(status=204)  # collect pings, pixels
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    @property
    def gtag_requests(self) -> list[str]:
        return [u for u in self.google if "/gtag/js" in u]


@contextmanager
def gunicorn(chdir: Path, app: str) -> Iterator[str]:
    """A gunicorn server for ``app`` on a free loopback port, stopped on exit."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--chdir", str(chdir), "--workers", "2"]
    argv += ["--bind", f"127.0.0.1:{port}", app]
    # ROOT on the path: the CSP app imports tests.helpers. A PYTHONPATH already set
    # comes first, so the servers can run another checkout's consentkit.
    path = [p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p]
    env = {"CONSENTKIT_SECRET_KEY": SECRET, "PYTHONPATH": os.pathsep.join(path)}
    with running(argv, port, env) as url:
        yield url


_RGB = re.compile(r"rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[, /]+([\d.]+))?\)")


def rgb(css: str) -> tuple[float, float, float, float]:
    """A computed colour (``rgb(…)``/``rgba(…)``) as red, green, blue, alpha."""
    match = _RGB.fullmatch(css.strip())
    if match is None:
        raise ValueError(f"not a computed rgb colour: {css!r}")
    r, g, b, a = match.groups()
    return float(r), float(g), float(b), float(a) if a is not None else 1.0


def _luminance(colour: tuple[float, float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two opaque computed colours."""
    fg, bg = rgb(foreground), rgb(background)
    assert fg[3] == 1, f"translucent colour: {foreground}"
    assert bg[3] == 1, f"translucent colour: {background}"
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
