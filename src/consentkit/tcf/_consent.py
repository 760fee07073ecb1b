"""A consentkit decision as an IAB TCF v2.2 TC string, for the ``euconsent-v2`` cookie.

Vendors' scripts that speak TCF read the visitor's choice from a TC string. When a
site turns TCF on, every recorded choice also becomes one: the catalogue's
purposes map to TCF purpose ids (``tcf_purposes``), its vendors to Global Vendor
List ids (``gvl_id``). Only consent is recorded, never legitimate interest: a
consentkit site asks, it doesn't presume.

Issuing TC strings in production needs a CMP id registered with the IAB; consentkit
is not a registered CMP. See docs/tcf.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from consentkit.exceptions import ConfigurationError
from consentkit.tcf._codec import encode
from consentkit.tcf._model import TCModel
from consentkit.tcf.gvl import GlobalVendorList

if TYPE_CHECKING:
    from consentkit.catalogue import Catalogue
    from consentkit.consent import Consent

__all__ = ["DEFAULT_TCF_COOKIE", "TCFConfig", "tc_model", "tc_string"]

#: The cookie a TC string travels in, as the IAB names it.
DEFAULT_TCF_COOKIE = "euconsent-v2"
#: The purposes a visitor can consent to in TCF v2.2 (1 to 11).
_CONSENTABLE = range(1, 12)


@dataclass(frozen=True, slots=True, init=False)
class TCFConfig:
    """What a TC string needs beyond the visitor's choice.

    :param cmp_id: the CMP id the IAB registered for the site's CMP. Ids 0 and 1 are
        refused unless ``allow_reserved_cmp_id`` (tests, development).
    :param cmp_version: the CMP's version, as registered.
    :param gvl: the Global Vendor List the site keeps, or the path of its file (read
        now; never fetched at run time).
    :param publisher_country: the publisher's country, ISO 3166-1 alpha-2.
    :param consent_screen: the CMP's screen number the choice was made on.
    :param cookie_name: the cookie that carries the string.
    :raises ConfigurationError: naming what is wrong.
    """

    cmp_id: int
    cmp_version: int
    #: The vendor list given, or read from the path given.
    gvl: GlobalVendorList
    publisher_country: str
    consent_screen: int
    cookie_name: str
    allow_reserved_cmp_id: bool = field(repr=False)

    def __init__(
        self,
        cmp_id: int,
        cmp_version: int,
        gvl: GlobalVendorList | str | Path,
        publisher_country: str = "AA",
        consent_screen: int = 1,
        cookie_name: str = DEFAULT_TCF_COOKIE,
        allow_reserved_cmp_id: bool = False,
    ) -> None:
        if isinstance(gvl, str | Path):
            gvl = GlobalVendorList.from_file(gvl)
        elif not isinstance(gvl, GlobalVendorList):
            raise ConfigurationError(f"tcf.gvl must be a GlobalVendorList or a path, not {gvl!r}")
        put = object.__setattr__
        put(self, "cmp_id", cmp_id)
        put(self, "cmp_version", cmp_version)
        put(self, "gvl", gvl)
        put(self, "publisher_country", publisher_country)
        put(self, "consent_screen", consent_screen)
        put(self, "cookie_name", cookie_name)
        put(self, "allow_reserved_cmp_id", allow_reserved_cmp_id)
        problems = []
        if not 0 <= cmp_id < 4096 or (cmp_id < 2 and not allow_reserved_cmp_id):
            problems.append(f"tcf.cmp_id {cmp_id} is not a registered CMP id (2 to 4095)")
        if not 0 <= cmp_version < 4096:
            problems.append(f"tcf.cmp_version {cmp_version} is out of range (0 to 4095)")
        country = publisher_country
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            problems.append(f"tcf.publisher_country {publisher_country!r} is not two letters")
        if problems:
            raise ConfigurationError(problems)

    def check(self, catalogue: Catalogue) -> list[str]:
        """Problems between the catalogue and the vendor list, each with its place."""
        problems = []
        for i, vendor in enumerate(catalogue.vendors):
            if vendor.gvl_id is None:
                continue
            listed = self.gvl.vendors.get(vendor.gvl_id)
            if listed is None:
                problems.append(
                    f"vendors[{i}] ({vendor.id}).gvl_id: {vendor.gvl_id} is not in the vendor "
                    f"list (version {self.gvl.vendor_list_version})"
                )
            elif listed.is_deleted():
                problems.append(
                    f"vendors[{i}] ({vendor.id}).gvl_id: {vendor.gvl_id} was deleted from the "
                    "vendor list"
                )
        for i, purpose in enumerate(catalogue.purposes):
            for tcf_id in purpose.tcf_purposes:
                if tcf_id not in _CONSENTABLE:
                    problems.append(
                        f"purposes[{i}] ({purpose.id}).tcf_purposes: {tcf_id} is not a TCF "
                        "purpose a visitor consents to (1 to 11)"
                    )
        return problems

    def tc_string(self, consent: Consent) -> str:
        """The ``euconsent-v2`` value for a decision: :func:`tc_string` with this config."""
        return tc_string(consent, self)


def tc_model(consent: Consent, tcf: TCFConfig) -> TCModel:
    """The TC model of a decision: its purposes and vendors as TCF ids.

    Created and LastUpdated are the decision's day, as the TCF requires (a TC string
    must not reveal the time of day).
    """
    catalogue = consent.catalogue
    day = consent.decided_at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    purposes = {
        tcf_id
        for purpose in catalogue.purposes
        if consent.allows_purpose(purpose.id)
        for tcf_id in purpose.tcf_purposes
    }
    listed = {v.gvl_id for v in catalogue.vendors if v.gvl_id is not None}
    consented = {
        v.gvl_id for v in catalogue.vendors if v.gvl_id is not None and consent.allows_vendor(v.id)
    }
    return TCModel(
        created=day,
        last_updated=day,
        cmp_id=tcf.cmp_id,
        cmp_version=tcf.cmp_version,
        consent_screen=tcf.consent_screen,
        consent_language=catalogue.default_language[:2].upper(),
        vendor_list_version=tcf.gvl.vendor_list_version,
        tcf_policy_version=tcf.gvl.tcf_policy_version,
        is_service_specific=True,
        publisher_country_code=tcf.publisher_country.upper(),
        purpose_consents=frozenset(purposes),
        vendor_consents=frozenset(consented),
        # Mandatory since TCF 2.3: which vendors the visitor was shown.
        disclosed_vendors=frozenset(listed),
    )


def tc_string(consent: Consent, tcf: TCFConfig) -> str:
    """The ``euconsent-v2`` value for a decision."""
    return encode(tc_model(consent, tcf), allow_reserved_cmp_id=tcf.allow_reserved_cmp_id)
