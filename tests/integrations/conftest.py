"""Shared fixtures for the framework integrations' tests.

consentkit's pytest plugin is loaded here by importing its fixtures, which works in
a non-root conftest (``pytest_plugins`` there is refused by pytest) and keeps working
once the plugin is also registered by its ``pytest11`` entry point.
"""

from __future__ import annotations

from consentkit.pytest_plugin import (  # noqa: F401  # fixtures, found by name
    consentkit_catalogue,
    consentkit_consent,
    consentkit_cookie_header,
)
from tests.helpers import ROOT

EXAMPLES = ROOT / "examples"
GTAG_SRC = "https://www.googletagmanager.com/gtag/js?id=G-DEMO0PQP00"
GTAG_LIVE = f'<script async src="{GTAG_SRC}">'
GTAG_INERT = 'type="text/plain" data-consentkit-vendor="google-analytics"'
