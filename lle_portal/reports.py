"""PDF reports built in the background, in one place for every app.

An app registers each kind of document it owns (in its AppConfig.ready), and
asks for one with `report_request`:

    register(ReportKind(
        name="impact_report",
        label="Annual impact report",
        build=lambda report: render_pdf("pdf/impact_report.html", context_for(report.params)),
        can_view=lambda user, report: ...,
    ))
    report = report_request(kind="impact_report", subject="la:926:2011",
                            params={"la": 3, "year": 2011}, title="…", user=request.user)

The report goes queued → running → ready (a stored PDF) or failed. Asking for
the same kind and subject while one is queued or running joins that one, so no
second job starts; everyone who asked is emailed once when it is ready. The
build retries with backoff, and a file is stored only when a whole PDF was
made: a failed report has no file, and its page offers "try again".

Dependencies still point one way: the core knows kinds only by name; the
deployments and impact apps register theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from .audit import audit_record
from .emails import email_queue
from .models import Report, User

logger = logging.getLogger(__name__)

# A build that has been "running" this long lost its worker: it may be claimed again.
STALE_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ReportKind:
    name: str
    label: str
    # Make the PDF's bytes for a report (its params say what to put in it).
    build: Callable[[Report], bytes]
    # Whether `user` may see and download `report`.
    can_view: Callable[[User, Report], bool]
    # Called in the transaction that marks the report ready (e.g. to attach the
    # file to the deployment it belongs to).
    on_ready: Callable[[Report], None] | None = None
    # Whether the requester is emailed when it is ready (documents that have
    # their own notification, like the contract, say no).
    email_when_ready: bool = True
    # The downloaded file's name, when the kind names its files itself (e.g. a
    # statement's PDF named like its CSV); otherwise the title's.
    file_name: Callable[[Report], str] | None = None


_KINDS: dict[str, ReportKind] = {}


def register(kind: ReportKind) -> ReportKind:
    _KINDS[kind.name] = kind
    return kind


def kind_of(report: Report) -> ReportKind | None:
    return _KINDS.get(report.kind)


def can_view(user, report: Report) -> bool:
    """Whether `user` may see `report`'s page and download its file."""
    kind = kind_of(report)
    if kind is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(kind.can_view(user, report))


def report_request(
    *, kind: str, subject: str, params: dict, title: str, user=None, enqueue: bool = True
) -> Report:
    """Ask for a report. Returns the one already queued or running for the same
    kind and subject if there is one (and adds `user` to those waiting for it),
    otherwise a new queued report whose build starts after commit (or, with
    enqueue=False, that the caller builds itself with `report_build`)."""
    if kind not in _KINDS:
        raise ValueError(f"Unknown report kind {kind!r}")
    requester = user if getattr(user, "is_authenticated", False) else None
    existing = Report.objects.in_progress().filter(kind=kind, subject=subject).first()
    if existing is None:
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    kind=kind, subject=subject, params=params, title=title[:200], requested_by=requester
                )
        except IntegrityError:
            # Someone else asked at the same moment: join theirs.
            existing = Report.objects.in_progress().filter(kind=kind, subject=subject).first()
            if existing is None:
                raise
        else:
            if requester is not None:
                report.waiting.add(requester)
            audit_record(verb="report.requested", target=report, actor=requester,
                         actor_label="" if requester else "system")
            if enqueue:
                transaction.on_commit(lambda: build_report.delay(report.pk))
            return report
    if requester is not None:
        existing.waiting.add(requester)
    return existing


def report_retry(report: Report, *, user=None) -> Report:
    """'Try again' after a failure: a new request for the same document."""
    return report_request(kind=report.kind, subject=report.subject, params=report.params, title=report.title, user=user)


def latest_reports(kind: str, subjects: list[str]) -> dict[str, Report]:
    """The newest report of `kind` for each subject, in one query."""
    found: dict[str, Report] = {}
    for report in Report.objects.filter(kind=kind, subject__in=subjects).order_by("subject", "-requested_at", "-pk"):
        found.setdefault(report.subject, report)
    return found


def file_name(report: Report) -> str:
    kind = kind_of(report)
    if kind is not None and kind.file_name is not None:
        return kind.file_name(report)
    return f"{slugify(report.title)[:80] or 'report'}-{report.pk}.pdf"


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------


