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
durable commit per POST, and for PostgreSQL the cycle of writers that each wait for
their receipt before sending the next record.

PostgreSQL figures need Debian's server binaries (a throwaway cluster is started).
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from consentkit import Catalogue, Consent  # noqa: E402
from consentkit.ledger import Entry, Ledger, Notice  # noqa: E402
from consentkit.ledger._canonical import GENESIS  # noqa: E402

CATALOGUE = Catalogue.from_file(ROOT / "examples" / "plus-que-pro" / "catalogue.toml")
KEY = "bench-ledger-key-0123456789abcdef"
NOTICE = Notice.of({"catalogue": {"texts": {"notice": "Nous utilisons des cookies."}}})
APPENDS = 300
PG_APPENDS = 800
VERIFY_RECORDS = 20_000
POSTS = 200


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
    entries = _entries(ledger, APPENDS)

    def ledger_loop() -> None:
        for entry in entries:
            ledger.append(entry)

    ours = _rate(APPENDS, ledger_loop)
    # The same rows, as the ledger stored them, into a bare table with the same pragmas.
    rows = ledger._store._read
    with rows() as conn:
        stored = conn.execute(
            "SELECT seq, body, chain_hash, subject, at, action FROM records"
        ).fetchall()
    ledger.close()
    bare_db = sqlite3.connect(folder / "bare.db", isolation_level=None)
    bare_db.execute("PRAGMA journal_mode = WAL")
    bare_db.execute("PRAGMA synchronous = FULL")
    bare_db.execute(
        "CREATE TABLE records (seq BIGINT PRIMARY KEY, body BLOB, chain_hash BLOB, "
        "subject TEXT, at TEXT, action TEXT)"
    )

    def bare_loop() -> None:
        for row in stored:
            bare_db.execute("BEGIN")
            bare_db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", row)
            bare_db.execute("COMMIT")

    bare = _rate(APPENDS, bare_loop)
    bare_db.close()
    ratio = ours / bare
    print(f"append, SQLite, one record per transaction ({APPENDS} records, synchronous=FULL)")
    print(f"  bare sqlite3 insert+commit  {bare:9.0f} /s   baseline")
    print(f"  Ledger.append               {ours:9.0f} /s   {ratio:.2f}x")
    print(f"  target >= 0.7x: {_verdict(ratio >= 0.7)}")


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

        def run(shared: bool, url: str) -> float:
            ledgers = [Ledger.open(url, key=KEY)]
            if not shared:
                ledgers += [Ledger.open(url, key=KEY) for _ in range(writers - 1)]
            per = PG_APPENDS // writers
            work = [
                (ledgers[0 if shared else i], _entries(ledgers[0], per)) for i in range(writers)
            ]

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
            assert report.size == per * writers
            for ledger in ledgers:
                ledger.close()
            return rate

        single = run(False, pg.create_database("one_per_txn"))
        grouped = run(True, pg.create_database("group_commit"))
        batch_s, entry = _batch_write_seconds(pg.create_database("batch"), writers)
    handoff_s = _handoff_seconds(writers, entry)
    ratio = grouped / single
    ceiling = writers / (batch_s + handoff_s)
    print(
        f"append, PostgreSQL, {writers} concurrent writers ({PG_APPENDS} records, chain verified)"
    )
    print(f"  one transaction per record  {single:9.0f} /s   baseline")
    print(f"  group commit                {grouped:9.0f} /s   {ratio:.2f}x")
    print(f"  target >= 5x: {_verdict(ratio >= 5)}")
    # Each writer has one record in flight: a batch can't start before the last one's
    # writers have their receipts and come back. The floor is that cycle.
    print(
        f"  floor: a batch of {writers} commits in {batch_s * 1000:.2f} ms, and {writers} threads"
    )
    print(f"    hand over to the next in {handoff_s * 1000:.2f} ms (a no-op write): at most")
    print(
        f"    {ceiling:.0f} /s, {ceiling / single:.2f}x, for writers that wait for their receipts"
    )


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
    from consentkit.ledger._records import Receipt

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
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post_latencies(folder: Path, ledger_url: str) -> list[float]:
    import httpx

    port = _free_port()
    env = {
        **os.environ,
        "BENCH_LEDGER": ledger_url,
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
    off = _post_latencies(folder, "")
    on = _post_latencies(folder, f"sqlite:///{folder / 'post.db'}")
    off_ms, on_ms = statistics.median(off) * 1000, statistics.median(on) * 1000
    ratio = on_ms / off_ms
    print(f"consent POST under gunicorn ({POSTS} sequential requests, median latency)")
    print(f"  ledger off                  {off_ms:9.2f} ms  baseline")
    print(f"  SQLite ledger on            {on_ms:9.2f} ms  {ratio:.2f}x")
    print(f"  target <= 1.3x: {_verdict(ratio <= 1.3)}")
    # No receipt before its record is durable: one flush to disk is the least a POST adds.
    commit_ms = _durable_commit_seconds(folder) * 1000
    floor = (off_ms + commit_ms) / off_ms
    print(f"  floor: one bare durable sqlite3 commit on this disk takes {commit_ms:.2f} ms:")
    print(f"    {off_ms + commit_ms:.2f} ms, {floor:.2f}x; the ledger adds {on_ms - off_ms:.2f} ms")


def _durable_commit_seconds(folder: Path) -> float:
    """Median time of one insert-and-commit with the ledger's pragmas, on the same disk."""
    db = sqlite3.connect(folder / "commit.db", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, body BLOB)")
    times = []
    for seq in range(POSTS):
        start = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO t VALUES (?, ?)", (seq, b"x" * 600))
        db.execute("COMMIT")
        times.append(time.perf_counter() - start)
    db.close()
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as name:
        folder = Path(name)
        append_sqlite(folder)
        verify_sqlite(folder)
        append_postgres()
        post_under_gunicorn(folder)


if __name__ == "__main__":
    main()
