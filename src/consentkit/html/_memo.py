"""Pages rewritten lately, and what they became: whole pages by name against the last
one (:class:`LastPages`), the first chunks of streams by their bytes (:class:`PageMemo`)."""

from __future__ import annotations

import threading
from typing import Any

__all__ = [
    "DELTA_MIN",
    "DELTA_PAGE",
    "DELTA_STEP",
    "LAST_BYTES",
    "MARK_BYTES",
    "MEMO_BYTES",
    "MEMO_PAGE",
    "LastPages",
    "Mark",
    "PageMemo",
]

# Streams' first chunks remembered per detector: each at most
# MEMO_PAGE bytes, all of them (in and out) at most MEMO_BYTES, and only once a page has
# been seen twice (of the last _DOORKEEPER seen), so pages that differ on every request
# don't evict the others.
MEMO_PAGE = 64 * 1024
MEMO_BYTES = 4 * 1024 * 1024
_DOORKEEPER = 4096

#: (rewriter serial, banner snippet, page)
Key = tuple[int, bytes, bytes]


class PageMemo:
    """Sites serve the same page to every visitor without a session, over and over; a
    rewrite is a pure function of the rewriter, the banner snippet and the bytes, so it is
    done once. Hashing a chunk costs a tenth of rewriting it, and that is all a chunk seen
    once costs. The first chunk of a stream is remembered with what the stream passed on
    and the state it was left in, as more chunks may follow. (Whole bodies, which have a
    name, are compared with the last of that name instead: :class:`LastPages`.)
    """

    __slots__ = ("_lock", "_pages", "_seen", "_size")

    def __init__(self) -> None:
        self._pages: dict[Key, tuple[bytes, Any, int]] = {}
        self._seen: set[int] = set()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> tuple[bytes, Any, int] | None:
        return self._pages.get(key)

    def put(self, key: Key, out: bytes, state: Any, held: bytes) -> None:
        digest = hash(key)
        if digest not in self._seen:
            if len(self._seen) >= _DOORKEEPER:
                self._seen.clear()
            self._seen.add(digest)
            return
        page = key[2]
        size = len(page) + (0 if out is page else len(out)) + (0 if held is page else len(held))
        with self._lock:
            pages = self._pages
            if key in pages:
                return
            # Oldest first: dicts keep insertion order.
            while pages and self._size + size > MEMO_BYTES:
                self._size -= pages.pop(next(iter(pages)))[2]
            pages[key] = (out, state, size)
            self._size += size


#: Pages up to this size are rewritten against the last one (see :class:`LastPages`),
#: below the stream's bounds on a tag and on a script's look-ahead, so that rewriting a
#: page in steps gives the very bytes of rewriting it whole.
DELTA_PAGE = 192 * 1024
#: Smaller pages are rewritten whole when the last one had nothing to neutralise.
DELTA_MIN = 8 * 1024
#: How far apart the tokeniser's state is written down while a page is rewritten.
DELTA_STEP = 256

#: ``(bytes in, bytes out, the stream's state)`` where a step of a page ended.
Mark = tuple[int, int, Any]
#: What a mark is counted as: its tuples and the state's, with at most a step held.
MARK_BYTES = 256
#: All that :class:`LastPages` keeps: pages, outputs and marks, names included.
LAST_BYTES = 8 * 1024 * 1024


class LastPages:
    """The last page of each name (a request's path) rewritten under each decision and
    banner snippet, with the tokeniser's state every :data:`DELTA_STEP` bytes, in and out.
    A page that comes again is answered from here after one comparison, with no hash.

    Templated pages differ from one request to the next in a few places (a CSRF value,
    a date, a name), which would defeat a memo of whole pages. Against the last page,
    only the steps around what differs are rewritten: up to the last mark before the
    first difference the output is the last one's, and from the first mark after it
    where the state is the same again, it is too. Bounded: :data:`LAST_BYTES` in all,
    oldest out first; an entry is counted with its name and its marks.
    """

    __slots__ = ("_lock", "_pages", "_size")

    def __init__(self) -> None:
        self._pages: dict[tuple[int, bytes, str], tuple[bytes, bytes, list[Mark]]] = {}
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, bytes, str]) -> tuple[bytes, bytes, list[Mark]] | None:
        return self._pages.get(key)

    def put(self, key: tuple[int, bytes, str], page: bytes, out: bytes, marks: list[Mark]) -> None:
        size = _size(key, page, out, marks)
        with self._lock:
            pages = self._pages
            old = pages.pop(key, None)
            if old is not None:
                self._size -= _size(key, *old)
            while pages and self._size + size > LAST_BYTES:
                gone = next(iter(pages))
                self._size -= _size(gone, *pages.pop(gone))
            pages[key] = (page, out, marks)
            self._size += size


def _size(key: tuple[int, bytes, str], page: bytes, out: bytes, marks: list[Mark]) -> int:
    """What an entry of :class:`LastPages` is counted as: its bytes, its name, its marks
    (each a small tuple whose held bytes are at most a step)."""
    return len(key[1]) + len(key[2]) + len(page) + len(out) + MARK_BYTES * len(marks)
