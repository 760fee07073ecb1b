"""Every error consentkit raises on purpose.

Our exception hierarchy::

    ConsentKitError
    ├── ConfigurationError (ValueError)  bad catalogue or config; at start-up, never per request
    ├── TokenError                       never escapes the middleware: it means "no consent"
    │   ├── InvalidToken                 malformed, bad signature, unknown key
    │   │   └── ExpiredToken             past the decision's own expiry
    │   └── StaleConsent                 given under another catalogue revision
    ├── ChoiceError (ValueError)         unknown purpose or vendor id, bad action
    ├── TCFError (ValueError)
    │   ├── TCFDecodeError
    │   └── TCFEncodeError
    ├── LedgerError                      the proof-of-consent ledger
    │   ├── LedgerUnavailable            can't be written now: locked, full, read-only, gone
    │   ├── LedgerSchemaError            a database of another schema, or of none
    │   └── CheckpointError              a malformed checkpoint, or a bad signing key
    └── ReportError (ValueError)         a report asked for badly, or its extra missing

Errors from the libraries underneath (pydantic, itsdangerous, cryptography) are
wrapped, so callers only ever need to catch ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

__all__ = [
    "CheckpointError",
    "ChoiceError",
    "ConfigurationError",
    "ConsentKitError",
    "ExpiredToken",
    "InvalidToken",
    "LedgerError",
    "LedgerSchemaError",
    "LedgerUnavailable",
    "ReportError",
    "StaleConsent",
    "TCFDecodeError",
    "TCFEncodeError",
    "TCFError",
    "TokenError",
]


class ConsentKitError(Exception):
    """The root of every error raised by consentkit."""


class ConfigurationError(ConsentKitError, ValueError):
    """A catalogue or a configuration is invalid.

    All the problems found are listed, each naming its place, so one run of
    ``consentkit check`` is enough to fix a file.
    """

    def __init__(self, problems: str | Iterable[str], *, source: str | None = None) -> None:
        #: Every problem found, each one a sentence that names its place.
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        #: Where the configuration came from (a file path), when known.
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''}{where}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class TokenError(ConsentKitError):
    """A consent token can't be used: treat the visitor as having given no consent."""


class InvalidToken(TokenError):
    """The token is malformed, its signature is wrong, or no known key signed it."""


class ExpiredToken(InvalidToken):
    """The token is authentic but the decision it carries has expired."""

    def __init__(self, message: str, expires_at: datetime) -> None:
        super().__init__(message)
        #: When the decision stopped being valid (UTC).
        self.expires_at = expires_at


class StaleConsent(TokenError):
    """The token is authentic but was given for another version of the catalogue."""

    def __init__(self, message: str, revision: str) -> None:
        super().__init__(message)
        #: The catalogue revision the visitor consented to.
        self.revision = revision


class ChoiceError(ConsentKitError, ValueError):
    """A visitor's choice names an unknown purpose or vendor, or an unknown action."""

    def __init__(self, message: str, *, field: str, unknown: Iterable[str] = ()) -> None:
        super().__init__(message)
        #: The part of the choice that is wrong: ``"action"``, ``"purposes"`` or ``"vendors"``.
        self.field = field
        #: The ids that the catalogue does not know, sorted.
        self.unknown: tuple[str, ...] = tuple(sorted(unknown))


class TCFError(ConsentKitError, ValueError):
    """An IAB TCF string or model is invalid."""


class TCFDecodeError(TCFError):
    """A TC string can't be decoded."""


class TCFEncodeError(TCFError):
    """A TC model can't be encoded."""


class LedgerError(ConsentKitError):
    """The proof-of-consent ledger can't record or find a decision."""


class LedgerUnavailable(LedgerError):
    """The ledger can't record a decision now; nothing was written.

    The consent endpoint answers an acceptance with 503 and sets no cookie:
    consent without proof is not consent.
    """


class LedgerSchemaError(LedgerError):
    """The database is not a consentkit ledger of the schema version this code reads."""

    def __init__(self, message: str, found: str | None = None) -> None:
        super().__init__(message)
        #: The schema version found, or ``None`` when the database has none.
        self.found = found


class CheckpointError(LedgerError):
    """A checkpoint note or a checkpoint key is malformed."""


class ReportError(ConsentKitError, ValueError):
    """A consent report can't be made as asked: a bad date, period or grouping, or
    the HTML report's charting extra (``consentkit[report]``) is not installed."""
