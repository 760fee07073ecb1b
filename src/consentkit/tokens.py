"""Signed consent tokens: a decision the visitor's browser keeps and can't forge.

A token is ``<payload>.<signature>``, both base64url without padding, so it
fits a cookie value as is. The payload is binary and compact: choices are bits,
indexed by the catalogue's optional purposes and vendors sorted by id, which
is why a token for the 1,000-vendor catalogue of a large publisher still fits
one cookie. Layout, version 1::

    0       format version (1)
    1       action (0 accept_all, 1 refuse_all, 2 custom)
    2..17   consent id (UUID, 16 bytes)
    18..25  decided at, seconds since the epoch (big-endian)
    26..33  expires at, likewise
    34..37  catalogue fingerprint (see Catalogue.fingerprint)
    38      length n of the revision, then n bytes of it
    ...     granted optional purposes, one bit each, then optional vendors

What a valid token proves: that this server (a holder of the key) recorded
this decision, for this revision of the catalogue, at ``decided_at``. It does
not prove who the visitor is, nor that the same person still uses the browser;
proof of consent for GDPR art. 7 needs the ledger, not the token.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import struct
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from itsdangerous import Signer

from consentkit.catalogue import Catalogue
from consentkit.consent import Action, Consent, from_token
from consentkit.exceptions import (
    ConfigurationError,
    ExpiredToken,
    InvalidToken,
    StaleConsent,
    TokenError,
)

__all__ = ["DEFAULT_SALT", "MAX_TOKEN_LENGTH", "TokenSigner"]

#: Separates consent tokens from anything else signed with the same keys.
DEFAULT_SALT = "consentkit.consent"
#: Longer input is rejected before any work: a cookie can't be larger anyway.
MAX_TOKEN_LENGTH = 4096
#: Shorter secret keys are refused: they could be guessed offline from one token.
MIN_SECRET_KEY_BYTES = 16

_FORMAT = 1
_ACTIONS = (Action.ACCEPT_ALL, Action.REFUSE_ALL, Action.CUSTOM)
_ACTION_COUNT = len(_ACTIONS)
_ACTION_CODES = {action: code for code, action in enumerate(_ACTIONS)}
_HEADER = struct.Struct(">BB16sQQ4sB")  # everything before the revision
_HEADER_SIZE = _HEADER.size
_CACHE_SIZE = 2048  # verified tokens remembered; bounded, since anyone can send tokens
_HMAC_SIG_CHARS = 43  # 32 bytes of SHA-256
_ED25519_SIG_CHARS = 86  # 64 bytes

SecretKey = str | bytes
PrivateKey = Ed25519PrivateKey | str | bytes
PublicKey = Ed25519PublicKey | str | bytes


class TokenSigner:
    """Signs consents into tokens and reads them back.

    With ``secret_keys`` (HMAC-SHA256, through itsdangerous): give a list of
    keys, oldest to newest; the newest signs and all verify, so keys rotate
    without logging anyone out. With ``private_key`` (Ed25519): the holder signs;
    a signer built with only ``public_keys`` verifies and can't sign, for
    services that must read consent but never forge it.

    :raises ConfigurationError: for missing, weak or unreadable keys.
    """

    def __init__(
        self,
        secret_keys: SecretKey | Sequence[SecretKey] | None = None,
        *,
        private_key: PrivateKey | None = None,
        public_keys: Sequence[PublicKey] = (),
        salt: str = DEFAULT_SALT,
    ) -> None:
        self.salt = salt
        self._signer: Signer | None = None
        self._hmac_keys: list[bytes] = []
        self._private: Ed25519PrivateKey | None = None
        self._public: list[Ed25519PublicKey] = []
        if secret_keys is not None and (private_key is not None or public_keys):
            raise ConfigurationError("give secret_keys (HMAC) or Ed25519 keys, not both")
        if secret_keys is not None:
            keys = [secret_keys] if isinstance(secret_keys, str | bytes) else list(secret_keys)
            self._init_hmac(keys)
        elif private_key is not None or public_keys:
            self._private = _private_key(private_key) if private_key is not None else None
            self._public = [_public_key(key, i) for i, key in enumerate(public_keys)]
            if self._private is not None:
                self._public.append(self._private.public_key())
            self._public.reverse()  # newest first: most tokens were signed by it
        else:
            raise ConfigurationError("a TokenSigner needs secret_keys, or Ed25519 keys")
        self._salt_bytes = salt.encode()
        # Keyed by the token alone: a signer serves one catalogue but for tests and tools,
        # and a token verified for another catalogue is verified again.
        self._verified: dict[str, tuple[Catalogue, float, Consent]] = {}
        # What tokens of a catalogue look like, worked out once per catalogue.
        self._layouts: dict[int, _Layout] = {}

    def _init_hmac(self, keys: list[SecretKey]) -> None:
        if not keys:
            raise ConfigurationError("secret_keys is empty: give at least one key")
        for i, key in enumerate(keys):
            size = len(key.encode() if isinstance(key, str) else key)
            if size < MIN_SECRET_KEY_BYTES:
                raise ConfigurationError(
                    f"secret_keys[{i}] is {size} bytes; use at least {MIN_SECRET_KEY_BYTES} "
                    "random bytes (`consentkit keygen` makes one)"
                )
        self._signer = Signer(
            keys,  # type: ignore[arg-type]  # its stub wants all-str or all-bytes; both work
            salt=self.salt,
            sep=".",
            key_derivation="hmac",
            digest_method=hashlib.sha256,
        )
        # Derive once: itsdangerous would derive again for every signature.
        self._hmac_keys = [self._signer.derive_key(key) for key in reversed(keys)]

    @property
    def can_sign(self) -> bool:
        return self._signer is not None or self._private is not None

    def dumps(self, consent: Consent) -> str:
        """The token for a consent.

        :raises ConfigurationError: when this signer only verifies.
        """
        payload = _b64encode(_pack(consent)).decode("ascii")
        if self._signer is not None:
            return f"{payload}.{self._signer.get_signature(payload).decode('ascii')}"
        if self._private is None:
            raise ConfigurationError("this signer has only public keys: it verifies, it can't sign")
        sig = self._private.sign(self._salt_bytes + b"." + payload.encode("ascii"))
        return f"{payload}.{_b64encode(sig).decode('ascii')}"

    def loads(self, token: str, catalogue: Catalogue, now: datetime | None = None) -> Consent:
        """The consent a token carries, checked against ``catalogue`` at ``now``.

        :raises InvalidToken: malformed, bad signature, or signed by an unknown key.
        :raises ExpiredToken: authentic, but the decision's own expiry has passed.
        :raises StaleConsent: authentic, but given under another catalogue revision,
            or before the catalogue's optional purposes or vendors changed.
        """
        if not isinstance(token, str):
            raise InvalidToken(f"a token is text, not {type(token).__name__}")
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"token is {len(token)} characters, over {MAX_TOKEN_LENGTH}")
        now_ts = time.time() if now is None else now.timestamp()
        # A returning visitor sends the same token on every request: once it has
        # been verified for this catalogue, only its expiry can change.
        cached = self._verified.get(token)
        if cached is not None and cached[0] is catalogue and now_ts < cached[1]:
            return cached[2]
        payload_text, dot, sig_text = token.rpartition(".")
        if not dot or not payload_text:
            raise InvalidToken("not a consent token: expected <payload>.<signature>")
        try:
            value = payload_text.encode("ascii")
        except UnicodeEncodeError:
            raise InvalidToken("token has characters outside base64url") from None
        self._verify(value, sig_text)
        try:
            payload = _b64decode(value)
        except binascii.Error:
            raise InvalidToken("payload is not base64url") from None
        consent, expires = self._unpack(payload, catalogue, now_ts)
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (catalogue, expires, consent)
        return consent

    def read(
        self, token: str | None, catalogue: Catalogue, now: datetime | None = None
    ) -> Consent | None:
        """Like :meth:`loads`, but any token problem means no consent: ``None``.

        This is what a request handler wants: fail closed, never fail loudly.
        """
        if token is None:
            return None
        try:
            return self.loads(token, catalogue, now)
        except TokenError:
            return None

    def _unpack(self, payload: bytes, catalogue: Catalogue, now_ts: float) -> tuple[Consent, int]:
        """The consent in a verified payload, and when it expires (a Unix time)."""
        layout = self._layouts.get(id(catalogue))
        if layout is None or layout.catalogue is not catalogue:
            if len(self._layouts) >= _LAYOUTS:
                self._layouts.clear()
            layout = self._layouts[id(catalogue)] = _Layout(catalogue)
        size = _HEADER_SIZE
        if len(payload) < size:
            raise InvalidToken(f"payload is {len(payload)} bytes, too short for a consent")
        version, action, raw_id, decided, expires, fingerprint, rev_len = _HEADER.unpack_from(
            payload
        )
        if version != _FORMAT:
            raise InvalidToken(f"unknown token format {version}; this consentkit reads {_FORMAT}")
        if action >= _ACTION_COUNT:
            raise InvalidToken(f"unknown action code {action}")
        if now_ts >= expires:
            expires_at = _utc(expires)
            raise ExpiredToken(
                f"the decision expired at {expires_at:%Y-%m-%d %H:%M:%S} UTC", expires_at
            )
        end = size + rev_len
        if (
            rev_len != layout.revision_length
            or not payload.startswith(layout.revision, size)
            or fingerprint != layout.fingerprint
        ):
            raise self._stale(payload[size:end], rev_len, fingerprint, catalogue)
        if len(payload) != end + layout.bitmaps:
            raise InvalidToken(f"payload is {len(payload)} bytes, wrong for this catalogue")
        purposes, vendors = layout.granted(payload[end:])
        return (
            from_token(raw_id, _ACTIONS[action], purposes, vendors, decided, expires, catalogue),
            expires,
        )

    @staticmethod
    def _stale(raw: bytes, length: int, fingerprint: bytes, catalogue: Catalogue) -> TokenError:
        try:
            revision = raw.decode("ascii")
        except UnicodeDecodeError:
            return InvalidToken("revision is not ASCII text")
        if len(revision) != length:
            return InvalidToken("payload ends inside the revision")
        if revision != catalogue.revision:
            return StaleConsent(
                f"given under revision {revision!r}; the catalogue is at {catalogue.revision!r}",
                revision,
            )
        return StaleConsent(
            "given before the catalogue's optional purposes or vendors changed", revision
        )

    def _verify(self, value: bytes, sig_text: str) -> None:
        if self._signer is not None:
            if len(sig_text) != _HMAC_SIG_CHARS:
                raise InvalidToken(
                    f"signature is {len(sig_text)} characters; HMAC-SHA256 has {_HMAC_SIG_CHARS}"
                )
            # Comparing the encoded text, not decoded bytes, accepts only the one
            # canonical encoding: base64's last character has bits a decoder ignores.
            given = sig_text.encode("utf-8")
            # itsdangerous's HMAC-SHA256 with its derived keys, in one C call.
            for key in self._hmac_keys:
                if hmac.compare_digest(_b64encode(hmac.digest(key, value, "sha256")), given):
                    return
            raise InvalidToken("bad signature: no known key signed this token")
        sig = _b64decode_exact(sig_text, _ED25519_SIG_CHARS, "Ed25519")
        message = self._salt_bytes + b"." + value
        for public in self._public:
            try:
                public.verify(sig, message)
            except InvalidSignature:
                continue
            return
        raise InvalidToken("bad signature: no known public key verifies this token")


#: Catalogues whose token layout is remembered; a site has one, tests a few.
_LAYOUTS = 16
#: Distinct bitmaps remembered per catalogue; few exist (choices are few).
_BITMAPS = 256


class _Layout:
    """A catalogue's tokens: the revision and fingerprint they carry, the size of their
    bitmaps, and what each bitmap seen grants (a handful of distinct choices)."""

    __slots__ = (
        "_purposes",
        "_seen",
        "_vendors",
        "bitmaps",
        "catalogue",
        "fingerprint",
        "purpose_bytes",
        "revision",
        "revision_length",
    )

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.revision = catalogue.revision.encode("ascii", "replace")
        self.revision_length = len(self.revision)
        self.fingerprint = catalogue.fingerprint
        purposes, vendors = catalogue.optional_purposes, catalogue.optional_vendors
        self.purpose_bytes = (len(purposes) + 7) // 8
        self.bitmaps = self.purpose_bytes + (len(vendors) + 7) // 8
        self._purposes = (purposes, catalogue.essential_purposes)
        self._vendors = (vendors, catalogue.essential_vendors)
        self._seen: dict[bytes, tuple[frozenset[str], frozenset[str]]] = {}

    def granted(self, bitmaps: bytes) -> tuple[frozenset[str], frozenset[str]]:
        """The purposes and the vendors a token's two bitmaps grant, essential ones
        included; one lookup, as the same few choices come again and again."""
        granted = self._seen.get(bitmaps)
        if granted is not None:
            return granted
        split = self.purpose_bytes
        granted = (
            _ids(bitmaps[:split], *self._purposes),
            _ids(bitmaps[split:], *self._vendors),
        )
        if len(self._seen) >= _BITMAPS:
            self._seen.clear()
        self._seen[bitmaps] = granted
        return granted


def _ids(bits: bytes, ids: tuple[str, ...], always: frozenset[str]) -> frozenset[str]:
    value = int.from_bytes(bits, "little")
    if value >> len(ids):
        raise InvalidToken("bits set beyond the catalogue's ids")
    return always | {item for i, item in enumerate(ids) if value >> i & 1}


def _pack(consent: Consent) -> bytes:
    catalogue = consent.catalogue
    if consent.revision != catalogue.revision:
        raise ValueError(
            f"consent is for revision {consent.revision!r}, its catalogue is {catalogue.revision!r}"
        )
    revision = consent.revision.encode("ascii")
    header = _HEADER.pack(
        _FORMAT,
        _ACTION_CODES[consent.action],
        uuid.UUID(consent.id).bytes,
        int(consent.decided_at.timestamp()),
        int(consent.expires_at.timestamp()),
        catalogue.fingerprint,
        len(revision),
    )
    purposes = _bits(consent.purposes, catalogue.optional_purposes)
    return header + revision + purposes + _bits(consent.vendors, catalogue.optional_vendors)


def _bits(granted: frozenset[str], ids: Sequence[str]) -> bytes:
    value = 0
    for i, item in enumerate(ids):
        if item in granted:
            value |= 1 << i
    return value.to_bytes((len(ids) + 7) // 8, "little")


# base64url to base64; "+" and "/", which base64url lacks, become "!", which the strict
# decoder refuses, so one translation both converts and checks the alphabet.
_FROM_URLSAFE = bytes.maketrans(b"-_+/", b"+/!!")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64encode(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64decode(text: bytes) -> bytes:
    """Strict base64url: any character outside the alphabet is an error, not skipped."""
    return binascii.a2b_base64(
        text.translate(_FROM_URLSAFE) + b"=" * (-len(text) % 4), strict_mode=True
    )


def _b64decode_exact(text: str, chars: int, scheme: str) -> bytes:
    """Decode a signature, refusing any text but the one canonical encoding.

    Base64's last character carries unused bits; without this check, several
    different tokens would carry the same signature.
    """
    if len(text) != chars:
        raise InvalidToken(f"signature is {len(text)} characters; {scheme} has {chars}")
    try:
        raw = _b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidToken("signature is not base64url") from None
    if _b64encode(raw) != text.encode("ascii"):
        raise InvalidToken("signature is not canonical base64url")
    return raw


def _private_key(key: PrivateKey) -> Ed25519PrivateKey:
    if isinstance(key, Ed25519PrivateKey):
        return key
    loaded = _load_key(key, "private_key", private=True)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError("private_key is not an Ed25519 key")
    return loaded


def _public_key(key: PublicKey, index: int) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PublicKey):
        return key
    loaded = _load_key(key, f"public_keys[{index}]", private=False)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ConfigurationError(f"public_keys[{index}] is not an Ed25519 key")
    return loaded


def _load_key(key: str | bytes, name: str, *, private: bool) -> object:
    """Read a key as PEM, as 32 raw bytes, or as their base64url text (``consentkit keygen``)."""
    raw = key.encode() if isinstance(key, str) else key
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            if private:
                return serialization.load_pem_private_key(raw, password=None)
            return serialization.load_pem_public_key(raw)
        if len(raw) != 32:
            raw = _b64decode(raw)
        if private:
            return Ed25519PrivateKey.from_private_bytes(raw)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ConfigurationError(f"{name} can't be read as an Ed25519 key: {exc}") from None


def _utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
