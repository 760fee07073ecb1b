from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import consentkit
from consentkit import Catalogue, Consent, TokenSigner
from consentkit.cli import main
from consentkit.config import DEFAULT_COOKIE_NAME
from tests.helpers import EXAMPLE_CATALOGUE, OTHER_SECRET, SECRET

CAT = str(EXAMPLE_CATALOGUE)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


class TestCheck:
    def test_valid(self) -> None:
        """A valid catalogue is summarised and exits 0."""
        code, out = run("check", CAT)
        assert code == 0
        assert "revision 2026-11-01: 4 purposes (1 optional), 3 vendors, 11 cookie rules" in out

    def test_lists_every_problem(self, tmp_path: Path, data: dict[str, Any]) -> None:
        """Every problem is printed, and the exit code is 1."""
        data["vendors"][0]["purposes"] = ["ads"]
        data["cookies"][1]["vendor"] = "matomo"
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(data), "utf-8")
        code, out = run("check", str(path))
        assert code == 1
        assert "2 problems in" in out
        assert "vendors[0] (google-analytics).purposes: unknown purpose 'ads'" in out
        assert "cookies[1] (_gid).vendor: unknown vendor 'matomo'" in out

    def test_field_errors_and_references_in_one_run(
        self, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        """A wrong field and an unknown reference in the same item both show, in plain words."""
        data["vendors"][0]["purposes"] = []
        data["cookies"][1]["vendor"] = "matomo"
        data["cookies"][1]["duration"] = "forever"
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(data), "utf-8")
        code, out = run("check", str(path))
        assert code == 1
        assert "3 problems in" in out
        assert "vendors[0] (google-analytics).purposes: at least one purpose is needed" in out
        assert "cookies[1] (_gid).duration: can't read a duration from 'forever'" in out
        assert "cookies[1] (_gid).vendor: unknown vendor 'matomo'" in out
        assert "Tuple" not in out


