"""The adviser's staff pages in Debian's Chromium: verifying Part A and the
designation panel. Screenshots go to /tmp/lle-screens (verify.png, panel.png)."""

import re
from datetime import date

import pytest

from applications import services
from applications.models import Application
from applications.rubric import RUBRIC
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import assessed_application, submitted_application
from lle_portal.tests.browser import screenshot, sign_in
from lle_portal.tests.factories import InspectionFactory, SchoolResultFactory

pytestmark = pytest.mark.browser







def test_the_adviser_verifies_part_a_criterion_by_criterion(transactional_db, users, page):
    application = submitted_application(declared_inspection_date=date(2016, 5, 4))
    school = application.school
    InspectionFactory(school=school, inspection_date=date(2019, 3, 12), leadership_and_management=2)
    for year, value in ((2017, 68), (2018, 71), (2019, 74)):
        SchoolResultFactory(school=school, year=year, value=value)
    sign_in(page, users["adviser"])

    page.goto(f"/programme/staff/applications/{application.pk}/verify/")
    assert "Answer disagrees with official data" in page.locator("main").inner_text()
    for criterion in ("headship", "floor_standard", "performance", "senior_team"):
        page.locator(f"#id_{criterion}_outcome_0").check()  # Confirmed
    page.locator("#id_inspection_outcome_0").check()
    page.locator("#id_inspection_note").fill("The 2016 date was the previous inspection; the 2019 report is good.")
    screenshot(page, "verify.png")

    page.get_by_role("button", name="Save and mark Part A verified").click()

    page.wait_for_url(re.compile(r"/assessors/$"))
    assert "Part A of" in page.locator(".messages").inner_text()
    application.refresh_from_db()
    assert application.status == Application.Status.VERIFIED


def test_the_panel_ranks_complete_applications_and_records_a_decision(transactional_db, users, page):
    adviser = users["adviser"]
    round = ApplicationRoundFactory(name="Norfolk LLE recruitment 2026–27", places=2,
                                    priority_phases=["secondary"])
    strong = assessed_application(adviser, round, phase_offered="secondary", scores=dict.fromkeys(RUBRIC, 4))
    middling = assessed_application(adviser, round, scores=dict.fromkeys(RUBRIC, 3))
    keen = assessed_application(adviser, round, scores=dict.fromkeys(RUBRIC, 2))
    keen.working_towards_eligibility = True
    keen.save(update_fields=["working_towards_eligibility"])
    services.panel_decide(application=strong, decision="designated", by=adviser,
                          reasons="Outstanding impact, and a secondary head: the LA's priority.")
    sign_in(page, adviser)

    page.goto(f"/programme/staff/rounds/{round.pk}/panel/")
    cards = page.locator("ol > li.card")
    assert cards.count() == 3
    assert strong.reference_number in cards.nth(0).inner_text()
    assert "1 of 2 places left" in page.locator("main").inner_text()

    card = page.locator(f"#app-{middling.pk}")
    card.locator(f"#id_app-{middling.pk}-decision_2").check()  # Deferred
    card.get_by_label("The panel's reasons").fill("The panel would like to see this summer's results first.")
    screenshot(page, "panel.png")
    card.get_by_role("button", name=re.compile("Record the decision")).click()

    page.wait_for_url(re.compile(r"/panel/#app-\d+$"))
    middling.refresh_from_db()
    assert middling.status == Application.Status.DEFERRED
    assert "deferred" in page.locator(".messages").inner_text()
