"""A durable local spool for refusals and withdrawals made while the ledger is down.

A refusal or a withdrawal is honoured at once whatever the ledger's state: the
visitor's "no" can't wait for a database. Its record is appended to a file on this
server and synced to disk before the response goes out, then replayed in order into
the chain on the next successful write. Each line carries an id that the record
keeps, so a replay interrupted after its commit never writes a record twice.
Processes sharing the file take an exclusive ``flock`` to append or to replay.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from consentkit.exceptions import LedgerError
from consentkit.ledger._records import Entry, Receipt

__all__ = ["Spool"]


class Spool:
    def __init__(self, path: str) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[int]:
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def add(self, entry: Entry) -> None:
        """Write an entry durably; raises :class:`LedgerError` when even that fails."""
        line = json.dumps(entry.to_spool(), separators=(",", ":"), ensure_ascii=False) + "\n"
        try:
            with self._locked() as fd:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
        except OSError as exc:
            raise LedgerError(f"the spool {self.path} can't be written: {exc}") from exc

    def pending(self) -> bool:
        try:
            return os.path.getsize(self.path) > 0
        except OSError:
            return False

    def replay(self, write: Callable[[Sequence[Entry]], list[Receipt]]) -> int:
        """Append every spooled entry, in order, then empty the spool; returns how many.

        When ``write`` fails the spool is left as it was, for the next attempt.
        """
        with self._locked() as fd:
            with open(self.path, encoding="utf-8") as file:
                lines = [line for line in file.read().splitlines() if line.strip()]
            if not lines:
                return 0
            # A torn last line (the process died mid-write, before its fsync and so
            # before any response) was never acknowledged: it is dropped.
            entries = []
            for number, line in enumerate(lines, 1):
                try:
                    entries.append(Entry.from_spool(json.loads(line)))
                except (ValueError, KeyError, TypeError):
                    if number < len(lines):
                        raise LedgerError(
                            f"line {number} of the spool {self.path} is corrupt; "
                            "the spool is kept as it is"
                        ) from None
            if entries:
                write(entries)
            os.ftruncate(fd, 0)
            os.fsync(fd)
            return len(entries)
