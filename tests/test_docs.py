"""The README's quick start runs as written."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import ROOT


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
