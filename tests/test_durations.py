from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit.durations import Duration, add_months, parse_duration


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "amount", "unit"),
        [
            pytest.param("13 mois (24 mois par défaut)", 13, "months", id="ga-fr-with-comment"),
            pytest.param("13 months", 13, "months", id="months-en"),
            pytest.param("24 heures", 24, "hours", id="hours-fr"),
            pytest.param("24 hours", 24, "hours", id="hours-en"),
            pytest.param("1 minute", 1, "minutes", id="minute"),
            pytest.param("2 minute", 2, "minutes", id="policy-singular-plural"),
            pytest.param("6 mois", 6, "months", id="six-mois"),
            pytest.param("2 ans", 2, "years", id="ans"),
            pytest.param("1 year", 1, "years", id="year"),
            pytest.param("30 jours", 30, "days", id="jours"),
            pytest.param(" 7 Days", 7, "days", id="case-and-space"),
            pytest.param("90s", 90, "seconds", id="glued-unit"),
        ],
    )
    def test_reads_amount_and_unit(self, text: str, amount: int, unit: str) -> None:
        """The first amount and unit count, in French or English; the text is kept."""
        duration = parse_duration(text)
        assert (duration.kind, duration.amount, duration.unit, duration.text) == (
            "fixed",
            amount,
            unit,
            text,
        )

    @pytest.mark.parametrize("text", ["session", "Session", "de session"])
    def test_session(self, text: str) -> None:
        """A session cookie lasts until the browser closes."""
        assert parse_duration(text).kind == "session"

    @pytest.mark.parametrize("text", ["(-)", "( - )", "-", "unknown", "inconnue"])
    def test_unknown(self, text: str) -> None:
        """The policy writes "(-)" for a duration it doesn't know."""
        assert parse_duration(text).kind == "unknown"

    @pytest.mark.parametrize("text", ["", "forever", "13 lunes", "0 minutes", "mois 13"])
    def test_unreadable_names_the_text(self, text: str) -> None:
        """An unreadable duration is an error that quotes what was written."""
        with pytest.raises(ValueError, match=repr(text).replace("(", r"\(")):
            parse_duration(text)

    @given(st.text())
    def test_never_raises_anything_but_value_error(self, text: str) -> None:
        """Any text either parses or is refused with ValueError."""
        with contextlib.suppress(ValueError):
            parse_duration(text)


class TestAddMonths:
    @pytest.mark.parametrize(
        ("start", "months", "end"),
        [
            pytest.param(datetime(2026, 8, 31), 6, datetime(2027, 2, 28), id="clamp-feb"),
            pytest.param(datetime(2027, 8, 31), 6, datetime(2028, 2, 29), id="clamp-leap-feb"),
            pytest.param(datetime(2026, 11, 30), 3, datetime(2027, 2, 28), id="clamp-3-months"),
            pytest.param(datetime(2026, 1, 31), 3, datetime(2026, 4, 30), id="clamp-april"),
            pytest.param(datetime(2026, 11, 26), 6, datetime(2027, 5, 26), id="plain"),
            pytest.param(datetime(2026, 12, 15), 1, datetime(2027, 1, 15), id="year-wrap"),
        ],
    )
    def test_calendar_months(self, start: datetime, months: int, end: datetime) -> None:
        """Months are calendar months, clamped to the last day of the target month."""
        assert add_months(start, months) == end

    def test_keeps_time_and_zone(self) -> None:
        """Only the date moves."""
        start = datetime(2026, 8, 31, 13, 45, 7, tzinfo=UTC)
        assert add_months(start, 6) == datetime(2027, 2, 28, 13, 45, 7, tzinfo=UTC)

    @given(st.datetimes(max_value=datetime(9000, 1, 1)), st.integers(0, 120))
    def test_never_earlier_and_same_month_count(self, start: datetime, months: int) -> None:
        """The result is months later in the calendar, on the same day or the month's last."""
        end = add_months(start, months)
        assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
        assert end.day == start.day or end.day < start.day


class TestDuration:
    def test_after_months_is_calendar(self) -> None:
        """A fixed duration in months ends on the calendar date."""
        start = datetime(2026, 8, 31, tzinfo=UTC)
        assert parse_duration("6 months").after(start) == datetime(2027, 2, 28, tzinfo=UTC)

    def test_after_hours(self) -> None:
        """A duration in hours is exact."""
        start = datetime(2026, 8, 31, 12, tzinfo=UTC)
        assert parse_duration("24 heures").after(start) == datetime(2026, 9, 1, 12, tzinfo=UTC)

    def test_session_has_no_end(self) -> None:
        """A session duration has no end date to compute."""
        with pytest.raises(ValueError, match="session"):
            Duration("session").after(datetime(2026, 1, 1, tzinfo=UTC))

    @pytest.mark.parametrize(
        ("text", "fr", "en"),
        [
            ("13 mois", "13 mois", "13 months"),
            ("1 minute", "1 minute", "1 minute"),
            ("2 minute", "2 minutes", "2 minutes"),
            ("24 hours", "24 heures", "24 hours"),
            ("session", "session", "session"),
            ("(-)", "(-)", "(-)"),
        ],
    )
    def test_describe(self, text: str, fr: str, en: str) -> None:
        """A duration can be put back in words in either language."""
        duration = parse_duration(text)
        assert (duration.describe("fr"), duration.describe("en")) == (fr, en)
