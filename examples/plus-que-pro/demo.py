"""`make demo-cli`: the reference site's catalogue, its cookie table as the policy
prints it, and signed consent tokens, checked. `make demo` prints the intro below and
serves the site itself.

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
    else:
        demo()
