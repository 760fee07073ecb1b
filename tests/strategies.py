"""Hypothesis strategies for consentkit's models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from consentkit import Catalogue, Consent

slugs = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,10}[a-z0-9]\Z")
revisions = st.from_regex(r"\A[\x21-\x7e]{1,64}\Z")
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)


def _texts(draw: st.DrawFn) -> dict[str, str]:
    return {"en": draw(st.text(min_size=1, max_size=20).filter(str.strip))}


@st.composite
def catalogues(draw: st.DrawFn, max_vendors: int = 12) -> Catalogue:
    """Valid catalogues: unique ids, every reference resolvable."""
    purpose_ids = draw(st.lists(slugs, min_size=1, max_size=8, unique=True))
    purposes = [
        {
            "id": pid,
            "name": _texts(draw),
            "description": _texts(draw),
            "essential": draw(st.booleans()),
        }
        for pid in purpose_ids
    ]
    vendor_ids = draw(st.lists(slugs, max_size=max_vendors, unique=True))
    vendors = [
        {
            "id": vid,
            "name": "Vendor " + vid,
            "purposes": draw(st.lists(st.sampled_from(purpose_ids), min_size=1, unique=True)),
            "privacy_policy": f"https://{vid}.example/privacy",
            "country": "FR",
        }
        for vid in vendor_ids
    ]
    cookies: list[dict[str, Any]] = []
    for vendor in vendors:
        for i in range(draw(st.integers(0, 2))):
            cookies.append(
                {
                    "name": f"{vendor['id']}_{i}{draw(st.sampled_from(['', '*']))}",
                    "vendor": vendor["id"],
                    "purposes": draw(st.lists(st.sampled_from(vendor["purposes"]), unique=True)),
                    "duration": draw(st.sampled_from(["13 months", "1 minute", "session", "(-)"])),
                    "description": _texts(draw),
                }
            )
    return Catalogue.model_validate(
        {"revision": draw(revisions), "purposes": purposes, "vendors": vendors, "cookies": cookies}
    )


@st.composite
def consents(draw: st.DrawFn, catalogue: Catalogue | None = None) -> Consent:
    """Any decision a visitor can make on a catalogue, at any moment."""
    if catalogue is None:
        catalogue = draw(catalogues())
    now = draw(moments)
    action = draw(st.sampled_from(["accept_all", "refuse_all", "custom"]))
    purposes = draw(st.lists(st.sampled_from([p.id for p in catalogue.purposes]), unique=True))
    vendor_ids = [v.id for v in catalogue.vendors]
    vendors = (
        draw(st.none() | st.lists(st.sampled_from(vendor_ids), unique=True)) if vendor_ids else None
    )
    return Consent.from_choice(catalogue, action, purposes=purposes, vendors=vendors, now=now)
