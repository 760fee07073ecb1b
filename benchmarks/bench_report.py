"""The consent report's cost against the bare SQL it runs, measured in the same run.

Target (issue 14): a report over 1 million records runs at >= 0.5x the speed of its
bare ``GROUP BY`` queries, i.e. takes at most twice as long: the Python that sums
days into the report and renders it (JSON, CSV, and the HTML page with its five
matplotlib charts) stays small beside the database's work.

The records are seeded straight into an SQLite ledger with ``executemany``: real
records (the fields a decision writes, canonical bytes, a valid chain), drawn from a
few dozen decision shapes over a year, with times, sequence numbers and subjects of
their own. ``BENCH_REPORT_RECORDS`` sets another count (for a quick look).
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from consentkit import Catalogue, Consent  # noqa: E402
from consentkit.ledger import Ledger  # noqa: E402
from consentkit.ledger._canonical import GENESIS, canonical, chain_hash, leaf_hash  # noqa: E402

CATALOGUE = ROOT / "examples" / "plus-que-pro" / "catalogue.toml"
KEY = "bench-report-key-0123456789abcdef"
RECORDS = int(os.environ.get("BENCH_REPORT_RECORDS", "1000000"))
DAYS = 364  # two periods of 182 days
END = date(2026, 11, 30)
REPEATS = 3
_AT, _SUBJECT = "@@at@@", "@@subject@@"


#: How often each action and place come up (shares, roughly those of the demo's data).
_ACTIONS = {"accept_all": 55, "refuse_all": 35, "custom": 6, "custom-none": 3, "withdraw": 1}
_SOURCES = {"banner_first_layer": 80, "banner_customise": 14, "form": 3, "api": 3}
_LANGUAGES = {"fr": 4, "en": 1}


def _shapes(ledger: Ledger, catalogue: Catalogue) -> list[tuple[str, str, int]]:
    """Canonical record bytes with the time, sequence number and subject left open.

    Each shape is one kind of decision (action, language, place, custom choice);
    a record is a shape with its own ``at``, ``seq`` and ``subject`` filled in.
    """
    from consentkit.report._synthetic import notice_for

    shapes = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for lang, lang_weight in _LANGUAGES.items():
        notice = notice_for(catalogue, lang)
        for source, source_weight in _SOURCES.items():
            for action, action_weight in _ACTIONS.items():
                if source == "banner_first_layer" and action.startswith("custom"):
                    continue  # the first layer has no custom choice
                if action == "withdraw":
                    consent = None
                elif action == "custom-none":
                    consent = Consent.custom(catalogue, now=moment)
                elif action == "custom":
                    consent = Consent.custom(catalogue, purposes=["audience"], now=moment)
                else:
                    consent = Consent.from_choice(catalogue, action, now=moment)
                entry = ledger.entry(
                    catalogue,
                    consent,
                    withdrawn="x" if consent is None else None,
                    language=lang,
                    source=source,
                    notice=notice,
                    now=moment,
                )
                fields = {**entry.fields, "at": _AT, "subject": _SUBJECT, "seq": 0}
                fields |= {"spool": None, "sealed": None}
                text = canonical(fields).decode("utf-8").replace('"seq":0', '"seq":%d')
                text = text.replace(_AT, "%s").replace(_SUBJECT, "%s")
                weight = lang_weight * source_weight * action_weight
                shapes.append((str(entry.fields["action"]), text, weight))
    return shapes


def seed(path: Path, count: int) -> None:
    """``count`` records over :data:`DAYS` days ending :data:`END`, in time order."""
    catalogue = Catalogue.from_file(CATALOGUE)
    url = f"sqlite:///{path}"
    with Ledger.open(url, key=KEY) as ledger:
        shapes = _shapes(ledger, catalogue)
        from consentkit.report._synthetic import notice_for

        notices = [notice_for(catalogue, lang) for lang in ("fr", "en")]
    rng = random.Random(14)
    start = datetime.combine(END - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    step = DAYS * 86400 / count
    drawn = rng.choices(range(len(shapes)), weights=[w for _, _, w in shapes], k=count)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # seeding, not the ledger's own writes
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT OR IGNORE INTO notices (digest, body) VALUES (?, ?)",
        [(n.digest, n.body) for n in notices],
    )
    prev = GENESIS
    batch = []
    for seq in range(1, count + 1):
        at = start + timedelta(seconds=(seq - 0.5) * step)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        action, template, _ = shapes[drawn[seq - 1]]
        subject = hashlib.sha256(seq.to_bytes(8, "big")).hexdigest()
        body = (template % (stamp, seq, subject)).encode("utf-8")
        prev = chain_hash(prev, leaf_hash(body))
        batch.append((seq, body, prev, subject, stamp, action))
        if len(batch) == 50_000:
            conn.executemany(
                "INSERT INTO records (seq, body, chain_hash, subject, at, action) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch = []
    if batch:
        conn.executemany(
            "INSERT INTO records (seq, body, chain_hash, subject, at, action) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            batch,
        )
    conn.execute("UPDATE head SET size = ?, chain_hash = ? WHERE id = 1", (count, prev))
    conn.execute("COMMIT")
    conn.close()


def _best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        begin = time.perf_counter()
        run()
        times.append(time.perf_counter() - begin)
    return min(times)


def main() -> None:
    from consentkit.report import aggregate, to_csv, to_html, to_json
    from consentkit.report._aggregate import _BOUNDS, queries

    with tempfile.TemporaryDirectory(dir=HERE) as name:
        path = Path(name) / "report.db"
        begin = time.perf_counter()
        seed(path, RECORDS)
        seeded = time.perf_counter() - begin
        since = END - timedelta(days=DAYS // 2 - 1)  # half the year; the other half before
        with Ledger.open(f"sqlite:///{path}") as ledger:
            bare_sql = [(_BOUNDS, ()), *queries(ledger, since - (END - since) - timedelta(1), END)]
            report = aggregate(ledger, since=since, until=END, by="day")
            assert report.period.decisions.total + report.previous.decisions.total == RECORDS
            bare = sqlite3.connect(path)

            def bare_queries() -> None:
                for sql, params in bare_sql:
                    bare.execute(sql, params).fetchall()

            def whole_report() -> None:
                made = aggregate(ledger, since=since, until=END, by="day")
                to_json(made)
                to_csv(made)
                to_html(made, lang="en")

            def figures_only() -> None:
                aggregate(ledger, since=since, until=END, by="day")

            to_html(report)  # matplotlib imported and its font cache built: not timed
            baseline = _best(bare_queries)
            figures = _best(figures_only)
            ours = _best(whole_report)
            bare.close()
    ratio = baseline / ours
    print(
        f"consent report over {RECORDS} records (SQLite; seeded in {seeded:.1f} s), "
        f"{DAYS // 2} days by day against the {DAYS // 2} before"
    )
    print(f"  bare GROUP BY queries       {baseline:9.2f} s    baseline")
    print(f"  aggregate() only            {figures:9.2f} s    {baseline / figures:.2f}x")
    print(f"  report: JSON, CSV and HTML  {ours:9.2f} s    {ratio:.2f}x")
    print(f"  target >= 0.5x: {'met' if ratio >= 0.5 else 'MISSED'}")
    if ratio < 0.5:
        render = ours - figures
        print(
            f"  floor: rendering takes {render:.2f} s whatever the ledger's size (five "
            f"charts of {DAYS // 2} points); the queries {baseline:.2f} s"
        )


if __name__ == "__main__":
    main()
