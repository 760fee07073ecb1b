"""What a consent report holds: plain, frozen data a site can show in its own admin.

Counts are exact; rates are fractions in ``[0, 1]``, or ``None`` where nothing was
decided (a rate of nothing is no rate, not zero).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from consentkit.exceptions import ReportError

__all__ = [
    "ACTIONS",
    "GRAINS",
    "Decisions",
    "Grain",
    "Marker",
    "OptIn",
    "Period",
    "Report",
    "parse_date",
    "parse_grain",
]

#: The actions a record can carry, in the order the charts stack them.
ACTIONS = ("accept_all", "custom", "refuse_all", "withdraw")
#: How the time axis is cut.
GRAINS = ("day", "week", "month")
Grain = Literal["day", "week", "month"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str, *, what: str = "date") -> date:
    """``YYYY-MM-DD`` (a UTC day) as a date; nothing else, so no input is half-read.

    :raises ReportError: naming ``what`` and the text, for anything else.
    """
    value = text.strip()
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ReportError(f"{what} {text!r} is not a date: give YYYY-MM-DD, such as 2026-11-01")


def parse_grain(text: str) -> Grain:
    """``day``, ``week`` or ``month`` (any case).

    :raises ReportError: for anything else, listing the three.
    """
    value = text.strip().lower()
    if value == "day":
        return "day"
    if value == "week":
        return "week"
    if value == "month":
        return "month"
    raise ReportError(f"--by {text!r} is not one of {', '.join(GRAINS)}")


@dataclass(frozen=True, slots=True)
class Decisions:
    """How many decisions of each kind, and how many of the choices consented.

    A *choice* is an acceptance, a refusal or a custom choice; a withdrawal is a
    decision but no choice. A choice *consents* when it grants at least one
    optional purpose.
    """

    accept_all: int = 0
    custom: int = 0
    refuse_all: int = 0
    withdraw: int = 0
    consented: int = 0

    @property
    def choices(self) -> int:
        return self.accept_all + self.custom + self.refuse_all

    @property
    def total(self) -> int:
        return self.choices + self.withdraw

    @property
    def consent_rate(self) -> float | None:
        """Choices granting at least one optional purpose, over all choices."""
        return self.consented / self.choices if self.choices else None

    def count(self, action: str) -> int:
        value: int = getattr(self, action)
        return value


@dataclass(frozen=True, slots=True)
class OptIn:
    """How often an optional purpose or vendor was granted, among the choices offering it."""

    granted: int = 0
    refused: int = 0

    @property
    def offered(self) -> int:
        return self.granted + self.refused

    @property
    def rate(self) -> float | None:
        return self.granted / self.offered if self.offered else None


@dataclass(frozen=True, slots=True)
class Period:
    """The figures of a span of UTC days, ``start`` to ``end`` included."""

    start: date
    end: date
    decisions: Decisions = field(default_factory=Decisions)
    #: The decisions by the language the banner was shown in.
    languages: dict[str, Decisions] = field(default_factory=dict)
    #: The decisions by where they were made (``banner_first_layer``, ...).
    sources: dict[str, Decisions] = field(default_factory=dict)
    #: The decisions by the catalogue revision they were made under.
    revisions: dict[str, Decisions] = field(default_factory=dict)
    #: Each optional purpose's opt-in, by id.
    purposes: dict[str, OptIn] = field(default_factory=dict)
    #: Each optional vendor's opt-in, by id.
    vendors: dict[str, OptIn] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Marker:
    """The first day, in the data read, a catalogue revision or a notice was seen."""

    day: date
    kind: Literal["revision", "notice"]
    #: The revision, or the notice's SHA-256 digest.
    value: str
    #: The language of a notice (each language has its own); ``None`` for a revision.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A period's consent figures, cut by ``by``, beside the period of equal length before.

    ``purposes`` and ``vendors`` list the optional ones, in a stable order, with
    their names in each language the notices shown gave (the id when none did).
    """

    origin: str
    generated_at: datetime
    #: The UTC day of the ledger's oldest record (``None`` when empty): a previous
    #: period starting before it is incomplete, and its comparison says so.
    first_record: date | None
    by: Grain
    period: Period
    previous: Period
    buckets: tuple[Period, ...]
    markers: tuple[Marker, ...]
    purposes: dict[str, dict[str, str]]
    vendors: dict[str, dict[str, str]]

    def name(self, kind: Literal["purposes", "vendors"], item: str, lang: str) -> str:
        """A purpose's or vendor's name in ``lang``, else in any language, else its id."""
        names = getattr(self, kind).get(item, {})
        return str(names.get(lang) or next(iter(names.values()), item))


def bucket_start(day: date, by: Grain) -> date:
    """The first day of the week (Monday, as ISO 8601) or month holding ``day``."""
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, by: Grain) -> date:
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
