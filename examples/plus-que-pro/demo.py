"""What `make demo` shows until the middleware lands: the reference site's catalogue,
its cookie table as the policy prints it, and a signed consent token, checked.

Runs on embedded defaults: the demo key below is public, so it protects nothing.
"""

from __future__ import annotations

import io
import os
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


if __name__ == "__main__":
    demo()
