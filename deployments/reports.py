"""The deployment documents, built by the report machinery (lle_portal/reports.py):
the contract agreement, the reimbursement statement and the end report.

Each is a `Report` (queued → running → ready or failed, one build at a time
per document, retried with backoff). When a contract or statement is ready,
its file is also linked from the deployment or statement it belongs to, so
their pages and the admin keep offering "the" contract and statement.
"""

from __future__ import annotations

from django.utils import timezone

from lle_portal import reports
from lle_portal.access import has_role
from lle_portal.audit import audit_record
from lle_portal.models import Report, User
from lle_portal.pdf import render_pdf

from .models import Deployment, ReimbursementStatement

CONTRACT = "deployment_contract"
STATEMENT = "reimbursement_statement"
END_REPORT = "deployment_end_report"


def _deployment_visible(user, report: Report) -> bool:
    return Deployment.objects.visible_to(user).filter(pk=report.params.get("deployment")).exists()


def _statement_visible(user, report: Report) -> bool:
    return has_role(user, User.Role.ADVISER) and ReimbursementStatement.objects.for_adviser(user).filter(
        pk=report.params.get("statement")
    ).exists()


# --- the contract agreement ----------------------------------------------------------


def contract_request(deployment: Deployment, *, user=None, enqueue: bool = True) -> Report:
    return reports.report_request(
        kind=CONTRACT, subject=f"deployment:{deployment.pk}", params={"deployment": deployment.pk},
        title=f"LLE contract agreement: {deployment.client_school.name}", user=user, enqueue=enqueue,
    )


def _build_contract(report: Report) -> bytes:
    from .services import contract_context

    deployment = Deployment.objects.for_list().get(pk=report.params["deployment"])
    return render_pdf("pdf/contract.html", contract_context(deployment))


def _contract_ready(report: Report) -> None:
    """Link the new file from the deployment; the parties are told once, the first time."""
    from .services import _email_all, client_head_emails

    deployment = Deployment.objects.select_for_update(of=("self",)).for_list().get(pk=report.params["deployment"])
    first = deployment.contract_generated_at is None
    deployment.contract_pdf.name = report.file.name
    deployment.contract_generated_at = timezone.now()
    deployment.save(update_fields=["contract_pdf", "contract_generated_at", "updated_at"])
    audit_record(verb="deployment.contract_generated", target=deployment, actor_label="celery")
    if first:
        _email_all(
            [deployment.lle.user.email, *client_head_emails(deployment)], template="deployment_contract_ready",
            about=deployment, context={"deployment": deployment},
        )


# --- the reimbursement statement ------------------------------------------------------


def statement_report_subject(statement: ReimbursementStatement) -> str:
    return f"statement:{statement.pk}:v{statement.version}:{'final' if statement.is_final else 'draft'}"


def statement_request(statement: ReimbursementStatement, *, user=None, enqueue: bool = True) -> Report:
    """The statement's PDF as it is now: its version, draft or final (a new
    version or finalising asks for a new one; the same one joins the build)."""
    from .reimbursement import statement_file_name

    stage = "final" if statement.is_final else "draft"
    return reports.report_request(
        kind=STATEMENT, subject=statement_report_subject(statement),
        params={"statement": statement.pk, "version": statement.version, "final": statement.is_final,
                "file_name": statement_file_name(statement, "pdf")},
        title=f"Reimbursement statement: {statement} (version {statement.version}, {stage})", user=user,
        enqueue=enqueue,
    )


def _build_statement(report: Report) -> bytes:
    from .reimbursement import statement_context

    statement = ReimbursementStatement.objects.select_related("local_authority").get(pk=report.params["statement"])
    return render_pdf("pdf/statement.html", statement_context(statement))


def _statement_ready(report: Report) -> None:
    """Link the file from the statement, if it still shows the statement as it is."""
    statement = ReimbursementStatement.objects.select_for_update().get(pk=report.params["statement"])
    if report.params.get("version", statement.version) != statement.version or (
        report.params.get("final", statement.is_final) != statement.is_final
    ):
        return  # prepared again or finalised meanwhile: its own request makes the current file
    statement.pdf.name = report.file.name
    statement.pdf_generated_at = timezone.now()
    statement.pdf_version = statement.version
    statement.save(update_fields=["pdf", "pdf_generated_at", "pdf_version"])
    audit_record(verb="statement.pdf_generated", target=statement, actor_label="celery",
                 data={"version": statement.version, "final": statement.is_final})


def _statement_file_name(report: Report) -> str:
    return report.params.get("file_name") or f"reimbursement-statement-{report.pk}.pdf"


# --- the end report ---------------------------------------------------------------------


def end_report_request(deployment: Deployment, *, user=None) -> Report:
    return reports.report_request(
        kind=END_REPORT, subject=f"deployment:{deployment.pk}", params={"deployment": deployment.pk},
        title=f"Deployment end report: {deployment.client_school.name}", user=user,
    )


def _build_end_report(report: Report) -> bytes:
    from .services import end_report_context

    deployment = Deployment.objects.for_list().get(pk=report.params["deployment"])
    return render_pdf("pdf/end_report.html", end_report_context(deployment))


def register() -> None:
    reports.register(reports.ReportKind(
        name=CONTRACT, label="Contract agreement", build=_build_contract, can_view=_deployment_visible,
        on_ready=_contract_ready, email_when_ready=False,  # the parties get their own email, once
    ))
    reports.register(reports.ReportKind(
        name=STATEMENT, label="Reimbursement statement", build=_build_statement, can_view=_statement_visible,
        on_ready=_statement_ready, file_name=_statement_file_name,
    ))
    reports.register(reports.ReportKind(
        name=END_REPORT, label="Deployment end report", build=_build_end_report, can_view=_deployment_visible,
    ))
