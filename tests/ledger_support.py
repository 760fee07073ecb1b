"""Shared pieces of the ledger's tests: a catalogue's decisions as ledger entries."""

from __future__ import annotations

from pathlib import Path

from consentkit import Catalogue, Consent
from consentkit.ledger import Entry, Ledger, Notice

KEY = "ledger-test-key-0123456789abcdef"
NOTICE = Notice.of({"catalogue": {"texts": {"notice": "Nous utilisons des cookies."}}})
OTHER_NOTICE = Notice.of({"catalogue": {"texts": {"notice": "We use cookies."}}})


def sqlite_url(tmp_path: Path, name: str = "ledger.db") -> str:
    return f"sqlite:///{tmp_path / name}"  # tmp_path is absolute: sqlite:////tmp/...


def decision(
    ledger: Ledger,
    catalogue: Catalogue,
    action: str = "accept_all",
    *,
    notice: Notice = NOTICE,
    personal: dict[str, str | None] | None = None,
    replaces: str | None = None,
) -> tuple[Consent, Entry]:
    consent = Consent.from_choice(catalogue, action, purposes=["audience"])
    entry = ledger.entry(
        catalogue,
        consent,
        language="fr",
        source="banner_first_layer",
        notice=notice,
        personal=personal,
        replaces=replaces,
    )
    return consent, entry
