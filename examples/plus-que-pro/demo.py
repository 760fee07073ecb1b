"""`make demo-cli`: the reference site's catalogue, its cookie table as the policy
prints it, and signed consent tokens, checked. `make demo` prints the intro below and
serves the site itself. `make demo-report` (``--seed-report``) writes SYNTHETIC
decisions to a ledger of their own (synthetic.db) and a consent report of them.

Runs on embedded defaults: the demo key below is public, so it protects nothing.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from consentkit.cli import main

HERE = Path(__file__).resolve().parent
CATALOGUE = os.path.relpath(HERE / "catalogue.toml")
DEMO_KEY = "demo-only-key-never-use-in-production"


def run(*argv: str) -> str:
    print(f"\n$ consentkit {' '.join(argv)}")
    out = io.StringIO()
    main(list(argv), out=out)
    print(out.getvalue(), end="")
    return out.getvalue().strip()


def demo() -> None:
    print("consentkit demo: the catalogue of plus-que-pro.fr's cookie policy")
    run("check", CATALOGUE)
    run("cookies", CATALOGUE, "--lang", "fr")
    keys = ("--catalogue", CATALOGUE, "--key", DEMO_KEY)
    for action in ("accept_all", "refuse_all"):
        token = run("token", "sign", *keys, "--action", action)
        print(f"({len(token)} bytes: the value of the `consentkit` cookie)")
        run("token", "inspect", token, *keys)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    run("token", "inspect", tampered, *keys)


#: Synthetic decisions go to a ledger of their own, never into the demo's ledger of
#: real clicks: back-dated history after real records would break its time order,
#: and a proof must never mix in made-up records.
SYNTHETIC = HERE / "synthetic.db"
REPORT = HERE / "report.html"


def seed_report(count: int = 4000, days: int = 120) -> None:
    """A fresh synthetic ledger, then `consentkit report` on it, in French."""
    from consentkit import Catalogue
    from consentkit.ledger import Ledger
    from consentkit.report import seed_synthetic

    for stale in HERE.glob("synthetic.db*"):
        stale.unlink()
    url = f"sqlite:///{os.path.relpath(SYNTHETIC)}"
    print(f"consentkit demo: {count} SYNTHETIC decisions over {days} days (generated, not real)")
    with Ledger.open(
        url, key=DEMO_LEDGER_KEY, origin="consentkit.synthetic/plus-que-pro"
    ) as ledger:
        written = seed_synthetic(ledger, Catalogue.from_file(CATALOGUE), count, days=days)
    print(f"wrote {written} records to {os.path.relpath(SYNTHETIC)}")
    report = os.path.relpath(REPORT)
    run(
        "report",
        "--db",
        url,
        "--by",
        "week",
        "--lang",
        "fr",
        "--since",
        _weeks_ago(12),
        "-o",
        report,
    )
    # The same figures as plain data, for a site's own admin pages:
    from consentkit.report import aggregate

    figures = aggregate(url, by="week").period
    print(f"\n>>> aggregate({url!r}, by='week').period  # {figures.start} to {figures.end}")
    print(
        f"  {figures.decisions.total} decisions, consent rate {figures.decisions.consent_rate:.1%}"
    )
    for lang, counted in figures.languages.items():
        print(f"  {lang}: {counted.total} decisions, consent rate {counted.consent_rate:.1%}")
    print(f"\nOpen {report} in a browser (it needs nothing else). On your own clicks:")
    print(f"  consentkit report --db sqlite:///{os.path.relpath(HERE / 'ledger.db')} -o mine.html")


def _weeks_ago(weeks: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC).date() - timedelta(weeks=weeks)).isoformat()


DEMO_LEDGER_KEY = "demo-only-ledger-key-never-use-in-production"

INTRO = """
consentkit demo: the reference site (plus-que-pro.fr's cookie policy) on http://127.0.0.1:8000

  Open it in a browser, or compare with curl:
    curl -s http://127.0.0.1:8000/ | grep googletagmanager       # GA neutralised: no consent yet
    curl -s -D- -o /dev/null http://127.0.0.1:8000/mon-compte | grep -i set-cookie  # _ga dropped
    curl -s -D- -o /dev/null -d action=accept_all \\
        http://127.0.0.1:8000/_consentkit/consent | grep -i set-cookie
    curl -s -H 'Cookie: consentkit=<token above>' http://127.0.0.1:8000/ | grep googletagmanager
  "Gestion des cookies" (http://127.0.0.1:8000/cookies) changes or withdraws the choice.

  Every choice is recorded in the proof-of-consent ledger (examples/plus-que-pro/ledger.db)
  before its cookie is set; each page shows your receipt. From examples/plus-que-pro:
    consentkit ledger verify --db sqlite:///ledger.db
    consentkit ledger proof <consent id> --db sqlite:///ledger.db \
        --key demo-only-ledger-key-never-use-in-production
"""


if __name__ == "__main__":
    if "--intro" in sys.argv:
        print(INTRO)
    elif "--seed-report" in sys.argv:
        seed_report()
    else:
        demo()
