"""A visitor's decision, and what it allows.

A :class:`Consent` is made once, when the visitor chooses, and never changes:
changing one's mind makes a new one. It answers three questions the rest of
consentkit asks on every request: may this purpose, this vendor, this cookie
be used?
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from consentkit._lazy import LazySlots, defer
from consentkit.catalogue import Catalogue, CookieRule, Storage
from consentkit.exceptions import ChoiceError

__all__ = ["Action", "Consent"]


class Action(StrEnum):
    """The three choices a visitor has, as the reference site words them."""

    #: "Tout accepter".
    ACCEPT_ALL = "accept_all"
    #: "Continuer sans accepter".
    REFUSE_ALL = "refuse_all"
    #: "Personnaliser vos choix" and "Voir nos partenaires".
    CUSTOM = "custom"


#: What a decision says of a cookie name.
Verdict = Literal["allow", "deny", "undeclared"]


def cookie_verdict(
    catalogue: Catalogue,
    name: str,
    storage: Storage,
    allows_vendor: Callable[[str], bool],
    allows_purpose: Callable[[str], bool],
) -> Verdict:
    """The one rule for cookies, for a decision and for its absence alike.

    A declared cookie is allowed when its rule's vendor and **all** its purposes are
    (a cookie that serves several purposes needs every one); the site's own cookies (a
    rule without a vendor) need only their purposes. A name no rule matches is
    ``"undeclared"``: what happens to it is the caller's policy (``strict``).
    """
    rule = catalogue.rule_for(name, storage)
    if rule is None:
        return "undeclared"
    return "allow" if rule_allowed(catalogue, rule, allows_vendor, allows_purpose) else "deny"


def rule_allowed(
    catalogue: Catalogue,
    rule: CookieRule,
    allows_vendor: Callable[[str], bool],
    allows_purpose: Callable[[str], bool],
) -> bool:
    """Whether the cookies a declared rule matches may be set: :func:`cookie_verdict`'s
    rule, for a rule rather than a name."""
    return (rule.vendor is None or allows_vendor(rule.vendor)) and all(
        map(allows_purpose, catalogue.purposes_of(rule))
    )


@dataclass(frozen=True, slots=True)
class Consent(LazySlots):
    """One visitor's decision, under one revision of a catalogue.

    ``purposes`` and ``vendors`` hold every granted id, essential ones included.
    Make one with :meth:`accept_all`, :meth:`refuse_all` or :meth:`custom`.
    Times are UTC, to the second (the precision a token keeps).
    """

    #: Random and unguessable: the key of this decision in a proof-of-consent ledger.
    id: str
    action: Action
    purposes: frozenset[str]
    vendors: frozenset[str]
    decided_at: datetime
    expires_at: datetime
    revision: str
    catalogue: Catalogue = field(compare=False, repr=False)

    @staticmethod
    def build_field(pending: Any, name: str) -> object:
        """The fields a token's consent leaves for later (see :func:`from_token`)."""
        raw_id, action, decided, expires, catalogue = pending
        if name == "id":
            h = raw_id.hex()
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        if name == "action":
            return action
        if name == "decided_at":
            return datetime.fromtimestamp(decided, UTC)
        if name == "expires_at":
            return datetime.fromtimestamp(expires, UTC)
        if name == "revision":
            return catalogue.revision
        raise KeyError(name)

    @classmethod
    def accept_all(cls, catalogue: Catalogue, *, now: datetime | None = None) -> Consent:
        """ "Tout accepter": every purpose and every vendor."""
        purposes = frozenset(p.id for p in catalogue.purposes)
        vendors = frozenset(v.id for v in catalogue.vendors)
        return cls._decide(catalogue, Action.ACCEPT_ALL, purposes, vendors, now)

    @classmethod
    def refuse_all(cls, catalogue: Catalogue, *, now: datetime | None = None) -> Consent:
        """ "Continuer sans accepter": only what is strictly necessary."""
        return cls._decide(
            catalogue,
            Action.REFUSE_ALL,
            catalogue.essential_purposes,
            catalogue.essential_vendors,
            now,
        )

    @classmethod
    def custom(
        cls,
        catalogue: Catalogue,
        *,
        purposes: Iterable[str] = (),
        vendors: Iterable[str] | None = None,
        now: datetime | None = None,
    ) -> Consent:
        """A choice per purpose and, optionally, per vendor.

        With ``vendors`` left out, every vendor whose purposes are all granted is
        granted, as when a visitor only sets the purpose switches. Essential
        purposes and vendors are granted whatever is asked.

        :raises ChoiceError: naming the ids the catalogue doesn't know.
        """
        chosen_purposes = _known("purposes", purposes, catalogue.purpose)
        granted = chosen_purposes | catalogue.essential_purposes
        if vendors is None:
            chosen_vendors = frozenset(
                v.id for v in catalogue.vendors if granted.issuperset(v.purposes)
            )
        else:
            chosen_vendors = _known("vendors", vendors, catalogue.vendor)
        return cls._decide(
            catalogue, Action.CUSTOM, granted, chosen_vendors | catalogue.essential_vendors, now
        )

    @classmethod
    def from_choice(
        cls,
        catalogue: Catalogue,
        action: str,
        *,
        purposes: Iterable[str] = (),
        vendors: Iterable[str] | None = None,
        now: datetime | None = None,
    ) -> Consent:
        """A consent from a choice as a form or JSON body states it.

        :raises ChoiceError: for an unknown action (``field="action"``) or unknown ids.
        """
        if action == Action.ACCEPT_ALL:
            return cls.accept_all(catalogue, now=now)
        if action == Action.REFUSE_ALL:
            return cls.refuse_all(catalogue, now=now)
        if action == Action.CUSTOM:
            return cls.custom(catalogue, purposes=purposes, vendors=vendors, now=now)
        choices = ", ".join(repr(a.value) for a in Action)
        raise ChoiceError(f"unknown action {action!r}; expected one of {choices}", field="action")

    @classmethod
    def _decide(
        cls,
        catalogue: Catalogue,
        action: Action,
        purposes: frozenset[str],
        vendors: frozenset[str],
        now: datetime | None,
    ) -> Consent:
        decided_at = _utc_second(now)
        refusal = not (purposes - catalogue.essential_purposes)
        policy = catalogue.expiry
        lasts = policy.refuse_duration if refusal else policy.accept_duration
        return cls(
            id=str(uuid.uuid4()),
            action=action,
            purposes=purposes,
            vendors=vendors,
            decided_at=decided_at,
            expires_at=lasts.after(decided_at),
            revision=catalogue.revision,
            catalogue=catalogue,
        )

    @property
    def is_refusal(self) -> bool:
        """Whether no optional purpose is granted: such a decision is kept for less time."""
        return not (self.purposes - self.catalogue.essential_purposes)

    def allows_purpose(self, purpose_id: str) -> bool:
        return purpose_id in self.purposes

    def allows_vendor(self, vendor_id: str) -> bool:
        """Whether the vendor is granted and so is every one of its purposes."""
        if vendor_id not in self.vendors:
            return False
        vendor = self.catalogue.vendor(vendor_id)
        return vendor is not None and self.purposes.issuperset(vendor.purposes)

    @property
    def allowed_vendors(self) -> frozenset[str]:
        """Every vendor :meth:`allows_vendor` allows."""
        return _allowed_vendors(self.catalogue, self.purposes, self.vendors)

    def cookie_verdict(self, name: str, storage: Storage = "cookie") -> Verdict:
        """What this decision says of a cookie: see :func:`cookie_verdict`."""
        return cookie_verdict(
            self.catalogue, name, storage, self.allows_vendor, self.allows_purpose
        )

    def allows_cookie(self, name: str, storage: Storage = "cookie", *, strict: bool = True) -> bool:
        """Whether a cookie may be set under this decision.

        A name no rule declares can't have been consented to, so it is refused unless
        ``strict`` is false: the middleware's own rule (its ``strict`` setting), which
        lets an undeclared cookie through, with a warning, rather than log every
        visitor out of a site whose catalogue forgot its session cookie.
        """
        verdict = self.cookie_verdict(name, storage)
        return verdict == "allow" or (verdict == "undeclared" and not strict)

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        """The decision as the HTTP endpoints show it: ids sorted, times in ISO 8601 UTC."""
        return {
            "id": self.id,
            "action": self.action.value,
            "purposes": sorted(self.purposes),
            "vendors": sorted(self.vendors),
            "decided_at": _iso(self.decided_at),
            "expires_at": _iso(self.expires_at),
            "revision": self.revision,
        }


