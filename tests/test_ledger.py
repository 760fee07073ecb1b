"""The ledger's records, hashes, checkpoints and interface, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit import (
    Catalogue,
    CheckpointError,
    ConfigurationError,
    LedgerError,
    LedgerSchemaError,
    LedgerUnavailable,
)
from consentkit.ledger import CheckpointSigner, CheckpointVerifier, Ledger, _store
from consentkit.ledger._canonical import (
    GENESIS,
    canonical,
    canonical_with,
    chain_hash,
    encoded_items,
    from_canonical,
    iso_micro,
    leaf_hash,
)
from consentkit.ledger._checkpoint import Checkpoint, key_id
from consentkit.ledger._records import truncate_ip
from tests.ledger_support import KEY, NOTICE, OTHER_NOTICE, decision, sqlite_url

SIGNING_KEY = bytes(range(32))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(codec="utf-8")), inner, max_size=4)
    ),
    max_leaves=20,
)


class TestCanonical:
    @given(value=json_values)
    def test_round_trip(self, value: Any) -> None:
        """Canonical bytes parse back to the value, and encode again to the same bytes."""
        data = canonical(value)
        assert from_canonical(data) == value
        assert canonical(from_canonical(data)) == data

    @given(value=st.dictionaries(st.text(), st.integers(), min_size=2))
    def test_key_order_does_not_matter(self, value: dict[str, int]) -> None:
        """One value, one encoding: the keys' insertion order is forgotten."""
        assert canonical(dict(reversed(value.items()))) == canonical(value)

    @given(
        fields=st.dictionaries(st.text(alphabet=st.characters(codec="utf-8")), json_values),
        extra=st.dictionaries(st.sampled_from(["seq", "at", "a", "", "~"]), json_values),
    )
    def test_fields_encoded_ahead_give_the_same_bytes(
        self, fields: dict[str, Any], extra: dict[str, Any]
    ) -> None:
        """A record's fields encoded once, then joined by the few known at writing, give
        the bytes of the whole record encoded at once."""
        assert canonical_with(encoded_items(fields), extra) == canonical({**fields, **extra})

    @given(moment=st.datetimes(timezones=st.timezones()))
    def test_time_of_writing_is_utc_to_the_microsecond(self, moment: datetime) -> None:
        """Whatever the zone it comes in: the same instant, in UTC, in a fixed width
        (four-digit year, every digit of the microseconds) ending in Z."""
        text = iso_micro(moment)
        assert len(text) == len("2026-12-04T07:09:51.000000Z")
        assert text.endswith("Z")
        assert datetime.fromisoformat(text) == moment.astimezone(UTC)

    def test_compact_sorted_utf8(self) -> None:
        """Sorted keys, no spaces, UTF-8 (not \\u escapes)."""
        assert canonical({"b": [1, None], "a": "été"}) == '{"a":"été","b":[1,null]}'.encode()

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(1.5, id="float"),
            pytest.param({1: "x"}, id="int-key"),
            pytest.param("\ud800", id="lone-surrogate"),
            pytest.param({"a": object()}, id="object"),
        ],
    )
    def test_refuses_what_has_no_single_encoding(self, value: Any) -> None:
        """Floats, non-string keys, lone surrogates and objects are refused."""
        with pytest.raises(ValueError):  # noqa: PT011  # the message varies by case
            canonical(value)

    def test_hashes_are_rfc6962_style(self) -> None:
        """Leaf = SHA-256(0x00 || bytes); chain = SHA-256(0x01 || previous || leaf)."""
        leaf = leaf_hash(b"{}")
        assert leaf == hashlib.sha256(b"\x00{}").digest()
        assert chain_hash(GENESIS, leaf) == hashlib.sha256(b"\x01" + bytes(32) + leaf).digest()


