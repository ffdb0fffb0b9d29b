"""The adviser's statement in Debian's Chromium: prepare the term's draft, read
its arrears by term and its held late claim, approve it, make the PDF and
download the CSV and the PDF under one name. Each page is checked with axe-core.

Screenshots and the PDF drawn as PNGs go to /tmp/lle-screens: look at them.
"""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from deployments.models import ReimbursementLine
from lle_portal.tests.axe import assert_no_serious_violations
from lle_portal.tests.browser import pdf_to_png, screenshot, sign_in

from .factories import DeploymentFactory, VisitRecordFactory

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _no_transitions(page):
    page.emulate_media(reduced_motion="reduce")


@pytest.fixture
def autumn(transactional_db, users):
    deployment = DeploymentFactory(active=True, start_date=date(2025, 4, 1), end_date=date(2027, 3, 31),
                                   rate_per_day=Decimal("350"))
    for day, days in [(date(2026, 10, 7), "1.0"), (date(2026, 11, 4), "0.5"),  # the term's
                      (date(2026, 6, 3), "0.5"), (date(2026, 6, 10), "0.5"), (date(2026, 7, 1), "0.5"),  # arrears
                      (date(2025, 11, 5), "1.0")]:  # beyond the 12-month claim window: held
        VisitRecordFactory(deployment=deployment, visit_date=day, days=Decimal(days), confirmed=True)
    return deployment


def test_the_adviser_prepares_a_draft_approves_a_late_claim_and_downloads_its_csv_and_pdf(page, users, autumn):
    sign_in(page, users["adviser"])
    page.goto("/deployments/staff/statements/")
    page.get_by_label("Academic year").select_option("2027")
    page.get_by_label("Term").select_option("autumn")
    page.get_by_role("button", name="Prepare the statement").click()
    page.get_by_text("is ready to check").wait_for()

    main = page.locator("main")
    assert "3 visits, 1.5 days, from Summer 2025/26 arrears" in main.inner_text()
    assert "This term: 2 visits, 1.5 days, £525.00" in main.inner_text()
    assert "3 days, £1,050.00" in page.locator(".statement-total").inner_text()
    held = page.locator("#held + p + table")
    assert "Older than the 12-month claim window" in held.inner_text()
    assert_no_serious_violations(page)
    screenshot(page, "reimbursement-page-held.png")

    page.get_by_role("button", name=re.compile("^Approve and pay")).click()
    page.get_by_text("is approved and paid on this statement").wait_for()
    assert "4 days, £1,400.00" in page.locator(".statement-total").inner_text()
    assert ReimbursementLine.objects.filter(held="").count() == 6

    page.get_by_role("button", name="Make the PDF").click()
    page.get_by_text("The PDF is being made").wait_for()
    page.reload()
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    stem = "reimbursement-norfolk-autumn-2026-27-v2-draft"
    assert csv_download.value.suggested_filename == f"{stem}.csv"
    assert pdf_download.value.suggested_filename == f"{stem}.pdf"
    data = Path(pdf_download.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and pdf_to_png(data, "reimbursement-pdf")
    assert_no_serious_violations(page)
    screenshot(page, "reimbursement-page-approved.png")

    page.goto("/deployments/staff/statements/claim-window/")
    assert "Norfolk" in page.locator("main").inner_text()
    assert_no_serious_violations(page)
    screenshot(page, "reimbursement-claim-window.png")

    # Finalised, then a paid day found wrong: the statement stays, the next one adjusts.
    page.go_back()
    page.get_by_role("button", name="Finalise for the finance team").click()
    page.get_by_text("The statement is finalised").wait_for()
    page.get_by_role("link", name="Correct the visit of 7 October 2026").click()
    assert_no_serious_violations(page)
    page.get_by_label("It was half a day").check()
    page.get_by_label("Why").fill("The head was called away at noon.")
    screenshot(page, "reimbursement-correct-visit.png")
    page.get_by_role("button", name="Correct the record").click()
    page.get_by_text("The record of visit is corrected").wait_for()
    page.goto("/deployments/staff/statements/")
    page.get_by_label("Academic year").select_option("2027")
    page.get_by_label("Term").select_option("spring")
    page.get_by_role("button", name="Prepare the statement").click()
    page.get_by_text("is ready to check").wait_for()
    main = page.locator("main").inner_text()
    assert "Adjustments to earlier statements: 1, -£175.00" in main
    assert "Adjustment to the Autumn term 2026/27 statement" in main
    assert "The head was called away at noon." in main
    assert_no_serious_violations(page)
    screenshot(page, "reimbursement-adjustment.png")
