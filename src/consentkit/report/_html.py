"""The report as one self-contained HTML page: open it anywhere, print it, mail it.

Nothing in it asks another host for anything: the styles are inline, the charts
are inline SVG, there are no scripts and no web fonts (the reader's own sans-serif
is used). The summary table comes first, then one chart per question, each with a
sentence saying what it shows, then the caveats.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import timedelta

from consentkit.exceptions import ReportError
from consentkit.ledger import SOURCES
from consentkit.report._model import (
    ACTIONS,
    Decisions,
    OptIn,
    Period,
    Report,
    bucket_start,
    next_bucket,
)
from consentkit.report._texts import LANGUAGES, TEXTS, number, percent, points, relative

__all__ = ["MISSING_EXTRA", "to_html"]

#: What a missing ``consentkit[report]`` extra says.
MISSING_EXTRA = (
    "the HTML report draws its charts with matplotlib: pip install 'consentkit[report]' "
    "(--format json and csv need nothing more)"
)

_STYLE = """
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 62rem; padding: 1.5rem 1.25rem 3rem; color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; background: #fff; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .4rem; border-bottom: 1px solid var(--line);
  padding-bottom: .2rem; }
p { margin: .3rem 0; }
.meta, .note { color: var(--muted); font-size: .88rem; }
.synthetic { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem .75rem;
  border-radius: 6px; margin: .75rem 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid var(--ink); }
