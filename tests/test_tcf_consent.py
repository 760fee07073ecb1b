"""A consentkit decision as a TC string: the model, the euconsent-v2 cookie, the page config."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from consentkit import Catalogue, ConfigurationError, Consent, ConsentConfig, WSGIConsentMiddleware
from consentkit.tcf import GlobalVendorList, TCFConfig, decode, tc_model, tc_string
from tests import apps
from tests.helpers import ROOT, SECRET

GVL = ROOT / "tests" / "data" / "gvl-v3-trimmed.json"
NOW = datetime(2026, 11, 26, 15, 42, 7, tzinfo=UTC)


@pytest.fixture
def tcf_catalogue(data: dict[str, Any]) -> Catalogue:
    """The reference catalogue, with a TCF vendor (GVL id 52) serving audience measurement."""
    data["purposes"][3]["tcf_purposes"] = [1, 8, 9]
    data["vendors"].append(
        {
            "id": "quillmetrics",
            "name": "Quillmetrics GmbH",
            "purposes": ["audience"],
            "privacy_policy": "https://quillmetrics.example/privacy",
            "country": "DE",
            "gvl_id": 52,
        }
    )
    return Catalogue.model_validate(data)


@pytest.fixture
def tcf() -> TCFConfig:
    return TCFConfig(
        cmp_id=300, cmp_version=2, gvl=GlobalVendorList.from_file(GVL), publisher_country="FR"
    )


class TestModel:
    def test_accept_all(self, tcf_catalogue: Catalogue, tcf: TCFConfig) -> None:
        """Granted purposes and allowed vendors become TCF consents; times are the day."""
        model = tc_model(Consent.accept_all(tcf_catalogue, now=NOW), tcf)
        day = datetime(2026, 11, 26, tzinfo=UTC)
        assert (model.created, model.last_updated) == (day, day)
        assert (model.cmp_id, model.cmp_version, model.vendor_list_version) == (300, 2, 120)
        assert model.purpose_consents == {1, 8, 9}
        assert model.vendor_consents == {52}
        assert model.disclosed_vendors == frozenset({52})
        assert (model.consent_language, model.publisher_country_code) == ("FR", "FR")
        assert model.purpose_legitimate_interests == frozenset()

    def test_refusal_has_no_consents(self, tcf_catalogue: Catalogue, tcf: TCFConfig) -> None:
        """A refusal's string consents to nothing, but still discloses the vendors shown."""
        model = decode(tc_string(Consent.refuse_all(tcf_catalogue, now=NOW), tcf))
        assert (model.purpose_consents, model.vendor_consents) == (frozenset(), frozenset())
        assert model.disclosed_vendors == frozenset({52})


class TestConfig:
    def test_unknown_gvl_id(
        self, tcf_catalogue: Catalogue, tcf: TCFConfig, data: dict[str, Any]
    ) -> None:
        """A catalogue vendor whose GVL id isn't in the list is refused at start-up."""
        data["vendors"].append(
            {
                "id": "ghost",
                "name": "Ghost",
                "purposes": ["audience"],
                "privacy_policy": "https://ghost.example/privacy",
                "country": "DE",
                "gvl_id": 999,
            }
        )
        with pytest.raises(
            ConfigurationError, match=r"vendors\[4\] \(ghost\)\.gvl_id: 999 is not in"
        ):
            ConsentConfig(catalogue=Catalogue.model_validate(data), secret_keys=[SECRET], tcf=tcf)

    def test_reserved_cmp_id(self) -> None:
        """CMP ids 0 and 1 belong to no registered CMP."""
        with pytest.raises(ConfigurationError, match="cmp_id 1"):
            TCFConfig(cmp_id=1, cmp_version=1, gvl=GlobalVendorList.from_file(GVL))

    def test_gvl_path(self) -> None:
        """The vendor list may be given as the path of the file the site keeps."""
        assert TCFConfig(cmp_id=300, cmp_version=1, gvl=GVL).gvl.vendor_list_version == 120


class TestEndpoint:
    def client(self, catalogue: Catalogue, tcf: TCFConfig) -> httpx.Client:
        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], tcf=tcf)
        app = WSGIConsentMiddleware(apps.wsgi_app, config)
        return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://x.test")

    def test_choice_sets_euconsent_v2(self, tcf_catalogue: Catalogue, tcf: TCFConfig) -> None:
        """A choice also sets euconsent-v2: readable by scripts, same lifetime as the token."""
        with self.client(tcf_catalogue, tcf) as http:
            response = http.post("/_consentkit/consent", json={"action": "accept_all"})
        token, tc = response.headers.get_list("set-cookie")[:2]
        assert tc.startswith("euconsent-v2=")
        assert "HttpOnly" not in tc
        lifetimes = [re.search(r"Max-Age=(\d+)", cookie) for cookie in (tc, token)]
        assert lifetimes[0] is not None
        assert lifetimes[1] is not None
        assert lifetimes[0].group(1) == lifetimes[1].group(1)
        model = decode(tc.split(";")[0].split("=", 1)[1])
        assert (model.vendor_consents, model.purpose_consents) == (
            frozenset({52}),
            frozenset({1, 8, 9}),
        )

    def test_withdrawal_expires_it(self, tcf_catalogue: Catalogue, tcf: TCFConfig) -> None:
        """Withdrawing expires the TC string with the token."""
        with self.client(tcf_catalogue, tcf) as http:
            cookies = http.delete("/_consentkit/consent").headers.get_list("set-cookie")
        assert any(c.startswith("euconsent-v2=;") and "Max-Age=0" in c for c in cookies)

    def test_page_config_announces_tcf(self, tcf_catalogue: Catalogue, tcf: TCFConfig) -> None:
        """The page's configuration tells the CMP API its CMP id and cookie."""
        with self.client(tcf_catalogue, tcf) as http:
            html = http.get("/").text
        found = re.search(r'id="consentkit-config">(.*?)</script>', html)
        assert found is not None
        assert json.loads(found.group(1))["tcf"] == {
            "cmpId": 300,
            "cmpVersion": 2,
            "cookie": "euconsent-v2",
            "gdprApplies": True,
            "gvlVersion": 120,
            "tcfPolicyVersion": 5,
        }
