"""The README's quick start and the docs' snippets run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consentkit import ConsentConfig
from consentkit.ledger import Ledger
from tests.helpers import EXAMPLE_CATALOGUE, ROOT


def test_readme_quick_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Flask quick start, run in an empty folder as the README says: its shell lines
    write the catalogue and the key, then the app neutralises GA and injects the banner."""
    readme = (ROOT / "README.md").read_text("utf-8")
    quick_start = readme.split("## Quick start\n", 1)[1]
    shell = re.search(r"```sh\n(.*?)```", quick_start, re.S)
    code = re.search(r"```python\n(.*?)```", quick_start, re.S)
    assert shell is not None
    assert code is not None
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    script = shell.group(1) + 'printf %s "$CONSENTKIT_SECRET_KEY"\n'
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, "-euc", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "catalogue.toml").is_file()
    monkeypatch.setenv("CONSENTKIT_SECRET_KEY", done.stdout)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "quickstart"}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102
    client = namespace["app"].test_client()
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-X"' in body
    assert ' src="https://www.googletagmanager.com' not in body
    assert 'id="consentkit-config"' in body


def test_readme_lists_every_command() -> None:
    """The README's command list names each command `consentkit --help` lists."""
    done = subprocess.run(
        [sys.executable, "-m", "consentkit", "--help"], capture_output=True, text=True, check=True
    )
    listed = done.stdout.split("  COMMAND\n", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"^    (\w+) ", listed, re.M)
    assert {"init", "ledger"} <= set(commands)
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in commands:
        assert f"\nconsentkit {name} " in readme, name


def _snippets() -> list[Any]:
    """Every Python snippet of docs/, but testing.md's (run by its own test)."""
    found = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        if doc.name == "testing.md":
            continue
        text = doc.read_text("utf-8")
        for number, code in enumerate(re.findall(r"```python\n(.*?)```", text, re.S), 1):
            found.append(pytest.param(doc.name, code, id=f"{doc.stem}-{number}"))
    return found


@pytest.mark.parametrize(("doc", "code"), _snippets())
def test_docs_snippet_runs_as_pasted(
    doc: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each snippet runs as pasted, in a project that has what the docs say it has: a
    catalogue.toml (`consentkit init`), the IAB's vendor-list.json, a template, keys in
    the environment; a settings.py fragment runs with Django's BASE_DIR."""
    shutil.copy(EXAMPLE_CATALOGUE, tmp_path / "catalogue.toml")
    shutil.copy(ROOT / "tests" / "data" / "gvl-v3-trimmed.json", tmp_path / "vendor-list.json")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "home.html").write_text("<!doctype html><title>Accueil</title>")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONSENTKIT_SECRET_KEY", "a-long-random-secret-for-the-docs-tests")
    monkeypatch.setenv("CONSENTKIT_OLD_SECRET_KEY", "the-key-before-the-last-rotation")
    monkeypatch.setenv("CONSENTKIT_LEDGER_KEY", "a-long-random-ledger-key-for-the-docs")
    namespace: dict[str, Any] = {"__name__": "snippet", "BASE_DIR": tmp_path}
    try:
        exec(compile(code, doc, "exec"), namespace)  # noqa: S102
        app = namespace.get("app")
        if isinstance(app, Flask):
            assert app.test_client().get("/").status_code == 200
    finally:
        config = namespace.get("config")
        if isinstance(config, ConsentConfig) and isinstance(config.ledger, Ledger):
            config.ledger.close()


def test_fastapi_extra_has_what_the_docs_use() -> None:
    """`pip install "consentkit[fastapi]"` brings the server and the client the docs run."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extra = {re.split(r"[<>=\[]", d)[0] for d in project["optional-dependencies"]["fastapi"]}

    assert {"fastapi", "uvicorn", "httpx"} <= extra


#: The app docs/testing.md calls `myproject`: a Flask site with Google Analytics on `/`,
#: like the README's quick start, whose `/` also sets `_ga`.
TESTING_MD_PROJECT = """
import os
from pathlib import Path

from flask import Flask, make_response
from consentkit.integrations.flask import ConsentKit

app = Flask(__name__)
app.config["CONSENTKIT_CATALOGUE"] = str(Path(__file__).with_name("catalogue.toml"))
app.config["CONSENTKIT_SECRET_KEYS"] = [os.environ["CONSENTKIT_SECRET_KEY"]]
ConsentKit(app)


@app.get("/")
def home():
    response = make_response(
        '<html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-X">'
        "</script></head><body>Accueil</body></html>"
    )
    response.set_cookie("_ga", "GA1.1.1.1", max_age=63072000)
    return response
"""


def test_testing_md_snippets_pass_as_a_test_suite(tmp_path: Path) -> None:
    """docs/testing.md's snippets, each saved under the file name its first line gives,
    pass as a site's own test suite, with consentkit's pytest plugin and an app that
    serves Google Analytics as the page says."""
    text = (ROOT / "docs" / "testing.md").read_text("utf-8")
    files: dict[str, str] = {}
    for code in re.findall(r"```python\n(.*?)```", text, re.S):
        first = re.match(r"# (\w+\.py)\n", code)
        assert first is not None, f"a testing.md snippet doesn't start with its file name:\n{code}"
        assert first.group(1) not in files, f"two testing.md snippets are {first.group(1)}"
        files[first.group(1)] = code
    assert "conftest.py" in files
    shutil.copy(EXAMPLE_CATALOGUE, tmp_path / "catalogue.toml")
    (tmp_path / "myproject.py").write_text(TESTING_MD_PROJECT, "utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", "utf-8")
    for name, code in files.items():
        (tmp_path / name).write_text(code, "utf-8")
    registered = any(
        ep.value == "consentkit.pytest_plugin" for ep in entry_points(group="pytest11")
    )
    plugin = [] if registered else ["-p", "consentkit.pytest_plugin"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin],
        cwd=tmp_path,
        env={**os.environ, "CONSENTKIT_SECRET_KEY": "a-long-random-secret-for-the-docs-tests"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    tests = sum(code.count("\ndef test_") for code in files.values())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout
