"""``python -m consentkit``: the same as the ``consentkit`` command."""

from __future__ import annotations

import sys

from consentkit.cli import main

sys.exit(main())
