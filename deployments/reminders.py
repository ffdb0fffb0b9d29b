"""The reminder jobs of brokerage and deployment (run daily by deployments.tasks).

Each reminder is sent once: the job claims it by creating its ReminderLog row
in the same transaction as queueing its emails; a second run, or a second
worker, hits the unique constraint and sends nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from lle_portal.audit import audit_record
from lle_portal.emails import email_queue

from .models import Deployment, ReminderLog
from .notify import adviser_emails, client_head_emails, email_all

# Deployments approaching their agreed end point (to the adviser and both heads).
ENDING_SOON_DAYS = 30


def _claim_reminder(deployment: Deployment, kind: str, key: str) -> bool:
    """Create the reminder's log row; False when it was sent before."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(deployment=deployment, kind=kind, key=key)
    except IntegrityError:
        return False
    return True


def visit_reminders_send(*, today: date | None = None) -> int:
    """Remind each LLE whose active deployment has had no record of visit for
    longer than its intensity implies; once per gap."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Deployment.objects.overdue_for_visit(today).for_list()
    for deployment in overdue:
        with transaction.atomic():
            # The key is the day the gap began: after a new visit, a new gap is a new reminder.
            if not _claim_reminder(deployment, ReminderLog.Kind.VISIT_OVERDUE, deployment.last_seen.isoformat()):
                continue
            email_queue(to=deployment.lle.user.email, template="visit_overdue", about=deployment,
                        context={"deployment": deployment, "since": deployment.last_seen,
                                 "days": (today - deployment.last_seen).days})
            audit_record(verb="deployment.visit_reminder_sent", target=deployment, actor_label="celery")
            sent += 1
    return sent


def ending_reminders_send(*, today: date | None = None) -> int:
    """Tell the adviser and both heads, once, that a deployment reaches its
    agreed end point within 30 days."""
    today = today or timezone.localdate()
    sent = 0
    for deployment in Deployment.objects.ending_within(ENDING_SOON_DAYS, today).for_list():
        with transaction.atomic():
            if not _claim_reminder(deployment, ReminderLog.Kind.ENDING_SOON, deployment.end_date.isoformat()):
                continue
            email_all(
                [*adviser_emails(deployment.client_school), deployment.lle.user.email,
                 *client_head_emails(deployment)],
                template="deployment_ending_soon", about=deployment,
                context={"deployment": deployment, "days_left": (deployment.end_date - today).days},
            )
            audit_record(verb="deployment.ending_reminder_sent", target=deployment, actor_label="celery")
            sent += 1
    return sent
