"""The dashboard's charts: pygal SVG drawn on the server (no script in the browser).

Drawn for a phone: a 400-unit wide canvas with 13-unit text, which the stylesheet scales to
the width of its container (`.chart svg { width: 100% }`, the SVG's viewBox, no fixed size),
so on a 390 px screen the text is read at about its own size and on a desktop the chart
grows to at most 40rem.

pygal draws in pure Python (tens of milliseconds a chart, on the event loop), and a dasbor
is mostly viewed again with the same figures, so each process keeps the last `KEPT` charts
by everything they are drawn from (title, labels, values): the same input, the same SVG.
They hold region names and counts, no personal data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import pygal
from pygal.style import Style

#: the canvas width in SVG units (phone-sized: the stylesheet scales it)
WIDTH = 400
#: how many drawn charts a process keeps (by their whole input)
KEPT = 128

#: dark text on white, a palette distinguishable in grey (contrast ≥ 4.5:1 on white)
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#000000",
    foreground_subtle="#4a4a4a",
    colors=("#0b5394", "#b45f06", "#38761d", "#741b47", "#990000", "#434343"),
    font_family="system-ui, sans-serif",
    title_font_size=15,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=12,
)

#: what every chart shares: phone-sized, scaled by CSS, no script
COMMON = {
    "style": STYLE,
    "width": WIDTH,
    "explicit_size": False,  # a viewBox only: the SVG takes its container's width
    "disable_xml_declaration": True,
    "js": (),  # no script: the SVG's own <title> elements carry the values
    "margin": 8,
    "spacing": 8,
    "truncate_label": 18,
    "truncate_legend": 24,
}


def stacked_bars(title: str, regions: Sequence[str], series: Mapping[str, Sequence[int]]) -> str:
    """A horizontal stacked bar chart (one bar per region, one colour per series), as SVG;
    the legend under it in two columns."""
    return _stacked_bars(
        title, tuple(regions), tuple((name, tuple(values)) for name, values in series.items())
    )


@lru_cache(maxsize=KEPT)
def _stacked_bars(
    title: str, regions: tuple[str, ...], series: tuple[tuple[str, tuple[int, ...]], ...]
) -> str:
    chart = pygal.HorizontalStackedBar(
        title=title,
        height=max(240, 120 + 32 * len(regions) + 22 * ((len(series) + 1) // 2)),
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        print_values=False,
        **COMMON,
    )
    chart.x_labels = list(regions)
    for name, values in series:
        chart.add(name, list(values))
    return str(chart.render(is_unicode=True))


def bars(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """A simple bar chart, as SVG."""
    return _bars(title, tuple(labels), tuple(values))


@lru_cache(maxsize=KEPT)
def _bars(title: str, labels: tuple[str, ...], values: tuple[float | None, ...]) -> str:
    chart = pygal.Bar(
        title=title,
        height=280,
        show_legend=False,
        x_label_rotation=30 if len(labels) > 3 else 0,
        **COMMON,
    )
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    return str(chart.render(is_unicode=True))
