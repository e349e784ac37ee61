"""The dashboard's charts: pygal SVG drawn on the server (no script in the browser)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

#: dark text on white, a palette distinguishable in grey (contrast ≥ 4.5:1 on white)
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#000000",
    foreground_subtle="#4a4a4a",
    colors=("#0b5394", "#b45f06", "#38761d", "#741b47", "#990000", "#434343"),
    font_family="system-ui, sans-serif",
)


def stacked_bars(title: str, regions: Sequence[str], series: Mapping[str, Sequence[int]]) -> str:
    """A horizontal stacked bar chart (one bar per region, one colour per series), as SVG."""
    chart = pygal.HorizontalStackedBar(
        style=STYLE,
        title=title,
        height=max(220, 60 + 28 * len(regions)),
        legend_at_bottom=True,
        print_values=False,
        disable_xml_declaration=True,
        js=(),  # no script: the SVG's own <title> elements carry the values
    )
    chart.x_labels = list(regions)
    for name, values in series.items():
        chart.add(name, list(values))
    return str(chart.render(is_unicode=True))


def bars(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """A simple bar chart, as SVG."""
    chart = pygal.Bar(
        style=STYLE,
        title=title,
        height=260,
        show_legend=False,
        disable_xml_declaration=True,
        js=(),
    )
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    return str(chart.render(is_unicode=True))
