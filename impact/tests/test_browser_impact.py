"""A governor in Debian's Chromium: signs in, sees their school's dashboard
with its charts, asks for the annual impact report, and downloads the PDF
when it is ready. The screenshot and the PDF's pages as PNG go to
/tmp/lle-screens: look at them."""

import re
import subprocess

import pytest

from lle_portal.models import Report
from lle_portal.tests.browser import SCREENS, pdf_to_png, screenshot, sign_in

pytestmark = pytest.mark.browser

def test_a_governor_sees_the_dashboard_and_downloads_the_impact_report(page, users, governed):
    sign_in(page, users["governor"])

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(re.compile(r"/impact/$"))
    assert page.get_by_role("heading", name="Cromer Junior School").is_visible()
    assert page.get_by_text("Raise attainment in reading").is_visible()
    # The charts are images drawn on the server, each described in words, each with a table.
    charts = page.locator("img.impact-chart__img")
    assert charts.count() >= 2
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the SVG did not load"
        assert "chart" in chart.get_attribute("alt")
    assert page.get_by_role("table", name=re.compile("and the LA average by year")).is_visible()
    assert page.get_by_role("row", name=re.compile(r"Supported schools .*\+16\.0")).is_visible()
    screenshot(page, "impact-dashboard.png")

    page.get_by_role("button", name="Request the impact report").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    # Built in the background (in-process in tests); the page refreshes itself until ready.
    page.get_by_role("link", name="Download the PDF").wait_for(timeout=30_000)
    screenshot(page, "impact-report-ready.png")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = SCREENS / "impact-report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert Report.objects.get().status == Report.Status.READY

    pages = pdf_to_png(pdf.read_bytes(), "impact-report", resolution=70)
    assert pages, "the PDF has pages"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Supported schools" in text and "+16.0" in text
    assert "Norfolk" in text
