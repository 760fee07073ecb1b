"""TCF policy checks: what a well-formed TC string may still get wrong.

Decoding and policy are separate questions: real strings break these rules all the
time, and a reader must still understand them (see :func:`~consentkit.tcf.decode`).

.. versionadded:: 0.1
"""

from __future__ import annotations

from typing import Literal

from consentkit.tcf._model import TCModel

__all__ = ["validate"]

_NO_LI_PURPOSES = (1, 3, 4, 5, 6)


def validate(model: TCModel, policy: Literal["2.2", "2.3"] = "2.2") -> list[str]:
    """List the ways a well-formed model breaks the TCF policy; empty when it doesn't.

    TCF 2.2: policy version 4 or more, IsServiceSpecific set, no legitimate interest
    for purposes 1 and 3-6, Created equal to LastUpdated and both a UTC midnight, no
    AllowedVendors segment, no consent or LI restriction on purpose 1 (it can't be
    flexible). TCF 2.3 adds: a DisclosedVendors segment is present.

    :raises ValueError: for a policy other than ``"2.2"`` and ``"2.3"``.

    .. versionadded:: 0.1
    """
    if policy not in ("2.2", "2.3"):
        raise ValueError(f"unknown TCF policy {policy!r}: use '2.2' or '2.3'")
    problems: list[str] = []
    if model.tcf_policy_version < 4:
        problems.append(
            f"TcfPolicyVersion: {model.tcf_policy_version} is below 4, "
            "invalid for strings created after 2023-09-30 (TCF 2.2)"
        )
    if not model.is_service_specific:
        problems.append(
            "IsServiceSpecific: 0 (global scope) is invalid since global scope ended in "
            "September 2021"
        )
    forbidden = sorted(set(_NO_LI_PURPOSES) & model.purpose_legitimate_interests)
    if forbidden:
        listed = ", ".join(map(str, forbidden))
        problems.append(
            f"PurposesLITransparency: legitimate interest for purpose(s) {listed}, "
            "allowed for none of 1 and 3-6 since TCF 2.2"
        )
    if model.created != model.last_updated:
        problems.append("Created: differs from LastUpdated (both must be the same day)")
    if model.last_updated != model.last_updated.replace(hour=0, minute=0, second=0, microsecond=0):
        problems.append("LastUpdated: not a UTC midnight (the spec wants day resolution)")
    if model.allowed_vendors is not None:
        problems.append("AllowedVendors: segment present; out-of-band consent ended in 2021")
    for restriction in sorted(
        model.publisher_restrictions, key=lambda r: (r.purpose_id, r.restriction_type)
    ):
        if restriction.purpose_id == 1 and restriction.restriction_type != 0:
            problems.append(
                f"PublisherRestrictions: purpose 1 with type {restriction.restriction_type:d} "
                "(purpose 1 can't be flexible; only type 0 applies)"
            )
    if policy == "2.3" and model.disclosed_vendors is None:
        problems.append("DisclosedVendors: segment missing, mandatory since TCF 2.3")
    return problems
