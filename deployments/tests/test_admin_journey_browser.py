"""The adviser's brokerage journey through the task-grouped admin and the
staff pages, in Debian's Chromium, following the links a person would: from
the admin's Brokerage group to the schools the data flags, a support need
recorded with the data's reasons ticked, the ranked LLEs, a proposal; the LLE
and the client head accept; then from the admin's Reimbursement group the
term's statement, prepared, finalised and downloaded as CSV and PDF.

Every admin page on the way is the grouped one (no internal table in sight),
leads back to the staff pages, and has no serious or critical axe-core
violation. Screenshots of the admin index and the support-need form (with the
data's suggestions) go to /tmp/lle-screens: look at them (copies of them are in
docs/screenshots/)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments import services
from deployments.models import Deployment, ReimbursementLine, SupportNeed, VisitRecord, add_months
from deployments.terms import term_for
from lle_portal.models import Inspection
from lle_portal.tests.axe import axe_violations, describe
from lle_portal.tests.browser import nav, screenshot, sign_in
from lle_portal.tests.factories import HeadteacherFactory, InspectionFactory, SchoolFactory

from .factories import LLEProfileFactory, norfolk

pytestmark = pytest.mark.browser

INTERNAL = ("Reminder logs", "Link requests", "Outgoing emails", "Access attempts", "Field history")






def group(page, title: str):
    """One task group of the admin's index."""
    return page.locator("#content-main .module").filter(has=page.locator("caption", has_text=re.compile(f"^{title}$")))


def check_admin_page(page) -> None:
    """The grouped admin: the way back, no internal table, nothing serious for axe-core."""
    assert page.get_by_role("link", name="Back to staff pages").count() == 1, page.url
    text = page.locator("body").inner_text()
    for name in INTERNAL:
        assert name not in text, f"{page.url} shows {name}"
    violations = axe_violations(page)
    assert not violations, describe(violations)




@pytest.fixture
def programme(transactional_db, users):
    """Two Norfolk schools the data flags (inspections that require
    improvement), the first with its confirmed head, and a deployable LLE."""
    la = norfolk()
    flagged = SchoolFactory(local_authority=la, name="Wensum Valley Primary School", head_name="Ms Ada Hale",
                            latitude=Decimal("52.6300"), longitude=Decimal("1.2900"))
    another = SchoolFactory(local_authority=la, name="Wensum Park Infant School", head_name="Mr Ian Park")
    for school in (flagged, another):
        InspectionFactory(school=school, inspection_date=timezone.localdate() - timedelta(days=200),
                          overall_effectiveness=Inspection.Grade.REQUIRES_IMPROVEMENT)
    client_head = HeadteacherFactory(school=flagged, full_name="Ada Hale", email="ada.hale@wensum.example")
    lle_school = SchoolFactory(local_authority=la, name="Taverham Junior School", latitude=Decimal("52.6800"),
                               longitude=Decimal("1.2000"))
    lle = LLEProfileFactory(user=HeadteacherFactory(school=lle_school, full_name="Grace Okonjo"), school=lle_school,
                            specialisms=["maths", "leadership"])
    return {"adviser": users["adviser"], "client_head": client_head, "lle": lle, "school": flagged,
            "another": another}


