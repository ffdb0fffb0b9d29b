"""The school calendar in Debian's Chromium: the adviser fills in the school
year with England's usual dates and moves their LA's October half-term; the
LLE records a visit in that half-term, is asked why, and the form keeps what
they typed; the adviser sees the visit flagged with the reason.

Screenshots go to /tmp/lle-screens: look at them.
"""

from __future__ import annotations

from datetime import date

import pytest

from deployments.models import VisitRecord
from lle_portal.models import SchoolYearCalendar
from lle_portal.school_calendar import is_school_day
from lle_portal.tests.axe import axe_violations, describe
from lle_portal.tests.browser import screenshot, sign_in
from lle_portal.tests.factories import AdviserFactory

from .factories import DeploymentFactory, norfolk

pytestmark = pytest.mark.browser

HALF_TERM_DAY = date(2026, 10, 21)  # a school day in England's pattern, in this LA's own half-term
def own_violations(page) -> list[dict]:
    return axe_violations(page)






def test_term_dates_as_the_adviser_enters_them_decide_the_lles_visits(transactional_db, page):
    la = norfolk()
    adviser = AdviserFactory(local_authorities=[la], full_name="Alex Adviser")
    deployment = DeploymentFactory(active=True, start_date=date(2026, 9, 1), end_date=date(2027, 7, 22),
                                   need__client_school__local_authority=la)
    problems = []

    # --- The adviser fills in 2026/27 and moves the October half-term a week earlier. ---
    sign_in(page, adviser)
    page.goto("/admin/lle_portal/schoolyearcalendar/")
    page.get_by_role("button", name="Fill in 2026/27 with England's usual dates").click()
    page.get_by_text("is filled in with England's usual pattern").wait_for()
    problems += [f"term dates list: {describe(v)}" for v in [own_violations(page)] if v]
    screenshot(page, "calendar-list.png")
    calendar = SchoolYearCalendar.objects.get(local_authority=la, academic_year=2027)
    page.goto(f"/admin/lle_portal/schoolyearcalendar/{calendar.pk}/change/")
    problems += [f"term dates page: {describe(v)}" for v in [own_violations(page)] if v]
    autumn = page.locator("#terms-0")
    autumn.locator("input[name$='half_term_starts_on']").fill("19/10/2026")
    autumn.locator("input[name$='half_term_ends_on']").fill("23/10/2026")
    screenshot(page, "calendar-change.png")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was changed successfully").wait_for()
    assert not is_school_day(la, HALF_TERM_DAY)
    page.goto("/admin/lle_portal/schoolyearcalendar/add/?academic_year=2028")
    problems += [f"new year's term dates: {describe(v)}" for v in [own_violations(page)] if v]
    screenshot(page, "calendar-add.png")

    # --- The LLE records a visit in the half-term: asked why, nothing typed is lost. ---
    sign_in(page, deployment.lle.user)
    page.goto(f"/deployments/{deployment.pk}/visits/new/")
    page.get_by_label("Date of the visit").fill(HALF_TERM_DAY.isoformat())
    page.get_by_label("Coaching and mentoring the headteacher").check()
    page.get_by_label("What happened").fill("A morning with the head on the school development plan.")
    page.get_by_label("Progress made").fill("Priorities agreed.")
    page.get_by_label("Next steps").fill("Governors' meeting.")
    page.get_by_role("button", name="Save the record of visit").click()
    page.get_by_text("it is in the October half-term").first.wait_for()
    assert page.get_by_label("What happened").input_value() == "A morning with the head on the school development plan."
    problems += [f"visit form with its error: {describe(v)}" for v in [axe_violations(page)] if v]
    screenshot(page, "visit-half-term-refused.png")
    page.get_by_label("If the visit was not on a school day, why").fill(
        "The governors' away day, which the school set in the half-term.")
    page.get_by_role("button", name="Save the record of visit").click()
    page.get_by_text("The record of visit is saved").wait_for()
    visit = VisitRecord.objects.get(deployment=deployment)
    assert visit.visit_date == HALF_TERM_DAY and visit.qa_flagged_at

    # --- The adviser sees it flagged, with the reason. ---
    sign_in(page, adviser)
    page.goto(f"/deployments/{deployment.pk}/#visit-{visit.pk}")
    record = page.locator(f"#visit-{visit.pk}")
    assert "Flagged for quality assurance" in record.inner_text()
    assert "The governors' away day" in record.inner_text()
    screenshot(page, "visit-flagged-for-adviser.png")
    page.goto("/deployments/staff/")
    assert "Not a school day (in the October half-term)" in page.get_by_role("main").inner_text()
    screenshot(page, "overview-flagged-visit.png")

    assert not problems, "\n".join(problems)
