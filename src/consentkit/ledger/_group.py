"""Group commit: concurrent appends in one process share one transaction.

A commit costs a disk flush (and, for PostgreSQL, a round trip); a busy site
appends faster than one flush per record allows. Threads that append while a
transaction is under way queue their entries; when it ends, the next writer takes
the whole queue as one batch. Nobody's receipt is returned before the transaction
holding their record has committed, and a failed transaction fails every caller in
its batch: no record is ever acknowledged and then lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from consentkit.ledger._records import Entry, Receipt

__all__ = ["GroupCommit"]

#: The most records one transaction takes; the rest wait for the next.
MAX_BATCH = 512
#: How long a leader waits for the writers of its last batch to come back, at most.
#: Without it, the threads a commit just released miss the next batch and batches
#: alternate between full and nearly empty; with it, they ride together (PostgreSQL's
#: ``commit_delay`` is the same idea). Only when more than one writer was seen.
GATHER_S = 0.0005


class _Waiter:
    __slots__ = ("done", "entry", "error", "receipt")

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self.done = False
        self.receipt: Receipt | None = None
        self.error: BaseException | None = None


class GroupCommit:
    def __init__(self, write: Callable[[Sequence[Entry]], list[Receipt]]) -> None:
        self._write = write
        lock = threading.Lock()
        self._cond = threading.Condition(lock)
        # Only the leader waits on this one: an arrival wakes it alone.
        self._gather = threading.Condition(lock)
        self._queue: list[_Waiter] = []
        self._writing = False
        self._last_batch = 1

    def append(self, entry: Entry) -> Receipt:
        me = _Waiter(entry)
        with self._cond:
            self._queue.append(me)
            if len(self._queue) >= self._last_batch:
                # The leader gathering a batch wakes once, when it is complete.
                self._gather.notify()
            # Wait while another thread writes; it may take our entry with its next batch.
            while self._writing and not me.done:
                self._cond.wait()
            if me.done:
                return self._result(me)
            self._writing = True
        # We lead: write batches until our own entry is in one that committed.
        try:
            while not me.done:
                with self._cond:
                    if self._last_batch > 1:
                        deadline = time.monotonic() + GATHER_S
                        while len(self._queue) < self._last_batch:
                            left = deadline - time.monotonic()
                            if left <= 0:
                                break
                            self._gather.wait(left)
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    # Remember the concurrency seen, forgetting it slowly when it drops.
                    self._last_batch = max(len(batch), self._last_batch - 1)
                self._flush(batch, me)
        finally:
            if not me.done:  # interrupted while gathering: let another thread lead
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()
        return self._result(me)

    def _flush(self, batch: list[_Waiter], leader: _Waiter) -> None:
        receipts: Sequence[Receipt | None]
        error: BaseException | None = None
        try:
            receipts = self._write([w.entry for w in batch])
        except BaseException as exc:
            receipts, error = [None] * len(batch), exc
        with self._cond:
            for waiter, receipt in zip(batch, receipts, strict=True):
                waiter.receipt, waiter.error, waiter.done = receipt, error, True
            # Hand the lead over in the same breath: the writers woken here can gather
            # the next batch at once, instead of waking again when we return.
            if leader.done:
                self._writing = False
            self._cond.notify_all()

    @staticmethod
    def _result(waiter: _Waiter) -> Receipt:
        if waiter.error is not None:
            raise waiter.error
        assert waiter.receipt is not None  # noqa: S101  # done without error means written
        return waiter.receipt
