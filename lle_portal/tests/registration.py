"""Following the emailed link that makes a registered head's account, for
tests that register (in Django's test client or in Chromium)."""

from __future__ import annotations

import re

from django.core import mail

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/register/confirm/[A-Za-z0-9_-]+/)")


def registration_link(email: str) -> str:
    """The path of the newest confirmation link emailed to `email` (from mail.outbox)."""
    for message in reversed(mail.outbox):
        if email.lower() in (to.lower() for to in message.to) and (match := CONFIRM_LINK.search(str(message.body))):
            return match.group(1)
    raise AssertionError(f"No registration link was emailed to {email}")


def confirm_registration_in_client(client, email: str, password: str):
    """Follow the link with Django's test client; returns the response (a redirect when it worked)."""
    return client.post(registration_link(email), {"password": password})


def confirm_registration_in_browser(page, email: str, password: str) -> None:
    """Follow the link in Playwright's page, as the head would from their inbox."""
    page.goto(registration_link(email))
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Confirm and sign in").click()
