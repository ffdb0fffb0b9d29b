"""Recruitment services: every write and status change of an application.

Views, admin actions, management commands and tasks call these; none of them
changes `Application.status` itself. Each transition checks the current status,
writes the audit trail and queues its email after commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from lle_portal.access import acts_for_school
from lle_portal.audit import audit_record
from lle_portal.emails import email_queue
from lle_portal.errors import DomainError
from lle_portal.models import User

from . import rules
from .approvals import application_vouching_problems, sponsor_email_of, vouching_problems
from .eligibility import CRITERIA, NOT_MET, eligibility_for
from .models import (
    Application,
    ApplicationReminder,
    ApplicationRound,
    Assessment,
    LLEProfile,
    RefereeNomination,
    TrainingCohort,
    Verification,
)
from .rubric import RUBRIC
from .sections import SECTIONS_BY_KEY, incomplete_sections

Status = Application.Status

# Training must finish within 8 weeks of the panel's decision (docs/programme.md §7.2: 6-8 weeks).
TRAINING_WITHIN = timedelta(weeks=8)


class ApplicationError(DomainError):
    """A change the rules (applications.rules) do not allow; the message is for the person who tried."""


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def _require(application: Application, allowed: tuple[str, ...], *, action: str) -> None:
    refusal = rules.status_refusal(application, allowed, action)
    if refusal:
        raise ApplicationError(refusal)


# --- the head's application --------------------------------------------------


@transaction.atomic
def application_start(*, round: ApplicationRound, applicant: User) -> Application:
    """Start (or return) the head's draft in an open round."""
    if not applicant.is_headteacher:
        raise ApplicationError("Only headteachers can apply to become an LLE.")
    existing = Application.objects.filter(round=round, applicant=applicant).first()
    if existing:
        return existing
    if not round.is_open():
        raise ApplicationError(f"{round.name} is not open for applications.")
    application = Application.objects.create(round=round, applicant=applicant, school=applicant.school)
    audit_record(verb="application.started", target=application, actor=applicant)
    return application


@transaction.atomic
def application_save(*, application: Application, section: str, data: dict[str, Any], by: User) -> Application:
    """Save the fields of one section of a draft, as the head types.

    Only that section's fields are written, so two tabs open on different
    sections never overwrite each other's answers.
    """
    application = _lock(application)
    rules.can_change_answers.require(application, by, error=ApplicationError)
    if data.get("chair_of_governors_email"):
        problem = vouching_problems(applicant_email=application.applicant.email,
                                    chair_email=data["chair_of_governors_email"],
                                    sponsor_email=sponsor_email_of(application)).get("chair")
        if problem:
            raise ApplicationError(problem)
    fields = SECTIONS_BY_KEY[section].fields
    for name in fields:
        if name in data:
            setattr(application, name, data[name])
    application.version = F("version") + 1
    application.save(update_fields=[*fields, "version", "updated_at"])
    application.refresh_from_db()
    return application


@transaction.atomic
def referee_nominate(*, application: Application, by: User, **details: Any) -> RefereeNomination:
    """Name or change the sponsor. The emailed-link request is the references issue's."""
    application = _lock(application)
    rules.can_change_sponsor.require(application, by, error=ApplicationError)
    # After submission only a declined or expired sponsor is replaced (the rule).
    replacing = application.status != Status.DRAFT
    problem = vouching_problems(applicant_email=application.applicant.email, sponsor_email=details.get("email", ""),
                                chair_email=application.chair_of_governors_email).get("sponsor")
    if problem:
        raise ApplicationError(problem)
    nomination, created = RefereeNomination.objects.update_or_create(application=application, defaults=details)
    audit_record(verb="referee.nominated" if created else "referee.changed", target=application, actor=by,
                 data={"referee": nomination.name, "role": nomination.role})
    if replacing:
        # The previous sponsor declined or did not answer in time: ask the new one at once.
        from .references import link_request_send

        link_request_send(application=application, by=by)
    return nomination


def reference_number_for(application: Application) -> str:
    return f"LLE-{application.round.opens_at:%Y}-{application.pk:05d}"


