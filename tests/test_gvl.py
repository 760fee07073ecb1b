"""The Global Vendor List model: a trimmed v3 file, its checks, and any JSON thrown at it."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from consentkit import ConfigurationError
from consentkit.tcf.gvl import GlobalVendorList, VendorUrl

FIXTURE = Path(__file__).parent / "data" / "gvl-v3-trimmed.json"
RAW: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def gvl() -> GlobalVendorList:
    """The trimmed vendor list shipped with the tests."""
    return GlobalVendorList.from_file(FIXTURE)


def changed(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """A deep copy of the fixture's data with ``change`` applied to it."""
    data = copy.deepcopy(RAW)
    change(data)
    return data


class TestGlobalVendorList:
    def test_reads_the_header_and_tables(self, gvl: GlobalVendorList) -> None:
        """Versions, date and every table are read, keyed by integer id."""
        assert (gvl.gvl_specification_version, gvl.vendor_list_version, gvl.tcf_policy_version) == (
            3,
            120,
            5,
        )
        assert gvl.last_updated == datetime(2025, 6, 5, 16, 0, 27, tzinfo=UTC)
        counts = [
            len(t) for t in (gvl.purposes, gvl.special_purposes, gvl.features, gvl.special_features)
        ]
        assert counts == [11, 3, 3, 2]
        assert sorted(gvl.stacks) == [1, 42]
        assert sorted(gvl.data_categories) == list(range(1, 12))
        assert sorted(gvl.vendors) == [4, 21, 52, 128, 410, 733, 1126]
        assert gvl.purposes[2].name == "Use limited data to select advertising"
        assert gvl.stacks[1].special_features == frozenset({1, 2})

    def test_purpose_flags(self, gvl: GlobalVendorList) -> None:
        """consentable and rightToObject default to true and are read when given."""
        assert gvl.purposes[2].consentable
        assert gvl.purposes[2].right_to_object
        assert not gvl.purposes[1].right_to_object
        assert not gvl.special_purposes[1].consentable

    def test_vendor_fields(self, gvl: GlobalVendorList) -> None:
        """Every vendor declaration is read, camelCase keys as snake_case fields."""
        vendor = gvl.vendors[21]
        assert vendor.name == "Northwind Audience Ltd"
        assert vendor.purposes == frozenset({1, 3, 5, 9})
        assert vendor.leg_int_purposes == frozenset({2, 7, 8, 10, 11})
        assert vendor.flexible_purposes == frozenset({2, 7})
        assert vendor.special_purposes == frozenset({1, 2})
        assert (vendor.features, vendor.special_features) == (frozenset({1, 2}), frozenset({1}))
        assert (vendor.uses_cookies, vendor.cookie_max_age_seconds, vendor.cookie_refresh) == (
            True,
            31536000,
            True,
        )
        assert vendor.uses_non_cookie_access is False
        assert (
            vendor.device_storage_disclosure_url
            == "https://northwind.example/tcf/device-storage.json"
        )
        assert vendor.data_declaration == frozenset({1, 3, 6, 8, 9, 10})
        assert vendor.urls[0] == VendorUrl(
            lang_id="en",
            privacy="https://northwind.example/privacy",
            leg_int_claim="https://northwind.example/legitimate-interest",
        )
        assert vendor.urls[1].leg_int_claim is None
        assert vendor.data_retention is not None
        assert vendor.data_retention.std_retention == 395
        assert dict(vendor.data_retention.purposes) == {3: 180}
        assert dict(vendor.data_retention.special_purposes) == {1: 730}
        assert vendor.deleted_date is None

    @pytest.mark.parametrize(
        ("vendor_id", "uses_cookies", "max_age"),
        [
            pytest.param(410, False, None, id="no-cookies-null-age"),
            pytest.param(1126, True, -100, id="session-cookie"),
            pytest.param(52, True, 34128000, id="thirteen-months"),
        ],
    )
    def test_cookie_declarations(
        self, gvl: GlobalVendorList, vendor_id: int, uses_cookies: bool, max_age: int | None
    ) -> None:
        """Cookie use and lifetime are read as declared (0 or less is a session cookie)."""
        vendor = gvl.vendors[vendor_id]
        assert (vendor.uses_cookies, vendor.cookie_max_age_seconds) == (uses_cookies, max_age)

    def test_deleted_vendors(self, gvl: GlobalVendorList) -> None:
        """A vendor with a deletedDate is no longer active from that date on."""
        vendor = gvl.vendors[733]
        assert vendor.deleted_date == datetime(2024, 3, 31, tzinfo=UTC)
        assert vendor.is_deleted()
        assert not vendor.is_deleted(datetime(2024, 3, 30, tzinfo=UTC))
        assert 733 not in gvl.active_vendors()
        assert 733 in gvl.active_vendors(datetime(2024, 1, 1, tzinfo=UTC))
        assert len(gvl.active_vendors()) == 6

    def test_naive_deleted_date_is_utc(self) -> None:
        """A deletedDate without a zone is read as UTC."""
        data = changed(lambda d: d["vendors"]["733"].update(deletedDate="2024-03-31T00:00:00"))
        vendor = GlobalVendorList.model_validate(data).vendors[733]
        assert vendor.is_deleted(datetime(2024, 3, 31, tzinfo=UTC))

    def test_ignores_keys_the_iab_adds(self) -> None:
        """Unknown keys, at any level, are ignored: the file is the IAB's."""

        def add(data: dict[str, Any]) -> None:
            data["newTopLevelThing"] = {"x": 1}
            data["vendors"]["4"]["futureDeclaration"] = [1, 2]
            data["purposes"]["1"]["newText"] = "..."

        assert GlobalVendorList.model_validate(changed(add)) == GlobalVendorList.model_validate(RAW)

    def test_optional_tables(self) -> None:
        """stacks may be absent; the list is still read."""
        assert GlobalVendorList.model_validate(changed(lambda d: d.pop("stacks"))).stacks == {}

    def test_is_read_only(self, gvl: GlobalVendorList) -> None:
        """Neither the list nor its tables can be changed once loaded."""
        with pytest.raises(ValidationError):
            gvl.vendor_list_version = 121  # type: ignore[misc]
        with pytest.raises(TypeError):
            gvl.vendors[1] = gvl.vendors[4]  # type: ignore[index]
        retention = gvl.vendors[21].data_retention
        assert retention is not None
        with pytest.raises(TypeError):
            retention.purposes[3] = 1  # type: ignore[index]

    def test_validating_a_list_returns_it(self, gvl: GlobalVendorList) -> None:
        """model_validate of an already loaded list is that list."""
        assert GlobalVendorList.model_validate(gvl) is gvl

    def test_from_json_and_from_file_agree(self, gvl: GlobalVendorList) -> None:
        """Text, bytes and the file give the same list."""
        text = FIXTURE.read_text("utf-8")
        assert GlobalVendorList.from_json(text) == GlobalVendorList.from_json(text.encode()) == gvl


