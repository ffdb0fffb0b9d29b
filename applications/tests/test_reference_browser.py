"""A sponsor gives a reference through the emailed link, in Debian's Chromium."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from applications import services
from applications.models import Application, LinkRequest
from applications.tests.factories import ApplicationFactory
from applications.tests.test_browser_apply import norfolk_school  # noqa: F401 (a fixture)
from lle_portal.tests.browser import screenshot, sign_in
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory

pytestmark = pytest.mark.browser
LINK = re.compile(r"http://[^/\s]+(/programme/reference/[A-Za-z0-9_-]+/)")


def test_a_sponsor_gives_a_reference_through_the_emailed_link(norfolk_school, page):  # noqa: F811
    cache.clear()
    head = HeadteacherFactory(school=norfolk_school, full_name="Alice Hart")
    application = ApplicationFactory(complete=True, applicant=head, round=norfolk_school.local_authority.rounds.get())
    application.referee.delete()
    adviser = AdviserFactory(local_authorities=[norfolk_school.local_authority])

    # The head names the round's default referee in one click and sends the request now.
    sign_in(page, head)
    page.goto(f"/programme/my-application/{application.pk}/sections/referee/")
    page.get_by_role("button", name="Use Simon Morley as my sponsor").click()
    page.goto(f"/programme/my-application/{application.pk}/")
    page.locator("form[action$='/requests/reference/send/'] button").click()
    page.get_by_text("We have emailed Simon Morley").wait_for()

    [email] = [m for m in mail.outbox if "simon.morley@norfolk.example" in m.to]
    path = LINK.search(email.body).group(1)

    # The sponsor: no account, another browser session.
    page.context.clear_cookies()
    page.goto(path)
    page.get_by_role("heading", name="Give a reference", exact=True).wait_for()
    assert "Alice Hart" in page.content() and "Avenue Junior School" in page.content()
    page.get_by_label("ability to take on the role").fill("A calm, exacting leader; ready for the role.")
    page.locator("[data-autosave-status]").filter(has_text="Saved at").wait_for()
    assert LinkRequest.objects.get(application=application).draft["ability"].startswith("A calm")
    page.get_by_label("Evidence of the impact").fill("Reading at the expected standard rose from 61% to 82%.")
    page.get_by_label("sustain the school").fill("The deputy head led the school for a term in 2025.")
    page.locator("#id_commits_to_deploy_0").check()
    page.locator("#id_safeguarding_concerns_1").check()
    page.get_by_label("Strongly recommend").check()
    screenshot(page, "reference.png")
    page.get_by_role("button", name="Submit reference").click()
    page.get_by_role("heading", name="Thank you: your reference has been sent").wait_for()

    # The head sees "Received", never the text.
    sign_in(page, head)
    page.goto(f"/programme/my-application/{application.pk}/")
    assert "Received" in page.content() and "61% to 82%" not in page.content()

    # Staff read it on the verification page once the application is submitted.
    services.application_submit(application=Application.objects.get(pk=application.pk), by=head)
    sign_in(page, adviser)
    page.goto(f"/programme/staff/applications/{application.pk}/verify/")
    page.get_by_text("Reading at the expected standard rose from 61% to 82%.").wait_for()

    # The link now only says thank you.
    page.context.clear_cookies()
    page.goto(path)
    page.get_by_role("heading", name="You have already answered").wait_for()
    assert page.locator("textarea").count() == 0