class TestCheckpoint:
    def test_signed_note_format(self) -> None:
        """Origin, size, base64 hash, blank line, '— name base64(keyid||sig)'."""
        signer = CheckpointSigner("example.org/ledger", SIGNING_KEY)
        cp = signer.sign("example.org/ledger", 7, bytes(32))
        lines = cp.note.split("\n")
        assert lines[:4] == ["example.org/ledger", "7", base64.b64encode(bytes(32)).decode(), ""]
        assert lines[4].startswith("\u2014 example.org/ledger ")
        blob = base64.b64decode(lines[4].rsplit(" ", 1)[1])
        assert blob[:4] == key_id("example.org/ledger", signer.verifier.public_key)
        assert len(blob) == 4 + 64
        assert cp.note.endswith("\n")

    def test_key_id_per_signed_note_spec(self) -> None:
        """The key id is SHA-256(name || '\\n' || 0x01 || public key)[:4]."""
        public = CheckpointSigner("n", SIGNING_KEY).verifier.public_key
        assert key_id("n", public) == hashlib.sha256(b"n\n\x01" + public).digest()[:4]

    def test_parse_and_verify(self) -> None:
        """A parsed note verifies under its key, and under no other."""
        signer = CheckpointSigner("a", SIGNING_KEY)
        cp = Checkpoint.parse(signer.sign("o", 3, b"\x01" * 32).note)
        assert (cp.origin, cp.size, cp.hash) == ("o", 3, b"\x01" * 32)
        assert signer.verifier.verify(cp)
        assert not CheckpointSigner("a", bytes(32)).verifier.verify(cp)

    def test_vkey_round_trip(self) -> None:
        """The verifier key prints in signed-note form and parses back."""
        verifier = CheckpointSigner("name", SIGNING_KEY).verifier
        again = CheckpointVerifier.parse(str(verifier))
        assert (again.name, again.public_key) == (verifier.name, verifier.public_key)

    def test_changed_size_fails_signature(self) -> None:
        """A note whose size was edited no longer verifies."""
        signer = CheckpointSigner("a", SIGNING_KEY)
        note = signer.sign("o", 3, bytes(32)).note.replace("\n3\n", "\n4\n", 1)
        assert not signer.verifier.verify(Checkpoint.parse(note))

    @pytest.mark.parametrize(
        "note",
        [
            pytest.param("o\n3\nAAAA\n", id="no-signature"),
            pytest.param(
                "o\nx\n" + base64.b64encode(bytes(32)).decode() + "\n\n— a AAAAAAAA\n",
                id="bad-size",
            ),
            pytest.param("o\n3\nAAAA\n\n— a AAAAAAAA\n", id="short-hash"),
            pytest.param(
                "o\n3\n" + base64.b64encode(bytes(32)).decode() + "\n\nsig\n", id="bad-line"
            ),
            pytest.param(
                "o\n3\n" + base64.b64encode(bytes(32)).decode() + "\n\n— a !!\n", id="bad-base64"
            ),
        ],
    )
    def test_malformed_notes(self, note: str) -> None:
        """Malformed checkpoints raise CheckpointError, never anything else."""
        with pytest.raises(CheckpointError):
            Checkpoint.parse(note)

    @pytest.mark.parametrize("key", ["not a key", "AAAA", b"short"])
    def test_bad_signing_key(self, key: str | bytes) -> None:
        """A signing key that isn't Ed25519 is a clear error."""
        with pytest.raises(CheckpointError):
            CheckpointSigner("a", key)


class TestTruncateIp:
    @pytest.mark.parametrize(
        ("address", "network"),
        [
            ("203.0.113.77", "203.0.113.0/24"),
            ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
            ("::ffff:198.51.100.9", "198.51.100.0/24"),
            ("garbage", None),
        ],
    )
    def test_truncation(self, address: str, network: str | None) -> None:
        """IPv4 to /24, IPv6 to /48; unreadable addresses are dropped."""
        assert truncate_ip(address) == network


