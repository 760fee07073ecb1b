"""The decision applied to one response: what a visitor's consent (or its absence) lets through.

A :class:`Gate` is pure and cheap: built per request from a :class:`Consent`
or from nothing, it answers for purposes, vendors and cookies, and it is what
the header and HTML rewriting consult. Without a consent it fails closed: only
what is strictly necessary passes. Cookies follow :func:`~consentkit.consent.cookie_verdict`,
the rule a :class:`Consent` follows too; saying that an undeclared cookie was met is
the caller's business (the engine warns once per name).
"""

from __future__ import annotations

from consentkit.catalogue import Catalogue, Storage
from consentkit.consent import Consent, Verdict, cookie_verdict

__all__ = ["Gate", "Verdict"]


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
        """Whether a cookie may be set: ``"allow"``, ``"deny"``, or ``"undeclared"``."""
        return cookie_verdict(
            self.catalogue, name, storage, self.allows_vendor, self.allows_purpose
        )

    def allows_cookie(self, name: str, storage: Storage = "cookie") -> bool:
        """Whether the app may set this cookie now: undeclared cookies pass unless the
        gate is strict (see :meth:`Consent.allows_cookie`)."""
        verdict = self.verdict(name, storage)
        return verdict == "allow" or (verdict == "undeclared" and not self.strict)
