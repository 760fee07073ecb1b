"""The decision applied to one response: what a visitor's consent (or its absence) lets through.

A :class:`Gate` is pure and cheap: built per request from a :class:`Consent`
or from nothing, it answers for purposes, vendors and cookies, and it is what
the header and HTML rewriting consult. Without a consent it fails closed: only
what is strictly necessary passes.
"""

from __future__ import annotations

import logging
from typing import Literal

from consentkit.catalogue import Catalogue, Storage
from consentkit.consent import Consent

__all__ = ["Gate", "Verdict"]

logger = logging.getLogger("consentkit")

#: What the gate says of a cookie name.
Verdict = Literal["allow", "deny", "undeclared"]

# Names already warned about, per process: the warning is for the developer, once.
_warned: set[str] = set()
_WARNED_MAX = 1024


class Gate:
    """What one visitor's consent lets through.

    :param consent: the visitor's valid consent, or ``None`` for none (a first
        visit, a withdrawal, or any problem with the token).
    :param strict: block cookies no catalogue rule declares, instead of letting
        them through with a warning.
    """

    __slots__ = ("catalogue", "consent", "strict")

    def __init__(
        self, catalogue: Catalogue, consent: Consent | None = None, *, strict: bool = False
    ) -> None:
        self.catalogue = catalogue
        self.consent = consent
        self.strict = strict

    def allows_purpose(self, purpose_id: str) -> bool:
        if self.consent is None:
            return purpose_id in self.catalogue.essential_purposes
        return self.consent.allows_purpose(purpose_id)

    def allows_vendor(self, vendor_id: str) -> bool:
        if self.consent is None:
            return vendor_id in self.catalogue.essential_vendors
        return self.consent.allows_vendor(vendor_id)

    @property
    def allowed_vendors(self) -> frozenset[str]:
        """Every vendor allowed: what the HTML rewriting depends on."""
        if self.consent is None:
            return self.catalogue.essential_vendors
        return self.consent.allowed_vendors

    def verdict(self, name: str, storage: Storage = "cookie") -> Verdict:
        """Whether a cookie may be set: ``"allow"``, ``"deny"``, or ``"undeclared"``.

        A declared cookie is allowed when its vendor and **all** its purposes are;
        the site's own cookies (a rule without a vendor) need only their purposes.
        """
        rule = self.catalogue.rule_for(name, storage)
        if rule is None:
            return "undeclared"
        if (rule.vendor is None or self.allows_vendor(rule.vendor)) and all(
            self.allows_purpose(p) for p in self.catalogue.purposes_of(rule)
        ):
            return "allow"
        return "deny"

    def allows_cookie(self, name: str, storage: Storage = "cookie") -> bool:
        """Whether the app may set this cookie now.

        Undeclared cookies pass, with a warning logged once per name, unless the
        gate is strict: a catalogue that forgets a session cookie must not log
        every visitor out, but it should be noticed.
        """
        verdict = self.verdict(name, storage)
        if verdict == "undeclared":
            if name not in _warned and len(_warned) < _WARNED_MAX:
                _warned.add(name)
                logger.warning(
                    "cookie %r is not declared in the catalogue; %s",
                    name,
                    "blocked (strict mode)" if self.strict else "let through",
                )
            return not self.strict
        return verdict == "allow"
