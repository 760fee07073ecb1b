"""The report's figures, counted by the database: a few ``GROUP BY`` queries per report.

Records keep their fields in the canonical JSON ``body`` (only ``at`` and ``action``
have columns), so the queries read the JSON with the backend's own functions:
``json_extract``/``json_each`` on SQLite, ``jsonb`` on PostgreSQL. Each groups by UTC
day, which keeps what comes back to Python small (a few rows per day, never one per
record); days are then summed into weeks or months here, the same way for both
backends. Nothing is added to the ledger's tables, so appends cost what they did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from consentkit.exceptions import ReportError
from consentkit.ledger import Ledger
from consentkit.report._model import (
    ACTIONS,
    Decisions,
    Grain,
    Marker,
    OptIn,
    Period,
    Report,
    bucket_start,
    next_bucket,
    parse_grain,
)

__all__ = ["MAX_BUCKETS", "aggregate", "queries"]

#: Beyond this many points a chart is unreadable: ask for a coarser grain instead.
MAX_BUCKETS = 1000
#: How far back a report looks when not told, by grain: 30 days, 12 weeks, 12 months.
_DEFAULT_SPAN = {"day": 30, "week": 12, "month": 12}
_LISTS = ("purposes_granted", "purposes_refused", "vendors_granted", "vendors_refused")

# Per day, action, and (language, source, revision, notice, purposes granted) as one
# JSON array: one parse of each body. What a choice granted tells whether it consented.
_DECISIONS = {
    "sqlite": """
        SELECT substr(at, 1, 10), action,
               json_extract(b, '$.language', '$.source', '$.revision', '$.notice',
                            '$.purposes_granted'),
               count(*)
        FROM (SELECT at, action, CAST(body AS TEXT) AS b FROM records
              WHERE at >= ? AND at < ?)
        GROUP BY 1, 2, 3""",
    # OFFSET 0 keeps the subquery whole, so each body is converted to jsonb once.
    "postgresql": """
        SELECT substr(at, 1, 10), action,
               jsonb_build_array(j->'language', j->'source', j->'revision', j->'notice',
                                 j->'purposes_granted'),
               count(*)
        FROM (SELECT at, action, convert_from(body, 'UTF8')::jsonb AS j FROM records
              WHERE at >= ? AND at < ? OFFSET 0) AS r
        GROUP BY 1, 2, 3""",
}

# Per day, each purpose and vendor granted or refused by a choice (not a withdrawal).
_CHOICES = {
    "sqlite": """
        SELECT substr(r.at, 1, 10), k.key, v.value, count(*)
        FROM records AS r,
             json_each(CAST(r.body AS TEXT)) AS k,
             json_each(CASE WHEN k.type = 'array' THEN k.value ELSE '[]' END) AS v
        WHERE r.at >= ? AND r.at < ? AND r.action <> 'withdraw'
          AND k.key IN ('purposes_granted', 'purposes_refused',
                        'vendors_granted', 'vendors_refused')
        GROUP BY 1, 2, 3""",
    "postgresql": """
        SELECT substr(r.at, 1, 10), k.key, v.value, count(*)
        FROM (SELECT at, convert_from(body, 'UTF8')::jsonb AS j FROM records
              WHERE at >= ? AND at < ? AND action <> 'withdraw' OFFSET 0) AS r
        CROSS JOIN LATERAL (VALUES
            ('purposes_granted', r.j->'purposes_granted'),
            ('purposes_refused', r.j->'purposes_refused'),
            ('vendors_granted', r.j->'vendors_granted'),
            ('vendors_refused', r.j->'vendors_refused')) AS k(key, value)
        CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(k.value) = 'array' THEN k.value ELSE '[]'::jsonb END
        ) AS v(value)
        GROUP BY 1, 2, 3""",
}

_BOUNDS = "SELECT min(at), max(at) FROM records"


def dialect(ledger: Ledger) -> str:
    """``sqlite`` or ``postgresql``: which SQL the ledger's database speaks."""
    scheme = ledger.url.split("://", 1)[0].lower()
    return "postgresql" if scheme in ("postgresql", "postgres") else "sqlite"


def queries(ledger: Ledger, start: date, end: date) -> list[tuple[str, Sequence[Any]]]:
    """The ``GROUP BY`` queries a report runs over the days ``start`` to ``end``.

    Public so the benchmark can time the bare queries against the whole report.
    """
    sql = dialect(ledger)
    window = (start.isoformat(), (end + timedelta(days=1)).isoformat())
    return [(_DECISIONS[sql], window), (_CHOICES[sql], window)]


