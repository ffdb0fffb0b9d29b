"""Background jobs of the surveys. Each only calls a function of
impact.surveys; the schedule of the periodic ones is in
settings.CELERY_BEAT_SCHEDULE.

Safe to run twice, or on two workers at once: an invitation and a reminder
are each claimed by a unique row before the email is queued, and closing is a
status transition that refuses to happen twice.
"""

from __future__ import annotations

from celery import shared_task

from lle_portal.tasks import RETRY

from . import surveys


@shared_task(**RETRY)
def send_survey_reminders() -> int:
    """People who have not answered an open survey: at most two reminders, five days apart."""
    return surveys.reminders_send()


@shared_task(**RETRY)
def send_end_of_deployment_invitations() -> int:
    """Open end-of-deployment surveys: invite the people of each deployment that has ended."""
    return surveys.end_of_deployment_invitations_send()


@shared_task(**RETRY)
def close_due_surveys() -> int:
    """Open surveys whose closing day has passed are closed."""
    return surveys.surveys_close_due()
