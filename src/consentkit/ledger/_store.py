"""The ledger's tables and SQL, shared by the SQLite and PostgreSQL backends.

Tables: ``meta`` (schema version), ``head`` (one row: the chain's size and hash, and
where it starts after pruning), ``records`` (canonical bytes and chain hash per
sequence number), ``notices`` (content-addressed), ``subject_keys`` (the sealing
keys, erasable) and ``checkpoints``. Every append runs in one transaction that
first locks the head row, so writers from any number of processes form one chain.
"""

from __future__ import annotations

import abc
import secrets
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from consentkit.exceptions import LedgerSchemaError
from consentkit.ledger._canonical import (
    GENESIS,
    canonical_with,
    chain_hash,
    from_canonical,
    iso_micro,
    leaf_hash,
)
from consentkit.ledger._records import Entry, Receipt, StoredRecord
from consentkit.ledger._seal import new_key, seal

__all__ = ["COLUMNS", "SCHEMA_VERSION", "Head", "Store"]

SCHEMA_VERSION = "1"
COLUMNS = "seq, body, chain_hash, subject, at, action, spool_id"
_INSERT = f"INSERT INTO records ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_MAGIC = "consentkit-ledger"


class Head(tuple[int, bytes, int, bytes]):
    """``(size, chain hash, first stored seq, chain hash before it)``."""

    __slots__ = ()

    @property
    def size(self) -> int:
        return self[0]

    @property
    def hash(self) -> bytes:
        return self[1]

    @property
    def base_seq(self) -> int:
        return self[2]

    @property
    def base_hash(self) -> bytes:
        return self[3]


