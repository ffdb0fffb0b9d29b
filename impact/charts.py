"""Charts drawn on the server as SVG with pygal: the same chart in the page and
in the PDF. Each chart goes out as a data-URI image (no script, nothing for a
Content-Security-Policy to allow beyond `img-src data:`), always beside a
table of its numbers for screen readers and for anyone who prefers numbers.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pygal
from django.core.cache import cache
from pygal.style import Style

from .analysis import GroupChange, PerformanceTable, TrendPoint

# Large type and strong colours: the charts must read when printed in black and
# white on A4 and at 200% zoom. Colours pass 3:1 contrast against white.
CHART_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#1d70b8", "#d4351c", "#00703c", "#6f72af", "#b58840", "#505a5f"),
    font_family="DejaVu Sans, Arial, sans-serif",
    title_font_size=22,
    label_font_size=16,
    major_label_font_size=16,
    value_font_size=15,
    value_label_font_size=15,
    legend_font_size=16,
    tooltip_font_size=14,
    # Gridlines light and solid, so that they guide the eye without crossing the figures.
    guide_stroke_color="#dee0e2",
    guide_stroke_dasharray="none",
    major_guide_stroke_color="#b1b4b6",
    major_guide_stroke_dasharray="none",
)
VALUE_FONT_SIZE = 15

COMMON = {
    "style": CHART_STYLE,
    "js": [],  # no tooltips script: the chart is an image
    "disable_xml_declaration": False,
    "width": 900,
    "height": 420,
    "explicit_size": True,
    "margin": 20,
}


# pygal always writes its configuration as a <script> into the SVG; an image
# never runs it, but the file is cleaner (and safer to embed) without.
_SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)


def _svg(chart) -> bytes:
    return _SCRIPT.sub(b"", chart.render())


@dataclass(frozen=True)
class Chart:
    title: str
    description: str  # the image's alt text: what the chart shows, in words
    svg: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


def _cached(kind: str, data: object, build: Callable[[], Chart]) -> Chart:
    """A chart is a pure function of its numbers: drawing one takes pygal tens of
    milliseconds, so the same numbers are drawn once an hour at most."""
    key = f"impact:chart:{kind}:" + hashlib.sha256(repr(data).encode()).hexdigest()
    chart = cache.get(key)
    if chart is None:
        chart = build()
        cache.set(key, chart, 60 * 60)
    return chart


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def change_chart(table: PerformanceTable) -> Chart:
    """Average change per group: supported schools, LLE schools, the LA, England."""
    data = (table.measure, table.year_from, table.year_to, [(r.label, r.schools, r.change) for r in table.rows])
    return _cached("change", data, lambda: _change_chart(table))


def _change_chart(table: PerformanceTable) -> Chart:
    rows: list[GroupChange] = [row for row in table.shown_rows if row.change is not None]
    ticks = _ticks([float(row.change) for row in rows])  # type: ignore[arg-type]  # rows with a change
    chart = pygal.HorizontalBar(
        **{**COMMON, "height": max(260, 90 + 70 * len(rows))},
        title=f"Average change {table.year_from} to {table.year_to} ({table.measure.unit})",
        show_legend=False,
        print_values=True,
        print_values_position="top",
        value_formatter=_signed,
        show_y_guides=True,
        range=(ticks[0], ticks[-1]),
        truncate_label=-1,
    )
    # pygal draws the first label at the bottom: reverse so the table's order reads top-down.
    ordered = list(reversed(rows))
    chart.y_labels = ticks
    chart.x_labels = [_short(row) for row in ordered]
    chart.add("Average change", [
        {"value": _num(row.change), "color": CHART_STYLE.colors[1] if (row.change or 0) < 0 else CHART_STYLE.colors[0]}
        for row in ordered
    ])
    words = "; ".join(f"{row.label}: {row.change_display}" for row in rows) or "no comparable results"
    return Chart(
        title=f"Average change in {table.measure.label}, {table.year_from} to {table.year_to}",
        description=f"Bar chart of the average change by group. {words}.",
        svg=_clear_labels(_svg(chart), horizontal=True),
    )


def _signed(value: float) -> str:
    """One decimal place and a sign, as in the tables: "+1.0", "-0.5", "0.0"."""
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


# Room past the longest bar for its value label ("+16.9"), as a share of the axis.
LABEL_ROOM = 0.15


def _ticks(values: list[float], count: int = 5) -> list[float]:
    """Round values for the value axis, spanning `values`, zero and room for the
    value labels past the bars' ends: a step of 1, 2 or 5 times a power of ten
    (0.1 at least: the figures have one decimal place), about `count` of them."""
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    step = _step(span, count)
    room = LABEL_ROOM * span
    first = math.floor((low - room if low < 0 else low) / step + 1e-9)
    last = math.ceil((high + room if high > 0 else high) / step - 1e-9)
    if last <= 0:
        last = 1  # pygal squeezes a horizontal bar chart whose range ends at zero: leave room past it
    return [round(k * step, 1) + 0.0 for k in range(first, last + 1)]  # + 0.0 turns -0.0 into 0.0


def _step(span: float, count: int) -> float:
    """A step of 1, 2 or 5 times a power of ten (0.1 at least) giving about `count` intervals over `span`."""
    raw = (span or 1.0) / count
    return next(m * 10 ** e for e in range(-1, 9) for m in (1, 2, 5) if m * 10 ** e >= raw - 1e-9)


def _level_ticks(values: list[float], count: int = 5) -> list[float]:
    """Round ticks for levels (not changes: zero need not be on the axis), with a
    step of room below the lowest value and above the highest."""
    if not values:
        return []
    low, high = min(values), max(values)
    step = _step(high - low, count)
    first = math.floor(low / step + 1e-9) - 1
    last = math.ceil(high / step - 1e-9) + 1
    return [round(k * step, 1) + 0.0 for k in range(first, last + 1)]


_VALUE = re.compile(
    rb'<text text-anchor="middle" x="(?P<x>[-\d.]+)" y="(?P<y>[-\d.]+)" class="value">(?P<text>[^<]*)</text>'
)


def _clear_labels(svg: bytes, *, horizontal: bool) -> bytes:
    """Move each value label clear of its bar: past the end of a horizontal bar
    (right of a positive one, left of a negative one), above a vertical one, on
    a white ground so a gridline never runs through it. pygal centres labels on
    the bar's end, half over the bar."""
    gap, height = 8, VALUE_FONT_SIZE + 6

    def place(match: re.Match) -> bytes:
        x, y, text = float(match["x"]), float(match["y"]), match["text"].decode()
        width = 0.62 * VALUE_FONT_SIZE * len(text) + 6
        if horizontal:
            negative = text.startswith(("-", "−"))
            anchor = "end" if negative else "start"
            x = x - gap if negative else x + gap
            left = x - width + 3 if negative else x - 3
        else:
            anchor, y = "middle", y - gap
            left = x - width / 2
        top = y - VALUE_FONT_SIZE
        return (
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height}" fill="white" '
            f'stroke="none" class="value-ground"/>'
            f'<text text-anchor="{anchor}" x="{x:.1f}" y="{y:.1f}" class="value">{text}</text>'
        ).encode()

    return _VALUE.sub(place, svg)


