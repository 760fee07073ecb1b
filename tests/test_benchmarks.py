"""`make bench` is not run by CI: each benchmark module must at least import, so that a
rename inside consentkit cannot leave it broken unnoticed."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("path", sorted(BENCHMARKS.glob("bench_*.py")), ids=lambda p: p.stem)
def test_benchmark_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each module imports, and has the main() that benchmarks/run.py calls."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = importlib.import_module(path.stem)
    try:
        assert callable(module.main)
    finally:
        sys.modules.pop(path.stem, None)
