"""Brokerage and deployment services: every write and status change.

Views, admin actions and Celery tasks call these; none of them changes a
status itself. Each transition locks the row, checks its rule
(deployments/rules.py, which the pages read too: a `DeploymentError` with the
rule's message when the move is not allowed), writes the audit trail, and
queues its emails (deployments/notify.py), which are sent after the
transaction commits. Reimbursement statements are written in
deployments/reimbursement.py, the documents read in deployments/reports.py,
and the reminder jobs are deployments/reminders.py.

Deployment: proposed → agreed (the LLE and the client head each accept) →
active → completed; or proposed → not taken up; or agreed/active → ended early.
Record of visit: awaiting confirmation → confirmed, or → queried → (amended)
awaiting confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from applications.models import LLEProfile
from lle_portal import school_calendar
from lle_portal.access import acts_for_school
from lle_portal.audit import audit_record
from lle_portal.models import School, User

from . import matching, rules
from .models import (
    HALF_DAY,
    ONE_DAY,
    Activity,
    Deployment,
    DeploymentColleague,
    Objective,
    PriorityReason,
    SupportNeed,
    VisitRecord,
    add_months,
    duration_problem,
)
from .notify import adviser_emails, client_head_emails, email_all
from .priorities import suggest_reasons
from .rules import DeploymentError, NonSchoolDayError, refuse

Status = Deployment.Status
VisitStatus = VisitRecord.Status

# What the adviser's one-click proposal starts from; they change any of it in
# the admin while the proposal is being negotiated.
DEFAULT_LENGTH_MONTHS = 12
# An example rate: each LA agrees its own with the LLE's school (docs/programme.md §10.1).
DEFAULT_RATE_PER_DAY = Decimal("350.00")


def _lock(deployment: Deployment) -> Deployment:
    return (
        Deployment.objects.select_for_update(of=("self",))
        .select_related("lle__user", "lle__school", "client_school", "client_head", "need")
        .get(pk=deployment.pk)
    )


# --- support needs -----------------------------------------------------------------


@transaction.atomic
def support_need_save(*, need: SupportNeed, by: User) -> SupportNeed:
    """Record a new support need, or save the adviser's changes to one.

    A new need keeps what the official data suggested when it was recorded,
    beside the reasons the adviser confirmed.
    """
    if not by.advises(need.client_school.local_authority_id):
        # The admin's form offers only the adviser's schools; a hand-made post or a script gets this.
        raise DeploymentError(f"{need.client_school.name} is not in your local authorities.")
    head = need.client_head
    if head is not None and not acts_for_school(head, need.client_school_id, role=User.Role.HEADTEACHER):
        raise DeploymentError(f"{need.client_head} is not the confirmed headteacher of {need.client_school.name}.")
    unknown = set(need.reasons) - set(PriorityReason.values)
    if unknown:
        raise DeploymentError(f"Unknown priority reason(s): {', '.join(sorted(unknown))}.")
    created = need.pk is None
    if created:
        need.created_by = by
        need.suggested_reasons = [
            s.as_dict() for s in suggest_reasons(need.client_school, head_appointed_on=need.head_appointed_on)
        ]
        if not need.client_head_name and need.client_head:
            need.client_head_name = need.client_head.full_name
    need.save()
    audit_record(verb="need.recorded" if created else "need.changed", target=need, actor=by,
                 data={"reasons": need.reasons, "focus_areas": need.focus_areas})
    return need


@transaction.atomic
def support_need_close(*, need: SupportNeed, by: User, reason: str) -> SupportNeed:
    need = SupportNeed.objects.select_for_update().get(pk=need.pk)
    refuse(rules.close_need_refusal(need))
    if not reason.strip():
        raise DeploymentError("Say why the support need is closed.")
    need.status = SupportNeed.Status.CLOSED
    need.closed_reason = reason
    need.save(update_fields=["status", "closed_reason", "updated_at"])
    audit_record(verb="need.closed", target=need, actor=by, data={"reason": reason})
    return need


# --- deployments ----------------------------------------------------------------------


def next_monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def default_dates(school: School, today: date | None = None) -> tuple[date, date]:
    """A proposal's dates: from the first day of the next term of the client
    school's LA to the last school day before the agreed length (12 months)
    has passed, so a year from January ends before Christmas."""
    calendar = school_calendar.calendar_for(school.local_authority_id)
    start = calendar.next_term_start(today or timezone.localdate())
    end = calendar.last_school_day(add_months(start, DEFAULT_LENGTH_MONTHS) - timedelta(days=1))
    return start, end


def proposal_defaults(need: SupportNeed, candidate: matching.Candidate | None = None,
                      today: date | None = None) -> dict:
    """The terms a one-click proposal starts from."""
    start, end = default_dates(need.client_school, today)
    wanted = Decimal(need.days_per_week)
    spare = candidate.spare_days if candidate else wanted
    return {
        "start_date": start,
        "end_date": end,
        "days_per_week": min(wanted, spare) if spare >= HALF_DAY else wanted,
        "rate_per_day": DEFAULT_RATE_PER_DAY,
        "kind": Deployment.Kind.PROFESSIONAL_PARTNER if need.is_professional_partner else Deployment.Kind.LLE_SUPPORT,
    }


@transaction.atomic
def deployment_propose(
    *, need: SupportNeed, lle: LLEProfile, by: User, start_date: date, end_date: date,
    days_per_week: Decimal, rate_per_day: Decimal, kind: str = "",
) -> Deployment:
    """Propose an LLE for an open support need. The hard exclusions of the
    matching list apply here too: whatever the page showed, an excluded LLE is
    never proposed."""
    need = (
        SupportNeed.objects.select_for_update(of=("self",)).select_related("client_school", "client_head")
        .get(pk=need.pk)
    )
    refuse(rules.propose_refusal(by, need))
    # Lock the LLE: two proposals at once must not both take their last free day.
    lle = LLEProfile.objects.select_for_update(of=("self",)).select_related("user", "school").get(pk=lle.pk)
    lle.committed_days = sum(  # type: ignore[attr-defined]
        Decimal(d) for d in lle.deployments.committing().values_list("days_per_week", flat=True)
    )
    pairings = matching.load_pairings([need], lle_ids=[lle.pk])
    excluded = matching.exclusions_for(lle, need.client_school, spare=matching.spare_days(lle),
                                       busy=pairings.is_busy(lle.pk, need.client_school_id),
                                       declined_on=pairings.declined_on(lle.pk, need.pk))
    if excluded:
        why = "; ".join(reason[0].lower() + reason[1:] for reason in excluded)
        raise DeploymentError(f"{lle.user} cannot be proposed: {why}.")
    days_per_week = Decimal(days_per_week)
    if days_per_week not in (HALF_DAY, ONE_DAY):
        raise DeploymentError("A deployment is half a day or one day a week.")
    if days_per_week > matching.spare_days(lle):
        raise DeploymentError(
            f"{lle.user} has only {matching.days_text(matching.spare_days(lle))} a week free."
        )
    problem = duration_problem(start_date, end_date)
    if problem:
        raise DeploymentError(problem)
    if Decimal(rate_per_day) < 0:
        raise DeploymentError("The reimbursement rate cannot be negative.")
    kind = kind or proposal_defaults(need)["kind"]
    deployment = Deployment.objects.create(
        need=need, lle=lle, client_school=need.client_school, client_head=need.client_head,
        client_head_name=need.head_display, kind=kind, days_per_week=days_per_week, start_date=start_date,
        end_date=end_date, rate_per_day=rate_per_day, proposed_by=by,
    )
    need.status = SupportNeed.Status.MATCHED
    need.save(update_fields=["status", "updated_at"])
    audit_record(verb="deployment.proposed", target=deployment, actor=by,
                 data={"need": need.pk, "lle": lle.pk, "days_per_week": str(days_per_week)})
    context = {"deployment": deployment}
    email_all([lle.user.email], template="deployment_proposed", about=deployment, context={**context, "as_lle": True})
    email_all(client_head_emails(deployment), template="deployment_proposed", about=deployment, context=context)
    return deployment


@transaction.atomic
def deployment_accept(*, deployment: Deployment, by: User) -> Deployment:
    """The LLE or the client head accepts the proposal, each on their own page.
    When both have, the deployment is agreed and its contract agreement is
    generated in the background."""
    deployment = _lock(deployment)
    part = rules.part_of(by, deployment)
    refuse(rules.accept_refusal(part, deployment))
    now = timezone.now()
    if part.lle:
        deployment.lle_accepted_at = now
        party = "lle"
    else:
        deployment.client_accepted_at = now
        party = "client_head"
    audit_record(verb="deployment.accepted", target=deployment, actor=by, data={"party": party})
    if deployment.lle_accepted_at and deployment.client_accepted_at:
        deployment.status = Status.AGREED
        deployment.agreed_at = now
        audit_record(verb="deployment.agreed", target=deployment, actor=by)
        email_all(
            [deployment.lle.user.email, *client_head_emails(deployment), *adviser_emails(deployment.client_school)],
            template="deployment_agreed", about=deployment, context={"deployment": deployment},
        )
        from .tasks import generate_contract

        pk = deployment.pk
        transaction.on_commit(lambda: generate_contract.delay(pk))
    deployment.save()
    return deployment


@transaction.atomic
def deployment_decline(*, deployment: Deployment, by: User, reason: str) -> Deployment:
    """The proposal is not taken up (the LLE or client head declines, or the
    adviser withdraws it); the support need is open again for another match."""
    deployment = _lock(deployment)
    refuse(rules.decline_refusal(by, deployment))
    if not reason.strip():
        raise DeploymentError("Say why the proposal is not taken up.")
    deployment.status = Status.WITHDRAWN
    deployment.ended_reason = reason
    deployment.finished_at = timezone.now()
    deployment.save()
    if deployment.need and deployment.need.status == SupportNeed.Status.MATCHED:
        others = deployment.need.deployments.committing().exclude(pk=deployment.pk).exists()
        if not others:
            SupportNeed.objects.filter(pk=deployment.need.pk).update(status=SupportNeed.Status.OPEN)
    audit_record(verb="deployment.declined", target=deployment, actor=by, data={"reason": reason})
    email_all(
        [deployment.lle.user.email, *client_head_emails(deployment), *adviser_emails(deployment.client_school)],
        template="deployment_declined", about=deployment,
        context={"deployment": deployment, "reason": reason, "by": by},
    )
    return deployment


@transaction.atomic
def deployment_start(*, deployment: Deployment, by: User | None = None, today: date | None = None) -> Deployment:
    """An agreed deployment becomes active on its start date (the daily job),
    with its first record of visit, or when the adviser says so."""
    deployment = _lock(deployment)
    refuse(rules.start_refusal(by, deployment, today))
    return _start(deployment, by=by)


def _start(deployment: Deployment, *, by: User | None) -> Deployment:
    """The transition itself, on a locked deployment its rule allows."""
    deployment.status = Status.ACTIVE
    deployment.started_at = timezone.now()
    deployment.save(update_fields=["status", "started_at", "updated_at"])
    audit_record(verb="deployment.started", target=deployment, actor=by, actor_label="" if by else "celery")
    return deployment


@transaction.atomic
def deployment_complete(*, deployment: Deployment, by: User, today: date | None = None) -> Deployment:
    """The deployment reached its agreed end point."""
    deployment = _lock(deployment)
    refuse(rules.complete_refusal(by, deployment, today))
    deployment.status = Status.COMPLETED
    deployment.finished_at = timezone.now()
    deployment.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(verb="deployment.completed", target=deployment, actor=by)
    return deployment


@transaction.atomic
def deployment_end_early(*, deployment: Deployment, by: User, reason: str) -> Deployment:
    deployment = _lock(deployment)
    refuse(rules.end_early_refusal(by, deployment))
    if not reason.strip():
        raise DeploymentError("Say why the deployment ends early.")
    deployment.status = Status.ENDED_EARLY
    deployment.ended_reason = reason
    deployment.finished_at = timezone.now()
    deployment.save(update_fields=["status", "ended_reason", "finished_at", "updated_at"])
    audit_record(verb="deployment.ended_early", target=deployment, actor=by, data={"reason": reason})
    email_all(
        [deployment.lle.user.email, *client_head_emails(deployment)], template="deployment_ended_early",
        about=deployment, context={"deployment": deployment, "reason": reason},
    )
    return deployment


def deployments_start_due(*, today: date | None = None) -> int:
    """Start every agreed deployment whose start date has come (the daily job)."""
    today = today or timezone.localdate()
    started = 0
    for pk in Deployment.objects.agreed().filter(start_date__lte=today).values_list("pk", flat=True):
        try:
            deployment_start(deployment=Deployment(pk=pk), today=today)
        except DeploymentError:
            continue  # started (or ended) by someone else meanwhile
        started += 1
    return started


# --- objectives --------------------------------------------------------------------


@transaction.atomic
def objective_add(*, deployment: Deployment, by: User, title: str, measure_of_success: str) -> Objective:
    """Objectives are negotiated between the LLE and the client head (docs/programme.md §9.3)."""
    deployment = _lock(deployment)
    refuse(rules.add_objective_refusal(by, deployment))
    if not (title.strip() and measure_of_success.strip()):
        raise DeploymentError("Give the objective and how its success will be measured.")
    objective = Objective.objects.create(
        deployment=deployment, title=title.strip(), measure_of_success=measure_of_success.strip(),
        position=deployment.objectives.count() + 1,
    )
    audit_record(verb="objective.added", target=deployment, actor=by, data={"objective": objective.title})
    return objective


@transaction.atomic
def objective_rate(*, objective: Objective, by: User, progress: str) -> Objective:
    objective = Objective.objects.select_for_update(of=("self",)).select_related("deployment").get(pk=objective.pk)
    refuse(rules.rate_refusal(by, objective.deployment))
    if progress not in Objective.Progress.values:
        raise DeploymentError("Choose a progress rating.")
    old = objective.progress
    objective.progress = progress
    objective.save(update_fields=["progress", "updated_at"])
    audit_record(verb="objective.rated", target=objective.deployment, actor=by,
                 data={"objective": objective.title, "from": old, "to": progress})
    return objective


# --- records of visit -----------------------------------------------------------------


def _check_visit_fields(deployment: Deployment, *, visit_date: date, days: Decimal, activities: Sequence[str],
                        objectives: Iterable[Objective], today: date, non_school_day_reason: str = "") -> str:
    """Refuse a record of visit the rules do not allow. Returns why its day is
    not a school day of the client school's LA ('' on a school day): such a
    visit needs a reason, and is then checked by the adviser."""
    if visit_date > today:
        raise DeploymentError("A record of visit is for a day that has happened: the date is in the future.")
    if not deployment.start_date <= visit_date <= deployment.end_date:
        raise DeploymentError(
            f"The visit must fall within the deployment, {deployment.start_date:%-d %B %Y} "
            f"to {deployment.end_date:%-d %B %Y}."
        )
    if Decimal(days) not in (HALF_DAY, ONE_DAY):
        raise DeploymentError("A visit is half a day or a full day.")
    if not activities or set(activities) - set(Activity.values):
        raise DeploymentError("Say what was done on the visit.")
    if any(o.deployment_id != deployment.pk for o in objectives):
        raise DeploymentError("The objectives must be this deployment's.")
    closed = school_calendar.closed_because(deployment.client_school.local_authority_id, visit_date)
    if closed and not non_school_day_reason.strip():
        raise NonSchoolDayError(
            f"{visit_date:%A %-d %B %Y} is not a school day at {deployment.client_school.name}: it is {closed}. "
            "If the visit did take place that day, say why; the adviser will check the record."
        )
    return closed


def _flag_non_school_day(visit: VisitRecord, closed: str) -> None:
    """A visit on a day the school is closed goes to the adviser's
    quality-assurance list with its reason (the caller saves the visit)."""
    if visit.qa_flagged_at:
        return
    visit.qa_flagged_at = timezone.now()
    visit.qa_flagged_by = None
    visit.qa_note = f"Not a school day ({closed}). The reason given: {visit.non_school_day_reason}"
    audit_record(verb="visit.qa_flagged", target=visit, actor_label="portal",
                 data={"note": visit.qa_note, "not_a_school_day": closed})


@transaction.atomic
def visit_record(
    *, deployment: Deployment, by: User, visit_date: date, days: Decimal, activities: Sequence[str],
    summary: str, progress: str, next_steps: str, objectives: Iterable[Objective] = (),
    colleague: DeploymentColleague | None = None, today: date | None = None, non_school_day_reason: str = "",
) -> VisitRecord:
    """The LLE, or the colleague who went, records a visit; the client head is
    asked to confirm it. The first visit of an agreed deployment starts it.
    A visit on a day that is not a school day needs a reason, and is flagged
    for the adviser's quality assurance."""
    deployment = _lock(deployment)
    part = rules.part_of(by, deployment)
    refuse(rules.record_visit_refusal(part, deployment))
    today = today or timezone.localdate()
    own = part.colleague
    if not part.lle:
        assert own is not None  # record_visit_refusal: not the LLE, so a colleague who delivers the days
        if colleague is not None and colleague.pk != own.pk:
            raise DeploymentError("Record your own visits; the LLE records a visit for another colleague.")
        colleague = own
    if colleague is not None and colleague.deployment_id != deployment.pk:
        raise DeploymentError("That colleague does not deliver days of this deployment.")
    objectives = list(objectives)
    closed = _check_visit_fields(deployment, visit_date=visit_date, days=days, activities=activities,
                                 objectives=objectives, today=today, non_school_day_reason=non_school_day_reason)
    if deployment.status == Status.AGREED:  # the first visit starts it
        refuse(rules.start_refusal(None, deployment, today))
        _start(deployment, by=by)
    try:
        with transaction.atomic():
            visit = VisitRecord.objects.create(
                deployment=deployment, visit_date=visit_date, days=days, colleague=colleague,
                activities=list(activities), summary=summary, progress=progress, next_steps=next_steps,
                recorded_by=by, non_school_day_reason=non_school_day_reason.strip() if closed else "",
            )
    except IntegrityError:
        who = colleague.name if colleague else "the LLE"
        raise DeploymentError(f"A visit by {who} on {visit_date:%-d %B %Y} is already recorded.") from None
    visit.objectives.set(objectives)
    audit_record(verb="visit.recorded", target=visit, actor=by,
                 data={"deployment": deployment.pk, "date": visit_date.isoformat(), "days": str(days)})
    if closed:
        _flag_non_school_day(visit, closed)
        visit.save(update_fields=["qa_flagged_at", "qa_flagged_by", "qa_note", "updated_at"])
    email_all(client_head_emails(deployment), template="visit_recorded", about=visit,
               context={"visit": visit, "deployment": deployment})
    return visit


