"""The HTML report's charts: matplotlib figures saved as SVG text, to inline in the page.

Only this module imports matplotlib, and only when a chart is drawn: ``import
consentkit`` and the JSON and CSV reports never pay for it. No pyplot (no global
figure state, no display): a :class:`~matplotlib.figure.Figure` saved straight to
SVG. Output is made deterministic (a fixed hash salt per chart, no date or creator
metadata), so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import matplotlib
from matplotlib import dates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from consentkit.report._model import Marker, Period

__all__ = ["ACTION_COLOURS", "COLOURS", "SOURCE_COLOURS", "TimeAxis", "bars_chart", "lines_chart"]

#: Okabe–Ito colours: told apart by colour-blind readers, and in grey print.
COLOURS = ("#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999")
SOURCE_COLOURS = {
    "banner_first_layer": "#0072B2",
    "banner_customise": "#E69F00",
    "form": "#CC79A7",
    "api": "#56B4E9",
}
ACTION_COLOURS = {
    "accept_all": "#009E73",
    "custom": "#E69F00",
    "refuse_all": "#9AA0A6",
    "withdraw": "#CC79A7",
}
# matplotlib.dates has no annotations: typed once here.
date2num: Callable[[datetime], float] = dates.date2num
AutoDateLocator: Callable[..., Any] = dates.AutoDateLocator
DateFormatter: Callable[[str], Any] = dates.DateFormatter
_WIDTH_IN = 8.4
_HEIGHT_IN = 3.1
_TEXT = "#333333"


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """What every chart of a report shares: its buckets, markers, grain and language."""

    buckets: Sequence[Period]
    markers: Sequence[Marker]
    by: str
    lang: str

    def middles(self) -> list[float]:
        """Each bucket's middle, as a matplotlib date number."""
        return [
            float(date2num(datetime.combine(b.start, time()) + (b.end - b.start + _DAY) / 2))
            for b in self.buckets
        ]

    def bar_widths(self) -> list[float]:
        """Each bar as wide as 80 % of its bucket: a week cut by the period is narrower."""
        return [((b.end - b.start).days + 1) * 0.8 for b in self.buckets]


_DAY = timedelta(days=1)


def _axes(axis: TimeAxis) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(_WIDTH_IN, _HEIGHT_IN), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8.5, colors=_TEXT)
    pattern = {"month": "%m/%Y"}.get(axis.by, "%d/%m" if axis.lang == "fr" else "%b %d")
    ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=10))
    ax.xaxis.set_major_formatter(DateFormatter(pattern))
    if axis.buckets:
        first = datetime.combine(axis.buckets[0].start, time())
        last = datetime.combine(axis.buckets[-1].end, time()) + _DAY
        pad = max((last - first) * 0.01, timedelta(hours=6))
        ax.set_xlim(float(date2num(first - pad)), float(date2num(last + pad)))
    return fig, ax


def _markers(ax: Axes, markers: Sequence[Marker]) -> None:
    seen: dict[date, list[str]] = {}
    for marker in markers:
        seen.setdefault(marker.day, [])
        letter = "R" if marker.kind == "revision" else "N"
        if letter not in seen[marker.day]:
            seen[marker.day].append(letter)
    for day, letters in seen.items():
        x = float(date2num(datetime.combine(day, time())))
        ax.axvline(x, color="#555555", linestyle=(0, (3, 3)), linewidth=0.9, zorder=3)
        ax.annotate(
            "".join(letters),
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            fontsize=8,
            color=_TEXT,
            va="top",
        )


def _percent_axis(ax: Axes, label: str, lang: str) -> None:
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(
        PercentFormatter(decimals=0, symbol="\u202f%" if lang == "fr" else "%")
    )
    ax.set_ylabel(label, fontsize=8.5, color=_TEXT)


def bars_chart(
    axis: TimeAxis,
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    rate: tuple[str, Sequence[float | None]] | None,
    count_label: str,
    rate_label: str,
    salt: str,
) -> str:
    """Stacked bars (``(label, colour, counts)`` per series), optionally a rate line on a
    second axis, as SVG text."""
    fig, ax = _axes(axis)
    x, width = axis.middles(), axis.bar_widths()
    bottom = [0] * len(x)
    handles: list[Any] = []
    for label, colour, counts in series:
        handles.append(ax.bar(x, counts, width, bottom=bottom, color=colour, label=label))
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylabel(count_label, fontsize=8.5, color=_TEXT)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if rate is not None:
        twin = ax.twinx()
        twin.spines[["top"]].set_visible(False)
        twin.tick_params(labelsize=8.5, colors=_TEXT)
        (line,) = twin.plot(x, _percents(rate[1]), label=rate[0], **_line("#222222", len(x)))
        handles.append(line)
        _percent_axis(twin, rate_label, axis.lang)
    _markers(ax, axis.markers)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 5),
        frameon=False,
        fontsize=8.5,
    )
    return _svg(fig, salt)


def lines_chart(
    axis: TimeAxis,
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    rate_label: str,
    salt: str,
) -> str:
    """One rate line per series (``(label, rates)``), 0 to 100 %, as SVG text."""
    fig, ax = _axes(axis)
    x = axis.middles()
    for index, (label, rates) in enumerate(series):
        ax.plot(x, _percents(rates), label=label, **_line(COLOURS[index % len(COLOURS)], len(x)))
    _percent_axis(ax, rate_label, axis.lang)
    _markers(ax, axis.markers)
    fig.legend(
        loc="outside lower center", ncols=max(1, min(len(series), 4)), frameon=False, fontsize=8.5
    )
    return _svg(fig, salt)


def _percents(rates: Sequence[float | None]) -> list[float]:
    """Rates as percents; a bucket where nobody chose is a gap in the line, not a zero."""
    return [math.nan if r is None else r * 100 for r in rates]


def _line(colour: str, points: int) -> dict[str, Any]:
    # Dots show the points, and a lone point at all, when there are few of them.
    return {
        "color": colour,
        "linewidth": 1.6,
        "marker": "o" if points <= 40 else None,
        "markersize": 3,
    }


_DROP = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->|<metadata>.*?</metadata>", re.S)
_ROOT = re.compile(r"<svg\b[^>]*>")


def _svg(fig: Figure, salt: str) -> str:
    """The figure as an ``<svg>`` element to inline in HTML: no prolog, doctype,
    comments or metadata (the doctype names a DTD on the web), sized by CSS."""
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"consentkit-{salt}", "svg.fonttype": "path"}):
        fig.savefig(
            out,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = _DROP.sub("", out.getvalue()).strip()
    match = _ROOT.search(text)
    if match is None:  # pragma: no cover - matplotlib always writes one
        raise ValueError("matplotlib wrote no <svg> element")
    view = re.search(r'viewBox="([^"]*)"', match.group(0))
    root = f'<svg viewBox="{view.group(1) if view else "0 0 600 220"}" version="1.1">'
    return text[: match.start()] + root + text[match.end() :]
