"""``consentkit ledger verify|proof|checkpoint|erase|prune|stats|export --db URL``.

Every failure the data or the user can cause (a bad URL, an unknown consent id, a
bad checkpoint, another schema version) is one line naming it, and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from consentkit.exceptions import ConfigurationError, LedgerError
from consentkit.ledger._checkpoint import CheckpointSigner, CheckpointVerifier
from consentkit.ledger._ledger import DEFAULT_RETENTION_DAYS, Ledger
from consentkit.ledger._proof import proof_json, proof_text

__all__ = ["add_parser"]

#: Read when no ``--db`` is given.
DB_ENV = "CONSENTKIT_LEDGER"
#: Read when no ``--key`` is given, so the key needn't be in the process list.
KEY_ENV = "CONSENTKIT_LEDGER_KEY"
#: Read when no ``--signing-key`` is given.
SIGNING_KEY_ENV = "CONSENTKIT_LEDGER_SIGNING_KEY"

Run = Callable[[argparse.Namespace, TextIO], int]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = commands.add_parser("ledger", help="verify, prove, checkpoint and prune the ledger")
    actions = ledger.add_subparsers(required=True, metavar="ACTION")

    def action(name: str, help: str, run: Run) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help)
        parser.add_argument(
            "--db", default=os.environ.get(DB_ENV), help=f"the ledger's URL (default: ${DB_ENV})"
        )
        parser.set_defaults(run=_guarded(run))
        return parser

    verify = action(
        "verify", "recompute the chain; check checkpoints (exit 1 if tampered)", _verify
    )
    verify.add_argument(
        "--verifier", action="append", default=[], help="a trusted checkpoint key (note vkey)"
    )
    verify.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="FILE",
        help="a checkpoint kept elsewhere (a published note); repeatable",
    )
    verify.add_argument("--json", action="store_true")

    proof = action("proof", "a visitor's records and what they were shown", _proof)
    proof.add_argument("consent_id", metavar="CONSENT_ID")
    _key_option(proof)
    proof.add_argument("--json", action="store_true", help="for machines")

    checkpoint = action("checkpoint", "sign and store a checkpoint; print it", _checkpoint)
    checkpoint.add_argument(
        "--signing-key",
        help=f"Ed25519 private key, base64url or PEM file (default: ${SIGNING_KEY_ENV})",
    )
    checkpoint.add_argument("--name", help="the signer's name in the note (default: the origin)")
    checkpoint.add_argument("--list", action="store_true", help="print the stored checkpoints")

    erase = action("erase", "destroy a visitor's sealing key (crypto-shredding)", _erase)
    erase.add_argument("consent_id", metavar="CONSENT_ID")
    _key_option(erase)

    prune = action("prune", "remove records past the retention period", _prune)
    prune.add_argument(
        "--before",
        metavar="DATE",
        help=f"YYYY-MM-DD, UTC (default: {DEFAULT_RETENTION_DAYS} days ago)",
    )

    action("stats", "records by day and action", _stats)
    action("export", "the whole ledger as JSON lines, for a verifier elsewhere", _export)


def _key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", help=f"the ledger key (default: ${KEY_ENV})")


def _guarded(run: Run) -> Run:
    def guarded(args: argparse.Namespace, out: TextIO) -> int:
        try:
            return run(args, out)
        except (LedgerError, ConfigurationError) as exc:
            print(f"error: {exc}", file=out)
            return 1

    return guarded


def _open(args: argparse.Namespace, *, key: bool = False) -> Ledger:
    if not args.db:
        raise ConfigurationError(f"give --db URL (or set {DB_ENV})")
    secret = None
    if key:
        secret = args.key or os.environ.get(KEY_ENV)
        if not secret:
            raise ConfigurationError(f"give --key (or set {KEY_ENV}): consent ids are keyed")
    return Ledger.open(args.db, key=secret, create=False)


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    verifiers = [CheckpointVerifier.parse(v) for v in args.verifier]
    notes = []
    for path in args.checkpoint:
        try:
            with open(path, encoding="utf-8") as file:
                notes.append(file.read())
        except OSError as exc:
            raise LedgerError(f"can't read checkpoint {path}: {exc.strerror}") from None
    with _open(args) as ledger:
        report = ledger.verify(verifiers, notes)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "size": report.size,
                    "first_seq": report.base_seq,
                    "chain_hash": report.chain_hash.hex(),
                    "checkpoints": report.checkpoints,
                    "problems": [
                        {"seq": p.seq, "kind": p.kind, "message": p.message}
                        for p in report.problems
                    ],
                },
                indent=2,
            ),
            file=out,
        )
        return 0 if report.ok else 1
    if report.ok:
        signed = "signatures checked" if verifiers else "signatures NOT checked: give --verifier"
        print(
            f"ok: records {report.base_seq} to {report.size}, chain hash "
            f"{report.chain_hash.hex()}, {report.checkpoints} checkpoints ({signed})",
            file=out,
        )
        return 0
    first = report.first
    assert first is not None  # noqa: S101  # not ok means a problem
    print(f"TAMPERED: first bad record {first.seq} ({first.kind}): {first.message}", file=out)
    for problem in report.problems[1:]:
        print(f"  also at {problem.seq} ({problem.kind}): {problem.message}", file=out)
    return 1


def _proof(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args, key=True) as ledger:
        proof = ledger.proof(args.consent_id)
        checkpoints = ledger.checkpoints()
    if not proof:
        print(f"error: no record of consent id {args.consent_id!r}", file=out)
        return 1
    if args.json:
        print(json.dumps(proof_json(proof, checkpoints), indent=2, ensure_ascii=False), file=out)
    else:
        print(proof_text(proof, checkpoints), file=out)
    return 0


def _checkpoint(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args) as ledger:
        if args.list:
            for checkpoint in ledger.checkpoints():
                print(checkpoint.note, file=out)
            return 0
        key = args.signing_key or os.environ.get(SIGNING_KEY_ENV)
        if not key:
            raise ConfigurationError(f"give --signing-key (or set {SIGNING_KEY_ENV})")
        signer = CheckpointSigner(args.name or ledger.origin, key)
        checkpoint = ledger.checkpoint(signer)
    print(checkpoint.note, end="", file=out)
    print(f"(verifier key: {signer.verifier})", file=out)
    return 0


def _erase(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args, key=True) as ledger:
        erased = ledger.erase(args.consent_id)
    print(f"erased {erased} sealing key(s): the choices stay as proof", file=out)
    return 0


def _prune(args: argparse.Namespace, out: TextIO) -> int:
    if args.before:
        try:
            before = datetime.fromisoformat(args.before)
        except ValueError:
            raise ConfigurationError(
                f"--before {args.before!r} is not a date (YYYY-MM-DD)"
            ) from None
        before = before.replace(tzinfo=UTC) if before.tzinfo is None else before
    else:
        before = datetime.now(UTC) - timedelta(days=DEFAULT_RETENTION_DAYS)
    with _open(args) as ledger:
        removed = ledger.prune(before)
    print(f"pruned {removed} record(s) written before {before:%Y-%m-%d %H:%M:%S} UTC", file=out)
    return 0


def _stats(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args) as ledger:
        rows = ledger.stats()
        size = ledger.size()
    print(f"{size} records", file=out)
    for day, action, count in rows:
        print(f"  {day}  {action:<11} {count}", file=out)
    return 0


def _export(args: argparse.Namespace, out: TextIO) -> int:
    with _open(args) as ledger:
        for item in ledger.export():
            print(json.dumps(item, ensure_ascii=False, separators=(",", ":")), file=out)
    return 0