def _lock_visit(visit: VisitRecord) -> VisitRecord:
    return (
        VisitRecord.objects.select_for_update(of=("self",))
        .select_related("deployment__lle__user", "deployment__client_school", "recorded_by", "colleague")
        .get(pk=visit.pk)
    )


@transaction.atomic
def visit_confirm(*, visit: VisitRecord, by: User) -> VisitRecord:
    """The client head confirms the record: the day can now be paid."""
    visit = _lock_visit(visit)
    refuse(rules.confirm_visit_refusal(by, visit))
    visit.status = VisitStatus.CONFIRMED
    visit.confirmed_at = timezone.now()
    visit.confirmed_by = by
    visit.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
    audit_record(verb="visit.confirmed", target=visit, actor=by)
    return visit


@transaction.atomic
def visit_query(*, visit: VisitRecord, by: User, reason: str) -> VisitRecord:
    """The client head queries the record; whoever recorded it is told why."""
    visit = _lock_visit(visit)
    refuse(rules.query_visit_refusal(by, visit))
    if not reason.strip():
        raise DeploymentError("Say what you are querying.")
    visit.status = VisitStatus.QUERIED
    visit.query_reason = reason.strip()
    visit.queried_at = timezone.now()
    visit.save(update_fields=["status", "query_reason", "queried_at", "updated_at"])
    audit_record(verb="visit.queried", target=visit, actor=by, data={"reason": visit.query_reason})
    email_all([visit.recorded_by.email, visit.deployment.lle.user.email], template="visit_queried", about=visit,
               context={"visit": visit, "deployment": visit.deployment})
    return visit


