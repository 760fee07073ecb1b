"""What a site does with its visitors' devices: purposes, vendors and cookie rules.

The catalogue is written once, by the site, in TOML or JSON, and validated once,
at start-up. Every problem is reported at once, each naming its place
(``vendors[0] (google-analytics).purposes: unknown purpose 'ads'``), so one
run of ``consentkit check`` is enough to fix a file. A :class:`Catalogue` never
changes afterwards; requests only read it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from consentkit.durations import Duration, parse_duration
from consentkit.exceptions import ConfigurationError

__all__ = ["Catalogue", "CookieRule", "ExpiryPolicy", "Purpose", "Vendor"]

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

_EEA = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT"}
    | {"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
)
# What a browser puts in a cookie name (RFC 6265 token), plus the glob characters.
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z?\[\]]+$")
_GLOB_CHARS = frozenset("*?[")
_RULE_CACHE_SIZE = 4096


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_M = TypeVar("_M", bound=_Model)


class Purpose(_Model):
    """Why something is stored on or read from the visitor's device.

    An ``essential`` purpose is strictly necessary to the service the visitor
    asked for: it is always granted and can't be refused.
    """

    id: Slug
    name: Texts
    description: Texts
    essential: bool = False


class Vendor(_Model):
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


class CookieRule(_Model):
    """A cookie (or storage item) a vendor sets, by exact name or glob.

    A rule serving several purposes is allowed only when all of them are granted.
    ``purposes`` defaults to the vendor's own.
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    #: The name as the policy's cookie table writes it, when it differs from ``name``
    #: (``_gat_UA-XXXXXXXX-X`` for the rule ``_gat_UA-*``).
    label: Text | None = None
    vendor: Slug
    purposes: tuple[Slug, ...] = ()
    #: How long it lasts, as the policy writes it: ``"13 mois"``, ``{"fr": "24 heures",
    #: "en": "24 hours"}``, ``"session"``, or ``"(-)"`` when unknown.
    duration: Text | Texts
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
        return any(char in _GLOB_CHARS for char in self.name)


class ExpiryPolicy(_Model):
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


