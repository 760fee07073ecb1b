from __future__ import annotations

import contextlib
import copy
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from consentkit import (
    Catalogue,
    ConfigurationError,
    Consent,
    ConsentConfig,
    Gate,
    TokenSigner,
    WSGIConsentMiddleware,
)
from consentkit._texts import TEXT_KEYS
from consentkit.catalogue import ConsentModeMapping, CookieRule, ExpiryPolicy, Purpose, Vendor
from consentkit.engine import Engine
from tests.helpers import EXAMPLE_CATALOGUE, ROOT, SECRET


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        Catalogue.model_validate(data)
    return info.value.problems


class TestExampleCatalogue:
    def test_ten_rows_of_the_reference_table(self, catalogue: Catalogue) -> None:
        """The reference policy's ten cookie rows are there, in its order and words."""
        rows = [
            (rule.label or rule.name, catalogue.duration_text(rule, "fr"), rule.vendor)
            for rule in catalogue.cookies[:10]
        ]
        assert rows == [
            ("_ga", "13 mois (24 mois par défaut)", "google-analytics"),
            ("_gid", "24 heures", "google-analytics"),
            ("_gat_UA-XXXXXXXX-X", "1 minute", "google-analytics"),
            ("_gat_UA-XXXXXXXX-X", "2 minute", "google-analytics"),
            ("didomi_token", "6 mois", "didomi"),
            ("euconsent-v2", "6 mois", "didomi"),
            ("rc::a", "(-)", "google-recaptcha"),
            ("rc::b", "(-)", "google-recaptcha"),
            ("rc::c", "(-)", "google-recaptcha"),
            ("sb_wiz.zpc", "(-)", "google-recaptcha"),
        ]

    def test_french_descriptions_as_written(self, catalogue: Catalogue) -> None:
        """Descriptions are the policy's own sentences."""
        ga = catalogue.rule_for("_ga")
        assert ga is not None
        assert ga.description["fr"] == (
            "Permet de suivre la navigation de l'internaute et de collecter des données "
            "sur son activité en attribuant un identifiant unique."
        )

    def test_purposes(self, catalogue: Catalogue) -> None:
        """Three strictly necessary purposes and one optional, audience measurement."""
        assert catalogue.essential_purposes == {"consent-storage", "security", "reviews"}
        assert catalogue.optional_purposes == ("audience",)

    def test_only_google_analytics_needs_a_choice(self, catalogue: Catalogue) -> None:
        """reCaptcha and the consent platform serve essential purposes only."""
        assert catalogue.optional_vendors == ("google-analytics",)
        assert catalogue.essential_vendors == {"google-recaptcha", "didomi"}

    def test_google_analytics_transfer(self, catalogue: Catalogue) -> None:
        """GA data may go to the US under standard contractual clauses (policy, section 7)."""
        ga = catalogue.vendor("google-analytics")
        assert ga is not None
        assert (ga.country, ga.transfer_safeguard) == ("US", "standard-contractual-clauses")

    def test_every_text_in_both_languages(self, catalogue: Catalogue) -> None:
        """French is the default, English is declared: every text has both."""
        assert catalogue.all_languages == ("fr", "en")
        for purpose in catalogue.purposes:
            assert purpose.name.keys() == purpose.description.keys() == {"fr", "en"}

    def test_json_and_toml_are_the_same(self, tmp_path: Path, example_data: dict[str, Any]) -> None:
        """A catalogue reads the same from JSON as from TOML."""
        path = tmp_path / "catalogue.json"
        path.write_text(json.dumps(example_data), "utf-8")
        assert Catalogue.from_file(path) == Catalogue.from_file(EXAMPLE_CATALOGUE)


class TestRuleFor:
    @pytest.mark.parametrize(
        ("name", "rule"),
        [
            pytest.param("_ga", "_ga", id="exact"),
            pytest.param("_ga_ABC123", "_ga_*", id="ga4-container-glob"),
            pytest.param("_gat_UA-12345678-1", "_gat_UA-*", id="gat-glob"),
            pytest.param("_gid", "_gid", id="gid"),
            pytest.param("_gat", None, id="not-the-glob-prefix"),
            pytest.param("session", None, id="undeclared"),
            pytest.param("_GA", None, id="names-are-case-sensitive"),
        ],
    )
    def test_matches(self, catalogue: Catalogue, name: str, rule: str | None) -> None:
        """Exact names and globs find their rule; anything else finds none."""
        found = catalogue.rule_for(name)
        assert (found.name if found else None) == rule

    def test_storage_kinds_are_separate(self, catalogue: Catalogue) -> None:
        """A localStorage rule doesn't govern a cookie of the same name."""
        assert catalogue.rule_for("rc::a") is None
        assert catalogue.rule_for("rc::a", "localStorage") is not None

    def test_exact_beats_glob_and_longer_glob_wins(self, data: dict[str, Any]) -> None:
        """The most specific rule decides: an exact name, else the glob with most literal text."""
        ga = "google-analytics"
        desc = {"fr": "x", "en": "x"}
        data["cookies"] = [
            {"name": "_g*", "vendor": ga, "duration": "1 minute", "description": desc},
            {"name": "_ga_*", "vendor": ga, "duration": "2 minutes", "description": desc},
            {"name": "_ga_KEEP", "vendor": ga, "duration": "3 minutes", "description": desc},
        ]
        catalogue = Catalogue.model_validate(data)
        assert [catalogue.rule_for(n).name for n in ("_gx", "_ga_X", "_ga_KEEP")] == [  # type: ignore[union-attr]
            "_g*",
            "_ga_*",
            "_ga_KEEP",
        ]

    def test_purposes_default_to_the_vendors(self, catalogue: Catalogue) -> None:
        """A rule without purposes needs its vendor's."""
        rule = catalogue.rule_for("_ga")
        assert rule is not None
        assert catalogue.purposes_of(rule) == {"audience"}


