"""Catalogue checks that relate fields to one another, and every problem worded with its place.

Pydantic checks each field; :func:`describe_errors` words its errors plainly
(``vendors[0] (google-analytics).purposes: at least one purpose is needed``), never
in pydantic's own terms. :func:`reference_problems` checks references between
fields (a vendor naming an unknown purpose, a duplicate id, a text missing in a
declared language...). It also runs on an invalid catalogue, field by field: a
cookie whose duration is wrong still has its vendor checked, so one report lists
everything and one run of ``consentkit check`` is enough to fix a file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from consentkit._schema import (
    COOKIE_NAME,
    EEA,
    ConsentModeMapping,
    CookieRule,
    FrozenModel,
    Language,
    Purpose,
    Vendor,
    language_order,
)
from consentkit._texts import TEXT_KEYS


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


#: Stands for a field whose own value is invalid (its error is reported already):
#: the checks between fields skip it rather than report a consequence of it.
_INVALID: Any = _Invalid()

# The tags of the catalogue's unions (see catalogue.TextOrTexts): pydantic puts them in
# an error's location, where they mean nothing to whoever wrote the file.
_UNION_TAGS = frozenset({"one-text", "by-language"})

_SLUG_RULE = (
    "lower-case letters, digits, '-' and '_', at most 64, starting and ending with a "
    "letter or a digit"
)
_LANGUAGE = "a language code such as 'fr' or 'pt-BR'"
_LANGUAGE_KEY = "{!r} is not " + _LANGUAGE
#: What a text that doesn't match its pattern should have been, by field name.
_PATTERNS = {
    "id": f"a valid id: {_SLUG_RULE}",
    "purposes": f"a valid purpose id: {_SLUG_RULE}",
    "vendor": f"a valid vendor id: {_SLUG_RULE}",
    "vendors": f"a valid vendor id: {_SLUG_RULE}",
    "ad_storage": f"a valid purpose id: {_SLUG_RULE}",
    "analytics_storage": f"a valid purpose id: {_SLUG_RULE}",
    "ad_user_data": f"a valid purpose id: {_SLUG_RULE}",
    "ad_personalization": f"a valid purpose id: {_SLUG_RULE}",
    "default_language": _LANGUAGE,
    "languages": _LANGUAGE,
    "revision": "a valid revision: 1 to 64 printable ASCII characters, no space ('2026-11-01')",
    "policy_url": "a web address (https://...) or a path on the site (/...)",
    "privacy_policy": "a web address (https://...)",
    "country": "a country code: two capital letters, as in ISO 3166-1 ('FR', 'US')",
    "url_patterns": "a URL pattern: no space ('www.example.com/tag.js*')",
    "domain": "a domain ('example.com' or '.example.com')",
    "path": "a path: '/', then no space",
}
_SINGULAR = {"purposes": "purpose", "vendors": "vendor", "cookies": "cookie"}
_SECTION_OF = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?")


def describe_errors(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    """Pydantic's errors, each in plain words after its place in the file."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        key_error = bool(loc) and loc[-1] == "[key]"
        if key_error:
            # ("purposes", 3, "name", "FR", "[key]"): the place is the table, the
            # problem is the key.
            loc = loc[:-2]
        place, field = _place(loc, data)
        message = _LANGUAGE_KEY.format(error["input"]) if key_error else _message(error, field)
        problems.append(f"{place}: {message}" if place else message)
    return list(dict.fromkeys(problems))


