"""Hypothesis strategies for TCF models and TC strings."""

from __future__ import annotations

import dataclasses
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from consentkit import tcf
from consentkit.tcf import PublisherRestriction, PublisherTC, RestrictionType, TCModel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BASE64URL = string.ascii_letters + string.digits + "-_"

#: Every moment a string can hold: 36 bits of deciseconds from the epoch.
moments = st.integers(0, (1 << 36) - 1).map(lambda ds: EPOCH + timedelta(microseconds=ds * 100_000))
letter_pairs = st.text(string.ascii_uppercase, min_size=2, max_size=2)


def small_ids(high: int) -> st.SearchStrategy[frozenset[int]]:
    """Any set of ids from 1 to ``high`` (purposes, special features, custom purposes)."""
    return st.frozensets(st.integers(1, high), max_size=high) if high else st.just(frozenset())


@st.composite
def vendor_ids(draw: st.DrawFn, max_id: int = 0xFFFF) -> frozenset[int]:
    """Vendor id sets shaped to reach both encodings: scattered, dense, and in long runs."""
    shape = draw(st.sampled_from(["scattered", "dense", "runs", "edges"]))
    if shape == "scattered":
        return draw(st.frozensets(st.integers(1, max_id), max_size=30))
    if shape == "dense":
        return draw(st.frozensets(st.integers(1, min(max_id, 200)), max_size=200))
    if shape == "edges":
        return draw(st.frozensets(st.sampled_from([1, 2, 45, 46, max_id - 1, max_id])))
    ids: set[int] = set()
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(1, max_id))
        ids.update(range(start, min(max_id, start + draw(st.integers(0, 1500))) + 1))
    return frozenset(ids)


@st.composite
def restrictions(draw: st.DrawFn) -> frozenset[PublisherRestriction]:
    """Publisher restrictions, each (purpose, type) pair at most once."""
    keys = draw(
        st.lists(
            st.tuples(st.integers(1, 63), st.sampled_from(list(RestrictionType))),
            max_size=5,
            unique=True,
        )
    )
    return frozenset(PublisherRestriction(p, t, draw(vendor_ids())) for p, t in keys)


@st.composite
def publisher_tcs(draw: st.DrawFn) -> PublisherTC:
    """PublisherTC segments with custom purpose ids within their declared count."""
    count = draw(st.integers(0, 63))
    return PublisherTC(
        purpose_consents=draw(small_ids(24)),
        purpose_legitimate_interests=draw(small_ids(24)),
        num_custom_purposes=count,
        custom_purpose_consents=draw(small_ids(count)),
        custom_purpose_legitimate_interests=draw(small_ids(count)),
    )


@st.composite
def tc_models(draw: st.DrawFn) -> TCModel:
    """Every model :func:`consentkit.tcf.encode` accepts (CMP ids 0 and 1 aside)."""
    return TCModel(
        created=draw(moments),
        last_updated=draw(moments),
        cmp_id=draw(st.integers(2, 4095)),
        cmp_version=draw(st.integers(0, 4095)),
        consent_screen=draw(st.integers(0, 63)),
        consent_language=draw(letter_pairs),
        vendor_list_version=draw(st.integers(0, 4095)),
        tcf_policy_version=draw(st.integers(0, 63)),
        is_service_specific=draw(st.booleans()),
        use_non_standard_texts=draw(st.booleans()),
        special_feature_optins=draw(small_ids(12)),
        purpose_consents=draw(small_ids(24)),
        purpose_legitimate_interests=draw(small_ids(24)),
        purpose_one_treatment=draw(st.booleans()),
        publisher_country_code=draw(letter_pairs),
        vendor_consents=draw(vendor_ids()),
        vendor_legitimate_interests=draw(vendor_ids()),
        publisher_restrictions=draw(restrictions()),
        disclosed_vendors=draw(st.none() | vendor_ids()),
        allowed_vendors=draw(st.none() | vendor_ids()),
        publisher_tc=draw(st.none() | publisher_tcs()),
    )