class TestValidation:
    def test_all_problems_at_once_each_with_its_place(self, data: dict[str, Any]) -> None:
        """One error lists every problem, each naming where it is."""
        data["purposes"].append(dict(data["purposes"][0]))
        data["vendors"][0]["purposes"] = ["audience", "ads"]
        data["cookies"][1]["vendor"] = "matomo"
        data["cookies"][0]["duration"] = {"fr": "13 lunes", "en": "13 months"}
        del data["purposes"][3]["name"]["fr"]
        assert sorted(problems_of(data)) == sorted(
            [
                "cookies[0] (_ga).duration: can't read a duration from '13 lunes': write an "
                "amount and a unit ('13 months', '24 heures', '1 minute'), 'session', or '(-)' "
                "when unknown",
                "purposes[4] (consent-storage): duplicate id, first used by purposes[0]",
                "vendors[0] (google-analytics).purposes: unknown purpose 'ads'",
                "cookies[1] (_gid).vendor: unknown vendor 'matomo'",
                "purposes[3] (audience).name: no text in the default language 'fr'",
            ]
        )

    def test_missing_declared_language(self, data: dict[str, Any]) -> None:
        """A declared language must have every text too."""
        del data["cookies"][1]["description"]["en"]
        assert problems_of(data) == [
            "cookies[1] (_gid).description: no text in a declared language 'en'"
        ]

    def test_unknown_setting(self, data: dict[str, Any]) -> None:
        """A misspelt setting is an error, not silently ignored."""
        data["vendors"][0]["privacy_url"] = "https://example.com"
        assert problems_of(data) == [
            "vendors[0] (google-analytics).privacy_url: unknown setting (check its spelling)"
        ]

    def test_rule_purpose_outside_its_vendors(self, data: dict[str, Any]) -> None:
        """A cookie can't serve a purpose its vendor doesn't declare."""
        data["cookies"][0]["purposes"] = ["audience", "security"]
        assert problems_of(data) == [
            "cookies[0] (_ga).purposes: "
            "'security' is not one of vendor 'google-analytics''s purposes"
        ]

    def test_repeated_rows_must_agree(self, data: dict[str, Any]) -> None:
        """The same cookie listed twice with another vendor is ambiguous."""
        data["cookies"][3]["vendor"] = "google-recaptcha"
        assert problems_of(data) == [
            "cookies[3] (_gat_UA-*): same cookie as cookies[2] but another vendor or purposes; "
            "a cookie's decision must be unambiguous"
        ]

    def test_glob_matching_everything(self, data: dict[str, Any]) -> None:
        """A rule that would govern every cookie is refused."""
        data["cookies"][0]["name"] = "*"
        assert problems_of(data) == [
            "cookies[0] (*).name: '*' would match every name; name the cookie or its prefix"
        ]

    def test_transfer_outside_the_eea_needs_a_safeguard(self, data: dict[str, Any]) -> None:
        """GDPR chapter V: a US vendor must name the transfer's safeguard."""
        del data["vendors"][0]["transfer_safeguard"]
        assert problems_of(data) == [
            "vendors[0] (google-analytics).transfer_safeguard: US is outside the EEA; name the "
            "safeguard for the transfer (e.g. 'standard-contractual-clauses')"
        ]

    def test_expiry_must_be_a_date(self, data: dict[str, Any]) -> None:
        """A consent can't last "a session": it expires at a date."""
        data["expiry"]["accept"] = "session"
        assert problems_of(data) == [
            "expiry.accept: a consent must expire at a fixed date, not after 'session'"
        ]

    def test_bad_cookie_name(self, data: dict[str, Any]) -> None:
        """A cookie name with characters no browser sends is refused."""
        data["cookies"][0]["name"] = "my cookie"
        assert problems_of(data) == [
            "cookies[0] (my cookie).name: 'my cookie' has characters a cookie name can't have"
        ]

    def test_bad_slug(self, data: dict[str, Any]) -> None:
        """Ids are lower-case slugs."""
        data["purposes"][3]["id"] = "Audience Measurement"
        problems = problems_of(data)
        assert (
            "purposes[3] (Audience Measurement).id: 'Audience Measurement' is not a valid id: "
            "lower-case letters, digits, '-' and '_', at most 64, starting and ending with a "
            "letter or a digit" in problems
        )

    def test_constructor_raises_configuration_error_too(self, data: dict[str, Any]) -> None:
        """Catalogue(**data) validates exactly like model_validate."""
        data["revision"] = ""
        with pytest.raises(ConfigurationError, match="revision"):
            Catalogue(**data)

    def test_not_a_mapping(self) -> None:
        """A list is not a catalogue."""
        with pytest.raises(ConfigurationError, match="not list"):
            Catalogue.model_validate([])

    def test_cross_references_checked_beside_field_errors(self, data: dict[str, Any]) -> None:
        """An item with a wrong field still has its references checked, in the same report."""
        data["vendors"][0]["purposes"] = ["ads"]
        data["vendors"][0]["country"] = "usa"
        data["cookies"][1]["vendor"] = "matomo"
        data["cookies"][1]["duration"] = "forever"
        data["cookies"][2]["purposes"] = ["ads"]
        data["cookies"][2]["storage"] = "disk"
        data["revision"] = ""
        assert problems_of(data) == [
            "revision: '' is not a valid revision: 1 to 64 printable ASCII characters, no "
            "space ('2026-11-01')",
            "vendors[0] (google-analytics).country: 'usa' is not a country code: two capital "
            "letters, as in ISO 3166-1 ('FR', 'US')",
            "vendors[0] (google-analytics).purposes: unknown purpose 'ads'",
            "cookies[1] (_gid).duration: can't read a duration from 'forever': write an amount "
            "and a unit ('13 months', '24 heures', '1 minute'), 'session', or '(-)' when "
            "unknown",
            "cookies[1] (_gid).vendor: unknown vendor 'matomo'",
            "cookies[2] (_gat_UA-*).storage: should be 'cookie', 'localStorage' or "
            "'sessionStorage', not the text 'disk'",
            "cookies[2] (_gat_UA-*).purposes: unknown purpose 'ads'",
        ]

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            pytest.param(
                lambda d: d["vendors"][0].update(purposes=[]),
                "vendors[0] (google-analytics).purposes: at least one purpose is needed",
                id="empty-list",
            ),
            pytest.param(
                lambda d: d["vendors"][0].update(purposes="audience"),
                'vendors[0] (google-analytics).purposes: should be a list, like ["..."], '
                "not the text 'audience'",
                id="text-for-list",
            ),
            pytest.param(
                lambda d: d["purposes"][3].update(name="Audience"),
                "purposes[3] (audience).name: should be texts by language, like "
                "name.en = \"...\", not the text 'Audience'",
                id="text-for-texts",
            ),
            pytest.param(
                lambda d: d["purposes"][3]["name"].update(FR="Mesure"),
                "purposes[3] (audience).name: 'FR' is not a language code such as 'fr' or 'pt-BR'",
                id="language-key",
            ),
            pytest.param(
                lambda d: d["purposes"][3].pop("description"),
                "purposes[3] (audience).description: required, and missing",
                id="missing",
            ),
            pytest.param(
                lambda d: d["purposes"][3].update(essential="maybe"),
                "purposes[3] (audience).essential: should be true or false, not the text 'maybe'",
                id="bool",
            ),
            pytest.param(
                lambda d: d["purposes"][3].update(tcf_purposes=[0]),
                "purposes[3] (audience).tcf_purposes[0]: should be 1 or more, not 0",
                id="range",
            ),
            pytest.param(
                lambda d: d["cookies"][0].update(duration=13),
                "cookies[0] (_ga).duration: should be a text, or texts by language "
                '(like duration.en = "..."), not the number 13',
                id="duration-type",
            ),
            pytest.param(
                lambda d: d["cookies"][0]["duration"].update(fr=" "),
                "cookies[0] (_ga).duration.fr: is empty; write something, or leave the setting out",
                id="empty-text",
            ),
            pytest.param(
                lambda d: d.update(expiry="6 months"),
                "expiry: should be a table of settings, not the text '6 months'",
                id="table",
            ),
            pytest.param(
                lambda d: d.update(purposes=[]),
                "purposes: at least one purpose is needed",
                id="no-purpose",
            ),
        ],
    )
    def test_plain_words(self, data: dict[str, Any], change: Any, problem: str) -> None:
        """Each kind of field error reads in plain words after its place, never pydantic's."""
        change(data)
        problems = problems_of(data)
        assert problem in problems
        assert not any("Input should" in p or "Tuple" in p for p in problems)

    def test_frozen(self, catalogue: Catalogue) -> None:
        """Nothing changes a catalogue once it is validated."""
        with pytest.raises(ValidationError):
            catalogue.revision = "other"  # type: ignore[misc]

    @given(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "id",
                            "name",
                            "purposes",
                            "vendors",
                            "cookies",
                            "revision",
                            "vendor",
                            "duration",
                            "en",
                        ]
                    ),
                    children,
                    max_size=4,
                )
            ),
            max_leaves=12,
        )
    )
    def test_garbage_raises_only_configuration_error(self, garbage: object) -> None:
        """Any parsed-JSON-like value either validates or raises ConfigurationError."""
        with contextlib.suppress(ConfigurationError):
            Catalogue.model_validate(garbage)

    @given(data=st.data())
    def test_any_wrong_value_is_reported_in_plain_words(
        self, example_data: dict[str, Any], data: st.DataObject
    ) -> None:
        """Whatever value is put wherever in a valid catalogue, loading either succeeds or
        raises ConfigurationError whose problems all name a place, in consentkit's words."""
        changed = copy.deepcopy(example_data)
        paths = list(_paths(changed))
        path = data.draw(st.sampled_from(paths), label="path")
        value = data.draw(
            st.none()
            | st.booleans()
            | st.integers(-2, 30)
            | st.text(max_size=6)
            | st.lists(st.text(max_size=4), max_size=2)
            | st.dictionaries(st.sampled_from(["fr", "en", "FR", "id"]), st.text(max_size=4)),
            label="value",
        )
        node: Any = changed
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        problems: list[str] = []
        try:
            Catalogue.model_validate(changed)
        except ConfigurationError as exc:
            problems = exc.problems or ["(no problem listed)"]
        for problem in problems:
            assert re.match(r"^[a-z_]+(\[\d+\])?[ .:(]", problem), problem
            assert "Input should" not in problem, problem
            assert "Tuple should" not in problem, problem


