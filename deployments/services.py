"""Brokerage and deployment services: every write and status change.

Views, admin actions and Celery tasks call these; none of them changes a
status itself. Each transition locks the row, checks the current status (a
`DeploymentError` when the move is not allowed), writes the audit trail, and
queues its emails, which are sent after the transaction commits.

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
from lle_portal.emails import email_queue
from lle_portal.errors import DomainError
from lle_portal.models import School, SchoolResult, User
from lle_portal.schooldata import academic_year_of

from . import matching
from .models import (
    HALF_DAY,
    ONE_DAY,
    Activity,
    Deployment,
    DeploymentColleague,
    Objective,
    PriorityReason,
    ReimbursementStatement,
    ReminderLog,
    SupportNeed,
    VisitRecord,
    add_months,
    duration_problem,
)
from .priorities import suggest_reasons

Status = Deployment.Status
VisitStatus = VisitRecord.Status

# What the adviser's one-click proposal starts from; they change any of it in
# the admin while the proposal is being negotiated.
DEFAULT_LENGTH_MONTHS = 12
# An example rate: each LA agrees its own with the LLE's school (docs/programme.md §10.1).
DEFAULT_RATE_PER_DAY = Decimal("350.00")
# Deployments approaching their agreed end point (to the adviser and both heads).
ENDING_SOON_DAYS = 30


class DeploymentError(DomainError):
    """A change the rules do not allow; the message is for the person who tried.
    `field`: the form field the message is about, when there is one."""

    field: str | None = None


class NonSchoolDayError(DeploymentError):
    """A visit on a day that is not a school day, recorded without a reason."""

    field = "non_school_day_reason"


# --- small rules -------------------------------------------------------------------


def is_lle_of(user: User, deployment: Deployment) -> bool:
    return user.is_authenticated and deployment.lle.user_id == user.pk


def is_client_head_of(user: User, deployment: Deployment) -> bool:
    """The client head acts on a deployment only when named on it and still the
    confirmed head of the client school (a claim to the school gives nothing)."""
    return (
        user.is_authenticated and deployment.client_head_id == user.pk
        and acts_for_school(user, deployment.client_school_id, role=User.Role.HEADTEACHER)
    )


def is_adviser_of(user: User, deployment: Deployment) -> bool:
    return user.is_authenticated and user.advises(deployment.client_school.local_authority_id)


def colleague_of(user: User, deployment: Deployment) -> DeploymentColleague | None:
    if not user.is_authenticated:
        return None
    return next((c for c in deployment.colleagues.all() if c.user_id == user.pk), None)


def client_head_emails(deployment: Deployment) -> list[str]:
    """The named client head, while they are still the school's confirmed head;
    nobody else who says they lead the school is told about the deployment."""
    head = deployment.client_head
    if head is not None and acts_for_school(head, deployment.client_school_id, role=User.Role.HEADTEACHER):
        return [head.email]
    return []


def adviser_emails(school: School) -> list[str]:
    """The advisers of the school's LA, who broker its deployments."""
    return list(
        User.objects.filter(role=User.Role.ADVISER, is_active=True, local_authorities=school.local_authority_id)
        .values_list("email", flat=True)
    )


def _lock(deployment: Deployment) -> Deployment:
    return (
        Deployment.objects.select_for_update(of=("self",))
        .select_related("lle__user", "lle__school", "client_school", "client_head", "need")
        .get(pk=deployment.pk)
    )


def _require(deployment: Deployment, *allowed: str, action: str) -> None:
    if deployment.status not in allowed:
        raise DeploymentError(f"You cannot {action} a deployment that is {deployment.get_status_display().lower()}.")


def _email_all(addresses: Iterable[str], *, template: str, about, context: dict) -> None:
    for address in dict.fromkeys(a for a in addresses if a):  # each person once, in order
        email_queue(to=address, template=template, about=about, context=context)


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
    if need.status == SupportNeed.Status.CLOSED:
        raise DeploymentError("This support need is already closed.")
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
    if need.status != SupportNeed.Status.OPEN:
        raise DeploymentError(f"This support need is {need.get_status_display().lower()}, not open.")
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
    _email_all([lle.user.email], template="deployment_proposed", about=deployment, context={**context, "as_lle": True})
    _email_all(client_head_emails(deployment), template="deployment_proposed", about=deployment, context=context)
    return deployment


