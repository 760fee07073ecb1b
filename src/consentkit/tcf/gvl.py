"""The IAB Global Vendor List (GVL), version 3, as a read-only model.

The GVL is the IAB's file, not ours: it names every registered vendor with the
purposes, features and legal bases it declares. consentkit never fetches it. The site
keeps a copy (fetched server-side, as the IAB requires, by whatever job the site
prefers) and loads it at start-up with :meth:`GlobalVendorList.from_file`.

Unknown keys are ignored rather than refused, unlike in our own catalogue: the IAB
adds fields to its file from time to time, and a site must not stop starting because
of that. What *is* checked is what a consent platform relies on: the shape of every
field, and the references between them (a vendor declaring purpose 12 in a list with
eleven purposes is a broken or hand-edited file). Problems are reported all at once,
each with its place, as for a catalogue: every shape problem, or, when the shapes
are right, every reference problem.

.. versionadded:: 0.1
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from consentkit.exceptions import ConfigurationError

__all__ = [
    "DataCategory",
    "DataRetention",
    "Feature",
    "GVLPurpose",
    "GVLVendor",
    "GlobalVendorList",
    "Stack",
    "VendorUrl",
]

#: The only ``gvlSpecificationVersion`` this model reads (TCF 2.2 and 2.3).
SPECIFICATION_VERSION = 3

_T = TypeVar("_T")
# A read-only view of the validated dict: the models are frozen, their tables too.
_Table = Annotated[Mapping[int, _T], AfterValidator(MappingProxyType)]
Ids = frozenset[int]


def _no_entries() -> Mapping[int, Any]:
    return MappingProxyType({})


class _Model(BaseModel):
    # The file's keys are camelCase; extra keys are the IAB's to add (see module docstring).
    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


class GVLPurpose(_Model):
    """A purpose or special purpose, with the standard texts a CMP must show."""

    id: int = Field(ge=1)
    name: str
    description: str
    illustrations: tuple[str, ...] = ()
    #: ``False`` for special purposes: they apply without the user's consent.
    consentable: bool = True
    #: Whether the user can object to processing under legitimate interest.
    right_to_object: bool = True


class Feature(_Model):
    """A feature or special feature (special features need opt-in)."""

    id: int = Field(ge=1)
    name: str
    description: str
    illustrations: tuple[str, ...] = ()


class Stack(_Model):
    """A named group of purposes and special features a CMP may present together."""

    id: int = Field(ge=1)
    name: str
    description: str
    purposes: Ids = frozenset()
    special_features: Ids = frozenset()


class DataCategory(_Model):
    """A category of data a vendor may declare collecting (GVL v3)."""

    id: int = Field(ge=1)
    name: str
    description: str = ""


class VendorUrl(_Model):
    """A vendor's privacy policy, and legitimate interest claim, in one language."""

    lang_id: str
    privacy: str
    leg_int_claim: str | None = None


class DataRetention(_Model):
    """How many days a vendor keeps data: by default, and per (special) purpose."""

    std_retention: int | None = None
    purposes: _Table[int] = Field(default_factory=_no_entries)
    special_purposes: _Table[int] = Field(default_factory=_no_entries)


class Overflow(_Model):
    """The largest HTTP GET request, in kilobytes, a vendor can receive (32 or 128)."""

    http_get_limit: int


class GVLVendor(_Model):
    """A registered vendor, as declared to the IAB.

    Purposes are declared for consent (``purposes``) or legitimate interest
    (``leg_int_purposes``), never both; ``flexible_purposes`` are those whose legal
    basis a publisher restriction may change.
    """

    id: int = Field(ge=1)
    name: str
    purposes: Ids = frozenset()
    leg_int_purposes: Ids = frozenset()
    flexible_purposes: Ids = frozenset()
    special_purposes: Ids = frozenset()
    features: Ids = frozenset()
    special_features: Ids = frozenset()
    #: Whether the vendor stores anything in cookies.
    uses_cookies: bool = False
    #: How long its cookies last, in seconds; 0 or less means a session cookie;
    #: ``None`` when it uses no cookies.
    cookie_max_age_seconds: int | None = None
    #: Whether its cookies' lifetime restarts each time they are read or written.
    cookie_refresh: bool = False
    #: Whether it reads or writes the device by other means (localStorage...).
    uses_non_cookie_access: bool = False
    #: Where its machine-readable device storage disclosure lives (HTTPS JSON).
    device_storage_disclosure_url: str | None = None
    data_retention: DataRetention | None = None
    data_declaration: Ids = frozenset()
    urls: tuple[VendorUrl, ...] = ()
    overflow: Overflow | None = None
    #: When the vendor left the list; from then on it must no longer be disclosed.
    deleted_date: datetime | None = None

    def is_deleted(self, at: datetime | None = None) -> bool:
        """Whether the vendor had left the list at ``at`` (default: now)."""
        if self.deleted_date is None:
            return False
        deleted = self.deleted_date
        if deleted.tzinfo is None:
            deleted = deleted.replace(tzinfo=UTC)
        return deleted <= (at or datetime.now(UTC))