@transaction.atomic
def application_submit(
    *, application: Application, by: User, working_towards: bool = False, notes: str = "",
    at: datetime | None = None,
) -> Application:
    """Submit a complete draft while its round is open (checked here, to the second)."""
    application = _lock(application)
    at = at or timezone.now()
    rules.can_submit.require(application, by, at, error=ApplicationError)
    # Checked again here: what was saved before the rule (or through the admin) is caught too.
    problems = application_vouching_problems(application)
    if problems:
        raise ApplicationError(" ".join(dict.fromkeys(problems.values())))
    eligibility = eligibility_for(application)
    if any(c.status == NOT_MET for c in eligibility.criteria) and not working_towards:
        raise ApplicationError(
            "You do not yet meet every criterion. Tick 'working towards eligibility' to apply now, "
            "or come back when you do."
        )
    application.working_towards_eligibility = working_towards
    application.working_towards_notes = notes
    application.status = Status.SUBMITTED
    application.submitted_at = at
    application.reference_number = reference_number_for(application)
    application.save()
    audit_record(verb="application.submitted", target=application, actor=by,
                 data={"working_towards_eligibility": working_towards})
    email_queue(to=application.applicant.email, template="application_submitted", about=application,
                context={"application": application, "applicant": application.applicant})
    # The sponsor's and the chair's requests are made in this transaction (so a
    # submitted application always has them) and their emails go after commit.
    from .references import link_requests_on_submit

    link_requests_on_submit(application=application, by=by)
    return application


@transaction.atomic
def application_withdraw(*, application: Application, by: User, reason: str = "") -> Application:
    application = _lock(application)
    rules.can_withdraw.require(application, by, error=ApplicationError)
    application.status = Status.WITHDRAWN
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    audit_record(verb="application.withdrawn", target=application, actor=by, data={"reason": reason})
    return application


# --- verification of Part A ------------------------------------------------------


@transaction.atomic
def application_verify_criterion(
    *, application: Application, criterion: str, outcome: str, note: str = "", by: User
) -> Verification:
    if criterion not in CRITERIA:
        raise ApplicationError(f"Unknown criterion {criterion!r}.")
    if outcome not in Verification.Outcome.values:
        raise ApplicationError("Choose confirmed, not met or query.")
    application = _lock(application)
    rules.can_act_as_adviser.require(application, by, action="verify Part A", error=ApplicationError)
    _require(application, rules.VERIFIABLE, action="verify")
    verification, _ = Verification.objects.update_or_create(
        application=application, criterion=criterion,
        defaults={"outcome": outcome, "note": note, "verified_by": by},
    )
    audit_record(verb="application.criterion_verified", target=application, actor=by,
                 data={"criterion": criterion, "outcome": outcome})
    return verification


@transaction.atomic
def application_la_approve(*, application: Application, by: User) -> Application:
    application = _lock(application)
    rules.can_act_as_adviser.require(application, by, action="approve it", error=ApplicationError)
    _require(application, rules.LA_APPROVABLE, action="approve")
    # Recorded once (rules.can_record_la_approval): approving again changes nothing.
    if application.la_approved_at is None:
        application.la_approved_at = timezone.now()
        application.la_approved_by = by
        application.save(update_fields=["la_approved_at", "la_approved_by", "updated_at"])
        audit_record(verb="application.la_approved", target=application, actor=by)
    return application


@transaction.atomic
def application_mark_verified(*, application: Application, by: User) -> Application:
    """Part A verified: every criterion has the adviser's outcome, none a query."""
    application = _lock(application)
    rules.can_act_as_adviser.require(application, by, action="verify Part A", error=ApplicationError)
    _require(application, rules.VERIFIABLE, action="mark as verified")
    outcomes = dict(application.verifications.values_list("criterion", "outcome"))
    open_items = [CRITERIA[k] for k in CRITERIA if k != "approvals" and outcomes.get(k) in (None, "query")]
    if open_items:
        raise ApplicationError("Verify every criterion first: " + "; ".join(open_items) + ".")
    application.status = Status.VERIFIED
    application.save(update_fields=["status", "updated_at"])
    audit_record(verb="application.verified", target=application, actor=by)
    return application


# --- assessment of Part B --------------------------------------------------------


def assessor_conflict(application: Application, assessor: User) -> str:
    """Why this assessor may not assess this application ('' when they may)."""
    mine, theirs = application.school, assessor.school
    if mine is None or theirs is None:
        return ""
    if mine.pk == theirs.pk:
        return f"{assessor} works at the applicant's school."
    if mine.trust and mine.trust == theirs.trust:
        return f"{assessor}'s school is in the same trust ({mine.trust})."
    if mine.federation and mine.federation == theirs.federation:
        return f"{assessor}'s school is in the same federation ({mine.federation})."
    return ""


