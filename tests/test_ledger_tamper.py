"""``verify`` catches every kind of tampering, and names the first bad record.

Hypothesis picks a record and a way to tamper with it, as someone with write
access to the database would: edit a field, delete, insert or swap rows, cut the
tail (and fix the head to match), rewrite the chain from there on, or forge a
checkpoint's signature. A published checkpoint covers the whole ledger.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit import Catalogue
from consentkit.ledger import CheckpointSigner, Ledger
from consentkit.ledger._canonical import GENESIS, canonical, chain_hash, from_canonical, leaf_hash
from tests.ledger_support import KEY, NOTICE, OTHER_NOTICE, decision, sqlite_url

SIZE = 8
SIGNER = CheckpointSigner("tamper-test", bytes(range(32)))

Tamper = Callable[[sqlite3.Connection, int], None]


@pytest.fixture(scope="module")
def template(catalogue: Catalogue) -> Iterator[Path]:
    """A ledger of SIZE records and a checkpoint of all of them, copied for each example."""
    folder = Path(tempfile.mkdtemp())
    with Ledger.open(sqlite_url(folder), key=KEY) as ledger:
        for i in range(SIZE):
            notice = NOTICE if i % 2 else OTHER_NOTICE
            ledger.append(decision(ledger, catalogue, notice=notice)[1])
        ledger.checkpoint(SIGNER)
    with sqlite3.connect(folder / "ledger.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield folder / "ledger.db"
    shutil.rmtree(folder)


def _body(conn: sqlite3.Connection, seq: int) -> dict[str, object]:
    row = conn.execute("SELECT body FROM records WHERE seq = ?", (seq,)).fetchone()
    body: dict[str, object] = from_canonical(row[0])
    return body


def _rechain(conn: sqlite3.Connection) -> None:
    """Recompute every stored chain hash and the head: a consistent forgery."""
    prev = GENESIS
    size = 0
    for seq, body in conn.execute("SELECT seq, body FROM records ORDER BY seq").fetchall():
        prev = chain_hash(prev, leaf_hash(body))
        conn.execute("UPDATE records SET chain_hash = ? WHERE seq = ?", (prev, seq))
        size = seq
    conn.execute("UPDATE head SET size = ?, chain_hash = ?", (size, prev))


def change_field(conn: sqlite3.Connection, seq: int) -> None:
    body = _body(conn, seq)
    body["action"] = "refuse_all" if body["action"] == "accept_all" else "accept_all"
    conn.execute("UPDATE records SET body = ? WHERE seq = ?", (canonical(body), seq))


def change_and_rechain(conn: sqlite3.Connection, seq: int) -> None:
    change_field(conn, seq)
    _rechain(conn)


def change_chain_hash(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute("UPDATE records SET chain_hash = ? WHERE seq = ?", (bytes(32), seq))


def reencode(conn: sqlite3.Connection, seq: int) -> None:
    body = _body(conn, seq)
    conn.execute("UPDATE records SET body = ? WHERE seq = ?", (repr(body).encode(), seq))


def delete_row(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute("DELETE FROM records WHERE seq = ?", (seq,))


def swap_rows(conn: sqlite3.Connection, seq: int) -> None:
    other = seq + 1 if seq < SIZE else seq - 1
    a = conn.execute("SELECT body, chain_hash FROM records WHERE seq = ?", (seq,)).fetchone()
    b = conn.execute("SELECT body, chain_hash FROM records WHERE seq = ?", (other,)).fetchone()
    conn.execute("UPDATE records SET body = ?, chain_hash = ? WHERE seq = ?", (*b, seq))
    conn.execute("UPDATE records SET body = ?, chain_hash = ? WHERE seq = ?", (*a, other))


def insert_row(conn: sqlite3.Connection, seq: int) -> None:
    for moved in range(SIZE, seq - 1, -1):
        conn.execute("UPDATE records SET seq = ? WHERE seq = ?", (moved + 1, moved))
    forged = _body(conn, seq + 1)
    forged["action"] = "accept_all"
    conn.execute(
        "INSERT INTO records (seq, body, chain_hash, subject, at, action) "
        "VALUES (?, ?, ?, '', '', 'accept_all')",
        (seq, canonical(forged), bytes(32)),
    )
    conn.execute("UPDATE head SET size = size + 1")


def cut_tail(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute("DELETE FROM records WHERE seq >= ?", (seq,))
    _rechain(conn)
    if seq == 1:
        conn.execute("UPDATE head SET size = 0, chain_hash = ?", (GENESIS,))


def forge_signature(conn: sqlite3.Connection, seq: int) -> None:
    (note,) = conn.execute("SELECT note FROM checkpoints").fetchone()
    body, _, sig = note.partition("\n\n")
    name, blob = sig.rstrip("\n").rsplit(" ", 1)
    flipped = blob[:10] + ("A" if blob[10] != "A" else "B") + blob[11:]
    conn.execute("UPDATE checkpoints SET note = ?", (f"{body}\n\n{name} {flipped}\n",))


def change_notice(conn: sqlite3.Connection, seq: int) -> None:
    digest = _body(conn, seq)["notice"]
    conn.execute("UPDATE notices SET body = ? WHERE digest = ?", (b'{"forged":1}', digest))


#: Each tampering: what it does, the first bad seq verify must name, the kinds it may give.
TAMPERINGS: dict[str, tuple[Tamper, Callable[[int], int], set[str]]] = {
    "changed field": (change_field, lambda s: s, {"changed"}),
    "changed field, chain rewritten": (
        change_and_rechain,
        lambda s: SIZE,
        {"checkpoint_mismatch"},
    ),
    "changed chain hash": (change_chain_hash, lambda s: s, {"changed"}),
    "re-encoded": (reencode, lambda s: s, {"changed"}),
    "deleted row": (delete_row, lambda s: s, {"deleted", "tail_cut"}),
    "swapped rows": (swap_rows, lambda s: s if s < SIZE else s - 1, {"reordered"}),
    "inserted row": (insert_row, lambda s: s, {"inserted", "reordered", "changed"}),
    "tail cut behind a checkpoint": (cut_tail, lambda s: s, {"tail_cut"}),
    "forged checkpoint signature": (forge_signature, lambda s: SIZE, {"checkpoint_signature"}),
    "changed notice": (change_notice, lambda s: 1 if s % 2 else 2, {"notice"}),
}


@given(seq=st.integers(1, SIZE), kind=st.sampled_from(sorted(TAMPERINGS)))
@settings(max_examples=120)
def test_verify_names_the_first_bad_record(template: Path, seq: int, kind: str) -> None:
    """Whatever is tampered with, verify fails and names where it starts, and why."""
    tamper, first_bad, kinds = TAMPERINGS[kind]
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(template, Path(folder) / "ledger.db")
        with sqlite3.connect(Path(folder) / "ledger.db") as conn:
            tamper(conn, seq)
        with Ledger.open(sqlite_url(Path(folder))) as ledger:
            report = ledger.verify([SIGNER.verifier])
    assert not report.ok
    first = report.first
    assert first is not None
    assert (first.seq, first.kind in kinds) == (first_bad(seq), True), report.problems


def test_untampered_copy_verifies(template: Path) -> None:
    """The template itself verifies, checkpoint signature included."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(template, Path(folder) / "ledger.db")
        with Ledger.open(sqlite_url(Path(folder))) as ledger:
            report = ledger.verify([SIGNER.verifier])
    assert report.ok, report.problems
    assert (report.size, report.checkpoints) == (SIZE, 1)


def test_published_checkpoint_catches_a_wholesale_rewrite(template: Path) -> None:
    """A ledger rewritten whole, its stored checkpoints deleted, fails the published one."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(template, Path(folder) / "ledger.db")
        with sqlite3.connect(Path(folder) / "ledger.db") as conn:
            (published,) = conn.execute("SELECT note FROM checkpoints").fetchone()
            change_and_rechain(conn, 3)
            conn.execute("DELETE FROM checkpoints")
        with Ledger.open(sqlite_url(Path(folder))) as ledger:
            assert ledger.verify([SIGNER.verifier]).ok  # unpublished: undetectable
            report = ledger.verify([SIGNER.verifier], [published])
    assert not report.ok
    assert report.first is not None
    assert report.first.kind == "checkpoint_mismatch"
