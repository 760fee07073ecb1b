"""The TC string codec: published vectors, hand-made bit layouts, and properties."""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit import TCFDecodeError, TCFEncodeError, TCFError, tcf
from consentkit.tcf import PublisherRestriction, PublisherTC, RestrictionType, TCModel
from consentkit.tcf._bits import BitWriter, bitfield_ids, runs, small_bitfield_ids
from tests.tcf_strategies import invalid_tc_models, tc_models, tc_texts

VECTORS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "tcf_vectors.jsonl")
    .read_text("utf-8")
    .splitlines()
]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = datetime(2025, 6, 3, tzinfo=UTC)


def _vector_id(number: int, vector: dict[str, Any]) -> str:
    return f"K{number}-" + re.sub(r"[^a-z0-9]+", "-", vector["name"].lower()).strip("-")[:40]


def _vectors(*kinds: str) -> list[Any]:
    return [
        pytest.param(vector, id=_vector_id(number, vector))
        for number, vector in enumerate(VECTORS, 1)
        if vector["kind"] in kinds
    ]


def expected_model(vector: dict[str, Any]) -> TCModel:
    """The reference library's decoded JSON, mapped to our model field by field."""
    e, segments = vector["expected"], vector["segments"]

    def moment(ms: int) -> datetime:
        return EPOCH + timedelta(milliseconds=ms)

    merged: dict[tuple[int, int], frozenset[int]] = {}
    for r in e["publisherRestrictions"]:
        key = (r["purposeId"], r["restrictionType"])
        merged[key] = merged.get(key, frozenset()) | frozenset(r["vendors"])
    publisher_tc = PublisherTC(
        purpose_consents=frozenset(e["publisherConsents"]),
        purpose_legitimate_interests=frozenset(e["publisherLegitimateInterests"]),
        num_custom_purposes=e["numCustomPurposes"],
        custom_purpose_consents=frozenset(e["publisherCustomConsents"]),
        custom_purpose_legitimate_interests=frozenset(e["publisherCustomLegitimateInterests"]),
    )
    return TCModel(
        version=e["version"],
        created=moment(e["created"]),
        last_updated=moment(e["lastUpdated"]),
        cmp_id=e["cmpId"],
        cmp_version=e["cmpVersion"],
        consent_screen=e["consentScreen"],
        consent_language=e["consentLanguage"],
        vendor_list_version=e["vendorListVersion"],
        tcf_policy_version=e["tcfPolicyVersion"],
        is_service_specific=e["isServiceSpecific"],
        use_non_standard_texts=e["useNonStandardTexts"],
        special_feature_optins=frozenset(e["specialFeatureOptins"]),
        purpose_consents=frozenset(e["purposeConsents"]),
        purpose_legitimate_interests=frozenset(e["purposeLegitimateInterests"]),
        purpose_one_treatment=e["purposeOneTreatment"],
        publisher_country_code=e["publisherCountryCode"],
        vendor_consents=frozenset(e["vendorConsents"]),
        vendor_legitimate_interests=frozenset(e["vendorLegitimateInterests"]),
        publisher_restrictions=frozenset(
            PublisherRestriction(p, RestrictionType(t), ids) for (p, t), ids in merged.items()
        ),
        # The JSON model can't tell an absent segment from an empty one; the list can.
        disclosed_vendors=frozenset(e["vendorsDisclosed"])
        if "vendorsDisclosed" in segments
        else None,
        allowed_vendors=frozenset(e["vendorsAllowed"]) if "vendorsAllowed" in segments else None,
        publisher_tc=publisher_tc if "publisherTC" in segments else None,
    )


# Bit layouts written by hand, independently of consentkit's writer.
def bits(value: int, width: int) -> str:
    assert 0 <= value < 1 << width
    return format(value, f"0{width}b")


def b64(bit_string: str) -> str:
    """A bit string as base64url, zero-padded to whole characters."""
    bit_string += "0" * (-len(bit_string) % 6)
    return "".join(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[
            int(bit_string[i : i + 6], 2)
        ]
        for i in range(0, len(bit_string), 6)
    )


def unb64(text: str) -> str:
    return "".join(bits(base64.urlsafe_b64decode(c + "A==")[0] >> 2, 6) for c in text)


