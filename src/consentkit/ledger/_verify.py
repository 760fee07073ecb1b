"""Recompute a ledger's chain and say where, and how, it was tampered with.

Everything is recomputed from the stored bytes: each record's leaf and chain hash,
the sequence, the head, the notices the records point to, the checkpoints and their
signatures. A record whose hashes match is not even parsed (that is what keeps
verification near the speed of hashing); a mismatch is then parsed to tell apart a
changed field, a row deleted, inserted or moved.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from consentkit.exceptions import CheckpointError
from consentkit.ledger._canonical import canonical, from_canonical
from consentkit.ledger._checkpoint import Checkpoint, CheckpointVerifier, verifies
from consentkit.ledger._store import Head

__all__ = ["Problem", "VerifyReport", "verify_chain"]

_NOTICE = b'"notice":"'
_SEQ = b'"seq":'


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong, at the first sequence number it touches."""

    seq: int
    #: ``changed``, ``deleted``, ``inserted``, ``reordered``, ``tail_cut``,
    #: ``notice``, ``head``, ``checkpoint_signature``, ``checkpoint_mismatch``.
    kind: str
    message: str


@dataclass(slots=True)
class VerifyReport:
    """What ``verify`` found: ``ok`` when nothing is wrong."""

    size: int
    base_seq: int
    chain_hash: bytes
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The problem at the lowest sequence number: where to start looking."""
        return min(self.problems) if self.problems else None


def verify_chain(
    head: Head,
    rows: Iterable[Sequence[Any]],
    notices: Mapping[str, bytes],
    checkpoint_notes: Sequence[str],
    verifiers: Sequence[CheckpointVerifier],
    origin: str,
) -> VerifyReport:
    problems: list[Problem] = []
    good_notices: dict[bytes, bool] = {}
    checkpoints: list[Checkpoint] = []
    for note in checkpoint_notes:
        try:
            checkpoints.append(Checkpoint.parse(note))
        except CheckpointError as exc:
            problems.append(Problem(head.base_seq, "checkpoint_signature", f"a checkpoint: {exc}"))
    wanted = {c.size for c in checkpoints}
    hashes_at: dict[int, bytes] = {}
    if head.base_seq - 1 in wanted:
        hashes_at[head.base_seq - 1] = head.base_hash
    sha256 = hashlib.sha256
    prev = head.base_hash
    expected = head.base_seq
    for seq, raw_body, raw_stored in rows:
        body = raw_body if type(raw_body) is bytes else _as_bytes(raw_body)
        if seq != expected:
            problems.append(
                Problem(expected, "deleted", f"records {expected} to {seq - 1} are missing")
                if seq > expected
                else Problem(seq, "inserted", f"record {seq} comes twice")
            )
            expected = seq
        chain = sha256(b"\x01" + prev + sha256(b"\x00" + body).digest()).digest()
        # Keys are sorted and compact: '"seq":N,' and '"notice":"' occur once, unescaped.
        fast_ok = chain == raw_stored and b'"seq":%d,' % seq in body
        if not fast_ok and (chain != _as_bytes(raw_stored) or _seq_in(body) != seq):
            problems.append(_diagnose(seq, body))
        start = body.find(_NOTICE) + len(_NOTICE)
        digest = body[start : start + 64]
        ok = good_notices.get(digest)
        if ok is None:
            text = digest.decode("ascii", "replace")
            stored = notices.get(text)
            ok = good_notices[digest] = stored is not None and hmac.compare_digest(
                hashlib.sha256(stored).hexdigest(), text
            )
        if not ok:
            text = digest.decode("ascii", "replace")
            what = "missing" if text not in notices else "changed: its digest does not match"
            problems.append(Problem(seq, "notice", f"record {seq}: notice {text} is {what}"))
        if seq in wanted:
            hashes_at[seq] = chain
        prev = chain
        expected = seq + 1
    size = expected - 1
    if head.size > size:
        problems.append(
            Problem(
                size + 1,
                "tail_cut",
                f"the head counts {head.size} records; the last one stored is {size}",
            )
        )
    elif head.size < size:
        problems.append(
            Problem(
                head.size + 1,
                "inserted",
                f"records {head.size + 1} to {size} lie beyond the head ({head.size})",
            )
        )
    elif head.hash != prev:
        problems.append(Problem(size, "head", "the head's chain hash is not the last record's"))
    problems += _check_checkpoints(checkpoints, verifiers, origin, hashes_at, size, head)
    report = VerifyReport(size, head.base_seq, prev, len(checkpoints))
    report.problems = sorted(set(problems))
    return report


def _check_checkpoints(
    checkpoints: Sequence[Checkpoint],
    verifiers: Sequence[CheckpointVerifier],
    origin: str,
    hashes_at: Mapping[int, bytes],
    size: int,
    head: Head,
) -> list[Problem]:
    problems = []
    for cp in checkpoints:
        at = max(min(cp.size, size + 1), head.base_seq)
        if cp.origin != origin:
            problems.append(
                Problem(
                    at,
                    "checkpoint_signature",
                    f"checkpoint {cp.size}: origin {cp.origin!r} is not this ledger's ({origin!r})",
                )
            )
        if verifiers and not verifies(cp, verifiers):
            problems.append(
                Problem(
                    at,
                    "checkpoint_signature",
                    f"checkpoint {cp.size}: no valid signature by a trusted key",
                )
            )
        if cp.size > size:
            problems.append(
                Problem(
                    size + 1,
                    "tail_cut",
                    f"a checkpoint vouches for {cp.size} records; "
                    f"the ledger holds {size}: the tail was cut",
                )
            )
        elif cp.size in hashes_at and not hmac.compare_digest(hashes_at[cp.size], cp.hash):
            problems.append(
                Problem(
                    max(cp.size, head.base_seq),
                    "checkpoint_mismatch",
                    f"checkpoint {cp.size} disagrees with the chain: records up to {cp.size} "
                    "were rewritten",
                )
            )
        # A checkpoint older than a prune's cut can't be compared any more: skipped.
    return problems


def _as_bytes(value: object) -> bytes:
    """A stored value as bytes; whoever edits a row by hand may have changed its type."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return repr(value).encode()


def _diagnose(seq: int, body: bytes) -> Problem:
    try:
        fields = from_canonical(body)
    except ValueError:
        return Problem(seq, "changed", f"record {seq} is not valid JSON any more")
    if not isinstance(fields, dict):
        return Problem(seq, "changed", f"record {seq} is not a JSON object any more")
    numbered = fields.get("seq")
    if numbered != seq:
        kind = "reordered" if isinstance(numbered, int) and numbered > seq else "inserted"
        if isinstance(numbered, int) and numbered < seq:
            kind = "reordered"
        return Problem(seq, kind, f"row {seq} holds record {numbered}: rows inserted or moved")
    try:
        recanonical = canonical(fields)
    except ValueError:
        recanonical = b""
    if recanonical != body:
        return Problem(seq, "changed", f"record {seq} was re-encoded: its bytes are not canonical")
    return Problem(
        seq, "changed", f"record {seq}: its content does not match its chain hash (a field changed)"
    )


def _seq_in(body: bytes) -> int | None:
    start = body.find(_SEQ)
    if start < 0:
        return None
    start += len(_SEQ)
    end = start
    while end < len(body) and 48 <= body[end] <= 57:
        end += 1
    return int(body[start:end]) if end > start else None
