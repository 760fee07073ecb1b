"""The TC model: everything a TCF v2 string says, as immutable Python values.

.. versionadded:: 0.1
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consentkit._lazy import LazySlots, defer

__all__ = ["PublisherRestriction", "PublisherTC", "RestrictionType", "TCModel", "defer_id_sets"]


class RestrictionType(enum.IntEnum):
    """What a publisher restriction requires of the vendors it names."""

    #: The purpose is flatly not allowed for these vendors.
    NOT_ALLOWED = 0
    #: The vendors must have consent, even if they declared legitimate interest.
    REQUIRE_CONSENT = 1
    #: The vendors must use legitimate interest, even if they declared consent.
    REQUIRE_LEGITIMATE_INTEREST = 2


@dataclass(frozen=True, slots=True)
class PublisherRestriction:
    """One publisher restriction: a purpose, what is required, and of which vendors.

    A string may list the same purpose and type several times; ``decode`` merges
    them into one restriction, so a model holds each pair at most once.
    """

    purpose_id: int
    restriction_type: RestrictionType
    vendor_ids: frozenset[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublisherTC:
    """The PublisherTC segment: the publisher's own purposes and custom purposes."""

    purpose_consents: frozenset[int] = frozenset()
    purpose_legitimate_interests: frozenset[int] = frozenset()
    #: How many custom purposes the publisher declared (0-63); their ids are 1..N.
    num_custom_purposes: int = 0
    custom_purpose_consents: frozenset[int] = frozenset()
    custom_purpose_legitimate_interests: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class TCModel(LazySlots):
    """Everything a TCF v2 string says, field by field; immutable and comparable.

    The optional segments are ``None`` when absent, which is not the same as present
    and empty: since TCF 2.3 a string must carry DisclosedVendors even if it lists no
    one. Times are UTC and have decisecond resolution in a string; spec-conformant
    writers use the UTC midnight of the last update for both.

    .. versionadded:: 0.1
    """

    @staticmethod
    def build_field(pending: Any, name: str) -> object:
        builders: Mapping[str, Callable[[], object]] = pending
        return builders[name]()

    #: Always 2: TCF v1.1 strings are not supported.
    version: int = 2
    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int = 0
    #: ISO 639-1 code, two capital letters (``"EN"``); the string has no room for more.
    consent_language: str = "EN"
    vendor_list_version: int
    tcf_policy_version: int = 5
    is_service_specific: bool = True
    use_non_standard_texts: bool = False
    special_feature_optins: frozenset[int] = frozenset()
    purpose_consents: frozenset[int] = frozenset()
    purpose_legitimate_interests: frozenset[int] = frozenset()
    purpose_one_treatment: bool = False
    #: ISO 3166-1 alpha-2 code, two capital letters; ``"AA"`` is the reference default.
    publisher_country_code: str = "AA"
    vendor_consents: frozenset[int] = frozenset()
    vendor_legitimate_interests: frozenset[int] = frozenset()
    publisher_restrictions: frozenset[PublisherRestriction] = frozenset()
    disclosed_vendors: frozenset[int] | None = None
    #: Read from old strings only: out-of-band consent was withdrawn in 2021.
    allowed_vendors: frozenset[int] | None = None
    publisher_tc: PublisherTC | None = None


def defer_id_sets(model: TCModel, builders: Mapping[str, Callable[[], object]]) -> None:
    """Leave id sets of a model being filled by :func:`~consentkit.tcf.decode` to be built later.

    Only for a model made with ``object.__new__``, whose slots named in ``builders``
    are still empty: each is built and stored on its first read (see
    :mod:`consentkit._lazy`): turning a string's ranges into sets of hundreds of ids
    costs more than all the rest, and a reader often looks at one or two sets, or none.
    """
    defer(model, builders)