@transaction.atomic
def visit_amend(
    *, visit: VisitRecord, by: User, summary: str, progress: str, next_steps: str, days: Decimal,
    activities: Sequence[str], objectives: Iterable[Objective] = (), today: date | None = None,
    non_school_day_reason: str | None = None,
) -> VisitRecord:
    """Answer a query: correct the record and send it for confirmation again.
    The rules of a new record apply: on a day that is not a school day, the
    reason (`non_school_day_reason`, or the one given before when None)."""
    visit = _lock_visit(visit)
    deployment = visit.deployment
    refuse(rules.amend_visit_refusal(by, visit))
    objectives = list(objectives)
    if non_school_day_reason is None:
        non_school_day_reason = visit.non_school_day_reason
    closed = _check_visit_fields(deployment, visit_date=visit.visit_date, days=days, activities=activities,
                                 objectives=objectives, today=today or timezone.localdate(),
                                 non_school_day_reason=non_school_day_reason)
    previous_query = visit.query_reason
    visit.non_school_day_reason = non_school_day_reason.strip() if closed else ""
    if closed:
        _flag_non_school_day(visit, closed)
    visit.summary, visit.progress, visit.next_steps = summary, progress, next_steps
    visit.days, visit.activities = days, list(activities)
    visit.status = VisitStatus.SUBMITTED
    visit.query_reason = ""
    visit.save()
    visit.objectives.set(objectives)
    audit_record(verb="visit.amended", target=visit, actor=by, data={"answering": previous_query})
    email_all(client_head_emails(deployment), template="visit_recorded", about=visit,
               context={"visit": visit, "deployment": deployment, "amended": True})
    return visit


@transaction.atomic
def visit_flag_for_qa(*, visit: VisitRecord, by: User, note: str = "") -> VisitRecord:
    """The adviser picks a record for quality assurance (docs/programme.md §9.8)."""
    visit = _lock_visit(visit)
    refuse(rules.flag_visit_refusal(by, visit))
    visit.qa_flagged_at = timezone.now()
    visit.qa_flagged_by = by
    visit.qa_note = note
    visit.save(update_fields=["qa_flagged_at", "qa_flagged_by", "qa_note", "updated_at"])
    audit_record(verb="visit.qa_flagged", target=visit, actor=by, data={"note": note})
    return visit


@transaction.atomic
def visit_clear_qa_flag(*, visit: VisitRecord, by: User, note: str = "") -> VisitRecord:
    visit = _lock_visit(visit)
    refuse(rules.clear_flag_refusal(by, visit))
    visit.qa_flagged_at = None
    visit.qa_flagged_by = None
    visit.qa_note = note
    visit.save(update_fields=["qa_flagged_at", "qa_flagged_by", "qa_note", "updated_at"])
    audit_record(verb="visit.qa_cleared", target=visit, actor=by, data={"note": note})
    return visit
