"""``consentkit ledger ...``: answers a person can read, and clear errors, never tracebacks."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from consentkit import Catalogue
from consentkit.cli import main
from consentkit.ledger import Ledger
from tests.ledger_support import KEY, decision, sqlite_url

SIGNING_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def db(tmp_path: Path, catalogue: Catalogue) -> tuple[str, str]:
    """A ledger with three records; returns its URL and the last consent id."""
    url = sqlite_url(tmp_path)
    with Ledger.open(url, key=KEY, personal=["user_agent"]) as ledger:
        for action in ("refuse_all", "custom"):
            ledger.append(decision(ledger, catalogue, action)[1])
        consent, entry = decision(ledger, catalogue, personal={"user_agent": "Firefox"})
        ledger.append(entry)
    return url, consent.id


def test_verify_ok(db: tuple[str, str]) -> None:
    """An intact ledger verifies: exit 0 and its size and chain hash."""
    code, out = run("ledger", "verify", "--db", db[0])
    assert code == 0
    assert out.startswith("ok: records 1 to 3, chain hash ")


def test_verify_names_the_tampered_record(db: tuple[str, str], tmp_path: Path) -> None:
    """A changed record: exit 1, and the message names its sequence number."""
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("UPDATE records SET body = replace(body, 'custom', 'accept_all') WHERE seq=2")
    code, out = run("ledger", "verify", "--db", db[0])
    assert code == 1
    assert out.startswith("TAMPERED: first bad record 2 (changed)")
    code, out = run("ledger", "verify", "--db", db[0], "--json")
    assert json.loads(out)["problems"][0]["seq"] == 2


def test_checkpoint_then_verify_with_published_note(db: tuple[str, str], tmp_path: Path) -> None:
    """A signed checkpoint is printed with its verifier key, and checks a cut tail."""
    code, out = run("ledger", "checkpoint", "--db", db[0], "--signing-key", SIGNING_KEY)
    assert code == 0
    note, _, tail = out.partition("(verifier key: ")
    vkey = tail.rstrip().rstrip(")")
    (tmp_path / "published.note").write_text(note)
    assert run("ledger", "verify", "--db", db[0], "--verifier", vkey)[0] == 0
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("DELETE FROM records WHERE seq = 3")
        conn.execute("DELETE FROM checkpoints")
        conn.execute(
            "UPDATE head SET size = 2, chain_hash = (SELECT chain_hash FROM records WHERE seq = 2)"
        )
    assert run("ledger", "verify", "--db", db[0])[0] == 0  # nothing published: can't tell
    code, out = run(
        "ledger",
        "verify",
        "--db",
        db[0],
        "--verifier",
        vkey,
        "--checkpoint",
        str(tmp_path / "published.note"),
    )
    assert code == 1
    assert "first bad record 3 (tail_cut)" in out
    code, out = run("ledger", "checkpoint", "--db", db[0], "--list")
    assert code == 0


def test_proof_text_and_json(db: tuple[str, str]) -> None:
    """A proof a person reads, and the same for machines."""
    code, out = run("ledger", "proof", db[1], "--db", db[0], "--key", KEY)
    assert code == 0
    assert "the visitor accepted everything" in out
    assert "Personal fields: user_agent=Firefox" in out
    code, out = run("ledger", "proof", db[1], "--db", db[0], "--key", KEY, "--json")
    assert json.loads(out)["records"][0]["record"]["action"] == "accept_all"


def test_erase_then_proof(db: tuple[str, str]) -> None:
    """Erasing shreds the personal fields; the choice stays; verify still passes."""
    assert run("ledger", "erase", db[1], "--db", db[0], "--key", KEY)[0] == 0
    out = run("ledger", "proof", db[1], "--db", db[0], "--key", KEY)[1]
    assert "erased" in out
    assert "Firefox" not in out
    assert run("ledger", "verify", "--db", db[0])[0] == 0


def test_prune_and_stats(db: tuple[str, str]) -> None:
    """Stats count by day and action; pruning to the future empties, and still verifies."""
    code, out = run("ledger", "stats", "--db", db[0])
    assert code == 0
    assert out.splitlines()[0] == "3 records"
    assert "refuse_all" in out
    assert run("ledger", "prune", "--db", db[0], "--before", "2999-01-01")[0] == 0
    assert run("ledger", "verify", "--db", db[0])[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(("verify", "--db", "mysql://x/y"), "not supported", id="bad-scheme"),
        pytest.param(("verify",), "give --db", id="no-db"),
        pytest.param(("verify", "--db", "sqlite:////nonexistent/x.db"), "no ledger", id="absent"),
        pytest.param(("proof", "nobody", "--key", KEY), "no record of consent id", id="unknown"),
        pytest.param(("proof", "nobody"), "give --key", id="no-key"),
        pytest.param(("erase", "nobody", "--key", KEY), "no record", id="erase-unknown"),
        pytest.param(("checkpoint",), "give --signing-key", id="no-signing-key"),
        pytest.param(("checkpoint", "--signing-key", "xx"), "Ed25519", id="bad-signing-key"),
        pytest.param(("prune", "--before", "yesterday"), "not a date", id="bad-date"),
        pytest.param(("verify", "--verifier", "junk"), "verifier key", id="bad-verifier"),
        pytest.param(("verify", "--checkpoint", "/nonexistent"), "can't read", id="no-note"),
    ],
)
def test_errors_are_one_clear_line(
    db: tuple[str, str], argv: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad URLs, unknown ids, bad keys and checkpoints: exit 1 and a message naming it."""
    monkeypatch.delenv("CONSENTKIT_LEDGER_KEY", raising=False)
    monkeypatch.delenv("CONSENTKIT_LEDGER_SIGNING_KEY", raising=False)
    monkeypatch.delenv("CONSENTKIT_LEDGER", raising=False)
    if "--db" not in argv and argv != ("verify",):
        argv = (*argv, "--db", db[0])
    code, out = run("ledger", *argv)
    assert code == 1
    assert out.startswith("error: ")
    assert message in out


def test_other_schema_version(db: tuple[str, str], tmp_path: Path) -> None:
    """A ledger of another schema version is named as such."""
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    code, out = run("ledger", "stats", "--db", db[0])
    assert code == 1
    assert "schema is version 7" in out


def test_export_lets_anyone_recompute_the_chain(db: tuple[str, str]) -> None:
    """The export's records, hashed as the docs say, give its chain hashes and head."""
    code, out = run("ledger", "export", "--db", db[0])
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    head, records = lines[0], [item for item in lines if "seq" in item]
    prev = bytes.fromhex(head["hash_before_first"])
    for item in records:
        body = item["record"].encode("utf-8")
        leaf = hashlib.sha256(b"\x00" + body).digest()
        prev = hashlib.sha256(b"\x01" + prev + leaf).digest()
        assert prev.hex() == item["chain_hash"]
    assert (len(records), prev.hex()) == (head["size"], head["chain_hash"])
    assert any("notice" in item for item in lines)
