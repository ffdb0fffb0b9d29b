"""References and the governing body's approval as private links
(lle_portal.private_links): their emails go through the email queue (recorded,
retried, never sent twice), their links are refused when used, expired,
tampered or of another kind, and links made by the code before still open."""

from __future__ import annotations

import base64
import hashlib
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from applications import references
from applications.models import LinkRequest, LinkRequestChaser
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import submitted_application
from lle_portal import private_links, services
from lle_portal.models import OutgoingEmail, User
from lle_portal.tasks import send_email
from lle_portal.tests.factories import AdviserFactory, GovernorFactory, LocalAuthorityFactory, SchoolFactory

pytestmark = pytest.mark.django_db

Kind = LinkRequest.Kind
PASSWORD = "correct horse battery staple 42"
ANSWERS = {
    "action": "submit", "ability": "Outstanding.", "impact": "Reading rose.", "senior_team": "Strong deputy.",
    "commits_to_deploy": "yes", "safeguarding_concerns": "no", "safeguarding_details": "",
    "recommendation": "strongly",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    # The bad-token counts live in the cache, which outlives one test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def norfolk():
    return LocalAuthorityFactory(code="926", name="Norfolk")


def respond_url(token: str) -> str:
    return reverse("applications:reference_respond", args=[token])


def queued_submission(django_capture_on_commit_callbacks, norfolk):
    """A submitted application whose link emails are queued, not yet sent."""
    with django_capture_on_commit_callbacks(execute=False):
        application = submitted_application(round=ApplicationRoundFactory(local_authorities=[norfolk]))
    return application.link_requests.get(kind=Kind.REFERENCE)


def link_emails(link_request: LinkRequest) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(
        template__in=references.LINK_TEMPLATES.values(), object_id=str(link_request.pk),
        content_type__app_label="applications", content_type__model="linkrequest").order_by("created_at", "pk"))


def queued_email(link_request: LinkRequest) -> OutgoingEmail:
    [email] = link_emails(link_request)
    return email


# --- the email goes through the queue ----------------------------------------------------------------------


def test_the_reference_email_is_recorded_by_the_email_queue_with_its_link_blanked(
    django_capture_on_commit_callbacks, norfolk
):
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    email = queued_email(reference)
    assert (email.to, email.template, email.sent_at) == (reference.recipient_email, "reference_request", None)
    assert private_links.REDACTED in email.body_text and private_links.REDACTED in email.body_html
    assert queued_email(reference.application.link_requests.get(kind=Kind.GOVERNORS_APPROVAL)).template == \
        "reference_approval_request"

    assert send_email(email.pk) == "sent"
    email.refresh_from_db()
    reference.refresh_from_db()
    [message] = mail.outbox
    token = references.link_token(reference)
    assert respond_url(token) in message.body and respond_url(token) in message.alternatives[0][0]
    assert private_links.REDACTED not in message.body
    # The kept copy still holds no working link; the request knows when it went.
    assert token not in email.body_text + email.body_html
    assert reference.sent_at == email.sent_at


def test_the_reference_email_is_retried_and_never_sent_twice(django_capture_on_commit_callbacks, norfolk):
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    email = queued_email(reference)
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("down")),
        mock.patch.object(send_email, "retry", side_effect=RuntimeError("retry requested")),
        pytest.raises(RuntimeError, match="retry requested"),
    ):
        send_email(email.pk)
    email.refresh_from_db()
    reference.refresh_from_db()
    assert (email.attempts, email.sent_at, reference.sent_at) == (1, None, None)
    assert "down" in email.last_error

    assert send_email(email.pk) == "sent"
    assert send_email(email.pk) == "already-done"
    # The job that used to re-send lost link emails finds nothing to do either.
    with django_capture_on_commit_callbacks(execute=True):
        references.link_chasers_run(at=timezone.now() + timedelta(hours=1))
    assert len([m for m in mail.outbox if reference.recipient_email in m.to]) == 1
    reference.refresh_from_db()
    assert reference.sent_at is not None


