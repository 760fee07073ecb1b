"""What a ledger record holds, and how a decision becomes one.

A record is a flat JSON object (see ``docs/ledger.md``): the ledger adds ``seq`` and
``at`` when it writes it; everything else is fixed when the decision is made, in
the request, so a record spooled during an outage says what the visitor chose and
saw at that moment.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from consentkit.catalogue import Catalogue
from consentkit.consent import Consent
from consentkit.ledger._canonical import canonical, encoded_items, iso_second

__all__ = [
    "FORMAT_VERSION",
    "SOURCES",
    "Entry",
    "Notice",
    "Receipt",
    "StoredRecord",
    "decision_fields",
    "subject_of",
    "truncate_ip",
]

#: The ``v`` field of every record this code writes.
FORMAT_VERSION = 1
#: Where a decision was made: the banner's first layer, its customise layer, a plain
#: HTML form, or a JSON client that isn't the banner.
SOURCES = ("banner_first_layer", "banner_customise", "form", "api")
Source = Literal["banner_first_layer", "banner_customise", "form", "api"]
#: The personal fields a site may choose to seal into its records.
PERSONAL_FIELDS = ("user_agent", "ip", "account")


@dataclass(frozen=True, slots=True)
class Notice:
    """Exactly what a visitor was shown, content-addressed.

    The body is canonical JSON: the localised catalogue as the banner renders it
    (purposes, vendors, cookies, the banner's texts in that language) and the
    SHA-256 of each banner asset. Stored once per distinct digest.
    """

    digest: str
    body: bytes

    @classmethod
    def of(cls, shown: Mapping[str, Any]) -> Notice:
        body = canonical(dict(shown))
        return cls(hashlib.sha256(body).hexdigest(), body)


@dataclass(frozen=True, slots=True)
class Entry:
    """A decision waiting for its place in the chain."""

    #: The record's fields, all but ``seq``, ``at``, ``sealed`` and ``spool``.
    fields: Mapping[str, Any]
    notice: Notice
    #: Personal fields to seal under the subject's key; ``None`` when the site keeps none.
    personal: Mapping[str, str] | None = None
    #: Set when the entry went through the spool: makes its replay idempotent.
    spool_id: str | None = None
    spooled_at: str | None = None
    #: ``fields`` encoded (and checked) once, before a writer takes the chain's head.
    encoded: tuple[tuple[str, str], ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", encoded_items(self.fields))

    @property
    def subject(self) -> str | None:
        subject: str | None = self.fields.get("subject")
        return subject

    def to_spool(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "notice": {"digest": self.notice.digest, "body": self.notice.body.decode("utf-8")},
            "personal": dict(self.personal) if self.personal is not None else None,
            "spool_id": self.spool_id,
            "spooled_at": self.spooled_at,
        }

    @classmethod
    def from_spool(cls, data: Mapping[str, Any]) -> Entry:
        notice = data["notice"]
        return cls(
            fields=data["fields"],
            notice=Notice(notice["digest"], notice["body"].encode("utf-8")),
            personal=data["personal"],
            spool_id=data["spool_id"],
            spooled_at=data["spooled_at"],
        )

    def spooled(self, now: datetime) -> Entry:
        return Entry(self.fields, self.notice, self.personal, str(uuid.uuid4()), iso_second(now))


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the visitor gets back: where their decision sits in the chain.

    A spooled receipt (``seq`` is ``None``) means the decision was honoured and
    written durably on this server, and joins the chain on the ledger's next write.
    """

    seq: int | None
    #: Hex chain hash after this record.
    chain_hash: str | None
    at: str | None

    def header(self) -> str:
        if self.seq is None:
            return "spooled"
        return f"seq={self.seq}; chain={self.chain_hash}"

    def to_json(self) -> dict[str, Any]:
        if self.seq is None:
            return {"spooled": True}
        return {"seq": self.seq, "chain_hash": self.chain_hash, "at": self.at}


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as read back, with its place in the chain."""

    seq: int
    body: bytes
    chain_hash: bytes
    fields: dict[str, Any] = field(compare=False)


def subject_of(key: bytes, consent_id: str) -> str:
    """The pseudonym of a consent id: only whoever holds the ledger key and the id links them."""
    return hmac.new(key, consent_id.encode("utf-8"), hashlib.sha256).hexdigest()


def decision_fields(
    catalogue: Catalogue,
    consent: Consent | None,
    *,
    action: str,
    subject: str | None,
    previous: str | None,
    language: str,
    source: str,
    notice: Notice,
    tc_string: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A record's decision fields, from a consent (``None`` for a withdrawal).

    A withdrawal leaves only what is essential granted: that is what the site may
    still do once the visitor takes their consent back.
    """
    catalogue_purposes = [p.id for p in catalogue.purposes]
    catalogue_vendors = [v.id for v in catalogue.vendors]
    if consent is not None:
        granted_p, granted_v = consent.purposes, consent.vendors
    else:
        granted_p, granted_v = catalogue.essential_purposes, catalogue.essential_vendors
    return {
        "v": FORMAT_VERSION,
        "action": action,
        "subject": subject,
        "previous": previous,
        "purposes_granted": sorted(granted_p),
        "purposes_refused": sorted(set(catalogue_purposes) - granted_p),
        "vendors_granted": sorted(granted_v),
        "vendors_refused": sorted(set(catalogue_vendors) - granted_v),
        "decided_at": iso_second(consent.decided_at if consent else now),
        "expires_at": iso_second(consent.expires_at) if consent else None,
        "revision": consent.revision if consent else catalogue.revision,
        "language": language,
        "source": source,
        "notice": notice.digest,
        "tc_string": tc_string,
    }


def truncate_ip(address: str) -> str | None:
    """The network a visitor's address is in: IPv4 /24, IPv6 /48; ``None`` when unreadable."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