@transaction.atomic
def assessment_assign(*, application: Application, assessor: User, by: User) -> Assessment:
    application = _lock(application)
    rules.can_act_as_adviser.require(application, by, action="assign its assessors", error=ApplicationError)
    _require(application, rules.ASSIGNABLE, action="assign an assessor to")
    if not assessor.is_assessor:
        raise ApplicationError(f"{assessor} is not an assessor.")
    conflict = assessor_conflict(application, assessor)
    if conflict:
        raise ApplicationError(conflict)
    assessment, created = Assessment.objects.get_or_create(
        application=application, assessor=assessor, defaults={"assigned_by": by}
    )
    if created:
        # A new assessor reopens the assessment until they have scored too.
        if application.status == Status.ASSESSED:
            application.status = Status.VERIFIED
            application.save(update_fields=["status", "updated_at"])
        audit_record(verb="assessment.assigned", target=application, actor=by, data={"assessor": assessor.email})
        email_queue(to=assessor.email, template="assessment_assigned", about=assessment,
                    context={"assessment": assessment, "application": application, "assessor": assessor})
    return assessment


@transaction.atomic
def assessment_submit(*, assessment: Assessment, scores: dict[str, int], comments: str, by: User) -> Assessment:
    assessment = Assessment.objects.select_for_update(of=("self",)).select_related("application").get(pk=assessment.pk)
    assessment.application = application = _lock(assessment.application)
    rules.can_score.require(assessment, by, error=ApplicationError)
    if set(scores) != set(RUBRIC) or any(not 1 <= int(v) <= 4 for v in scores.values()):
        raise ApplicationError("Give a score from 1 to 4 for every competency.")
    assessment.scores = {k: int(v) for k, v in scores.items()}
    # Stored once, here: the panel's ranking and every page read this total.
    assessment.total = sum(assessment.scores.values())
    assessment.comments = comments
    assessment.submitted_at = timezone.now()
    assessment.save(update_fields=["scores", "total", "comments", "submitted_at"])
    audit_record(verb="assessment.submitted", target=application, actor=by,
                 data={"total": assessment.total})
    if not application.assessments.filter(submitted_at__isnull=True).exists():
        application.status = Status.ASSESSED
        application.save(update_fields=["status", "updated_at"])
        audit_record(verb="application.assessed", target=application, actor=by)
    return assessment


# --- the designation panel -----------------------------------------------------


def places_left(round: ApplicationRound) -> int:
    return round.places - round.applications.filter(decision=Application.Decision.DESIGNATED).count()


@transaction.atomic
def panel_decide(*, application: Application, decision: str, reasons: str, by: User) -> Application:
    """Record the panel's decision. Designation creates the LLE profile; the
    decision email goes out on or after the round's decisions-by date."""
    # Lock the round first: two decisions at once must not exceed its places.
    round = ApplicationRound.objects.select_for_update().get(pk=application.round_id)
    application = _lock(application)
    rules.can_act_as_adviser.require(application, by, action="record the panel's decision",
                                     error=ApplicationError)
    _require(application, rules.DECIDABLE, action="decide on")
    if decision not in Application.Decision.values:
        raise ApplicationError("Choose designated, not designated or deferred.")
    if not reasons.strip():
        raise ApplicationError("Give the panel's reasons.")
    if decision == Application.Decision.DESIGNATED and places_left(round) <= 0:
        raise ApplicationError(f"All {round.places} places in {round.name} are taken.")
    if decision == Application.Decision.DESIGNATED and not acts_for_school(
            application.applicant, application.school_id, role=User.Role.HEADTEACHER):
        # Designation makes the school the LLE's (it is paid for their days, its
        # governors see their deployments): a claim to it, never confirmed or
        # rejected by the adviser, must not (issue 11).
        school = application.school.name if application.school else "the application's school"
        raise ApplicationError(f"{application.applicant} is not the confirmed headteacher of {school}: the LA "
                               "adviser confirms their claim in School links before they can be designated.")
    application.decision = decision
    application.decision_reasons = reasons
    application.decided_at = timezone.now()
    application.decided_by = by
    application.status = decision  # the Decision values are also Status values
    application.save()
    audit_record(verb=f"application.{decision}", target=application, actor=by)
    if decision == Application.Decision.DESIGNATED:
        lle_designate(application=application, by=by)
    return application