def test_a_reminder_goes_through_the_queue_once_with_the_same_link(django_capture_on_commit_callbacks, norfolk):
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    send_email(queued_email(reference).pk)
    at = timezone.now() + timedelta(days=7, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        references.link_chasers_run(at=at)
        references.link_chasers_run(at=at)
    chaser = LinkRequestChaser.objects.get(request=reference)
    request_email, email = link_emails(reference)  # both about the request, as staff see them
    assert "reminder" in email.subject.lower()
    chaser.refresh_from_db()
    assert chaser.emailed_at == email.sent_at is not None
    first, reminder = [m for m in mail.outbox if reference.recipient_email in m.to]
    assert reminder.subject.startswith("Reminder:")
    assert respond_url(references.link_token(reference)) in reminder.body


def test_a_link_email_queued_before_its_request_was_cancelled_is_never_sent(
    django_capture_on_commit_callbacks, norfolk
):
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    adviser = AdviserFactory(local_authorities=[norfolk])
    references.link_request_cancel(link_request=reference, by=adviser)
    assert send_email(queued_email(reference).pk) == "link-gone"
    assert mail.outbox == []


# --- the link, attacked --------------------------------------------------------------------------------------


@pytest.fixture
def sent(django_capture_on_commit_callbacks, norfolk) -> LinkRequest:
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    send_email(queued_email(reference).pk)
    return reference


def test_a_used_reference_link_takes_no_second_answer(client, sent):
    token = references.link_token(sent)
    assert client.post(respond_url(token), ANSWERS).status_code == 302
    answered = LinkRequest.objects.get(pk=sent.pk)
    # A replay gets the "already submitted" page, and changes nothing.
    assert b"Changed." not in client.post(respond_url(token), {**ANSWERS, "ability": "Changed."}).content
    with pytest.raises(references.ReferenceError):
        references.link_request_submit(link_request=sent, answers={**ANSWERS, "ability": "Changed."})
    with pytest.raises(references.ReferenceError):
        references.link_request_decline(link_request=sent, reason="Changed my mind.")
    assert LinkRequest.objects.get(pk=sent.pk).answers == answered.answers


def test_an_expired_or_tampered_reference_link_is_refused(client, sent):
    token = references.link_token(sent)
    assert client.get(respond_url(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])).status_code == 404
    LinkRequest.objects.filter(pk=sent.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(respond_url(token)).status_code == 404
    with pytest.raises(references.ReferenceError):
        references.link_request_submit(link_request=sent, answers=ANSWERS)


def test_a_token_of_another_kind_of_link_opens_nothing(client, sent, norfolk):
    adviser = AdviserFactory(local_authorities=[norfolk])
    invitation = services.invitation_create(email="grace@governors.example", full_name="Grace Hopper",
                                            role=User.Role.GOVERNOR, school=SchoolFactory(local_authority=norfolk),
                                            by=adviser)
    governor = GovernorFactory()
    change = services.email_change_request(user=governor, new_email="governor.new@example.org", by=governor)
    reference_token = references.link_token(sent)

    # An invitation's (or email change's) token used as a reference link...
    for token in (invitation.link_token(), change.link_token()):
        assert client.get(respond_url(token)).status_code == 404
        assert client.post(respond_url(token), ANSWERS).status_code == 404
    # ... and a reference's token used as an invitation, registration or email-change link.
    for name in ("invitation_accept", "register_confirm", "email_change_confirm"):
        assert client.get(reverse(name, args=[reference_token])).status_code == 404
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=reference_token, password=PASSWORD, full_name="")
    with pytest.raises(services.EmailChangeInvalid):
        services.email_change_confirm(token=reference_token)
    assert LinkRequest.objects.get(pk=sent.pk).answers == {}
    assert client.get(respond_url(reference_token)).status_code == 200


# --- links made by the code before --------------------------------------------------------------------------


def test_a_reference_link_stored_by_the_old_code_still_opens_and_its_lost_email_is_sent_once(
    client, django_capture_on_commit_callbacks, norfolk
):
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    # As the old code stored it: a nonce, the hash of the token derived from it,
    # and no OutgoingEmail yet (its own task made one when it sent); the task was lost.
    nonce = "legacy-nonce-0123456789abcdefghijklmnopqrstuv"
    digest = salted_hmac("applications.references.link", nonce, algorithm="sha256").digest()
    token = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    OutgoingEmail.objects.filter(pk=queued_email(reference).pk).delete()
    LinkRequest.objects.filter(pk=reference.pk).update(
        nonce=nonce, token_hash=hashlib.sha256(token.encode()).hexdigest(),
        created_at=timezone.now() - timedelta(hours=1))

    assert client.get(respond_url(token)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        references.link_chasers_run()
        references.link_chasers_run()
    [message] = [m for m in mail.outbox if reference.recipient_email in m.to]
    assert respond_url(token) in message.body
    assert LinkRequest.objects.get(pk=reference.pk).sent_at is not None

    assert client.post(respond_url(token), ANSWERS).status_code == 302
    assert LinkRequest.objects.get(pk=reference.pk).status == LinkRequest.Status.RECEIVED


def test_a_reminder_the_old_code_lost_is_sent_once(django_capture_on_commit_callbacks, norfolk):
    reference = queued_submission(django_capture_on_commit_callbacks, norfolk)
    send_email(queued_email(reference).pk)
    # The old code made the reminder's row, and its task (which stored the email once sent) was lost.
    LinkRequest.objects.filter(pk=reference.pk).update(created_at=timezone.now() - timedelta(days=8))
    chaser = LinkRequestChaser.objects.create(request=reference, kind=LinkRequestChaser.Kind.REMINDER_7,
                                              created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        references.link_chasers_run()
        references.link_chasers_run()
    first, reminder = [m for m in mail.outbox if reference.recipient_email in m.to]
    assert reminder.subject.startswith("Reminder:")
    assert respond_url(references.link_token(reference)) in reminder.body
    chaser.refresh_from_db()
    assert chaser.emailed_at is not None
