"""Signed checkpoints: ``(origin, size, chain hash)`` as a C2SP signed note.

The text follows https://c2sp.org/tlog-checkpoint: the origin line, the size in
decimal, the hash in standard base64, then a blank line and one signature line per
signer, ``— <name> <base64(key id || signature)>``; the key id is the first four
bytes of ``SHA-256(name || 0x0A || 0x01 || public key)`` for Ed25519
(https://c2sp.org/signed-note). Any signed-note tool can check the signature.

One difference from a transparency log: the hash is the head of consentkit's linear
hash chain, not an RFC 6962 Merkle tree root, so a checkpoint proves the whole
history up to ``size`` but can't back a logarithmic inclusion proof.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from consentkit.exceptions import CheckpointError

__all__ = ["Checkpoint", "CheckpointSigner", "CheckpointVerifier"]

_DASH = "\u2014 "
_ED25519 = b"\x01"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: the ledger ``origin`` held ``size`` records, ending in ``hash``."""

    origin: str
    size: int
    #: The chain hash after record ``size`` (32 bytes).
    hash: bytes
    #: The whole note: body, blank line, signature lines.
    note: str

    @property
    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.hash).decode()}\n"

    @property
    def signatures(self) -> list[tuple[str, bytes, bytes]]:
        """Each signature line as ``(name, key id, signature)``."""
        _, _, tail = self.note.partition("\n\n")
        lines = []
        for line in tail.splitlines():
            if not line.startswith(_DASH):
                raise CheckpointError(f"signature line {line!r} does not start with '— '")
            name, _, blob = line[len(_DASH) :].rpartition(" ")
            try:
                raw = base64.b64decode(blob, validate=True)
            except binascii.Error:
                raise CheckpointError(f"signature of {name!r} is not base64") from None
            if not name or len(raw) < 5:
                raise CheckpointError(f"signature line {line!r} is malformed")
            lines.append((name, raw[:4], raw[4:]))
        return lines

    @classmethod
    def parse(cls, note: str) -> Checkpoint:
        """Read a checkpoint note.

        :raises CheckpointError: naming what is malformed (signatures are checked by
            :meth:`CheckpointVerifier.verify`, not here).
        """
        body, sep, tail = note.partition("\n\n")
        if not sep or not tail.strip():
            raise CheckpointError("a checkpoint is its body, a blank line and signature lines")
        lines = body.split("\n")
        if len(lines) < 3:
            raise CheckpointError("a checkpoint body has an origin, a size and a hash line")
        origin, size_text, hash_text = lines[0], lines[1], lines[2]
        if not origin:
            raise CheckpointError("the checkpoint's origin line is empty")
        if not size_text.isascii() or not size_text.isdigit() or size_text != str(int(size_text)):
            raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number")
        try:
            digest = base64.b64decode(hash_text, validate=True)
        except binascii.Error:
            raise CheckpointError(f"checkpoint hash {hash_text!r} is not base64") from None
        if len(digest) != 32:
            raise CheckpointError(f"checkpoint hash is {len(digest)} bytes, not 32")
        checkpoint = cls(
            origin, int(size_text), digest, note if note.endswith("\n") else note + "\n"
        )
        checkpoint.signatures  # noqa: B018  # malformed signature lines are refused now
        return checkpoint


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


class CheckpointSigner:
    """Signs checkpoints with an Ed25519 private key under a name (the note's key name).

    :param name: the signer's name in the note; usually the ledger's origin.
    :param private_key: 32 raw bytes, their base64url text (what ``consentkit keygen
        --ed25519`` prints), or a PEM text.
    """

    def __init__(self, name: str, private_key: str | bytes) -> None:
        if not name or any(c.isspace() or c == "+" for c in name):
            raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")
        self.name = name
        self._key = _private_key(private_key)
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        #: Who can check this signer's notes: the verifier key in signed-note form.
        self.verifier = CheckpointVerifier(name, raw)

    def sign(self, origin: str, size: int, digest: bytes) -> Checkpoint:
        if "\n" in origin or not origin:
            raise CheckpointError("the origin is one non-empty line")
        body = f"{origin}\n{size}\n{base64.b64encode(digest).decode()}\n"
        signature = self._key.sign(body.encode())
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return Checkpoint(origin, size, digest, f"{body}\n{_DASH}{self.name} {blob}\n")


class CheckpointVerifier:
    """Checks checkpoints signed by one Ed25519 key under one name."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise CheckpointError("an Ed25519 public key is 32 bytes")
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def parse(cls, vkey: str) -> CheckpointVerifier:
        """A verifier from its signed-note text: ``name+hexkeyid+base64(0x01||key)``."""
        name, sep, rest = vkey.strip().partition("+")
        hex_id, sep2, blob = rest.partition("+")
        try:
            raw = base64.b64decode(blob, validate=True)
            expected = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise CheckpointError(f"verifier key {vkey!r} is malformed") from None
        if not (sep and sep2 and name) or raw[:1] != _ED25519 or len(raw) != 33:
            raise CheckpointError(f"verifier key {vkey!r} is not an Ed25519 signed-note key")
        verifier = cls(name, raw[1:])
        if verifier.key_id != expected:
            raise CheckpointError(f"verifier key {vkey!r}: its key id does not match the key")
        return verifier

    def __str__(self) -> str:
        blob = base64.b64encode(_ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def verify(self, checkpoint: Checkpoint) -> bool:
        """Whether one of the note's signatures is this key's and is valid."""
        for name, kid, signature in checkpoint.signatures:
            if name != self.name or kid != self.key_id:
                continue
            try:
                self._key.verify(signature, checkpoint.body.encode())
            except InvalidSignature:
                return False
            return True
        return False


def verifies(checkpoint: Checkpoint, verifiers: Iterable[CheckpointVerifier]) -> bool:
    """Whether any of the given keys signed the checkpoint."""
    return any(v.verify(checkpoint) for v in verifiers)


def _private_key(value: str | bytes) -> Ed25519PrivateKey:
    try:
        if isinstance(value, bytes) and len(value) == 32:
            return Ed25519PrivateKey.from_private_bytes(value)
        text = value.decode() if isinstance(value, bytes) else value
        if os.path.isfile(text):
            with open(text, encoding="ascii") as file:
                text = file.read()
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise CheckpointError("the PEM key is not an Ed25519 private key")
            return key
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise CheckpointError("the checkpoint signing key is not an Ed25519 private key") from None
