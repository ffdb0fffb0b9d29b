"""Reimbursement statements that add up.

A statement pays the LLEs' schools of one LA for one term (deployments.terms):

- **its own term's visits**: confirmed records of visit dated in the term;
- **arrears**: visits of earlier terms confirmed (or cleared from quality
  assurance) late and not paid on any statement, each naming its own term;
- **held** items, listed and not paid: arrears older than the LA's claim window
  (until the adviser approves them, audited) and visits flagged for quality
  assurance (until the flag is cleared);
- **adjustments**: a visit paid on a finalised statement and corrected since
  (its length, or withdrawn from payment) is put right by the difference on
  the next statement, naming the statement and visit it corrects.

A visit is paid at most once, ever, and a finalised statement never changes
(both guarded by the database: deployments.models.ReimbursementLine and
the migration finalised_statements_never_change). This module writes them;
what a statement states (its page's rows, its CSV and its PDF: one source of
lines and totals, `deployments.reports.statement_context`) is read in
deployments/reports.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from lle_portal.academic_years import academic_year_label
from lle_portal.audit import audit_record
from lle_portal.models import LocalAuthority, User

from . import rules
from .models import (
    DEFAULT_CLAIM_WINDOW_MONTHS,
    HALF_DAY,
    MAX_CLAIM_WINDOW_MONTHS,
    ONE_DAY,
    PAID_LINE,
    ReimbursementLine,
    ReimbursementPolicy,
    ReimbursementStatement,
    VisitRecord,
    add_months,
)
from .rules import DeploymentError, refuse
from .terms import TermDates, previous_term, term_dates, term_for

Kind = ReimbursementLine.Kind
Held = ReimbursementLine.Held
ONE_PLACE, TWO_PLACES = Decimal("0.1"), Decimal("0.01")
ZERO = Decimal("0")


def _error(message: str) -> Exception:
    # The services' callers catch DeploymentError; one error type for them all.
    return DeploymentError(message)


# --- words -------------------------------------------------------------------------


def short_label(dates: TermDates) -> str:
    """'Summer 2025/26' (the term's label is 'Summer term 2025/26')."""
    return f"{dates.term.label.removesuffix(' term')} {academic_year_label(dates.academic_year)}"


def days_phrase(days: Decimal | int) -> str:
    days = Decimal(days).quantize(ONE_PLACE).normalize()
    return f"{days:f} day" if abs(days) == 1 else f"{days:f} days"


def visits_phrase(count: int) -> str:
    return f"{count} visit" if count == 1 else f"{count} visits"


def money(amount: Decimal | int) -> str:
    amount = Decimal(amount).quantize(TWO_PLACES)
    return f"-£{-amount:,}" if amount < 0 else f"£{amount:,}"


# --- the claim window ----------------------------------------------------------------


def term_to_prepare(local_authorities, today: date | None = None) -> TermDates:
    """The term an adviser most likely prepares next: the last one that has
    ended, unless its statement is already finalised for every one of their
    LAs (a queryset); then the term under way, a draft to check as visits come in.
    One query."""
    today = today or timezone.localdate()
    last = previous_term(today)
    finalised = ReimbursementStatement.objects.filter(
        academic_year=last.academic_year, term=last.term, status=ReimbursementStatement.Status.FINALISED,
    ).values("local_authority_id")
    return last if local_authorities.exclude(pk__in=finalised).exists() else term_for(today)


def claim_window_months(local_authority: LocalAuthority | int) -> int:
    la_id = getattr(local_authority, "pk", local_authority)
    months = ReimbursementPolicy.objects.filter(local_authority_id=la_id).values_list(
        "claim_window_months", flat=True
    ).first()
    return months or DEFAULT_CLAIM_WINDOW_MONTHS


def claim_cutoff(dates: TermDates, months: int) -> date:
    """Arrears dated before this day are older than the claim window: held."""
    return add_months(dates.ends_on, -months)


@transaction.atomic
def claim_window_set(*, local_authority: LocalAuthority, months: int, by: User) -> ReimbursementPolicy:
    """The adviser sets their LA's claim window (a superuser, any LA's)."""
    if not by.advises(local_authority.pk):
        raise _error("Only an adviser of this local authority can set its claim window.")
    if not 1 <= int(months) <= MAX_CLAIM_WINDOW_MONTHS:
        raise _error(f"The claim window is from 1 to {MAX_CLAIM_WINDOW_MONTHS} months.")
    policy, _ = ReimbursementPolicy.objects.select_for_update().get_or_create(local_authority=local_authority)
    before = policy.claim_window_months
    policy.claim_window_months = int(months)
    policy.updated_by = by
    policy.save()
    audit_record(verb="reimbursement.claim_window_set", target=local_authority, actor=by,
                 data={"from": before, "to": policy.claim_window_months})
    return policy


# --- preparing, approving, finalising -------------------------------------------------


def _amount(days: Decimal, rate: Decimal) -> Decimal:
    return (Decimal(days) * rate).quantize(TWO_PLACES)


def _adjustments_due(statement: ReimbursementStatement) -> list[ReimbursementLine]:
    """For each visit paid on a finalised statement and corrected since: the
    difference between what it should have been paid and what it was."""
    final = ReimbursementStatement.Status.FINALISED
    paid = (
        ReimbursementLine.objects.filter(
            PAID_LINE, statement__local_authority_id=statement.local_authority_id, statement__status=final,
            adjusts__isnull=True, visit__corrected_at__isnull=False,
        )
        .select_related("visit", "statement")
        .annotate(
            adjusted_days=Coalesce(Sum("adjustments__days", filter=Q(adjustments__statement__status=final)), ZERO),
            adjusted_amount=Coalesce(Sum("adjustments__amount", filter=Q(adjustments__statement__status=final)),
                                     ZERO),
        )
    )
    lines = []
    for line in paid:
        visit = line.visit
        due_days = ZERO if visit.withdrawn_at else visit.days
        days = due_days - (line.days + line.adjusted_days)
        amount = _amount(due_days, line.rate_per_day) - (line.amount + line.adjusted_amount)
        if days or amount:
            what = "withdrawn from payment" if visit.withdrawn_at else f"length corrected to {days_phrase(due_days)}"
            note = f"{what}: {visit.correction_reason}" if visit.correction_reason else what
            lines.append(ReimbursementLine(
                statement=statement, visit=visit, kind=Kind.ADJUSTMENT, adjusts=line, lle_school_id=line.lle_school_id,
                days=days, rate_per_day=line.rate_per_day, amount=amount, note=note[:300],
            ))
    return lines


@transaction.atomic
def statement_prepare(
    *, local_authority: LocalAuthority, academic_year: int, term: str, by: User
) -> ReimbursementStatement:
    """Prepare (or refresh) the LA's draft statement for a term: a new version.

    It takes every confirmed visit up to the end of the term that no statement
    has paid: the term's own as period lines, earlier ones as arrears (held
    when older than the claim window, unless the adviser approved them on this
    draft before), visits flagged for quality assurance held; and an adjustment
    for each paid visit corrected since.
    """
    if not by.advises(local_authority.pk):
        raise _error("Only an adviser of this local authority can prepare its statements.")
    dates = term_dates(academic_year, term)
    statement, _ = ReimbursementStatement.objects.get_or_create(
        local_authority=local_authority, academic_year=academic_year, term=term,
    )
    statement = ReimbursementStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.is_final:
        raise _error(f"The statement for the {dates.label} is finalised; it cannot change.")
    approved = {
        visit_id: (approved_at, approved_by)
        for visit_id, approved_at, approved_by in statement.lines.filter(approved_at__isnull=False).values_list(
            "visit_id", "approved_at", "approved_by"
        )
    }
    statement.lines.all().delete()
    months = claim_window_months(local_authority)
    cutoff = claim_cutoff(dates, months)
    visits = (
        VisitRecord.objects.confirmed().unclaimed()
        .filter(deployment__client_school__local_authority=local_authority, visit_date__lte=dates.ends_on,
                withdrawn_at__isnull=True)
        .select_related("deployment__lle")
        .order_by("visit_date", "pk")
    )
    lines = []
    for visit in visits:
        kind = Kind.PERIOD if visit.visit_date >= dates.starts_on else Kind.ARREARS
        approved_at, approved_by = approved.get(visit.pk, (None, None))
        if visit.qa_flagged_at:
            held = Held.QA
        elif kind == Kind.ARREARS and visit.visit_date < cutoff and approved_at is None:
            held = Held.CLAIM_WINDOW
        else:
            held = Held.NO
        rate = visit.deployment.rate_per_day
        # The reason as it was when held (a later change of the window does not rewrite it).
        note = f"Older than the {months}-month claim window: held for the adviser's approval" if (
            held == Held.CLAIM_WINDOW) else ""
        lines.append(ReimbursementLine(
            statement=statement, visit=visit, kind=kind, held=held, lle_school_id=visit.deployment.lle.school_id,
            days=visit.days, rate_per_day=rate, amount=_amount(visit.days, rate), note=note,
            approved_at=approved_at if held == Held.NO else None,
            approved_by_id=approved_by if held == Held.NO else None,
        ))
    lines += _adjustments_due(statement)
    try:
        with transaction.atomic():
            ReimbursementLine.objects.bulk_create(lines)
    except IntegrityError:
        raise _error("Another statement claimed some of these days just now. Prepare it again.") from None
    statement.prepared_at = timezone.now()
    statement.prepared_by = by
    statement.version += 1
    statement.save(update_fields=["prepared_at", "prepared_by", "version"])
    audit_record(verb="statement.prepared", target=statement, actor=by, data={
        "version": statement.version, "lines": len(lines),
        "held": sum(1 for line in lines if line.held), "cutoff": cutoff.isoformat(),
    })
    return statement


@transaction.atomic
def late_claim_approve(*, line: ReimbursementLine, by: User) -> ReimbursementLine:
    """The adviser approves arrears held as older than the claim window: they
    are paid on this draft (a new version). Audited."""
    line = ReimbursementLine.objects.select_related("statement", "visit").get(pk=line.pk)
    statement = line.statement = ReimbursementStatement.objects.select_for_update().get(pk=line.statement_id)
    refuse(rules.approve_late_claim_refusal(by, line))
    line.held = Held.NO
    line.approved_at = timezone.now()
    line.approved_by = by
    line.note = ""
    try:
        with transaction.atomic():
            line.save(update_fields=["held", "approved_at", "approved_by", "note"])
    except IntegrityError:  # paid by another statement meanwhile: a visit is paid once
        raise _error("This visit has just been paid on another statement.") from None
    statement.version += 1
    statement.save(update_fields=["version"])
    audit_record(verb="statement.late_claim_approved", target=statement, actor=by, data={
        "visit": line.visit_id, "visit_date": line.visit.visit_date.isoformat(), "amount": str(line.amount),
        "version": statement.version,
    })
    return line


@transaction.atomic
def statement_finalise(
    *, statement: ReimbursementStatement, by: User, at: datetime | None = None
) -> ReimbursementStatement:
    """Finalise for the finance team: its days are paid and never counted again,
    and nothing on it changes after (held visits wait for the next statement).
    `at`: when it was finalised, for a programme's earlier statements entered
    afterwards (the demo's history); now otherwise."""
    statement = ReimbursementStatement.objects.select_for_update().get(pk=statement.pk)
    if not by.advises(statement.local_authority_id):
        raise _error("Only an adviser of this local authority can finalise its statements.")
    if statement.is_final:
        raise _error("This statement is already finalised.")
    if not statement.lines.filter(PAID_LINE).exists():
        raise _error("There are no confirmed days to pay on this statement.")
    changed = statement.lines.filter(PAID_LINE, adjusts__isnull=True).filter(
        Q(visit__qa_flagged_at__isnull=False) | Q(visit__withdrawn_at__isnull=False) | ~Q(visit__days=F("days"))
    )
    if changed.exists():
        # Finalised is what the adviser checked: never a line whose record changed since.
        raise _error("A record of visit on this draft has changed since it was prepared (corrected, withdrawn or "
                     "flagged for quality assurance). Prepare the statement again, check it, then finalise it.")
    statement.status = ReimbursementStatement.Status.FINALISED
    statement.finalised_at = at or timezone.now()
    statement.finalised_by = by
    statement.save(update_fields=["status", "finalised_at", "finalised_by"])
    audit_record(verb="statement.finalised", target=statement, actor=by, data={"version": statement.version})
    from .tasks import generate_statement_pdf

    pk = statement.pk
    transaction.on_commit(lambda: generate_statement_pdf.delay(pk))
    return statement


@transaction.atomic
def visit_correct(
    *, visit: VisitRecord, by: User, reason: str, days: Decimal | None = None, withdraw: bool = False
) -> VisitRecord:
    """The adviser corrects a confirmed record of visit found wrong: its length,
    or withdrawn from payment. A statement that paid it stays as it was; the next
    statement carries the difference as an adjustment."""
    visit = VisitRecord.objects.select_for_update(of=("self",)).select_related(
        "deployment__client_school"
    ).get(pk=visit.pk)
    refuse(rules.correct_visit_refusal(by, visit))
    if not reason.strip():
        raise _error("Say why the record is corrected: the statements show it.")
    before = visit.days
    if withdraw:
        visit.withdrawn_at = timezone.now()
    else:
        if days is None or Decimal(days) not in (HALF_DAY, ONE_DAY):
            raise _error("A visit is half a day or a full day.")
        if Decimal(days) == visit.days:
            raise _error(f"The record already says {days_phrase(visit.days)}.")
        visit.days = Decimal(days)
    visit.corrected_at = timezone.now()
    visit.corrected_by = by
    visit.correction_reason = reason.strip()
    visit.save(update_fields=["days", "withdrawn_at", "corrected_at", "corrected_by", "correction_reason",
                              "updated_at"])
    audit_record(verb="visit.corrected", target=visit, actor=by, data={
        "days_before": str(before), "days": str(visit.days), "withdrawn": bool(visit.withdrawn_at),
        "reason": visit.correction_reason,
    })
    return visit
