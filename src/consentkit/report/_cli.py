"""``consentkit report --db URL [--since DATE] [--until DATE] [--by GRAIN] -o FILE``.

A date or grain that can't be read is a usage error (exit 2, argparse's message
naming the option); a ledger that can't be read, a period that makes no sense or a
missing charting extra is one ``error:`` line and exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from typing import TextIO

from consentkit.exceptions import LedgerError, ReportError
from consentkit.report._model import GRAINS, parse_date

__all__ = ["add_parser"]

#: Read when no ``--db`` is given, as by ``consentkit ledger``.
DB_ENV = "CONSENTKIT_LEDGER"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report",
        help="consent analytics from the ledger: HTML charts, or JSON or CSV",
        description="Count the ledger's decisions in the database and write a report: "
        "a self-contained HTML page (charts need 'consentkit[report]'), or the same "
        "figures as JSON or CSV. Days are UTC days; both ends are included.",
    )
    report.add_argument(
        "--db", default=os.environ.get(DB_ENV), help=f"the ledger's URL (default: ${DB_ENV})"
    )
    report.add_argument(
        "--since",
        type=_date("--since"),
        metavar="DATE",
        help="first day, YYYY-MM-DD (default: 30 days, 12 weeks or 12 months before --until)",
    )
    report.add_argument(
        "--until",
        type=_date("--until"),
        metavar="DATE",
        help="last day, YYYY-MM-DD (default: the day of the last record)",
    )
    report.add_argument(
        "--by", choices=GRAINS, default="day", type=str.lower, help="one point per (default: day)"
    )
    report.add_argument("--lang", choices=("en", "fr"), default="en", help="HTML report language")
    report.add_argument("--format", choices=("html", "json", "csv"), default="html")
    report.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write it (default: stdout)"
    )
    report.set_defaults(run=_run)


def _date(option: str) -> argparse._ActionType:
    def parse(text: str) -> date:
        try:
            return parse_date(text, what=option)
        except ReportError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from consentkit.report._aggregate import aggregate
    from consentkit.report._export import to_csv, to_json

    try:
        if not args.db:
            raise ReportError(f"give --db URL (or set {DB_ENV})")
        report = aggregate(args.db, since=args.since, until=args.until, by=args.by)
        if args.format == "json":
            text = json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
        elif args.format == "csv":
            text = to_csv(report)
        else:
            from consentkit.report._html import to_html

            text = to_html(report, lang=args.lang)
    except (ReportError, LedgerError) as exc:
        print(f"error: {exc}", file=out)
        return 1
    if args.output == "-":
        out.write(text)
        return 0
    try:
        # newline="": CSV brings its own \r\n; the rest has plain \n.
        with open(args.output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as exc:
        print(f"error: can't write {args.output}: {exc.strerror}", file=out)
        return 1
    p = report.period
    print(f"wrote {args.output}: {p.decisions.total} decisions, {p.start} to {p.end}", file=out)
    return 0
