"""The consent endpoints with a ledger: proof first, cookie after; no proof, no consent."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from consentkit import Catalogue, ConfigurationError, Consent, ConsentConfig, LedgerUnavailable
from consentkit import endpoints as endpoints_module
from consentkit.endpoints import EndpointRequest, EndpointResponse, handle
from consentkit.engine import Engine
from consentkit.ledger import Entry, Ledger, Receipt
from consentkit.ledger import _sqlite as sqlite_backend
from tests.helpers import SECRET
from tests.ledger_support import KEY, sqlite_url


def _engine(catalogue: Catalogue, ledger: Ledger | str, **options: Any) -> Engine:
    if isinstance(ledger, str):
        options.setdefault("ledger_key", KEY)
    return Engine(
        ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], ledger=ledger, **options)
    )


def _request(
    method: str,
    body: bytes | dict[str, Any] = b"",
    *,
    path: str = "/consent",
    consent: Consent | None = None,
    form: bool = False,
    headers: dict[str, str] | None = None,
) -> EndpointRequest:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    return EndpointRequest(
        method=method,
        path=path,
        query="",
        headers={"content-type": content_type, "user-agent": "TestBrowser/1", **(headers or {})},
        body=body,
        scheme="https",
        host="example.org",
        consent=consent,
        client="203.0.113.9",
    )


def _cookies(response: EndpointResponse) -> list[str]:
    return [value for name, value in response.headers if name == "Set-Cookie"]


def _header(response: EndpointResponse, name: str) -> str | None:
    return next((v for k, v in response.headers if k == name), None)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(sqlite_url(tmp_path), key=KEY, personal=["user_agent", "ip"]) as ledger:
        yield ledger


class TestRecording:
    def test_accept_is_recorded_with_a_receipt(self, catalogue: Catalogue, ledger: Ledger) -> None:
        """The record is written; its receipt comes back in the JSON and in a header."""
        engine = _engine(catalogue, ledger)
        response = handle(
            engine, _request("POST", {"action": "accept_all", "source": "banner_first_layer"})
        )
        assert response.status == 200
        data = json.loads(response.body)
        assert data["receipt"]["seq"] == 1
        assert _header(response, "Consentkit-Receipt") == (
            f"seq=1; chain={data['receipt']['chain_hash']}"
        )
        (record,) = ledger.records_of(data["consent"]["id"])
        assert record.fields["action"] == "accept_all"
        assert record.fields["source"] == "banner_first_layer"
        assert record.fields["language"] == catalogue.default_language
        (proof,) = ledger.proof(data["consent"]["id"])
        assert proof.personal == {"user_agent": "TestBrowser/1", "ip": "203.0.113.0/24"}
        notice = json.loads(proof.notice or b"{}")
        assert notice["catalogue"] == engine.public_catalogue(catalogue.default_language)
        assert set(notice["assets"]) >= {"banner.js", "banner.css"}

    def test_record_is_written_before_the_cookie(
        self, catalogue: Catalogue, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The ledger's append returns before the consent cookie is even made."""
        events: list[str] = []
        append, cookie = ledger.append, endpoints_module.consent_cookie  # type: ignore[attr-defined]

        def appending(entry: Entry) -> Receipt:
            events.append("append")
            return append(entry)

        def making_cookie(*args: Any, **kwargs: Any) -> Any:
            events.append("cookie")
            return cookie(*args, **kwargs)

        monkeypatch.setattr(ledger, "append", appending)
        monkeypatch.setattr(endpoints_module, "consent_cookie", making_cookie)
        handle(_engine(catalogue, ledger), _request("POST", {"action": "accept_all"}))
        assert events == ["append", "cookie"]

    def test_sources(self, catalogue: Catalogue, ledger: Ledger) -> None:
        """Form posts, the banner's layers and other JSON clients are told apart."""
        engine = _engine(catalogue, ledger)
        handle(engine, _request("POST", b"action=refuse_all", form=True))
        handle(engine, _request("POST", {"action": "custom", "source": "banner_customise"}))
        handle(engine, _request("POST", {"action": "accept_all"}))
        sources = [ledger.record(seq).fields["source"] for seq in (1, 2, 3)]  # type: ignore[union-attr]
        assert sources == ["form", "banner_customise", "api"]

    def test_bad_source_is_a_400(self, catalogue: Catalogue, ledger: Ledger) -> None:
        """An unknown source is refused, naming the field."""
        response = handle(
            _engine(catalogue, ledger), _request("POST", {"action": "accept_all", "source": "x"})
        )
        assert response.status == 400
        assert json.loads(response.body)["field"] == "source"
        assert ledger.size() == 0

    def test_language_shown_is_recorded(self, catalogue: Catalogue, ledger: Ledger) -> None:
        """The banner's language, when it says so, is the one recorded."""
        other = [lang for lang in catalogue.all_languages if lang != catalogue.default_language]
        engine = _engine(catalogue, ledger)
        handle(engine, _request("POST", {"action": "accept_all", "language": other[0]}))
        assert ledger.record(1).fields["language"] == other[0]  # type: ignore[union-attr]

    def test_withdrawal_records_the_withdrawn_consent(
        self, catalogue: Catalogue, ledger: Ledger
    ) -> None:
        """DELETE records a withdrawal under the token's consent id, and expires the cookie."""
        engine = _engine(catalogue, ledger)
        data = json.loads(handle(engine, _request("POST", {"action": "accept_all"})).body)
        consent = engine.config.signer.loads(
            engine.config.signer.dumps(Consent.accept_all(catalogue)), catalogue
        )
        given = Consent(**{**_fields(consent), "id": data["consent"]["id"]})
        response = handle(engine, _request("DELETE", consent=given))
        assert response.status == 200
        assert json.loads(response.body)["receipt"]["seq"] == 2
        actions = [r.fields["action"] for r in ledger.records_of(given.id)]
        assert actions == ["accept_all", "withdraw"]
        assert any("Max-Age=0" in c for c in _cookies(response))

    def test_new_choice_links_the_one_it_replaces(
        self, catalogue: Catalogue, ledger: Ledger
    ) -> None:
        """A choice made over a valid token points to it, so the visitor's history is whole."""
        engine = _engine(catalogue, ledger)
        old = Consent.refuse_all(catalogue)
        data = json.loads(
            handle(engine, _request("POST", {"action": "accept_all"}, consent=old)).body
        )
        (record,) = ledger.records_of(data["consent"]["id"])
        assert record.fields["previous"] == ledger.subject(old.id)


