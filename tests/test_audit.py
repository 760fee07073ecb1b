"""`consentkit audit`: a leaky site fails it, a protected one passes, and an audit that
could not check (an error page, a choice the site ignored) never passes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from consentkit import Catalogue, ConsentConfig, WSGIConsentMiddleware
from consentkit.audit import NOT_HONOURED, AuditReport, audit, load_target, suggest_rule
from consentkit.cli import main
from consentkit.testing import WSGIResponse, call_wsgi
from tests import apps
from tests.helpers import EXAMPLE_CATALOGUE, OTHER_SECRET, ROOT, SECRET
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
        """A target that is neither a URL nor module:app is a clear error: nothing checked."""
        code, out = run("audit", "nothing-here", "-c", CAT)
        assert code == 2
        assert "package.module:attribute" in out

    def test_missing_page_is_an_error(self) -> None:
        """A --path that 404s is named with its status and fails the audit (exit 2)."""
        code, out = run("audit", "wsgi_app:app", "-c", CAT, "--path", "/", "--path", "/nowhere")
        assert code == 2, out
        assert "ERROR  /nowhere: 404 Not Found (under no consent, refuse_all, accept_all)" in out
        assert "1 page(s) could not be audited" in out
        assert "ok:" not in out

    @pytest.mark.parametrize("target", ["wsgi_app:app", "asgi_app:app"])
    def test_wrong_key_is_not_honoured(self, target: str) -> None:
        """With a key the site doesn't verify, its GA stays neutralised after "Tout
        accepter": the audit fails (exit 1) instead of reporting ok."""
        code, out = run("audit", target, "-c", CAT, "-k", OTHER_SECRET, "--path", "/mon-compte")
        assert code == 1, out
        assert "NOT HONOURED  [accept_all] /mon-compte: " in out
        assert "of vendor 'google-analytics' is still neutralised" in out
        assert out.rstrip().endswith(NOT_HONOURED)
        assert "LEAK" not in out

    def test_wrong_cookie_name_is_not_honoured(self) -> None:
        """A consent cookie under another name than the site's is no consent to it."""
        code, out = run("audit", "wsgi_app:app", "-c", CAT, "--cookie-name", "consent")
        assert code == 1, out
        assert NOT_HONOURED in out


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

    def test_suggested_entry_is_a_first_party_rule(self, tmp_path: Path) -> None:
        """The suggestion, pasted into the catalogue, loads: the cookie is the site's own,
        under its strictly necessary purpose, with no vendor shown as a partner."""
        entry = suggest_rule("ab_test=b; Max-Age=2592000", _catalogue())
        assert "vendor" not in entry.split("#")[0]
        path = tmp_path / "catalogue.toml"
        path.write_text(Path(CAT).read_text("utf-8") + "\n" + entry + "\n", "utf-8")
        rule = next(r for r in Catalogue.from_file(path).cookies if r.name == "ab_test")
        assert rule.vendor is None
        assert list(rule.purposes) == ["consent-storage"]  # its first essential purpose

    def test_suggest_rule_durations(self) -> None:
        """Long lifetimes read in months, short ones in days, none as a session."""
        assert 'duration = "13 months"' in suggest_rule("x=1; Max-Age=34190000")
        assert 'duration = "session"' in suggest_rule("x=1; Path=/")


