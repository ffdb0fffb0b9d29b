"""Scheduled jobs of recruitment (Celery beat; the schedule is in
settings.CELERY_BEAT_SCHEDULE). Each only calls a service.

The services claim every email before queueing it (a reminder row, a
`reminded_at` or `decision_emailed_at` set by a conditional update), so a job
that runs twice, or on two workers at once, sends each email once.
"""

from __future__ import annotations

from celery import shared_task

from lle_portal.tasks import RETRY

from . import services


@shared_task(**RETRY)
def send_draft_reminders() -> int:
    """Heads with unsubmitted drafts: 7 days and 1 day before their round closes."""
    return services.draft_reminders_send()


@shared_task(**RETRY)
def send_assessor_reminders() -> int:
    """Assessors with applications unscored for 7 days or more."""
    return services.assessor_reminders_send()


@shared_task(**RETRY)
def send_due_decisions() -> int:
    """Decision emails of every round whose decisions-by date has come."""
    return services.decisions_send_due()


@shared_task(**RETRY)
def send_reference_chasers() -> int:
    """Sponsors and chairs of governors: reminders at 7 and 14 days, and expiry."""
    from . import references

    return references.link_chasers_run()