def lle_designate(*, application: Application, by: User) -> LLEProfile:
    profile, _ = LLEProfile.objects.update_or_create(
        user=application.applicant,
        defaults={
            "school": application.school,
            "application": application,
            "phase": application.phase_offered,
            "specialisms": application.specialisms,
            "days_per_week": Decimal(application.capacity or "0.5"),
            "designated_on": timezone.localdate(),
            "is_active": True,
        },
    )
    audit_record(verb="lle.designated", target=profile, actor=by)
    return profile


def decisions_send(*, round: ApplicationRound, today=None) -> int:
    """Email every decided applicant of the round who has not been told, once,
    and not before the decisions-by date. Returns how many were sent."""
    today = today or timezone.localdate()
    if today < round.decisions_by:
        return 0
    sent = 0
    pending = round.applications.exclude(decision="").filter(decision_emailed_at__isnull=True)
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            # Claim the row: a second run (or a second worker) finds it already emailed.
            claimed = Application.objects.filter(pk=pk, decision_emailed_at__isnull=True).update(
                decision_emailed_at=timezone.now()
            )
            if not claimed:
                continue
            application = Application.objects.select_related("applicant", "round").get(pk=pk)
            email_queue(to=application.applicant.email, template="application_decision", about=application,
                        context={"application": application, "applicant": application.applicant})
            audit_record(verb="application.decision_emailed", target=application, actor_label="celery")
            sent += 1
    return sent


# --- training ------------------------------------------------------------------


@transaction.atomic
def cohort_join(*, profile: LLEProfile, cohort: TrainingCohort, by: User) -> LLEProfile:
    """Put a designated LLE in a training cohort that finishes within 8 weeks
    of designation (docs/programme.md §7.2), and tell them the dates."""
    profile = LLEProfile.objects.select_for_update(of=("self",)).select_related("user").get(pk=profile.pk)
    if profile.trained_on:
        raise ApplicationError(f"{profile.user} finished training on {profile.trained_on:%-d %B %Y}.")
    if cohort.starts_on < profile.designated_on:
        raise ApplicationError(
            f"{cohort.name} starts on {cohort.starts_on:%-d %B %Y}, before {profile.user} was designated "
            f"on {profile.designated_on:%-d %B %Y}."
        )
    if cohort.ends_on > profile.designated_on + TRAINING_WITHIN:
        raise ApplicationError(
            f"{cohort.name} ends on {cohort.ends_on:%-d %B %Y}, more than 8 weeks after designation "
            f"on {profile.designated_on:%-d %B %Y}. Training must finish within 6 to 8 weeks."
        )
    if profile.cohort_id == cohort.pk:
        return profile
    profile.cohort = cohort
    profile.save(update_fields=["cohort"])
    audit_record(verb="lle.joined_cohort", target=profile, actor=by, data={"cohort": cohort.name})
    email_queue(to=profile.user.email, template="training_cohort_joined", about=profile,
                context={"profile": profile, "cohort": cohort, "lle": profile.user})
    return profile


@transaction.atomic
def training_complete(*, profile: LLEProfile, on: date, by: User) -> LLEProfile:
    """Record that the LLE finished training: from then on they can be deployed."""
    profile = LLEProfile.objects.select_for_update(of=("self",)).select_related("cohort", "user").get(pk=profile.pk)
    if profile.cohort is None:
        raise ApplicationError(f"Add {profile.user} to a training cohort first.")
    if on > timezone.localdate():
        raise ApplicationError("Training cannot be recorded as complete on a date still to come.")
    if on < profile.cohort.starts_on:
        raise ApplicationError(
            f"{profile.cohort.name} started on {profile.cohort.starts_on:%-d %B %Y}; "
            f"training cannot have finished before then."
        )
    profile.trained_on = on
    profile.save(update_fields=["trained_on"])
    audit_record(verb="lle.trained", target=profile, actor=by, data={"on": on.isoformat()})
    return profile


# --- reminders and scheduled emails (called by applications.tasks) ---------------

# Heads with a draft are reminded this long before their round closes (issue 3).
DRAFT_REMINDERS = (
    (ApplicationReminder.Kind.CLOSING_1_DAY, timedelta(days=1)),
    (ApplicationReminder.Kind.CLOSING_7_DAYS, timedelta(days=7)),
)
# Assessors are reminded of an assignment still unscored after this long.
ASSESSOR_REMINDER_AFTER = timedelta(days=7)