def test_the_adviser_brokers_and_pays_through_the_grouped_admin_and_the_staff_pages(programme, page, live_server):
    adviser, school, lle, head = programme["adviser"], programme["school"], programme["lle"], programme["client_head"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(reduced_motion="reduce")

    # --- From the staff pages to the admin, grouped by task. ---
    sign_in(page, adviser)
    nav(page).get_by_role("link", name="Admin").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    captions = page.locator("#content-main caption").all_inner_texts()
    assert [c.strip().lower() for c in captions][:5] == ["recruitment", "brokerage", "reimbursement", "surveys",
                                                         "school data"]
    check_admin_page(page)
    screenshot(page, "admin-index.png", full_page=False)

    # --- Brokerage: the schools the data flags; record a need with the reasons ticked. ---
    group(page, "Brokerage").get_by_role("link", name="Schools the data flags").click()
    row = page.get_by_role("row").filter(has_text=school.name)
    assert "Vulnerable" in row.inner_text()
    row.get_by_role("link", name=re.compile("Record a support need")).click()
    page.wait_for_url(re.compile(r"/admin/deployments/supportneed/add/"))
    check_admin_page(page)
    assert page.get_by_label(re.compile("Vulnerable: latest inspection")).is_checked()
    assert not page.get_by_label(re.compile("Attainment below the floor")).is_checked()
    assert page.get_by_label("Client headteacher's name").input_value() == "Ada Hale"
    assert f"Suggested from the official data for {school.name}" in page.locator(".field-reasons").inner_text()
    page.get_by_label("Mathematics").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was added successfully").wait_for()
    check_admin_page(page)
    need = SupportNeed.objects.get(client_school=school)
    assert need.reasons == ["vulnerable"] and need.focus_areas == ["maths"]

    # --- The same form, from the admin's "Add": the reasons come as soon as the school is chosen. ---
    page.get_by_role("link", name="Back to staff pages").click()
    nav(page).get_by_role("link", name="Admin").click()
    group(page, "Brokerage").get_by_role("link", name="Add").first.click()
    page.wait_for_url(re.compile(r"/admin/deployments/supportneed/add/$"))
    assert not page.get_by_label(re.compile("Vulnerable: latest inspection")).is_checked()
    page.get_by_role("combobox", name=re.compile("Client school")).click()
    page.get_by_role("searchbox", name=re.compile("Search")).fill("Wensum Park")
    page.locator(".select2-results__option", has_text="Wensum Park Infant School").first.click()
    suggestions = page.locator("#reason-suggestions")
    suggestions.wait_for()
    assert "Vulnerable" in suggestions.inner_text() and "Inspected" in suggestions.inner_text()
    assert page.get_by_label(re.compile("Vulnerable: latest inspection")).is_checked()
    assert page.get_by_label("Client headteacher's name").input_value() == "Mr Ian Park"
    # The adviser confirms: the ticks stay theirs to change.
    page.get_by_label(re.compile("Vulnerable: latest inspection")).uncheck()
    page.get_by_label(re.compile("Vulnerable: latest inspection")).check()
    page.locator(".field-reasons").scroll_into_view_if_needed()
    check_admin_page(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "support-need-form.png", full_page=False)
    page.get_by_role("link", name="Support needs").first.click()  # the breadcrumb: not saved

    # --- Match: the ranked LLEs, and a proposal. ---
    page.get_by_role("row").filter(has_text=school.name).get_by_role("link", name="Find an LLE").click()
    page.wait_for_url(re.compile(rf"/deployments/staff/needs/{need.pk}/matches/$"))
    first = page.locator("#candidates tbody tr").first
    assert "Grace Okonjo" in first.inner_text()
    today = timezone.localdate()
    start = today - timedelta(days=today.weekday() + 14)  # a Monday two weeks ago
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Agreed end point").fill(add_months(start, 12).isoformat())
    first.get_by_role("button", name=re.compile("Propose")).click()
    page.get_by_text(f"is proposed for {school.name}").wait_for()
    deployment = Deployment.objects.get(need=need)

    # --- The LLE and the client head accept, each on their own page. ---
    for person in (lle.user, head):
        sign_in(page, person)
        nav(page).get_by_role("link", name="My deployments").click()
        page.get_by_role("link", name=school.name).click()
        page.get_by_role("button", name="Accept the deployment").click()
        page.get_by_text("You have accepted the deployment").wait_for()
    deployment.refresh_from_db()
    assert deployment.status == Deployment.Status.AGREED

    # A day of support, recorded by the LLE and confirmed by the client head (their journeys are tested apart).
    visit_day = start + timedelta(days=2)
    services.deployment_start(deployment=deployment, by=adviser)
    visit = VisitRecord.objects.create(
        deployment=deployment, visit_date=visit_day, days=Decimal("1.0"), activities=["coaching"],
        summary="Agreed the objectives.", progress="Objectives agreed.", next_steps="Lesson visits.",
        recorded_by=lle.user, status=VisitRecord.Status.CONFIRMED, confirmed_at=timezone.now(),
    )

    # --- Reimbursement: the term's statement, from the admin's group. ---
    term = term_for(visit_day)
    sign_in(page, adviser)
    nav(page).get_by_role("link", name="Admin").click()
    group(page, "Reimbursement").get_by_role("link", name=re.compile("statements", re.I)).first.click()
    page.wait_for_url(re.compile(r"/deployments/staff/statements/$"))
    page.get_by_label("Academic year").select_option(str(term.academic_year))
    page.get_by_label("Term").select_option(term.term)
    page.get_by_role("button", name=re.compile("Prepare")).click()
    page.get_by_text("is ready to check").wait_for()
    assert "£350.00" in page.locator("main").inner_text()
    page.get_by_role("button", name=re.compile("Finalise")).click()
    page.get_by_text(re.compile("finalised")).first.wait_for()
    csv_link = page.get_by_role("link", name=re.compile("CSV"))
    csv = page.request.get(live_server.url + csv_link.get_attribute("href"))
    assert csv.ok and "text/csv" in csv.headers["content-type"]
    assert "350.00" in csv.text()
    pdf_link = page.get_by_role("link", name=re.compile("PDF"))
    pdf = page.request.get(live_server.url + pdf_link.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    lines = ReimbursementLine.objects.filter(visit=visit)
    assert [line.statement.is_final for line in lines] == [True], (
        list(ReimbursementLine.objects.values("visit_id", "statement__term", "statement__academic_year")),
        visit.pk, term, page.locator("main").inner_text()[:800],
    )
