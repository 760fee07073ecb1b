"""Collect, sign, enforce and prove visitors' cookie consent, on the server.

The public API is what ``__all__`` lists; everything else is private.
"""

from __future__ import annotations

import typing

from consentkit.asgi import ASGIConsentMiddleware as ASGIConsentMiddleware
from consentkit.catalogue import Catalogue as Catalogue
from consentkit.catalogue import CookieRule as CookieRule
from consentkit.catalogue import ExpiryPolicy as ExpiryPolicy
from consentkit.catalogue import Purpose as Purpose
from consentkit.catalogue import Vendor as Vendor
from consentkit.config import ConsentConfig as ConsentConfig
from consentkit.consent import Action as Action
from consentkit.consent import Consent as Consent
from consentkit.durations import Duration as Duration
from consentkit.engine import get_consent as get_consent
from consentkit.exceptions import CheckpointError as CheckpointError
from consentkit.exceptions import ChoiceError as ChoiceError
from consentkit.exceptions import ConfigurationError as ConfigurationError
from consentkit.exceptions import ConsentKitError as ConsentKitError
from consentkit.exceptions import ExpiredToken as ExpiredToken
from consentkit.exceptions import InvalidToken as InvalidToken
from consentkit.exceptions import LedgerError as LedgerError
from consentkit.exceptions import LedgerSchemaError as LedgerSchemaError
from consentkit.exceptions import LedgerUnavailable as LedgerUnavailable
from consentkit.exceptions import ReportError as ReportError
from consentkit.exceptions import StaleConsent as StaleConsent
from consentkit.exceptions import TCFDecodeError as TCFDecodeError
from consentkit.exceptions import TCFEncodeError as TCFEncodeError
from consentkit.exceptions import TCFError as TCFError
from consentkit.exceptions import TokenError as TokenError
from consentkit.gate import Gate as Gate
from consentkit.tokens import TokenSigner as TokenSigner
from consentkit.wsgi import WSGIConsentMiddleware as WSGIConsentMiddleware

if typing.TYPE_CHECKING:
    from consentkit.ledger import Ledger as Ledger

__version__ = "0.1.0.dev0"

__all__ = [
    "ASGIConsentMiddleware",
    "Action",
    "Catalogue",
    "CheckpointError",
    "ChoiceError",
    "ConfigurationError",
    "Consent",
    "ConsentConfig",
    "ConsentKitError",
    "CookieRule",
    "Duration",
    "ExpiredToken",
    "ExpiryPolicy",
    "Gate",
    "InvalidToken",
    "Ledger",
    "LedgerError",
    "LedgerSchemaError",
    "LedgerUnavailable",
    "Purpose",
    "ReportError",
    "StaleConsent",
    "TCFDecodeError",
    "TCFEncodeError",
    "TCFError",
    "TokenError",
    "TokenSigner",
    "Vendor",
    "WSGIConsentMiddleware",
    "get_consent",
]


def __getattr__(name: str) -> object:
    # The ledger is loaded when a site uses one, not by ``import consentkit``.
    if name == "Ledger":
        from consentkit.ledger import Ledger

        return Ledger
    raise AttributeError(f"module 'consentkit' has no attribute {name!r}")
