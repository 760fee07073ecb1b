"""The ``consentkit`` command: start and check a catalogue, render its cookie table, handle
keys and tokens, keep the proof-of-consent ledger.

Exit codes: 0 when all is well, 1 when the command found a problem (an invalid
catalogue, a token that isn't valid, a leak), 2 for a usage error, and for an audit
that could not check (a page not 2xx, a site unreachable).
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consentkit import __version__
from consentkit.catalogue import Catalogue, CookieRule
from consentkit.consent import Consent
from consentkit.exceptions import ChoiceError, ConfigurationError, ExpiredToken, TokenError
from consentkit.tokens import TokenSigner

__all__ = ["main"]

#: Read when no ``--key`` is given, so keys need not appear in the process list.
KEY_ENV = "CONSENTKIT_SECRET_KEY"

_HEADINGS = {
    "fr": ("Description", "Cookie", "Durée", "Service"),
    "en": ("Description", "Cookie", "Duration", "Service"),
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args, out)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=out)
        return 1
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consentkit", description="Collect, sign, enforce and prove cookie consent."
    )
    parser.add_argument("--version", action="version", version=f"consentkit {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="write a starter catalogue to edit",
        description="Write a commented starter catalogue, valid as it stands: the consent "
        "cookie (strictly necessary) and audience measurement with Google Analytics "
        "(optional), with texts in French and English.",
    )
    init.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default="catalogue.toml",
        help="the .toml file to write, or a folder for its catalogue.toml "
        "(default: catalogue.toml)",
    )
    init.add_argument(
        "--lang", choices=("en", "fr"), default="en", help="the default language (default: en)"
    )
    init.add_argument("--force", action="store_true", help="replace the file if it exists")
    init.set_defaults(run=_init)

    check = commands.add_parser("check", help="validate a catalogue and list every problem")
    check.add_argument("catalogue", metavar="CATALOGUE", help="a .toml or .json catalogue")
    check.set_defaults(run=_check)

    cookies = commands.add_parser("cookies", help="print the policy's cookie table")
    cookies.add_argument("catalogue", metavar="CATALOGUE")
    cookies.add_argument("--lang", help="language of the texts (default: the catalogue's)")
    cookies.add_argument("--format", choices=("md", "html"), default="md")
    cookies.set_defaults(run=_cookies)

    keygen = commands.add_parser("keygen", help="print a new random signing key")
    keygen.add_argument(
        "--ed25519", action="store_true", help="an Ed25519 key pair instead of an HMAC secret"
    )
    keygen.set_defaults(run=_keygen)

    token = commands.add_parser("token", help="sign or inspect consent tokens")
    token_commands = token.add_subparsers(required=True, metavar="ACTION")
    inspect = token_commands.add_parser("inspect", help="verify a token and show its consent")
    inspect.add_argument("token", metavar="TOKEN")
    _key_options(inspect)
    inspect.set_defaults(run=_inspect)
    sign = token_commands.add_parser(
        "sign",
        help="make a token for a choice",
        description="Sign a choice: accept_all without options; --purpose or --vendor make "
        "it a custom choice, which can't go with --action accept_all or refuse_all.",
    )
    _key_options(sign)
    sign.add_argument(
        "--action",
        choices=("accept_all", "refuse_all", "custom"),
        help="the choice (default: custom with --purpose or --vendor, else accept_all)",
    )
    sign.add_argument(
        "--purpose", action="append", default=[], help="a granted purpose; repeatable (custom)"
    )
    sign.add_argument("--vendor", action="append", help="a granted vendor; repeatable (custom)")
    sign.set_defaults(run=_sign)

    audit = commands.add_parser(
        "audit",
        help="find what tracks before consent (exit 1 on a leak, 2 when it can't check)",
        description="Visit pages before any choice and, given the key, after each; report "
        "what tracks when it shouldn't. Exit 0 when all is well; 1 on a leak or a choice "
        "the site did not honour; 2 when the audit could not check (a page not 2xx, a site "
        "unreachable, a target or catalogue that can't be loaded).",
    )
    audit.add_argument(
        "target", metavar="URL-or-APP", help="http://127.0.0.1:8000 or pkg.module:app"
    )
    audit.add_argument("--catalogue", "-c", required=True, metavar="CATALOGUE")
    audit.add_argument("--path", action="append", help="a page to visit; repeatable (default: /)")
    audit.add_argument(
        "--key",
        "-k",
        action="append",
        help=f"the site's signing key, to also audit after each choice (default: ${KEY_ENV})",
    )
    audit.add_argument("--cookie-name", default="consentkit", help="the consent cookie's name")
    audit.set_defaults(run=_audit)

    tcf = commands.add_parser("tcf", help="decode or encode IAB TCF v2.2 TC strings")
    tcf_commands = tcf.add_subparsers(required=True, metavar="ACTION")
    tcf_decode = tcf_commands.add_parser("decode", help="show a TC string, and check its policy")
    tcf_decode.add_argument("string", metavar="STRING")
    tcf_decode.add_argument("--json", action="store_true", help="the model as JSON")
    tcf_decode.set_defaults(
        run=lambda a, out: _tcf().decode_command(a.string, as_json=a.json, out=out)
    )
    tcf_encode = tcf_commands.add_parser("encode", help="a TC string from a model in JSON")
    tcf_encode.add_argument("model", metavar="MODEL.json")
    tcf_encode.set_defaults(run=lambda a, out: _tcf().encode_command(a.model, out=out))

    from consentkit.ledger._cli import add_parser

    add_parser(commands)
    from consentkit.report._cli import add_parser as add_report_parser

    add_report_parser(commands)
    return parser


def _tcf() -> Any:
    from consentkit.tcf import _cli

    return _cli


def _key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalogue", "-c", required=True, metavar="CATALOGUE")
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument(
        "--key",
        "-k",
        action="append",
        help=f"an HMAC secret key, oldest first; repeatable (default: ${KEY_ENV})",
    )
    keys.add_argument("--private-key", help="an Ed25519 private key (base64url or PEM file)")
    keys.add_argument("--public-key", action="append", help="an Ed25519 public key; repeatable")


def _signer(args: argparse.Namespace) -> TokenSigner:
    if args.private_key:
        return TokenSigner(private_key=_maybe_file(args.private_key))
    if args.public_key:
        return TokenSigner(public_keys=[_maybe_file(key) for key in args.public_key])
    keys = _hmac_keys(args)
    if not keys:
        raise ConfigurationError(f"give --key (or set {KEY_ENV}), --private-key or --public-key")
    return TokenSigner(keys)


def _hmac_keys(args: argparse.Namespace) -> list[str]:
    """The ``--key`` options, else the key in the environment, else none."""
    return list(args.key or ([os.environ[KEY_ENV]] if os.environ.get(KEY_ENV) else []))


def _maybe_file(value: str) -> str:
    """A key given inline, or the path of a PEM file holding it."""
    if os.path.isfile(value):
        with open(value, encoding="ascii") as file:
            return file.read()
    return value


def _init(args: argparse.Namespace, out: TextIO) -> int:
    from consentkit._init import starter_catalogue

    path = Path(args.path)
    if path.is_dir():
        path = path / "catalogue.toml"
    if path.suffix.lower() != ".toml":
        print(f"error: {path} is no .toml file; the starter catalogue is TOML", file=out)
        return 2
    text = starter_catalogue(args.lang, path=str(path))
    try:
        # "x" refuses an existing file at the moment of opening, not at a check before.
        with path.open("w" if args.force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        print(f"error: {path} exists; --force replaces it", file=out)
        return 1
    except OSError as exc:
        print(f"error: can't write {path}: {exc.strerror}", file=out)
        return 1
    print(f"wrote {path}; edit it, then check it with: consentkit check {path}", file=out)
    return 0


def _check(args: argparse.Namespace, out: TextIO) -> int:
    catalogue = Catalogue.from_file(args.catalogue)
    print(
        f"ok: {args.catalogue}, revision {catalogue.revision}: {len(catalogue.purposes)} "
        f"purposes ({len(catalogue.optional_purposes)} optional), {len(catalogue.vendors)} "
        f"vendors, {len(catalogue.cookies)} cookie rules, in {', '.join(catalogue.all_languages)}",
        file=out,
    )
    return 0


def _cookies(args: argparse.Namespace, out: TextIO) -> int:
    catalogue = Catalogue.from_file(args.catalogue)
    lang = args.lang or catalogue.default_language
    if lang not in catalogue.all_languages:
        raise ConfigurationError(
            f"the catalogue has no {lang!r} texts; it has {', '.join(catalogue.all_languages)}"
        )
    rows = []
    for rule in catalogue.cookies:
        vendor = catalogue.vendor(rule.vendor) if rule.vendor else None
        rows.append(
            (
                catalogue.localize(rule.description, lang),
                rule.label or rule.name,
                catalogue.duration_text(rule, lang),
                vendor.name if vendor else _purpose_names(catalogue, rule, lang),
            )
        )
    headings = _HEADINGS.get(lang, _HEADINGS["en"])
    if args.format == "html":
        print(_html_table(headings, rows), file=out)
    else:
        print(_markdown_table(headings, rows), file=out)
    return 0


def _purpose_names(catalogue: Catalogue, rule: CookieRule, lang: str) -> str:
    """The service of the site's own cookie: what it is for, in the catalogue's order."""
    needs = catalogue.purposes_of(rule)
    return ", ".join(catalogue.localize(p.name, lang) for p in catalogue.purposes if p.id in needs)


def _markdown_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headings), line(["---"] * len(headings)), *map(line, rows)])


def _html_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headings)
    body = "\n".join(
        "    <tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table>\n  <thead>\n    <tr>{head}</tr>\n  </thead>\n"
        f"  <tbody>\n{body}\n  </tbody>\n</table>"
    )


def _keygen(args: argparse.Namespace, out: TextIO) -> int:
    if not args.ed25519:
        print(secrets.token_urlsafe(32), file=out)
        return 0
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    print(f"private key (keep secret): {_b64(raw_private)}", file=out)
    print(f"public key:                {_b64(raw_public)}", file=out)
    return 0


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _sign(args: argparse.Namespace, out: TextIO) -> int:
    # Granting a purpose or vendor is a custom choice: say so, rather than sign the
    # accept_all or refuse_all the command line also names.
    chosen = args.purpose or args.vendor is not None
    action = args.action or ("custom" if chosen else "accept_all")
    if chosen and action != "custom":
        print(
            f"error: --purpose and --vendor make a custom choice; drop them, or drop "
            f"--action {action}",
            file=out,
        )
        return 2
    catalogue = Catalogue.from_file(args.catalogue)
    signer = _signer(args)
    try:
        consent = Consent.from_choice(catalogue, action, purposes=args.purpose, vendors=args.vendor)
    except ChoiceError as exc:
        print(f"error: {exc}", file=out)
        return 1
    print(signer.dumps(consent), file=out)
    return 0


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    catalogue = Catalogue.from_file(args.catalogue)
    signer = _signer(args)
    try:
        consent = signer.loads(args.token, catalogue)
    except ExpiredToken as exc:
        print(f"expired: {exc} (the visitor is asked again)", file=out)
        return 1
    except TokenError as exc:
        print(f"{type(exc).__name__}: {exc} (treated as no consent)", file=out)
        return 1
    lang = catalogue.default_language
    print("valid consent", file=out)
    for label, value in (
        ("id", consent.id),
        ("action", consent.action.value),
        ("decided at", f"{consent.decided_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("expires at", f"{consent.expires_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("revision", consent.revision),
    ):
        print(f"  {label:<11} {value}", file=out)
    print("  purposes", file=out)
    for purpose in catalogue.purposes:
        state = "always" if purpose.essential else _yes_no(consent.allows_purpose(purpose.id))
        print(f"    {state:<7} {purpose.id} ({catalogue.localize(purpose.name, lang)})", file=out)
    print("  vendors", file=out)
    for vendor in catalogue.vendors:
        state = (
            "always"
            if vendor.id in catalogue.essential_vendors
            else _yes_no(consent.allows_vendor(vendor.id))
        )
        print(f"    {state:<7} {vendor.id} ({vendor.name})", file=out)
    return 0


def _audit(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when all is well, 1 on a leak or an unhonoured choice, 2 when the audit
    could not check (nothing proved): see ``AuditReport.exit_code``."""
    from consentkit.audit import audit, load_target, target_origin

    try:
        catalogue = Catalogue.from_file(args.catalogue)
        keys = _hmac_keys(args)
        signer = TokenSigner(keys) if keys else None
        report = audit(
            load_target(args.target),
            catalogue,
            args.path or ["/"],
            signer=signer,
            cookie_name=args.cookie_name,
            origin=target_origin(args.target),
        )
    except ConfigurationError as exc:
        print(f"error: {exc}", file=out)
        return 2
    if signer is None:
        print("(no --key: only the first visit is audited, not the choices)", file=out)
    print(report.render(), file=out)
    return report.exit_code


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
