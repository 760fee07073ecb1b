"""The shapes of a catalogue's entries: purposes, vendors, cookie rules and their fields.

Each entry is a frozen pydantic model that checks its own fields. How the entries
relate to one another (a vendor naming a declared purpose, a text in every declared
language) is checked by :mod:`consentkit._checks`, and the whole by
:class:`~consentkit.catalogue.Catalogue`, which both import these from here. The
public names are :mod:`consentkit.catalogue`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
)

from consentkit.durations import Duration, parse_duration

__all__ = [
    "COOKIE_NAME",
    "EEA",
    "GLOB_CHARS",
    "ConsentModeMapping",
    "CookieRule",
    "ExpiryPolicy",
    "FrozenModel",
    "Language",
    "Purpose",
    "Slug",
    "Storage",
    "Text",
    "TextOrTexts",
    "Texts",
    "TransferSafeguard",
    "Vendor",
    "language_order",
]

#: Transfer mechanisms of GDPR chapter V a vendor outside the EEA may rely on.
TransferSafeguard = Literal[
    "adequacy-decision",
    "standard-contractual-clauses",
    "binding-corporate-rules",
    "data-privacy-framework",
]
Storage = Literal["cookie", "localStorage", "sessionStorage"]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Z]{2})?$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A text in several languages: ``{"fr": "Mesure d'audience", "en": "Audience measurement"}``.
Texts = dict[Language, Text]


def _one_or_by_language(value: Any) -> str | None:
    if isinstance(value, str):
        return "one-text"
    if isinstance(value, Mapping):
        return "by-language"
    return None


#: One text in the default language, or texts by language. Tagged, so that a wrong
#: value gets one error in plain words instead of one per member of the union.
TextOrTexts = Annotated[
    Annotated[Text, Tag("one-text")] | Annotated[Texts, Tag("by-language")],
    Discriminator(
        _one_or_by_language,
        custom_error_type="text_or_texts",
        custom_error_message="should be a text, or texts by language",
    ),
]

#: The European Economic Area: a vendor elsewhere needs a transfer safeguard.
EEA = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT"}
    | {"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
)
# What a browser puts in a cookie name (RFC 6265 token), plus the glob characters.
COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z?\[\]]+$")
GLOB_CHARS = frozenset("*?[")


class FrozenModel(BaseModel):
    """The base of every catalogue model: immutable, and refusing unknown settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Purpose(FrozenModel):
    """Why something is stored on or read from the visitor's device.

    An ``essential`` purpose is strictly necessary to the service the visitor
    asked for: it is always granted and can't be refused.
    """

    id: Slug
    name: Texts
    description: Texts
    essential: bool = False
    #: The IAB TCF purposes this purpose covers, for sites that issue TC strings.
    tcf_purposes: tuple[Annotated[int, Field(ge=1, le=24)], ...] = ()


class Vendor(FrozenModel):
    """A party that reads or writes on the visitor's device, and how to recognise its tags."""

    id: Slug
    name: Text
    purposes: tuple[Slug, ...] = Field(min_length=1)
    privacy_policy: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    #: Where the vendor processes data, as an ISO 3166-1 alpha-2 code.
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    #: Required when ``country`` is outside the EEA.
    transfer_safeguard: TransferSafeguard | None = None
    description: Texts | None = None
    #: The vendor's id in the IAB Global Vendor List, if it has one.
    gvl_id: Annotated[int, Field(ge=1)] | None = None
    #: Globs matched against tag URLs without their scheme: ``"www.googletagmanager.com/gtag/js*"``.
    url_patterns: tuple[Annotated[str, StringConstraints(pattern=r"^\S+$")], ...] = ()
    #: Substrings that identify the vendor's inline scripts: ``"gtag("``.
    inline_markers: tuple[Text, ...] = ()


