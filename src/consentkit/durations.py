"""Durations as cookie policies write them, and calendar-month arithmetic.

Policies state lifetimes in words: "13 mois (24 mois par défaut)", "24 heures",
"2 minute", "session", "(-)". We keep the words for display and read the first
amount and unit from them, in French or English, so the catalogue can be
checked and a lifetime compared with another.

Months are calendar months, not 30 days: a consent given on 31 August and kept
for 6 months ends on 28 February (29 in a leap year), as a person reading the
policy would expect.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["Duration", "add_months", "parse_duration"]

Unit = Literal["seconds", "minutes", "hours", "days", "weeks", "months", "years"]
Kind = Literal["fixed", "session", "unknown"]

_UNIT_WORDS: dict[Unit, tuple[str, ...]] = {
    "seconds": ("s", "sec", "second", "seconds", "seconde", "secondes"),
    "minutes": ("min", "minute", "minutes"),
    "hours": ("h", "hour", "hours", "heure", "heures"),
    "days": ("d", "day", "days", "jour", "jours"),
    "weeks": ("week", "weeks", "semaine", "semaines"),
    "months": ("month", "months", "mois"),
    "years": ("y", "year", "years", "an", "ans", "année", "années", "annee", "annees"),
}
_UNITS: dict[str, Unit] = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}

_SECONDS: dict[Unit, int] = {
    "seconds": 1,
    "minutes": 60,
    "hours": 3600,
    "days": 86400,
    "weeks": 7 * 86400,
}

_AMOUNT_UNIT = re.compile(r"^\s*(\d{1,6})\s*([^\W\d_]+)", re.UNICODE)
_SESSION = re.compile(r"^\s*(?:session|de session|\(session\))\b", re.IGNORECASE)
_UNKNOWN = re.compile(r"^\s*(?:\(\s*-\s*\)|-|—|n/?a|unknown|inconnue?)\s*$", re.IGNORECASE)

_FR = {
    "seconds": ("seconde", "secondes"),
    "minutes": ("minute", "minutes"),
    "hours": ("heure", "heures"),
    "days": ("jour", "jours"),
    "weeks": ("semaine", "semaines"),
    "months": ("mois", "mois"),
    "years": ("an", "ans"),
}


@dataclass(frozen=True, slots=True)
class Duration:
    """How long something lasts: a fixed amount, the browser session, or unknown.

    ``text`` is the wording it was read from, kept so a cookie table shows
    exactly what the policy says.
    """

    kind: Kind
    amount: int = 0
    unit: Unit | None = None
    text: str = ""

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    def after(self, start: datetime) -> datetime:
        """The moment this duration ends when it starts at ``start``.

        Months and years are calendar arithmetic, clamped to the month's end.

        :raises ValueError: for a session or unknown duration, which has no end date.
        """
        if self.kind != "fixed" or self.unit is None:
            raise ValueError(f"a {self.kind} duration has no end date")
        if self.unit == "months":
            return add_months(start, self.amount)
        if self.unit == "years":
            return add_months(start, 12 * self.amount)
        return start + timedelta(seconds=self.amount * _SECONDS[self.unit])

    def describe(self, lang: str) -> str:
        """The duration in words, in French (``fr``) or English (anything else)."""
        if self.kind == "session":
            return "session"
        if self.kind == "unknown" or self.unit is None:
            return "(-)"
        if lang == "fr":
            singular, plural = _FR[self.unit]
            return f"{self.amount} {singular if self.amount <= 1 else plural}"
        word = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {word}"

    def same_length(self, other: Duration) -> bool:
        """Whether two durations mean the same lifetime, whatever their wording."""
        return (self.kind, self.amount, self.unit) == (other.kind, other.amount, other.unit)


def parse_duration(text: str) -> Duration:
    """Read a duration written as a cookie policy writes it.

    The first amount and unit count; anything after is a comment kept in
    ``text``: ``"13 mois (24 mois par défaut)"`` lasts 13 months.

    :raises ValueError: naming the text when no duration can be read from it.
    """
    if not isinstance(text, str):
        raise ValueError(f"a duration is text such as '13 months', not {type(text).__name__}")
    if _SESSION.match(text):
        return Duration("session", text=text)
    if _UNKNOWN.match(text):
        return Duration("unknown", text=text)
    match = _AMOUNT_UNIT.match(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"can't read a duration from {text!r}: write an amount and a unit "
            "('13 months', '24 heures', '1 minute'), 'session', or '(-)' when unknown"
        )
    amount = int(match.group(1))
    if amount == 0:
        raise ValueError(f"a duration of zero makes no sense: {text!r}")
    return Duration("fixed", amount, unit, text)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus a number of calendar months, clamped to the month's end.

    2026-08-31 + 6 months is 2027-02-28; time of day and time zone are kept.
    """
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
