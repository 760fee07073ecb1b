from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit import Action, Catalogue, ChoiceError, Consent
from tests.strategies import catalogues, consents

NOW = datetime(2026, 8, 31, 10, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def two_purpose_catalogue(data: dict[str, Any]) -> Catalogue:
    """The reference catalogue plus an advertising purpose and a cookie needing both."""
    data["purposes"].append(
        {
            "id": "ads",
            "name": {"fr": "Publicité", "en": "Advertising"},
            "description": {"fr": "Publicité ciblée", "en": "Targeted advertising"},
        }
    )
    data["vendors"][0]["purposes"] = ["audience", "ads"]
    data["cookies"].append(
        {
            "name": "_gcl_au",
            "vendor": "google-analytics",
            "purposes": ["audience", "ads"],
            "duration": {"fr": "3 mois", "en": "3 months"},
            "description": {"fr": "Conversions", "en": "Conversions"},
        }
    )
    return Catalogue.model_validate(data)


class TestChoices:
    def test_accept_all(self, catalogue: Catalogue) -> None:
        """ "Tout accepter" grants every purpose and vendor, for 6 calendar months."""
        consent = Consent.accept_all(catalogue, now=NOW)
        assert consent.action is Action.ACCEPT_ALL
        assert consent.purposes == {p.id for p in catalogue.purposes}
        assert consent.vendors == {v.id for v in catalogue.vendors}
        assert consent.expires_at == datetime(2027, 2, 28, 10, 30, 15, tzinfo=UTC)
        assert not consent.is_refusal

    def test_refuse_all(self, catalogue: Catalogue) -> None:
        """ "Continuer sans accepter" keeps only what is strictly necessary, for 3 months."""
        consent = Consent.refuse_all(catalogue, now=NOW)
        assert consent.purposes == {"consent-storage", "security", "reviews"}
        assert consent.vendors == {"google-recaptcha", "didomi"}
        assert consent.expires_at == datetime(2026, 11, 30, 10, 30, 15, tzinfo=UTC)
        assert consent.is_refusal

    def test_custom_without_optional_purposes_is_a_refusal(self, catalogue: Catalogue) -> None:
        """A custom choice that grants nothing optional lasts as long as a refusal."""
        consent = Consent.custom(catalogue, purposes=[], now=NOW)
        assert consent.is_refusal
        assert consent.expires_at == datetime(2026, 11, 30, 10, 30, 15, tzinfo=UTC)

    def test_custom_purposes_grant_their_vendors(self, catalogue: Catalogue) -> None:
        """Switching a purpose on grants the vendors that serve only granted purposes."""
        consent = Consent.custom(catalogue, purposes=["audience"], now=NOW)
        assert consent.allows_vendor("google-analytics")
        assert consent.expires_at == datetime(2027, 2, 28, 10, 30, 15, tzinfo=UTC)

    def test_custom_vendor_switched_off(self, catalogue: Catalogue) -> None:
        """ "Voir nos partenaires": a purpose on but its vendor off keeps the vendor out."""
        consent = Consent.custom(catalogue, purposes=["audience"], vendors=[], now=NOW)
        assert consent.allows_purpose("audience")
        assert not consent.allows_vendor("google-analytics")
        assert not consent.allows_cookie("_ga")

    def test_essential_cannot_be_refused(self, catalogue: Catalogue) -> None:
        """Strictly necessary purposes and vendors are granted whatever is asked."""
        consent = Consent.custom(catalogue, purposes=[], vendors=[], now=NOW)
        assert consent.allows_purpose("security")
        assert consent.allows_vendor("google-recaptcha")
        assert consent.allows_cookie("rc::a", "localStorage")

    def test_time_is_utc_to_the_second(self, catalogue: Catalogue) -> None:
        """Times are kept to the second, in UTC, as the token keeps them."""
        paris = datetime.fromisoformat("2026-08-31T12:30:15.9+02:00")
        assert Consent.accept_all(catalogue, now=paris).decided_at == datetime(
            2026, 8, 31, 10, 30, 15, tzinfo=UTC
        )

    def test_naive_time_is_refused(self, catalogue: Catalogue) -> None:
        """A time without a zone is ambiguous."""
        with pytest.raises(ValueError, match="naive"):
            Consent.accept_all(catalogue, now=datetime(2026, 1, 1))

    def test_ids_are_unique(self, catalogue: Catalogue) -> None:
        """Every decision gets its own unguessable id."""
        ids = {Consent.accept_all(catalogue).id for _ in range(100)}
        assert len(ids) == 100

    def test_is_immutable(self, catalogue: Catalogue) -> None:
        """A decision never changes; a new choice makes a new Consent."""
        consent = Consent.accept_all(catalogue)
        with pytest.raises(AttributeError):
            consent.purposes = frozenset()  # type: ignore[misc]


class TestChoiceErrors:
    @pytest.mark.parametrize(
        ("kwargs", "field", "unknown"),
        [
            pytest.param({"purposes": ["ads", "audience"]}, "purposes", ("ads",), id="purpose"),
            pytest.param(
                {"vendors": ["matomo", "hotjar"]}, "vendors", ("hotjar", "matomo"), id="vendors"
            ),
            pytest.param({"purposes": "audience"}, "purposes", (), id="string-not-list"),
        ],
    )
    def test_unknown_ids_are_named(
        self, catalogue: Catalogue, kwargs: dict[str, Any], field: str, unknown: tuple[str, ...]
    ) -> None:
        """Unknown ids raise ChoiceError naming the field and each unknown id."""
        with pytest.raises(ChoiceError) as info:
            Consent.custom(catalogue, **kwargs)
        assert (info.value.field, info.value.unknown) == (field, unknown)
        for item in unknown:
            assert repr(item) in str(info.value)

    def test_unknown_action(self, catalogue: Catalogue) -> None:
        """An action other than the three is refused, naming the valid ones."""
        with pytest.raises(ChoiceError, match="'accept_all', 'refuse_all', 'custom'") as info:
            Consent.from_choice(catalogue, "accept")
        assert info.value.field == "action"

    def test_non_string_ids(self, catalogue: Catalogue) -> None:
        """Ids from a JSON body that aren't strings are unknown ids, not a crash."""
        with pytest.raises(ChoiceError):
            Consent.custom(catalogue, purposes=[{"id": 1}, 3])  # type: ignore[list-item]


class TestAllowsCookie:
    def test_several_purposes_need_all(self, two_purpose_catalogue: Catalogue) -> None:
        """A cookie serving audience and ads is allowed only with both (policy, 3.1)."""
        cat = two_purpose_catalogue
        both = Consent.custom(cat, purposes=["audience", "ads"])
        one = Consent.custom(cat, purposes=["audience"], vendors=["google-analytics"])
        assert both.allows_cookie("_gcl_au")
        assert not one.allows_cookie("_gcl_au")

    def test_vendor_needs_all_its_purposes(self, two_purpose_catalogue: Catalogue) -> None:
        """A vendor granted by the visitor is still out while one of its purposes is refused."""
        consent = Consent.custom(
            two_purpose_catalogue, purposes=["audience"], vendors=["google-analytics"]
        )
        assert not consent.allows_vendor("google-analytics")
        assert not consent.allows_cookie("_ga")

    @pytest.mark.parametrize(
        ("name", "accepted", "refused"),
        [
            pytest.param("_ga", True, False, id="ga"),
            pytest.param("_ga_2XYZ", True, False, id="ga4-glob"),
            pytest.param("_gat_UA-1234567-8", True, False, id="gat-glob"),
            pytest.param("didomi_token", True, True, id="consent-storage-essential"),
            pytest.param("PHPSESSID", False, False, id="undeclared-never"),
        ],
    )
    def test_reference_cookies(
        self, catalogue: Catalogue, name: str, accepted: bool, refused: bool
    ) -> None:
        """GA's cookies follow the choice; essential ones are always allowed; undeclared never."""
        assert Consent.accept_all(catalogue).allows_cookie(name) is accepted
        assert Consent.refuse_all(catalogue).allows_cookie(name) is refused


class TestToJson:
    def test_shape(self, catalogue: Catalogue) -> None:
        """The JSON form the HTTP endpoints return: sorted ids, ISO 8601 UTC times."""
        consent = Consent.refuse_all(catalogue, now=NOW)
        assert consent.to_json() == {
            "id": consent.id,
            "action": "refuse_all",
            "purposes": ["consent-storage", "reviews", "security"],
            "vendors": ["didomi", "google-recaptcha"],
            "decided_at": "2026-08-31T10:30:15Z",
            "expires_at": "2026-11-30T10:30:15Z",
            "revision": "2026-11-01",
        }


class TestProperties:
    @given(consents())
    def test_expiry_follows_the_choice(self, consent: Consent) -> None:
        """Any grant of an optional purpose lasts 6 calendar months, else 3."""
        months = 3 if consent.is_refusal else 6
        start, end = consent.decided_at, consent.expires_at
        assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months

    @given(consents())
    def test_essential_always_granted(self, consent: Consent) -> None:
        """Whatever the choice, essential purposes and vendors are granted."""
        assert consent.catalogue.essential_purposes <= consent.purposes
        assert consent.catalogue.essential_vendors <= consent.vendors

    @given(catalogues(), st.data())
    def test_allowed_cookie_implies_vendor_and_purposes(
        self, catalogue: Catalogue, data: st.DataObject
    ) -> None:
        """A cookie is allowed only if its vendor and every one of its purposes are."""
        consent = data.draw(consents(catalogue))
        for rule in catalogue.cookies:
            name = rule.name.replace("*", "x")
            found = catalogue.rule_for(name)
            assert found is not None
            expected = (
                found.vendor is None or consent.allows_vendor(found.vendor)
            ) and catalogue.purposes_of(found) <= consent.purposes
            assert consent.allows_cookie(name) is expected
