"""The brokerage journey in Debian's Chromium: the adviser records a need,
opens the ranked list and proposes the top LLE; both heads accept; the LLE
records a visit; the client head confirms it; the reimbursement statement
counts that day once.

Screenshots and the PDFs drawn as PNGs go to /tmp/lle-screens: look at them.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments.models import Deployment, ReimbursementLine, SupportNeed, VisitRecord, add_months
from deployments.terms import term_for
from lle_portal.models import Inspection
from lle_portal.tests.browser import nav, pdf_to_png, screenshot, sign_in, sign_out
from lle_portal.tests.factories import HeadteacherFactory, InspectionFactory, SchoolFactory

from .factories import LLEProfileFactory, norfolk, school_day_before

pytestmark = pytest.mark.browser





@pytest.fixture
def programme(transactional_db, users):
    """A client school that requires improvement, its head, and three LLEs:
    the best match (near, same phase, maths), a weaker one, and one of the
    same trust (excluded)."""
    la = norfolk()
    client_school = SchoolFactory(local_authority=la, name="Wensum Valley Primary School", trust="Broadland Trust",
                                  latitude=Decimal("52.6300"), longitude=Decimal("1.2900"), head_name="Ms Ada Hale")
    InspectionFactory(school=client_school, inspection_date=timezone.localdate() - timedelta(days=200),
                      overall_effectiveness=Inspection.Grade.REQUIRES_IMPROVEMENT)
    client_head = HeadteacherFactory(school=client_school, full_name="Ada Hale", email="ada.hale@wensum.example")

    def lle(name, school_name, lat, lon, **kwargs):
        school = SchoolFactory(local_authority=la, name=school_name, latitude=Decimal(lat), longitude=Decimal(lon),
                               trust=kwargs.pop("trust", ""))
        head = HeadteacherFactory(school=school, full_name=name)
        return LLEProfileFactory(user=head, school=school, **kwargs)

    best = lle("Grace Okonjo", "Taverham Junior School", "52.6800", "1.2000", specialisms=["maths", "leadership"])
    lle("Tom Reed", "Cromer Academy", "52.9300", "1.3000", phase="secondary", specialisms=["send"])
    lle("Sam Patel", "Drayton Primary School", "52.6400", "1.2300", specialisms=["maths"], trust="Broadland Trust")
    return {"adviser": users["adviser"], "client_head": client_head, "lle": best, "school": client_school}


def test_a_need_is_matched_agreed_visited_confirmed_and_paid_once(programme, page, live_server):
    adviser, head, lle = programme["adviser"], programme["client_head"], programme["lle"]
    school = programme["school"]

    # --- The adviser records the need from the schools the data flags. ---
    sign_in(page, adviser)
    nav(page).get_by_role("link", name="Deployments").click()
    page.get_by_role("link", name="Schools the data flags").click()
    row = page.get_by_role("row").filter(has_text=school.name)
    assert "Vulnerable" in row.inner_text()
    row.get_by_role("link", name=re.compile("Record a support need")).click()
    # The suggested reason is ticked and the head filled in: the adviser confirms them.
    assert page.get_by_label(re.compile("Vulnerable: latest inspection")).is_checked()
    assert page.get_by_label("Client headteacher's name").input_value() == "Ada Hale"
    page.get_by_label("Mathematics").check()
    page.get_by_label("Notes").fill("The head asks for help with the teaching of maths.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was added successfully").wait_for()
    need = SupportNeed.objects.get(client_school=school)
    assert need.reasons == ["vulnerable"] and need.focus_areas == ["maths"]
    assert need.suggested_reasons[0]["reason"] == "vulnerable"

    # --- The ranked list: the best LLE first, the same-trust one excluded. ---
    page.get_by_role("link", name="Find an LLE").click()
    page.wait_for_url(re.compile(rf"/deployments/staff/needs/{need.pk}/matches/$"))
    first = page.locator("#candidates tbody tr").first
    assert "Grace Okonjo" in first.inner_text()
    assert "Same phase (primary)" in first.inner_text()
    assert "Specialisms meet 1 of 1 focus areas: Mathematics" in first.inner_text()
    page.locator("details.excluded summary").click()
    assert "Same trust (Broadland Trust)" in page.locator("details.excluded").inner_text()
    screenshot(page, "deployments-matches.png")

    start = timezone.localdate() - timedelta(days=14)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Agreed end point").fill(add_months(start, 12).isoformat())
    first.get_by_role("button", name=re.compile("Propose")).click()
    page.get_by_text("is proposed for Wensum Valley Primary School").wait_for()
    deployment = Deployment.objects.get(need=need)
    assert deployment.lle == lle and deployment.status == Deployment.Status.PROPOSED
    sign_out(page)

    # --- Both heads accept, each on their own page. ---
    for person in (lle.user, head):
        sign_in(page, person)
        nav(page).get_by_role("link", name="My deployments").click()
        page.get_by_role("link", name=school.name).click()
        page.get_by_role("button", name="Accept the deployment").click()
        page.get_by_text("You have accepted the deployment").wait_for()
        if person == head:
            assert "Agreed" in page.locator("main").inner_text()
            screenshot(page, "deployments-agreed.png")
            # The contract agreement was generated in the background (eager in tests).
            contract = page.request.get(live_server.url + f"/deployments/{deployment.pk}/contract.pdf")
            assert contract.ok and contract.body().startswith(b"%PDF")
            assert pdf_to_png(contract.body(), "contract")
        sign_out(page)

    # --- The LLE records a visit. ---
    visit_day = school_day_before(1)
    sign_in(page, lle.user)
    page.goto(f"/deployments/{deployment.pk}/")
    page.get_by_role("link", name="Record a visit").click()
    page.get_by_label("Date of the visit").fill(visit_day.isoformat())
    page.get_by_label("A full day").check()
    page.get_by_label("Coaching and mentoring the headteacher").check()
    page.get_by_label("Negotiating objectives for improvement").check()
    page.get_by_label("What happened").fill("Agreed the objectives with the head and the maths lead.")
    page.get_by_label("Progress made").fill("Objectives agreed.")
    page.get_by_label("Next steps").fill("Joint lesson visits in maths.")
    page.get_by_role("button", name="Save the record of visit").click()
    page.get_by_text("The record of visit is saved").wait_for()
    visit = VisitRecord.objects.get(deployment=deployment)
    assert visit.status == VisitRecord.Status.SUBMITTED
    sign_out(page)

    # --- The client head confirms it. ---
    sign_in(page, head)
    page.goto(f"/deployments/{deployment.pk}/")
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    page.get_by_text("You have confirmed the visit").wait_for()
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.CONFIRMED
    sign_out(page)

    # --- The reimbursement statement counts that day once. ---
    term = term_for(visit_day)
    sign_in(page, adviser)
    page.goto("/deployments/staff/statements/")
    page.get_by_label("Academic year").select_option(str(term.academic_year))
    page.get_by_label("Term").select_option(term.term)
    page.get_by_role("button", name="Prepare the statement").click()
    page.get_by_text("is ready to check").wait_for()
    assert "1 day, £350.00" in page.locator(".statement-total").inner_text()
    page.get_by_role("button", name="Finalise for the finance team").click()
    page.get_by_text("The statement is finalised").wait_for()
    pdf = page.request.get(page.url.rstrip("/") + "/statement.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert pdf_to_png(pdf.body(), "statement")
    # Preparing another statement finds nothing more to pay for that day.
    next_year = term.academic_year + 1
    page.goto("/deployments/staff/statements/")
    page.get_by_label("Academic year").select_option(str(min(next_year, term_for(timezone.localdate()).academic_year)))
    page.get_by_label("Term").select_option("summer" if term.term != "summer" else "autumn")
    page.get_by_role("button", name="Prepare the statement").click()
    page.get_by_text("is ready to check").wait_for()
    assert ReimbursementLine.objects.filter(visit=visit).count() == 1
    assert "No confirmed day is waiting to be paid" in page.locator("main").inner_text() or (
        "1 day" not in page.locator(".statement-total").inner_text()
    )

    page.goto("/deployments/staff/")
    screenshot(page, "deployments-overview.png")
