"""A headteacher registers, applies and submits, in Debian's Chromium."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import Application
from applications.rubric import RUBRIC
from applications.tests.factories import ApplicationRoundFactory, avenue_junior_school
from lle_portal.models import User
from lle_portal.tests.browser import screenshot, sign_in
from lle_portal.tests.factories import (
    AdviserFactory,
    AssessorFactory,
)
from lle_portal.tests.registration import confirm_registration_in_browser

pytestmark = pytest.mark.browser

# /tmp/lle-screens: look at them after a run.
PASSWORD = "a long and memorable passphrase"




@pytest.fixture
def norfolk_school(transactional_db):
    school = avenue_junior_school()
    la = school.local_authority
    ApplicationRoundFactory(
        name="Norfolk LLE round, spring 2027", local_authorities=[la], priority_phases=["secondary"],
        default_referee_name="Simon Morley", default_referee_email="simon.morley@norfolk.example",
        default_referee_organisation="Norfolk County Council", places=6,
        # Decisions are due today, so the panel's decision email can go out in the test.
        decisions_by=timezone.localdate(),
    )
    return school






def _save_and_continue(page) -> None:
    # "Save and continue" goes on to the next section; this test then goes back to the task list.
    page.get_by_role("button", name="Save and continue", exact=True).click()
    page.get_by_text(re.compile(r"^Saved: ")).wait_for()
    page.get_by_role("link", name="Back", exact=True).click()
    page.wait_for_url(re.compile(r"/tasks/$"))


def test_a_head_registers_applies_fixes_an_eligibility_problem_and_submits(norfolk_school, page):
    page.goto("/programme/")
    assert "Norfolk particularly wants secondary headteachers." in page.locator("main").inner_text()
    page.get_by_role("link", name="Create an account").click()

    # --- registration, finding the school by its URN without JavaScript's help ---
    page.get_by_label("Your full name").fill("Amira Patel")
    page.get_by_label("Email address").fill("amira.patel@avenue.example")
    page.get_by_label("Find a school by URN or name").fill("121234")
    page.get_by_role("button", name="Find school").click()
    page.get_by_label(re.compile(r"Avenue Junior School \(URN 121234\)")).check()
    screenshot(page, "register.png")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(re.compile(r"/accounts/register/sent/$"))
    assert "Check your email" in page.locator("main").inner_text()
    assert not User.objects.filter(email="amira.patel@avenue.example").exists()
    # The account is made from the emailed link, with the password chosen above.
    confirm_registration_in_browser(page, "amira.patel@avenue.example", PASSWORD)
    page.wait_for_url(re.compile(r"/programme/$"))
    head = User.objects.get(email="amira.patel@avenue.example")
    assert (head.role, head.school) == (User.Role.HEADTEACHER, norfolk_school)

    page.get_by_role("button", name="Start your application").click()
    page.wait_for_url(re.compile(r"/tasks/$"))
    assert "You have completed 0 of 6 sections." in page.locator("main").inner_text()

    # --- Part A: appointed only a year ago, which the portal explains ---
    page.get_by_role("link", name="Your school and headship").click()
    assert page.get_by_label(re.compile(r"Avenue Junior School")).is_checked()
    a_year_ago = timezone.localdate() - timedelta(days=366)
    page.get_by_label("When were you appointed headteacher of this school?").fill(f"{a_year_ago:%d/%m/%Y}")
    page.get_by_label("Years as a headteacher at other schools, if any").fill("0")
    _save_and_continue(page)
    panel = page.locator(".eligibility-panel")
    assert "Not met" in panel.inner_text()
    assert "You have been a headteacher for 1 year; the programme asks for at least 3 years." in panel.inner_text()

    page.get_by_role("link", name="Your school and headship").click()
    assert "the programme asks for at least 3 years" in page.locator(".eligibility-panel").inner_text()
    # Fixed: the head had forgotten their first headship.
    page.get_by_label("Years as a headteacher at other schools, if any").fill("4")
    page.get_by_label("Your previous headships").fill("Headteacher of Long Stratton Primary, 2019 to 2023.")
    _save_and_continue(page)
    assert "the programme asks for at least 3 years" not in page.locator(".eligibility-panel").inner_text()

    page.get_by_role("link", name="Inspection and pupil performance").click()
    # Pre-filled from the official data: the head confirms what Ofsted's data says rather than retyping it.
    assert "This is what Ofsted’s data says — correct it if it is wrong." in page.locator("main").inner_text()
    assert page.get_by_label("Date of your school's most recent Ofsted inspection").input_value() == "12/03/2019"
    assert page.get_by_role("group", name="Overall effectiveness at that inspection").get_by_label("Good").is_checked()
    assert page.get_by_role("group", name="Leadership and management at that inspection").get_by_label(
        "Good").is_checked()
    page.get_by_role("group", name=re.compile("above the floor standard")).get_by_label("Yes").check()
    page.get_by_label("Pupil performance over the last three years").fill(
        "78% reached the expected standard in 2019, up from 71% in 2017.")
    official = page.locator(".official-data").inner_text()
    assert "12 March 2019" in official and "78%" in official
    screenshot(page, "section.png")
    _save_and_continue(page)

    page.get_by_role("link", name="Your senior team and what you offer").click()
    page.get_by_role("group", name=re.compile("Can your senior leadership team")).get_by_label("Yes").check()
    page.get_by_label("How your senior team will lead the school while you are away").fill(
        "My deputy leads the school on the days I am away.")
    page.get_by_role("group", name="The phase you would support").get_by_label("Primary").check()
    page.get_by_label("Mathematics").check()
    page.get_by_label("Mentoring new headteachers").check()
    _save_and_continue(page)

    # --- Part B: a live word count, and autosave as the head types ---
    page.get_by_role("link", name="Evidence of your leadership").click()
    impact = page.get_by_label("The impact of your leadership on pupil outcomes")
    counter = page.locator("#id_impact_on_outcomes-word-count")
    assert counter.inner_text() == "You have 500 words remaining (0 of 500)"
    impact.fill("Attainment in reading, writing and maths rose by seven points.")
    assert counter.inner_text() == "You have 490 words remaining (10 of 500)"
    page.locator("[data-autosave-status]").get_by_text(re.compile(r"Saved at \d\d:\d\d")).wait_for()
    assert Application.objects.get(applicant=head).impact_on_outcomes.startswith("Attainment in reading")
    page.get_by_label("Your school-improvement track record").fill("From requires improvement to good in 2021.")
    page.get_by_label("Coaching, mentoring or supporting other schools").fill("I coached two new heads.")
    page.get_by_label("One day a week").check()
    screenshot(page, "evidence.png")
    _save_and_continue(page)

    page.get_by_role("link", name="Approvals").click()
    page.get_by_label("Your chair of governors' full name").fill("Margaret Ellis")
    page.get_by_label("Your chair of governors' email address").fill("chair@avenue.example")
    page.get_by_role("group", name=re.compile("asked your chair of governors")).get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("senior leadership team agreed")).get_by_label("Yes").check()
    _save_and_continue(page)

    page.get_by_role("link", name="Your sponsor").click()
    page.get_by_role("button", name="Use Simon Morley as my sponsor").click()
    page.wait_for_url(re.compile(r"/tasks/$"))
    assert "You have completed 6 of 6 sections." in page.locator("main").inner_text()
    screenshot(page, "task-list.png")

    # --- check and submit ---
    page.get_by_role("link", name="Check your answers and submit").click()
    main = page.locator("main").inner_text()
    assert "Margaret Ellis" in main and "Simon Morley" in main
    page.get_by_label(re.compile("I confirm that my answers are true")).check()
    screenshot(page, "check.png")
    page.get_by_role("button", name="Submit application").click()

    application = Application.objects.get(applicant=head)
    assert application.status == Application.Status.SUBMITTED
    page.get_by_role("heading", name="Application submitted").wait_for()
    assert application.reference_number in page.locator(".confirmation-panel").inner_text()
    page.get_by_role("link", name="See the status of your application").click()
    main = page.locator("main").inner_text()
    assert application.reference_number in main
    assert "You submitted your application" in main
    assert "Verification of Part A" in main
    screenshot(page, "status.png")

    # --- the adviser verifies Part A and assigns an assessor ---
    adviser = AdviserFactory(full_name="Sarah Morley", local_authorities=[norfolk_school.local_authority])
    assessor = AssessorFactory(full_name="David Okafor")
    sign_in(page, adviser)
    # The head's school was their claim at registration: the adviser confirms it (only a
    # confirmed head can be designated).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="School links").click()
    page.get_by_role("button", name=re.compile(r"Confirm .* as head")).click()
    page.locator(".messages").wait_for()
    head.refresh_from_db()
    assert head.school_confirmed_at is not None
    page.goto(f"/programme/staff/applications/{application.pk}/verify/")
    for criterion in ("headship", "inspection", "performance", "floor_standard", "senior_team"):
        page.locator(f"#id_{criterion}_outcome_0").check()  # Confirmed
    page.get_by_role("button", name="Save and mark Part A verified").click()
    page.wait_for_url(re.compile(r"/assessors/$"))
    page.get_by_label("David Okafor").check()
    page.get_by_role("button", name="Assign and email them").click()
    page.locator(".messages").wait_for()

    # --- the assessor scores Part B ---
    sign_in(page, assessor)
    page.goto("/programme/staff/assessments/")
    page.get_by_role("link", name=re.compile(application.reference_number)).click()
    for key in RUBRIC:
        page.locator(f"#id_{key}_3").check()  # 4 - Outstanding evidence
    page.get_by_label("Comments for the panel").fill("Clear, well-evidenced impact on outcomes.")
    page.get_by_role("button", name="Submit scores").click()
    page.locator(".messages").wait_for()
    application.refresh_from_db()
    assert application.status == Application.Status.ASSESSED

    # --- the panel designates, and the head is told by email ---
    sign_in(page, adviser)
    page.goto(f"/programme/staff/rounds/{application.round_id}/panel/")
    card = page.locator(f"#app-{application.pk}")
    card.locator(f"#id_app-{application.pk}-decision_0").check()  # Designated
    card.get_by_label("The panel's reasons").fill("Strong evidence of impact; a good fit for the LA's needs.")
    card.get_by_role("button", name=re.compile("Record the decision")).click()
    page.wait_for_url(re.compile(r"/panel/#app-\d+$"))
    page.get_by_role("button", name="Send decision emails").click()
    page.locator(".messages").wait_for()

    application.refresh_from_db()
    assert application.status == Application.Status.DESIGNATED
    assert application.applicant.lle_profile.school == norfolk_school
    decision_emails = [m for m in mail.outbox if m.to == [head.email] and "designated" in m.subject]
    assert len(decision_emails) == 1
    assert "Strong evidence of impact" in decision_emails[0].body


def test_answers_kept_on_the_device_are_offered_back_after_a_lost_session(norfolk_school, page, live_server):
    head = User.objects.create_user(email="head@avenue.example", password=PASSWORD, full_name="Amira Patel",
                                    school=norfolk_school)
    application = Application.objects.create(round=norfolk_school.local_authority.rounds.get(), applicant=head,
                                             school=norfolk_school)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(head.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))

    url = f"/programme/my-application/{application.pk}/sections/approvals/"
    page.goto(url)
    # What autosave.js had stored before the session ran out, a minute from now.
    page.evaluate(
        """([key]) => localStorage.setItem(key, JSON.stringify({at: Date.now() + 60000, data: {
            chair_of_governors_name: ["Margaret Ellis"], governors_approved: ["yes"]}}))""",
        [f"lle-draft:{application.pk}:approvals"],
    )
    page.reload()
    banner = page.locator("[data-draft-restore]")
    assert "that were not saved" in banner.inner_text()
    page.get_by_role("button", name="Restore them").click()
    assert page.get_by_label("Your chair of governors' full name").input_value() == "Margaret Ellis"
    page.locator("[data-autosave-status]").get_by_text(re.compile(r"Saved at \d\d:\d\d")).wait_for()
    application.refresh_from_db()
    assert (application.chair_of_governors_name, application.governors_approved) == ("Margaret Ellis", True)
    assert not banner.is_visible()
