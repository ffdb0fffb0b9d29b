"""The demo governor (seed_demo with England's schools, as `make run` loads it)
sees, on the dashboard and in the downloaded impact report, the KS2 headline
for 2024/25 with the supported schools and their count, Norfolk and England,
and the matched estimate with its interval. The screenshot and the PDF's
pages as PNG go to /tmp/lle-screens: look at them."""

import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command

from impact import analysis, comparison
from lle_portal.demo import DEMO_PASSWORD
from lle_portal.models import LocalAuthority, Report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = Path(tempfile.gettempdir()) / "lle-screens"


def test_the_demo_governor_sees_the_matched_estimate_on_the_dashboard_and_in_the_pdf(page):
    SCREENS.mkdir(parents=True, exist_ok=True)
    call_command("seed_demo", "--national", stdout=io.StringIO())
    norfolk = LocalAuthority.objects.get(code="926")
    table = analysis.performance_table(local_authority=norfolk, measure="KS2_HEADLINE", year_from=2024,
                                       year_to=2025)
    matched = comparison.programme_comparison(norfolk, 2025, ["KS2_HEADLINE"])
    supported = table.row(analysis.SUPPORTED)
    # The demo's story: ten schools supported in 2024/25, England's schools in the pool.
    assert supported.schools == 10
    assert matched.matched >= 8 and matched.has_interval
    assert matched.pool > 10_000

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("governor@demo.lle-portal.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/impact/")
    assert page.get_by_role("heading", name="The programme in Norfolk, 2024/25").is_visible()
    row = page.get_by_role("row", name=re.compile(rf"^Supported schools {supported.schools} "))
    assert supported.change_display in row.inner_text()
    for label in ("All schools in Norfolk", "England (published average)"):
        assert page.get_by_role("row", name=re.compile(re.escape(label))).first.is_visible()
    headline = page.locator(".matched-comparison__headline")
    text = headline.inner_text()
    assert f"Matched estimate: {matched.estimate_display} percentage points" in text
    assert f"95% interval {matched.interval_display}" in text
    assert "regression to the mean" in page.locator(".matched-comparison").inner_text()
    page.screenshot(path=str(SCREENS / "impact-dashboard-matched.png"), full_page=True)

    page.get_by_role("button", name="Request the impact report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    page.get_by_role("link", name="Download the PDF").wait_for(timeout=60_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = SCREENS / "impact-report-matched.pdf"
    download_info.value.save_as(pdf)
    assert Report.objects.get(kind="impact_report").status == Report.Status.READY
    for old in SCREENS.glob("impact-report-matched-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(SCREENS / "impact-report-matched")], check=True)
    assert sorted(SCREENS.glob("impact-report-matched-*.png"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "KS2 headline" in flat and "Supported schools" in flat and "All schools in Norfolk" in flat
    assert "England (published average)" in flat
    assert supported.change_display in flat
    assert f"Matched estimate: {matched.estimate_display} percentage points" in flat
    assert f"95% interval {matched.interval_display}" in flat
