"""A report as JSON and as CSV, for BI tools: the schema is in ``docs/report.md``.

Both carry the same figures. JSON nests them; CSV is one long table (one row per
period, dimension and key) that a spreadsheet pivots as it likes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from consentkit.report._model import Decisions, Marker, OptIn, Period, Report

__all__ = ["CSV_COLUMNS", "SCHEMA", "to_csv", "to_json"]

#: The ``schema`` field of the JSON: changes only when a field changes meaning or goes.
SCHEMA = "consentkit.report/1"
#: Rates are rounded to this many decimals: stable text, finer than any chart.
RATE_DIGITS = 6
CSV_COLUMNS = (
    "scope",
    "start",
    "end",
    "dimension",
    "key",
    "accept_all",
    "custom",
    "refuse_all",
    "withdraw",
    "total",
    "choices",
    "consented",
    "consent_rate",
    "granted",
    "refused",
    "offered",
    "opt_in_rate",
    "language",
)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def decisions_json(d: Decisions) -> dict[str, Any]:
    return {
        "accept_all": d.accept_all,
        "custom": d.custom,
        "refuse_all": d.refuse_all,
        "withdraw": d.withdraw,
        "total": d.total,
        "choices": d.choices,
        "consented": d.consented,
        "consent_rate": _rate(d.consent_rate),
    }


def optin_json(o: OptIn) -> dict[str, Any]:
    return {"granted": o.granted, "refused": o.refused, "offered": o.offered, "rate": _rate(o.rate)}


def period_json(p: Period) -> dict[str, Any]:
    return {
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "decisions": decisions_json(p.decisions),
        "languages": {k: decisions_json(v) for k, v in p.languages.items()},
        "sources": {k: decisions_json(v) for k, v in p.sources.items()},
        "revisions": {k: decisions_json(v) for k, v in p.revisions.items()},
        "purposes": {k: optin_json(v) for k, v in p.purposes.items()},
        "vendors": {k: optin_json(v) for k, v in p.vendors.items()},
    }


def marker_json(m: Marker) -> dict[str, Any]:
    return {"date": m.day.isoformat(), "kind": m.kind, "value": m.value, "language": m.language}


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (``json.dumps`` it)."""
    return {
        "schema": SCHEMA,
        "origin": report.origin,
        "generated_at": report.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "first_record": report.first_record.isoformat() if report.first_record else None,
        "by": report.by,
        "period": period_json(report.period),
        "previous": period_json(report.previous),
        "buckets": [period_json(b) for b in report.buckets],
        "markers": [marker_json(m) for m in report.markers],
        "purposes": [{"id": k, "names": dict(v)} for k, v in report.purposes.items()],
        "vendors": [{"id": k, "names": dict(v)} for k, v in report.vendors.items()],
    }


def to_csv(report: Report) -> str:
    """The report as one CSV table, header first, ``\\r\\n`` line ends (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


def csv_rows(report: Report) -> Iterator[list[Any]]:
    scopes = [("period", report.period), ("previous", report.previous)]
    scopes += [("bucket", b) for b in report.buckets]
    for scope, p in scopes:
        span = [scope, p.start.isoformat(), p.end.isoformat()]
        yield [*span, "all", "", *_decision_cells(p.decisions), *[None] * 4, None]
        for dimension, table in (
            ("language", p.languages),
            ("source", p.sources),
            ("revision", p.revisions),
        ):
            for key, d in table.items():
                yield [*span, dimension, key, *_decision_cells(d), *[None] * 4, None]
        for dimension, optins in (("purpose", p.purposes), ("vendor", p.vendors)):
            for key, o in optins.items():
                cells = [o.granted, o.refused, o.offered, _rate(o.rate)]
                yield [*span, dimension, key, *[None] * 8, *cells, None]
    for m in report.markers:
        day = m.day.isoformat()
        yield ["marker", day, day, m.kind, m.value, *[None] * 12, m.language]


def _decision_cells(d: Decisions) -> list[Any]:
    return [
        d.accept_all,
        d.custom,
        d.refuse_all,
        d.withdraw,
        d.total,
        d.choices,
        d.consented,
        _rate(d.consent_rate),
    ]
