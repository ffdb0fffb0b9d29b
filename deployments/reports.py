"""The deployments app's documents: what each states, and how it is built.

The contract agreement, the reimbursement statement (its page's rows, its CSV
and its PDF) and the end report. Reads only: the writes that change what they
state are in deployments/services.py and deployments/reimbursement.py.

Each PDF is a `Report` of the report machinery (lle_portal/reports.py:
queued → running → ready or failed, one build at a time per document, retried
with backoff). When a contract or statement is ready, its file is also linked
from the deployment or statement it belongs to, so their pages and the admin
keep offering "the" contract and statement.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from lle_portal import csvs, reports, school_calendar
from lle_portal.academic_years import academic_year_label, academic_year_of
from lle_portal.access import has_role
from lle_portal.audit import audit_record
from lle_portal.models import Report, SchoolResult, User
from lle_portal.pdf import render_pdf

from .models import Deployment, ReimbursementLine, ReimbursementStatement, VisitRecord
from .notify import advisers_of, client_head_emails, email_all
from .reimbursement import (
    ONE_PLACE,
    TWO_PLACES,
    ZERO,
    Held,
    Kind,
    claim_window_months,
    days_phrase,
    money,
    short_label,
    visits_phrase,
)
from .rules import DeploymentError
from .terms import TermDates, term_for

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


def contract_context(deployment: Deployment) -> dict:
    calendar = school_calendar.calendar_for(deployment.client_school.local_authority_id)
    return {
        "deployment": deployment,
        # The school terms the deployment spans, with their half-terms: when the days are delivered.
        "terms": calendar.terms_between(deployment.start_date, deployment.end_date),
        "school_days": calendar.school_days_between(deployment.start_date, deployment.end_date),
        "objectives": list(deployment.objectives.all()),
        "colleagues": list(deployment.colleagues.all()),
        "advisers": list(advisers_of(deployment.client_school.local_authority_id)),
        "generated_on": timezone.localdate(),
    }


def contract_request(deployment: Deployment, *, user=None, enqueue: bool = True) -> Report:
    return reports.report_request(
        kind=CONTRACT, subject=f"deployment:{deployment.pk}", params={"deployment": deployment.pk},
        title=f"LLE contract agreement: {deployment.client_school.name}", user=user, enqueue=enqueue,
    )


def deployment_generate_contract(*, deployment_id: int, enqueue: bool = False) -> Deployment | None:
    """The contract agreement PDF, through the report machinery (lle_portal/reports.py).

    With enqueue=True (the Celery task) the build is queued and retried with
    backoff; without, it is built now (the demo, tests). Either way a build
    already under way is joined, not repeated, and the parties are told it is
    ready once, when the first contract is stored.
    """
    deployment = Deployment.objects.select_related("client_school").filter(pk=deployment_id).first()
    if deployment is None or not deployment.is_contracted:
        return None
    report = contract_request(deployment, enqueue=enqueue)
    if not enqueue:
        reports.report_build_now(report)
    return Deployment.objects.get(pk=deployment_id)


def _build_contract(report: Report) -> bytes:
    deployment = Deployment.objects.for_list().get(pk=report.params["deployment"])
    return render_pdf("pdf/contract.html", contract_context(deployment))


def _contract_ready(report: Report) -> None:
    """Link the new file from the deployment; the parties are told once, the first time."""
    deployment = Deployment.objects.select_for_update(of=("self",)).for_list().get(pk=report.params["deployment"])
    first = deployment.contract_generated_at is None
    deployment.contract_pdf.name = report.file.name
    deployment.contract_generated_at = timezone.now()
    deployment.save(update_fields=["contract_pdf", "contract_generated_at", "updated_at"])
    audit_record(verb="deployment.contract_generated", target=deployment, actor_label="celery")
    if first:
        email_all(
            [deployment.lle.user.email, *client_head_emails(deployment)], template="deployment_contract_ready",
            about=deployment, context={"deployment": deployment},
        )


# --- the reimbursement statement: one source of lines and totals ---------------------


@dataclass
class StatementRow:
    """One line as the page, the CSV and the PDF state it."""

    line: ReimbursementLine
    section: str  # This term / Arrears / Adjustment / Held, not paid
    label: str  # e.g. "Summer term 2025/26 — arrears"
    note: str
    # What the adviser reading the statement's page may do with the line (deployments.rules).
    can_correct: bool = False
    can_approve: bool = False

    @property
    def visit(self) -> VisitRecord:
        return self.line.visit

    @property
    def delivered_by(self) -> str:
        visit = self.line.visit
        return visit.colleague.name if visit.colleague else visit.deployment.lle.user.full_name

    @property
    def period(self) -> TermDates:
        return term_for(self.line.visit.visit_date)


@dataclass
class Section:
    key: str
    title: str
    rows: list[StatementRow] = field(default_factory=list)
    days: Decimal = ZERO
    amount: Decimal = ZERO

    def add(self, row: StatementRow) -> None:
        self.rows.append(row)
        self.days += row.line.days
        self.amount += row.line.amount

    @property
    def summary(self) -> str:
        return f"{visits_phrase(len(self.rows))}, {days_phrase(self.days)}, {money(self.amount)}"


def statement_lines(statement: ReimbursementStatement):
    return statement.lines.select_related(
        "lle_school", "visit__deployment__lle__user", "visit__deployment__client_school", "visit__colleague",
        "adjusts__statement", "approved_by",
    ).order_by("lle_school__name", "-kind", "visit__visit_date", "pk")  # this term's, arrears, adjustments


def statement_row(line: ReimbursementLine, dates: TermDates, months: int) -> StatementRow:
    period = term_for(line.visit.visit_date)
    if line.kind == Kind.ADJUSTMENT:
        assert line.adjusts is not None  # the constraint an_adjustment_names_its_line
        paid_on = line.adjusts.statement
        return StatementRow(
            line, "Adjustment", f"Adjustment to the {paid_on.dates.label} statement",
            f"Visit of {line.visit.visit_date:%-d %B %Y} paid on the {paid_on.dates.label} statement "
            f"(version {paid_on.version}): {line.note}",
        )
    if line.held == Held.CLAIM_WINDOW:
        return StatementRow(line, "Held, not paid", f"{period.label} — arrears, held", line.note or (
            f"Older than the {months}-month claim window: held for the adviser's approval"))
    if line.held == Held.QA:
        return StatementRow(line, "Held, not paid", f"{period.label} — held",
                            "Flagged for quality assurance: paid once the flag is cleared")
    if line.kind == Kind.ARREARS:
        note = "Confirmed late"
        if line.approved_at:
            who = line.approved_by.full_name if line.approved_by else "the adviser"
            note = f"Older than the claim window: approved by {who} on {line.approved_at:%-d %B %Y}"
        return StatementRow(line, "Arrears", f"{period.label} — arrears", note)
    return StatementRow(line, "This term", dates.label, "")


def statement_context(statement: ReimbursementStatement) -> dict:
    """Everything a statement states, for its page, its CSV and its PDF."""
    dates = statement.dates
    months = claim_window_months(statement.local_authority_id)
    period = Section("period", f"Visits of the {dates.label}")
    arrears = Section("arrears", "Arrears: visits of earlier terms confirmed late")
    adjustments = Section("adjustments", "Adjustments to visits paid on earlier statements")
    held = Section("held", "Held, not paid")
    by_period: dict[TermDates, Section] = {}
    schools: dict[int, dict] = {}
    for line in statement_lines(statement):
        row = statement_row(line, dates, months)
        if line.held:
            held.add(row)
            continue
        section = {Kind.PERIOD: period, Kind.ARREARS: arrears, Kind.ADJUSTMENT: adjustments}[line.kind]
        section.add(row)
        if line.kind == Kind.ARREARS:
            by_period.setdefault(row.period, Section("arrears", short_label(row.period))).add(row)
        group = schools.setdefault(line.lle_school_id, {
            "school": line.lle_school, "days": ZERO, "amount": ZERO,
            **{f"{key}_{total}": ZERO for key in ("period", "arrears", "adjustments") for total in ("days", "amount")},
        })
        key = section.key
        group[f"{key}_days"] += line.days
        group[f"{key}_amount"] += line.amount
        group["days"] += line.days
        group["amount"] += line.amount
    arrears_by_period = [
        {"period": term, "count": len(s.rows), "days": s.days, "amount": s.amount,
         "summary": f"{visits_phrase(len(s.rows))}, {days_phrase(s.days)}, from {s.title} arrears"}
        for term, s in sorted(by_period.items(), key=lambda item: item[0].starts_on)
    ]
    school_list = sorted(schools.values(), key=lambda g: (g["school"].name, g["school"].pk))
    return {
        "statement": statement,
        "dates": statement.dates,
        "claim_window_months": months,
        "sections": [period, arrears, adjustments],
        "period": period,
        "arrears": arrears,
        "arrears_by_period": arrears_by_period,
        "adjustments": adjustments,
        "held": held,
        "schools": school_list,
        "total_days": period.days + arrears.days + adjustments.days,
        "total_amount": period.amount + arrears.amount + adjustments.amount,
        "generated_on": timezone.localdate(),
        "file_name": statement_file_name(statement, "pdf"),
    }


# --- the CSV and the PDF ---------------------------------------------------------------

CSV_HEADER = [
    "LLE school URN", "LLE school", "LLE", "Client school URN", "Client school", "Visit date", "Delivered by",
    "Days", "Rate per day", "Amount", "Line", "Term of the visit", "Note",
]


def statement_file_name(statement: ReimbursementStatement, extension: str) -> str:
    """One name for a statement's CSV and PDF: reimbursement-norfolk-autumn-2026-27-v3.csv
    (a draft's ends "-draft")."""
    year = academic_year_label(statement.academic_year).replace("/", "-")
    la = slugify(statement.local_authority.name) or statement.local_authority.code
    draft = "" if statement.is_final else "-draft"
    return f"reimbursement-{la}-{statement.term}-{year}-v{statement.version}{draft}.{extension}"


def csv_rows(context: dict) -> list[list]:
    """The statement as rows: this term's lines, arrears, adjustments, each
    school's total, the total; then the held visits (no amount: not paid)."""
    rows = []

    def line_row(row: StatementRow, *, paid: bool = True) -> list:
        line, visit = row.line, row.visit
        deployment = visit.deployment
        return [
            line.lle_school.urn, line.lle_school.name, deployment.lle.user.full_name,
            deployment.client_school.urn, deployment.client_school.name, visit.visit_date.isoformat(),
            row.delivered_by,
            # Decimals, not text: written as numbers, which the CSV writer leaves as they are.
            line.days.quantize(ONE_PLACE), line.rate_per_day.quantize(TWO_PLACES),
            line.amount.quantize(TWO_PLACES) if paid else "",
            row.section, row.period.label, row.note if paid else f"{row.note} ({money(line.amount)} if paid)",
        ]

    for section in context["sections"]:
        rows += [line_row(row) for row in section.rows]
    for group in context["schools"]:
        school = group["school"]
        rows.append([school.urn, school.name, "", "", "", "", "", group["days"].quantize(ONE_PLACE), "",
                     group["amount"].quantize(TWO_PLACES), "Total for the LLE's school", "", ""])
    rows.append(["", "", "", "", "", "", "", context["total_days"].quantize(ONE_PLACE), "",
                 context["total_amount"].quantize(TWO_PLACES), "Total", context["dates"].label, ""])
    rows += [line_row(row, paid=False) for row in context["held"].rows]
    return rows


def statement_csv(statement: ReimbursementStatement) -> str:
    """The statement for the finance team's spreadsheet."""
    out = io.StringIO()
    writer = csvs.writer(out)  # cells typed by people (names) never run as formulas
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(statement_context(statement)))
    return out.getvalue()


