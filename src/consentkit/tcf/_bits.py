"""Bit-level reading and writing of TC string segments.

A segment is a big-endian bit string written in base64url, six bits per character.
:class:`BitReader` turns the whole segment into one Python ``int`` up front and reads
fields by shifting it; bitfields become id sets through C-level string and
``itertools`` calls, never a Python loop per bit. That is what makes decoding an order
of magnitude faster than a bit-by-bit reader. :class:`BitWriter` collects fields as
``"0"``/``"1"`` strings and converts them once at the end.

Both know the TCF *vendor section* (bitfield or range encoding) and the range entries
shared with publisher restrictions, because those are where the speed and the
correctness traps are (TCF.md §3, §4). Which field sits where is
:mod:`consentkit.tcf._codec`'s business.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Collection, Iterable
from functools import partial
from itertools import chain, compress
from operator import ge

from consentkit.exceptions import TCFDecodeError, TCFEncodeError

MAX_VENDOR_ID = 0xFFFF
MAX_RANGE_ENTRIES = 0xFFF

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_MARKS = bytes.maketrans(b"01", b"\x00\x01")
_RUN = re.compile(rb"1+")

# Python makes a new object for every int above 256; building id sets from ready-made
# ones is a third faster. 4096 covers every vendor id in use, for 150 KB.
_CACHED_IDS = 4096
_ID_OBJECTS = tuple(range(_CACHED_IDS + 1))

# For each byte value, the ids its set bits stand for when it is byte 0, 1 or 2 of a field.
_BYTE_IDS = tuple(
    tuple(tuple(base + i for i in range(1, 9) if byte >> (8 - i) & 1) for byte in range(256))
    for base in (0, 8, 16)
)

#: Builds an id set when called; see :meth:`BitReader.read_vendor_section`.
IdSetRecipe = Callable[[], frozenset[int]]
RestrictionsRecipe = Callable[[], dict[tuple[int, int], frozenset[int]]]


class BitReader:
    """Read fields, in order, from one base64url segment.

    :param text: the segment, without its ``.`` separators.
    :param segment: which segment this is, for error messages (``"segment 1 (core)"``).
    :param budget: how many vendor ids the rest of the string may still expand to.
    :raises TCFDecodeError: for a character outside the base64url alphabet (``=``
        padding included), naming its bit offset.
    """

    __slots__ = ("_size", "_value", "budget", "pos", "segment")

    def __init__(self, text: str, segment: str, budget: int) -> None:
        self.segment = segment
        self.budget = budget
        self.pos = 0
        valid = _BASE64URL.match(text)
        end = valid.end() if valid else 0
        if end != len(text):
            self.pos = 6 * end
            raise self.error(f"character {end + 1}", f"{text[end]!r} is not base64url")
        # Padding with "A" (six zero bits) to whole bytes, then shifting them out again,
        # lets the C base64 decoder do all the work for any length.
        pad = -len(text) % 4
        raw = binascii.a2b_base64((text + "A" * pad).encode("ascii").translate(_FROM_URLSAFE))
        self._value = int.from_bytes(raw, "big") >> (6 * pad)
        self._size = 6 * len(text)

    @property
    def remaining(self) -> int:
        """Bits not read yet (trailing padding included)."""
        return self._size - self.pos

    def error(self, field: str, problem: str, offset: int | None = None) -> TCFDecodeError:
        """An error naming the segment, the bit offset in it, and the field."""
        at = self.pos if offset is None else offset
        return TCFDecodeError(f"{self.segment}, bit {at}, {field}: {problem}")

    def read(self, bits: int, field: str) -> int:
        """Read an unsigned big-endian integer of ``bits`` bits."""
        end = self.pos + bits
        if end > self._size:
            raise self.error(
                field, f"the string ends here (needs {bits} bits, {self.remaining} left)"
            )
        value = (self._value >> (self._size - end)) & ((1 << bits) - 1)
        self.pos = end
        return value

    def read_bitfield(self, bits: int, field: str) -> frozenset[int]:
        """Read ``bits`` bits where bit ``i - 1`` set means id ``i`` is in the set."""
        return self.read_lazy_bitfield(bits, field)()

    def read_lazy_bitfield(self, bits: int, field: str) -> IdSetRecipe:
        """Like :meth:`read_bitfield`, but return how to build the set, not the set."""
        value = self.read(bits, field)
        self._spend(value.bit_count(), field)
        return partial(bitfield_ids, value, bits)

    def read_vendor_section(self, field: str) -> IdSetRecipe:
        """Read ``MaxVendorId``, ``IsRangeEncoding`` and a bitfield or range entries.

        What comes back builds the id set when called: building sets of hundreds of
        ids costs more than reading the whole string, and many readers never look.
        """
        head = self.read(17, f"{field}.MaxVendorId/IsRangeEncoding")
        if head & 1:
            return self.read_ranges(field)
        return self.read_lazy_bitfield(head >> 1, f"{field}.BitField")

    def read_ranges(self, field: str) -> IdSetRecipe:
        """Read a 12-bit count and that many range entries; return how to build the set.

        Entries may come in any order and overlap; each adds its ids. Their total
        length is checked against the budget here, so a short string can't make us
        allocate millions of ids later.
        """
        return self._read_entries(self.read(12, f"{field}.NumEntries"), field)

    def _read_entries(self, count: int, field: str) -> IdSetRecipe:
        # The hot loop of a range-encoded string, so it checks nothing. It reads from a
        # window of the 33 bits per entry that the entries can span at most, zero-filled
        # past the end of the segment, so reading too far is harmless; the checks then
        # run once, at C speed, on the results. Only a string that fails them is walked
        # again, slowly, to say where and why.
        size = self._size
        span = 33 * count
        rest = size - self.pos
        if rest >= span:
            value = (self._value >> (rest - span)) & ((1 << span) - 1)
        else:
            value = (self._value & ((1 << rest) - 1)) << (span - rest)
        # ``shift`` counts the bits after the current position: it only goes down.
        shift = span
        starts: list[int] = []
        stops: list[int] = []
        add_start, add_stop = starts.append, stops.append
        for _ in range(count):
            shift -= 17
            head = (value >> shift) & 0x1FFFF
            if head > 0xFFFF:
                shift -= 16
                add_start(head & 0xFFFF)
                add_stop(((value >> shift) & 0xFFFF) + 1)
            else:
                add_start(head)
                add_stop(head + 1)
        pos = self.pos + span - shift
        if pos > size or 0 in starts or any(map(ge, starts, stops)):
            raise self._range_error(field, count)
        self.pos = pos
        self._spend(sum(stops) - sum(starts), field)
        return partial(_range_ids, starts, stops)

    def _range_error(self, field: str, count: int) -> TCFDecodeError:
        """Walk the entries :meth:`_read_entries` rejected again and say what is wrong."""
        pos, size = self.pos, self._size
        for _ in range(count):
            if pos + 17 > size:
                problem = f"the string ends here ({size - pos} bits left)"
                return self.error(f"{field}.IsARange/StartOrOnlyVendorId", problem, pos)
            head = (self._value >> (size - pos - 17)) & 0x1FFFF
            start = head & 0xFFFF
            if not start:
                problem = "vendor id 0 does not exist"
                return self.error(f"{field}.StartOrOnlyVendorId", problem, pos + 1)
            pos += 17
            if head > 0xFFFF:
                if pos + 16 > size:
                    return self.error(f"{field}.EndVendorId", "the string ends here", pos)
                end = (self._value >> (size - pos - 16)) & 0xFFFF
                if end < start:
                    return self.error(f"{field}.EndVendorId", f"{end} is below {start}", pos)
                pos += 16
        raise AssertionError("unreachable: _read_entries found a problem")  # pragma: no cover

    def read_restrictions(self) -> RestrictionsRecipe:
        """Read publisher restrictions; return how to build them, merged by purpose and type."""
        entries: list[tuple[int, int, IdSetRecipe]] = []
        for _ in range(self.read(12, "NumPubRestrictions")):
            head = self.read(20, "PurposeId/RestrictionType/NumEntries")
            purpose, kind = head >> 14, head >> 12 & 3
            if not purpose:
                raise self.error("PurposeId", "purpose 0 does not exist", self.pos - 20)
            if kind == 3:
                raise self.error("RestrictionType", "type 3 is undefined", self.pos - 14)
            entries.append((purpose, kind, self._read_entries(head & 0xFFF, "PubRestrictionEntry")))
        return partial(_merge_restrictions, entries)

    def _spend(self, count: int, field: str) -> None:
        self.budget -= count
        if self.budget < 0:
            raise self.error(field, "more vendor ids than the decoder's max_ids limit")


class BitWriter:
    """Append fields to one segment, then render it as base64url."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, value: int, bits: int, field: str) -> None:
        """Append ``value`` as an unsigned big-endian integer of ``bits`` bits."""
        if value < 0 or value >> bits:
            # The encoder checks every model field first; this is a last line of defence
            # against writing a silently truncated value.
            raise TCFEncodeError(f"{field}: {value} does not fit in {bits} bits")
        self._parts.append(format(value, f"0{bits}b"))

    def write_bitfield(self, ids: Iterable[int], bits: int) -> None:
        """Append ``bits`` bits where bit ``i - 1`` is set when id ``i`` is in ``ids``."""
        self._parts.append(flags(ids, bits).decode("ascii"))

    def write_vendor_section(self, ids: Collection[int]) -> None:
        """Append a vendor section in whichever encoding is shorter.

        Bitfield costs ``MaxVendorId`` bits; range costs 12 bits plus 17 per single id
        and 33 per run. A tie goes to the bitfield, as in the reference library; an
        empty set is the 17-bit ``MaxVendorId = 0`` bitfield.
        """
        max_id = max(ids, default=0)
        field = flags(ids, max_id)
        spans = _spans(field)
        self.write(max_id, 16, "MaxVendorId")
        range_bits = 12 + sum(17 if start == end else 33 for start, end in spans)
        if max_id <= range_bits:
            self._parts.append("0" + field.decode("ascii"))
        else:
            self.write(1, 1, "IsRangeEncoding")
            self.write_ranges(spans)

    def write_ranges(self, spans: list[tuple[int, int]]) -> None:
        """Append a 12-bit count and one range entry per ``(first, last)`` run."""
        self.write(len(spans), 12, "NumEntries")
        parts = self._parts
        for start, end in spans:
            if start == end:
                parts.append(format(start, "017b"))
            else:
                parts.append(f"1{start:016b}{end:016b}")

    def to_base64(self) -> str:
        """The segment in base64url, zero-padded to a multiple of 24 bits, without ``=``.

        24 bits is four characters and three bytes: the reference library pads the same
        way, and decoders built on a standard base64 library (iab-tcf among them) fail
        on a length that isn't a whole number of bytes.
        """
        bits = "".join(self._parts)
        bits += "0" * (-len(bits) % 24)
        return base64.urlsafe_b64encode(int(bits, 2).to_bytes(len(bits) // 8, "big")).decode()


def bitfield_ids(value: int, bits: int) -> frozenset[int]:
    """The ids whose bits are set in a ``bits``-bit field: the first bit is id 1."""
    if not value:
        return frozenset()
    marks = format(value, f"0{bits}b").encode("ascii").translate(_TO_MARKS)
    candidates = _ID_OBJECTS[1 : bits + 1] if bits <= _CACHED_IDS else range(1, bits + 1)
    return frozenset(compress(candidates, marks))


def small_bitfield_ids(value: int, bits: int) -> frozenset[int]:
    """:func:`bitfield_ids` for fields of at most 24 bits (purposes, special features)."""
    # Three table look-ups instead of a walk over the bits: these fields are in
    # every string, so their cost is most of what decoding a short string costs.
    value <<= 24 - bits
    high, middle, low = _BYTE_IDS
    return frozenset(high[value >> 16] + middle[value >> 8 & 0xFF] + low[value & 0xFF])


def flags(ids: Iterable[int], bits: int) -> bytearray:
    """``ids`` as ASCII ``0``/``1`` flags, id 1 first, ``bits`` long."""
    field = bytearray(b"0" * bits)
    for i in ids:
        field[i - 1] = 0x31
    return field


def runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """The ascending ``(first, last)`` runs of consecutive ids in ``ids``."""
    ids = list(ids)
    return _spans(flags(ids, max(ids, default=0)))


def _spans(field: bytearray) -> list[tuple[int, int]]:
    # The regex engine finds the runs in C; Python only sees one match per run.
    return [(m.start() + 1, m.end()) for m in _RUN.finditer(field)]


def _range_ids(starts: list[int], stops: list[int]) -> frozenset[int]:
    if stops and max(stops) <= _CACHED_IDS + 1:
        runs_of_ids = map(_ID_OBJECTS.__getitem__, map(slice, starts, stops))
        return frozenset(chain.from_iterable(runs_of_ids))
    return frozenset(chain.from_iterable(map(range, starts, stops)))


def _merge_restrictions(
    entries: list[tuple[int, int, IdSetRecipe]],
) -> dict[tuple[int, int], frozenset[int]]:
    # A string may repeat a (purpose, type) pair (seen in the wild): its ids add up.
    merged: dict[tuple[int, int], frozenset[int]] = {}
    for purpose, kind, recipe in entries:
        ids = recipe()
        key = (purpose, kind)
        merged[key] = merged[key] | ids if key in merged else ids
    return merged
