"""Emails whose link signs someone in (invitations, password resets) are stored
without the link: it is made again when the email is sent (lle_portal.emails)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from lle_portal import services
from lle_portal.models import AuditEvent, OutgoingEmail, User
from lle_portal.private_links import REDACTED as PRIVATE_LINK
from lle_portal.tasks import send_email
from lle_portal.tests.factories import HeadteacherFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and memorable passphrase"


def _stored_text() -> str:
    """Everything the database keeps about the emails and the audit trail."""
    emails = OutgoingEmail.objects.values_list("subject", "body_text", "body_html", "last_error")
    events = AuditEvent.objects.values_list("data", flat=True)
    return "\n".join(str(row) for row in [*emails, *events])


def _invite(users):
    return services.invitation_create(email="grace@governors.example", full_name="Grace Governor",
                                      role=User.Role.GOVERNOR, school=users["governor"].school, by=users["adviser"])


def test_no_working_invitation_token_is_stored_but_the_sent_email_has_one(
    client, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(users)
    sent = mail.outbox[-1]
    link = re.search(r"http://testserver(/accounts/invitation/([A-Za-z0-9_-]+)/)", sent.body)
    token = link.group(2)
    assert token in sent.alternatives[0][0]  # the HTML part too

    stored = OutgoingEmail.objects.get(template="invitation")
    assert stored.sent_at is not None
    assert token not in _stored_text()
    assert PRIVATE_LINK in stored.body_text and PRIVATE_LINK in stored.body_html

    # The link that was sent works.
    response = client.post(link.group(1), {"full_name": "Grace Governor", "password1": PASSWORD,
                                           "password2": PASSWORD})
    assert response.status_code == 302
    assert User.objects.filter(email="grace@governors.example").exists()


def test_no_working_password_reset_token_is_stored_but_the_sent_link_works(
    client, django_capture_on_commit_callbacks
):
    head = HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "head@school.example"})
    sent = mail.outbox[-1]
    match = re.search(r"http://testserver(/accounts/password/reset/([^/]+)/([^/]+)/)", sent.body)
    token = match.group(3)

    stored = OutgoingEmail.objects.get(template="password_reset")
    assert stored.sent_at is not None
    assert token not in _stored_text()
    assert reverse("password_reset_confirm", args=[match.group(2), token]) not in _stored_text()
    assert PRIVATE_LINK in stored.body_text

    set_password_url = client.get(match.group(1), follow=True).redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.check_password(PASSWORD)


def test_an_invitation_revoked_before_its_email_went_out_is_not_sent(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        invitation = _invite(users)
    services.invitation_revoke(invitation=invitation, by=users["adviser"])
    email = OutgoingEmail.objects.get(template="invitation")

    assert send_email(email.pk) == "link-gone"

    assert mail.outbox == []
    email.refresh_from_db()
    assert email.failed_at is not None and email.sent_at is None
    assert "link no longer works" in email.last_error


def test_a_resent_invitation_sends_the_new_link_and_the_old_one_is_dead(
    client, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(users)
    first = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation, by=users["adviser"])
    second = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[-1].body).group(1)

    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