def _message(error: ErrorDetails, field: str | None) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx") or {}
    if kind == "missing":
        return "required, and missing"
    if kind == "extra_forbidden":
        return "unknown setting (check its spelling)"
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not {_PATTERNS.get(field or '', 'valid here')}"
    if kind == "string_too_short":
        return "is empty; write something, or leave the setting out"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"at least one {_SINGULAR.get(field or '', 'item')} is needed"
    if kind in {"tuple_type", "list_type"}:
        return f'should be a list, like ["..."], not {_kind(value)}'
    if kind == "dict_type" and field in {"name", "description"}:
        return f'should be texts by language, like {field}.en = "...", not {_kind(value)}'
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"should be a table of settings, not {_kind(value)}"
    if kind == "text_or_texts":
        by_language = f'texts by language (like {field}.en = "...")'
        return f"should be a text, or {by_language}, not {_kind(value)}"
    if kind == "string_type":
        return f"should be a text, not {_kind(value)}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"should be true or false, not {_kind(value)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"should be a whole number, not {_kind(value)}"
    if kind == "greater_than_equal":
        return f"should be {ctx.get('ge')} or more, not {value!r}"
    if kind == "less_than_equal":
        return f"should be {ctx.get('le')} or less, not {value!r}"
    if kind == "literal_error":
        return f"should be {ctx.get('expected')}, not {_kind(value)}"
    return error["msg"]


def _kind(value: Any) -> str:
    """What a value is, in the words of someone who wrote TOML or JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _place(loc: Sequence[int | str], data: Any) -> tuple[str, str | None]:
    """``('vendors', 0, 'purposes', 1)`` as ``vendors[0] (google-analytics).purposes[1]``,
    and the name of the last field on the way (``purposes``)."""
    out = ""
    field = None
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, Sequence) and 0 <= part < len(node) else None
            label = _label(node)
            if label:
                out += f" ({label})"
            continue
        if part in _UNION_TAGS and not (isinstance(node, Mapping) and part in node):
            continue
        out += f".{part}" if out else part
        field = part
        node = node.get(part) if isinstance(node, Mapping) else None
    return out, field


def _label(item: Any) -> str | None:
    if isinstance(item, Mapping):
        value = item.get("id", item.get("name"))
        return value if isinstance(value, str) else None
    if isinstance(item, Purpose | Vendor):
        return item.id
    if isinstance(item, CookieRule):
        return item.name
    return None


def in_file_order(problems: list[str], sections: Iterable[str]) -> list[str]:
    """Problems sorted by the section and item they name, as the file reads.

    ``sections`` are the catalogue's top-level settings in the order the file reads.
    The sort is stable: an item's own problems keep their order.
    """
    order = {name: i for i, name in enumerate(sections)}

    def key(problem: str) -> tuple[int, int]:
        match = _SECTION_OF.match(problem)
        if match is None:
            return (-1, -1)
        section = order.get(match.group(1), len(order))
        return (section, int(match.group(2) or -1))

    return sorted(problems, key=key)


class Parts:
    """The items of a catalogue, each as its fields that are valid on their own.

    An invalid catalogue is checked too, so every problem shows in one report: a
    field that is itself invalid is :data:`_INVALID` and the checks skip it, and an
    invalid id still counts as declared, so a typo in one vendor's id doesn't turn
    every reference to it into a second error.
    """

    def __init__(self, data: FrozenModel | Mapping[str, Any]) -> None:
        get = data.get if isinstance(data, Mapping) else data.__getattribute__
        self.texts: Any = get("texts")
        self.consent_mode: Any = get("consent_mode")
        language = _adapter_for(Language)
        default = get("default_language")
        default = "en" if default is None else _valid(language, default)
        #: None when the default language itself is invalid: texts can't be checked.
        self.languages: tuple[str, ...] | None = None
        self.default: str = default if _ok(default) else ""
        if _ok(default):
            declared = _items(get("languages"))
            ok = [lang for lang in declared if _ok(_valid(language, lang))]
            self.languages = language_order(default, ok)
        self.purposes = _fields_of(get("purposes"), Purpose)
        self.vendors = _fields_of(get("vendors"), Vendor)
        self.cookies = _fields_of(get("cookies"), CookieRule)
        self.raw_purpose_ids = _raw_ids(get("purposes"))
        self.raw_vendor_ids = _raw_ids(get("vendors"))


#: An item of a list: its position, its label for messages, its fields.
_Item = tuple[int, str | None, dict[str, Any]]


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _fields_of(items: Any, model: type[FrozenModel]) -> list[_Item]:
    out = []
    for i, item in enumerate(_items(items)):
        if isinstance(item, model):
            out.append(
                (i, _label(item), {name: getattr(item, name) for name in model.model_fields})
            )
        elif isinstance(item, Mapping):
            out.append((i, _label(item), _fields(item, model)))
    return out


def _fields(item: Mapping[str, Any], model: type[FrozenModel]) -> dict[str, Any]:
    """Each field of ``item`` validated on its own; a missing one takes its default."""
    fields = {}
    for name, info in model.model_fields.items():
        if name in item:
            fields[name] = _valid(_adapter(model, name), item[name])
        elif info.is_required():
            fields[name] = _INVALID
        else:
            fields[name] = info.get_default(call_default_factory=True)
    return fields


@functools.cache
def _adapter(model: type[FrozenModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    """The value as validated, or :data:`_INVALID`."""
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return _INVALID


@functools.cache
def _adapter_for(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _raw_ids(items: Any) -> set[str]:
    return {
        item["id"]
        for item in _items(items)
        if isinstance(item, Mapping) and isinstance(item.get("id"), str)
    }


def _where(kind: str, i: int, label: str | None) -> str:
    return f"{kind}[{i}] ({label})" if label else f"{kind}[{i}]"


def _ok(*values: Any) -> bool:
    return all(value is not _INVALID for value in values)


def reference_problems(parts: Parts) -> list[str]:
    """Problems between fields, each with its place; fields invalid on their own are skipped."""
    problems: list[str] = []

    def texts(place: str, field: str, value: Any) -> None:
        if parts.languages is None or not isinstance(value, Mapping):
            return
        for lang in parts.languages:
            if lang not in value:
                which = "the default language" if lang == parts.default else "a declared language"
                problems.append(f"{place}.{field}: no text in {which} {lang!r}")

    purpose_ids = _unique("purposes", parts.purposes, problems) | parts.raw_purpose_ids
    vendor_ids = _unique("vendors", parts.vendors, problems) | parts.raw_vendor_ids
    vendor_purposes = {
        v["id"]: v["purposes"] for _, _, v in parts.vendors if _ok(v["id"], v["purposes"])
    }
    for i, label, purpose in parts.purposes:
        place = _where("purposes", i, label)
        texts(place, "name", purpose["name"])
        texts(place, "description", purpose["description"])
    for i, label, vendor in parts.vendors:
        place = _where("vendors", i, label)
        if _ok(vendor["purposes"]):
            for unknown in sorted(set(vendor["purposes"]) - purpose_ids):
                problems.append(f"{place}.purposes: unknown purpose {unknown!r}")
        country, safeguard = vendor["country"], vendor["transfer_safeguard"]
        if _ok(country) and country not in EEA and safeguard is None:
            problems.append(
                f"{place}.transfer_safeguard: {country} is outside the EEA; name the "
                "safeguard for the transfer (e.g. 'standard-contractual-clauses')"
            )
        texts(place, "description", vendor["description"])
    decisions: dict[tuple[Any, ...], tuple[Any, frozenset[str], int]] = {}
    for i, label, rule in parts.cookies:
        problems += _cookie_problems(
            _where("cookies", i, label), rule, purpose_ids, vendor_ids, vendor_purposes
        )
        place = _where("cookies", i, label)
        texts(place, "description", rule["description"])
        texts(place, "duration", rule["duration"])
        # The policy's own table lists _gat_UA-XXXXXXXX-X twice, with two durations:
        # rows may repeat a name, but never with another decision.
        key = (rule["storage"], rule["name"], rule["domain"], rule["path"])
        vendor, purposes = rule["vendor"], rule["purposes"]
        if not _ok(*key, vendor, purposes):
            continue
        needs = (vendor, frozenset(purposes or vendor_purposes.get(vendor, ())), i)
        if key in decisions and decisions[key][:2] != needs[:2]:
            problems.append(
                f"{place}: same cookie as cookies[{decisions[key][2]}] but another vendor or "
                "purposes; a cookie's decision must be unambiguous"
            )
        decisions.setdefault(key, needs)
    problems += _text_problems(parts.texts)
    problems += _consent_mode_problems(parts.consent_mode, purpose_ids, vendor_ids)
    return problems


def _cookie_problems(
    place: str,
    rule: dict[str, Any],
    purpose_ids: set[str],
    vendor_ids: set[str],
    vendor_purposes: dict[str, tuple[str, ...]],
) -> list[str]:
    problems = []
    vendor, purposes = rule["vendor"], rule["purposes"]
    if _ok(vendor) and vendor is not None and vendor not in vendor_ids:
        problems.append(f"{place}.vendor: unknown vendor {vendor!r}")
    if _ok(purposes):
        for unknown in sorted(set(purposes) - purpose_ids):
            problems.append(f"{place}.purposes: unknown purpose {unknown!r}")
        if vendor is None and not purposes:
            problems.append(
                f"{place}.purposes: a cookie without a vendor is the site's own; name the "
                "purposes it serves (an essential one if the site can't work without it)"
            )
        owner = vendor_purposes.get(vendor) if _ok(vendor) and vendor is not None else None
        for extra in sorted(set(purposes) - set(owner or purposes)):
            if extra in purpose_ids:
                problems.append(
                    f"{place}.purposes: {extra!r} is not one of vendor {vendor!r}'s purposes"
                )
    name, storage = rule["name"], rule["storage"]
    if _ok(name, storage) and storage == "cookie" and not COOKIE_NAME.match(name):
        problems.append(f"{place}.name: {name!r} has characters a cookie name can't have")
    return problems


def _unique(kind: str, items: list[_Item], problems: list[str]) -> set[str]:
    seen: dict[str, int] = {}
    for i, _, fields in items:
        item_id = fields["id"]
        if not _ok(item_id):
            continue
        if item_id in seen:
            problems.append(
                f"{kind}[{i}] ({item_id}): duplicate id, first used by {kind}[{seen[item_id]}]"
            )
        seen.setdefault(item_id, i)
    return set(seen)


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