class TestLedger:
    def test_appends_are_gapless_and_chained(self, ledger_url: str, catalogue: Catalogue) -> None:
        """Receipts number records 1, 2, 3… and carry the chain hash anyone can recompute."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            receipts = [ledger.append(decision(ledger, catalogue)[1]) for _ in range(5)]
            assert [r.seq for r in receipts] == [1, 2, 3, 4, 5]
            prev = GENESIS
            for receipt in receipts:
                assert receipt.seq is not None
                record = ledger.record(receipt.seq)
                assert record is not None
                prev = chain_hash(prev, leaf_hash(record.body))
                assert prev.hex() == receipt.chain_hash
                assert record.fields["seq"] == receipt.seq
                assert canonical(record.fields) == record.body
            report = ledger.verify()
            assert report.ok, report.problems
            assert report.size == 5

    def test_record_holds_the_decision(self, ledger_url: str, catalogue: Catalogue) -> None:
        """A record names the choice, what was refused, the notice and the pseudonymous subject."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            consent, entry = decision(ledger, catalogue, "custom")
            ledger.append(entry)
            (record,) = ledger.records_of(consent.id)
            f = record.fields
            assert f["action"] == "custom"
            assert f["subject"] == ledger.subject(consent.id) != consent.id
            assert consent.id not in record.body.decode()
            assert "audience" in f["purposes_granted"]
            assert set(f["vendors_refused"]) | set(f["vendors_granted"]) == {
                v.id for v in catalogue.vendors
            }
            assert f["revision"] == catalogue.revision
            assert (f["language"], f["source"]) == ("fr", "banner_first_layer")
            assert f["notice"] == NOTICE.digest
            assert ledger.notice(NOTICE.digest) == NOTICE.body
            assert f["sealed"] is None  # no personal field unless asked

    def test_notices_stored_once(self, ledger_url: str, catalogue: Catalogue) -> None:
        """Each distinct notice is stored once, whatever the number of records."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            for notice in (NOTICE, NOTICE, OTHER_NOTICE, NOTICE):
                ledger.append(decision(ledger, catalogue, notice=notice)[1])
            assert set(ledger._store.notices()) == {NOTICE.digest, OTHER_NOTICE.digest}

    def test_history_follows_replaced_decisions(
        self, ledger_url: str, catalogue: Catalogue
    ) -> None:
        """A visitor's proof shows the decisions theirs replaced, then the withdrawal."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            first, entry = decision(ledger, catalogue, "refuse_all")
            ledger.append(entry)
            second, entry = decision(ledger, catalogue, "accept_all", replaces=first.id)
            ledger.append(entry)
            ledger.append(decision(ledger, catalogue)[1])  # someone else
            withdrawal = ledger.entry(
                catalogue, None, withdrawn=second.id, language="fr", source="api", notice=NOTICE
            )
            ledger.append(withdrawal)
            actions = [r.fields["action"] for r in ledger.records_of(second.id)]
            assert actions == ["refuse_all", "accept_all", "withdraw"]
            assert [r.fields["action"] for r in ledger.records_of(first.id)] == ["refuse_all"]

    def test_sealed_fields_and_erasure(self, ledger_url: str, catalogue: Catalogue) -> None:
        """Personal fields are sealed; erasing the key shreds them and verify still passes."""
        with Ledger.open(ledger_url, key=KEY, personal=["user_agent", "ip"]) as ledger:
            consent, entry = decision(
                ledger, catalogue, personal={"user_agent": "Firefox", "ip": "203.0.113.0/24"}
            )
            ledger.append(entry)
            (record,) = ledger.records_of(consent.id)
            assert record.fields["sealed"]
            assert b"Firefox" not in record.body
            (item,) = ledger.proof(consent.id)
            assert item.personal == {"user_agent": "Firefox", "ip": "203.0.113.0/24"}
            assert ledger.erase(consent.id) == 1
            (item,) = ledger.proof(consent.id)
            assert item.personal is None
            assert item.erased
            assert ledger.verify().ok

    def test_erase_unknown_id(self, ledger_url: str) -> None:
        """Erasing an id the ledger doesn't know is an error that names it."""
        with (
            Ledger.open(ledger_url, key=KEY) as ledger,
            pytest.raises(LedgerError, match="no-such"),
        ):
            ledger.erase("no-such-id")

    def test_prune_keeps_the_rest_verifiable(self, ledger_url: str, catalogue: Catalogue) -> None:
        """Records past retention go; the rest, and later checkpoints, still verify."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            for _ in range(3):
                ledger.append(decision(ledger, catalogue)[1])
            old = ledger.checkpoint(CheckpointSigner("t", SIGNING_KEY))
            cut = datetime.now(UTC) + timedelta(seconds=1)
            assert ledger.prune(cut) == 3
            for _ in range(2):
                ledger.append(decision(ledger, catalogue)[1])
            ledger.checkpoint(CheckpointSigner("t", SIGNING_KEY))
            report = ledger.verify([CheckpointSigner("t", SIGNING_KEY).verifier])
            assert report.ok, report.problems
            assert (report.base_seq, report.size) == (4, 5)
            assert old.size == 3

    def test_stats(self, ledger_url: str, catalogue: Catalogue) -> None:
        """Counts by day and action."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            for action in ("accept_all", "accept_all", "refuse_all"):
                ledger.append(decision(ledger, catalogue, action)[1])
            today = datetime.now(UTC).strftime("%Y-%m-%d")
            assert ledger.stats() == [(today, "accept_all", 2), (today, "refuse_all", 1)]

    def test_reopen_keeps_origin_and_chain(self, ledger_url: str, catalogue: Catalogue) -> None:
        """A reopened ledger continues the same chain under the same origin."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            ledger.append(decision(ledger, catalogue)[1])
            origin = ledger.origin
        with Ledger.open(ledger_url, key=KEY) as ledger:
            assert ledger.origin == origin
            assert ledger.append(decision(ledger, catalogue)[1]).seq == 2

    def test_group_commit_under_threads(self, ledger_url: str, catalogue: Catalogue) -> None:
        """Threads appending at once get distinct, gapless receipts in one valid chain."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            entries = [decision(ledger, catalogue)[1] for _ in range(80)]
            seqs: list[int | None] = []
            lock = threading.Lock()

            def work(chunk: list[Any]) -> None:
                for entry in chunk:
                    seq = ledger.append(entry).seq
                    with lock:
                        seqs.append(seq)

            threads = [threading.Thread(target=work, args=(entries[i::8],)) for i in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(s for s in seqs if s is not None) == list(range(1, 81))
            assert ledger.verify().ok

    def test_failed_transaction_acknowledges_nothing(
        self, ledger_url: str, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A batch that fails mid-transaction is rolled back whole; no receipt is given."""
        with Ledger.open(ledger_url, key=KEY) as ledger:
            ledger.append(decision(ledger, catalogue)[1])
            good = [decision(ledger, catalogue)[1] for _ in range(3)]
            bad = decision(ledger, catalogue)[1]
            encode = _store.canonical_with  # type: ignore[attr-defined]  # the name it calls

            def failing(items: Any, extra: dict[str, Any]) -> bytes:
                if items is bad.encoded:  # after three rows were inserted
                    raise ValueError("float has no canonical JSON form")
                return encode(items, extra)

            monkeypatch.setattr(_store, "canonical_with", failing)
            with pytest.raises(ValueError, match="canonical"):
                ledger.append_many([*good, bad])
            monkeypatch.undo()
            assert ledger.size() == 1
            assert ledger.verify().ok
            assert ledger.append(good[0]).seq == 2


class TestSpool:
    def test_spooled_records_replay_in_order(
        self, tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Refusals spooled during an outage join the chain first, in order, on the next write."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            ledger.append(decision(ledger, catalogue)[1])
            refusals = [decision(ledger, catalogue, "refuse_all") for _ in range(3)]
            for _, entry in refusals:
                assert ledger.spool_entry(entry).seq is None
            assert ledger.spool.pending()
            assert ledger.append(decision(ledger, catalogue)[1]).seq == 5
            assert not ledger.spool.pending()
            for seq, (refused, _) in enumerate(refusals, 2):
                (record,) = ledger.records_of(refused.id)
                assert record.seq == seq
                assert record.fields["spool"]["id"]
            assert ledger.verify().ok

    def test_replay_is_idempotent(
        self, tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A replay that committed but died before emptying the spool writes nothing twice."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            _, entry = decision(ledger, catalogue, "refuse_all")
            ledger.spool_entry(entry)
            saved = Path(ledger.spool.path).read_bytes()
            ledger.append(decision(ledger, catalogue)[1])
            Path(ledger.spool.path).write_bytes(saved)  # as if the truncation never happened
            ledger.append(decision(ledger, catalogue)[1])
            assert ledger.size() == 3
            assert ledger.verify().ok

    def test_unavailable_ledger_keeps_the_spool(
        self, tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """While the ledger can't write, the spool is kept and appends fail loudly."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            ledger.spool_entry(decision(ledger, catalogue, "refuse_all")[1])

            def down(*args: object) -> None:
                raise LedgerUnavailable("disk full")

            monkeypatch.setattr(ledger._store, "write", down)
            with pytest.raises(LedgerUnavailable):
                ledger.append(decision(ledger, catalogue)[1])
            assert ledger.spool.pending()


class TestBadInput:
    @pytest.mark.parametrize(
        "url",
        [
            "ledger.db",
            "mysql://host/db",
            "sqlite://host/x.db",
            "sqlite:///",
            "sqlite:///:memory:",
        ],
    )
    def test_bad_urls(self, url: str) -> None:
        """A URL consentkit can't use is a ConfigurationError naming it."""
        with pytest.raises(ConfigurationError):
            Ledger.open(url, key=KEY)

    def test_missing_directory(self, tmp_path: Path) -> None:
        """A file that can't be created is a LedgerError, not a traceback from sqlite3."""
        with pytest.raises(LedgerError, match="missing"):
            Ledger.open(sqlite_url(tmp_path / "missing" / "deeper"), key=KEY)

    def test_not_a_ledger(self, tmp_path: Path) -> None:
        """A database of something else is refused."""
        with sqlite3.connect(tmp_path / "other.db") as conn:
            conn.execute("CREATE TABLE users (id INTEGER)")
        with pytest.raises(LedgerSchemaError, match="not a consentkit ledger"):
            Ledger.open(sqlite_url(tmp_path, "other.db"), key=KEY)

    def test_other_schema_version(self, tmp_path: Path) -> None:
        """A ledger of another schema version is refused, naming the version."""
        Ledger.open(sqlite_url(tmp_path), key=KEY).close()
        with sqlite3.connect(tmp_path / "ledger.db") as conn:
            conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
        with pytest.raises(LedgerSchemaError, match="version 99") as caught:
            Ledger.open(sqlite_url(tmp_path), key=KEY)
        assert caught.value.found == "99"

    def test_short_key(self, tmp_path: Path) -> None:
        """A short ledger key is refused."""
        with pytest.raises(ConfigurationError, match="too short"):
            Ledger.open(sqlite_url(tmp_path), key="short")

    def test_keyless_ledger_verifies_but_cannot_record(
        self, tmp_path: Path, catalogue: Catalogue
    ) -> None:
        """Without its key a ledger verifies, and refuses to look up consent ids."""
        with Ledger.open(sqlite_url(tmp_path)) as ledger:
            assert ledger.verify().ok
            with pytest.raises(LedgerError, match="key"):
                ledger.subject("x")

    def test_unknown_personal_field(self, tmp_path: Path) -> None:
        """Only the documented personal fields can be sealed."""
        with pytest.raises(ConfigurationError, match="email"):
            Ledger.open(sqlite_url(tmp_path), key=KEY, personal=["email"])

    def test_spool_json_shape(self, tmp_path: Path, catalogue: Catalogue) -> None:
        """A spool line is plain JSON, readable by an operator."""
        with Ledger.open(sqlite_url(tmp_path), key=KEY) as ledger:
            ledger.spool_entry(decision(ledger, catalogue, "refuse_all")[1])
            line = json.loads(Path(ledger.spool.path).read_text().splitlines()[0])
            assert line["fields"]["action"] == "refuse_all"
            assert os.stat(ledger.spool.path).st_mode & 0o077 == 0
