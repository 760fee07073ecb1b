"""Personal fields sealed under a per-subject key, so erasing the key erases them.

The ciphertext is what enters the record and its hash: when a subject's key is
destroyed (``consentkit ledger erase``), their user agent, network and account id
become unreadable noise, while the chain, and so every other record's proof, still
verifies. AES-256-GCM, a fresh 96-bit nonce per record, the subject as associated
data so a sealed blob can't be moved to another subject's record.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consentkit.ledger._canonical import canonical, from_canonical

__all__ = ["new_key", "open_sealed", "seal"]


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, subject: str, personal: Mapping[str, str]) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, canonical(dict(personal)), subject.encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def open_sealed(key: bytes | None, subject: str, sealed: str) -> dict[str, Any] | None:
    """The personal fields, or ``None`` when the key is gone (erased) or doesn't fit."""
    if key is None:
        return None
    raw = base64.b64decode(sealed)
    try:
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], subject.encode())
    except InvalidTag:
        return None
    fields: dict[str, Any] = from_canonical(plain)
    return fields