def statement_pdf_current(statement: ReimbursementStatement) -> bool:
    """Whether the stored PDF shows the statement as it is now."""
    if not statement.pdf or statement.pdf_version != statement.version:
        return False
    if not statement.is_final:
        return True
    assert statement.finalised_at is not None  # the constraint finalised_statement_has_time
    return (statement.pdf_generated_at or statement.finalised_at) >= statement.finalised_at


def statement_report_subject(statement: ReimbursementStatement) -> str:
    return f"statement:{statement.pk}:v{statement.version}:{'final' if statement.is_final else 'draft'}"


def statement_request(statement: ReimbursementStatement, *, user=None, enqueue: bool = True) -> Report:
    """The statement's PDF as it is now: its version, draft or final (a new
    version or finalising asks for a new one; the same one joins the build)."""
    stage = "final" if statement.is_final else "draft"
    return reports.report_request(
        kind=STATEMENT, subject=statement_report_subject(statement),
        params={"statement": statement.pk, "version": statement.version, "final": statement.is_final,
                "file_name": statement_file_name(statement, "pdf")},
        title=f"Reimbursement statement: {statement} (version {statement.version}, {stage})", user=user,
        enqueue=enqueue,
    )


def statement_pdf_request(*, statement: ReimbursementStatement, by: User | None = None, enqueue: bool = True):
    """Ask the report machinery for the statement's PDF as it is now (a draft's too)."""
    if by is not None and not by.advises(statement.local_authority_id):
        raise DeploymentError("Only an adviser of this local authority can make its statement's PDF.")
    return statement_request(statement, user=by, enqueue=enqueue)


