"""Constants shared by the test modules."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOGUE = ROOT / "examples" / "plus-que-pro" / "catalogue.toml"
#: Long enough for TokenSigner's minimum; never used outside tests.
SECRET = "test-secret-key-0123456789abcdef"
OTHER_SECRET = "another-secret-key-fedcba9876543210"
