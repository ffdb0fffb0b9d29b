"""Signing in and accepting an invitation, in Debian's Chromium."""

import re

import pytest
from django.core import mail

from lle_portal import services
from lle_portal.models import User
from lle_portal.tests.browser import PASSWORD, screenshot

pytestmark = pytest.mark.browser


# Screenshots go to /tmp/lle-screens (lle_portal.tests.browser): look at them after a run.
def test_a_governor_signs_in_through_the_form_and_sees_their_name(transactional_db, users, page):
    governor = users["governor"]
    page.goto("/accounts/login/")
    screenshot(page, "login.png")

    page.get_by_label("Email address").fill(governor.email.upper())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/$"))
    nav = page.get_by_role("navigation", name="Main")
    assert governor.full_name in nav.inner_text()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert f"governor of {governor.school.name}" in page.locator("main").inner_text()
    screenshot(page, "home.png")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").is_visible()


def test_a_failed_sign_in_puts_the_focus_on_the_error_summary(transactional_db, users, page):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(users["governor"].email)
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert summary.evaluate("el => el === document.activeElement")
    screenshot(page, "login-error.png")

    # The summary's link takes the keyboard to the field.
    page.get_by_role("link", name="Enter your password.").click()
    assert page.evaluate("document.activeElement.id") == "id_password"


def test_the_first_tab_reaches_the_skip_link(transactional_db, page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent.trim(), document.activeElement.getAttribute('href')]")
    assert focused == ["Skip to main content", "#main-content"]
    assert page.get_by_role("link", name="Skip to main content").is_visible()


def test_an_invited_head_sets_a_password_and_lands_signed_in(transactional_db, users, page):
    services.invitation_create(
        email="new.head@school.example",
        full_name="Nia Newhead",
        role=User.Role.HEADTEACHER,
        school=users["headteacher"].school,
        by=users["adviser"],
    )
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[-1].body).group(1)

    page.goto(link)
    assert page.get_by_label("Your full name").input_value() == "Nia Newhead"
    page.get_by_label("Create a password").fill("a long and memorable passphrase")
    page.get_by_label("Confirm your password").fill("a long and memorable passphrase")
    screenshot(page, "invitation.png")
    page.get_by_role("button", name="Create my account").click()

    page.wait_for_url(re.compile(r"/$"))
    assert "Your account is ready" in page.get_by_role("status").inner_text()
    assert "Nia Newhead" in page.get_by_role("navigation", name="Main").inner_text()
    screenshot(page, "invitation-done.png")
