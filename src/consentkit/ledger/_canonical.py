"""The bytes a record is hashed as, and the two hashes of the chain.

Canonical form: JSON with keys sorted (by code point), no spaces, UTF-8, no floats.
One value has exactly one encoding, so anyone can recompute a record's hash from
its fields with any JSON library that sorts keys. Hashes follow RFC 6962's domain
separation: a leaf is ``SHA-256(0x00 || bytes)``; the chain hash after a record is
``SHA-256(0x01 || previous chain hash || leaf hash)``, starting from 32 zero bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "GENESIS",
    "canonical",
    "canonical_with",
    "chain_hash",
    "encoded_items",
    "from_canonical",
    "iso_micro",
    "iso_second",
    "leaf_hash",
]

#: The chain hash of an empty ledger.
GENESIS = bytes(32)


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON bytes.

    :raises ValueError: for floats, non-string keys, lone surrogates or other
        types JSON can't carry exactly.
    """
    _check(value)
    text = _dumps(value)
    # A lone surrogate has no UTF-8 encoding: refused here rather than mangled.
    return text.encode("utf-8")


def encoded_items(fields: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Each field as ``(key, '"key":value')`` in canonical JSON, in key order.

    A record's fields are encoded once, before the writer takes the chain's head; only
    the few fields known there are encoded under the lock (:func:`canonical_with`).
    """
    _check(dict(fields))
    return tuple(sorted((key, _member(key, value)) for key, value in fields.items()))


def canonical_with(items: Sequence[tuple[str, str]], extra: dict[str, Any]) -> bytes:
    """The very bytes of ``canonical({**fields, **extra})``, ``items`` being the
    :func:`encoded_items` of ``fields``."""
    _check(extra)
    merged = [item for item in items if item[0] not in extra]
    merged += [(key, _member(key, value)) for key, value in extra.items()]
    merged.sort()
    return ("{" + ",".join([member for _, member in merged]) + "}").encode("utf-8")


# One encoder for every value: ``json.dumps`` with options builds a new one per call,
# which cost more than the encoding itself under the chain's lock.
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
# The encoder's own string escaping (C), for the scalars a record's writer adds under
# the lock: a call to the whole encoder costs several times more.
_string: Callable[[str], str] = json.encoder.encode_basestring
_SCALARS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def _member(key: str, value: Any) -> str:
    return _string(key) + ":" + _value(value)


def _value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _SCALARS[value]
    return _dumps(value)


def from_canonical(data: bytes) -> Any:
    """Parse canonical bytes; :func:`canonical` gives the very same bytes back."""
    return json.loads(data)


def leaf_hash(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + previous + leaf).digest()


def iso_micro(moment: datetime) -> str:
    """UTC, to the microsecond: the server's time of writing a record."""
    # isoformat, not strftime: a four-digit year on every platform (%Y is the C library's).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def iso_second(moment: datetime) -> str:
    """UTC, to the second: the precision a consent keeps."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


#: The types with one JSON spelling each, checked by identity first: a record is made of
#: them, and an ``isinstance`` chain per value cost more than encoding it.
_EXACT = frozenset({str, int, bool, type(None)})


def _check(value: Any) -> None:
    # Floats have several spellings across JSON libraries; bools are fine (one spelling).
    if type(value) in _EXACT or isinstance(value, str | bool | int):
        return
    if isinstance(value, list | tuple):
        for item in value:
            if type(item) not in _EXACT:
                _check(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"canonical JSON keys are strings, not {type(key).__name__}")
            _check(item)
        return
    raise ValueError(f"{type(value).__name__} has no canonical JSON form")