@transaction.atomic
def deployment_accept(*, deployment: Deployment, by: User) -> Deployment:
    """The LLE or the client head accepts the proposal, each on their own page.
    When both have, the deployment is agreed and its contract agreement is
    generated in the background."""
    deployment = _lock(deployment)
    _require(deployment, Status.PROPOSED, action="accept")
    now = timezone.now()
    if is_lle_of(by, deployment):
        if deployment.lle_accepted_at:
            raise DeploymentError("You have already accepted this deployment.")
        deployment.lle_accepted_at = now
        party = "lle"
    elif is_client_head_of(by, deployment):
        if deployment.client_accepted_at:
            raise DeploymentError("You have already accepted this deployment.")
        deployment.client_accepted_at = now
        party = "client_head"
    else:
        raise DeploymentError("Only the LLE and the client head named on the deployment can accept it.")
    audit_record(verb="deployment.accepted", target=deployment, actor=by, data={"party": party})
    if deployment.lle_accepted_at and deployment.client_accepted_at:
        deployment.status = Status.AGREED
        deployment.agreed_at = now
        audit_record(verb="deployment.agreed", target=deployment, actor=by)
        _email_all(
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
    _require(deployment, Status.PROPOSED, action="decline")
    if not (is_lle_of(by, deployment) or is_client_head_of(by, deployment) or is_adviser_of(by, deployment)):
        raise DeploymentError("Only the LLE, the client head named on the deployment or the adviser can decline it.")
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
    _email_all(
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
    _require(deployment, Status.AGREED, action="start")
    today = today or timezone.localdate()
    if today < deployment.start_date:
        raise DeploymentError(f"This deployment starts on {deployment.start_date:%-d %B %Y}.")
    deployment.status = Status.ACTIVE
    deployment.started_at = timezone.now()
    deployment.save(update_fields=["status", "started_at", "updated_at"])
    audit_record(verb="deployment.started", target=deployment, actor=by, actor_label="" if by else "celery")
    return deployment


@transaction.atomic
def deployment_complete(*, deployment: Deployment, by: User, today: date | None = None) -> Deployment:
    """The deployment reached its agreed end point."""
    deployment = _lock(deployment)
    _require(deployment, Status.ACTIVE, action="complete")
    if not is_adviser_of(by, deployment):
        raise DeploymentError("Only the adviser can record that a deployment is complete.")
    today = today or timezone.localdate()
    if today < deployment.end_date:
        raise DeploymentError(
            f"The agreed end point is {deployment.end_date:%-d %B %Y}. To stop before it, end the deployment early "
            "and give the reason."
        )
    deployment.status = Status.COMPLETED
    deployment.finished_at = timezone.now()
    deployment.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(verb="deployment.completed", target=deployment, actor=by)
    return deployment


@transaction.atomic
def deployment_end_early(*, deployment: Deployment, by: User, reason: str) -> Deployment:
    deployment = _lock(deployment)
    _require(deployment, Status.AGREED, Status.ACTIVE, action="end early")
    if not is_adviser_of(by, deployment):
        raise DeploymentError("Only the adviser can end a deployment early.")
    if not reason.strip():
        raise DeploymentError("Say why the deployment ends early.")
    deployment.status = Status.ENDED_EARLY
    deployment.ended_reason = reason
    deployment.finished_at = timezone.now()
    deployment.save(update_fields=["status", "ended_reason", "finished_at", "updated_at"])
    audit_record(verb="deployment.ended_early", target=deployment, actor=by, data={"reason": reason})
    _email_all(
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


def contract_context(deployment: Deployment) -> dict:
    calendar = school_calendar.calendar_for(deployment.client_school.local_authority_id)
    return {
        "deployment": deployment,
        # The school terms the deployment spans, with their half-terms: when the days are delivered.
        "terms": calendar.terms_between(deployment.start_date, deployment.end_date),
        "school_days": calendar.school_days_between(deployment.start_date, deployment.end_date),
        "objectives": list(deployment.objectives.all()),
        "colleagues": list(deployment.colleagues.all()),
        "advisers": list(
            User.objects.filter(role=User.Role.ADVISER, is_active=True,
                                local_authorities=deployment.client_school.local_authority_id)
        ),
        "generated_on": timezone.localdate(),
    }


def deployment_generate_contract(*, deployment_id: int, enqueue: bool = False) -> Deployment | None:
    """The contract agreement PDF, through the report machinery (deployments/reports.py).

    With enqueue=True (the Celery task) the build is queued and retried with
    backoff; without, it is built now (the demo, tests). Either way a build
    already under way is joined, not repeated, and the parties are told it is
    ready once, when the first contract is stored.
    """
    from lle_portal.reports import report_build_now

    from .reports import contract_request

    deployment = Deployment.objects.select_related("client_school").filter(pk=deployment_id).first()
    if deployment is None or deployment.status in (Status.PROPOSED, Status.WITHDRAWN):
        return None
    report = contract_request(deployment, enqueue=enqueue)
    if not enqueue:
        report_build_now(report)
    return Deployment.objects.get(pk=deployment_id)


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


# --- objectives --------------------------------------------------------------------


def _require_party(by: User, deployment: Deployment, action: str) -> None:
    if not (is_lle_of(by, deployment) or is_client_head_of(by, deployment) or is_adviser_of(by, deployment)):
        raise DeploymentError(f"Only the LLE, the client head and the adviser can {action}.")


@transaction.atomic
def objective_add(*, deployment: Deployment, by: User, title: str, measure_of_success: str) -> Objective:
    """Objectives are negotiated between the LLE and the client head (docs/programme.md §9.3)."""
    deployment = _lock(deployment)
    _require(deployment, Status.PROPOSED, Status.AGREED, Status.ACTIVE, action="add objectives to")
    _require_party(by, deployment, "add objectives")
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
    _require(objective.deployment, Status.AGREED, Status.ACTIVE, action="rate the objectives of")
    _require_party(by, objective.deployment, "rate progress")
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
    _require(deployment, Status.AGREED, Status.ACTIVE, action="record a visit to")
    today = today or timezone.localdate()
    own = colleague_of(by, deployment)
    if not is_lle_of(by, deployment):
        if own is None:
            raise DeploymentError("Only the LLE or a colleague who delivers the days can record a visit.")
        if colleague is not None and colleague.pk != own.pk:
            raise DeploymentError("Record your own visits; the LLE records a visit for another colleague.")
        colleague = own
    if colleague is not None and colleague.deployment_id != deployment.pk:
        raise DeploymentError("That colleague does not deliver days of this deployment.")
    objectives = list(objectives)
    closed = _check_visit_fields(deployment, visit_date=visit_date, days=days, activities=activities,
                                 objectives=objectives, today=today, non_school_day_reason=non_school_day_reason)
    if deployment.status == Status.AGREED:
        deployment_start(deployment=deployment, by=by, today=today)
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
    _email_all(client_head_emails(deployment), template="visit_recorded", about=visit,
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
    if not is_client_head_of(by, visit.deployment):
        raise DeploymentError("Only the client head named on the deployment can confirm a record of visit.")
    if visit.status == VisitStatus.CONFIRMED:
        raise DeploymentError("This record of visit is already confirmed.")
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
    if not is_client_head_of(by, visit.deployment):
        raise DeploymentError("Only the client head named on the deployment can query a record of visit.")
    if visit.status != VisitStatus.SUBMITTED:
        raise DeploymentError(f"You cannot query a record of visit that is {visit.get_status_display().lower()}.")
    if not reason.strip():
        raise DeploymentError("Say what you are querying.")
    visit.status = VisitStatus.QUERIED
    visit.query_reason = reason.strip()
    visit.queried_at = timezone.now()
    visit.save(update_fields=["status", "query_reason", "queried_at", "updated_at"])
    audit_record(verb="visit.queried", target=visit, actor=by, data={"reason": visit.query_reason})
    _email_all([visit.recorded_by.email, visit.deployment.lle.user.email], template="visit_queried", about=visit,
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
    if not (is_lle_of(by, deployment) or visit.recorded_by_id == by.pk):
        raise DeploymentError("Only the LLE or whoever recorded the visit can change it.")
    if visit.status != VisitStatus.QUERIED:
        raise DeploymentError("Only a queried record of visit can be changed.")
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
    _email_all(client_head_emails(deployment), template="visit_recorded", about=visit,
               context={"visit": visit, "deployment": deployment, "amended": True})
    return visit


@transaction.atomic
def visit_flag_for_qa(*, visit: VisitRecord, by: User, note: str = "") -> VisitRecord:
    """The adviser picks a record for quality assurance (docs/programme.md §9.8)."""
    visit = _lock_visit(visit)
    if not is_adviser_of(by, visit.deployment):
        raise DeploymentError("Only the adviser can flag a record of visit for quality assurance.")
    if visit.qa_flagged_at:
        raise DeploymentError("This record of visit is already flagged for quality assurance.")
    visit.qa_flagged_at = timezone.now()
    visit.qa_flagged_by = by
    visit.qa_note = note
    visit.save(update_fields=["qa_flagged_at", "qa_flagged_by", "qa_note", "updated_at"])
    audit_record(verb="visit.qa_flagged", target=visit, actor=by, data={"note": note})
    return visit


@transaction.atomic
def visit_clear_qa_flag(*, visit: VisitRecord, by: User, note: str = "") -> VisitRecord:
    visit = _lock_visit(visit)
    if not is_adviser_of(by, visit.deployment):
        raise DeploymentError("Only the adviser can clear a quality-assurance flag.")
    if not visit.qa_flagged_at:
        raise DeploymentError("This record of visit is not flagged for quality assurance.")
    visit.qa_flagged_at = None
    visit.qa_flagged_by = None
    visit.qa_note = note
    visit.save(update_fields=["qa_flagged_at", "qa_flagged_by", "qa_note", "updated_at"])
    audit_record(verb="visit.qa_cleared", target=visit, actor=by, data={"note": note})
    return visit


# --- reimbursement -----------------------------------------------------------------
# In deployments.reimbursement; the names callers import from here.

from .reimbursement import (  # noqa: E402, F401
    CSV_HEADER,
    claim_window_set,
    late_claim_approve,
    statement_context,
    statement_csv,
    statement_file_name,
    statement_finalise,
    statement_lines,
    statement_pdf_request,
    statement_prepare,
    visit_correct,
)


def statement_generate_pdf(*, statement_id: int, enqueue: bool = False) -> ReimbursementStatement | None:
    """The statement's PDF, through the report machinery (as the contract: queued
    by the task, built now otherwise)."""
    from lle_portal.reports import report_build_now

    from .reports import statement_request

    statement = ReimbursementStatement.objects.select_related("local_authority").filter(pk=statement_id).first()
    if statement is None:
        return None
    report = statement_request(statement, enqueue=enqueue)
    if not enqueue:
        report_build_now(report)
    return ReimbursementStatement.objects.get(pk=statement_id)


# --- reminders ---------------------------------------------------------------------


def _claim_reminder(deployment: Deployment, kind: str, key: str) -> bool:
    """Create the reminder's log row; False when it was sent before."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(deployment=deployment, kind=kind, key=key)
    except IntegrityError:
        return False
    return True


def visit_reminders_send(*, today: date | None = None) -> int:
    """Remind each LLE whose active deployment has had no record of visit for
    longer than its intensity implies; once per gap."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Deployment.objects.overdue_for_visit(today).for_list()
    for deployment in overdue:
        with transaction.atomic():
            # The key is the day the gap began: after a new visit, a new gap is a new reminder.
            if not _claim_reminder(deployment, ReminderLog.Kind.VISIT_OVERDUE, deployment.last_seen.isoformat()):
                continue
            email_queue(to=deployment.lle.user.email, template="visit_overdue", about=deployment,
                        context={"deployment": deployment, "since": deployment.last_seen,
                                 "days": (today - deployment.last_seen).days})
            audit_record(verb="deployment.visit_reminder_sent", target=deployment, actor_label="celery")
            sent += 1
    return sent


def ending_reminders_send(*, today: date | None = None) -> int:
    """Tell the adviser and both heads, once, that a deployment reaches its
    agreed end point within 30 days."""
    today = today or timezone.localdate()
    sent = 0
    for deployment in Deployment.objects.ending_within(ENDING_SOON_DAYS, today).for_list():
        with transaction.atomic():
            if not _claim_reminder(deployment, ReminderLog.Kind.ENDING_SOON, deployment.end_date.isoformat()):
                continue
            _email_all(
                [*adviser_emails(deployment.client_school), deployment.lle.user.email,
                 *client_head_emails(deployment)],
                template="deployment_ending_soon", about=deployment,
                context={"deployment": deployment, "days_left": (deployment.end_date - today).days},
            )
            audit_record(verb="deployment.ending_reminder_sent", target=deployment, actor_label="celery")
            sent += 1
    return sent