_new = object.__new__
_set = object.__setattr__


def from_token(
    raw_id: bytes,
    action: Action,
    purposes: frozenset[str],
    vendors: frozenset[str],
    decided: int,
    expires: int,
    catalogue: Catalogue,
) -> Consent:
    """The decision a verified token carries, from its raw fields: the 16 bytes of its
    id, its Unix times.

    A token read for the first time is on every new visitor's request and its fields
    are known good, so this skips the dataclass's ``__init__``; all but the fields a
    request reads to decide (purposes, vendors, catalogue) are set on first read
    (:mod:`consentkit._lazy`).
    """
    consent: Consent = _new(Consent)
    _set(consent, "purposes", purposes)
    _set(consent, "vendors", vendors)
    _set(consent, "catalogue", catalogue)
    defer(consent, (raw_id, action, decided, expires, catalogue))
    return consent


@functools.lru_cache(maxsize=256)
def _allowed_vendors(
    catalogue: Catalogue, purposes: frozenset[str], vendors: frozenset[str]
) -> frozenset[str]:
    # Few distinct choices exist, and each request asks: remember them. The
    # catalogue is hashed by identity (see Catalogue.__hash__).
    return frozenset(
        v.id for v in catalogue.vendors if v.id in vendors and purposes.issuperset(v.purposes)
    )


def _known(kind: str, ids: Iterable[str], lookup: Callable[[str], object | None]) -> frozenset[str]:
    if isinstance(ids, str):
        raise ChoiceError(f"{kind} is a list of ids, not the text {ids!r}", field=kind)
    chosen = list(ids)
    unknown = [i for i in chosen if not isinstance(i, str) or lookup(i) is None]
    if unknown:
        names = ", ".join(sorted(repr(i) for i in unknown))
        raise ChoiceError(f"unknown {kind}: {names}", field=kind, unknown=map(str, unknown))
    return frozenset(chosen)


def _utc_second(now: datetime | None) -> datetime:
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("a naive datetime is ambiguous: give one with a time zone (UTC)")
    return now.astimezone(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
