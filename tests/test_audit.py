"""`consentkit audit`: a leaky site fails it, a protected one passes."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consentkit.audit import audit, load_target, suggest_rule
from consentkit.cli import main
from consentkit.testing import WSGIResponse
from tests.helpers import EXAMPLE_CATALOGUE, ROOT, SECRET
from tests.servers import free_port, running

DEMO = ROOT / "examples" / "plus-que-pro"
CAT = str(EXAMPLE_CATALOGUE)


@pytest.fixture
def in_demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run from the demo's folder, so its apps import, with the tests' key."""
    monkeypatch.chdir(DEMO)
    monkeypatch.setenv("CONSENTKIT_SECRET_KEY", SECRET)
    monkeypatch.syspath_prepend(str(DEMO))
    for name in ("wsgi_app", "asgi_app", "site_pages"):
        sys.modules.pop(name, None)
    yield
    for name in ("wsgi_app", "asgi_app", "site_pages"):
        sys.modules.pop(name, None)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.mark.usefixtures("in_demo")
class TestInProcess:
    def test_leaky_site_fails(self) -> None:
        """The bare demo site (gtag.js and `_ga` without consent) fails, naming each leak."""
        code, out = run("audit", "wsgi_app:site", "-c", CAT, "--path", "/", "--path", "/mon-compte")
        assert code == 1
        assert (
            "LEAK  [no consent] /mon-compte: Set-Cookie stores '_ga' (vendor 'google-analytics'), "
            "which is not allowed" in out
        )
        assert "/gtag/js?id=G-DEMO0PQP00\"> of vendor 'google-analytics' would load or run" in out

    @pytest.mark.parametrize("target", ["wsgi_app:app", "asgi_app:app"])
    def test_protected_site_passes_under_every_choice(self, target: str) -> None:
        """The same site behind consentkit passes, before consent and after each choice."""
        code, out = run(
            "audit", target, "-c", CAT, "-k", SECRET, "--path", "/", "--path", "/mon-compte"
        )
        assert code == 0, out
        assert "visited 6 page(s) under 3 choice(s)" in out
        assert out.rstrip().endswith("ok: nothing tracks before consent")

    def test_bad_target(self) -> None:
        """A target that is neither a URL nor module:app is a clear error."""
        code, out = run("audit", "nothing-here", "-c", CAT)
        assert code == 1
        assert "package.module:attribute" in out


class TestUndeclared:
    def test_suggests_an_entry(self, catalogue: Any) -> None:
        """A cookie no rule declares is listed with a catalogue entry to start from."""

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            headers = [("Content-Type", "text/plain"), ("Set-Cookie", "ab_test=b; Max-Age=2592000")]
            return WSGIResponse(200, headers, b"")

        report = audit(fetch, catalogue, ["/"])
        assert report.ok
        assert list(report.undeclared) == ["ab_test"]
        assert 'duration = "30 days"' in report.render()

    def test_suggest_rule_durations(self) -> None:
        """Long lifetimes read in months, short ones in days, none as a session."""
        assert 'duration = "13 months"' in suggest_rule("x=1; Max-Age=34190000")
        assert 'duration = "session"' in suggest_rule("x=1; Path=/")


def test_over_http() -> None:
    """Over loopback HTTP, the demo under gunicorn passes the audit."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--chdir", str(DEMO), "--bind", f"127.0.0.1:{port}"]
    with running([*argv, "wsgi_app:app"], port, {"CONSENTKIT_SECRET_KEY": SECRET}) as url:
        report = audit(load_target(url), _catalogue(), ["/", "/mon-compte", "/nowhere"])
    assert report.ok, report.render()
    assert len(report.visited) == 3


def _catalogue() -> Any:
    from consentkit import Catalogue

    return Catalogue.from_file(Path(CAT))
