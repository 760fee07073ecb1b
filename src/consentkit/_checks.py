"""Catalogue checks that relate fields to one another, worded with their place.

Pydantic checks each field; these functions check references between fields
(a vendor naming an unknown purpose, a duplicate id, a text missing in a
declared language...) and word every problem with where it is, such as
``vendors[0] (google-analytics).purposes: unknown purpose 'ads'``. They also run
on an invalid catalogue, so one report lists everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from consentkit._texts import TEXT_KEYS
from consentkit.catalogue import (
    _COOKIE_NAME,
    _EEA,
    Catalogue,
    ConsentModeMapping,
    CookieRule,
    Purpose,
    Vendor,
    _languages,
    _Model,
)

_M = TypeVar("_M", bound=_Model)


def describe_errors(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
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


def _text_problems(texts: Any) -> list[str]:
    if not isinstance(texts, Mapping):
        return []
    problems = []
    for lang, table in texts.items():
        if isinstance(table, Mapping):
            for key in sorted(set(table) - TEXT_KEYS, key=str):
                known = ", ".join(sorted(TEXT_KEYS))
                problems.append(f"texts.{lang}.{key}: unknown banner text (known: {known})")
    return problems


def _consent_mode_problems(mapping: Any, purpose_ids: set[str], vendor_ids: set[str]) -> list[str]:
    if isinstance(mapping, ConsentModeMapping):
        mapping = mapping.model_dump()
    if not isinstance(mapping, Mapping):
        return []
    problems = []
    for key, ids in mapping.items():
        known = vendor_ids if key == "vendors" else purpose_ids
        kind = "vendor" if key == "vendors" else "purpose"
        if isinstance(ids, list | tuple):
            for unknown in sorted({i for i in ids if isinstance(i, str)} - known):
                problems.append(f"consent_mode.{key}: unknown {kind} {unknown!r}")
    return problems


class Parts:
    """The items of a catalogue, each valid or ``None``, with their original positions.

    An invalid catalogue is checked too, so every problem shows in one report:
    invalid items are skipped, but their ids still count as declared, so a
    typo in one vendor doesn't turn every reference to it into a second error.
    """

    def __init__(self, data: Catalogue | Mapping[str, Any]) -> None:
        if isinstance(data, Catalogue):
            self.texts: Any = data.texts
            self.consent_mode: Any = data.consent_mode
            self.default, self.declared = data.default_language, tuple(data.languages)
            self.purposes: list[Purpose | None] = list(data.purposes)
            self.vendors: list[Vendor | None] = list(data.vendors)
            self.cookies: list[CookieRule | None] = list(data.cookies)
            self.raw_purpose_ids: set[str] = set()
            self.raw_vendor_ids: set[str] = set()
            return
        self.texts = data.get("texts")
        self.consent_mode = data.get("consent_mode")
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


def reference_problems(parts: Parts) -> list[str]:
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
    problems += _text_problems(parts.texts)
    problems += _consent_mode_problems(parts.consent_mode, purpose_ids, vendor_ids)
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
