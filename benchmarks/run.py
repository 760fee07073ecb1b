"""Run every benchmark: `make bench`.

Each module's ``main()`` measures its subject and a baseline in the same run and
prints their ratio; nothing here asserts a time, since the machines are shared.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("bench_*.py")):
        print(f"\n== {path.stem} ==")
        importlib.import_module(path.stem).main()


if __name__ == "__main__":
    main()