class TestGlobalVendorListProblems:
    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            pytest.param(
                lambda d: d.pop("vendorListVersion"),
                "vendorListVersion: Field required",
                id="missing-version",
            ),
            pytest.param(
                lambda d: d.update(lastUpdated="yesterday"),
                "lastUpdated: Input should be a valid datetime",
                id="bad-date",
            ),
            pytest.param(
                lambda d: d["vendors"]["4"].update(purposes="1,2"),
                "vendors.4.purposes: ",
                id="purposes-not-a-list",
            ),
            pytest.param(
                lambda d: d["vendors"]["52"].update(id=0),
                "vendors.52.id: Input should be greater than or equal to 1",
                id="vendor-id-0",
            ),
            pytest.param(
                lambda d: d["vendors"]["21"]["urls"][0].pop("privacy"),
                "vendors.21.urls[0].privacy: Field required",
                id="url-without-policy",
            ),
            pytest.param(
                lambda d: d["vendors"]["4"].update(usesCookies="sometimes"),
                "vendors.4.usesCookies: Input should be a valid boolean",
                id="bad-bool",
            ),
            pytest.param(
                lambda d: d.update(gvlSpecificationVersion=2),
                "gvlSpecificationVersion: 2 is not supported",
                id="v2-list",
            ),
            pytest.param(
                lambda d: d["vendors"]["52"].update(id=53),
                "vendors.52: listed under 52 but its id is 53",
                id="key-id-mismatch",
            ),
            pytest.param(
                lambda d: d["purposes"]["3"].update(id=4),
                "purposes.3: listed under 3 but its id is 4",
                id="purpose-key-mismatch",
            ),
            pytest.param(
                lambda d: d["vendors"]["4"]["purposes"].append(12),
                "vendors.4 (Adbeam Exchange SAS).purposes: 12 not in this list's purposes",
                id="unknown-purpose",
            ),
            pytest.param(
                lambda d: d["vendors"]["4"].update(specialPurposes=[4]),
                "specialPurposes: 4 not in this list's specialPurposes",
                id="unknown-special-purpose",
            ),
            pytest.param(
                lambda d: d["vendors"]["21"].update(specialFeatures=[3]),
                "(Northwind Audience Ltd).specialFeatures: 3 not in",
                id="unknown-special-feature",
            ),
            pytest.param(
                lambda d: d["vendors"]["52"].update(dataDeclaration=[1, 12]),
                "dataDeclaration: 12 not in this list's dataCategories",
                id="unknown-data-category",
            ),
            pytest.param(
                lambda d: d["vendors"]["4"].update(legIntPurposes=[1, 8]),
                "legIntPurposes: 1 also declared for consent",
                id="consent-and-li",
            ),
            pytest.param(
                lambda d: d["vendors"]["128"].update(flexiblePurposes=[7, 9]),
                "flexiblePurposes: 9 declared for neither",
                id="loose-flexible",
            ),
            pytest.param(
                lambda d: d["vendors"]["21"]["dataRetention"]["purposes"].update({"12": 5}),
                "dataRetention.purposes: 12 not in",
                id="retention-purpose",
            ),
            pytest.param(
                lambda d: d["stacks"]["1"].update(specialFeatures=[3]),
                "stacks.1.specialFeatures: 3 not in",
                id="stack-special-feature",
            ),
        ],
    )
    def test_names_the_place(
        self, change: Callable[[dict[str, Any]], object], problem: str
    ) -> None:
        """Each problem names where it is, with the file's own keys."""
        with pytest.raises(ConfigurationError) as caught:
            GlobalVendorList.model_validate(changed(change))
        assert any(problem in p for p in caught.value.problems), caught.value.problems

    def test_lists_every_problem(self) -> None:
        """All the problems of one kind come in one error."""

        def break_two(data: dict[str, Any]) -> None:
            data["vendors"]["4"]["purposes"] = "all"
            data["vendors"]["21"]["name"] = None

        with pytest.raises(ConfigurationError) as caught:
            GlobalVendorList.model_validate(changed(break_two))
        assert len(caught.value.problems) == 2

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            pytest.param("{", "not valid JSON", id="not-json"),
            pytest.param("[]", "a vendor list is a JSON object, not list", id="array"),
            pytest.param(b"\xff", "not valid JSON", id="not-utf8"),
        ],
    )
    def test_not_a_list(self, text: str | bytes, problem: str) -> None:
        """Text that isn't a JSON object is refused with a readable message."""
        with pytest.raises(ConfigurationError, match=problem):
            GlobalVendorList.from_json(text)

    def test_names_the_file(self, tmp_path: Path) -> None:
        """from_file says which file was missing or wrong."""
        missing = tmp_path / "vendor-list.json"
        with pytest.raises(ConfigurationError, match="can't read the vendor list") as caught:
            GlobalVendorList.from_file(missing)
        assert caught.value.source == str(missing)
        missing.write_text('{"vendors": {}}', "utf-8")
        with pytest.raises(ConfigurationError, match="vendorListVersion") as caught:
            GlobalVendorList.from_file(missing)
        assert caught.value.source == str(missing)

    def test_is_a_value_error(self) -> None:
        """A bad list is a ConfigurationError, hence a ValueError, never a pydantic error."""
        with pytest.raises(ValueError, match="problem"):
            GlobalVendorList.from_json("{}")

    @given(json_values)
    def test_any_json_only_configuration_errors(self, value: object) -> None:
        """Any JSON document gives a list or a ConfigurationError, nothing else."""
        with contextlib.suppress(ConfigurationError):
            GlobalVendorList.from_json(json.dumps(value))

    @given(
        st.sampled_from(sorted(RAW["vendors"])),
        st.sampled_from(sorted(RAW["vendors"]["21"])),
        json_values,
    )
    def test_any_damaged_vendor_only_configuration_errors(
        self, vendor: str, key: str, value: object
    ) -> None:
        """Replacing any vendor field with any JSON gives a list or a ConfigurationError."""
        data = changed(lambda d: d["vendors"][vendor].update({key: value}))
        with contextlib.suppress(ConfigurationError):
            GlobalVendorList.model_validate(data)