def test_over_http() -> None:
    """Over loopback HTTP, the demo under gunicorn passes the audit under every choice; a
    page that 404s is an error, a wrong key is not honoured, a closed port can't be
    reached: none of them passes."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--chdir", str(DEMO), "--bind", f"127.0.0.1:{port}"]
    signer = ConsentConfig(catalogue=_catalogue(), secret_keys=[SECRET]).signer
    with running([*argv, "wsgi_app:app"], port, {"CONSENTKIT_SECRET_KEY": SECRET}) as url:
        report = audit(load_target(url), _catalogue(), ["/", "/mon-compte"], signer=signer)
        missing = audit(load_target(url), _catalogue(), ["/nowhere"])
        code, out = run("audit", url, "-c", CAT, "-k", OTHER_SECRET)
    assert report.ok, report.render()
    assert len(report.visited) == 6
    assert missing.errors == [("no consent", "/nowhere", "404 Not Found")]
    assert code == 1
    assert NOT_HONOURED in out
    code, out = run("audit", url, "-c", CAT)
    assert code == 2
    assert out.startswith("error: ")
    assert f"can't reach {url}/" in out


App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _fetch(app: App) -> Callable[[str, str | None], WSGIResponse]:
    """The in-process fetch the CLI builds for ``app``."""
    module = types.ModuleType("audit_target")
    module.app = app  # type: ignore[attr-defined]
    sys.modules["audit_target"] = module
    try:
        return load_target("audit_target:app")
    finally:
        del sys.modules["audit_target"]


def _status_app(status: str, headers: Iterable[tuple[str, str]] = ()) -> App:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/html"), *headers])
        return [apps.PLAIN_PAGE]

    return app


def _protected(catalogue: Catalogue, secret: str = SECRET) -> App:
    config = ConsentConfig(catalogue=catalogue, secret_keys=[secret], banner=False)
    return WSGIConsentMiddleware(apps.wsgi_app, config)


@pytest.fixture
def signer(catalogue: Catalogue) -> Any:
    return ConsentConfig(catalogue=catalogue, secret_keys=[SECRET]).signer


class TestErrorPages:
    @pytest.mark.parametrize(
        ("status", "shown"),
        [
            pytest.param("400 Bad Request", "400 Bad Request", id="400"),
            pytest.param("404 Not Found", "404 Not Found", id="404"),
            pytest.param("500 Oops", "500 Internal Server Error", id="500"),
        ],
    )
    def test_not_2xx_is_an_error(self, catalogue: Catalogue, status: str, shown: str) -> None:
        """A page that isn't a 2xx is named with its status, and the audit isn't ok (exit 2),
        though the error page tracks nothing."""
        report = audit(_fetch(_status_app(status)), catalogue, ["/compte"])
        assert [(choice, path) for choice, path, _ in report.errors] == [("no consent", "/compte")]
        assert report.errors[0][2].startswith(shown)
        assert not report.ok
        assert report.exit_code == 2
        assert "ok:" not in report.render()

    def test_400_in_process_hints_at_allowed_hosts(self, catalogue: Catalogue) -> None:
        """A 400 in process is most likely Django refusing the Host: the error says which."""
        report = audit(_fetch(_status_app("400 Bad Request")), catalogue, ["/"])
        assert report.errors[0][2] == "400 Bad Request (Django: is 'localhost' in ALLOWED_HOSTS?)"

    def test_leak_on_an_error_page_is_a_leak(self, catalogue: Catalogue) -> None:
        """An error page that sets `_ga` leaks: the exit code says leak (1), not error (2)."""
        app = _status_app("404 Not Found", [("Set-Cookie", apps.GA_COOKIE)])
        report = audit(_fetch(app), catalogue, ["/"])
        assert report.errors
        assert report.leaks
        assert report.exit_code == 1

    def test_in_process_host_is_localhost(self, catalogue: Catalogue) -> None:
        """The app is called with `Host: localhost`, which Django's DEBUG default accepts."""
        hosts = []

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            hosts.append(environ["HTTP_HOST"])
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        assert audit(_fetch(app), catalogue, ["/"]).ok
        assert hosts == ["localhost"]

    def test_app_exception_is_a_500(
        self, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An app that raises is judged as a server would answer: a 500, an error of the
        audit, with the traceback on stderr; the other pages are still judged."""

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ["PATH_INFO"] == "/boom":
                raise KeyError("boom")
            return apps.wsgi_app(environ, start_response)

        report = audit(_fetch(app), catalogue, ["/boom", "/plain"])
        assert report.errors == [("no consent", "/boom", "500 Internal Server Error")]
        assert "KeyError: 'boom'" in capsys.readouterr().err


class TestRedirects:
    @pytest.mark.parametrize(
        "location",
        ["/plain", "plain", "http://localhost/plain", "http://LOCALHOST/plain"],
    )
    def test_followed_on_the_site(self, catalogue: Catalogue, location: str) -> None:
        """A redirect to the site's own page is followed, and that page is judged."""
        fetched = []

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            fetched.append(path)
            if path == "/old":
                return WSGIResponse(302, [("Location", location)], b"")
            return call_wsgi(apps.wsgi_app, path)

        report = audit(fetch, catalogue, ["/old"])
        assert report.ok, report.render()
        assert fetched == ["/old", "/plain"]

    def test_every_hop_is_judged(self, catalogue: Catalogue) -> None:
        """A redirect that sets `_ga` leaks, though the page it leads to doesn't."""

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            if path == "/old":
                headers = [("Location", "/plain"), ("Set-Cookie", apps.GA_COOKIE)]
                return WSGIResponse(301, headers, b"")
            return call_wsgi(apps.wsgi_app, path)

        report = audit(fetch, catalogue, ["/old"])
        assert [leak[:2] for leak in report.leaks] == [("no consent", "/old")]

    def test_to_an_error_page(self, catalogue: Catalogue) -> None:
        """A redirect to a page that 404s is an error named with both paths."""

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            if path == "/old":
                return WSGIResponse(308, [("Location", "/gone?x=1")], b"")
            return call_wsgi(apps.wsgi_app, path)

        report = audit(fetch, catalogue, ["/old"])
        assert (report.errors) == [
            ("no consent", "/old", "404 Not Found at /gone?x=1, after a redirect")
        ]

    @pytest.mark.parametrize(
        ("headers", "why"),
        [
            pytest.param(
                [("Location", "https://localhost/")],
                "302 Found, a redirect off the site to https://localhost/",
                id="https",
            ),
            pytest.param(
                [("Location", "http://sso.example/login")],
                "302 Found, a redirect off the site to http://sso.example/login",
                id="other-host",
            ),
            pytest.param([], "302 Found without a Location", id="none"),
        ],
    )
    def test_off_the_site(
        self, catalogue: Catalogue, headers: list[tuple[str, str]], why: str
    ) -> None:
        """A redirect the audit can't follow on the site is an error, never a pass."""
        report = audit(lambda path, cookie: WSGIResponse(302, headers, b""), catalogue, ["/"])
        assert [("no consent", "/", why)] == report.errors

    def test_base_url_with_a_path(self, catalogue: Catalogue) -> None:
        """Under a base URL with a path, redirects are followed below it, not above."""
        fetched = []

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            fetched.append(path)
            location = {"/a": "/shop/b", "/b": "/elsewhere"}.get(path)
            if location is not None:
                return WSGIResponse(302, [("Location", location)], b"")
            return WSGIResponse(200, [("Content-Type", "text/plain")], b"")

        report = audit(fetch, catalogue, ["/a"], origin="http://h:8000/shop")
        assert fetched == ["/a", "/b"]
        assert "redirect off the site to /elsewhere" in report.errors[0][2]

    def test_a_loop_is_an_error(self, catalogue: Catalogue) -> None:
        """A page that redirects to itself forever is an error after ten hops."""
        loop = WSGIResponse(302, [("Location", "/")], b"")
        report = audit(lambda path, cookie: loop, catalogue, ["/"])
        assert report.errors == [("no consent", "/", "more than 10 redirects")]


class TestHonoured:
    def test_protected_site_honours_every_choice(self, catalogue: Catalogue, signer: Any) -> None:
        """With the site's key and catalogue, GA is live after "Tout accepter": ok."""
        report = audit(_fetch(_protected(catalogue)), catalogue, ["/", "/plain"], signer=signer)
        assert report.ok, report.render()
        assert report.render().endswith("ok: nothing tracks before consent")

    def test_wrong_key(self, catalogue: Catalogue, signer: Any) -> None:
        """A site verifying another key keeps GA neutralised after "Tout accepter"."""
        fetch = _fetch(_protected(catalogue, OTHER_SECRET))
        report = audit(fetch, catalogue, ["/"], signer=signer)
        assert not report.leaks
        assert {("accept_all", "/")} == {u[:2] for u in report.unhonoured}
        assert any("'google-analytics' is still neutralised" in u[2] for u in report.unhonoured)
        assert report.exit_code == 1
        assert report.render().endswith(NOT_HONOURED)

    def test_wrong_key_on_a_page_without_tags(self, catalogue: Catalogue, signer: Any) -> None:
        """Without a tag to look at, the tracker cookie the audit sends along with "Tout
        accepter" shows it: the site deletes it."""
        fetch = _fetch(_protected(catalogue, OTHER_SECRET))
        report = audit(fetch, catalogue, ["/plain"], signer=signer)
        assert (report.unhonoured) == [
            ("accept_all", "/plain", "Set-Cookie deletes '_ga', which is allowed")
        ]

    def test_another_catalogue(self, catalogue: Catalogue, signer: Any) -> None:
        """A catalogue that isn't the site's (another revision) makes a consent the site
        reads as stale: not honoured."""
        other = Catalogue.model_validate({**catalogue.model_dump(), "revision": "2000-01-01"})
        report = audit(_fetch(_protected(catalogue)), other, ["/", "/plain"], signer=signer)
        assert report.unhonoured
        assert report.exit_code == 1

    def test_tag_of_a_vendor_the_catalogue_lacks(self, catalogue: Catalogue, signer: Any) -> None:
        """A tag neutralised for a vendor the audit's catalogue doesn't know (the site's
        catalogue names it) is never brought to life: not honoured."""
        page = b'<script type="text/plain" data-consentkit-vendor="matomo" data-consentkit-src="https://m.example/m.js"></script>'

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            return WSGIResponse(200, [("Content-Type", "text/html")], page)

        report = audit(fetch, catalogue, ["/"], signer=signer)
        assert {"refuse_all", "accept_all"} == {u[0] for u in report.unhonoured}
        assert (
            "neutralised for vendor 'matomo', which the catalogue doesn't know"
            in (report.unhonoured[0][2])
        )

    def test_site_without_trackers_passes(self, catalogue: Catalogue, signer: Any) -> None:
        """A site without consentkit and without any tracker passes under every choice."""
        plain = audit(_fetch(apps.wsgi_app), catalogue, ["/plain"], signer=signer)
        assert plain.ok, plain.render()
        assert len(plain.visited) == 3

    def test_probe_sent_only_when_allowed(self, catalogue: Catalogue, signer: Any) -> None:
        """The tracker cookie goes out only with "Tout accepter": no choice that denies it
        sends it, so no leak nor deletion is caused by the audit itself."""
        cookies: list[str | None] = []

        def fetch(path: str, cookie: str | None) -> WSGIResponse:
            cookies.append(cookie)
            return WSGIResponse(200, [], b"")

        audit(fetch, catalogue, ["/"], signer=signer)
        assert [c is not None and "_ga=consentkit-audit" in c for c in cookies] == [
            False,
            False,
            True,
        ]


def test_report_render_groups_errors() -> None:
    """An error met under every choice is said once, naming the choices."""
    report = AuditReport(
        errors=[("no consent", "/x", "404 Not Found"), ("accept_all", "/x", "404 Not Found")],
        visited=[("no consent", "/x"), ("accept_all", "/x")],
    )
    assert "ERROR  /x: 404 Not Found (under no consent, accept_all)" in report.render()


def test_fresh_django_project(tmp_path: Path) -> None:
    """`django-admin startproject` as it comes (DEBUG, no ALLOWED_HOSTS) passes the audit
    in process; a --path it doesn't serve exits 2."""
    python = [sys.executable, "-m"]
    subprocess.run([*python, "django", "startproject", "mysite", str(tmp_path)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    argv = [*python, "consentkit", "audit", "mysite.wsgi:application", "-c", CAT, "-k", SECRET]

    def audit_site(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv, *extra], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )

    passed, missing = audit_site(), audit_site("--path", "/nowhere")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.rstrip().endswith("ok: nothing tracks before consent")
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert "ERROR  /nowhere: 404 Not Found" in missing.stdout


def _catalogue() -> Any:
    from consentkit import Catalogue

    return Catalogue.from_file(Path(CAT))
