"""Running an ImportJob (an upload from the admin) in the background."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..audit import audit_record
from ..models import ImportJob
from .base import Importer, ImportFileError, ImportScope, ProgressCallback
from .gias import GiasImporter
from .ofsted import OfstedImporter
from .performance import PerformanceImporter

logger = logging.getLogger(__name__)

# The job page lists bad rows; a file that is wrong throughout would
# otherwise store tens of thousands of them.
MAX_STORED_ERRORS = 1000

# A job still "running" this long after it started lost its worker (the largest
# national file takes well under a minute). With late acknowledgement its
# message is delivered again; imports are upserts, so running it again is safe.
STALE_AFTER = timedelta(minutes=30)


def scope_of(job: ImportJob) -> ImportScope | None:
    """A national job (a superuser's upload) has no scope; any other reaches
    the LAs its uploader advises when it runs, so an adviser who has lost an
    LA since uploading no longer reaches it (and a job whose uploader is gone
    reaches none)."""
    if job.national:
        return None
    return ImportScope.of(job.created_by)


def importer_for(job: ImportJob, progress: ProgressCallback) -> Importer:
    scope = scope_of(job)
    if job.kind == ImportJob.Kind.GIAS:
        return GiasImporter(progress=progress, scope=scope)
    if job.kind == ImportJob.Kind.OFSTED:
        return OfstedImporter(progress=progress, scope=scope)
    if job.kind == ImportJob.Kind.PERFORMANCE:
        if job.year is None:
            raise ImportFileError("A performance-tables import needs the year of the results.")
        return PerformanceImporter(year=job.year, progress=progress, scope=scope)
    raise ImportFileError(f"Unknown kind of import: {job.kind!r}.")


def import_job_run(*, job_id: int) -> str:
    """Import a queued job's file, once, and record the outcome on the job.

    The job is claimed by moving it from queued to running in one UPDATE: of
    two deliveries of the task (a retry, a redelivered message) only one sees
    a row change, so the file is imported once. A job whose worker died is
    claimed again once it is stale.
    """
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER)
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=now, processed_rows=0
    )
    if claimed != 1:
        return "not-queued"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)

    def progress(processed: int, total: int) -> None:
        # Runs between chunks, outside their transactions, so the job page
        # sees it at once.
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed, total_rows=total)

    try:
        importer = importer_for(job, progress)
        with job.file.open("rb") as data:
            result = importer.run(
                data,
                file_name=job.original_name or job.file.name,
                actor=job.created_by,
                actor_label="import job",
                audit_target=job,
            )
    except ImportFileError as exc:
        _fail(job, str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        _fail(
            job,
            f"The import stopped on an unexpected error ({type(exc).__name__}: {exc}). The rows imported before "
            "it are kept; once the cause is fixed, importing the same file again is safe and completes it.",
        )
        return "failed"

    _update(
        job,
        status=ImportJob.Status.SUCCEEDED,
        finished_at=timezone.now(),
        total_rows=result.total_rows,
        processed_rows=result.total_rows,
        created_count=result.created,
        updated_count=result.updated,
        error_count=result.error_count,
        errors=[e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]],
        message=result.summary(),
    )
    return "succeeded"


def _fail(job: ImportJob, message: str) -> None:
    _update(job, status=ImportJob.Status.FAILED, finished_at=timezone.now(), message=message)
    audit_record(
        verb="import.failed",
        target=job,
        actor=job.created_by,
        actor_label="import job",
        data={"kind": job.kind, "file": job.original_name, "message": job.message[:1000]},
    )


def _update(job: ImportJob, **fields) -> None:
    for name, value in fields.items():
        if isinstance(value, str):
            # A message may quote the file's header, and PostgreSQL refuses NUL in text.
            value = value.replace("\x00", "")
        setattr(job, name, value)
    job.save(update_fields=list(fields))

