"""Consent analytics from the proof-of-consent ledger: ``consentkit report``.

How many visitors accept, refuse or customise; each optional purpose's and vendor's
opt-in rate over time; French against English visitors; the banner's first layer
against its customise layer; and when a new catalogue revision or banner text came
in. The database counts (SQL ``GROUP BY``), so a report over millions of records
reads a few thousand rows.

::

    from consentkit.report import aggregate, to_json

    report = aggregate("sqlite:///consent.db", by="week")
    report.period.decisions.consent_rate        # 0.62, or None when nobody chose
    to_json(report)                              # what `--format json` prints

:func:`to_html` draws the charts with matplotlib, which only it imports:
``pip install 'consentkit[report]'``. The rest needs nothing beyond consentkit.
See ``docs/report.md``.
"""

from __future__ import annotations

from consentkit.report._aggregate import MAX_BUCKETS as MAX_BUCKETS
from consentkit.report._aggregate import aggregate as aggregate
from consentkit.report._export import SCHEMA as SCHEMA
from consentkit.report._export import to_csv as to_csv
from consentkit.report._export import to_json as to_json
from consentkit.report._html import to_html as to_html
from consentkit.report._model import GRAINS as GRAINS
from consentkit.report._model import Decisions as Decisions
from consentkit.report._model import Marker as Marker
from consentkit.report._model import OptIn as OptIn
from consentkit.report._model import Period as Period
from consentkit.report._model import Report as Report
from consentkit.report._model import parse_date as parse_date
from consentkit.report._model import parse_grain as parse_grain
from consentkit.report._synthetic import seed_synthetic as seed_synthetic

__all__ = [
    "GRAINS",
    "MAX_BUCKETS",
    "SCHEMA",
    "Decisions",
    "Marker",
    "OptIn",
    "Period",
    "Report",
    "aggregate",
    "parse_date",
    "parse_grain",
    "seed_synthetic",
    "to_csv",
    "to_html",
    "to_json",
]
