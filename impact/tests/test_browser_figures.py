"""In Debian's Chromium: the governor's dashboard opens on the measure where the
year's supported schools have results, with the LLEs counted, England's
published average and the chart followed by its table; the impact report PDF
leads with the same measure. Screenshot and PDF pages as PNG go to
/tmp/lle-screens/figures-*: look at them."""

import re
import subprocess

import pytest
from django.utils import timezone

from impact import reports
from lle_portal.models import AreaResult, KeyStage
from lle_portal.tests.axe import assert_no_serious_violations
from lle_portal.tests.browser import SCREENS, pdf_to_png, screenshot, sign_in

pytestmark = pytest.mark.browser

def test_the_dashboard_and_the_report_lead_with_what_changed(page, users, primary_programme, la):
    for year, value in ((2018, "0.0"), (2019, "0.1")):
        AreaResult.objects.create(area_code=AreaResult.ENGLAND, key_stage=KeyStage.KS2, measure="MATPROG",
                                  year=year, value=value)
    sign_in(page, users["governor"])
    page.goto("/impact/")
    assert page.get_by_role("heading", name="The programme in Norfolk, 2018/19").is_visible()
    assert page.get_by_label("Measure").input_value() == "MATPROG"
    assert re.search(r"\b1\s+LLE\b", page.locator(".impact-numbers").inner_text())
    table = page.get_by_role("table", name=re.compile("KS2 maths progress score, 2018 and 2019"))
    assert table.get_by_role("row", name=re.compile(r"Supported schools 3 .*\+0\.6")).is_visible()
    assert table.get_by_role("row", name=re.compile(r"England \(published average\)")).is_visible()
    assert page.get_by_role("link", name="KS2 reading progress score").is_visible()
    chart = page.locator("img.impact-chart__img").first
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    # The chart comes right before its table.
    assert page.locator("figure.impact-chart + table.impact-table").count() >= 1
    assert_no_serious_violations(page)
    screenshot(page, "figures-dashboard.png")

    assert pdf_to_png(reports.render_impact_report(la, 2019), "figures-report", resolution=70)
    pdf = SCREENS / "figures-report.pdf"
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert text.index("KS2 maths progress score") < text.index("KS4 Progress 8")
    assert "Supported schools 3" in text and "England (published average)" in text
    assert f"Generated {timezone.localdate():%-d %B %Y}" in text