class TestFromFile:
    def test_names_the_file(self, tmp_path: Path, data: dict[str, Any]) -> None:
        """Problems in a file say which file."""
        data["cookies"][0]["vendor"] = "nobody"
        path = tmp_path / "site.json"
        path.write_text(json.dumps(data), "utf-8")
        with pytest.raises(ConfigurationError) as info:
            Catalogue.from_file(path)
        assert info.value.source == str(path)
        assert str(path) in str(info.value)

    def test_toml_syntax_error_names_the_line(self, tmp_path: Path) -> None:
        """A TOML syntax error says where it is."""
        path = tmp_path / "site.toml"
        path.write_text('revision = "1"\n[[purposes]\n', "utf-8")
        with pytest.raises(ConfigurationError, match=r"not valid TOML.*line 2"):
            Catalogue.from_file(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a configuration error, not an OSError."""
        with pytest.raises(ConfigurationError, match="can't read"):
            Catalogue.from_file(tmp_path / "nope.toml")

    def test_unknown_extension(self, tmp_path: Path) -> None:
        """Only .toml and .json are read."""
        path = tmp_path / "site.yaml"
        path.write_text("revision: 1", "utf-8")
        with pytest.raises(ConfigurationError, match=r"\.toml or \.json"):
            Catalogue.from_file(path)


class TestFingerprint:
    def test_changes_with_optional_vendors(
        self, data: dict[str, Any], catalogue: Catalogue
    ) -> None:
        """Adding a vendor that needs a choice changes the fingerprint."""
        data["vendors"].append(
            {
                "id": "matomo",
                "name": "Matomo",
                "purposes": ["audience"],
                "privacy_policy": "https://matomo.org/privacy-policy/",
                "country": "FR",
            }
        )
        assert Catalogue.model_validate(data).fingerprint != catalogue.fingerprint

    def test_ignores_order_and_essential_changes(
        self, data: dict[str, Any], catalogue: Catalogue
    ) -> None:
        """Reordering, or adding an always-granted vendor, keeps visitors' tokens readable."""
        data["vendors"].reverse()
        data["vendors"].append(
            {
                "id": "cdn",
                "name": "CDN",
                "purposes": ["security"],
                "privacy_policy": "https://cdn.example/privacy",
                "country": "DE",
            }
        )
        assert Catalogue.model_validate(data).fingerprint == catalogue.fingerprint


@pytest.fixture
def own_data(data: dict[str, Any]) -> dict[str, Any]:
    """The reference catalogue with the site's own cookies: a session, and a preference."""
    both = {"fr": "x", "en": "x"}
    data["purposes"].append(
        {
            "id": "preferences",
            "name": {"fr": "Préférences", "en": "Preferences"},
            "description": both,
        }
    )
    data["cookies"] += [
        {
            "name": "sessionid",
            "purposes": ["security"],
            "duration": "session",
            "description": both,
        },
        {
            "name": "theme",
            "purposes": ["preferences"],
            "duration": "13 months",
            "description": both,
        },
    ]
    return data


def own_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Sets the site's own two cookies on every page."""
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "sessionid=s1; Path=/; HttpOnly"),
            ("Set-Cookie", "theme=dark; Path=/; Max-Age=3600"),
        ],
    )
    return [b"<!doctype html><html><head></head><body>hi</body></html>"]


