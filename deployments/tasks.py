"""Background jobs of brokerage and deployment. Each takes ids (or nothing),
and calls a service (or a reminder or report job); the schedule of the periodic ones is in
settings.CELERY_BEAT_SCHEDULE.

Safe to run twice: a reminder is claimed by its ReminderLog row before its
emails are queued, a PDF replaces the previous file, and a start is a
status transition that refuses to happen twice.
"""

from __future__ import annotations

from celery import shared_task

from lle_portal.tasks import RETRY

from . import reminders, reports, services


@shared_task(**RETRY)
def generate_contract(deployment_id: int) -> str:
    """Queue the contract agreement PDF of an agreed deployment (built, and
    retried with backoff, by lle_portal.reports.build_report)."""
    deployment = reports.deployment_generate_contract(deployment_id=deployment_id, enqueue=True)
    return "queued" if deployment else "skipped"


@shared_task(**RETRY)
def generate_statement_pdf(statement_id: int) -> str:
    """Queue the PDF of a reimbursement statement for the finance team."""
    statement = reports.statement_generate_pdf(statement_id=statement_id, enqueue=True)
    return "queued" if statement else "missing"


@shared_task(**RETRY)
def send_visit_reminders() -> int:
    """LLEs with no record of visit for longer than their deployment's intensity implies."""
    return reminders.visit_reminders_send()


@shared_task(**RETRY)
def send_ending_reminders() -> int:
    """Deployments 30 days before their agreed end point: the adviser and both heads."""
    return reminders.ending_reminders_send()


@shared_task(**RETRY)
def start_due_deployments() -> int:
    """Agreed deployments whose start date has come become active."""
    return services.deployments_start_due()