class TestCookies:
    def test_french_markdown_table(self) -> None:
        """The French table reads as the policy's "Liste des cookies"."""
        code, out = run("cookies", CAT, "--lang", "fr")
        lines = out.splitlines()
        assert code == 0
        assert lines[0] == "| Description | Cookie | Durée | Service |"
        assert (
            "| Génère un identifiant unique pour chaque visiteur du Site. | _gid | 24 heures "
            "| Google Analytics |" in lines
        )
        assert "| Identifie les bots sur le site | rc::a | (-) | Google reCaptcha |" in lines

    def test_english_html_is_escaped(self) -> None:
        """The HTML table escapes texts and uses the English headings."""
        code, out = run("cookies", CAT, "--lang", "en", "--format", "html")
        assert code == 0
        assert '<th scope="col">Duration</th>' in out
        assert "<td>_ga_&lt;container-id&gt;</td>" in out
        assert "<td>Follows the visitor&#x27;s browsing" in out

    def test_first_party_cookie_under_its_purpose(
        self, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        """The site's own cookie is a row like the others, its purpose in the Service column."""
        data["cookies"].append(
            {
                "name": "sessionid",
                "purposes": ["security"],
                "duration": "session",
                "description": {"fr": "Garde la session", "en": "Keeps the session"},
            }
        )
        path = tmp_path / "own.json"
        path.write_text(json.dumps(data), "utf-8")
        code, out = run("cookies", str(path), "--lang", "fr")
        assert code == 0
        assert "| Garde la session | sessionid | session | Garantir la sécurité du Site |" in out

    def test_unknown_language(self) -> None:
        """Asking for a language the catalogue lacks is an error naming those it has."""
        code, out = run("cookies", CAT, "--lang", "de")
        assert code == 1
        assert "it has fr, en" in out


class TestKeygen:
    def test_hmac_key_is_usable(self) -> None:
        """keygen prints a fresh key TokenSigner accepts."""
        first, second = run("keygen")[1].strip(), run("keygen")[1].strip()
        assert first != second
        TokenSigner([first])

    def test_ed25519_pair(self, catalogue: Catalogue) -> None:
        """keygen --ed25519 prints a key pair that signs and verifies."""
        lines = run("keygen", "--ed25519")[1].splitlines()
        private, public = (line.split()[-1] for line in lines)
        token = TokenSigner(private_key=private).dumps(Consent.accept_all(catalogue))
        assert TokenSigner(public_keys=[public]).loads(token, catalogue)


class TestToken:
    def test_sign_then_inspect(self) -> None:
        """A signed custom choice inspects as valid, showing each purpose and vendor."""
        keys = ("-c", CAT, "-k", SECRET)
        code, token = run("token", "sign", *keys, "--action", "custom", "--purpose", "audience")
        assert code == 0
        code, out = run("token", "inspect", token.strip(), *keys)
        assert code == 0
        assert "valid consent" in out
        assert "yes     audience (Mesure d'audience)" in out
        assert "always  google-recaptcha (Google reCaptcha)" in out

    def test_inspect_says_why_not(self) -> None:
        """A token signed with another key is reported as such, exit 1."""
        token = run("token", "sign", "-c", CAT, "-k", OTHER_SECRET)[1].strip()
        code, out = run("token", "inspect", token, "-c", CAT, "-k", SECRET)
        assert code == 1
        assert "InvalidToken: bad signature: no known key signed this token" in out

    def test_key_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The key may come from CONSENTKIT_SECRET_KEY instead of the command line."""
        monkeypatch.setenv("CONSENTKIT_SECRET_KEY", SECRET)
        token = run("token", "sign", "-c", CAT)[1].strip()
        assert run("token", "inspect", token, "-c", CAT)[0] == 0

    def test_no_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without any key, the command says what to give."""
        monkeypatch.delenv("CONSENTKIT_SECRET_KEY", raising=False)
        code, out = run("token", "sign", "-c", CAT)
        assert code == 1
        assert "give --key" in out

    def test_purpose_makes_a_custom_choice(self) -> None:
        """--purpose without --action signs a custom choice of that purpose, not accept_all."""
        keys = ("-c", CAT, "-k", SECRET)
        token = run("token", "sign", *keys, "--purpose", "security")[1].strip()
        consent = TokenSigner([SECRET]).loads(token, Catalogue.from_file(CAT))
        assert consent.action.value == "custom"
        assert not consent.allows_purpose("audience")

    @pytest.mark.parametrize("action", ["accept_all", "refuse_all"])
    @pytest.mark.parametrize("option", ["--purpose", "--vendor"])
    def test_conflicting_flags_refused(self, action: str, option: str) -> None:
        """A purpose or vendor with accept_all or refuse_all is a usage error, nothing signed."""
        code, out = run(
            "token", "sign", "-c", CAT, "-k", SECRET, "--action", action, option, "audience"
        )
        assert code == 2
        assert out == (
            "error: --purpose and --vendor make a custom choice; drop them, or drop "
            f"--action {action}\n"
        )

    def test_unknown_purpose(self) -> None:
        """A custom choice naming an unknown purpose is refused by name."""
        code, out = run(
            "token", "sign", "-c", CAT, "-k", SECRET, "--action", "custom", "--purpose", "ads"
        )
        assert code == 1
        assert "unknown purposes: 'ads'" in out


def test_python_dash_m() -> None:
    """`python -m consentkit` runs the same command line."""
    result = subprocess.run(
        [sys.executable, "-m", "consentkit", "check", CAT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("ok: ")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package's version and exits 0."""
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"consentkit {consentkit.__version__}\n"


def test_usage_error_exits_2() -> None:
    """A usage error is argparse's exit code 2."""
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


class TestTcf:
    VECTOR = "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA"

    def test_decode_table(self) -> None:
        """A TC string reads as a table, with its policy report."""
        code, out = run("tcf", "decode", self.VECTOR)
        assert code == 0
        assert "CMP                id 880, version 0, screen 0" in out
        assert "disclosed vendors  1-5, 100, 404 (7 ids)" in out
        assert "TcfPolicyVersion: 2 is below 4" in out

    def test_json_round_trip(self, tmp_path: Path) -> None:
        """decode --json, then encode, gives the same string back."""
        _, model = run("tcf", "decode", self.VECTOR, "--json")
        path = tmp_path / "model.json"
        path.write_text(model, "utf-8")
        assert run("tcf", "encode", str(path)) == (0, self.VECTOR + "\n")

    def test_bad_string(self) -> None:
        """A malformed string is an error naming where it breaks, exit 1."""
        code, out = run("tcf", "decode", "CQSbk4AQ=")
        assert code == 1
        assert out.startswith("error: ")

    def test_purpose_names(self) -> None:
        """Purposes are shown by their IAB names."""
        from consentkit import Catalogue, Consent
        from consentkit.tcf import GlobalVendorList, TCFConfig, tc_string
        from tests.helpers import ROOT

        data = Catalogue.from_file(EXAMPLE_CATALOGUE).model_dump()
        data["purposes"][3]["tcf_purposes"] = [1, 8]
        catalogue = Catalogue.model_validate(data)
        gvl = GlobalVendorList.from_file(ROOT / "tests" / "data" / "gvl-v3-trimmed.json")
        string = tc_string(
            Consent.accept_all(catalogue), TCFConfig(cmp_id=300, cmp_version=1, gvl=gvl)
        )
        out = run("tcf", "decode", string)[1]
        assert "1 Store and/or access information on a device; 8 Measure content performance" in out


class TestInit:
    @pytest.fixture(autouse=True)
    def _in_tmp(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_writes_a_catalogue_that_checks(self, tmp_path: Path, lang: str) -> None:
        """init writes catalogue.toml, which loads and passes check, in both languages."""
        code, out = run("init", "--lang", lang)
        assert (code, out) == (
            0,
            "wrote catalogue.toml; edit it, then check it with: consentkit check catalogue.toml\n",
        )
        catalogue = Catalogue.from_file(tmp_path / "catalogue.toml")
        assert catalogue.default_language == lang
        assert catalogue.all_languages == (lang, "fr" if lang == "en" else "en")
        code, out = run("check", "catalogue.toml")
        assert code == 0
        assert "2 purposes (1 optional), 1 vendors, 3 cookie rules, in" in out

    def test_what_it_declares(self, tmp_path: Path) -> None:
        """The consent cookie under the essential purpose, with no vendor; audience
        measurement with Google Analytics and its cookies, durations as the reference
        policy's."""
        run("init", "--lang", "fr")
        catalogue = Catalogue.from_file(tmp_path / "catalogue.toml")
        assert catalogue.essential_purposes == {"consent-storage"}
        assert catalogue.optional_purposes == ("audience",)
        assert catalogue.optional_vendors == ("google-analytics",)
        own = catalogue.rule_for(DEFAULT_COOKIE_NAME)
        assert own is not None
        assert own.vendor is None
        assert catalogue.purposes_of(own) == {"consent-storage"}
        for name in ("_ga", "_ga_ABC123"):
            rule = catalogue.rule_for(name)
            assert rule is not None
            assert rule.vendor == "google-analytics"
            assert catalogue.duration_text(rule, "fr") == "13 mois (24 mois par défaut)"
        audience = catalogue.purpose("audience")
        assert audience is not None
        assert audience.name == {"fr": "Mesure d'audience", "en": "Audience measurement"}

    def test_chosen_language_first_and_commented(self, tmp_path: Path) -> None:
        """The chosen language's texts come first, and comments explain the file."""
        run("init", "--lang", "fr")
        text = (tmp_path / "catalogue.toml").read_text("utf-8")
        assert text.index('name.fr = "Mesure d\'audience"') < text.index(
            'name.en = "Audience measurement"'
        )
        assert text.startswith("# ")
        assert "consentkit check catalogue.toml" in text
        assert sum(line.startswith("#") for line in text.splitlines()) > 40

    def test_refuses_to_overwrite(self, tmp_path: Path) -> None:
        """An existing file is kept, unless --force replaces it."""
        path = tmp_path / "catalogue.toml"
        path.write_text("# mine\n", "utf-8")
        code, out = run("init")
        assert (code, out) == (1, "error: catalogue.toml exists; --force replaces it\n")
        assert path.read_text("utf-8") == "# mine\n"
        assert run("init", "--force")[0] == 0
        Catalogue.from_file(path)

    def test_path_and_folder(self, tmp_path: Path) -> None:
        """PATH names the file, or a folder to write catalogue.toml in."""
        (tmp_path / "conf").mkdir()
        assert run("init", "conf")[0] == 0
        assert run("init", "site.toml")[0] == 0
        Catalogue.from_file(tmp_path / "conf" / "catalogue.toml")
        Catalogue.from_file(tmp_path / "site.toml")

    def test_only_toml(self) -> None:
        """A path that is no .toml file is a usage error: the starter is TOML."""
        code, out = run("init", "catalogue.json")
        assert (code, out) == (
            2,
            "error: catalogue.json is no .toml file; the starter catalogue is TOML\n",
        )

    def test_the_middleware_runs_with_it(self, tmp_path: Path) -> None:
        """Behind the middleware, Google Analytics is held back until accepted, the consent
        cookie is kept, and a refusal expires _ga."""
        from consentkit import ConsentConfig, WSGIConsentMiddleware
        from tests import apps

        run("init")
        catalogue = Catalogue.from_file(tmp_path / "catalogue.toml")
        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], cookie_secure=False)
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        with httpx.Client(
            transport=httpx.WSGITransport(app=app), base_url="http://site.example"
        ) as http:
            before = http.get("/").text
            assert 'data-consentkit-src="https://www.googletagmanager.com/gtag/js' in before
            assert 'id="consentkit-config"' in before
            accepted = http.post("/_consentkit/consent", json={"action": "accept_all"})
            assert accepted.status_code == 200
            assert accepted.headers["set-cookie"].startswith(f"{DEFAULT_COOKIE_NAME}=")
            after = http.get("/").text
            assert ' src="https://www.googletagmanager.com/gtag/js' in after
            http.cookies.set("_ga", "GA1.1.1")
            refused = http.post("/_consentkit/consent", json={"action": "refuse_all"})
            deleted = refused.headers.get_list("set-cookie")
            assert any(c.startswith("_ga=") and "Max-Age=0" in c for c in deleted)
            assert not any(
                c.startswith(f"{DEFAULT_COOKIE_NAME}=") and "Max-Age=0" in c for c in deleted
            )
