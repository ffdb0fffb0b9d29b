"""The Celery task behind the admin's import page. Autodiscovered through
the import at the end of tasks.py."""

from __future__ import annotations

from celery import shared_task

from .imports.jobs import import_job_run


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Import an uploaded file, once: a second delivery finds the job no
    longer queued and does nothing."""
    return import_job_run(job_id=job_id)
