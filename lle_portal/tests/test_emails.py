import smtplib
from unittest import mock

import pytest
from django.core import mail

from lle_portal.emails import email_queue
from lle_portal.models import OutgoingEmail
from lle_portal.tasks import MAX_EMAIL_ATTEMPTS, requeue_unsent_emails, send_email


@pytest.fixture
def email_templates(settings, tmp_path):
    folder = tmp_path / "templates" / "emails"
    folder.mkdir(parents=True)
    (folder / "hello.subject.txt").write_text("Hello {{ name }}\n")
    (folder / "hello.txt").write_text("Dear {{ name }}, see {{ site_url }}/x")
    (folder / "hello.html").write_text("<p>Dear {{ name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}]
    return folder


@pytest.mark.django_db
def test_it_sends_a_queued_email_once_the_transaction_commits(email_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(to="head@school.example", template="hello", context={"name": "Ann"})
        assert mail.outbox == []

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Hello Ann"
    assert message.to == ["head@school.example"]
    assert "Dear Ann, see http://testserver/x" in message.body
    assert message.alternatives[0][1] == "text/html"
    email.refresh_from_db()
    assert email.sent_at is not None
    assert email.state == "sent"


@pytest.mark.django_db
def test_it_never_sends_the_same_email_twice():
    email = OutgoingEmail.objects.create(to="a@b.example", subject="S", body_text="B", template="t")
    assert send_email.delay(email.pk).get() == "sent"
    assert send_email.delay(email.pk).get() == "already-done"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_keeps_count_of_failed_attempts_and_retries_with_backoff():
    email = OutgoingEmail.objects.create(to="a@b.example", subject="S", body_text="B", template="t")
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("down")),
        mock.patch.object(send_email, "retry", side_effect=RuntimeError("retry requested")) as retry,
        pytest.raises(RuntimeError, match="retry requested"),
    ):
        send_email(email.pk)
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.sent_at is None
    assert "down" in email.last_error
    assert 15 <= retry.call_args.kwargs["countdown"] <= 30  # 30 s, less up to half of it as jitter


@pytest.mark.django_db
def test_it_gives_up_after_the_last_attempt_and_says_so():
    email = OutgoingEmail.objects.create(
        to="a@b.example", subject="S", body_text="B", template="t", attempts=MAX_EMAIL_ATTEMPTS - 1
    )
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("no")):
        assert send_email(email.pk) == "failed"
    email.refresh_from_db()
    assert email.state == "failed"
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_requeues_only_old_unsent_emails(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    old = OutgoingEmail.objects.create(to="old@b.example", subject="S", body_text="B", template="t")
    OutgoingEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    OutgoingEmail.objects.create(to="new@b.example", subject="S", body_text="B", template="t")

    assert requeue_unsent_emails() == 1
    assert [m.to for m in mail.outbox] == [["old@b.example"]]