class Catalogue(_Model):
    """Everything a site declares about consent, validated as a whole.

    Build it with :meth:`from_file`, :meth:`model_validate` or the constructor;
    each raises :class:`~consentkit.ConfigurationError` listing every problem.
    Changing ``revision`` asks every visitor again.
    """

    revision: Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,64}$")]
    default_language: Language = "en"
    #: The languages every text must exist in; the default language is always one.
    languages: tuple[Language, ...] = ()
    #: Where the site's own privacy and cookie policy lives, for the banner's link.
    policy_url: Annotated[str, StringConstraints(pattern=r"^(?:https?://|/)\S*$")] | None = None
    expiry: ExpiryPolicy = ExpiryPolicy()
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    vendors: tuple[Vendor, ...] = ()
    cookies: tuple[CookieRule, ...] = ()

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = _describe_errors(exc, data)
            problems += _reference_problems(_Parts(data))
            raise ConfigurationError(problems) from None
        problems = _reference_problems(_Parts(self))
        if problems:
            raise ConfigurationError(problems)

    def __hash__(self) -> int:
        # Equal catalogues share revision and fingerprint; pydantic's own hash
        # would fail on the text dictionaries.
        return hash((self.revision, self.fingerprint))

    def model_post_init(self, context: Any, /) -> None:
        self._index  # noqa: B018  -- computed now, at start-up, not on a first request

    @cached_property
    def _index(self) -> _Index:
        # A cached_property, not a pydantic PrivateAttr: requests read it on their
        # hot path, and a plain attribute read is several times faster.
        return _Index(self)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate a mapping (parsed TOML or JSON) into a catalogue.

        Pydantic's options are ignored: a catalogue is always validated whole and strictly.

        :raises ConfigurationError: listing every problem found.
        """
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, Mapping):
            raise ConfigurationError(
                f"a catalogue is a table of settings, not {type(obj).__name__}"
            )
        bad_keys = [key for key in obj if not isinstance(key, str)]
        if bad_keys:
            raise ConfigurationError(f"setting names must be text, not {bad_keys!r}")
        return cls(**obj)

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any
    ) -> Self:
        """Validate a JSON document into a catalogue.

        :raises ConfigurationError: listing every problem found.
        """
        try:
            data = json.loads(json_data)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"not valid JSON: {exc}") from None
        return cls.model_validate(data)

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Read a catalogue from a ``.toml`` or ``.json`` file.

        :raises ConfigurationError: naming the file, for unreadable or invalid content.
        """
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"can't read the catalogue: {exc.strerror}", source=str(path)
            ) from None
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(raw)
            elif path.suffix.lower() == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            else:
                raise ConfigurationError(
                    "a catalogue file ends in .toml or .json", source=str(path)
                )
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"not UTF-8 text: {exc}", source=str(path)) from None
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigurationError(
                f"not valid {path.suffix[1:].upper()}: {exc}", source=str(path)
            ) from None
        try:
            return cls.model_validate(data)
        except ConfigurationError as exc:
            raise ConfigurationError(exc.problems, source=str(path)) from None

    # Lookups. All are precomputed at start-up, because requests call them.

    @property
    def all_languages(self) -> tuple[str, ...]:
        """The default language first, then the others declared."""
        return self._index.languages

    def purpose(self, purpose_id: str) -> Purpose | None:
        return self._index.purposes.get(purpose_id)

    def vendor(self, vendor_id: str) -> Vendor | None:
        return self._index.vendors.get(vendor_id)

    @property
    def essential_purposes(self) -> frozenset[str]:
        """Purposes that are always granted."""
        return self._index.essential_purposes

    @property
    def optional_purposes(self) -> tuple[str, ...]:
        """Purposes a visitor chooses, sorted by id."""
        return self._index.optional_purposes

    @property
    def essential_vendors(self) -> frozenset[str]:
        """Vendors whose purposes are all essential: always granted."""
        return self._index.essential_vendors

    @property
    def optional_vendors(self) -> tuple[str, ...]:
        """Vendors a visitor chooses, sorted by id."""
        return self._index.optional_vendors

    @property
    def fingerprint(self) -> bytes:
        """4 bytes that change when the optional purposes or vendors change.

        A token records choices by position among these, so a token made for
        another set of them can't be read: its visitor is asked again.
        """
        return self._index.fingerprint

    def rule_for(self, name: str, storage: Storage = "cookie") -> CookieRule | None:
        """The rule that governs a cookie name: an exact name first, else the most specific glob."""
        return self._index.rule_for(name, storage)

    def purposes_of(self, rule: CookieRule) -> frozenset[str]:
        """The purposes a rule needs: its own, or its vendor's."""
        if rule.purposes:
            return frozenset(rule.purposes)
        return frozenset(self._index.vendors[rule.vendor].purposes)

    def localize(self, texts: Mapping[str, str], lang: str | None = None) -> str:
        """The text in ``lang``, falling back to the default language."""
        if lang is not None and lang in texts:
            return texts[lang]
        return texts[self.default_language]

    def duration_text(self, rule: CookieRule, lang: str | None = None) -> str:
        """A rule's duration as the policy words it in ``lang``.

        A duration given as one plain text is in the default language; in
        another language it is put in words from its value.
        """
        lang = lang or self.default_language
        if isinstance(rule.duration, str):
            return rule.duration if lang == self.default_language else rule.lifetime.describe(lang)
        return rule.duration.get(lang) or rule.lifetime.describe(lang)