def statement_generate_pdf(*, statement_id: int, enqueue: bool = False) -> ReimbursementStatement | None:
    """The statement's PDF, through the report machinery (as the contract: queued
    by the task, built now otherwise)."""
    statement = ReimbursementStatement.objects.select_related("local_authority").filter(pk=statement_id).first()
    if statement is None:
        return None
    report = statement_request(statement, enqueue=enqueue)
    if not enqueue:
        reports.report_build_now(report)
    return ReimbursementStatement.objects.get(pk=statement_id)


def _build_statement(report: Report) -> bytes:
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


def end_report_context(deployment: Deployment) -> dict:
    """What the end report says: the agreement, objectives and their progress,
    the support given, and the client school's results before and after."""
    visits = list(deployment.visits.order_by("visit_date", "pk").select_related("colleague"))
    confirmed = [v for v in visits if v.status == VisitRecord.Status.CONFIRMED]
    activities: dict[str, int] = {}
    for visit in confirmed:
        for label in visit.activity_labels:
            activities[label] = activities.get(label, 0) + 1
    start_year = academic_year_of(deployment.start_date)
    results = list(
        SchoolResult.objects.filter(school=deployment.client_school, year__gte=start_year - 2)
        .order_by("key_stage", "measure", "year")
    )
    return {
        "deployment": deployment,
        "objectives": list(deployment.objectives.all()),
        "colleagues": list(deployment.colleagues.all()),
        "visits": confirmed,
        "days_confirmed": sum((v.days for v in confirmed), Decimal(0)),
        "days_recorded": sum((v.days for v in visits), Decimal(0)),
        "activities": sorted(activities.items(), key=lambda item: -item[1]),
        "results": results,
        "generated_on": timezone.localdate(),
    }


def end_report_request(deployment: Deployment, *, user=None) -> Report:
    return reports.report_request(
        kind=END_REPORT, subject=f"deployment:{deployment.pk}", params={"deployment": deployment.pk},
        title=f"Deployment end report: {deployment.client_school.name}", user=user,
    )


def _build_end_report(report: Report) -> bytes:
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
