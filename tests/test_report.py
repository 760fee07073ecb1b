"""Consent analytics (consentkit.report): exact figures from the database on SQLite and
PostgreSQL, JSON and CSV, the HTML page, edge periods, input parsing, the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit import Catalogue, Consent, ReportError
from consentkit.cli import main
from consentkit.ledger import Entry, Ledger
from consentkit.report import (
    SCHEMA,
    Report,
    aggregate,
    parse_date,
    parse_grain,
    seed_synthetic,
    to_csv,
    to_html,
    to_json,
)
from consentkit.report._aggregate import _bucket_starts
from consentkit.report._synthetic import notice_for, write_at
from tests.ledger_support import KEY, NOTICE, sqlite_url

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
NEW_REVISION = "2026-03-10"


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def _choice(
    ledger: Ledger,
    catalogue: Catalogue,
    at: datetime,
    action: str,
    *,
    language: str = "fr",
    source: str = "banner_first_layer",
    purposes: list[str] | None = None,
    vendors: list[str] | None = None,
    notice: Any = NOTICE,
) -> Entry:
    if action == "withdraw":
        return ledger.entry(
            catalogue,
            None,
            withdrawn="a-consent-id",
            language=language,
            source=source,
            notice=notice,
            now=at,
        )
    consent = Consent.from_choice(
        catalogue, action, purposes=purposes or [], vendors=vendors, now=at
    )
    return ledger.entry(catalogue, consent, language=language, source=source, notice=notice, now=at)


def seed_known(ledger: Ledger, catalogue: Catalogue) -> None:
    """The distribution the expected figures below are counted from, by hand.

    Previous period: 2 refusals (fr, first layer) on 20 Feb.
    Mon 2 March: 3 accept (fr, first layer); 1 refuse (en, first layer); 2 custom
    granting audience (fr, customise; Google Analytics follows the purpose).
    Tue 3 March: 1 custom granting audience but refusing Google Analytics (en,
    customise); 1 custom granting nothing (fr, form); 1 withdrawal (fr, form);
    2 refuse (fr, api).
    Tue 10 March, a new revision with a new (English) notice: 4 accept (en, first layer).
    """
    newer = catalogue.model_copy(update={"revision": NEW_REVISION})
    english = notice_for(newer, "en")
    plan: list[tuple[str, Catalogue, list[dict[str, Any]]]] = [
        ("2026-02-20", catalogue, [{"action": "refuse_all"}] * 2),
        (
            "2026-03-02",
            catalogue,
            [{"action": "accept_all"}] * 3
            + [{"action": "refuse_all", "language": "en"}]
            + [{"action": "custom", "purposes": ["audience"], "source": "banner_customise"}] * 2,
        ),
        (
            "2026-03-03",
            catalogue,
            [
                {
                    "action": "custom",
                    "purposes": ["audience"],
                    "vendors": [],
                    "language": "en",
                    "source": "banner_customise",
                },
                {"action": "custom", "source": "form"},
                {"action": "withdraw", "source": "form"},
                {"action": "refuse_all", "source": "api"},
                {"action": "refuse_all", "source": "api"},
            ],
        ),
        (
            "2026-03-10",
            newer,
            [{"action": "accept_all", "language": "en", "notice": english}] * 4,
        ),
    ]
    for day, version, choices in plan:
        for hour, spec in enumerate(choices):
            at = _at(day, 8 + hour)
            write_at(ledger, [_choice(ledger, version, at, **spec)], at)


def decisions(
    accept: int, custom: int, refuse: int, withdraw: int, consented: int
) -> dict[str, Any]:
    choices = accept + custom + refuse
    return {
        "accept_all": accept,
        "custom": custom,
        "refuse_all": refuse,
        "withdraw": withdraw,
        "total": choices + withdraw,
        "choices": choices,
        "consented": consented,
        "consent_rate": round(consented / choices, 6) if choices else None,
    }


def optin(granted: int, refused: int) -> dict[str, Any]:
    offered = granted + refused
    return {
        "granted": granted,
        "refused": refused,
        "offered": offered,
        "rate": round(granted / offered, 6) if offered else None,
    }


@pytest.fixture
def known(ledger_url: str, catalogue: Catalogue) -> Report:
    """The known distribution's report, 2 to 15 March by week, on each backend."""
    with Ledger.open(ledger_url, key=KEY) as ledger:
        seed_known(ledger, catalogue)
        return aggregate(
            ledger, since=date(2026, 3, 2), until=date(2026, 3, 15), by="week", now=NOW
        )