tr.sub th { font-weight: normal; padding-left: 1.6rem; }
table.left td, table.left th { text-align: left; }
td.up { color: #116329; } td.down { color: #a40e26; }
figure { margin: .5rem 0 1.25rem; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .2rem; }
.empty { color: var(--muted); font-style: italic; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 2rem; }
@media (max-width: 40rem) { .cols { grid-template-columns: 1fr; } }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, .synthetic { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def to_html(report: Report, *, lang: str = "en") -> str:
    """The report as a self-contained HTML page in ``lang`` (``en`` or ``fr``).

    :raises ReportError: for another language, or when matplotlib is missing
        (``pip install 'consentkit[report]'``).
    """
    if lang not in LANGUAGES:
        raise ReportError(f"the report speaks {' or '.join(LANGUAGES)}, not {lang!r}")
    try:
        from consentkit.report import _charts  # matplotlib: only now, only here
    except ImportError as exc:
        raise ReportError(MISSING_EXTRA) from exc

    t = TEXTS[lang]
    esc = html.escape
    p, before = report.period, report.previous
    parts = [
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(t['title'])} · {p.start} – {p.end}</title>",
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<header>",
        f"<h1>{esc(t['title'])}</h1>",
        f"<p><strong>{esc(t['period'].format(start=p.start, end=p.end, grain=t[report.by]))}"
        "</strong></p>",
        f'<p class="meta">{esc(t["previous"].format(start=before.start, end=before.end))}<br>'
        + esc(
            t["generated"].format(
                origin=report.origin, at=report.generated_at.strftime("%Y-%m-%d %H:%M")
            )
        )
        + "</p>",
    ]
    first = report.first_record
    if first is not None and first > before.start:
        parts.append(f'<p class="meta">{esc(t["incomplete"].format(day=first))}</p>')
    if "synthetic" in report.origin:
        parts.append(f'<p class="synthetic">{esc(t["synthetic"])}</p>')
    parts.append("</header>\n<main>")
    parts += _summary(report, lang)
    buckets, markers = report.buckets, report.markers
    axis = _charts.TimeAxis(buckets, markers, report.by, lang)
    empty = p.decisions.total == 0
    parts.append(f"<h2>{esc(t['over_time'])}</h2>")
    if empty:
        parts.append(f'<p class="empty">{esc(t["empty"])}</p>')
    else:
        svg = _charts.bars_chart(
            axis,
            [
                (t[a], _charts.ACTION_COLOURS[a], [b.decisions.count(a) for b in buckets])
                for a in ACTIONS
            ],
            rate=(t["consent_rate"], [b.decisions.consent_rate for b in buckets]),
            count_label=t["count_axis"],
            rate_label=t["rate_axis"],
            salt="decisions",
        )
        note = t["over_time_note"]
        opening, closing = buckets[0], buckets[-1]
        whole_end = next_bucket(bucket_start(closing.start, report.by), report.by)
        cut = opening.start != bucket_start(opening.start, report.by) or (
            closing.end != whole_end - timedelta(days=1)
        )
        if cut:
            note += " " + t["partial"].format(grain=t[f"{report.by}s"])
        parts.append(_figure(svg, t["over_time"], note))
    for kind in ("purposes", "vendors"):
        parts.append(f"<h2>{esc(t[kind])}</h2>")
        items = list(getattr(report, kind))
        if empty:
            parts.append(f'<p class="empty">{esc(t["empty"])}</p>')
        elif not items:
            what = t[f"{kind}_word"]
            parts.append(f'<p class="empty">{esc(t["no_optional"].format(what=what))}</p>')
        else:
            series = [
                (report.name(kind, i, lang), [_optin(b, kind, i).rate for b in buckets])
                for i in items
            ]
            svg = _charts.lines_chart(axis, series, rate_label=t["optin_axis"], salt=kind)
            parts.append(_figure(svg, t[kind], t["optin_note"]))
    parts.append(f"<h2>{esc(t['by_language'])}</h2>")
    languages = sorted(p.languages, key=lambda k: -p.languages[k].total)
    parts.append(_split_table(p.languages, languages, t["language"], _language(lang), lang))
    if not empty:
        series = [
            (_language(lang)(k), [b.languages.get(k, Decisions()).consent_rate for b in buckets])
            for k in languages
        ]
        svg = _charts.lines_chart(axis, series, rate_label=t["rate_axis"], salt="languages")
        parts.append(_figure(svg, t["by_language"], t["by_language_note"]))
    parts.append(f"<h2>{esc(t['by_source'])}</h2>")
    sources = [k for k in SOURCES if k in p.sources] + sorted(set(p.sources) - set(SOURCES))
    parts.append(_split_table(p.sources, sources, t["source"], lambda k: t.get(k, k), lang))
    if not empty:
        bars = [
            (
                t.get(k, k),
                _charts.SOURCE_COLOURS.get(k, "#999999"),
                [b.sources.get(k, Decisions()).total for b in buckets],
            )
            for k in sources
        ]
        svg = _charts.bars_chart(
            axis, bars, rate=None, count_label=t["count_axis"], rate_label="", salt="sources"
        )
        parts.append(_figure(svg, t["by_source"], t["by_source_note"]))
    parts += _changes(report, lang)
    parts.append(f"<h2>{esc(t['caveats'])}</h2>\n<ul>")
    parts += [f"<li>{esc(t[k])}</li>" for k in ("caveat_people", "caveat_bots", "caveat_withdraw")]
    parts.append("</ul>\n</main>\n</body>\n</html>\n")
    return "\n".join(parts)


def _language(lang: str) -> Callable[[str], str]:
    names = TEXTS[lang]

    def name(code: str) -> str:
        return names.get(f"lang_{code}", code)

    return name


def _optin(period: Period, kind: str, item: str) -> OptIn:
    table: dict[str, OptIn] = getattr(period, kind)
    return table.get(item, OptIn())


def _figure(svg: str, label: str, note: str) -> str:
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1)
    return f"<figure>\n{svg}\n<figcaption>{html.escape(note)}</figcaption>\n</figure>"


def _trend(text: str) -> str:
    if text.startswith("+") and not text.startswith("+0.0") and not text.startswith("+0,0"):
        return ' class="up"'
    if text.startswith("-") and not text.startswith("-0.0") and not text.startswith("-0,0"):
        return ' class="down"'
    return ""