def core_bits(
    *,
    version: int = 2,
    cmp_id: int = 10,
    language: tuple[int, int] = (4, 13),
    country: tuple[int, int] = (5, 17),
    vendors: str = bits(0, 17),
    interests: str = bits(0, 17),
    restrictions: str = bits(0, 12),
) -> str:
    ds = int((DAY - EPOCH).total_seconds() * 10)
    return (
        bits(version, 6)
        + bits(ds, 36) * 2
        + bits(cmp_id, 12)
        + bits(3, 12)
        + bits(1, 6)
        + bits(language[0], 6)
        + bits(language[1], 6)
        + bits(100, 12)
        + bits(5, 6)
        + "10"
        + bits(0, 12)
        + bits(1 << 23, 24)
        + bits(0, 24)
        + "0"
        + bits(country[0], 6)
        + bits(country[1], 6)
        + vendors
        + interests
        + restrictions
    )


def range_section(*entries: tuple[int, int], max_id: int = 100) -> str:
    """A range-encoded vendor section; (n, n) is a single id."""
    return bits(max_id, 16) + "1" + range_entries(*entries)


def range_entries(*entries: tuple[int, int]) -> str:
    out = bits(len(entries), 12)
    for start, end in entries:
        out += "0" + bits(start, 16) if start == end else "1" + bits(start, 16) + bits(end, 16)
    return out


def restriction(purpose: int, kind: int, *entries: tuple[int, int]) -> str:
    return bits(purpose, 6) + bits(kind, 2) + range_entries(*entries)


BASE = b64(core_bits())
BASE_MODEL = TCModel(
    created=DAY,
    last_updated=DAY,
    cmp_id=10,
    cmp_version=3,
    consent_screen=1,
    consent_language="EN",
    vendor_list_version=100,
    tcf_policy_version=5,
    purpose_consents=frozenset({1}),
    publisher_country_code="FR",
)


class TestVectors:
    @pytest.mark.parametrize("vector", _vectors("valid"))
    def test_decodes_to_the_reference_model(self, vector: dict[str, Any]) -> None:
        """Every published valid string decodes to what the reference library reads."""
        assert tcf.decode(vector["tc"]) == expected_model(vector)

    @pytest.mark.parametrize("vector", _vectors("reject", "v1"))
    def test_rejected(self, vector: dict[str, Any]) -> None:
        """Strings the reference refuses (and TCF v1 strings) are refused."""
        with pytest.raises(TCFDecodeError):
            tcf.decode(vector["tc"])

    @pytest.mark.parametrize("vector", _vectors("valid"))
    def test_round_trip(self, vector: dict[str, Any]) -> None:
        """Re-encoding a vector's model and decoding it again gives the same model."""
        model = tcf.decode(vector["tc"])
        assert tcf.decode(tcf.encode(model)) == model

    @pytest.mark.parametrize("vector", [v for v in _vectors("valid") if "reencoded" in v.values[0]])
    def test_reference_reencoding_decodes_the_same(self, vector: dict[str, Any]) -> None:
        """The reference library's own re-encoding, other padding and encodings, reads the same."""
        assert tcf.decode(vector["reencoded"]) == tcf.decode(vector["tc"])

    @pytest.mark.parametrize("vector", _vectors("valid"))
    def test_policy_report_matches_the_vectors_warnings(self, vector: dict[str, Any]) -> None:
        """validate(policy="2.3") flags exactly the model-level problems the vectors list."""
        keys = {
            "TcfPolicyVersion=": "TcfPolicyVersion",
            "IsServiceSpecific=0": "IsServiceSpecific",
            "PurposesLITransparency has": "PurposesLITransparency",
            "no DisclosedVendors": "DisclosedVendors",
            "AllowedVendors segment": "AllowedVendors",
            "Created != LastUpdated": "Created",
            "LastUpdated is not": "LastUpdated",
            "publisher restriction purpose 1": "PublisherRestrictions",
        }
        expected = Counter(
            key
            for warning in vector["warnings"]
            if "trailing bits" not in warning  # a property of the string, not the model
            for prefix, key in keys.items()
            if warning.startswith(prefix)
        )
        found = Counter(m.split(":")[0] for m in tcf.validate(tcf.decode(vector["tc"]), "2.3"))
        assert found == expected


