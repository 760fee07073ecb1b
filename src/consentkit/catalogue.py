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
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, ValidationError

from consentkit._checks import Parts, describe_errors, in_file_order, reference_problems
from consentkit._schema import GLOB_CHARS, FrozenModel, Language, Text, language_order
from consentkit._schema import ConsentModeMapping as ConsentModeMapping
from consentkit._schema import CookieRule as CookieRule
from consentkit._schema import ExpiryPolicy as ExpiryPolicy
from consentkit._schema import Purpose as Purpose
from consentkit._schema import Storage as Storage
from consentkit._schema import TextOrTexts as TextOrTexts
from consentkit._schema import Texts as Texts
from consentkit._schema import TransferSafeguard as TransferSafeguard
from consentkit._schema import Vendor as Vendor
from consentkit.exceptions import ConfigurationError

__all__ = ["Catalogue", "ConsentModeMapping", "CookieRule", "ExpiryPolicy", "Purpose", "Vendor"]

_RULE_CACHE_SIZE = 4096


class Catalogue(FrozenModel):
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
    #: The banner's words, per language, replacing its defaults key by key.
    texts: dict[Language, dict[str, Text]] = Field(default_factory=dict)
    #: How purposes map to Google Consent Mode v2 signals, when the site uses it.
    consent_mode: ConsentModeMapping | None = None
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    vendors: tuple[Vendor, ...] = ()
    cookies: tuple[CookieRule, ...] = ()

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = describe_errors(exc, data)
            problems += reference_problems(Parts(data))
            raise ConfigurationError(in_file_order(problems, type(self).model_fields)) from None
        problems = reference_problems(Parts(self))
        if problems:
            raise ConfigurationError(in_file_order(problems, type(self).model_fields))

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
        if rule.purposes or rule.vendor is None:
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
        self.languages = language_order(catalogue.default_language, catalogue.languages)
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
                literal = sum(char not in GLOB_CHARS for char in rule.name)
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
