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
    from impact.surveys import GroupResult, ThemeResult

    small = GroupResult(invited=10, respondents=4, agree_percent=None)
    assert charts.survey_chart([ThemeResult("impact", "Impact", small, small)]) is None
    assert charts.survey_chart([]) is None
