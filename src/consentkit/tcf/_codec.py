"""The TC string codec: :func:`decode` a TCF v2 string into a :class:`TCModel`, :func:`encode` one.

:func:`decode` reads any well-formed TCF v2 string, whatever its age or writer, into
an immutable model; :func:`encode` writes one back, refusing models that no valid
string could carry. The bit-level work is :mod:`consentkit.tcf._bits`'s.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from datetime import UTC, datetime, timedelta
from functools import partial

from consentkit.exceptions import TCFDecodeError, TCFEncodeError
from consentkit.tcf._bits import (
    MAX_RANGE_ENTRIES,
    MAX_VENDOR_ID,
    BitReader,
    BitWriter,
    RestrictionsRecipe,
    runs,
    small_bitfield_ids,
)
from consentkit.tcf._model import (
    PublisherRestriction,
    PublisherTC,
    RestrictionType,
    TCModel,
    defer_id_sets,
)

__all__ = ["DEFAULT_MAX_IDS", "decode", "encode", "encode_problems"]


#: The most vendor ids :func:`decode` accepts in one string, all sections together.
#: A realistic string holds a few tens of thousands (ten restrictions over every GVL
#: vendor); without a limit, a 2 KB string of range entries could expand to millions.
DEFAULT_MAX_IDS = 262_144

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DECISECOND_US = 100_000
_MAX_DECISECONDS = (1 << 36) - 1
_LETTERS = re.compile(r"[A-Z]{2}")
_SEGMENT_NAMES = {0: "core", 1: "DisclosedVendors", 2: "AllowedVendors", 3: "PublisherTC"}
# Two 6-bit letters, A = 0, as one 12-bit value; values 26-63 are not letters.
_LETTER_PAIRS = {
    first << 6 | second: chr(65 + first) + chr(65 + second)
    for first in range(26)
    for second in range(26)
}
_MaybeIds = Callable[[], frozenset[int] | None]

# The core segment's fixed-size prefix: (spec field name, first bit, end), in order
# (TCF.md §2). Only error messages need it: decode() cuts the fields out by shifting.
_CORE_PREFIX = (
    ("Version", 0, 6),
    ("Created", 6, 42),
    ("LastUpdated", 42, 78),
    ("CmpId", 78, 90),
    ("CmpVersion", 90, 102),
    ("ConsentScreen", 102, 108),
    ("ConsentLanguage", 108, 120),
    ("VendorListVersion", 120, 132),
    ("TcfPolicyVersion", 132, 138),
    ("IsServiceSpecific", 138, 139),
    ("UseNonStandardTexts", 139, 140),
    ("SpecialFeatureOptIns", 140, 152),
    ("PurposesConsent", 152, 176),
    ("PurposesLITransparency", 176, 200),
    ("PurposeOneTreatment", 200, 201),
    ("PublisherCC", 201, 213),
)
_CORE_PREFIX_BITS = 213


def decode(
    text: str, *, allow_reserved_cmp_id: bool = False, max_ids: int = DEFAULT_MAX_IDS
) -> TCModel:
    """Decode a TCF v2 string into a :class:`TCModel`.

    Any trailing padding is accepted, as is any order of the segments after the core
    one. Policy rules are not checked here: see :func:`validate`. The whole string is
    validated now; the vendor id sets are built the first time they are read, since
    building them costs more than the rest and a reader often needs one or two.

    :param allow_reserved_cmp_id: accept CMP ids 0 and 1, which no registered CMP has;
        refused by default, as the reference library does.
    :param max_ids: the most vendor ids the string may hold, all sections together.
        It bounds the memory an untrusted string can make us allocate.
    :raises TCFDecodeError: naming the segment, the bit offset and the field, for bad
        base64url (``=`` included), a truncated or empty segment, a version other than
        2, a letter outside A-Z, an unknown or repeated segment, vendor id 0, a
        restriction of type 3 or purpose 0.

    .. versionadded:: 0.1
    """
    if not isinstance(text, str):
        raise TypeError(f"a TC string is text, not {type(text).__name__}")
    parts = text.split(".")
    for index, part in enumerate(parts):
        if not part:
            raise TCFDecodeError(f"segment {index + 1} of {len(parts)} is empty")
    reader = BitReader(parts[0], "segment 1 (core)", max_ids)
    version = reader.read(6, "Version")
    if version != 2:
        raise reader.error("Version", f"version {version} is not supported (TCF v2 only)", 0)
    size = reader.remaining + 6
    if size < _CORE_PREFIX_BITS:
        # Name the field the string stops in, not the whole prefix.
        name, start = next((name, start) for name, start, end in _CORE_PREFIX if end > size)
        reader.pos = start
        raise reader.error(name, f"the string ends here ({size - start} bits left)")
    # The prefix is small: read it in one go and cut fields out by shifting.
    head = reader.read(_CORE_PREFIX_BITS - 6, "core")
    cmp_id = (head >> 123) & 0xFFF
    if cmp_id <= 1 and not allow_reserved_cmp_id:
        raise reader.error("CmpId", f"CMP id {cmp_id} is reserved", 78)
    language = _LETTER_PAIRS.get((head >> 93) & 0xFFF)
    if language is None:
        raise _letters_error(reader, (head >> 93) & 0xFFF, "ConsentLanguage", 108)
    country = _LETTER_PAIRS.get(head & 0xFFF)
    if country is None:
        raise _letters_error(reader, head & 0xFFF, "PublisherCC", 201)
    consents = reader.read_vendor_section("VendorConsents")
    interests = reader.read_vendor_section("VendorLegitimateInterests")
    restrictions = reader.read_restrictions()
    disclosed, allowed, publisher_tc = _read_optional_segments(parts, reader.budget)
    # Fill the slots directly: the id sets decode() defers must stay empty (see
    # consentkit.tcf._model), which the dataclass __init__ can't do. Straight-line on purpose.
    model = object.__new__(TCModel)
    put = object.__setattr__
    put(model, "version", version)
    created = (head >> 171) & _MAX_DECISECONDS
    last_updated = (head >> 135) & _MAX_DECISECONDS
    put(model, "created", _time(created))
    # Equal in every conforming string: share one (immutable) datetime.
    put(model, "last_updated", model.created if last_updated == created else _time(last_updated))
    put(model, "cmp_id", cmp_id)
    put(model, "cmp_version", (head >> 111) & 0xFFF)
    put(model, "consent_screen", (head >> 105) & 0x3F)
    put(model, "consent_language", language)
    put(model, "vendor_list_version", (head >> 81) & 0xFFF)
    put(model, "tcf_policy_version", (head >> 75) & 0x3F)
    put(model, "is_service_specific", bool(head >> 74 & 1))
    put(model, "use_non_standard_texts", bool(head >> 73 & 1))
    put(model, "special_feature_optins", small_bitfield_ids((head >> 61) & 0xFFF, 12))
    put(model, "purpose_consents", small_bitfield_ids((head >> 37) & 0xFFFFFF, 24))
    put(model, "purpose_legitimate_interests", small_bitfield_ids((head >> 13) & 0xFFFFFF, 24))
    put(model, "purpose_one_treatment", bool(head >> 12 & 1))
    put(model, "publisher_country_code", country)
    put(model, "publisher_tc", publisher_tc)
    defer_id_sets(
        model,
        {
            "vendor_consents": consents,
            "vendor_legitimate_interests": interests,
            "publisher_restrictions": partial(_restrictions, restrictions),
            "disclosed_vendors": disclosed,
            "allowed_vendors": allowed,
        },
    )
    return model


def _restrictions(build: RestrictionsRecipe) -> frozenset[PublisherRestriction]:
    return frozenset(
        PublisherRestriction(purpose, RestrictionType(kind), ids)
        for (purpose, kind), ids in build().items()
    )


def _read_optional_segments(
    parts: list[str], budget: int
) -> tuple[_MaybeIds, _MaybeIds, PublisherTC | None]:
    disclosed: _MaybeIds = _absent
    allowed: _MaybeIds = _absent
    publisher_tc = None
    seen = {0}
    for number, part in enumerate(parts[1:], 2):
        reader = BitReader(part, f"segment {number}", budget)
        kind = reader.read(3, "SegmentType")
        name = _SEGMENT_NAMES.get(kind)
        if name is None:
            raise reader.error("SegmentType", f"unknown segment type {kind}", 0)
        if kind in seen:
            raise reader.error("SegmentType", f"a second {name} segment", 0)
        seen.add(kind)
        reader.segment = f"segment {number} ({name})"
        if kind == 1:
            disclosed = reader.read_vendor_section(name)
        elif kind == 2:
            allowed = reader.read_vendor_section(name)
        else:
            publisher_tc = _read_publisher_tc(reader)
        budget = reader.budget
    return disclosed, allowed, publisher_tc


def _absent() -> None:
    return None


def _read_publisher_tc(reader: BitReader) -> PublisherTC:
    if reader.remaining >= 54:
        fixed = reader.read(54, "PubPurposesConsent")  # both purpose fields and the count
    else:
        fixed = reader.read(24, "PubPurposesConsent") << 30
        fixed |= reader.read(24, "PubPurposesLITransparency") << 6
        fixed |= reader.read(6, "NumCustomPurposes")
    count = fixed & 0x3F
    return PublisherTC(
        purpose_consents=small_bitfield_ids(fixed >> 30, 24),
        purpose_legitimate_interests=small_bitfield_ids(fixed >> 6 & 0xFFFFFF, 24),
        num_custom_purposes=count,
        custom_purpose_consents=reader.read_bitfield(count, "CustomPurposesConsent"),
        custom_purpose_legitimate_interests=reader.read_bitfield(
            count, "CustomPurposesLITransparency"
        ),
    )


def _time(deciseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=deciseconds * _DECISECOND_US)


def _letters_error(reader: BitReader, value: int, field: str, offset: int) -> TCFDecodeError:
    bad = value >> 6 if value >> 6 > 25 else value & 0x3F
    return reader.error(field, f"letter value {bad} is not A-Z (0-25)", offset)


def encode(model: TCModel, *, allow_reserved_cmp_id: bool = False) -> str:
    """Encode a model as a TC string: core, then each optional segment that is set.

    Each vendor section takes the shorter of bitfield and range encoding (a tie goes
    to the bitfield); restriction ranges never bridge gaps, since that needs the GVL.
    Each segment is zero-padded to a whole base64url character, and no more.

    :param allow_reserved_cmp_id: allow CMP ids 0 and 1 (tests, never production).
    :raises TCFEncodeError: listing every field that no valid string could carry.

    .. versionadded:: 0.1
    """
    problems = encode_problems(model, allow_reserved_cmp_id=allow_reserved_cmp_id)
    if problems:
        raise TCFEncodeError("can't encode this TC model: " + "; ".join(problems))
    core = BitWriter()
    core.write(model.version, 6, "version")
    core.write(_deciseconds(model.created), 36, "created")
    core.write(_deciseconds(model.last_updated), 36, "last_updated")
    core.write(model.cmp_id, 12, "cmp_id")
    core.write(model.cmp_version, 12, "cmp_version")
    core.write(model.consent_screen, 6, "consent_screen")
    _write_letters(core, model.consent_language)
    core.write(model.vendor_list_version, 12, "vendor_list_version")
    core.write(model.tcf_policy_version, 6, "tcf_policy_version")
    core.write(model.is_service_specific, 1, "is_service_specific")
    core.write(model.use_non_standard_texts, 1, "use_non_standard_texts")
    core.write_bitfield(model.special_feature_optins, 12)
    core.write_bitfield(model.purpose_consents, 24)
    core.write_bitfield(model.purpose_legitimate_interests, 24)
    core.write(model.purpose_one_treatment, 1, "purpose_one_treatment")
    _write_letters(core, model.publisher_country_code)
    core.write_vendor_section(model.vendor_consents)
    core.write_vendor_section(model.vendor_legitimate_interests)
    restrictions = sorted(
        model.publisher_restrictions, key=lambda r: (r.purpose_id, r.restriction_type)
    )
    core.write(len(restrictions), 12, "publisher_restrictions")
    for restriction in restrictions:
        core.write(restriction.purpose_id, 6, "purpose_id")
        core.write(restriction.restriction_type, 2, "restriction_type")
        core.write_ranges(runs(restriction.vendor_ids))
    segments = [core.to_base64()]
    for kind, ids in ((1, model.disclosed_vendors), (2, model.allowed_vendors)):
        if ids is not None:
            writer = BitWriter()
            writer.write(kind, 3, "segment type")
            writer.write_vendor_section(ids)
            segments.append(writer.to_base64())
    if model.publisher_tc is not None:
        segments.append(_publisher_tc_segment(model.publisher_tc))
    return ".".join(segments)


def _publisher_tc_segment(tc: PublisherTC) -> str:
    writer = BitWriter()
    writer.write(3, 3, "segment type")
    writer.write_bitfield(tc.purpose_consents, 24)
    writer.write_bitfield(tc.purpose_legitimate_interests, 24)
    writer.write(tc.num_custom_purposes, 6, "num_custom_purposes")
    writer.write_bitfield(tc.custom_purpose_consents, tc.num_custom_purposes)
    writer.write_bitfield(tc.custom_purpose_legitimate_interests, tc.num_custom_purposes)
    return writer.to_base64()


def _deciseconds(moment: datetime) -> int:
    # Integer arithmetic, rounding half up as the reference does (Math.round(ms / 100)).
    delta = moment - _EPOCH
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return (microseconds + _DECISECOND_US // 2) // _DECISECOND_US


def _write_letters(writer: BitWriter, code: str) -> None:
    writer.write(ord(code[0]) - 65, 6, "letter")
    writer.write(ord(code[1]) - 65, 6, "letter")


def encode_problems(model: TCModel, *, allow_reserved_cmp_id: bool = False) -> list[str]:
    """Every reason :func:`encode` would refuse ``model``, each naming its field.

    An empty list means the model can be encoded. Types are checked too, so a model
    built from untrusted JSON is refused with a message rather than a ``TypeError``.
    """
    if not isinstance(model, TCModel):
        return [f"expected a TCModel, not {type(model).__name__}"]
    problems: list[str] = []
    if model.version != 2 or type(model.version) is not int:
        problems.append(f"version: {model.version!r} is not 2, the only version written")
    problems += _time_problems("created", model.created)
    problems += _time_problems("last_updated", model.last_updated)
    low = 0 if allow_reserved_cmp_id else 2
    reserved = "" if allow_reserved_cmp_id else " (0 and 1 are reserved)"
    problems += _int_problems("cmp_id", model.cmp_id, low, 4095, reserved)
    problems += _int_problems("cmp_version", model.cmp_version, 0, 4095)
    problems += _int_problems("consent_screen", model.consent_screen, 0, 63)
    problems += _int_problems("vendor_list_version", model.vendor_list_version, 0, 4095)
    problems += _int_problems("tcf_policy_version", model.tcf_policy_version, 0, 63)
    for name in ("consent_language", "publisher_country_code"):
        value = getattr(model, name)
        if not isinstance(value, str) or not _LETTERS.fullmatch(value):
            problems.append(f"{name}: {value!r} is not two capital letters A-Z")
    for name in (
        "is_service_specific",
        "use_non_standard_texts",
        "purpose_one_treatment",
    ):
        if not isinstance(getattr(model, name), bool):
            problems.append(f"{name}: {getattr(model, name)!r} is not a bool")
    problems += _id_problems("special_feature_optins", model.special_feature_optins, 12)
    problems += _id_problems("purpose_consents", model.purpose_consents, 24)
    problems += _id_problems("purpose_legitimate_interests", model.purpose_legitimate_interests, 24)
    problems += _id_problems("vendor_consents", model.vendor_consents, MAX_VENDOR_ID)
    problems += _id_problems(
        "vendor_legitimate_interests", model.vendor_legitimate_interests, MAX_VENDOR_ID
    )
    problems += _restriction_problems(model.publisher_restrictions)
    for name in ("disclosed_vendors", "allowed_vendors"):
        if getattr(model, name) is not None:
            problems += _id_problems(name, getattr(model, name), MAX_VENDOR_ID)
    if model.publisher_tc is not None:
        problems += _publisher_tc_problems(model.publisher_tc)
    return problems


def _time_problems(name: str, value: object) -> list[str]:
    if not isinstance(value, datetime):
        return [f"{name}: {value!r} is not a datetime"]
    if value.tzinfo is None or value.utcoffset() is None:
        return [f"{name}: {value.isoformat()} has no time zone (give UTC)"]
    if not 0 <= _deciseconds(value) <= _MAX_DECISECONDS:
        return [f"{name}: {value.isoformat()} is outside 1970-01-01 to 2187-09-01 (36 bits)"]
    return []


def _int_problems(name: str, value: object, low: int, high: int, note: str = "") -> list[str]:
    if type(value) is not int or not low <= value <= high:
        return [f"{name}: {value!r} is not an integer from {low} to {high}{note}"]
    return []


def _id_problems(name: str, ids: object, high: int) -> list[str]:
    if not isinstance(ids, Set):
        return [f"{name}: expected a set of ids, not {type(ids).__name__}"]
    if not ids or (set(map(type, ids)) == {int} and min(ids) >= 1 and max(ids) <= high):
        return []  # the usual case, checked at C speed
    bad = [i for i in ids if type(i) is not int or not 1 <= i <= high]
    shown = ", ".join(repr(i) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
    return [f"{name}: ids go from 1 to {high}, not {shown}"]


def _restriction_problems(restrictions: object) -> list[str]:
    if not isinstance(restrictions, Set):
        return [f"publisher_restrictions: expected a set, not {type(restrictions).__name__}"]
    problems: list[str] = []
    seen: set[tuple[object, object]] = set()
    for restriction in restrictions:
        if not isinstance(restriction, PublisherRestriction):
            problems.append(f"publisher_restrictions: {restriction!r} is not a restriction")
            continue
        where = (
            f"publisher_restrictions[{restriction.purpose_id!r}, {restriction.restriction_type!r}]"
        )
        problems += _int_problems(f"{where}.purpose_id", restriction.purpose_id, 1, 63)
        if restriction.restriction_type not in (0, 1, 2) or isinstance(
            restriction.restriction_type, bool
        ):
            problems.append(f"{where}.restriction_type: not 0, 1 or 2")
        ids_problems = _id_problems(f"{where}.vendor_ids", restriction.vendor_ids, MAX_VENDOR_ID)
        problems += ids_problems
        if (
            not ids_problems
            and len(restriction.vendor_ids) > MAX_RANGE_ENTRIES  # cheap first: runs <= ids
            and len(runs(restriction.vendor_ids)) > MAX_RANGE_ENTRIES
        ):
            problems.append(f"{where}.vendor_ids: more than {MAX_RANGE_ENTRIES} separate runs")
        key = (restriction.purpose_id, restriction.restriction_type)
        if key in seen:
            problems.append(f"{where}: purpose and type given twice (merge their vendor ids)")
        seen.add(key)
    return problems


def _publisher_tc_problems(tc: object) -> list[str]:
    if not isinstance(tc, PublisherTC):
        return [f"publisher_tc: expected a PublisherTC, not {type(tc).__name__}"]
    problems = _id_problems("publisher_tc.purpose_consents", tc.purpose_consents, 24)
    problems += _id_problems(
        "publisher_tc.purpose_legitimate_interests", tc.purpose_legitimate_interests, 24
    )
    count_problems = _int_problems(
        "publisher_tc.num_custom_purposes", tc.num_custom_purposes, 0, 63
    )
    problems += count_problems
    count = 0 if count_problems else tc.num_custom_purposes
    for name in ("custom_purpose_consents", "custom_purpose_legitimate_interests"):
        ids = getattr(tc, name)
        if count:
            problems += _id_problems(f"publisher_tc.{name}", ids, count)
        elif not isinstance(ids, Set) or ids:
            problems.append(f"publisher_tc.{name}: must be empty when num_custom_purposes is 0")
    return problems