class TestDecode:
    def test_reads_every_core_field(self) -> None:
        """A hand-made core segment reads back field by field."""
        assert tcf.decode(BASE) == BASE_MODEL

    @pytest.mark.parametrize(
        "padding",
        [
            pytest.param("A", id="one-zero-char"),
            pytest.param("AAAAAAAA", id="many-zero-chars"),
            pytest.param("_-_-", id="non-zero-bits"),
        ],
    )
    def test_ignores_trailing_bits(self, padding: str) -> None:
        """Whatever follows the last field of a segment is ignored, zero or not."""
        assert tcf.decode(BASE + padding) == BASE_MODEL

    def test_non_core_segments_in_any_order(self) -> None:
        """DisclosedVendors, AllowedVendors and PublisherTC may come in any order."""
        disclosed = b64("001" + bits(5, 16) + "0" + "10101")
        allowed = b64("010" + bits(2, 16) + "0" + "01")
        publisher = b64("011" + bits(3, 24) + bits(0, 24) + bits(2, 6) + "10" + "01")
        orders = [[disclosed, allowed, publisher], [publisher, allowed, disclosed]]
        models = [tcf.decode(".".join([BASE, *order])) for order in orders]
        assert models[0] == models[1]
        assert models[0].disclosed_vendors == frozenset({1, 3, 5})
        assert models[0].allowed_vendors == frozenset({2})
        assert models[0].publisher_tc == PublisherTC(
            purpose_consents=frozenset({23, 24}),
            num_custom_purposes=2,
            custom_purpose_consents=frozenset({1}),
            custom_purpose_legitimate_interests=frozenset({2}),
        )

    def test_present_but_empty_segment_is_not_absent(self) -> None:
        """An empty DisclosedVendors segment reads as an empty set, not as None."""
        model = tcf.decode(BASE + "." + b64("001" + bits(0, 17)))
        assert model.disclosed_vendors == frozenset()
        assert tcf.decode(BASE).disclosed_vendors is None

    def test_range_entries_in_any_order_and_overlapping(self) -> None:
        """Range entries just add ids: out of order, overlapping or past MaxVendorId."""
        vendors = range_section((40, 42), (7, 7), (41, 45), (300, 301), max_id=45)
        model = tcf.decode(b64(core_bits(vendors=vendors)))
        assert model.vendor_consents == {7, 40, 41, 42, 43, 44, 45, 300, 301}

    def test_repeated_restrictions_merge(self) -> None:
        """Entries repeating a purpose and type merge into one restriction (vector K11)."""
        entries = restriction(2, 1, (3, 3)) + restriction(2, 1, (5, 6)) + restriction(2, 0, (9, 9))
        model = tcf.decode(b64(core_bits(restrictions=bits(3, 12) + entries)))
        assert model.publisher_restrictions == {
            PublisherRestriction(2, RestrictionType.REQUIRE_CONSENT, frozenset({3, 5, 6})),
            PublisherRestriction(2, RestrictionType.NOT_ALLOWED, frozenset({9})),
        }

    @pytest.mark.parametrize("cmp_id", [0, 1])
    def test_reserved_cmp_ids_on_request(self, cmp_id: int) -> None:
        """CMP ids 0 and 1 are refused unless the caller allows them."""
        text = b64(core_bits(cmp_id=cmp_id))
        with pytest.raises(TCFDecodeError, match="bit 78, CmpId"):
            tcf.decode(text)
        assert tcf.decode(text, allow_reserved_cmp_id=True).cmp_id == cmp_id

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param("", "segment 1 of 1 is empty", id="empty"),
            pytest.param(BASE + ".", "segment 2 of 2 is empty", id="trailing-dot"),
            pytest.param("." + BASE, "segment 1 of 2 is empty", id="leading-dot"),
            pytest.param(BASE + ".." + BASE, "segment 2 of 3 is empty", id="double-dot"),
            pytest.param(BASE + "=", r"bit \d+, character \d+: '=' is not", id="equals-padding"),
            pytest.param(BASE[:-4] + "+" + BASE[-3:], "'\\+' is not base64url", id="plus"),
            pytest.param(BASE[:10] + "/" + BASE[11:], "bit 60, character 11: '/'", id="slash"),
            pytest.param(BASE[:5] + " " + BASE[6:], "' ' is not base64url", id="space"),
            pytest.param(BASE[:5] + "é" + BASE[6:], "'é' is not base64url", id="non-ascii"),
            pytest.param(b64(core_bits(version=1)), "bit 0, Version: version 1", id="v1"),
            pytest.param(b64(core_bits(version=3)), "bit 0, Version: version 3", id="v3"),
            pytest.param("C", "bit 6, Created: the string ends here", id="one-char"),
            pytest.param(
                BASE[:20], "bit 120, VendorListVersion: the string ends here", id="cut-in-prefix"
            ),
            pytest.param(BASE[:36], "bit 213, VendorConsents.MaxVendorId", id="cut-at-vendors"),
            pytest.param(
                b64(core_bits(vendors=bits(100, 16) + "0" + "1" * 50)),
                "VendorConsents.BitField: the string ends here",
                id="short-bitfield",
            ),
            pytest.param(
                b64(
                    core_bits(
                        vendors=range_section((1, 5), (9, 9))[:-10], interests="", restrictions=""
                    )
                ),
                "VendorConsents.IsARange/StartOrOnlyVendorId: the string ends here",
                id="short-range-entry",
            ),
            pytest.param(
                b64(
                    core_bits(
                        interests="",
                        restrictions="",
                        vendors=bits(9, 16) + "1" + bits(1, 12) + "1" + bits(5, 16),
                    )
                ),
                "EndVendorId: the string ends here",
                id="short-range-end",
            ),
            pytest.param(
                b64(core_bits(language=(26, 0))),
                "bit 108, ConsentLanguage: letter value 26 is not A-Z",
                id="language-26",
            ),
            pytest.param(
                b64(core_bits(language=(0, 63))),
                "ConsentLanguage: letter value 63",
                id="language-63",
            ),
            pytest.param(
                b64(core_bits(country=(32, 0))),
                "bit 201, PublisherCC: letter value 32",
                id="country-lowercase-a",
            ),
            pytest.param(
                b64(core_bits(vendors=range_section((0, 0)))),
                "bit 243, VendorConsents.StartOrOnlyVendorId: vendor id 0",
                id="vendor-id-0",
            ),
            pytest.param(
                b64(core_bits(vendors=range_section((9, 3)))),
                "EndVendorId: 3 is below 9",
                id="range-backwards",
            ),
            pytest.param(
                b64(core_bits(restrictions=bits(1, 12) + restriction(0, 1, (2, 2)))),
                "PurposeId: purpose 0 does not exist",
                id="restriction-purpose-0",
            ),
            pytest.param(
                b64(core_bits(restrictions=bits(1, 12) + restriction(2, 3, (2, 2)))),
                "RestrictionType: type 3 is undefined",
                id="restriction-type-3",
            ),
            pytest.param(
                b64(core_bits(restrictions=bits(2, 12) + restriction(2, 1, (2, 2)))),
                "bit 296, PurposeId/RestrictionType/NumEntries: the string ends here",
                id="missing-restriction",
            ),
            pytest.param(
                BASE + "." + BASE, "segment 2, bit 0, SegmentType: a second core", id="core-twice"
            ),
            pytest.param(
                BASE + ".IAAA.IAAA",
                "segment 3, bit 0, SegmentType: a second Disclosed",
                id="disclosed-twice",
            ),
            pytest.param(
                BASE + ".YAAAAAAAAA.YAAAAAAAAA", "a second PublisherTC", id="publisher-tc-twice"
            ),
            pytest.param(
                BASE + ".gAAA", "segment 2, bit 0, SegmentType: unknown segment type 4", id="type-4"
            ),
            pytest.param(BASE + "._AAA", "unknown segment type 7", id="type-7"),
            pytest.param(
                BASE + ".I", "segment 2 \\(DisclosedVendors\\), bit 3", id="short-disclosed"
            ),
            pytest.param(
                BASE + ".YAAA",
                "segment 2 \\(PublisherTC\\), bit 3, PubPurposesConsent",
                id="short-publisher-tc",
            ),
            pytest.param(
                BASE + "." + b64("011" + bits(0, 30)),
                r"segment 2 \(PublisherTC\), bit 27, PubPurposesLITransparency",
                id="short-publisher-li",
            ),
            pytest.param(
                BASE + "." + b64("011" + bits(0, 50)),
                r"bit 51, NumCustomPurposes: the string ends here",
                id="short-custom-count",
            ),
            pytest.param(
                BASE + "." + b64("011" + bits(0, 48) + bits(60, 6) + "1" * 70),
                "CustomPurposesLITransparency: the string ends here",
                id="short-custom-purposes",
            ),
        ],
    )
    def test_refuses_malformed_strings(self, text: str, message: str) -> None:
        """Malformed strings are refused with the segment, bit offset and field named."""
        with pytest.raises(TCFDecodeError, match=message):
            tcf.decode(text)

    def test_limits_how_many_ids_a_string_expands_to(self) -> None:
        """A short string of wide ranges can't make the decoder build millions of ids."""
        wide = b64(core_bits(vendors=range_section(*[(1, 65535)] * 120, max_id=65535)))
        assert len(wide) < 800  # a cookie, yet 7.8 million ids without the limit
        with pytest.raises(TCFDecodeError, match=r"VendorConsents: more vendor ids"):
            tcf.decode(wide)
        five = b64(core_bits(vendors=range_section(*[(1, 65535)] * 5, max_id=65535)))
        with pytest.raises(TCFDecodeError, match="max_ids"):
            tcf.decode(five)
        assert len(tcf.decode(five, max_ids=5 * 65535).vendor_consents) == 65535

    def test_rejects_non_text(self) -> None:
        """Bytes are a programming error, not a malformed string."""
        with pytest.raises(TypeError, match="bytes"):
            tcf.decode(BASE.encode())  # type: ignore[arg-type]

    @given(tc_texts())
    def test_only_tcf_errors(self, text: str) -> None:
        """Any text either decodes or raises TCFDecodeError, never anything else."""
        try:
            model = tcf.decode(text)
        except TCFDecodeError:
            return
        assert model == model  # builds every id set the decoder deferred
        assert repr(model)


