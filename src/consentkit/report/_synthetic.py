"""Synthetic decisions, to see a report before real visitors have decided anything.

SYNTHETIC DATA: nothing here was decided by a person. The shapes are plausible for a
French site with a CNIL-compliant banner (refusing as easy as accepting): most
visitors answer on the first layer, about six in ten accept, English-speaking visitors
accept a little more, the customise layer mostly gives custom choices, a few visitors
withdraw. Each notice written says ``"synthetic": true``, so a proof read from such a
ledger says so too. Never seed a production ledger.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from consentkit.catalogue import Catalogue
from consentkit.consent import Consent
from consentkit.ledger import Entry, Ledger, Notice

__all__ = ["notice_for", "seed_synthetic", "write_at"]

#: Share of decisions per banner language.
LANGUAGES = {"fr": 0.78, "en": 0.22}
#: Share of decisions per place of decision.
SOURCES = {"banner_first_layer": 0.82, "banner_customise": 0.12, "form": 0.03, "api": 0.03}
#: Acceptance and custom shares per place; the rest refuse. The first layer has no
#: custom choice; the customise layer is where custom choices come from.
_ACCEPT = {"banner_first_layer": 0.60, "banner_customise": 0.15, "form": 0.25, "api": 0.5}
_CUSTOM = {"banner_first_layer": 0.0, "banner_customise": 0.70, "form": 0.50, "api": 0.0}
_WITHDRAW = 0.015
#: Weekends see fewer visitors.
_WEEKEND = 0.7


def notice_for(catalogue: Catalogue, lang: str, *, wording: int = 1) -> Notice:
    """A synthetic notice: the purposes and vendors as the banner names them in
    ``lang``, marked synthetic; ``wording`` stands for a version of the banner's text."""
    shown = {
        "synthetic": True,
        "assets": {"banner": f"synthetic-wording-{wording}"},
        "catalogue": {
            "revision": catalogue.revision,
            "language": lang,
            "purposes": [
                {"id": p.id, "name": catalogue.localize(p.name, lang), "essential": p.essential}
                for p in catalogue.purposes
            ],
            "vendors": [
                {"id": v.id, "name": v.name, "essential": v.id in catalogue.essential_vendors}
                for v in catalogue.vendors
            ],
        },
    }
    return Notice.of(shown)


def write_at(ledger: Ledger, entries: Sequence[Entry], at: datetime) -> None:
    """Append entries as if written at ``at``.

    A live site never back-dates a record (its time is the server's time of writing);
    synthetic history has to, through the ledger's import-only ``at``.
    """
    ledger.append_many(entries, at=at)


def seed_synthetic(
    ledger: Ledger,
    catalogue: Catalogue,
    count: int,
    *,
    days: int = 90,
    end: date | None = None,
    seed: int = 14,
) -> int:
    """Append about ``count`` synthetic decisions spread over ``days`` days up to ``end``.

    Two thirds of the way through, the catalogue gets a new revision (the one given;
    before it, a date three months earlier) and, later, the banner a new wording (a new
    notice digest without a new revision), so the report has markers to show.
    Records go in time order; on a ledger that already holds later records the
    report still counts them by their ``at``, but ``prune`` expects time order:
    seed a ledger of its own. Returns how many records were written.

    :raises LedgerError: when the ledger has no key (records need subjects).
    """
    rng = random.Random(seed)  # noqa: S311  # synthetic shapes, not secrets
    end = end or datetime.now(UTC).date()
    start = end - timedelta(days=days - 1)
    older = catalogue.model_copy(update={"revision": _earlier(catalogue.revision)})
    switch = start + timedelta(days=days * 2 // 3)
    rewording = start + timedelta(days=days * 5 // 6)
    weights = [
        (_WEEKEND if (start + timedelta(days=d)).weekday() >= 5 else 1.0) * (1 + 0.004 * d)
        for d in range(days)
    ]
    scale = count / sum(weights)
    written = 0
    for offset, weight in enumerate(weights):
        day = start + timedelta(days=offset)
        current = older if day < switch else catalogue
        wording = 2 if day >= rewording else 1
        # A new text nudges acceptance down a little for a while: something to see.
        nudge = -0.06 if switch <= day < switch + timedelta(days=10) else 0.0
        notices = {lang: notice_for(current, lang, wording=wording) for lang in LANGUAGES}
        moments = sorted(
            rng.uniform(7 * 3600, 23.5 * 3600) for _ in range(_poisson(rng, weight * scale))
        )
        for seconds in moments:
            at = datetime.combine(day, time(), UTC) + timedelta(seconds=seconds)
            entry = _decision(rng, ledger, current, notices, at, nudge)
            write_at(ledger, [entry], at)
            written += 1
    return written


def _earlier(revision: str) -> str:
    """A plausible revision before ``revision``: three months earlier when it is a date."""
    try:
        moment = date.fromisoformat(revision)
    except ValueError:
        return f"{revision}-previous"
    return (moment - timedelta(days=92)).replace(day=1).isoformat()


def _pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _poisson(rng: random.Random, mean: float) -> int:
    # Normal approximation: daily volumes here are in the tens or more.
    return max(0, round(rng.gauss(mean, mean**0.5)))


def _decision(
    rng: random.Random,
    ledger: Ledger,
    catalogue: Catalogue,
    notices: dict[str, Notice],
    at: datetime,
    nudge: float,
) -> Entry:
    lang = _pick(rng, LANGUAGES)
    common: dict[str, Any] = {"language": lang, "notice": notices[lang], "now": at}
    if rng.random() < _WITHDRAW:
        source = rng.choice(("form", "banner_customise"))
        return ledger.entry(
            catalogue,
            None,
            withdrawn=str(uuid.UUID(int=rng.getrandbits(128))),
            source=source,
            **common,
        )
    source = _pick(rng, SOURCES)
    accept = _ACCEPT[source] + (0.06 if lang == "en" else 0.0) + nudge
    roll = rng.random()
    if roll < accept:
        consent = Consent.accept_all(catalogue, now=at)
    elif roll < accept + _CUSTOM[source]:
        purposes = [p for p in catalogue.optional_purposes if rng.random() < 0.55]
        vendors = None
        if rng.random() < 0.3:  # some visitors also open "See our partners"
            vendors = [v for v in catalogue.optional_vendors if rng.random() < 0.5]
        consent = Consent.custom(catalogue, purposes=purposes, vendors=vendors, now=at)
    else:
        consent = Consent.refuse_all(catalogue, now=at)
    return ledger.entry(catalogue, consent, source=source, **common)
