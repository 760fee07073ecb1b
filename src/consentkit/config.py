"""How a site runs consentkit: one immutable object, validated when it is built."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from consentkit.catalogue import Catalogue
from consentkit.exceptions import ConfigurationError, LedgerError
from consentkit.tokens import TokenSigner

if TYPE_CHECKING:
    from consentkit.ledger import Ledger
    from consentkit.tcf import TCFConfig

__all__ = ["DEFAULT_COOKIE_NAME", "DEFAULT_MOUNT_PATH", "ConsentConfig"]

DEFAULT_COOKIE_NAME = "consentkit"
DEFAULT_MOUNT_PATH = "/_consentkit"
#: Consent requests are a few ids; a larger body is refused before it is read.
DEFAULT_MAX_BODY = 16 * 1024

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_MOUNT = re.compile(r"^(?:/[A-Za-z0-9._~-]+)+$")
_DOMAIN = re.compile(r"^\.?(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+$")


@dataclass(frozen=True, slots=True, init=False)
class ConsentConfig:
    """Everything the middleware needs, checked once at start-up.

    :param catalogue: the site's catalogue, or the path of its TOML/JSON file.
    :param secret_keys: HMAC keys, oldest to newest (see :class:`TokenSigner`).
    :param signer: a ready :class:`TokenSigner` instead of ``secret_keys``
        (for Ed25519 keys).
    :param cookie_name: the consent cookie's name.
    :param cookie_domain: its ``Domain``, to share consent across subdomains;
        host-only when ``None``.
    :param cookie_secure: send it with ``Secure``; turn off only for plain-http
        development, or browsers will drop it on http.
    :param mount_path: where the consent endpoints live.
    :param strict: block cookies no catalogue rule declares, instead of letting them
        through with a warning.
    :param max_body: the largest consent request body read, in bytes.
    :param banner: inject the consent banner into HTML pages.
    :param language: the banner's language; by default the visitor's
        ``Accept-Language`` among the catalogue's, else its default language.
    :param consent_mode: Google Consent Mode v2: ``"off"``; ``"basic"`` (Google tags
        stay blocked until consent, and get the matching signals); or ``"advanced"``
        (they load at once with denied defaults). Needs the catalogue's ``consent_mode``.
    :param tcf: issue an IAB TCF v2.2 TC string (``euconsent-v2``) with every choice,
        and answer ``__tcfapi`` in the page.
    :param ledger: the proof-of-consent ledger every decision is written to before
        its cookie is set: a :class:`~consentkit.ledger.Ledger`, or its URL
        (``sqlite:///consent.db``, ``postgresql://...``). ``None``: no proof kept.
    :param ledger_key: with a URL, the secret that pseudonymises consent ids in it.
    :param ledger_personal: with a URL, the personal fields to seal into records
        (``"user_agent"``, ``"ip"``, ``"account"``); none by default.
    :param ledger_account: the account id of a logged-in visitor, from the request's
        headers (lower-cased names), for sites that seal ``"account"``.
    :raises ConfigurationError: naming what is wrong.

    .. versionchanged:: 0.1
       ``ledger``, ``ledger_key``, ``ledger_personal`` and ``ledger_account``.
    """

    catalogue: Catalogue
    #: The HMAC keys, oldest to newest; empty when a ``signer`` was given.
    secret_keys: tuple[str | bytes, ...]
    #: Signs and reads the consent tokens: the one given, or one made from ``secret_keys``.
    signer: TokenSigner
    cookie_name: str
    cookie_domain: str | None
    cookie_secure: bool
    mount_path: str
    strict: bool
    max_body: int
    banner: bool
    language: str | None
    consent_mode: Literal["off", "basic", "advanced"]
    tcf: TCFConfig | None
    #: A URL given is opened at construction: this is the ledger, or None.
    ledger: Ledger | None
    ledger_key: str | bytes | None = field(repr=False)
    ledger_personal: tuple[str, ...]
    ledger_account: Callable[[Mapping[str, str]], str | None] | None

    def __init__(
        self,
        catalogue: Catalogue | str | Path,
        secret_keys: Sequence[str | bytes] | str | bytes = (),
        signer: TokenSigner | None = None,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        cookie_domain: str | None = None,
        cookie_secure: bool = True,
        mount_path: str = DEFAULT_MOUNT_PATH,
        strict: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
        banner: bool = True,
        language: str | None = None,
        consent_mode: Literal["off", "basic", "advanced"] = "off",
        tcf: TCFConfig | None = None,
        ledger: Ledger | str | None = None,
        ledger_key: str | bytes | None = None,
        ledger_personal: Sequence[str] = (),
        ledger_account: Callable[[Mapping[str, str]], str | None] | None = None,
    ) -> None:
        # The parameters take more than the attributes hold (a path for the catalogue,
        # a URL for the ledger, no signer): each is set once, converted and checked.
        put = object.__setattr__
        problems: list[str] = []
        if isinstance(catalogue, str | Path):
            catalogue = Catalogue.from_file(catalogue)
        elif not isinstance(catalogue, Catalogue):
            problems.append(
                f"catalogue must be a Catalogue or a path, not {type(catalogue).__name__}"
            )
        put(self, "catalogue", catalogue)
        keys = (secret_keys,) if isinstance(secret_keys, str | bytes) else tuple(secret_keys)
        put(self, "secret_keys", keys)
        if signer is None:
            if not keys:
                problems.append("secret_keys is empty: give at least one key, or a signer")
            else:
                signer = TokenSigner(keys)
        elif keys:
            problems.append("give secret_keys or signer, not both")
        elif not isinstance(signer, TokenSigner):
            problems.append(f"signer must be a TokenSigner, not {type(signer).__name__}")
        elif not signer.can_sign:
            problems.append("signer has only public keys: the middleware must sign choices")
        put(self, "signer", signer)
        put(self, "cookie_name", cookie_name)
        put(self, "cookie_domain", cookie_domain)
        put(self, "cookie_secure", cookie_secure)
        put(self, "mount_path", mount_path)
        put(self, "strict", strict)
        put(self, "max_body", max_body)
        put(self, "banner", banner)
        put(self, "language", language)
        put(self, "consent_mode", consent_mode)
        put(self, "tcf", tcf)
        put(self, "ledger", None)
        put(self, "ledger_key", ledger_key)
        put(self, "ledger_personal", ledger_personal)
        put(self, "ledger_account", ledger_account)
        problems += self._problems()
        problems += self._open_ledger(ledger)
        if problems:
            raise ConfigurationError(problems)

    def _problems(self) -> list[str]:
        problems = []
        if not _TOKEN.match(self.cookie_name):
            problems.append(f"cookie_name {self.cookie_name!r} is not a valid cookie name")
        if self.cookie_domain is not None and not _DOMAIN.match(self.cookie_domain):
            problems.append(f"cookie_domain {self.cookie_domain!r} is not a domain name")
        if not _MOUNT.match(self.mount_path):
            problems.append(
                f"mount_path {self.mount_path!r} must look like '/_consentkit': "
                "a path starting with '/', without a trailing '/'"
            )
        if self.max_body < 256:
            problems.append(f"max_body {self.max_body} is too small for a consent request")
        if not isinstance(self.catalogue, Catalogue):
            return problems
        languages = self.catalogue.all_languages
        if self.language is not None and self.language not in languages:
            problems.append(
                f"language {self.language!r} is not one of the catalogue's: " + ", ".join(languages)
            )
        if self.consent_mode not in ("off", "basic", "advanced"):
            problems.append(
                f"consent_mode {self.consent_mode!r} must be 'off', 'basic' or 'advanced'"
            )
        elif self.consent_mode != "off" and self.catalogue.consent_mode is None:
            problems.append(
                "consent_mode needs the catalogue's [consent_mode] table: which purposes "
                "grant analytics_storage, ad_storage, ad_user_data and ad_personalization"
            )
        if self.tcf is not None:
            # Only a site that turns TCF on loads it.
            from consentkit.tcf import TCFConfig

            if not isinstance(self.tcf, TCFConfig):
                problems.append(f"tcf must be a TCFConfig, not {type(self.tcf).__name__}")
            else:
                problems += self.tcf.check(self.catalogue)
        return problems

    def _open_ledger(self, ledger: object) -> list[str]:
        personal = self.ledger_personal
        if isinstance(personal, str):
            return ["ledger_personal is a list of field names, not one string"]
        object.__setattr__(self, "ledger_personal", tuple(personal))
        if ledger is None:
            if self.ledger_key is not None or self.ledger_personal:
                return ["ledger_key and ledger_personal need a ledger"]
            return []
        # Only a site that keeps proof loads the ledger.
        from consentkit.ledger import Ledger

        if isinstance(ledger, str):
            if self.ledger_key is None:
                return ["a ledger URL needs ledger_key, the secret that pseudonymises consent ids"]
            try:
                ledger = Ledger.open(ledger, key=self.ledger_key, personal=self.ledger_personal)
            except ConfigurationError as exc:
                return exc.problems
            except LedgerError as exc:
                return [f"ledger {ledger!r}: {exc}"]
        elif not isinstance(ledger, Ledger):
            return [f"ledger must be a Ledger or a URL, not {type(ledger).__name__}"]
        elif self.ledger_key is not None or self.ledger_personal:
            return ["give ledger_key and ledger_personal to Ledger.open, not beside a Ledger"]
        elif not ledger.has_key:
            return ["the ledger was opened without its key: it can't record decisions"]
        object.__setattr__(self, "ledger", ledger)
        return []
