"""``consentkit tcf decode`` and ``consentkit tcf encode``: TC strings for people.

The JSON form of a model is the model's own fields: id sets as sorted lists,
times in ISO 8601, restrictions as objects. ``decode --json`` writes it and
``encode`` reads it, so one can decode a string, edit it, and encode it again.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, TextIO

from consentkit.exceptions import TCFError
from consentkit.tcf._codec import decode, encode
from consentkit.tcf._model import PublisherRestriction, PublisherTC, RestrictionType, TCModel
from consentkit.tcf._policy import validate

#: The TCF v2.2 purposes and special features, by id, as the IAB names them.
PURPOSES = {
    1: "Store and/or access information on a device",
    2: "Use limited data to select advertising",
    3: "Create profiles for personalised advertising",
    4: "Use profiles to select personalised advertising",
    5: "Create profiles to personalise content",
    6: "Use profiles to select personalised content",
    7: "Measure advertising performance",
    8: "Measure content performance",
    9: "Understand audiences through statistics or combinations of data",
    10: "Develop and improve services",
    11: "Use limited data to select content",
}
SPECIAL_FEATURES = {1: "Use precise geolocation data", 2: "Actively scan device characteristics"}
_RESTRICTIONS = {0: "not allowed", 1: "requires consent", 2: "requires legitimate interest"}


def to_json(model: TCModel) -> dict[str, Any]:
    """A model as plain JSON data."""
    return {f.name: _plain(getattr(model, f.name)) for f in dataclasses.fields(model)}


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        if value and isinstance(next(iter(value)), PublisherRestriction):
            return sorted(
                (_plain(r) for r in value),
                key=lambda r: (r["purpose_id"], r["restriction_type"]),
            )
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, RestrictionType):
        return int(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def from_json(data: Any) -> TCModel:
    """A model from the JSON form :func:`to_json` writes.

    :raises TCFError: naming the field that can't be read.
    """
    if not isinstance(data, dict):
        raise TCFError("a TC model is a JSON object")
    fields = {f.name for f in dataclasses.fields(TCModel)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise TCFError(f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(fields))})")
    values: dict[str, Any] = {}
    try:
        for name, value in data.items():
            if name in ("created", "last_updated"):
                values[name] = datetime.fromisoformat(value)
            elif name == "publisher_restrictions":
                values[name] = frozenset(
                    PublisherRestriction(
                        r["purpose_id"],
                        RestrictionType(r["restriction_type"]),
                        frozenset(r["vendor_ids"]),
                    )
                    for r in value
                )
            elif name == "publisher_tc" and value is not None:
                segment: dict[str, Any] = {
                    k: frozenset(v) if isinstance(v, list) else v for k, v in value.items()
                }
                values[name] = PublisherTC(**segment)
            elif isinstance(value, list):
                values[name] = frozenset(value)
            else:
                values[name] = value
        return TCModel(**values)
    except (TypeError, ValueError, KeyError) as exc:
        raise TCFError(f"can't read the model: {exc}") from None


def describe(model: TCModel, out: TextIO) -> None:
    """The model as a readable report."""

    def ids(values: frozenset[int] | None, names: dict[int, str] | None = None) -> str:
        if values is None:
            return "(segment absent)"
        if not values:
            return "none"
        if names is None:
            return _ranges(sorted(values))
        return "; ".join(f"{i} {names.get(i, '?')}" for i in sorted(values))

    rows = [
        ("created", f"{model.created:%Y-%m-%d %H:%M:%S} UTC"),
        ("last updated", f"{model.last_updated:%Y-%m-%d %H:%M:%S} UTC"),
        ("CMP", f"id {model.cmp_id}, version {model.cmp_version}, screen {model.consent_screen}"),
        ("language", model.consent_language),
        ("vendor list", f"version {model.vendor_list_version}, policy {model.tcf_policy_version}"),
        ("service-specific", str(model.is_service_specific).lower()),
        ("publisher country", model.publisher_country_code),
        ("purpose consents", ids(model.purpose_consents, PURPOSES)),
        ("purpose LI", ids(model.purpose_legitimate_interests, PURPOSES)),
        ("special features", ids(model.special_feature_optins, SPECIAL_FEATURES)),
        ("vendor consents", ids(model.vendor_consents)),
        ("vendor LI", ids(model.vendor_legitimate_interests)),
        ("disclosed vendors", ids(model.disclosed_vendors)),
    ]
    for restriction in sorted(model.publisher_restrictions, key=lambda r: r.purpose_id):
        rows.append(
            (
                f"restriction p{restriction.purpose_id}",
                f"{_RESTRICTIONS[int(restriction.restriction_type)]}: "
                f"{_ranges(sorted(restriction.vendor_ids))}",
            )
        )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}", file=out)
    problems = validate(model, "2.2")
    print(
        "validation (TCF 2.2): " + ("ok" if not problems else f"{len(problems)} problem(s)"),
        file=out,
    )
    for problem in problems:
        print(f"  - {problem}", file=out)


def _ranges(values: list[int]) -> str:
    """``[1, 2, 3, 7]`` as ``1-3, 7 (4 ids)``."""
    runs: list[list[int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    return f"{', '.join(parts)} ({len(values)} ids)"


def decode_command(text: str, *, as_json: bool, out: TextIO) -> int:
    try:
        model = decode(text.strip())
    except TCFError as exc:
        print(f"error: {exc}", file=out)
        return 1
    if as_json:
        print(json.dumps(to_json(model), indent=2), file=out)
    else:
        describe(model, out)
    return 0


def encode_command(path: str, *, out: TextIO) -> int:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        print(encode(from_json(data)), file=out)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=out)
        return 1
    return 0