class Store(abc.ABC):
    """The SQL common to both backends; subclasses bring connections and transactions."""

    #: Column type for binary data.
    blob = "BLOB"
    #: The head's SELECT inside a write transaction, which must hold the head still.
    lock_head = "SELECT size, chain_hash FROM head WHERE id = 1"
    #: The placeholder of the driver's paramstyle.
    mark = "?"

    def __init__(self) -> None:
        # Notices already in the table: each is stored once, most requests skip the insert.
        self.notices_seen: set[str] = set()

    # -- what a backend provides --------------------------------------------------

    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[Any]:
        """A connection in a write transaction, committed (durably) on exit."""

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[Any]:
        """A connection for reading, in one consistent snapshot."""

    @abc.abstractmethod
    def _stream(self, conn: Any, sql: str, params: Sequence[Any]) -> Iterator[Sequence[Any]]:
        """The rows of a query, without loading them all at once."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def _sql(self, sql: str) -> str:
        return sql if self.mark == "?" else sql.replace("?", self.mark)

    # -- schema -------------------------------------------------------------------

    def _schema(self) -> list[str]:
        b = self.blob
        return [
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            f"""CREATE TABLE IF NOT EXISTS head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                size BIGINT NOT NULL,
                chain_hash {b} NOT NULL,
                base_seq BIGINT NOT NULL,
                base_hash {b} NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS records (
                seq BIGINT PRIMARY KEY,
                body {b} NOT NULL,
                chain_hash {b} NOT NULL,
                subject TEXT,
                at TEXT NOT NULL,
                action TEXT NOT NULL,
                spool_id TEXT)""",
            "CREATE INDEX IF NOT EXISTS records_subject ON records (subject)",
            # Only records replayed from a spool have an id: the others cost the index nothing.
            "CREATE UNIQUE INDEX IF NOT EXISTS records_spool ON records (spool_id) "
            "WHERE spool_id IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS records_at ON records (at)",
            f"CREATE TABLE IF NOT EXISTS notices (digest TEXT PRIMARY KEY, body {b} NOT NULL)",
            f"""CREATE TABLE IF NOT EXISTS subject_keys (
                subject TEXT PRIMARY KEY, key {b} NOT NULL, created_at TEXT NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS checkpoints (
                size BIGINT NOT NULL, note TEXT NOT NULL, created_at TEXT NOT NULL,
                PRIMARY KEY (size, note))""",
        ]

    def create(self, conn: Any, now: datetime, origin: str | None = None) -> None:
        """Make the tables of an empty database, or check those of an existing one."""
        found = self._version(conn)
        if found is not None:
            if found != SCHEMA_VERSION:
                raise LedgerSchemaError(
                    f"the ledger's schema is version {found}; this consentkit reads "
                    f"version {SCHEMA_VERSION}",
                    found,
                )
            return
        for statement in self._schema():
            conn.execute(statement)
        q = self._sql
        conn.execute(
            q(
                "INSERT INTO meta (key, value) VALUES (?, ?), (?, ?), (?, ?), (?, ?) "
                "ON CONFLICT DO NOTHING"
            ),
            (
                "format",
                _MAGIC,
                "schema",
                SCHEMA_VERSION,
                "created_at",
                iso_micro(now),
                # The checkpoints' origin line: unique to this ledger, fixed at birth.
                "origin",
                origin or f"consentkit.ledger/{secrets.token_hex(8)}",
            ),
        )
        conn.execute(
            q(
                "INSERT INTO head (id, size, chain_hash, base_seq, base_hash) "
                "VALUES (1, 0, ?, 1, ?) ON CONFLICT DO NOTHING"
            ),
            (GENESIS, GENESIS),
        )

    def _version(self, conn: Any) -> str | None:
        tables = self._tables(conn)
        if not tables:
            return None
        if "meta" not in tables:
            raise LedgerSchemaError("the database holds tables but is not a consentkit ledger")
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if rows.get("format") != _MAGIC:
            raise LedgerSchemaError("the database's meta table is not a consentkit ledger's")
        version: str | None = rows.get("schema")
        return version

    @abc.abstractmethod
    def _tables(self, conn: Any) -> set[str]: ...

    # -- writing ------------------------------------------------------------------

    def write(self, entries: Sequence[Entry], now: datetime) -> list[Receipt]:
        """Append entries in one transaction; the receipts are valid once it returns."""
        return self.write_locked(entries, now)[0]

    def write_locked(
        self, entries: Sequence[Entry], now: datetime
    ) -> tuple[list[Receipt], tuple[int, bytes], tuple[int, bytes]]:
        """:meth:`write`, in a transaction that holds the head from the start; also gives
        where the head was found, and where it was left."""
        notices: list[str] = []
        with self._write() as conn:
            size, prev = conn.execute(self.lock_head).fetchone()
            start = (size, bytes(prev))
            receipts, rows, head = self.chain_entries(conn, entries, start, now, notices)
            if rows:
                self._insert(conn, rows, *head)
        self.notices_seen.update(notices)
        return receipts, start, head

    def chain_entries(
        self,
        conn: Any,
        entries: Sequence[Entry],
        head: tuple[int, bytes],
        now: datetime,
        notices: list[str],
    ) -> tuple[list[Receipt], list[tuple[Any, ...]], tuple[int, bytes]]:
        """The receipts and rows of ``entries`` chained after ``head``, and the new head.

        ``conn`` runs the statements an entry may need first (see :meth:`needs_no_statement`).
        """
        q = self._sql
        size, prev = head
        at = iso_micro(now)
        receipts: list[Receipt] = []
        rows = []
        for entry in entries:
            if entry.spool_id is not None:
                # A replay after a crash between the commit and the spool's truncation.
                done = conn.execute(
                    q("SELECT seq, chain_hash, at FROM records WHERE spool_id = ?"),
                    (entry.spool_id,),
                ).fetchone()
                if done is not None:
                    receipts.append(Receipt(done[0], bytes(done[1]).hex(), done[2]))
                    continue
            size += 1
            subject = entry.subject
            sealed = None
            if entry.personal is not None and subject is not None:
                sealed = seal(self._subject_key(conn, subject, at), subject, entry.personal)
            spool = {"id": entry.spool_id, "at": entry.spooled_at} if entry.spool_id else None
            extra = {"seq": size, "at": at, "spool": spool, "sealed": sealed}
            body = canonical_with(entry.encoded, extra)
            prev = chain_hash(prev, leaf_hash(body))
            notice = entry.notice
            if notice.digest not in self.notices_seen and notice.digest not in notices:
                conn.execute(
                    q("INSERT INTO notices (digest, body) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                    (notice.digest, notice.body),
                )
                notices.append(notice.digest)
            rows.append((size, body, prev, subject, at, entry.fields["action"], entry.spool_id))
            receipts.append(Receipt(size, prev.hex(), at))
        return receipts, rows, (size, prev)

    def needs_no_statement(self, entry: Entry) -> bool:
        """Whether :meth:`chain_entries` runs no statement for ``entry``: no spool replay to
        look up, no subject key to fetch, no new notice to store."""
        return (
            entry.spool_id is None
            and (entry.personal is None or entry.subject is None)
            and entry.notice.digest in self.notices_seen
        )

    def _insert(self, conn: Any, rows: list[tuple[Any, ...]], size: int, head: bytes) -> None:
        """Insert the records' rows and move the head past them."""
        conn.cursor().executemany(self._sql(_INSERT), rows)
        conn.execute(
            self._sql("UPDATE head SET size = ?, chain_hash = ? WHERE id = 1"), (size, head)
        )

    def _subject_key(self, conn: Any, subject: str, at: str) -> bytes:
        q = self._sql
        row = conn.execute(
            q("SELECT key FROM subject_keys WHERE subject = ?"), (subject,)
        ).fetchone()
        if row is not None:
            return bytes(row[0])
        key = new_key()
        conn.execute(
            q("INSERT INTO subject_keys (subject, key, created_at) VALUES (?, ?, ?)"),
            (subject, key, at),
        )
        return key

    # -- reading ------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        with self._read() as conn:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())

    def head(self) -> Head:
        with self._read() as conn:
            return self._head(conn)

    def _head(self, conn: Any) -> Head:
        row = conn.execute(
            "SELECT size, chain_hash, base_seq, base_hash FROM head WHERE id = 1"
        ).fetchone()
        if row is None:
            raise LedgerSchemaError("the ledger has lost its head row")
        return Head((row[0], bytes(row[1]), row[2], bytes(row[3])))

    @contextmanager
    def scan(self) -> Iterator[tuple[Head, Iterator[Sequence[Any]]]]:
        """The head and every record ``(seq, body, chain_hash)`` in order, in one snapshot."""
        with self._read() as conn:
            head = self._head(conn)
            yield (
                head,
                self._stream(conn, "SELECT seq, body, chain_hash FROM records ORDER BY seq", ()),
            )

    def records_of(self, subjects: Sequence[str]) -> list[StoredRecord]:
        if not subjects:
            return []
        q = self._sql
        marks = ", ".join("?" * len(subjects))
        with self._read() as conn:
            rows = conn.execute(
                q(
                    f"SELECT seq, body, chain_hash FROM records WHERE subject IN ({marks}) "  # noqa: S608
                    "ORDER BY seq"
                ),
                tuple(subjects),
            ).fetchall()
        return [_stored(row) for row in rows]

    def records_previous_to(self, subject: str) -> list[str]:
        """Subjects a record of ``subject`` says it replaced."""
        return [
            r.fields["previous"] for r in self.records_of([subject]) if r.fields.get("previous")
        ]

    def record(self, seq: int) -> StoredRecord | None:
        with self._read() as conn:
            row = conn.execute(
                self._sql("SELECT seq, body, chain_hash FROM records WHERE seq = ?"), (seq,)
            ).fetchone()
        return None if row is None else _stored(row)

    def notice(self, digest: str) -> bytes | None:
        with self._read() as conn:
            row = conn.execute(
                self._sql("SELECT body FROM notices WHERE digest = ?"), (digest,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def notices(self) -> dict[str, bytes]:
        with self._read() as conn:
            rows = conn.execute("SELECT digest, body FROM notices").fetchall()
        return {digest: bytes(body) for digest, body in rows}

    def subject_key(self, subject: str) -> bytes | None:
        with self._read() as conn:
            row = conn.execute(
                self._sql("SELECT key FROM subject_keys WHERE subject = ?"), (subject,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def checkpoints(self) -> list[str]:
        with self._read() as conn:
            rows = conn.execute("SELECT note FROM checkpoints ORDER BY size, created_at").fetchall()
        return [row[0] for row in rows]

    def select(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The rows of read-only queries (``?`` placeholders), all in one snapshot."""
        with self._read() as conn:
            return [
                [tuple(row) for row in conn.execute(self._sql(sql), tuple(params)).fetchall()]
                for sql, params in queries
            ]

    def stats(self) -> list[tuple[str, str, int]]:
        """``(day, action, count)`` for every day with records."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT substr(at, 1, 10) AS day, action, count(*) FROM records "
                "GROUP BY day, action ORDER BY day, action"
            ).fetchall()
        return [(day, action, int(count)) for day, action, count in rows]

    # -- maintenance --------------------------------------------------------------

    def add_checkpoint(self, note: str, now: datetime, size: int) -> None:
        with self._write() as conn:
            conn.execute(
                self._sql(
                    "INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING"
                ),
                (size, note, iso_micro(now)),
            )

    def erase(self, subjects: Sequence[str]) -> int:
        q = self._sql
        count = 0
        with self._write() as conn:
            for subject in subjects:
                cursor = conn.execute(q("DELETE FROM subject_keys WHERE subject = ?"), (subject,))
                count += max(cursor.rowcount, 0)
        return count

    def prune(self, before: str) -> int:
        """Remove records written before ``before`` (ISO UTC); the chain restarts at the cut.

        The head keeps the chain hash just before the first kept record, so what is
        left still verifies, and so do checkpoints taken after the cut.
        """
        q = self._sql
        with self._write() as conn:
            _size, _ = conn.execute(self.lock_head).fetchone()
            last = conn.execute(
                q("SELECT max(seq) FROM records WHERE at < ?"), (before,)
            ).fetchone()[0]
            if last is None:
                return 0
            cut = conn.execute(
                q("SELECT chain_hash FROM records WHERE seq = ?"), (last,)
            ).fetchone()
            removed = conn.execute(q("DELETE FROM records WHERE seq <= ?"), (last,)).rowcount
            conn.execute(
                q("UPDATE head SET base_seq = ?, base_hash = ? WHERE id = 1"),
                (last + 1, bytes(cut[0])),
            )
            # Keys of subjects with no record left protect nothing: drop them too.
            conn.execute(
                "DELETE FROM subject_keys WHERE subject NOT IN "
                "(SELECT subject FROM records WHERE subject IS NOT NULL)"
            )
        return int(removed)


def _stored(row: Sequence[Any]) -> StoredRecord:
    body = row[1].encode() if isinstance(row[1], str) else bytes(row[1])
    return StoredRecord(int(row[0]), body, bytes(row[2]), from_canonical(body))
