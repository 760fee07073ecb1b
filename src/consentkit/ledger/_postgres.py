"""The shared backend: a PostgreSQL server, through psycopg 3.

For sites on many app servers. Each append transaction starts with
``SELECT ... FROM head FOR UPDATE``: the head row's lock orders writers from every
process and server into one chain, and the commit (``synchronous_commit`` as the
server has it, ``on`` by default) comes before any receipt. Reads use the
``REPEATABLE READ`` isolation level so ``verify`` sees one snapshot.

A process that is the chain's only writer skips the lock: see :meth:`PostgresStore.write`.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from consentkit.exceptions import ConfigurationError, LedgerError, LedgerUnavailable
from consentkit.ledger._records import Entry, Receipt
from consentkit.ledger._store import COLUMNS, Store

__all__ = ["PostgresStore"]

try:
    import psycopg
except ImportError:  # pragma: no cover - depends on the extra being installed
    psycopg = None  # type: ignore[assignment]

_ROW = "(%s, %s, %s, %s, %s, %s, %s)"
#: Moves the head only from where this process left it, and adds the rows only if it
#: moved: one statement, committed on its own, instead of four round trips.
_IF_HEAD = (
    "WITH moved AS (UPDATE head SET size = %s, chain_hash = %s "
    "WHERE id = 1 AND size = %s AND chain_hash = %s RETURNING 1), "
    "added AS (INSERT INTO records ({columns}) "
    "SELECT * FROM (VALUES {values}) AS batch WHERE EXISTS (SELECT FROM moved)) "
    "SELECT count(*) FROM moved"
)

#: How long a connection attempt may take before the ledger counts as down.
CONNECT_TIMEOUT_S = 5


class PostgresStore(Store):
    blob = "BYTEA"
    lock_head = "SELECT size, chain_hash FROM head WHERE id = 1 FOR UPDATE"
    mark = "%s"

    def __init__(self, url: str, *, origin: str | None = None) -> None:
        if psycopg is None:
            raise ConfigurationError(
                "a postgresql:// ledger needs psycopg: pip install 'consentkit[postgres]'"
            )
        super().__init__()
        self.url = url
        self._local = threading.local()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._all: list[Any] = []
        # Reentrant: :meth:`write` holds it around :meth:`_write`, which takes it too.
        self._write_lock = threading.RLock()
        # (the process that opened it, the connection): a forked child opens its own.
        self._writer: tuple[int, Any] = (0, None)
        # Where this process's last write left the head; ``None`` when unknown (at first,
        # after an error).
        self._left: _Left | None = None
        with self._errors("open"):
            conn = self._connect()
            with conn.transaction():
                # Two processes creating the tables at once would race: one at a time.
                conn.execute("SELECT pg_advisory_xact_lock(7140812)")
                self.create(conn, datetime.now(UTC), origin)

    def _connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._pid == os.getpid() and not conn.closed:
            return conn
        conn = self._local.conn = self._open()
        return conn

    def _open(self) -> Any:
        self._pid = os.getpid()
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        where = _redacted(self.url)
        try:
            yield
        except psycopg.Error as exc:
            # A broken connection is opened afresh on the next call.
            conn = getattr(self._local, "conn", None)
            if conn is not None and conn.broken:
                self._local.conn = None
            if doing in ("write", "open"):
                raise LedgerUnavailable(f"the ledger at {where} can't be written: {exc}") from exc
            raise LedgerError(f"the ledger at {where} can't be read: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._write_lock, self._errors("write"), self._writer_conn().transaction():
            yield self._writer[1]

    def _writer_conn(self) -> Any:
        # Writes take turns on the head's row lock anyway: they share one connection, so
        # whichever thread leads a batch finds a warm server process with its statements
        # prepared, instead of waking the connection it last used.
        pid, conn = self._writer
        if conn is None or conn.closed or conn.broken or pid != os.getpid():
            conn = self._open()
            self._writer = (os.getpid(), conn)
        return conn

    def write(self, entries: Sequence[Entry], now: datetime) -> list[Receipt]:
        """Append in one transaction, locking the head; or, while this process is the
        only writer, in one statement that moves the head only from where it left it.

        Each round trip inside the locked transaction delays every writer: four of them
        (begin, lock, insert, commit) cost a batch about as much as its commit does.
        A process that found the head where it had left it, twice running, writes alone
        (one app server, or a quiet site) and tries the single statement. If another
        writer moved the head meanwhile, that statement changes nothing, and the batch
        takes the lock as usual; so do batches that need another statement first.
        """
        pid = os.getpid()
        with self._write_lock:
            left, self._left = self._left, None  # unknown until this write ends well
            if left is not None and left.pid != pid:  # a forked child
                left = None
            if (
                left is not None
                and left.alone
                and entries
                and all(map(self.needs_no_statement, entries))
            ):
                receipts, rows, head = self.chain_entries(None, entries, left.head, now, [])
                if self._insert_if_head(rows, left.head, head):
                    self._left = _Left(pid, head, alone=True)
                    return receipts
            receipts, start, head = self.write_locked(entries, now)
            self._left = _Left(pid, head, alone=left is not None and left.head == start)
            return receipts

    def _insert_if_head(
        self, rows: list[tuple[Any, ...]], start: tuple[int, bytes], head: tuple[int, bytes]
    ) -> bool:
        """Whether the head was at ``start``, and now is at ``head`` with ``rows`` added:
        both or neither, committed before this returns (the connection autocommits)."""
        sql = _IF_HEAD.format(columns=COLUMNS, values=", ".join([_ROW] * len(rows)))
        with self._errors("write"):
            moved = self._writer_conn().execute(
                sql, [*head, *start, *itertools.chain.from_iterable(rows)]
            )
            return bool(moved.fetchone()[0])

    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self._errors("read"):
            conn = self._connect()
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _stream(self, conn: Any, sql: str, params: Sequence[Any]) -> Iterator[Sequence[Any]]:
        # A server-side cursor: a large ledger is read in pages, not into memory.
        with conn.cursor(name="consentkit_scan") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql, params)
            yield from cursor

    def _insert(self, conn: Any, rows: list[tuple[Any, ...]], size: int, head: bytes) -> None:
        # One statement, one round trip, for the whole batch and the head: the head's row
        # lock is held until the commit, so every round trip inside it delays every writer.
        values = ", ".join([_ROW] * len(rows))
        conn.execute(
            f"WITH added AS (INSERT INTO records ({COLUMNS}) VALUES {values}) "  # noqa: S608
            "UPDATE head SET size = %s, chain_hash = %s WHERE id = 1",
            [*itertools.chain.from_iterable(rows), size, head],
        )

    def _tables(self, conn: Any) -> set[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        return {row[0] for row in rows}

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
            self._writer = (0, None)
        for conn in conns:
            conn.close()
        self._local = threading.local()


class _Left(NamedTuple):
    """Where a process's write left the head."""

    pid: int
    head: tuple[int, bytes]
    #: Whether the head was where this process's write before had left it: nobody else
    #: wrote between the two.
    alone: bool


def _redacted(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
