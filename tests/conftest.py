from __future__ import annotations

import copy
import tomllib
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from consentkit import Catalogue
from tests.helpers import EXAMPLE_CATALOGUE

# HealthCheck.too_slow causes more trouble than good on shared, noisy CI machines;
# a generous deadline still catches accidental quadratic behaviour.
settings.register_profile(
    "consentkit",
    settings(suppress_health_check=[HealthCheck.too_slow], deadline=timedelta(milliseconds=800)),
)
settings.register_profile(
    "ci", settings(parent=settings.get_profile("consentkit"), max_examples=300)
)
settings.load_profile("consentkit")


@pytest.fixture(scope="session")
def example_data() -> dict[str, Any]:
    """The reference site's catalogue as parsed TOML (copy it before changing it)."""
    return tomllib.loads(EXAMPLE_CATALOGUE.read_text("utf-8"))


@pytest.fixture
def data(example_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh, mutable copy of the reference catalogue's data."""
    return copy.deepcopy(example_data)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The reference site's catalogue."""
    return Catalogue.from_file(EXAMPLE_CATALOGUE)
