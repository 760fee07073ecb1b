"""A process that appends to a ledger and prints each receipt as soon as it has it.

``python -m tests.ledger_worker URL COUNT`` (COUNT 0: forever). Run by the
concurrency and crash tests: what it printed was acknowledged, so must survive.
"""

from __future__ import annotations

import sys

from consentkit import Catalogue
from consentkit.ledger import Ledger
from tests.helpers import EXAMPLE_CATALOGUE
from tests.ledger_support import KEY, decision


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    catalogue = Catalogue.from_file(EXAMPLE_CATALOGUE)
    with Ledger.open(url, key=KEY) as ledger:
        done = 0
        while count == 0 or done < count:
            receipt = ledger.append(decision(ledger, catalogue)[1])
            sys.stdout.write(f"{receipt.seq} {receipt.chain_hash}\n")
            sys.stdout.flush()
            done += 1


if __name__ == "__main__":
    main()
