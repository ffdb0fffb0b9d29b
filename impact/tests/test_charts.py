"""The server-drawn charts: SVG with no script, value axes that read, words for the alt text."""

import base64
from decimal import Decimal as D

import pytest

from impact import analysis, charts
from lle_portal.models import LocalAuthority


def table(*changes):
    rows = tuple(analysis.GroupChange(f"g{i}", f"Group {i}", 10, change=D(c)) for i, c in enumerate(changes))
    return analysis.PerformanceTable(local_authority=LocalAuthority(code="926", name="Norfolk"),
                                     measure=analysis.ANALYSIS_MEASURES["P8MEA"], year_from=2018, year_to=2019,
                                     phase="", rows=rows, columns={})


@pytest.mark.parametrize("values", [[16.9, 7.0, 1.1], [-3.2, 0.4], [0.3, 0.1], [-0.2, -0.1, 0.0], [0.0]])
def test_the_value_axis_spans_the_values_and_zero_and_never_ends_at_zero(values):
    ticks = charts._ticks(values)
    assert ticks[0] <= min([0, *values]) and ticks[-1] >= max([0, *values])
    assert ticks[-1] > 0  # pygal squeezes a horizontal bar chart ending at zero
    assert 0.0 in ticks and all(str(t) != "-0.0" for t in ticks)
    assert len(ticks) <= 8


def test_a_change_chart_is_an_svg_image_without_script_and_described_in_words():
    chart = charts.change_chart(table("16.9", "-1.5"))
    assert chart.svg.lstrip().startswith(b"<?xml") and b"<svg" in chart.svg
    assert b"<script" not in chart.svg
    assert base64.b64decode(chart.data_uri.split(",", 1)[1]) == chart.svg
    assert "Group 0: +16.9; Group 1: -1.5" in chart.description


def test_no_survey_chart_when_every_group_is_too_small():
    from impact.survey_results import GroupResult, ThemeResult

    small = GroupResult(invited=10, respondents=4, agree_percent=None)
    assert charts.survey_chart([ThemeResult("impact", "Impact", small, small)]) is None
    assert charts.survey_chart([]) is None


@pytest.mark.parametrize("values, expected", [
    ([0.5, 0.3, 0.2, 0.1], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
    ([16.9, 7.0, 1.1], [0.0, 5.0, 10.0, 15.0, 20.0]),
    ([-1.3, 0.4, -0.2], [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0]),
    ([2.4, 0.6], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
    ([0.8, 0.5, 0.2], [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
])
def test_ticks_are_round_steps_with_room_for_the_labels(values, expected):
    """Steps of 1, 2 or 5 times a power of ten (never "+0.2, +0.5, +0.8"), past the longest bar."""
    assert charts._ticks(values) == expected


@pytest.mark.parametrize("values", [[0.05], [123.4, -56.0], [0.3, 0.1], [-0.2, -0.1, 0.0], [999.0], [-7.7]])
def test_every_tick_step_is_one_two_or_five_times_a_power_of_ten(values):
    import math

    ticks = charts._ticks(values)
    steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    assert round(step / 10 ** math.floor(math.log10(step)), 6) in (1, 2, 5)
    assert step >= 0.1  # the figures have one decimal place


def test_value_labels_sit_clear_of_the_bars_on_a_white_ground():
    import re

    svg = charts.change_chart(table("0.5", "-0.3", "0.0")).svg.decode()
    labels = re.findall(r'<text text-anchor="(\w+)" x="[-\d.]+" y="[-\d.]+" class="value">([^<]*)</text>', svg)
    assert sorted(labels) == [("end", "-0.3"), ("start", "+0.5"), ("start", "0.0")]
    assert svg.count('class="value-ground"') == 3
    # The axis reads like the table: one decimal place and a sign, zero unsigned.
    axis = re.findall(r'class="major">([^<]*)<|class="">([-+\d.]+)</text>', svg)
    ticks = {a or b for a, b in axis}
    assert {"-0.4", "0.0", "+0.6"} <= ticks and "+0.0" not in ticks and "-0.0" not in ticks
    # Gridlines are light and solid.
    assert "stroke-dasharray:none" in svg.replace(" ", "")


def test_the_chart_leaves_out_an_england_computed_from_a_few_las():
    rows = (
        analysis.GroupChange(analysis.SUPPORTED, "Supported schools", 8, change=D("0.5")),
        analysis.GroupChange(analysis.ENGLAND_SCHOOLS, "All schools in England", 192, change=D("0.2")),
        analysis.GroupChange(analysis.ENGLAND_PUBLISHED, "England (published average)", None, change=D("0.1")),
    )
    t = analysis.PerformanceTable(local_authority=LocalAuthority(code="926", name="Norfolk"),
                                  measure=analysis.ANALYSIS_MEASURES["MATPROG"], year_from=2018, year_to=2019,
                                  phase="", rows=rows, columns={})
    chart = charts.change_chart(t)
    assert "All schools in England" not in chart.description and b"(192)" not in chart.svg
    assert "England (published average): +0.1" in chart.description


def test_a_trend_axis_has_round_ticks_with_room_around_the_lines():
    """School 66 → 72 beside an LA at 55.8–56.8: the LA's line must not lie on the axis."""
    assert charts._level_ticks([66.0, 69.0, 72.0, 55.8, 56.3, 56.8]) == [50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0]
    assert charts._level_ticks([-0.4, 0.3]) == [-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6]
    assert charts._level_ticks([]) == []