class _Index:
    """Lookups derived from a valid catalogue, computed once."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.languages = _languages(catalogue.default_language, catalogue.languages)
        self.purposes = {p.id: p for p in catalogue.purposes}
        self.vendors = {v.id: v for v in catalogue.vendors}
        self.essential_purposes = frozenset(p.id for p in catalogue.purposes if p.essential)
        self.optional_purposes = tuple(sorted(self.purposes.keys() - self.essential_purposes))
        self.essential_vendors = frozenset(
            v.id for v in catalogue.vendors if set(v.purposes) <= self.essential_purposes
        )
        self.optional_vendors = tuple(sorted(self.vendors.keys() - self.essential_vendors))
        digest = hashlib.sha256(
            "\x1f".join(self.optional_purposes).encode()
            + b"\x1e"
            + "\x1f".join(self.optional_vendors).encode()
        )
        self.fingerprint = digest.digest()[:4]
        self._exact: dict[tuple[str, str], CookieRule] = {}
        globs: list[tuple[int, int, re.Pattern[str], CookieRule]] = []
        for order, rule in enumerate(catalogue.cookies):
            if rule.is_pattern:
                literal = sum(char not in _GLOB_CHARS for char in rule.name)
                globs.append((-literal, order, re.compile(fnmatch.translate(rule.name)), rule))
            else:
                self._exact.setdefault((rule.storage, rule.name), rule)
        globs.sort(key=lambda entry: entry[:2])
        self._globs = [(pattern, rule) for _, _, pattern, rule in globs]
        self._cache: dict[tuple[str, str], CookieRule | None] = {}

    def rule_for(self, name: str, storage: str) -> CookieRule | None:
        key = (storage, name)
        try:
            return self._cache[key]
        except KeyError:
            pass
        rule = self._exact.get(key)
        if rule is None:
            rule = next(
                (r for pattern, r in self._globs if r.storage == storage and pattern.match(name)),
                None,
            )
        # Names come from visitors' requests: bound the cache so junk can't grow it.
        if len(self._cache) >= _RULE_CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = rule
        return rule


def _languages(default: str, declared: Iterable[str]) -> tuple[str, ...]:
    return (default, *(lang for lang in dict.fromkeys(declared) if lang != default))


# Validation. Pydantic checks each field; the functions below check what
# relates fields to one another, and word every problem with its place.


def _describe_errors(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = _place(error["loc"], data)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = f"{error['input']!r} is not valid here"
        elif error["type"] == "extra_forbidden":
            message = "unknown setting (check its spelling)"
        problems.append(f"{loc}: {message}" if loc else message)
    return problems


def _place(loc: Sequence[int | str], data: Any) -> str:
    """``('vendors', 0, 'purposes', 1)`` as ``vendors[0] (google-analytics).purposes[1]``."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, Sequence) and 0 <= part < len(node) else None
            label = _label(node)
            if label:
                out += f" ({label})"
        else:
            out += f".{part}" if out else part
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def _label(item: Any) -> str | None:
    if isinstance(item, Mapping):
        value = item.get("id", item.get("name"))
        return value if isinstance(value, str) else None
    if isinstance(item, Purpose | Vendor):
        return item.id
    if isinstance(item, CookieRule):
        return item.name
    return None


class _Parts:
    """The items of a catalogue, each valid or ``None``, with their original positions.

    An invalid catalogue is checked too, so every problem shows in one report:
    invalid items are skipped, but their ids still count as declared, so a
    typo in one vendor doesn't turn every reference to it into a second error.
    """

    def __init__(self, data: Catalogue | Mapping[str, Any]) -> None:
        if isinstance(data, Catalogue):
            self.default, self.declared = data.default_language, tuple(data.languages)
            self.purposes: list[Purpose | None] = list(data.purposes)
            self.vendors: list[Vendor | None] = list(data.vendors)
            self.cookies: list[CookieRule | None] = list(data.cookies)
            self.raw_purpose_ids: set[str] = set()
            self.raw_vendor_ids: set[str] = set()
            return
        default = data.get("default_language", "en")
        declared = data.get("languages", ())
        self.default = default if isinstance(default, str) else "en"
        self.declared = (
            tuple(lang for lang in declared if isinstance(lang, str))
            if isinstance(declared, list | tuple)
            else ()
        )
        self.purposes = _valid_items(data.get("purposes"), Purpose)
        self.vendors = _valid_items(data.get("vendors"), Vendor)
        self.cookies = _valid_items(data.get("cookies"), CookieRule)
        self.raw_purpose_ids = _raw_ids(data.get("purposes"))
        self.raw_vendor_ids = _raw_ids(data.get("vendors"))


def _valid_items(items: Any, model: type[_M]) -> list[_M | None]:
    if not isinstance(items, list | tuple):
        return []
    out: list[_M | None] = []
    for item in items:
        try:
            out.append(item if isinstance(item, model) else model.model_validate(item))
        except ValidationError:
            out.append(None)
    return out