class GlobalVendorList(_Model):
    """One version of the IAB Global Vendor List (``vendor-list.json``, v3).

    Tables are keyed by id, as in the file, and read-only.
    """

    gvl_specification_version: int
    vendor_list_version: int
    tcf_policy_version: int
    last_updated: datetime
    purposes: _Table[GVLPurpose]
    special_purposes: _Table[GVLPurpose]
    features: _Table[Feature]
    special_features: _Table[Feature]
    stacks: _Table[Stack] = Field(default_factory=_no_entries)
    data_categories: _Table[DataCategory] = Field(default_factory=_no_entries)
    vendors: _Table[GVLVendor]

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc)) from None
        problems = _reference_problems(self)
        if problems:
            raise ConfigurationError(problems)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate parsed JSON into a vendor list.

        Pydantic's options are ignored: a list is always validated whole.

        :raises ConfigurationError: listing every problem found.
        """
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, Mapping) or not all(isinstance(key, str) for key in obj):
            raise ConfigurationError(f"a vendor list is a JSON object, not {type(obj).__name__}")
        return cls(**obj)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Read a vendor list from its JSON text.

        :raises ConfigurationError: for text that isn't JSON or isn't a valid v3 list.
        """
        try:
            data = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"not valid JSON: {exc}") from None
        return cls.model_validate(data)

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Read a vendor list from a file the site keeps (never from the network).

        :raises ConfigurationError: naming the file, when it can't be read or is invalid.
        """
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"can't read the vendor list: {exc.strerror}", source=str(path)
            ) from None
        try:
            return cls.from_json(raw)
        except ConfigurationError as exc:
            raise ConfigurationError(exc.problems, source=str(path)) from None

    def active_vendors(self, at: datetime | None = None) -> dict[int, GVLVendor]:
        """The vendors still on the list at ``at`` (default: now), by id."""
        at = at or datetime.now(UTC)
        return {i: vendor for i, vendor in self.vendors.items() if not vendor.is_deleted(at)}


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        place = _place(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{place}: {message}" if place else message)
    return problems


def _place(loc: Sequence[int | str]) -> str:
    """``('vendors', '52', 'urls', 0, 'privacy')`` as ``vendors.52.urls[0].privacy``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _reference_problems(gvl: GlobalVendorList) -> list[str]:
    """Problems no single field shows: ids that don't match, references to nothing."""
    problems: list[str] = []
    if gvl.gvl_specification_version != SPECIFICATION_VERSION:
        problems.append(
            f"gvlSpecificationVersion: {gvl.gvl_specification_version} is not supported; "
            "use the v3 list (vendor-list.json under /v3/)"
        )
    tables: dict[str, Mapping[int, Any]] = {
        "purposes": gvl.purposes,
        "specialPurposes": gvl.special_purposes,
        "features": gvl.features,
        "specialFeatures": gvl.special_features,
        "stacks": gvl.stacks,
        "dataCategories": gvl.data_categories,
        "vendors": gvl.vendors,
    }
    for table, items in tables.items():
        for key, item in items.items():
            if key != item.id:
                problems.append(f"{table}.{key}: listed under {key} but its id is {item.id}")

    def unknown(place: str, ids: Ids | Mapping[int, int], table: str) -> None:
        missing = sorted(set(ids) - set(tables[table]))
        if missing:
            listed = ", ".join(map(str, missing))
            problems.append(f"{place}: {listed} not in this list's {table}")

    for key, stack in gvl.stacks.items():
        unknown(f"stacks.{key}.purposes", stack.purposes, "purposes")
        unknown(f"stacks.{key}.specialFeatures", stack.special_features, "specialFeatures")
    for key, vendor in gvl.vendors.items():
        where = f"vendors.{key} ({vendor.name})"
        for field, ids, table in (
            ("purposes", vendor.purposes, "purposes"),
            ("legIntPurposes", vendor.leg_int_purposes, "purposes"),
            ("flexiblePurposes", vendor.flexible_purposes, "purposes"),
            ("specialPurposes", vendor.special_purposes, "specialPurposes"),
            ("features", vendor.features, "features"),
            ("specialFeatures", vendor.special_features, "specialFeatures"),
            ("dataDeclaration", vendor.data_declaration, "dataCategories"),
        ):
            unknown(f"{where}.{field}", ids, table)
        both = sorted(vendor.purposes & vendor.leg_int_purposes)
        if both:
            problems.append(
                f"{where}.legIntPurposes: {', '.join(map(str, both))} also declared for consent"
            )
        loose = sorted(vendor.flexible_purposes - vendor.purposes - vendor.leg_int_purposes)
        if loose:
            problems.append(
                f"{where}.flexiblePurposes: {', '.join(map(str, loose))} declared for neither "
                "consent nor legitimate interest"
            )
        if vendor.data_retention is not None:
            retention = vendor.data_retention
            unknown(f"{where}.dataRetention.purposes", retention.purposes, "purposes")
            unknown(
                f"{where}.dataRetention.specialPurposes",
                retention.special_purposes,
                "specialPurposes",
            )
    return problems
