"""The ledger's costs, each against a bare baseline measured in the same run.

Targets (issue 11):

- append, SQLite: >= 0.7x the rate of a bare ``sqlite3`` insert-and-commit loop of
  the same rows, with the same pragmas (WAL, ``synchronous=FULL``): one durable
  transaction per record on both sides;
- append, PostgreSQL, 8 concurrent writers (threads sharing one ``Ledger``, so
  group commit batches them): >= 5x the rate of one transaction per record (8
  threads, each with its own ``Ledger``, so nothing is batched), chain intact;
- verify: >= 0.5x the rate of hashing the same stored bytes with bare ``hashlib``,
  reading included;
- a consent POST under gunicorn, SQLite ledger on vs off: median latency ratio <= 1.3.

Where a target is out of reach, the floor that stops it is printed beside it: one
durable commit per POST, the ledger's own statements for SQLite. For PostgreSQL, the
ceiling is printed: the cycle of writers that each wait for their receipt before
sending the next record.

PostgreSQL figures need Debian's server binaries (a throwaway cluster is started).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from _drivers import free_port  # noqa: E402

from consentkit import Catalogue, Consent  # noqa: E402
from consentkit.ledger import Entry, Ledger, Notice, Receipt  # noqa: E402
from consentkit.ledger._canonical import GENESIS  # noqa: E402

CATALOGUE = Catalogue.from_file(ROOT / "examples" / "plus-que-pro" / "catalogue.toml")
KEY = "bench-ledger-key-0123456789abcdef"
NOTICE = Notice.of({"catalogue": {"texts": {"notice": "Nous utilisons des cookies."}}})
APPENDS = 300
APPEND_ROUNDS = 5
PG_APPENDS = 800
PG_ROUNDS = 7
VERIFY_RECORDS = 20_000
POSTS = 200
POST_ROUNDS = 3


def _entries(ledger: Ledger, count: int) -> list[Entry]:
    return [
        ledger.entry(
            CATALOGUE,
            Consent.accept_all(CATALOGUE),
            language="fr",
            source="banner_first_layer",
            notice=NOTICE,
        )
        for _ in range(count)
    ]


def _rate(count: int, run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def append_sqlite(folder: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{folder / 'append.db'}", key=KEY)
    rounds = [_entries(ledger, APPENDS // APPEND_ROUNDS) for _ in range(APPEND_ROUNDS)]
    bare_db = sqlite3.connect(folder / "bare.db", isolation_level=None)
    bare_db.execute("PRAGMA journal_mode = WAL")
    bare_db.execute("PRAGMA synchronous = FULL")
    bare_db.execute(
        "CREATE TABLE records (seq BIGINT PRIMARY KEY, body BLOB, chain_hash BLOB, "
        "subject TEXT, at TEXT, action TEXT)"
    )
    # The floor: the ledger's own statements on its own schema, without any Python work.
    Ledger.open(f"sqlite:///{folder / 'floor.db'}", key=KEY).close()
    floor_db = sqlite3.connect(folder / "floor.db", isolation_level=None)
    floor_db.execute("PRAGMA journal_mode = WAL")
    floor_db.execute("PRAGMA synchronous = FULL")
    ours, bare, floor = [], [], []
    # Interleaved rounds: each side grows its files in turn, and meets the same disk.
    for entries in rounds:
        start = time.perf_counter()
        receipts = [ledger.append(entry) for entry in entries]
        ours.append(len(entries) / (time.perf_counter() - start))
        # The same rows, as the ledger stored them, into a bare table, same pragmas.
        stored = [ledger.record(receipt.seq or 0) for receipt in receipts]
        rows = [
            (
                r.seq,
                r.body,
                r.chain_hash,
                r.fields.get("subject"),
                r.fields["at"],
                r.fields["action"],
            )
            for r in stored
            if r is not None
        ]
        start = time.perf_counter()
        for row in rows:
            bare_db.execute("BEGIN")
            bare_db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", row)
            bare_db.execute("COMMIT")
        bare.append(len(rows) / (time.perf_counter() - start))
        start = time.perf_counter()
        for row in rows:
            floor_db.execute("BEGIN IMMEDIATE")
            floor_db.execute("SELECT size, chain_hash FROM head WHERE id = 1").fetchone()
            floor_db.execute(
                "INSERT INTO records (seq, body, chain_hash, subject, at, action, spool_id) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                row,
            )
            floor_db.execute(
                "UPDATE head SET size = ?, chain_hash = ? WHERE id = 1", row[:1] + row[2:3]
            )
            floor_db.execute("COMMIT")
        floor.append(len(rows) / (time.perf_counter() - start))
    ledger.close()
    bare_db.close()
    floor_db.close()
    ours_rate, bare_rate = statistics.median(ours), statistics.median(bare)
    ratio = ours_rate / bare_rate
    print(
        f"append, SQLite, one record per transaction ({APPENDS} records in {APPEND_ROUNDS} "
        "interleaved rounds, synchronous=FULL)"
    )
    print(f"  bare sqlite3 insert+commit  {bare_rate:9.0f} /s   baseline")
    print(f"  Ledger.append               {ours_rate:9.0f} /s   {ratio:.2f}x")
    print(f"  target >= 0.7x: {_verdict(ratio >= 0.7)}")
    floor_rate = statistics.median(floor)
    print(
        f"  floor: the ledger's statements alone (head read and moved, the record and its "
        f"indexes): {floor_rate:.0f} /s, {floor_rate / bare_rate:.2f}x"
    )


def verify_sqlite(folder: Path) -> None:
    url = f"sqlite:///{folder / 'verify.db'}"
    with Ledger.open(url, key=KEY) as ledger:
        entries = _entries(ledger, 1000)
        for _ in range(VERIFY_RECORDS // 1000):
            ledger.append_many(entries)
    conn = sqlite3.connect(folder / "verify.db")

    def bare() -> None:
        prev = GENESIS
        sha256 = hashlib.sha256
        for _seq, body, _stored in conn.execute(
            "SELECT seq, body, chain_hash FROM records ORDER BY seq"
        ):
            prev = sha256(b"\x01" + prev + sha256(b"\x00" + body).digest()).digest()

    with Ledger.open(url) as ledger:
        report = ledger.verify()
        assert report.ok
        ours = min(_rate(VERIFY_RECORDS, ledger.verify) for _ in range(3))
    baseline = min(_rate(VERIFY_RECORDS, bare) for _ in range(3))
    conn.close()
    ratio = ours / baseline
    print(f"verify, SQLite ({VERIFY_RECORDS} records)")
    print(f"  bare read + hashlib chain   {baseline:9.0f} /s   baseline")
    print(f"  Ledger.verify               {ours:9.0f} /s   {ratio:.2f}x")
    print(f"  target >= 0.5x: {_verdict(ratio >= 0.5)}")


def append_postgres() -> None:
    from tests.postgres import cluster, server_bin

    if server_bin() is None:
        print("append, PostgreSQL: skipped (no PostgreSQL server installed)")
        return
    writers = 8
    with cluster() as pg:
        urls = {shared: pg.create_database(f"shared_{shared}") for shared in (False, True)}
        rates: dict[bool, list[float]] = {False: [], True: []}
        batches: list[tuple[float, float, int]] = []
        # Interleaved rounds: the server's and the machine's drift hits both sides alike.
        for _ in range(PG_ROUNDS):
            for shared in (False, True):
                rates[shared].append(_concurrent_rate(urls[shared], writers, shared, batches))
        batch_s, entry = _batch_write_seconds(pg.create_database("batch"), writers)
    handoff_s = _handoff_seconds(writers, entry)
    single, grouped = statistics.median(rates[False]), statistics.median(rates[True])
    ratio = grouped / single
    ceiling = writers / (batch_s + handoff_s)
    print(
        f"append, PostgreSQL, {writers} concurrent writers ({PG_APPENDS} records a round, "
        f"median of {PG_ROUNDS} interleaved rounds, chains verified)"
    )
    print(f"  one transaction per record  {single:9.0f} /s   baseline")
    print("    (8 ledgers, as 8 processes: each finds the head moved by another and locks it)")
    print(f"  group commit                {grouped:9.0f} /s   {ratio:.2f}x")
    spread = sorted(g / s for g, s in zip(rates[True], rates[False], strict=True))
    print(f"  round by round: {spread[0]:.2f}x to {spread[-1]:.2f}x")
    print(f"  target >= 5x: {_verdict(ratio >= 5)}")
    # Each writer has one record in flight: a batch can't start before the last one's
    # writers have their receipts and come back. The ceiling is that cycle.
    print(
        f"  ceiling: a batch of {writers} commits in {batch_s * 1000:.2f} ms, and {writers} threads"
    )
    print(f"    hand over to the next in {handoff_s * 1000:.2f} ms (a no-op write): at most")
    print(
        f"    {ceiling:.0f} /s, {ceiling / single:.2f}x, for writers that wait for their receipts"
    )
    # What the run itself spent per batch: its writes, and the time between them.
    write_ms = statistics.median(end - start for start, end, _ in batches) * 1000
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(batches) if b[0] > a[1]]
    gap_ms = statistics.median(gaps) * 1000
    size = statistics.mean(count for *_, count in batches)
    print(
        f"  in the run: batches of {size:.1f} records, written in {write_ms:.2f} ms, "
        f"{gap_ms:.2f} ms apart:"
    )
    print(
        f"    {writers} Python threads on this machine's {os.cpu_count()} cores wake, come "
        "back and meet at the GIL: that gap, and writes slowed by the contention, are the rest"
    )


def _concurrent_rate(
    url: str, writers: int, shared: bool, batches: list[tuple[float, float, int]]
) -> float:
    """Records a second from ``writers`` threads, through one shared ``Ledger`` (group
    commit batches them) or one each (one transaction per record). A shared ledger's
    transactions are logged in ``batches``: ``(start, end, records)``."""
    ledgers = [Ledger.open(url, key=KEY)]
    if not shared:
        ledgers += [Ledger.open(url, key=KEY) for _ in range(writers - 1)]
    else:
        group = ledgers[0]._group
        group_write = group._write

        def timed(entries: Sequence[Entry]) -> list[Receipt]:
            start = time.perf_counter()
            receipts = group_write(entries)
            batches.append((start, time.perf_counter(), len(entries)))
            return receipts

        group._write = timed
    per = PG_APPENDS // writers
    work = [(ledgers[0 if shared else i], _entries(ledgers[0], per)) for i in range(writers)]
    # Each thread opens its connection with a first append, before the clock starts.
    ready = threading.Barrier(writers + 1)

    def write(ledger: Ledger, entries: list[Entry]) -> None:
        ledger.append(entries[0])
        ready.wait()
        for entry in entries[1:]:
            ledger.append(entry)

    threads = [threading.Thread(target=write, args=item) for item in work]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    rate = (per - 1) * writers / (time.perf_counter() - start)
    report = ledgers[0].verify()
    assert report.ok, report.problems
    for ledger in ledgers:
        ledger.close()
    return rate


def _batch_write_seconds(url: str, size: int) -> tuple[float, Entry]:
    """Median time of one transaction appending ``size`` records, nothing else running."""
    with Ledger.open(url, key=KEY) as ledger:
        times = []
        for _ in range(40):
            entries = _entries(ledger, size)
            start = time.perf_counter()
            ledger.append_many(entries)
            times.append(time.perf_counter() - start)
    return statistics.median(times), entries[0]


def _handoff_seconds(writers: int, entry: Entry) -> float:
    """Per batch, the time group commit spends between batches with a write that costs
    nothing: threads woken, back with their next record, gathered."""
    from consentkit.ledger._group import GroupCommit

    group = GroupCommit(lambda entries: [Receipt(0, "", "")] * len(entries))
    per = PG_APPENDS // writers

    def write() -> None:
        for _ in range(per):
            group.append(entry)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - start) / per


_APP = """
import os
import sqlite3
from consentkit import Catalogue, ConsentConfig, WSGIConsentMiddleware
url = os.environ.get("BENCH_LEDGER") or None
config = ConsentConfig(
    catalogue=Catalogue.from_file(os.environ["BENCH_CATALOGUE"]),
    secret_keys=["bench-key-0123456789abcdef-0123456789"],
    cookie_secure=False,
    ledger=url,
    ledger_key="bench-ledger-key-0123456789abcdef" if url else None,
)
def site(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
app = WSGIConsentMiddleware(site, config)

# The floor: the ledger off, and one bare durable sqlite3 commit per POST instead.
bare = os.environ.get("BENCH_BARE_COMMIT")
if bare:
    db = sqlite3.connect(bare, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, body BLOB)")
    consentkit_app = app

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            db.execute("BEGIN")
            db.execute("INSERT INTO t (body) VALUES (?)", (b"x" * 600,))
            db.execute("COMMIT")
        return consentkit_app(environ, start_response)
"""


def _post_latencies(folder: Path, ledger_url: str, bare_commit: str = "") -> list[float]:
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "BENCH_LEDGER": ledger_url,
        "BENCH_BARE_COMMIT": bare_commit,
        "BENCH_CATALOGUE": str(ROOT / "examples" / "plus-que-pro" / "catalogue.toml"),
    }
    argv = [sys.executable, "-m", "gunicorn", "--chdir", str(folder), "--workers", "1"]
    process = subprocess.Popen(
        [*argv, "--bind", f"127.0.0.1:{port}", "bench_app:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/_consentkit/consent"
        deadline = time.monotonic() + 20
        with httpx.Client() as client:
            while True:
                try:
                    client.get(url)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            latencies = []
            for _ in range(POSTS):
                start = time.perf_counter()
                response = client.post(url, json={"action": "accept_all"})
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
        return latencies
    finally:
        process.terminate()
        process.wait()


def post_under_gunicorn(folder: Path) -> None:
    (folder / "bench_app.py").write_text(_APP)
    runs: dict[str, list[float]] = {"off": [], "on": [], "bare": []}
    # Interleaved rounds, each a fresh server: the disk's and the machine's drift hit all.
    for round_ in range(POST_ROUNDS):
        runs["off"] += _post_latencies(folder, "")
        runs["on"] += _post_latencies(folder, f"sqlite:///{folder / f'post{round_}.db'}")
        runs["bare"] += _post_latencies(folder, "", str(folder / f"bare{round_}.db"))
    off_ms, on_ms, bare_ms = (statistics.median(runs[k]) * 1000 for k in ("off", "on", "bare"))
    ratio = on_ms / off_ms
    print(
        f"consent POST under gunicorn ({POSTS} sequential requests x {POST_ROUNDS} interleaved"
        " rounds, median latency)"
    )
    print(f"  ledger off                  {off_ms:9.2f} ms  baseline")
    print(f"  SQLite ledger on            {on_ms:9.2f} ms  {ratio:.2f}x")
    print(f"  target <= 1.3x: {_verdict(ratio <= 1.3)}")
    # No receipt before its record is durable: one flush to disk is the least a POST adds.
    print("  floor: ledger off plus one bare durable sqlite3 commit per POST, same server:")
    print(
        f"    {bare_ms:.2f} ms, {bare_ms / off_ms:.2f}x; the commit adds {bare_ms - off_ms:.2f} ms,"
        f" the ledger {on_ms - off_ms:.2f} ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as name:
        folder = Path(name)
        append_sqlite(folder)
        verify_sqlite(folder)
        append_postgres()
        post_under_gunicorn(folder)


if __name__ == "__main__":
    main()
