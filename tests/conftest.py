from __future__ import annotations

import copy
import hashlib
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from consentkit import Catalogue
from tests.helpers import EXAMPLE_CATALOGUE
from tests.postgres import REQUIRE_POSTGRES, Cluster, cluster, server_bin

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


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the session (the ledger's shared backend).

    Skipped when the machine has no PostgreSQL, unless CONSENTKIT_REQUIRE_POSTGRES=1.
    """
    if server_bin() is None:
        reason = "PostgreSQL server binaries are not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(f"CONSENTKIT_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    with cluster() as running:
        yield running


@pytest.fixture
def postgres_url(postgres_cluster: Cluster, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's server, as a ledger URL."""
    name = "t_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    return postgres_cluster.create_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty ledger's URL, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"  # tmp_path is absolute: sqlite:////tmp/...
    url: str = request.getfixturevalue("postgres_url")
    return url