class TestDecodedModel:
    def test_equal_to_an_eagerly_built_model(self) -> None:
        """A decoded model compares, hashes and prints like one built by hand."""
        decoded = tcf.decode(tcf.encode(BASE_MODEL))
        assert decoded == BASE_MODEL
        assert hash(decoded) == hash(BASE_MODEL)
        assert repr(decoded) == repr(BASE_MODEL)

    def test_id_sets_are_built_once(self) -> None:
        """The first read of an id set stores it; later reads return the same object."""
        model = tcf.decode(b64(core_bits(vendors=range_section((1, 30)))))
        assert model.vendor_consents is model.vendor_consents
        assert model.vendor_consents == frozenset(range(1, 31))

    def test_copies_pickles_and_replaces(self) -> None:
        """pickle and dataclasses.replace see every field, deferred or not."""
        model = tcf.decode(b64(core_bits(vendors=range_section((1, 30)))))
        assert pickle.loads(pickle.dumps(model)) == model  # noqa: S301 -- our own bytes
        changed = dataclasses.replace(model, cmp_id=99)
        assert changed.vendor_consents == model.vendor_consents
        assert changed.cmp_id == 99

    def test_is_immutable(self) -> None:
        """Fields can't be reassigned, deferred ones included."""
        model = tcf.decode(BASE)
        with pytest.raises(dataclasses.FrozenInstanceError):
            model.vendor_consents = frozenset({1})  # type: ignore[misc]

    def test_unknown_attribute(self) -> None:
        """A misspelt field is still an AttributeError."""
        with pytest.raises(AttributeError, match="vendor_consent'"):
            _ = tcf.decode(BASE).vendor_consent  # type: ignore[attr-defined]
        with pytest.raises(AttributeError, match="nothing"):
            _ = BASE_MODEL.nothing  # type: ignore[attr-defined]