def _short(row: GroupChange) -> str:
    label = row.label
    if row.schools is not None:
        label += f" ({row.schools})"
    return label


def trend_chart(points: list[TrendPoint], school_name: str, measure_label: str) -> Chart:
    """A school's results over the years beside the LA average of the same measure."""
    return _cached("trend", (points, school_name, measure_label),
                   lambda: _trend_chart(points, school_name, measure_label))


def _trend_chart(points: list[TrendPoint], school_name: str, measure_label: str) -> Chart:
    chart = pygal.Line(
        **COMMON,
        title=measure_label,  # pygal wraps a long name over lines: shown whole, never cut
        show_legend=True,
        legend_at_bottom=True,
        print_values=False,
        dots_size=6,
        stroke_style={"width": 4},
        allow_interruptions=True,
        value_formatter=lambda v: f"{v:.1f}",
    )
    school = [_num(point.school) for point in points]
    la = [_num(point.la_published or point.la_average) for point in points]
    ticks = _level_ticks([v for v in school + la if v is not None])
    if ticks:
        # Round ticks a step beyond the values, so that no line runs along the axis.
        chart.y_labels = ticks
        chart.range = (ticks[0], ticks[-1])
    chart.x_labels = [str(point.year) for point in points]
    chart.add(_ellipsis(school_name), school)
    chart.add("LA average", la)
    words = "; ".join(
        f"{p.year}: school {p.school if p.school is not None else 'not published'}, "
        f"LA {p.la_published or p.la_average or 'not available'}"
        for p in points
    ) or "no results"
    return Chart(
        title=f"{school_name}: {measure_label} against the LA average",
        description=f"Line chart of the school's results and the LA average by year. {words}.",
        svg=_svg(chart),
    )


def _ellipsis(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def survey_chart(results) -> Chart | None:
    """Agreement by theme, LLEs and client heads side by side; groups under the
    minimum size are left out (their bars are missing, and the table says why)."""
    if not results or all(r.lle.agree_percent is None and r.client.agree_percent is None for r in results):
        return None
    return _cached("survey", results, lambda: _survey_chart(results))


def _survey_chart(results) -> Chart:
    # Horizontal bars: the themes' names read in full beside their bars.
    ordered = list(reversed(results))  # pygal draws the first label at the bottom
    chart = pygal.HorizontalBar(
        **{**COMMON, "height": max(300, 120 + 80 * len(results))},
        title="Survey: % agreeing, by theme",
        show_legend=True,
        legend_at_bottom=True,
        print_values=True,
        print_values_position="top",
        # The axis runs to 120 to leave room past 100% for the value labels; 120 itself is not labelled.
        value_formatter=lambda v: "" if v > 100 else f"{v:.0f}%",
        range=(0, 120),
        show_y_guides=True,
        truncate_label=-1,
        allow_interruptions=True,
    )
    chart.y_labels = [0, 20, 40, 60, 80, 100, 120]
    chart.x_labels = [result.label for result in ordered]
    # pygal draws a group's first series at its top: LLEs above client heads, as the table's columns.
    chart.add("LLEs", [_num(result.lle.agree_percent) for result in ordered])
    chart.add("Client headteachers", [_num(result.client.agree_percent) for result in ordered])
    words = "; ".join(
        f"{r.label}: LLEs {_pct(r.lle)}, client heads {_pct(r.client)}" for r in results
    )
    return Chart(title="Survey results by theme", description=f"Bar chart of agreement by theme. {words}.",
                 svg=_clear_labels(_svg(chart), horizontal=True))


def _pct(group) -> str:
    return group.agreed_text.lower() if group.status != "shown" else f"{group.agree_percent}%"