def _summary(report: Report, lang: str) -> list[str]:
    t = TEXTS[lang]
    esc = html.escape
    now, before = report.period, report.previous
    rows: list[tuple[str, str, str, str, bool]] = []
    d, e = now.decisions, before.decisions
    rows.append(
        (
            t["decisions"],
            number(d.total, lang),
            number(e.total, lang),
            relative(d.total, e.total, lang),
            False,
        )
    )
    for action in ACTIONS:
        a, b = d.count(action), e.count(action)
        rows.append((t[action], number(a, lang), number(b, lang), relative(a, b, lang), True))
    rows.append(
        (
            t["consent_rate"],
            percent(d.consent_rate, lang),
            percent(e.consent_rate, lang),
            points(d.consent_rate, e.consent_rate, lang),
            False,
        )
    )
    for kind in ("purposes", "vendors"):
        for item in getattr(report, kind):
            a_rate, b_rate = _optin(now, kind, item).rate, _optin(before, kind, item).rate
            label = t["opt_in"].format(name=report.name(kind, item, lang))
            rows.append(
                (
                    label,
                    percent(a_rate, lang),
                    percent(b_rate, lang),
                    points(a_rate, b_rate, lang),
                    False,
                )
            )
    out = [
        f"<h2>{esc(t['summary'])}</h2>",
        "<table>",
        f'<thead><tr><th scope="col"></th><th scope="col">{esc(t["this_period"])}</th>'
        f'<th scope="col">{esc(t["previous_period"])}</th><th scope="col">{esc(t["change"])}</th>'
        "</tr></thead>\n<tbody>",
    ]
    for label, a_text, b_text, change, sub in rows:
        row = ' class="sub"' if sub else ""
        # Only rates are coloured: more decisions is neither good nor bad news.
        trend = _trend(change) if change.endswith(t["pts"]) else ""
        out.append(
            f'<tr{row}><th scope="row">{esc(label)}</th><td>{esc(a_text)}</td>'
            f"<td>{esc(b_text)}</td><td{trend}>{esc(change)}</td></tr>"
        )
    out.append("</tbody>\n</table>")
    return out


def _split_table(
    table: dict[str, Decisions],
    order: Sequence[str],
    heading: str,
    name: Callable[[str], str],
    lang: str,
) -> str:
    t = TEXTS[lang]
    esc = html.escape
    if not table:
        return f'<p class="empty">{esc(t["empty"])}</p>'
    total = sum(d.total for d in table.values()) or 1
    head = [heading, t["decisions"], t["share"], *(t[a] for a in ACTIONS), t["consent_rate"]]
    rows = [
        "<table>",
        "<thead><tr>" + "".join(f'<th scope="col">{esc(h)}</th>' for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for key in order:
        d = table[key]
        cells = [
            number(d.total, lang),
            percent(d.total / total, lang),
            *(number(d.count(a), lang) for a in ACTIONS),
            percent(d.consent_rate, lang),
        ]
        rows.append(
            f'<tr><th scope="row">{esc(name(key))}</th>'
            + "".join(f"<td>{esc(c)}</td>" for c in cells)
            + "</tr>"
        )
    rows.append("</tbody>\n</table>")
    return "\n".join(rows)


def _changes(report: Report, lang: str) -> Sequence[str]:
    t = TEXTS[lang]
    esc = html.escape
    out = [f"<h2>{esc(t['changes'])}</h2>"]
    revisions = report.period.revisions
    if revisions:
        order = sorted(revisions)
        out.append(_split_table(revisions, order, t["revision_heading"], lambda k: k, lang))
    out.append(f'<p class="note">{esc(t["changes_note"])}</p>')
    if not report.markers:
        return [*out, f'<p class="empty">{esc(t["no_changes"])}</p>']
    out.append(
        f'<table class="left">\n<thead><tr><th scope="col">{esc(t["date"])}</th>'
        f'<th scope="col">{esc(t["what"])}</th></tr></thead>\n<tbody>'
    )
    for m in report.markers:
        if m.kind == "revision":
            what = t["revision"].format(value=m.value)
        else:
            language = _language(lang)(m.language or "")
            what = t["notice"].format(language=language, value=m.value[:12] + "…")
        out.append(f"<tr><td>{m.day}</td><td>{esc(what)}</td></tr>")
    out.append("</tbody>\n</table>")
    return out