def _segment_bits(text: str, segment: int = 0) -> str:
    return unb64(text.split(".")[segment])


class TestEncode:
    @pytest.mark.parametrize(
        ("ids", "range_encoded"),
        [
            pytest.param(frozenset(), False, id="empty-is-bitfield"),
            pytest.param(frozenset(range(1, 200)), True, id="one-long-run"),
            pytest.param(frozenset({1, 3, 5, 7}), False, id="short-scattered"),
            pytest.param(frozenset({1, 1000}), True, id="two-far-apart"),
            pytest.param(frozenset({29}), False, id="tie-single-29-is-bitfield"),
            pytest.param(frozenset({30}), True, id="single-30-is-range"),
            pytest.param(frozenset({1, 46}), False, id="tie-two-singles-is-bitfield"),
            pytest.param(frozenset({1, 47}), True, id="two-singles-range"),
        ],
    )
    def test_shorter_encoding(self, ids: frozenset[int], range_encoded: bool) -> None:
        """Each vendor section is the shorter of bitfield and range; a tie is a bitfield."""
        layout = _segment_bits(tcf.encode(dataclasses.replace(BASE_MODEL, vendor_consents=ids)))
        assert layout[213:229] == bits(max(ids, default=0), 16)
        assert layout[229] == ("1" if range_encoded else "0")

    def test_empty_section_is_seventeen_bits(self) -> None:
        """An empty set is MaxVendorId 0 and a bitfield of nothing."""
        layout = _segment_bits(tcf.encode(BASE_MODEL))
        assert layout[213:259] == bits(0, 17) * 2 + bits(0, 12)

    def test_writes_the_hand_made_layout(self) -> None:
        """The encoder writes exactly the core layout built by hand, padded to 24 bits."""
        expected = core_bits()
        expected += "0" * (-len(expected) % 24)
        assert _segment_bits(tcf.encode(BASE_MODEL)) == expected

    def test_pads_segments_to_24_bits_without_equals(self) -> None:
        """Every segment is a multiple of four characters and never has '=' padding."""
        model = dataclasses.replace(
            BASE_MODEL,
            disclosed_vendors=frozenset({1, 2, 3}),
            allowed_vendors=frozenset({9}),
            publisher_tc=PublisherTC(num_custom_purposes=1),
        )
        text = tcf.encode(model)
        assert "=" not in text
        assert all(len(segment) % 4 == 0 for segment in text.split("."))

    def test_segment_order(self) -> None:
        """Core first, then DisclosedVendors, AllowedVendors and PublisherTC, as the reference."""
        model = dataclasses.replace(
            BASE_MODEL,
            disclosed_vendors=frozenset(),
            allowed_vendors=frozenset(),
            publisher_tc=PublisherTC(),
        )
        assert [s[0] for s in tcf.encode(model).split(".")] == ["C", "I", "Q", "Y"]

    def test_restrictions_sorted_and_never_bridge_gaps(self) -> None:
        """Restrictions are written by purpose then type, with one entry per run of ids."""
        model = dataclasses.replace(
            BASE_MODEL,
            publisher_restrictions=frozenset(
                {
                    PublisherRestriction(7, RestrictionType(0), frozenset({12, 15, 16})),
                    PublisherRestriction(2, RestrictionType(2), frozenset({4})),
                }
            ),
        )
        layout = _segment_bits(tcf.encode(model))
        expected = bits(2, 12) + restriction(2, 2, (4, 4)) + restriction(7, 0, (12, 12), (15, 16))
        assert layout[247 : 247 + len(expected)] == expected

    @pytest.mark.parametrize(
        ("moment", "deciseconds"),
        [
            pytest.param(EPOCH, 0, id="epoch"),
            pytest.param(EPOCH + timedelta(milliseconds=149), 1, id="rounds-down"),
            pytest.param(EPOCH + timedelta(milliseconds=150), 2, id="half-rounds-up"),
            pytest.param(
                datetime(2025, 6, 3, 4, tzinfo=timezone(timedelta(hours=2))),
                17489160000,
                id="other-zone",
            ),
        ],
    )
    def test_times_in_deciseconds(self, moment: datetime, deciseconds: int) -> None:
        """Times are written in deciseconds since the epoch, rounded half up."""
        layout = _segment_bits(tcf.encode(dataclasses.replace(BASE_MODEL, created=moment)))
        assert int(layout[6:42], 2) == deciseconds

    def test_reserved_cmp_ids_on_request(self) -> None:
        """CMP ids 0 and 1 are written only when the caller allows them."""
        model = dataclasses.replace(BASE_MODEL, cmp_id=1)
        with pytest.raises(TCFEncodeError, match=r"cmp_id: 1 .*reserved"):
            tcf.encode(model)
        text = tcf.encode(model, allow_reserved_cmp_id=True)
        assert tcf.decode(text, allow_reserved_cmp_id=True) == model

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            pytest.param({"version": 1}, "version: 1 is not 2", id="version"),
            pytest.param(
                {"cmp_id": 0}, r"cmp_id: 0 is not an integer from 2 to 4095 \(0 and 1", id="cmp-0"
            ),
            pytest.param({"cmp_id": 4096}, "cmp_id: 4096", id="cmp-too-big"),
            pytest.param({"cmp_version": -1}, "cmp_version: -1", id="cmp-version"),
            pytest.param({"consent_screen": 64}, "consent_screen: 64", id="screen"),
            pytest.param({"vendor_list_version": 4096}, "vendor_list_version", id="vlv"),
            pytest.param({"tcf_policy_version": 64}, "tcf_policy_version", id="policy"),
            pytest.param(
                {"consent_language": "en"}, "consent_language: 'en' is not two capital", id="lower"
            ),
            pytest.param(
                {"consent_language": "ENG"}, "consent_language: 'ENG'", id="three-letters"
            ),
            pytest.param(
                {"publisher_country_code": "F1"}, "publisher_country_code: 'F1'", id="digit"
            ),
            pytest.param(
                {"created": datetime(2025, 1, 1)}, "created: .* has no time zone", id="naive"
            ),
            pytest.param(
                {"created": datetime(1969, 12, 31, tzinfo=UTC)},
                "created: .*outside",
                id="before-1970",
            ),
            pytest.param(
                {"last_updated": datetime(2188, 1, 1, tzinfo=UTC)},
                "last_updated: .*36 bits",
                id="after-2187",
            ),
            pytest.param(
                {"is_service_specific": 1}, "is_service_specific: 1 is not a bool", id="bool"
            ),
            pytest.param(
                {"special_feature_optins": frozenset({13})},
                "special_feature_optins: ids go from 1 to 12, not 13",
                id="feature-13",
            ),
            pytest.param(
                {"purpose_consents": frozenset({0, 25})},
                "purpose_consents: ids go from 1 to 24",
                id="purpose-0",
            ),
            pytest.param(
                {"vendor_consents": frozenset({0})},
                "vendor_consents: ids go from 1 to 65535, not 0",
                id="vendor-0",
            ),
            pytest.param(
                {"vendor_legitimate_interests": frozenset({65536})},
                "vendor_legitimate_interests: .*65536",
                id="vendor-65536",
            ),
            pytest.param(
                {"vendor_consents": [1, 2]},
                "vendor_consents: expected a set of ids, not list",
                id="list",
            ),
            pytest.param(
                {"vendor_consents": frozenset(range(-10, 0))},
                r"not -10, .*, \.\.\.",
                id="many-bad-ids",
            ),
            pytest.param(
                {"disclosed_vendors": frozenset({0})}, "disclosed_vendors: ids", id="disclosed"
            ),
            pytest.param(
                {
                    "publisher_restrictions": frozenset(
                        {PublisherRestriction(64, RestrictionType(0), frozenset())}
                    )
                },
                r"publisher_restrictions\[64, .*\]\.purpose_id",
                id="restriction-purpose",
            ),
            pytest.param(
                {"publisher_restrictions": frozenset({PublisherRestriction(1, 3, frozenset())})},  # type: ignore[arg-type]
                "restriction_type: not 0, 1 or 2",
                id="restriction-type",
            ),
            pytest.param(
                {
                    "publisher_restrictions": frozenset(
                        {
                            PublisherRestriction(2, RestrictionType(1), frozenset({1})),
                            PublisherRestriction(2, RestrictionType(1), frozenset({2})),
                        }
                    )
                },
                "purpose and type given twice",
                id="restriction-twice",
            ),
            pytest.param(
                {
                    "publisher_restrictions": frozenset(
                        {PublisherRestriction(3, RestrictionType(1), frozenset(range(1, 9000, 2)))}
                    )
                },
                "more than 4095 separate runs",
                id="restriction-too-many-runs",
            ),
            pytest.param(
                {
                    "publisher_tc": PublisherTC(
                        num_custom_purposes=3, custom_purpose_consents=frozenset({4})
                    )
                },
                "publisher_tc.custom_purpose_consents: ids go from 1 to 3, not 4",
                id="custom-above-count",
            ),
            pytest.param(
                {"publisher_tc": PublisherTC(custom_purpose_legitimate_interests=frozenset({1}))},
                "must be empty when num_custom_purposes is 0",
                id="custom-without-count",
            ),
            pytest.param(
                {"publisher_tc": PublisherTC(num_custom_purposes=64)},
                "num_custom_purposes: 64",
                id="count-64",
            ),
            pytest.param(
                {"created": "2025-06-03"}, "created: '2025-06-03' is not a datetime", id="text-time"
            ),
            pytest.param(
                {"publisher_tc": "PublisherTC"},
                "publisher_tc: expected a PublisherTC, not str",
                id="publisher-tc-type",
            ),
            pytest.param(
                {
                    "publisher_restrictions": [
                        PublisherRestriction(2, RestrictionType(0), frozenset())
                    ]
                },
                "publisher_restrictions: expected a set, not list",
                id="restrictions-type",
            ),
            pytest.param(
                {"publisher_restrictions": frozenset({(2, 0, frozenset())})},
                r"publisher_restrictions: \(2, 0, frozenset\(\)\) is not a restriction",
                id="restriction-type-tuple",
            ),
        ],
    )
    def test_refuses_invalid_models(self, changes: dict[str, Any], message: str) -> None:
        """A model no valid string could carry is refused, naming the field."""
        with pytest.raises(TCFEncodeError, match=message):
            tcf.encode(dataclasses.replace(BASE_MODEL, **changes))

    def test_lists_every_problem(self) -> None:
        """All the problems come in one error, so one run is enough to fix a model."""
        model = dataclasses.replace(BASE_MODEL, cmp_id=0, consent_language="xx")
        assert len(tcf.encode_problems(model)) == 2
        with pytest.raises(TCFEncodeError, match=r"cmp_id: .*; consent_language"):
            tcf.encode(model)

    def test_refuses_what_is_not_a_model(self) -> None:
        """Only a TCModel can be encoded."""
        with pytest.raises(TCFEncodeError, match="expected a TCModel, not dict"):
            tcf.encode({"cmp_id": 2})  # type: ignore[arg-type]

    @given(tc_models())
    def test_round_trip(self, model: TCModel) -> None:
        """Every valid model survives encoding and decoding unchanged."""
        assert tcf.decode(tcf.encode(model)) == model

    @given(invalid_tc_models())
    def test_invalid_models_raise_only_encode_errors(self, case: tuple[TCModel, str]) -> None:
        """A broken model raises TCFEncodeError naming a broken field, never anything else."""
        model, field = case
        with pytest.raises(TCFEncodeError, match=field):
            tcf.encode(model)


