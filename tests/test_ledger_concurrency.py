"""Many processes, one chain; killed processes lose nothing they acknowledged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from consentkit import Catalogue, LedgerError
from consentkit.ledger import Ledger
from tests.helpers import EXAMPLE_CATALOGUE, ROOT
from tests.ledger_support import KEY, OTHER_NOTICE, decision


def _worker(url: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger_worker", url, str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _receipts(output: str) -> list[tuple[int, str]]:
    receipts = []
    for line in output.splitlines():
        seq, _, chain = line.partition(" ")
        if len(chain) == 64:  # a line cut by the kill was never complete: not acknowledged
            receipts.append((int(seq), chain))
    return receipts


def _assert_all_kept(ledger: Ledger, receipts: list[tuple[int, str]]) -> None:
    for seq, chain in receipts:
        record = ledger.record(seq)
        assert record is not None, f"acknowledged record {seq} is gone"
        assert record.chain_hash.hex() == chain


def test_processes_append_one_chain(ledger_url: str) -> None:
    """Four processes appending at once give one gapless, valid chain with all their records."""
    Ledger.open(ledger_url, key=KEY).close()
    workers = [_worker(ledger_url, 15) for _ in range(4)]
    receipts = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        receipts += _receipts(out)
    assert sorted(seq for seq, _ in receipts) == list(range(1, 61))
    with Ledger.open(ledger_url, key=KEY) as ledger:
        report = ledger.verify()
        assert report.ok, report.problems
        assert report.size == 60
        _assert_all_kept(ledger, receipts)


@pytest.mark.parametrize("kills", [20])
def test_sigkill_loses_no_acknowledged_record(ledger_url: str, kills: int) -> None:
    """SIGKILLed at random moments, a writer loses none of the receipts it printed."""
    Ledger.open(ledger_url, key=KEY).close()
    rng = random.Random(11)  # noqa: S311  # kill moments, not secrets
    receipts: list[tuple[int, str]] = []
    for _ in range(kills):
        worker = _worker(ledger_url, 0)
        assert worker.stdout is not None
        receipts += _receipts(worker.stdout.readline())  # running: it has appended once
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(worker.pid, signal.SIGKILL)
        out, _ = worker.communicate(timeout=30)
        receipts += _receipts(out)
    with Ledger.open(ledger_url, key=KEY) as ledger:
        report = ledger.verify()
        assert report.ok, report.problems
        _assert_all_kept(ledger, receipts)
        assert report.size >= len(receipts)
        seqs = [seq for seq, _ in receipts]
        assert len(set(seqs)) == len(seqs)


def test_lost_database_file_is_not_a_ledger(tmp_path: Path) -> None:
    """Opening a missing ledger for reading (the CLI) names it, instead of making one."""
    with pytest.raises(LedgerError, match="no ledger"):
        Ledger.open(f"sqlite:///{tmp_path / 'nothing.db'}", create=False)


def test_forked_child_writes_on_a_connection_of_its_own(ledger_url: str) -> None:
    """A ledger opened before a fork (gunicorn --preload) keeps working on both sides:
    the child never writes on the connection its parent holds, and the chain stays one."""
    catalogue = Catalogue.from_file(EXAMPLE_CATALOGUE)
    ledger = Ledger.open(ledger_url, key=KEY)
    for _ in range(3):  # the parent's connections are open, and it has written alone
        ledger.append(decision(ledger, catalogue)[1])
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which exits here
        code = 1
        try:
            for _ in range(5):
                ledger.append(decision(ledger, catalogue)[1])
            code = 0
        finally:
            os._exit(code)
    for _ in range(5):
        ledger.append(decision(ledger, catalogue)[1])
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    report = ledger.verify()
    ledger.close()
    assert report.ok, report.problems
    assert report.size == 13


def test_lone_postgres_writer_skips_the_lock_until_another_writes(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that finds the head where it left it appends in one statement; when
    another writer moves the head, that statement adds nothing and the lock is taken."""
    catalogue = Catalogue.from_file(EXAMPLE_CATALOGUE)
    mine = Ledger.open(postgres_url, key=KEY, personal=["user_agent", "ip"])
    other = Ledger.open(postgres_url, key=KEY)
    store: Any = mine._store
    tried: list[bool] = []
    insert_if_head = store._insert_if_head

    def spy(*args: Any) -> bool:
        tried.append(insert_if_head(*args))
        return tried[-1]

    monkeypatch.setattr(store, "_insert_if_head", spy)
    receipts = [mine.append(decision(mine, catalogue)[1]) for _ in range(4)]
    assert tried == [True, True]  # from the third: the second found the head as it was left
    receipts.append(other.append(decision(other, catalogue)[1]))
    receipts.append(mine.append(decision(mine, catalogue)[1]))
    assert tried == [True, True, False]  # the head had moved: nothing added, lock taken
    receipts += [mine.append(decision(mine, catalogue)[1]) for _ in range(2)]
    assert tried == [True, True, False, True]
    # Entries that need a statement first take the lock, alone or not.
    receipts.append(mine.append(decision(mine, catalogue, notice=OTHER_NOTICE)[1]))
    personal: dict[str, str | None] = {"user_agent": "Firefox", "ip": "203.0.113.0/24"}
    receipts.append(mine.append(decision(mine, catalogue, personal=personal)[1]))
    assert tried == [True, True, False, True]
    assert mine.notice(OTHER_NOTICE.digest) == OTHER_NOTICE.body
    assert [r.seq for r in receipts] == list(range(1, 11))
    report = other.verify()
    assert report.ok, report.problems
    records = [other.record(seq) for seq in range(1, 11)]
    assert [r.chain_hash.hex() if r else None for r in records] == [r.chain_hash for r in receipts]
    assert records[-1] is not None
    assert records[-1].fields["sealed"]  # the personal one, sealed under a new key
    mine.close()
    other.close()


def test_group_commit_fails_the_whole_batch_and_hands_on() -> None:
    """Writers that arrive while a batch is written ride the next one; a batch whose
    write fails fails every writer in it and no other, and the lead passes on: every
    thread comes back, with a receipt or with the error."""
    from consentkit.ledger._group import GroupCommit
    from consentkit.ledger._records import Receipt

    written: list[list[int]] = []

    def write(entries: Any) -> list[Receipt]:
        time.sleep(0.002)  # long enough for the other threads to queue up
        ids = [id(e) for e in entries]
        written.append(ids)
        if bad_id in ids:
            raise RuntimeError("disk full")
        return [Receipt(i, "", "") for i in ids]

    group = GroupCommit(write)
    entries = [object() for _ in range(40)]
    bad_id = id(entries[17])
    results: dict[int, object] = {}

    def work(entry: Any) -> None:
        try:
            results[id(entry)] = group.append(entry).seq
        except RuntimeError as exc:
            results[id(entry)] = exc

    threads = [threading.Thread(target=work, args=(e,)) for e in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    failed = next(batch for batch in written if bad_id in batch)
    assert len(written) < len(entries)  # batched
    for entry in entries:
        if id(entry) in failed:
            assert isinstance(results[id(entry)], RuntimeError)
        else:
            assert results[id(entry)] == id(entry)
