"""The README's quick start and the docs' snippets run as written."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consentkit import ConsentConfig
from consentkit.ledger import Ledger
from tests.helpers import EXAMPLE_CATALOGUE, ROOT


def test_readme_quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Flask quick start neutralises GA before consent and injects the banner."""
    readme = (ROOT / "README.md").read_text("utf-8")
    code = re.search(r"## Quick start\n.*?```python\n(.*?)```", readme, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {"__name__": "quickstart"}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102
    client = namespace["app"].test_client()
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-consentkit-src="https://www.googletagmanager.com/gtag/js?id=G-X"' in body
    assert ' src="https://www.googletagmanager.com' not in body
    assert 'id="consentkit-config"' in body


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