class TestFirstPartyCookies:
    def test_a_rule_needs_no_vendor(self, own_data: dict[str, Any]) -> None:
        """The site's own cookie is declared by its purposes alone, with no vendor."""
        catalogue = Catalogue.model_validate(own_data)
        rule = catalogue.rule_for("theme")
        assert rule is not None
        assert rule.vendor is None
        assert catalogue.purposes_of(rule) == {"preferences"}
        assert [v.id for v in catalogue.vendors] == [
            "google-analytics",
            "google-recaptcha",
            "didomi",
        ]

    def test_without_a_vendor_purposes_are_needed(self, own_data: dict[str, Any]) -> None:
        """A rule with neither vendor nor purposes governs nothing: it is refused, saying why."""
        del own_data["cookies"][-1]["purposes"]
        assert problems_of(own_data) == [
            "cookies[12] (theme).purposes: a cookie without a vendor is the site's own; name "
            "the purposes it serves (an essential one if the site can't work without it)"
        ]

    def test_allowed_when_its_purposes_are(self, own_data: dict[str, Any]) -> None:
        """An essential first-party cookie always passes; an optional one iff its purposes do."""
        catalogue = Catalogue.model_validate(own_data)
        before = Gate(catalogue, None)
        assert before.verdict("sessionid") == "allow"
        assert before.verdict("theme") == "deny"
        # Only the purpose switched on, no vendor at all: the site's own cookie passes.
        chosen = Consent.custom(catalogue, purposes=["preferences"], vendors=[])
        assert Gate(catalogue, chosen).verdict("theme") == "allow"
        assert chosen.allows_cookie("theme")
        assert chosen.allows_cookie("sessionid")
        assert not chosen.allows_cookie("_ga")
        refused = Consent.refuse_all(catalogue)
        assert not refused.allows_cookie("theme")
        assert refused.allows_cookie("sessionid")

    def test_middleware_honours_it(self, own_data: dict[str, Any]) -> None:
        """Before consent the middleware drops and expires the optional first-party cookie
        and keeps the essential one; after consent to its purpose it passes."""
        catalogue = Catalogue.model_validate(own_data)
        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], cookie_secure=False)
        app = WSGIConsentMiddleware(own_app, config)
        with httpx.Client(
            transport=httpx.WSGITransport(app=app), base_url="http://shop.example.com"
        ) as http:
            first = http.get("/", headers={"Cookie": "theme=light"})
            set_cookies = first.headers.get_list("set-cookie")
            assert any(c.startswith("sessionid=s1") for c in set_cookies)
            assert not any(c.startswith("theme=dark") for c in set_cookies)
            assert any(c.startswith("theme=") and "Max-Age=0" in c for c in set_cookies)
            token = TokenSigner([SECRET]).dumps(
                Consent.custom(catalogue, purposes=["preferences"], vendors=[])
            )
            later = http.get("/", headers={"Cookie": f"consentkit={token}"})
            assert any(c.startswith("theme=dark") for c in later.headers.get_list("set-cookie"))

    def test_not_a_partner_but_listed_under_its_purpose(self, own_data: dict[str, Any]) -> None:
        """The banner's partners are the vendors only; the site's own cookies show under
        their purpose."""
        catalogue = Catalogue.model_validate(own_data)
        engine = Engine(ConsentConfig(catalogue=catalogue, secret_keys=[SECRET]))
        public = engine.public_catalogue("fr")
        assert [v["id"] for v in public["vendors"]] == [
            "google-analytics",
            "google-recaptcha",
            "didomi",
        ]
        assert all(
            c["name"] not in {"sessionid", "theme"} for v in public["vendors"] for c in v["cookies"]
        )
        by_purpose = {p["id"]: [c["name"] for c in p["cookies"]] for p in public["purposes"]}
        assert by_purpose["preferences"] == ["theme"]
        assert by_purpose["security"] == ["sessionid"]
        assert by_purpose["audience"] == []