def _raw_ids(items: Any) -> set[str]:
    if not isinstance(items, list | tuple):
        return set()
    return {
        item["id"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("id"), str)
    }


def _reference_problems(parts: _Parts) -> list[str]:
    problems: list[str] = []
    default = parts.default
    languages = _languages(default, parts.declared)

    def texts(place: str, field: str, value: Mapping[str, str] | str | None) -> None:
        if value is None or isinstance(value, str):
            return
        for lang in languages:
            if lang not in value:
                which = "the default language" if lang == default else "a declared language"
                problems.append(f"{place}.{field}: no text in {which} {lang!r}")

    purposes = [(i, p) for i, p in enumerate(parts.purposes) if p is not None]
    vendors = [(i, v) for i, v in enumerate(parts.vendors) if v is not None]
    cookies = [(i, c) for i, c in enumerate(parts.cookies) if c is not None]
    purpose_ids = _unique("purposes", [(i, p.id) for i, p in purposes], problems)
    purpose_ids |= parts.raw_purpose_ids
    vendor_ids = _unique("vendors", [(i, v.id) for i, v in vendors], problems)
    vendor_ids |= parts.raw_vendor_ids
    by_vendor = {v.id: v for _, v in vendors}
    for i, purpose in purposes:
        place = f"purposes[{i}] ({purpose.id})"
        texts(place, "name", purpose.name)
        texts(place, "description", purpose.description)
    for i, vendor in vendors:
        place = f"vendors[{i}] ({vendor.id})"
        for unknown in sorted(set(vendor.purposes) - purpose_ids):
            problems.append(f"{place}.purposes: unknown purpose {unknown!r}")
        if vendor.country not in _EEA and vendor.transfer_safeguard is None:
            problems.append(
                f"{place}.transfer_safeguard: {vendor.country} is outside the EEA; name the "
                "safeguard for the transfer (e.g. 'standard-contractual-clauses')"
            )
        texts(place, "description", vendor.description)
    decisions: dict[tuple[str, str, str | None, str | None], tuple[str, frozenset[str], int]] = {}
    for i, rule in cookies:
        place = f"cookies[{i}] ({rule.name})"
        if rule.vendor not in vendor_ids:
            problems.append(f"{place}.vendor: unknown vendor {rule.vendor!r}")
        for unknown in sorted(set(rule.purposes) - purpose_ids):
            problems.append(f"{place}.purposes: unknown purpose {unknown!r}")
        owner = by_vendor.get(rule.vendor)
        if owner is not None:
            for extra in sorted(set(rule.purposes) - set(owner.purposes)):
                if extra in purpose_ids:
                    problems.append(
                        f"{place}.purposes: {extra!r} is not one of vendor {owner.id!r}'s purposes"
                    )
        if rule.storage == "cookie" and not _COOKIE_NAME.match(rule.name):
            problems.append(f"{place}.name: {rule.name!r} has characters a cookie name can't have")
        texts(place, "description", rule.description)
        texts(place, "duration", rule.duration)
        # The policy's own table lists _gat_UA-XXXXXXXX-X twice, with two durations:
        # rows may repeat a name, but never with another decision.
        key = (rule.storage, rule.name, rule.domain, rule.path)
        needs = (rule.vendor, frozenset(rule.purposes or (owner.purposes if owner else ())), i)
        if key in decisions and decisions[key][:2] != needs[:2]:
            problems.append(
                f"{place}: same cookie as cookies[{decisions[key][2]}] but another vendor or "
                "purposes; a cookie's decision must be unambiguous"
            )
        decisions.setdefault(key, needs)
    return problems


def _unique(kind: str, ids: list[tuple[int, str]], problems: list[str]) -> set[str]:
    seen: dict[str, int] = {}
    for i, item_id in ids:
        if item_id in seen:
            problems.append(
                f"{kind}[{i}] ({item_id}): duplicate id, first used by {kind}[{seen[item_id]}]"
            )
        seen.setdefault(item_id, i)
    return set(seen)