def aggregate(
    ledger: Ledger | str,
    *,
    since: date | None = None,
    until: date | None = None,
    by: Grain | str = "day",
    now: datetime | None = None,
) -> Report:
    """Count a ledger's decisions from ``since`` to ``until`` (UTC days, both included).

    :param ledger: a :class:`~consentkit.ledger.Ledger`, or its URL (opened read-only
        in spirit: nothing is written, and no ledger is created where none is).
    :param since: the first day; by default 30 days, 12 weeks or 12 months (by
        ``by``) before ``until``, but never before the ledger's first record.
    :param until: the last day; by default the day of the ledger's last record
        (today when it has none).
    :param by: ``day``, ``week`` (Monday to Sunday) or ``month``; the first and
        last weeks or months are cut to the period.
    :raises ReportError: for ``since`` after ``until``, an unknown grain, or more
        than :data:`MAX_BUCKETS` points.
    :raises LedgerError: when the ledger can't be opened or read.

    .. versionadded:: 0.1
    """
    grain = parse_grain(by)
    if isinstance(ledger, str):
        with Ledger.open(ledger, create=False) as opened:
            return _aggregate(opened, since, until, grain, now)
    return _aggregate(ledger, since, until, grain, now)


def _aggregate(
    ledger: Ledger, since: date | None, until: date | None, by: Grain, now: datetime | None
) -> Report:
    now = now or datetime.now(UTC)
    since, until, first_record = _period(ledger, since, until, by, now.date())
    length = until - since + timedelta(days=1)
    before_end = since - timedelta(days=1)
    before_start = since - length
    decisions, choices = ledger.select(queries(ledger, before_start, until))

    starts = _bucket_starts(since, until, by)
    slots: dict[date, int] = {}
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else until + timedelta(days=1)
        for offset in range((stop - start).days):
            slots[start + timedelta(days=offset)] = index
    buckets = [_Figures() for _ in starts]
    current, previous = _Figures(), _Figures()

    def targets(day: date) -> list[_Figures]:
        if day in slots:
            return [buckets[slots[day]], current]
        return [previous] if before_start <= day <= before_end else []

    days: dict[str, date] = {}

    def day_of(text: str) -> date:
        found = days.get(text)
        if found is None:
            found = days[text] = date.fromisoformat(text)
        return found

    optin_rows = [(day_of(day), kind, item, int(n)) for day, kind, item, n in choices]
    decision_rows = [
        (day_of(day), action, _array(key), int(n)) for day, action, key, n in decisions
    ]
    digests = {str(key[3]) for _, _, key, _ in decision_rows if key[3]}
    names, optional = _from_notices(ledger, digests)
    for _day, kind, item, _n in optin_rows:
        if kind.endswith("_refused"):
            optional[kind.split("_")[0]].setdefault(item, None)
    optional_purposes = set(optional["purposes"])
    for day, kind, item, n in optin_rows:
        group = kind.split("_")[0]
        if item in optional[group]:
            for figures in targets(day):
                figures.opt_in(group, item, kind.endswith("_granted"), n)
    # (kind, value) -> (first day, language then): each notice digest is one language's.
    firsts: dict[tuple[Literal["revision", "notice"], str], tuple[date, str | None]] = {}
    for day, action, key, n in decision_rows:
        language, source, revision, notice, granted = (
            _text(key[0]),
            _text(key[1]),
            _text(key[2]),
            key[3],
            key[4],
        )
        consents = action != "withdraw" and not optional_purposes.isdisjoint(granted or ())
        for figures in targets(day):
            figures.decide(action, language, source, revision, n, consents)
        marks: list[tuple[Literal["revision", "notice"], str, str | None]] = []
        if key[2] is not None:
            marks.append(("revision", revision, None))
        if notice is not None:
            marks.append(("notice", str(notice), language))
        for kind, value, lang in marks:
            seen = firsts.get((kind, value))
            if seen is None or (day, lang or "") < (seen[0], seen[1] or ""):
                firsts[kind, value] = (day, lang)
    # What the window starts with is its initial state, not a change: not marked.
    opening = min((day for day, _, _, _ in decision_rows), default=None)
    firsts = {mark: seen for mark, seen in firsts.items() if seen[0] != opening}
    markers = sorted(
        (Marker(day, kind, value, lang) for (kind, value), (day, lang) in firsts.items()),
        key=lambda m: (m.day, m.kind != "revision", m.language or "", m.value),
    )
    ends = [*(s - timedelta(days=1) for s in starts[1:]), until]
    return Report(
        origin=ledger.origin,
        generated_at=now,
        first_record=first_record,
        by=by,
        period=current.freeze(since, until),
        previous=previous.freeze(before_start, before_end),
        buckets=tuple(f.freeze(s, e) for f, s, e in zip(buckets, starts, ends, strict=True)),
        markers=tuple(m for m in markers if since <= m.day <= until),
        purposes={p: names["purposes"].get(p, {}) for p in optional["purposes"]},
        vendors={v: names["vendors"].get(v, {}) for v in optional["vendors"]},
    )