class TestKnownDistribution:
    def test_period_figures(self, known: Report) -> None:
        """Totals, splits by language and place, and each optional purpose's and vendor's
        opt-in are exactly the hand counts."""
        period = to_json(known)["period"]

        assert decisions(7, 4, 3, 1, consented=10) == period["decisions"]
        assert {
            "en": decisions(4, 1, 1, 0, consented=5),
            "fr": decisions(3, 3, 2, 1, consented=5),
        } == period["languages"]
        assert {
            "api": decisions(0, 0, 2, 0, consented=0),
            "banner_customise": decisions(0, 3, 0, 0, consented=3),
            "banner_first_layer": decisions(7, 0, 1, 0, consented=7),
            "form": decisions(0, 1, 0, 1, consented=0),
        } == period["sources"]
        assert {
            "2026-11-01": decisions(3, 4, 3, 1, consented=6),
            NEW_REVISION: decisions(4, 0, 0, 0, consented=4),
        } == period["revisions"]
        assert {"audience": optin(10, 4)} == period["purposes"]
        assert {"google-analytics": optin(9, 5)} == period["vendors"]

    def test_previous_period_and_weeks(self, known: Report) -> None:
        """The period of equal length before is counted apart; weeks start on Monday."""
        data = to_json(known)

        assert (data["previous"]["start"], data["previous"]["end"]) == ("2026-02-16", "2026-03-01")
        assert decisions(0, 0, 2, 0, consented=0) == data["previous"]["decisions"]
        assert data["first_record"] == "2026-02-20"
        assert [
            ("2026-03-02", "2026-03-08", decisions(3, 4, 3, 1, consented=6)),
            ("2026-03-09", "2026-03-15", decisions(4, 0, 0, 0, consented=4)),
        ] == [(b["start"], b["end"], b["decisions"]) for b in data["buckets"]]

    def test_markers_and_names(self, known: Report) -> None:
        """The new revision and its notice are marked on their first day; names come
        from the notices shown, ids stand in where a notice names nothing."""
        data = to_json(known)
        digest = notice_for(
            Catalogue.model_validate(
                {
                    **_catalogue_data(),
                    "revision": NEW_REVISION,
                }
            ),
            "en",
        ).digest

        assert [
            {"date": "2026-03-10", "kind": "revision", "value": NEW_REVISION, "language": None},
            {"date": "2026-03-10", "kind": "notice", "value": digest, "language": "en"},
        ] == data["markers"]
        assert data["purposes"] == [{"id": "audience", "names": {"en": "Audience measurement"}}]
        assert data["vendors"] == [{"id": "google-analytics", "names": {"en": "Google Analytics"}}]
        assert data["schema"] == SCHEMA

    def test_csv_carries_the_same_figures(self, known: Report) -> None:
        """Each JSON figure is a CSV row: one long table a spreadsheet pivots."""
        rows = list(csv.DictReader(io.StringIO(to_csv(known))))
        by_key = {(r["scope"], r["start"], r["dimension"], r["key"]): r for r in rows}

        total = by_key[("period", "2026-03-02", "all", "")]
        assert (
            total["accept_all"],
            total["custom"],
            total["refuse_all"],
            total["withdraw"],
            total["total"],
            total["choices"],
            total["consented"],
            total["consent_rate"],
        ) == ("7", "4", "3", "1", "15", "14", "10", "0.714286")
        ga = by_key[("period", "2026-03-02", "vendor", "google-analytics")]
        assert (
            ga["granted"],
            ga["refused"],
            ga["offered"],
            ga["opt_in_rate"],
            ga["accept_all"],
        ) == ("9", "5", "14", "0.642857", "")
        assert by_key[("bucket", "2026-03-02", "source", "form")]["withdraw"] == "1"
        assert by_key[("previous", "2026-02-16", "all", "")]["refuse_all"] == "2"
        notice = next(r for r in rows if r["scope"] == "marker" and r["dimension"] == "notice")
        assert (notice["start"], notice["language"]) == ("2026-03-10", "en")

    def test_days_sum_to_the_period(self, known: Report, ledger_url: str) -> None:
        """Counted by day, the same ledger gives buckets that add up to the period."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            daily = aggregate(ledger, since=date(2026, 3, 2), until=date(2026, 3, 15), now=NOW)
        assert len(daily.buckets) == 14
        assert known.period.decisions.total == sum(b.decisions.total for b in daily.buckets)
        assert known.period.decisions == daily.period.decisions


def _catalogue_data() -> dict[str, Any]:
    import tomllib

    from tests.helpers import EXAMPLE_CATALOGUE

    data: dict[str, Any] = tomllib.loads(EXAMPLE_CATALOGUE.read_text("utf-8"))
    return data


class TestSensibleEdges:
    def test_empty_ledger(self, tmp_path: Path) -> None:
        """A ledger with no record: 30 empty days ending today, no rates, and an HTML
        page that says so instead of drawing empty charts."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            report = aggregate(ledger, now=NOW)
        assert (date(2026, 2, 19), date(2026, 3, 20)) == (report.period.start, report.period.end)
        assert len(report.buckets) == 30
        assert report.period.decisions.total == 0
        assert report.period.decisions.consent_rate is None
        page = to_html(report, lang="en")
        assert "No decisions in this period." in page
        assert "<svg" not in page
        assert json.loads(json.dumps(to_json(report)))["period"]["decisions"]["total"] == 0

    def test_one_day_of_data(self, tmp_path: Path, catalogue: Catalogue) -> None:
        """By default the period starts at the first record: one day, one bar."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            for action in ("accept_all", "refuse_all", "accept_all"):
                at = _at("2026-03-05")
                write_at(ledger, [_choice(ledger, catalogue, at, action)], at)
            report = aggregate(ledger, now=NOW)
        assert (date(2026, 3, 5), date(2026, 3, 5)) == (report.period.start, report.period.end)
        assert len(report.buckets) == 1
        assert pytest.approx(2 / 3) == report.period.decisions.consent_rate
        assert list(report.markers) == []  # what the data starts with is no change
        page = to_html(report, lang="fr")
        assert "date du 2026-03-05 : la période précédente est incomplète" in page
        assert page.count("<svg") == 5
        assert "66,7\u202f%" in page

    def test_period_without_decisions(self, tmp_path: Path, catalogue: Catalogue) -> None:
        """A period in a gap of the data gives zeros, with the previous period's figures."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            at = _at("2026-03-01")
            write_at(ledger, [_choice(ledger, catalogue, at, "accept_all")], at)
            report = aggregate(
                ledger, since=date(2026, 3, 2), until=date(2026, 3, 2), by="month", now=NOW
            )
        assert report.period.decisions.total == 0
        assert report.previous.decisions.total == 1
        page = to_html(report)
        assert "No decisions in this period." in page
        assert "incomplete" not in page  # the ledger began on the previous period's day

    def test_reversed_period_is_refused(self, tmp_path: Path) -> None:
        """A period that ends before it starts is named, not silently emptied."""
        with (
            Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger,
            pytest.raises(ReportError, match=r"starts \(2026-03-02\) after it ends \(2026-03-01\)"),
        ):
            aggregate(ledger, since=date(2026, 3, 2), until=date(2026, 3, 1))

    def test_too_many_points(self, tmp_path: Path) -> None:
        """Years by day would be unreadable: the error says what to do instead."""
        with (
            Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger,
            pytest.raises(ReportError, match="--by week or month"),
        ):
            aggregate(ledger, since=date(2020, 1, 1), until=date(2026, 1, 1))

    def test_no_ledger_there(self, tmp_path: Path) -> None:
        """A URL with no ledger behind it is an error, and no database is created."""
        url = sqlite_url(tmp_path, "missing.db")
        with pytest.raises(Exception, match="no ledger at"):
            aggregate(url)
        assert not (tmp_path / "missing.db").exists()


_EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> str:
    """A synthetic ledger's report, by week, in English."""
    url = sqlite_url(tmp_path_factory.mktemp("html"))
    with Ledger.open(url, key=KEY, origin="consentkit.synthetic/test") as ledger:
        seed_synthetic(ledger, catalogue, 600, days=40, end=date(2026, 3, 1))
        report = aggregate(ledger, by="week", now=NOW)
    return to_html(report, lang="en")


class TestHtml:
    def test_no_external_reference(self, page: str) -> None:
        """Nothing in the page asks another host for anything: no src, href or url() to
        one, no @import, no script, no web font; not even an http URL anywhere."""
        assert _EXTERNAL.search(page) is None
        assert "<script" not in page
        assert "@font-face" not in page
        assert "http://" not in page
        assert "https://" not in page

    def test_charts_inline(self, page: str) -> None:
        """Five inline SVG charts, each labelled for screen readers, and the synthetic
        data named as such."""
        assert len(re.findall(r'<svg role="img" aria-label="[^"]+"', page)) == 5
        assert "Synthetic data" in page
        assert "<!DOCTYPE svg" not in page

    def test_deterministic(self, tmp_path: Path, catalogue: Catalogue) -> None:
        """The same report renders to the same bytes (fixed SVG ids, no dates inside)."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            seed_synthetic(ledger, catalogue, 200, days=10, end=date(2026, 3, 1))
            report = aggregate(ledger, now=NOW)
        assert to_html(report, lang="fr") == to_html(report, lang="fr")

    def test_unknown_language(self, tmp_path: Path) -> None:
        """The page speaks French or English; another language is an error naming both."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            report = aggregate(ledger, now=NOW)
        with pytest.raises(ReportError, match="en or fr, not 'de'"):
            to_html(report, lang="de")

    def test_missing_extra_named(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without matplotlib, the HTML report says which extra to install."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            report = aggregate(ledger, now=NOW)
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.delitem(sys.modules, "consentkit.report._charts", raising=False)
        monkeypatch.delattr("consentkit.report._charts", raising=False)
        with pytest.raises(ReportError, match=r"pip install 'consentkit\[report\]'"):
            to_html(report)


def test_matplotlib_only_for_html(tmp_path: Path) -> None:
    """import consentkit, the report's figures, JSON and CSV never import matplotlib."""
    url = sqlite_url(tmp_path)
    Ledger.open(url).close()
    code = (
        "import sys, consentkit, consentkit.cli, consentkit.report as r\n"
        f"rep = r.aggregate({url!r})\n"
        "r.to_json(rep); r.to_csv(rep)\n"
        "consentkit.cli.main(['report', '--db', "
        f"{url!r}, '--format', 'csv', '-o', {str(tmp_path / 'r.csv')!r}])\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class TestParsing:
    @given(day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
    def test_dates_round_trip(self, day: date) -> None:
        """Every date written YYYY-MM-DD reads back as itself."""
        assert day == parse_date(day.isoformat())

    @given(text=st.text(max_size=20))
    def test_dates_are_total(self, text: str) -> None:
        """Any text is a date in exactly the YYYY-MM-DD form, or a ReportError naming it."""
        message = ""
        try:
            day = parse_date(text, what="--since")
        except ReportError as exc:
            message = str(exc)
        else:
            assert day.isoformat() == text.strip()
        assert not message or message.startswith(f"--since {text!r} is not a date")

    @pytest.mark.parametrize("text", ["20260301", "2026-W09-1", "2026-02-30", "2026-3-1", ""])
    def test_other_date_forms_refused(self, text: str) -> None:
        """Forms fromisoformat would half-accept, and impossible days, are refused."""
        with pytest.raises(ReportError, match="YYYY-MM-DD"):
            parse_date(text)

    @given(text=st.text(max_size=10))
    def test_grain_is_total(self, text: str) -> None:
        """Any text is day, week or month (any case, spaces around), or an error listing them."""
        message = ""
        try:
            grain = parse_grain(text)
        except ReportError as exc:
            message = str(exc)
        else:
            assert grain == text.strip().lower()
        assert not message or message.endswith("is not one of day, week, month")

    @given(
        since=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
        days=st.integers(min_value=0, max_value=800),
        by=st.sampled_from(["day", "week", "month"]),
    )
    def test_buckets_cut_the_period_into_calendar_units(
        self, since: date, days: int, by: str
    ) -> None:
        """Buckets start at the period's first day, then on each Monday or first of the
        month, and never run past the period."""
        until = since + timedelta(days=days)
        starts = _bucket_starts(since, until, by)  # type: ignore[arg-type]
        assert starts[0] == since
        assert all(a < b <= until for a, b in itertools.pairwise(starts))
        for start in starts[1:]:
            assert {"day": True, "week": start.weekday() == 0, "month": start.day == 1}[by]
        expected = {
            "day": days + 1,
            "week": len({(since + timedelta(d)).isocalendar()[:2] for d in range(days + 1)}),
            "month": len(
                {
                    ((since + timedelta(d)).year, (since + timedelta(d)).month)
                    for d in range(days + 1)
                }
            ),
        }[by]
        assert expected == len(starts)


class TestCli:
    def run(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(list(argv), out=out)
        return code, out.getvalue()

    @pytest.fixture
    def db(self, tmp_path: Path, catalogue: Catalogue) -> str:
        url = sqlite_url(tmp_path)
        with Ledger.open(url, key=KEY) as ledger:
            seed_known(ledger, catalogue)
        return url

    def test_json_to_stdout(self, db: str) -> None:
        """--format json prints the schema's document."""
        code, out = self.run(
            "report", "--db", db, "--since", "2026-03-02", "--until", "2026-03-15",
            "--by", "WEEK", "--format", "json",
        )  # fmt: skip
        assert code == 0
        assert decisions(7, 4, 3, 1, consented=10) == json.loads(out)["period"]["decisions"]

    @pytest.mark.parametrize("fmt", ["html", "csv"])
    def test_writes_a_file(self, db: str, tmp_path: Path, fmt: str) -> None:
        """-o writes the file and says what it holds."""
        target = tmp_path / f"report.{fmt}"
        code, out = self.run(
            "report", "--db", db, "--until", "2026-03-15", "--format", fmt, "--lang", "fr",
            "-o", str(target),
        )  # fmt: skip
        assert code == 0, out
        # From the first record on: the 2 refusals of 20 February are in.
        assert f"wrote {target}: 17 decisions, 2026-02-20 to 2026-03-15" in out
        assert target.stat().st_size > 0

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            pytest.param(
                ["--since", "2026-02-30"],
                "argument --since: --since '2026-02-30' is not a date",
                id="bad-date",
            ),
            pytest.param(
                ["--until", "yesterday"],
                "argument --until: --until 'yesterday' is not a date",
                id="word",
            ),
            pytest.param(["--by", "year"], "argument --by: invalid choice: 'year'", id="grain"),
            pytest.param(
                ["--format", "pdf"], "argument --format: invalid choice: 'pdf'", id="format"
            ),
        ],
    )
    def test_usage_errors(
        self, db: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad date, grain or format is a usage error naming the option: exit 2."""
        with pytest.raises(SystemExit) as exit_:
            self.run("report", "--db", db, *argv)
        assert exit_.value.code == 2
        assert message in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            pytest.param(
                ["--since", "2026-03-02", "--until", "2026-03-01"],
                "error: the period starts (2026-03-02) after it ends (2026-03-01)",
                id="reversed",
            ),
            pytest.param(
                ["--since", "2000-01-01", "--until", "2026-01-01"],
                "--by week or month",
                id="too-long",
            ),
        ],
    )
    def test_errors_are_one_line(self, db: str, argv: list[str], message: str) -> None:
        """A period that makes no sense: one error line, exit 1."""
        code, out = self.run("report", "--db", db, *argv)
        assert (code, out.count("\n")) == (1, 1)
        assert message in out

    def test_no_db(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without --db or $CONSENTKIT_LEDGER the command says which to give."""
        monkeypatch.delenv("CONSENTKIT_LEDGER", raising=False)
        code, out = self.run("report", "--format", "json")
        assert (code, out) == (1, "error: give --db URL (or set CONSENTKIT_LEDGER)\n")

    def test_missing_ledger(self, tmp_path: Path) -> None:
        """A database that isn't there is named; none is created."""
        code, out = self.run("report", "--db", sqlite_url(tmp_path, "none.db"))
        assert code == 1
        assert out.startswith("error: no ledger at ")

    def test_unwritable_output(self, db: str, tmp_path: Path) -> None:
        """An output path that can't be written is named."""
        target = tmp_path / "no" / "such" / "dir.csv"
        code, out = self.run("report", "--db", db, "--format", "csv", "-o", str(target))
        assert code == 1
        assert out.startswith(f"error: can't write {target}")


def test_synthetic_ledger_still_verifies(tmp_path: Path, catalogue: Catalogue) -> None:
    """Seeded synthetic history is a valid chain, in time order, with synthetic notices."""
    with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
        written = seed_synthetic(ledger, catalogue, 300, days=20, end=date(2026, 3, 1))
        assert ledger.verify().ok
        assert written == ledger.size()
        times = [r[0] for r in ledger.select([("SELECT at FROM records ORDER BY seq", ())])[0]]
        assert times == sorted(times)
        first = ledger.record(1)
        assert first is not None
        shown = ledger.notice(first.fields["notice"])
        assert shown is not None
        assert json.loads(shown)["synthetic"] is True
        report = aggregate(ledger, now=NOW)
    assert written == report.period.decisions.total + report.previous.decisions.total