def _claim(report_id: int) -> Report | None:
    """Mark the report running, unless it is finished or another worker is
    building it right now. A worker that died leaves it running: after
    STALE_AFTER another may claim it."""
    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).filter(pk=report_id).first()
        if report is None or report.status in (Report.Status.READY, Report.Status.FAILED):
            return None
        now = timezone.now()
        if report.status == Report.Status.RUNNING and report.started_at and now - report.started_at < STALE_AFTER:
            return None
        report.status = Report.Status.RUNNING
        report.started_at = now
        report.attempts += 1
        report.save(update_fields=["status", "started_at", "attempts"])
        return report


def report_build(report_id: int) -> tuple[Report | None, Exception | None]:
    """Build one report: claim it, render it, store the file and mark it ready.

    Returns the report (None when there was nothing to do) and the error when
    rendering failed; the caller decides whether to try again.
    """
    report = _claim(report_id)
    if report is None:
        return None, None
    kind = kind_of(report)
    try:
        if kind is None:
            raise LookupError(f"No builder registered for {report.kind!r}")
        pdf = kind.build(report)
        if not isinstance(pdf, bytes | bytearray) or not pdf.startswith(b"%PDF"):
            raise ValueError("The builder did not return a PDF")
    except Exception as exc:  # noqa: BLE001 - any failure of a builder is recorded, never a broken file
        logger.exception("Building report %s (%s) failed", report.pk, report.kind)
        return report, exc
    with transaction.atomic():
        locked = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
        if locked.status != Report.Status.RUNNING:  # finished meanwhile by another run
            return None, None
        locked.file.save(file_name(locked), ContentFile(bytes(pdf)), save=False)
        locked.status = Report.Status.READY
        locked.finished_at = timezone.now()
        locked.error = ""
        locked.save(update_fields=["file", "status", "finished_at", "error"])
        if kind.on_ready is not None:
            kind.on_ready(locked)
        if kind.email_when_ready:
            for person in locked.waiting.filter(is_active=True):
                email_queue(to=person.email, template="report_ready", context={"report": locked, "user": person},
                            about=locked)
        audit_record(verb="report.ready", target=locked, actor_label="celery", data={"bytes": len(pdf)})
    return locked, None


def report_build_now(report: Report) -> None:
    """Build a report in this process (a task that is itself the background job,
    the demo, tests) instead of queueing it: a failure is final and raised."""
    _, error = report_build(report.pk)
    if error is not None:
        report_fail(report.pk, error, final=True)
        raise error


def report_fail(report_id: int, error: Exception | str, *, final: bool) -> None:
    """Record a failed attempt: back to queued for the retry, or failed for good."""
    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).filter(pk=report_id).first()
        if report is None or report.status != Report.Status.RUNNING:
            return
        report.error = f"{type(error).__name__}: {error}"[:2000] if isinstance(error, Exception) else str(error)
        if final:
            report.status = Report.Status.FAILED
            report.finished_at = timezone.now()
            audit_record(verb="report.failed", target=report, actor_label="celery", data={"error": report.error[:200]})
        else:
            report.status = Report.Status.QUEUED
            report.started_at = None
        report.save(update_fields=["status", "error", "finished_at", "started_at"])


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True, reject_on_worker_lost=True)
def build_report(self, report_id: int) -> str:
    """Build a queued report. Safe to run twice: the claim lets one run build it."""
    try:
        report, error = report_build(report_id)
    except OperationalError as exc:  # database briefly unavailable: try the whole thing again
        raise self.retry(exc=exc, countdown=15 * 2**self.request.retries) from exc
    if report is None:
        return "nothing to do"
    if error is None:
        return "ready"
    final = self.request.retries >= self.max_retries
    report_fail(report_id, error, final=final)
    if final:
        return "failed"
    if self.request.is_eager:
        # Run in-process (tests, CELERY_TASK_ALWAYS_EAGER): try again at once.
        return build_report.apply(args=(report_id,), retries=self.request.retries + 1).result  # type: ignore[return-value]  # the task returns a str
    # Exponential backoff: 20 s, 40 s.
    raise self.retry(exc=error, countdown=20 * 2**self.request.retries)


@shared_task
def requeue_stale_reports() -> int:
    """Queue again reports whose task was lost (queued or running too long)."""
    cutoff = timezone.now() - STALE_AFTER
    ids = list(
        Report.objects.filter(
            Q(status=Report.Status.QUEUED, requested_at__lt=cutoff)
            | Q(status=Report.Status.RUNNING, started_at__lt=cutoff)
        ).values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        build_report.delay(pk)
    return len(ids)
