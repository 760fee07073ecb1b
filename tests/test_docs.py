"""The README's quick start runs as written."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import pytest

from tests.helpers import ROOT


def test_readme_quick_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick start's code works and does what its comments say."""
    readme = (ROOT / "README.md").read_text("utf-8")
    code = re.search(r"## Quick start\n\n```python\n(.*?)```", readme, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["200 OK"]
    assert b'type="text/plain"' in body
    assert b" src=" not in body
    assert os.path.exists("examples/plus-que-pro/catalogue.toml")