# One way to break each field; each breaks the model whatever else it holds.
_BREAKERS: list[tuple[str, st.SearchStrategy[Any]]] = [
    ("version", st.sampled_from([0, 1, 3, 63, True, "2"])),
    ("created", st.sampled_from([datetime(2024, 1, 1), EPOCH - timedelta(seconds=1), None])),
    ("last_updated", st.just(datetime(2200, 1, 1, tzinfo=UTC))),
    ("cmp_id", st.sampled_from([-1, 0, 1, 4096, 2.5, None])),
    ("cmp_version", st.sampled_from([-1, 4096, "1"])),
    ("consent_screen", st.sampled_from([-1, 64])),
    ("vendor_list_version", st.sampled_from([-5, 4096])),
    ("tcf_policy_version", st.sampled_from([64, -1])),
    ("consent_language", st.sampled_from(["en", "E", "ENG", "E1", "", "ÉN", None])),
    ("publisher_country_code", st.sampled_from(["fr", "F", "FRA", "[]", 12])),
    ("is_service_specific", st.sampled_from([1, None, "yes"])),
    ("purpose_one_treatment", st.just(0)),
    ("special_feature_optins", st.sampled_from([frozenset({0}), frozenset({13}), [1, 2]])),
    ("purpose_consents", st.sampled_from([frozenset({25}), frozenset({-1}), None])),
    ("purpose_legitimate_interests", st.just(frozenset({1, 2, "3"}))),
    ("vendor_consents", st.sampled_from([frozenset({0}), frozenset({65536}), frozenset({1.5})])),
    ("vendor_legitimate_interests", st.just(frozenset({-3, 4}))),
    ("disclosed_vendors", st.sampled_from([frozenset({0}), frozenset({70000}), (1, 2)])),
    ("allowed_vendors", st.just(frozenset({0}))),
    (
        "publisher_restrictions",
        st.sampled_from(
            [
                frozenset({PublisherRestriction(0, RestrictionType.NOT_ALLOWED, frozenset())}),
                frozenset({PublisherRestriction(64, RestrictionType.NOT_ALLOWED, frozenset())}),
                frozenset({PublisherRestriction(2, 3, frozenset({1}))}),  # type: ignore[arg-type]
                frozenset({PublisherRestriction(2, RestrictionType(1), frozenset({0}))}),
                frozenset(
                    {
                        PublisherRestriction(2, RestrictionType(1), frozenset({1})),
                        PublisherRestriction(2, RestrictionType(1), frozenset({2})),
                    }
                ),
                frozenset({"not a restriction"}),
            ]
        ),
    ),
    (
        "publisher_tc",
        st.sampled_from(
            [
                PublisherTC(num_custom_purposes=2, custom_purpose_consents=frozenset({3})),
                PublisherTC(custom_purpose_legitimate_interests=frozenset({1})),
                PublisherTC(num_custom_purposes=64),
                PublisherTC(purpose_consents=frozenset({25})),
                "not a segment",
            ]
        ),
    ),
]


@st.composite
def invalid_tc_models(draw: st.DrawFn) -> tuple[TCModel, str]:
    """A valid model with one to three fields broken, and the name of one broken field."""
    model = draw(tc_models())
    picked = draw(
        st.lists(st.sampled_from(_BREAKERS), min_size=1, max_size=3, unique_by=lambda b: b[0])
    )
    changes = {name: draw(values) for name, values in picked}
    return dataclasses.replace(model, **changes), picked[0][0]


@st.composite
def tc_texts(draw: st.DrawFn) -> str:
    """Text a decoder may be handed: junk, near-misses and damaged real strings."""
    kind = draw(st.sampled_from(["junk", "alphabet", "damaged"]))
    if kind == "junk":
        return draw(st.text(max_size=80))
    if kind == "alphabet":
        return draw(st.text(BASE64URL + ".=", max_size=120))
    text = tcf.encode(draw(tc_models()))
    cut = draw(st.integers(0, len(text)))
    position = draw(st.integers(0, max(0, len(text) - 1)))
    replacement = draw(st.sampled_from(BASE64URL + ".="))
    damaged = text[:position] + replacement + text[position + 1 :]
    return draw(st.sampled_from([text[:cut], damaged, text + "." + text, text[cut:]]))