class TestReference:
    """docs/catalogue.md, the format's reference, stays true to the models."""

    DOC = (ROOT / "docs" / "catalogue.md").read_text("utf-8")

    def test_full_example_is_valid(self) -> None:
        """The page's full example loads, with the site's own cookies and no site vendor."""
        blocks = re.findall(r"```toml\n(.*?)```", self.DOC, re.S)
        catalogue = Catalogue.model_validate(tomllib.loads(blocks[0]))
        assert [v.id for v in catalogue.vendors] == ["google-analytics"]
        own = [rule.name for rule in catalogue.cookies if rule.vendor is None]
        assert own == ["consentkit", "sessionid"]

    @pytest.mark.parametrize(
        "model", [Catalogue, ExpiryPolicy, ConsentModeMapping, Purpose, Vendor, CookieRule]
    )
    def test_every_field_is_described(self, model: type[BaseModel]) -> None:
        """Each field of each model has its row in the reference."""
        missing = [name for name in model.model_fields if f"| `{name}` |" not in self.DOC]
        assert missing == []

    def test_every_banner_text_is_named(self) -> None:
        """Each key a [texts.<lang>] table may hold is listed."""
        assert [key for key in sorted(TEXT_KEYS) if f"`{key}`" not in self.DOC] == []


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in parsed TOML a value can be put: each key and each list item."""
    items: Iterable[tuple[Any, Any]] = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))