def _period(
    ledger: Ledger, since: date | None, until: date | None, by: Grain, today: date
) -> tuple[date, date, date | None]:
    # min() and max() of an indexed column: two index lookups, whatever the size.
    ((first, last),) = ledger.select([(_BOUNDS, ())])[0]
    opened = date.fromisoformat(first[:10]) if first else None
    if since is None or until is None:
        if until is None:
            until = date.fromisoformat(last[:10]) if last else today
        if since is None:
            since = _default_since(until, by)
            if first and date.fromisoformat(first[:10]) > since:
                since = min(date.fromisoformat(first[:10]), until)
    if since > until:
        raise ReportError(f"the period starts ({since}) after it ends ({until})")
    count = len(_bucket_starts(since, until, by, limit=MAX_BUCKETS + 1))
    if count > MAX_BUCKETS:
        raise ReportError(
            f"{since} to {until} by {by} makes more than {MAX_BUCKETS} points: "
            "choose a shorter period or a coarser grain (--by week or month)"
        )
    return since, until, opened


def _default_since(until: date, by: Grain) -> date:
    span = _DEFAULT_SPAN[by]
    if by == "day":
        return until - timedelta(days=span - 1)
    if by == "week":
        return bucket_start(until, "week") - timedelta(weeks=span - 1)
    start = bucket_start(until, "month")
    for _ in range(span - 1):
        start = bucket_start(start - timedelta(days=1), "month")
    return start


def _bucket_starts(since: date, until: date, by: Grain, limit: int | None = None) -> list[date]:
    starts = [since]
    while limit is None or len(starts) < limit:
        following = next_bucket(bucket_start(starts[-1], by), by)
        if following > until:
            break
        starts.append(following)
    return starts


def _text(value: Any) -> str:
    """A grouped field as text; a record without it (none so far) counts as ``unknown``."""
    return "unknown" if value is None else str(value)


def _array(key: Any) -> list[Any]:
    """The grouped JSON array: text from SQLite, already parsed by psycopg."""
    value = json.loads(key) if isinstance(key, str | bytes) else key
    if not isinstance(value, list) or len(value) != 5:
        return [None] * 5
    return value


def _from_notices(
    ledger: Ledger, digests: Iterable[str]
) -> tuple[dict[str, dict[str, dict[str, str]]], dict[str, dict[str, None]]]:
    """Names of purposes and vendors by language, and the optional ones, in catalogue
    order, from the notices visitors were shown (a notice is the localised catalogue)."""
    names: dict[str, dict[str, dict[str, str]]] = {"purposes": {}, "vendors": {}}
    optional: dict[str, dict[str, None]] = {"purposes": {}, "vendors": {}}
    for digest in sorted(digests):
        body = ledger.notice(digest)
        try:
            shown = json.loads(body) if body else {}
            catalogue = shown.get("catalogue") or {}
            language = str(catalogue.get("language") or "")
            for kind in ("purposes", "vendors"):
                for item in catalogue.get(kind) or ():
                    if item.get("essential") is False:
                        optional[kind].setdefault(str(item["id"]), None)
                    if language and item.get("name"):
                        names[kind].setdefault(str(item["id"]), {})[language] = str(item["name"])
        except (ValueError, TypeError, AttributeError, KeyError):
            continue  # a notice of another shape names nothing: ids stand in
    return names, optional


class _Figures:
    """A period's counts while rows come in."""

    __slots__ = ("decisions", "languages", "optins", "revisions", "sources")

    def __init__(self) -> None:
        self.decisions = _Tally()
        self.languages: dict[str, _Tally] = {}
        self.sources: dict[str, _Tally] = {}
        self.revisions: dict[str, _Tally] = {}
        self.optins: dict[tuple[str, str], list[int]] = {}

    def decide(
        self, action: str, language: str, source: str, revision: str, n: int, consents: bool
    ) -> None:
        if action not in ACTIONS:
            return
        for tally in (
            self.decisions,
            self.languages.setdefault(language, _Tally()),
            self.sources.setdefault(source, _Tally()),
            self.revisions.setdefault(revision, _Tally()),
        ):
            tally.add(action, n, consents)

    def opt_in(self, group: str, item: str, granted: bool, n: int) -> None:
        self.optins.setdefault((group, item), [0, 0])[0 if granted else 1] += n

    def freeze(self, start: date, end: date) -> Period:
        frozen: dict[str, dict[str, OptIn]] = {"purposes": {}, "vendors": {}}
        for (group, item), (granted, refused) in sorted(self.optins.items()):
            frozen[group][item] = OptIn(granted, refused)
        return Period(
            start=start,
            end=end,
            decisions=self.decisions.freeze(),
            languages={k: t.freeze() for k, t in sorted(self.languages.items())},
            sources={k: t.freeze() for k, t in sorted(self.sources.items())},
            revisions={k: t.freeze() for k, t in sorted(self.revisions.items())},
            purposes=frozen["purposes"],
            vendors=frozen["vendors"],
        )


class _Tally:
    __slots__ = ("consented", "counts")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(ACTIONS, 0)
        self.consented = 0

    def add(self, action: str, n: int, consents: bool) -> None:
        self.counts[action] += n
        if consents:
            self.consented += n

    def freeze(self) -> Decisions:
        return Decisions(**self.counts, consented=self.consented)