class TestValidate:
    CONFORMING = dataclasses.replace(BASE_MODEL, disclosed_vendors=frozenset({1}))

    @pytest.mark.parametrize("policy", ["2.2", "2.3"])
    def test_conforming_model(self, policy: str) -> None:
        """A model following the current policy has nothing to report."""
        assert tcf.validate(self.CONFORMING, policy) == []  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            pytest.param(
                {"tcf_policy_version": 3}, "TcfPolicyVersion: 3 is below 4", id="policy-3"
            ),
            pytest.param({"is_service_specific": False}, "IsServiceSpecific: 0", id="global-scope"),
            pytest.param(
                {"purpose_legitimate_interests": frozenset({1, 2, 4, 7})},
                r"PurposesLITransparency: legitimate interest for purpose\(s\) 1, 4,",
                id="li-1-and-4",
            ),
            pytest.param(
                {"created": DAY - timedelta(days=1)}, "Created: differs", id="created-differs"
            ),
            pytest.param(
                {"created": DAY + timedelta(hours=5), "last_updated": DAY + timedelta(hours=5)},
                "LastUpdated: not a UTC midnight",
                id="not-midnight",
            ),
            pytest.param(
                {"allowed_vendors": frozenset()}, "AllowedVendors: segment present", id="oob"
            ),
            pytest.param(
                {
                    "publisher_restrictions": frozenset(
                        {PublisherRestriction(1, RestrictionType(2), frozenset({5}))}
                    )
                },
                "PublisherRestrictions: purpose 1 with type 2",
                id="purpose-1-flexible",
            ),
        ],
    )
    def test_reports_each_violation(self, changes: dict[str, Any], message: str) -> None:
        """Each policy violation is one message that says what is wrong."""
        problems = tcf.validate(dataclasses.replace(self.CONFORMING, **changes))
        assert len(problems) == 1
        assert re.match(message, problems[0])

    def test_purpose_1_not_allowed_is_fine(self) -> None:
        """A type 0 restriction on purpose 1 is meaningful and not reported."""
        model = dataclasses.replace(
            self.CONFORMING,
            publisher_restrictions=frozenset(
                {PublisherRestriction(1, RestrictionType(0), frozenset({5}))}
            ),
        )
        assert tcf.validate(model) == []

    def test_disclosed_vendors_required_from_2_3(self) -> None:
        """Without DisclosedVendors a model passes TCF 2.2 but not TCF 2.3."""
        assert tcf.validate(BASE_MODEL, "2.2") == []
        assert tcf.validate(BASE_MODEL, "2.3") == [
            "DisclosedVendors: segment missing, mandatory since TCF 2.3"
        ]

    def test_unknown_policy(self) -> None:
        """A policy we don't know is a programming error."""
        with pytest.raises(ValueError, match=r"'2\.4'"):
            tcf.validate(BASE_MODEL, "2.4")  # type: ignore[arg-type]