class TestLedgerDown:
    def test_locked_ledger_refuses_an_accept(
        self, catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A locked database: the acceptance gets 503, a JSON error, and no cookie at all."""
        monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_MS", 50)
        ledger = Ledger.open(sqlite_url(tmp_path), key=KEY)
        engine = _engine(catalogue, ledger)
        blocker = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            response = handle(engine, _request("POST", {"action": "accept_all"}))
        finally:
            blocker.execute("ROLLBACK")
        assert response.status == 503
        assert _cookies(response) == []
        assert "ledger" in json.loads(response.body)["error"]
        assert ledger.size() == 0
        ledger.close()

    def test_failing_ledger_refuses_a_form_accept(
        self, catalogue: Catalogue, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A form post that accepts gets 503 and no cookie, not a redirect."""
        _down(monkeypatch, ledger)
        response = handle(
            _engine(catalogue, ledger), _request("POST", b"action=accept_all", form=True)
        )
        assert response.status == 503
        assert _cookies(response) == []

    def test_refusal_is_honoured_and_spooled(
        self, catalogue: Catalogue, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A refusal sets its cookie at once; its record is spooled, then replayed in order."""
        engine = _engine(catalogue, ledger)
        with monkeypatch.context() as patch:
            _down(patch, ledger)
            response = handle(engine, _request("POST", {"action": "refuse_all"}))
            assert response.status == 200
            assert _cookies(response)
            assert json.loads(response.body)["receipt"] == {"spooled": True}
            assert _header(response, "Consentkit-Receipt") == "spooled"
        refused = json.loads(response.body)["consent"]["id"]
        accepted = json.loads(handle(engine, _request("POST", {"action": "accept_all"})).body)
        assert accepted["receipt"]["seq"] == 2
        assert ledger.records_of(refused)[0].seq == 1
        assert ledger.verify().ok

    def test_withdrawal_is_honoured_when_down(
        self, catalogue: Catalogue, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Withdrawing works with the ledger down: cookies expired, record spooled."""
        _down(monkeypatch, ledger)
        response = handle(
            _engine(catalogue, ledger),
            _request("DELETE", consent=Consent.accept_all(catalogue)),
        )
        assert response.status == 200
        assert any("Max-Age=0" in c for c in _cookies(response))
        assert ledger.spool.pending()

    def test_postgres_server_gone(
        self, catalogue: Catalogue, postgres_url: str, postgres_cluster: Any
    ) -> None:
        """When the server drops the connection: 503 without cookie, then recovery."""
        import psycopg

        ledger = Ledger.open(postgres_url, key=KEY)
        engine = _engine(catalogue, ledger)
        assert handle(engine, _request("POST", {"action": "accept_all"})).status == 200
        database = urlsplit(postgres_url).path.lstrip("/")
        with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
            for _ in range(200):  # terminating is asynchronous: wait until it is done
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
                ).fetchone()
                if row is not None and row[0] == 0:
                    break
                time.sleep(0.01)
        response = handle(engine, _request("POST", {"action": "accept_all"}))
        assert (response.status, _cookies(response)) == (503, [])
        response = handle(engine, _request("POST", {"action": "accept_all"}))
        assert response.status == 200
        assert json.loads(response.body)["receipt"]["seq"] == 2
        ledger.close()


class TestProofEndpoint:
    def test_visitor_sees_their_own_records(self, catalogue: Catalogue, ledger: Ledger) -> None:
        """GET /proof answers the records of the token's consent id, with the notice shown."""
        engine = _engine(catalogue, ledger)
        data = json.loads(handle(engine, _request("POST", {"action": "accept_all"})).body)
        handle(engine, _request("POST", {"action": "refuse_all"}))  # someone else
        mine = Consent(**{**_fields(Consent.accept_all(catalogue)), "id": data["consent"]["id"]})
        response = handle(engine, _request("GET", path="/proof", consent=mine))
        assert response.status == 200
        proof = json.loads(response.body)
        assert [r["record"]["seq"] for r in proof["records"]] == [1]
        assert proof["records"][0]["chain_hash"] == data["receipt"]["chain_hash"]
        assert list(proof["notices"]) == [proof["records"][0]["record"]["notice"]]

    def test_no_token_no_proof(self, catalogue: Catalogue, ledger: Ledger) -> None:
        """Without a valid token there is nothing to show, and no parameter can ask."""
        response = handle(_engine(catalogue, ledger), _request("GET", path="/proof"))
        assert response.status == 404


class TestConfig:
    def test_url_needs_a_key(self, catalogue: Catalogue, tmp_path: Path) -> None:
        """A ledger URL without ledger_key is a configuration error."""
        with pytest.raises(ConfigurationError, match="ledger_key"):
            ConsentConfig(catalogue=catalogue, secret_keys=[SECRET], ledger=sqlite_url(tmp_path))

    def test_bad_url_is_a_configuration_error(self, catalogue: Catalogue) -> None:
        """A malformed ledger URL fails at start-up, naming it."""
        with pytest.raises(ConfigurationError, match="mysql"):
            ConsentConfig(
                catalogue=catalogue, secret_keys=[SECRET], ledger="mysql://x/y", ledger_key=KEY
            )

    def test_personal_fields_as_one_string(self, catalogue: Catalogue, tmp_path: Path) -> None:
        """``ledger_personal="user_agent"`` would be read letter by letter: refused, named."""
        with pytest.raises(ConfigurationError, match="ledger_personal is a list"):
            ConsentConfig(
                catalogue=catalogue,
                secret_keys=[SECRET],
                ledger=sqlite_url(tmp_path),
                ledger_key=KEY,
                ledger_personal="user_agent",
            )

    def test_url_opens_a_ledger(self, catalogue: Catalogue, tmp_path: Path) -> None:
        """A URL in the config becomes a Ledger."""
        config = ConsentConfig(
            catalogue=catalogue,
            secret_keys=[SECRET],
            ledger=sqlite_url(tmp_path),
            ledger_key=KEY,
            ledger_personal=["account"],
            ledger_account=lambda headers: headers.get("x-account"),
        )
        assert isinstance(config.ledger, Ledger)
        engine = Engine(config)
        response = handle(
            engine, _request("POST", {"action": "accept_all"}, headers={"x-account": "u-42"})
        )
        consent_id = json.loads(response.body)["consent"]["id"]
        assert config.ledger.proof(consent_id)[0].personal == {"account": "u-42"}
        config.ledger.close()


def _down(monkeypatch: pytest.MonkeyPatch, ledger: Ledger) -> None:
    def down(*args: object) -> None:
        raise LedgerUnavailable("disk full")

    monkeypatch.setattr(ledger._store, "write", down)


def _fields(consent: Consent) -> dict[str, Any]:
    return {name: getattr(consent, name) for name in Consent.__dataclass_fields__}


def test_json_sources_are_the_ledgers_but_form() -> None:
    """The endpoints name the sources a JSON client may give without loading the ledger;
    they are the ledger's, but for the plain HTML form's."""
    from consentkit.ledger import SOURCES

    assert tuple(s for s in SOURCES if s != "form") == endpoints_module._JSON_SOURCES
