"""Celery tasks of the core. Tasks take ids, fetch, and call services."""

from __future__ import annotations

import logging
import random
import smtplib
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import OperationalError, transaction
from django.utils import timezone

from . import private_links
from .models import OutgoingEmail

logger = logging.getLogger(__name__)

# The retry policy of every scheduled job and of the tasks that call a service:
# a locked or briefly unavailable database is worth another try (with
# exponential backoff and jitter, five times), and the services' claims (a
# unique row, a conditional update) make the retry safe.
RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError,), "retry_backoff": 30, "retry_jitter": True, "max_retries": 5,
}

# Errors worth trying again: the mail server is down or busy (send_email has
# its own retries: it counts attempts on the email's row).
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)
MAX_EMAIL_ATTEMPTS = 6


@shared_task(bind=True, max_retries=MAX_EMAIL_ATTEMPTS - 1, acks_late=True)
def send_email(self, email_id: int) -> str:
    """Send one queued email, once.

    The row is locked while sending and `sent_at` is set in the same transaction,
    so two deliveries of this task (a retry, a redelivery after a worker died)
    send one email.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return "missing"
        if email.sent_at or email.failed_at:
            return "already-done"
        email.attempts += 1
        bodies = private_links.bodies_to_send(email)
        if bodies is None:
            # Its private link no longer works (an invitation revoked or expired): send nothing.
            email.failed_at = timezone.now()
            email.last_error = "Not sent: its link no longer works."
            email.save(update_fields=["attempts", "failed_at", "last_error"])
            return "link-gone"
        body_text, body_html = bodies
        message = EmailMultiAlternatives(subject=email.subject, body=body_text, to=[email.to])
        if body_html:
            message.attach_alternative(body_html, "text/html")
        try:
            message.send()
        except TRANSIENT_EMAIL_ERRORS as exc:
            error = exc
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_EMAIL_ATTEMPTS:
                email.failed_at = timezone.now()
            email.save(update_fields=["attempts", "last_error", "failed_at"])
        else:
            email.sent_at = timezone.now()
            email.save(update_fields=["attempts", "sent_at"])
            private_links.email_sent(email, email.sent_at)
            return "sent"
    # Outside the transaction, so that the attempt count above is kept.
    if email.failed_at:
        logger.error("Giving up on email %s to %s: %s", email.pk, email.to, error)
        return "failed"
    raise self.retry(exc=error, countdown=email_retry_delay(email.attempts))


def email_retry_delay(attempts: int) -> float:
    """Seconds before another try, after `attempts` failed ones: exponential
    backoff (about 30 s, 60 s, 120 s, 240 s, 480 s) with jitter, so that the
    emails queued while the mail server was down do not all retry at once."""
    delay = 30 * 2 ** (attempts - 1)
    return delay / 2 + random.uniform(0, delay / 2)


@shared_task
def requeue_unsent_emails() -> int:
    """Queue again emails that are still unsent ten minutes after they were made
    (their task was lost). Sending is idempotent, so a duplicate is harmless."""
    cutoff = timezone.now() - timedelta(minutes=10)
    ids = list(
        OutgoingEmail.objects.unsent().filter(created_at__lt=cutoff, attempts__lt=MAX_EMAIL_ATTEMPTS)
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        send_email.delay(pk)
    return len(ids)


@shared_task
def ping(value: str) -> str:
    """Round-trip check used by the Redis worker test and by operators."""
    return f"pong:{value}"
from .import_tasks import run_import_job  # noqa: E402, F401