class TestBitHelpers:
    @given(st.integers(0, (1 << 24) - 1), st.integers(0, 24))
    def test_small_bitfields_agree_with_the_general_reader(self, value: int, width: int) -> None:
        """The table-driven reader of short fields reads what the general one reads."""
        value &= (1 << width) - 1
        assert small_bitfield_ids(value, width) == bitfield_ids(value, width)

    @given(st.frozensets(st.integers(1, 300)))
    def test_runs_cover_exactly_the_ids(self, ids: frozenset[int]) -> None:
        """Runs are ascending, separated by gaps, and cover exactly the ids."""
        spans = runs(ids)
        assert {i for start, end in spans for i in range(start, end + 1)} == ids
        assert all(end + 1 < start for (_, end), (start, _) in pairwise(spans))

    def test_writer_refuses_what_does_not_fit(self) -> None:
        """The writer never truncates a value silently, even one the encoder let through."""
        with pytest.raises(TCFEncodeError, match="cmp_id: 4096 does not fit in 12 bits"):
            BitWriter().write(4096, 12, "cmp_id")

    def test_errors_are_tcf_errors(self) -> None:
        """Both codec errors are TCFError, hence ValueError."""
        assert issubclass(TCFDecodeError, TCFError)
        assert issubclass(TCFEncodeError, ValueError)
