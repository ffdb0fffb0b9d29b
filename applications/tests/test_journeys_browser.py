"""Each person's journey as they walk it, from the home page, in Debian's
Chromium: a visitor, a headteacher, a referee and an assessor.

The pages are found only as a person finds them: by role, label and visible
text (no CSS ids). Every page reached is checked with axe-core (no serious or
critical violation), and each journey keeps screenshots under var/journeys/
for a person to look at.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from applications import references
from applications.models import Application, Assessment, LinkRequest, RoundContact
from applications.rubric import DEFAULT_DESCRIPTORS
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory, avenue_junior_school
from lle_portal.models import User
from lle_portal.tests.axe import assert_no_serious_violations
from lle_portal.tests.factories import (
    AssessorFactory,
    HeadteacherFactory,
)
from lle_portal.tests.registration import confirm_registration_in_browser

pytestmark = pytest.mark.browser

SCREENS = Path(settings.BASE_DIR) / "var" / "journeys"
PASSWORD = "a long and memorable passphrase"
STAFF_PASSWORD = "correct horse battery staple"  # the factories' password
LINK = re.compile(r"http://[^/\s]+(/programme/reference/[A-Za-z0-9_-]+/)")


@pytest.fixture(autouse=True)
def _no_transitions(page):
    # Bootstrap turns its transitions off for reduced motion, so axe-core never
    # measures a button's colours halfway through one.
    page.emulate_media(reduced_motion="reduce")


def _keep(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / name), full_page=True)


def _checked(page) -> None:
    """The page as it is now has no serious or critical accessibility violation."""
    assert_no_serious_violations(page)


@pytest.fixture
def norfolk(transactional_db):
    cache.clear()
    school = avenue_junior_school()
    la = school.local_authority
    today = timezone.localdate()
    round = ApplicationRoundFactory(
        name="Norfolk LLE round, spring 2027", local_authorities=[la], priority_phases=["secondary"],
        opens_at=timezone.now() - timedelta(days=7),
        closes_at=timezone.make_aware(datetime.combine(today + timedelta(days=30), time(17))),
        default_referee_name="Simon Morley", default_referee_email="simon.morley@norfolk.example",
        default_referee_organisation="Norfolk County Council", places=6,
    )
    # The contacts of "Find out more" (docs/programme.md §1.4, §2.4).
    for order, (name, phone) in enumerate((("Simon Morley", "01603 307788"), ("Chris Snudden", "01603 303322"),
                                           ("Mary-Jane Edwards", "01603 303311"))):
        RoundContact.objects.create(round=round, name=name, phone=phone, order=order,
                                    role="LA contact for the LLE programme" if order == 0 else "")
    return school


def _sign_in(page, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto("/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def _continue(page, next_title: str) -> None:
    page.get_by_role("button", name="Save and continue", exact=True).click()
    page.get_by_role("heading", name=next_title, exact=True).wait_for()
    _checked(page)


def test_it_shows_a_visitor_the_open_round_its_closing_date_and_whom_to_call(norfolk, page):
    page.goto("/")
    main = page.get_by_role("main")
    main.get_by_role("heading", name=re.compile("Applications are open: Norfolk LLE round")).wait_for()
    assert re.search(r"Closes on \w+day \d+ \w+ \d{4} at 17:00", main.inner_text())
    # One call to action.
    assert main.get_by_role("link", name="Create an account to apply").count() == 1
    footer = page.get_by_role("contentinfo")
    for who in ("Simon Morley", "01603 307788", "Chris Snudden", "01603 303322", "Mary-Jane Edwards"):
        assert who in footer.inner_text()
    _checked(page)
    _keep(page, "visitor-home.png")

    main.get_by_role("link", name="who can apply and how applications are assessed").click()
    page.get_by_role("heading", name="Become a Local Leader of Education").wait_for()
    card = page.get_by_role("article", name="Norfolk LLE round, spring 2027")
    text = card.inner_text()
    assert len(re.findall(r"\bOpen\b", text)) == 1, text  # the badge; the line beside it says until when
    assert "Norfolk particularly wants secondary headteachers." in text
    assert "Questions about this round" in text and "Mary-Jane Edwards" in text
    assert "name them as your sponsor" in text
    _checked(page)
    _keep(page, "visitor-programme.png")

    assert page.request.get("/favicon.ico").status == 200


def test_it_takes_a_headteacher_from_the_home_page_to_a_submitted_application(norfolk, page):
    page.goto("/")
    page.get_by_role("link", name="Create an account to apply").click()
    page.get_by_role("heading", name="Create an account to apply").wait_for()
    _checked(page)
    page.get_by_label("Your full name").fill("Amira Patel")
    page.get_by_label("Email address").fill("amira.patel@avenue.example")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    # The finder shows the matches in place: nothing typed is lost, passwords included.
    page.get_by_label("Find a school by URN or name").fill("Avenue")
    page.get_by_role("button", name="Find school").click()
    page.get_by_text("2 schools found").wait_for()
    assert page.get_by_label("Create a password").input_value() == PASSWORD
    assert page.get_by_label("Your full name").input_value() == "Amira Patel"
    page.get_by_label(re.compile(r"Avenue Junior School \(URN 121234\)")).check()
    _checked(page)
    _keep(page, "head-register.png")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    _checked(page)
    # The account is made from the emailed link, with the password chosen above.
    confirm_registration_in_browser(page, "amira.patel@avenue.example", PASSWORD)
    page.wait_for_url(re.compile(r"/programme/$"))
    head = User.objects.get(email="amira.patel@avenue.example")

    page.get_by_role("button", name="Start your application").click()
    page.get_by_role("heading", name="Apply to become a Local Leader of Education").wait_for()
    _checked(page)
    _keep(page, "head-task-list.png")

    # "Save and continue" goes from each section to the next.
    page.get_by_role("link", name="Your school and headship").click()
    page.get_by_label("When were you appointed headteacher of this school?").fill(
        f"{timezone.localdate() - timedelta(days=366):%d/%m/%Y}")
    page.get_by_label("Years as a headteacher at other schools, if any").fill("0")
    _continue(page, "Inspection and pupil performance")

    page.get_by_label("Date of your school's most recent Ofsted inspection").fill("12/03/2019")
    page.get_by_role("group", name="Overall effectiveness at that inspection").get_by_label("Good").check()
    page.get_by_role("group", name="Leadership and management at that inspection").get_by_label("Good").check()
    page.get_by_role("group", name=re.compile("above the floor standard")).get_by_label("Yes").check()
    page.get_by_label("Pupil performance over the last three years").fill("78% in 2019, up from 71% in 2017.")
    _continue(page, "Your senior team and what you offer")

    page.get_by_role("group", name=re.compile("Can your senior leadership team")).get_by_label("Yes").check()
    page.get_by_label("How your senior team will lead the school while you are away").fill("My deputy leads.")
    page.get_by_role("group", name="The phase you would support").get_by_label("Primary").check()
    page.get_by_label("Mathematics").check()
    _continue(page, "Evidence of your leadership")

    # An answer over its word limit: the error summary names the question.
    page.get_by_label("The impact of your leadership on pupil outcomes").fill("word " * 520)
    page.get_by_label("Your school-improvement track record").fill("From requires improvement to good.")
    page.get_by_label("Coaching, mentoring or supporting other schools").fill("I coached two new heads.")
    page.get_by_label("One day a week").check()
    page.get_by_role("button", name="Save and continue", exact=True).click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    summary.wait_for()
    assert "The impact of your leadership on pupil outcomes" in summary.inner_text()
    assert "520 words" in summary.inner_text()
    _checked(page)
    _keep(page, "head-error-summary.png")
    page.get_by_label("The impact of your leadership on pupil outcomes").fill("Reading rose by seven points.")
    _continue(page, "Approvals")

    assert "we email your chair of governors a link" in page.get_by_role("main").inner_text()
    page.get_by_label("Your chair of governors' full name").fill("Margaret Ellis")
    page.get_by_label("Your chair of governors' email address").fill("chair@avenue.example")
    page.get_by_role("group", name=re.compile("asked your chair of governors")).get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("senior leadership team agreed")).get_by_label("Yes").check()
    _continue(page, "Your sponsor")

    page.get_by_role("button", name="Use Simon Morley as my sponsor").click()
    page.get_by_role("heading", name="Apply to become a Local Leader of Education").wait_for()
    page.get_by_role("link", name="Check your answers and submit").click()
    page.get_by_role("heading", name="Check your answers before you submit").wait_for()
    # Change links keep proper nouns' case.
    assert page.get_by_role("link", name="Change date of your school's most recent Ofsted inspection").count() == 1
    # Not yet three years a head: the portal explains, and the head says they are working towards it.
    main = page.get_by_role("main").inner_text()
    assert "the programme asks for at least 3 years" in main
    for box in page.get_by_role("checkbox").all():
        box.check()
    working = page.get_by_label(re.compile("How you are working towards"))
    if working.count():
        working.fill("I will have three years' headship in September.")
    _checked(page)
    _keep(page, "head-check.png")
    page.get_by_role("button", name="Submit application").click()

    page.get_by_role("heading", name="Application submitted").wait_for()
    next_steps = page.get_by_role("list").filter(has_text="Verification of Part A").inner_text()
    assert next_steps.startswith("Verification of Part A"), next_steps
    assert "Submit your application" not in next_steps
    _checked(page)
    page.get_by_role("link", name="See the status of your application").click()
    page.get_by_text("You submitted your application").wait_for()
    assert Application.objects.get(applicant=head).status == Application.Status.SUBMITTED
    _checked(page)
    _keep(page, "head-status.png")
    # The header's link leads to the application, not to the programme page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My application").click()
    page.wait_for_url(re.compile(r"/my-application/\d+/$"))


def test_it_lets_a_referee_save_a_draft_submit_and_reopen_the_link(norfolk, page):
    head = HeadteacherFactory(school=norfolk, full_name="Alice Hart")
    application = ApplicationFactory(complete=True, applicant=head, round=norfolk.local_authority.rounds.get())
    references.link_request_send(application=application, kind=LinkRequest.Kind.REFERENCE, by=head)
    [email] = [m for m in mail.outbox if application.referee.email in m.to]
    path = LINK.search(email.body).group(1)

    page.goto(path)
    page.get_by_role("heading", name="Give a reference", exact=True).wait_for()
    _checked(page)
    page.get_by_label("ability to take on the role").fill("A calm, exacting leader; ready for the role.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("status").filter(has_text="Your draft was saved at").wait_for()
    assert page.get_by_label("ability to take on the role").input_value().startswith("A calm")
    assert LinkRequest.objects.get(application=application).status == LinkRequest.Status.REQUESTED
    _checked(page)

    page.get_by_label("Evidence of the impact").fill("Reading at the expected standard rose from 61% to 82%.")
    page.get_by_label("sustain the school").fill("The deputy head led the school for a term in 2025.")
    page.get_by_role("group", name=re.compile("commit to deploying")).get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("safeguarding")).get_by_label("No").check()
    page.get_by_label("Strongly recommend").check()
    _keep(page, "referee-form.png")
    page.get_by_role("button", name="Submit reference").click()
    page.get_by_role("heading", name="Thank you: your reference has been sent").wait_for()
    assert "Your reference for Alice Hart, headteacher of Avenue Junior School" in page.get_by_role(
        "main").inner_text()
    _checked(page)
    _keep(page, "referee-sent.png")

    page.goto(path)
    page.get_by_role("heading", name="You have already answered").wait_for()
    assert page.get_by_role("textbox").count() == 0


def test_it_lets_an_assessor_score_with_the_rubric_of_the_round(norfolk, page):
    round = norfolk.local_authority.rounds.get()
    round.rubric_descriptors = {"impact_on_outcomes": {"3": "Results rose for three years, with figures."}}
    round.save()
    head = HeadteacherFactory(school=norfolk, full_name="Alice Hart")
    application = ApplicationFactory(complete=True, applicant=head, round=round, reference_number="LLE-2027-0001",
                                     status=Application.Status.VERIFIED, submitted_at=timezone.now())
    assessor = AssessorFactory(full_name="David Okafor")
    Assessment.objects.create(application=application, assessor=assessor)

    _sign_in(page, assessor.email, STAFF_PASSWORD)
    # An assessor's "Recruitment" is the list of applications assigned to them.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Recruitment").click()
    page.get_by_role("link", name=re.compile("LLE-2027-0001")).click()
    page.get_by_role("heading", name=re.compile("Assess Part B")).wait_for()
    _checked(page)
    # Each score is labelled with what it means for its competency: the round's
    # own words for "impact on outcomes", the defaults for the others.
    page.get_by_label("3 – Strong evidence: Results rose for three years, with figures.").check()
    for key in ("school_improvement", "supporting_others", "capacity"):
        page.get_by_label(f"3 – Strong evidence: {DEFAULT_DESCRIPTORS[key][3]}").check()
    page.get_by_text("Coaching, mentoring and supporting other schools", exact=True).first.click()
    _keep(page, "assessor-rubric.png")
    page.get_by_label("Comments for the panel").fill("Clear, well-evidenced impact on outcomes.")
    page.get_by_role("button", name="Submit scores").click()
    page.get_by_role("status").filter(has_text="are submitted").wait_for()
    assessment = Assessment.objects.get(application=application)
    assert assessment.scores == dict.fromkeys(assessment.scores, 3) and len(assessment.scores) == 4
    _checked(page)


def test_it_keeps_what_a_headteacher_typed_when_they_find_their_school_without_javascript(norfolk, browser,
                                                                                         live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/register/")
    page.get_by_label("Your full name").fill("Amira Patel")
    page.get_by_label("Email address").fill("amira.patel@avenue.example")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Find a school by URN or name").fill("121234")
    page.get_by_role("button", name="Find school").click()
    page.get_by_text("1 school found").wait_for()
    # Everything typed comes back but the password, which a page never holds: the page says so.
    assert page.get_by_label("Your full name").input_value() == "Amira Patel"
    assert page.get_by_label("Email address").input_value() == "amira.patel@avenue.example"
    assert page.get_by_label("Create a password").input_value() == ""
    page.get_by_text("the password you typed is not kept").wait_for()
    page.get_by_label(re.compile(r"Avenue Junior School \(URN 121234\)")).check()
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    # (No axe-core here: it runs in the page's JavaScript, which is off. The
    # headteacher's journey checks this page with JavaScript on.)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    confirm_registration_in_browser(page, "amira.patel@avenue.example", PASSWORD)
    page.wait_for_url(re.compile(r"/programme/$"))
    head = User.objects.get(email="amira.patel@avenue.example")
    # The school is the head's claim, for the LA adviser to confirm.
    assert head.school == norfolk and head.school_confirmed_at is None
    context.close()
