"""The shared backend: a PostgreSQL server, through psycopg 3.

For sites on many app servers. Each append transaction starts with
``SELECT ... FROM head FOR UPDATE``: the head row's lock orders writers from every
process and server into one chain, and the commit (``synchronous_commit`` as the
server has it, ``on`` by default) comes before any receipt. Reads use the
``REPEATABLE READ`` isolation level so ``verify`` sees one snapshot.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from consentkit.exceptions import ConfigurationError, LedgerError, LedgerUnavailable
from consentkit.ledger._store import Store

__all__ = ["PostgresStore"]

try:
    import psycopg
except ImportError:  # pragma: no cover - depends on the extra being installed
    psycopg = None  # type: ignore[assignment]

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
        self._pid = os.getpid()
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        self._local.conn = conn
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
        with self._errors("write"):
            conn = self._connect()
            with conn.transaction():
                yield conn

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

    def _tables(self, conn: Any) -> set[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        return {row[0] for row in rows}

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def _redacted(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