def _draft_reminder_kind(round: ApplicationRound, at: datetime) -> str | None:
    """The reminder due now for a round: the most urgent window the time is in.

    A job that first runs inside the last day sends only the 1-day reminder,
    never a late "7 days left" beside it.
    """
    left = round.closes_at - at
    for kind, window in DRAFT_REMINDERS:
        if timedelta(0) < left <= window:
            return kind
    return None


def draft_reminders_send(*, at: datetime | None = None) -> int:
    """Remind heads with unsubmitted drafts 7 days and 1 day before their round
    closes; each head gets each reminder once. Returns how many were queued."""
    at = at or timezone.now()
    sent = 0
    closing = ApplicationRound.objects.filter(closes_at__gt=at, closes_at__lte=at + DRAFT_REMINDERS[-1][1])
    for round in closing:
        kind = _draft_reminder_kind(round, at)
        if kind is None:
            continue
        due = Application.objects.drafts().filter(round=round).exclude(reminders__kind=kind)
        for pk in due.values_list("pk", flat=True):
            sent += _draft_reminder_send(application_id=pk, kind=kind, at=at)
    return sent


@transaction.atomic
def _draft_reminder_send(*, application_id: int, kind: str, at: datetime) -> int:
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("applicant", "round")
        .filter(pk=application_id, status=Status.DRAFT).first()
    )
    if application is None:  # submitted or withdrawn since the list was read
        return 0
    # The claim: the unique constraint lets one process create the row; any
    # other (a re-run, a second worker) gets created=False and sends nothing.
    _, created = ApplicationReminder.objects.get_or_create(application=application, kind=kind)
    if not created:
        return 0
    round = application.round
    email_queue(to=application.applicant.email, template="draft_reminder", about=application, context={
        "application": application, "applicant": application.applicant, "round": round,
        "days_left": 1 if kind == ApplicationReminder.Kind.CLOSING_1_DAY else 7,
        "missing": incomplete_sections(application),
    })
    audit_record(verb="application.draft_reminded", target=application, actor_label="celery", data={"kind": kind})
    return 1


def assessor_reminders_send(*, at: datetime | None = None) -> int:
    """Remind each assessor, once per assignment, of applications they have
    left unscored for 7 days or more. One email per assessor lists them all."""
    at = at or timezone.now()
    due = Assessment.objects.filter(
        submitted_at__isnull=True, reminded_at__isnull=True, assigned_at__lte=at - ASSESSOR_REMINDER_AFTER,
        application__status=Status.VERIFIED,
    )
    by_assessor: dict[int, list[int]] = {}
    for pk, assessor_id in due.values_list("pk", "assessor_id"):
        by_assessor.setdefault(assessor_id, []).append(pk)
    return sum(_assessor_reminder_send(assessment_ids=ids, at=at) for ids in by_assessor.values())


@transaction.atomic
def _assessor_reminder_send(*, assessment_ids: list[int], at: datetime) -> int:
    # Claim each assignment with a conditional update ("a sort of optimistic
    # lock"): only the process whose update changed the row reminds about it.
    claimed = [
        pk for pk in assessment_ids
        if Assessment.objects.filter(pk=pk, reminded_at__isnull=True, submitted_at__isnull=True)
        .update(reminded_at=at)
    ]
    if not claimed:
        return 0
    assessments = list(
        Assessment.objects.filter(pk__in=claimed).select_related("assessor", "application").order_by("assigned_at")
    )
    assessor = assessments[0].assessor
    email_queue(to=assessor.email, template="assessor_reminder", about=assessor,
                context={"assessor": assessor, "assessments": assessments})
    for assessment in assessments:
        audit_record(verb="assessment.reminded", target=assessment.application, actor_label="celery",
                     data={"assessor": assessor.email})
    return 1


def decisions_send_due(*, today: date | None = None) -> int:
    """Send the decision emails of every round whose decisions-by date has come."""
    today = today or timezone.localdate()
    rounds = ApplicationRound.objects.decisions_due(today).filter(
        Q(applications__decision__gt="") & Q(applications__decision_emailed_at__isnull=True)
    ).distinct()
    return sum(decisions_send(round=round, today=today) for round in rounds)
