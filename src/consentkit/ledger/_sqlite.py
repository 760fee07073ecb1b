"""The embedded backend: one SQLite file, WAL, ``synchronous=FULL``.

WAL lets readers (``verify``, ``proof``) run beside the writer; ``synchronous=FULL``
syncs the log on every commit, so a receipt is never handed out for a record a power
cut could still take back. ``BEGIN IMMEDIATE`` takes the database's write lock
before the head is read, so processes sharing the file append one chain.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from consentkit.exceptions import LedgerError, LedgerUnavailable
from consentkit.ledger._store import Store

__all__ = ["SQLiteStore"]

#: How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 5000


class SQLiteStore(Store):
    def __init__(self, path: str, *, create: bool = True, origin: str | None = None) -> None:
        super().__init__()
        self.path = path
        self._local = threading.local()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        if not create and not os.path.exists(path):
            raise LedgerError(f"no ledger at {path}")
        with self._connection_errors("open"):
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                self.create(conn, datetime.now(UTC), origin)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection; a forked child opens its own."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._pid == os.getpid():
            return conn
        self._pid = os.getpid()
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def _connection_errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and doing == "write":
                raise LedgerUnavailable(
                    f"the ledger at {self.path} can't be written: {exc}"
                ) from exc
            if doing == "write":
                raise LedgerUnavailable(f"the ledger at {self.path} failed: {exc}") from exc
            raise LedgerError(f"the ledger at {self.path} can't be read: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._connection_errors("write"):
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full) leaves the transaction open: end it.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self._connection_errors("read"):
            conn = self._connect()
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _stream(self, conn: Any, sql: str, params: Sequence[Any]) -> Iterator[Sequence[Any]]:
        cursor: Iterator[Sequence[Any]] = conn.execute(sql, params)
        return cursor

    def _tables(self, conn: Any) -> set[str]:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {row[0] for row in rows}

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