class CookieRule(FrozenModel):
    """A cookie (or storage item) a vendor or the site itself sets, by exact name or glob.

    A rule serving several purposes is allowed only when all of them are granted.
    ``purposes`` defaults to the vendor's own. A rule without a vendor is a
    first-party cookie (``sessionid``, ``csrftoken``): the site's own, governed by
    its purposes alone, which it must then name. The site is no partner of its
    own, so such a cookie never shows in the banner's list of partners.
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    #: The name as the policy's cookie table writes it, when it differs from ``name``
    #: (``_gat_UA-XXXXXXXX-X`` for the rule ``_gat_UA-*``).
    label: Text | None = None
    #: Who sets it; ``None`` for the site's own cookies.
    vendor: Slug | None = None
    purposes: tuple[Slug, ...] = ()
    #: How long it lasts, as the policy writes it: ``"13 mois"``, ``{"fr": "24 heures",
    #: "en": "24 hours"}``, ``"session"``, or ``"(-)"`` when unknown.
    duration: TextOrTexts
    description: Texts
    domain: Annotated[str, StringConstraints(pattern=r"^\.?[A-Za-z0-9.-]+$")] | None = None
    path: Annotated[str, StringConstraints(pattern=r"^/\S*$")] | None = None
    storage: Storage = "cookie"

    @field_validator("duration")
    @classmethod
    def _readable_duration(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        texts = [value] if isinstance(value, str) else list(value.values())
        parsed = [parse_duration(text) for text in texts]
        if any(not p.same_length(parsed[0]) for p in parsed[1:]):
            raise ValueError(f"the languages disagree on the duration: {value!r}")
        return value

    @field_validator("name")
    @classmethod
    def _cookie_name(cls, value: str) -> str:
        if value.strip("*?") == "":
            raise ValueError(f"{value!r} would match every name; name the cookie or its prefix")
        return value

    @cached_property
    def lifetime(self) -> Duration:
        """The duration, read from its text."""
        text = (
            self.duration if isinstance(self.duration, str) else next(iter(self.duration.values()))
        )
        return parse_duration(text)

    @property
    def is_pattern(self) -> bool:
        return any(char in GLOB_CHARS for char in self.name)


class ExpiryPolicy(FrozenModel):
    """How long a decision is kept before the visitor is asked again."""

    #: A decision that grants any optional purpose (CNIL's recommendation: 6 months).
    accept: Text = "6 months"
    #: A decision that refuses every optional purpose.
    refuse: Text = "3 months"

    @field_validator("accept", "refuse")
    @classmethod
    def _fixed(cls, value: str) -> str:
        if not parse_duration(value).is_fixed:
            raise ValueError(f"a consent must expire at a fixed date, not after {value!r}")
        return value

    @cached_property
    def accept_duration(self) -> Duration:
        return parse_duration(self.accept)

    @cached_property
    def refuse_duration(self) -> Duration:
        return parse_duration(self.refuse)


class ConsentModeMapping(FrozenModel):
    """Which purposes drive each Google Consent Mode v2 signal.

    A signal is granted only when every purpose listed for it is; a signal with no
    purpose is always denied.
    """

    ad_storage: tuple[Slug, ...] = ()
    analytics_storage: tuple[Slug, ...] = ()
    ad_user_data: tuple[Slug, ...] = ()
    ad_personalization: tuple[Slug, ...] = ()
    #: The Google vendors whose tags load before consent in "advanced" Consent Mode.
    vendors: tuple[Slug, ...] = ()

    def signals(self) -> dict[str, tuple[str, ...]]:
        return {
            "ad_storage": self.ad_storage,
            "analytics_storage": self.analytics_storage,
            "ad_user_data": self.ad_user_data,
            "ad_personalization": self.ad_personalization,
        }


def language_order(default: str, declared: Iterable[str]) -> tuple[str, ...]:
    """The default language first, then the other declared ones, each once."""
    return (default, *(lang for lang in dict.fromkeys(declared) if lang != default))
