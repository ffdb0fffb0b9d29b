"""What a walk-through of the demo found: no year offered that has not started,
counts that read in the singular, chart titles shown whole, and a date hint
with a recent example."""

import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.forms import SchoolSectionForm
from impact import analysis, charts
from impact.dashboard import programme_years
from impact.tests.support import deploy, lle, squash
from lle_portal.academic_years import academic_year_of
from lle_portal.models import Report
from lle_portal.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
URL = reverse("impact:dashboard")


@pytest.fixture
def running_into_next_year(la):
    """One school supported from September of this academic year to the summer
    of the next one: the next year has not started."""
    current = academic_year_of(timezone.localdate())
    deploy(lle(la, date(2015, 1, 1)), SchoolFactory(local_authority=la),
           start=date(current - 1, 9, 7), end=date(current + 1, 7, 16))
    return current


def test_no_year_is_offered_beyond_the_current_academic_year(client, users, la, running_into_next_year):
    current = running_into_next_year
    assert programme_years(la) == {current}
    client.force_login(users["governor"])
    response = client.get(URL)
    years = [year for year, _ in response.context["filters"].form.fields["year"].choices]
    assert years == [current]
    assert f"{current}/{str(current + 1)[-2:]}" not in squash(response.content.decode())
    # Asked for by hand, the next year is refused; so is its report.
    response = client.get(URL, {"year": str(current + 1)})
    assert response.context["year"] == current
    client.post(reverse("impact:request_report"), {"year": str(current + 1)})
    assert not Report.objects.exists()


def test_one_school_supported_reads_in_the_singular(client, users, la, running_into_next_year):
    client.force_login(users["governor"])
    page = squash(client.get(URL).content.decode())
    assert "<strong>1</strong> school supported" in page
    assert "<strong>1</strong> LLE " in page or "<strong>1</strong> LLE<" in page
    assert "schools supported" not in page.replace("Supported schools", "")


def test_a_long_measure_name_is_shown_whole_in_the_trend_chart():
    label = analysis.ANALYSIS_MEASURES["KS2_HEADLINE"].label
    points = [analysis.TrendPoint(year, "PTRWM_EXP", D(60 + year % 10), "", D(58), 10, None) for year in (2018, 2019)]
    svg = charts._trend_chart(points, "Example Primary School", label).svg.decode()
    # pygal wraps a long title over lines, one <text> each: together they read the whole name.
    lines = re.findall(r'<text[^>]*class="title[^"]*"[^>]*>([^<]*)</text>', svg)
    assert " ".join(lines) == label and "…" not in svg


def test_the_date_hint_gives_a_recent_example():
    field = SchoolSectionForm.base_fields["appointed_head_on"]
    assert "1/9/2018" not in field.help_text and "For example, 1/9/2021." in field.help_text
    assert "for example 1/9/2021" in field.error_messages["invalid"]


@pytest.mark.browser
def test_the_governor_sees_this_year_only_and_the_whole_measure_name(page, users, la, running_into_next_year):
    """In Chromium: the Year list stops at this academic year, the numbers read in
    the singular, and the trend chart's title carries the whole measure name.
    Screenshot: /tmp/lle-screens/walkthrough-dashboard.png."""
    import tempfile
    from pathlib import Path

    from lle_portal.models import KeyStage
    from lle_portal.tests.axe import assert_no_serious_violations
    from lle_portal.tests.factories import SchoolResultFactory

    current = running_into_next_year
    governor = users["governor"]
    for year, value in ((2018, 61), (2019, 64)):
        SchoolResultFactory(school=governor.school, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=year,
                            value=value)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(governor.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/impact/?measure=KS2_HEADLINE&year={current}")
    offered = page.get_by_label("Year").locator("option").all_inner_texts()
    assert offered and not any(f"{current}/{str(current + 1)[-2:]}" in text for text in offered)
    numbers = " ".join(page.locator(".impact-numbers").inner_text().split())
    assert "1 school supported" in numbers
    assert "(1 school)" in page.locator("table").first.inner_text()
    assert_no_serious_violations(page)
    screens = Path(tempfile.gettempdir()) / "lle-screens"
    screens.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screens / "walkthrough-dashboard.png"), full_page=True)
