"""Demo data for recruitment (called by `manage.py seed_demo` after the core).

- An earlier, closed round ("2025–26") whose 25 applicants were designated and
  trained: the pool of LLEs the deployments demo draws on.
- The open round ("Norfolk LLE recruitment 2026–27", priority: secondary heads,
  a default LA referee; docs/programme.md §1.4, §2.4) with an application in every state:
  drafts at various stages, submitted, queried, working towards eligibility,
  verified, half scored, assessed, designated, not designated, deferred and
  withdrawn.

Everything goes through the services, so the audit trail and emails exist as
they would in real use. Idempotent: rounds and cohorts are found by name,
applications by (round, applicant), and each step runs only if the
application has not reached it; a draft that exists is left as the head left it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from lle_portal.audit import audit_record
from lle_portal.demo import (
    DEMO_DOMAIN,
    DemoContext,
    school_day_on_or_after,
    school_day_on_or_before,
    settle_demo_school,
)
from lle_portal.models import AuditEvent, Inspection, OutgoingEmail, ReportCardGrade, School, SchoolResult, User
from lle_portal.schooldata import phase_group

from . import services
from .models import (
    Application,
    ApplicationRound,
    Assessment,
    LLEProfile,
    RefereeNomination,
    RoundContact,
    TrainingCohort,
)
from .rubric import RUBRIC
from .sections import SECTIONS_BY_KEY
from .staff_forms import VERIFIED_CRITERIA

Status = Application.Status
OPEN_ROUND = "Norfolk LLE recruitment 2026–27"
EARLIER_ROUND = "Norfolk LLE recruitment 2025–26"
EARLIER_COHORT = "2025–26 LLE training cohort"
EARLIER_POOL = 25

# Good secondary schools of the demo GIAS extract, whose heads apply in the
# open round (docs/programme.md §1.4, §2.3: the LA wants secondary heads). Sheringham is in the
# same trust as the second assessor's school: the assign page shows the conflict.
SECONDARY_URNS = (121164, 137461, 137621, 140815)
SECOND_ASSESSOR_URN = 140534  # Attleborough Academy, Wensum Valley Academy Trust

DEFAULT_REFEREE = {
    "name": "Jonathan Hale",
    "email": f"jonathan.hale@{DEMO_DOMAIN}",
    "role": RefereeNomination.Role.LA_OFFICER,
    "organisation": "Norfolk County Council, Children's Services",
}

# docs/programme.md §1.4 (S0 "Find out more"): the three named people applicants
# may call. The source gives their phone numbers only; the roles say what it says
# of them.
ROUND_CONTACTS = (
    {"name": "Simon Morley", "role": "LA contact for the LLE programme", "phone": "01603 307788",
     "email": f"simon.morley@{DEMO_DOMAIN}"},
    {"name": "Chris Snudden", "role": "can put you in touch with Norfolk's LLEs", "phone": "01603 303322",
     "email": f"chris.snudden@{DEMO_DOMAIN}"},
    {"name": "Mary-Jane Edwards", "role": "can put you in touch with Norfolk's LLEs", "phone": "01603 303311",
     "email": f"mary-jane.edwards@{DEMO_DOMAIN}"},
)


@dataclass(frozen=True)
class Plan:
    """Where one applicant's application should stand, and how it is scored."""

    stage: str
    score: int = 12  # the first assessor's total (of 16); the second is close to it
    decision: str = ""
    working_towards: bool = False


DRAFT_STAGES = {"started": ("school",), "in_progress": ("school", "performance"),
                "part_a": ("school", "performance", "offer", "evidence_partial")}
# Stages that stop once submitted (before verification).
SUBMITTED_STAGES = {"submitted", "disagreement", "queried", "working_towards", "withdrawn"}

# The open round, in the order of the demo heads (the first is the demo login).
OPEN_PLANS = (
    Plan("in_progress"),
    Plan("started"),
    Plan("complete"),
    Plan("part_a"),
    Plan("disagreement"),
    Plan("queried"),
    Plan("working_towards", working_towards=True),
    Plan("assigned"),
    Plan("half_scored", score=11),
    Plan("assessed", score=13),
    Plan("decided", score=8, decision="not_designated"),
    Plan("decided", score=10, decision="deferred"),
    Plan("withdrawn"),
    Plan("assessed", score=12),
    Plan("decided", score=14, decision="designated"),
)
SECONDARY_PLANS = (
    Plan("decided", score=15, decision="designated"),
    Plan("assessed", score=13),
    Plan("verified"),
    Plan("submitted"),
)

DECISION_REASONS = {
    "designated": (
        "Sustained improvement in outcomes over three years, a strong and well-evidenced record of supporting "
        "other schools, and a senior team well able to lead in the head's absence.{priority}"
    ),
    "not_designated": (
        "The panel recognised the head's commitment, but the evidence of impact beyond their own school is not "
        "yet sufficient: the coaching described is recent and its outcomes are not yet clear. The panel would "
        "welcome an application in a future round."
    ),
    "deferred": (
        "A promising application. The panel would like to see the school's next set of results and a fuller "
        "account of the support given to the partner school before deciding; it will reconsider at its next "
        "meeting without a new application."
    ),
}


def seed(ctx: DemoContext) -> None:
    if ctx.la is None or not ctx.headteachers:
        ctx.say("Recruitment: skipped (no local authority or headteachers).")
        return
    adviser = ctx.people["adviser"]
    assessors = [ctx.people["assessor"], _second_assessor(ctx)]
    primary_heads = list(ctx.headteachers)
    open_heads = primary_heads[: len(OPEN_PLANS)]
    pool_heads = primary_heads[len(OPEN_PLANS):][:EARLIER_POOL]

    earlier = _earlier_round(ctx, pool_heads, adviser, assessors)
    round = _open_round(ctx)
    plans = list(zip(open_heads, OPEN_PLANS, strict=False))
    plans += list(zip(_secondary_heads(ctx), SECONDARY_PLANS, strict=False))
    for head, plan in plans:
        _application(round, head, plan, adviser, assessors)

    _references(round)
    # The chairs of the applications the adviser has moved on have approved;
    # those just submitted still wait for their chair (the verify page shows the link's state).
    _chairs_answer(round, waiting=(Status.SUBMITTED,))

    states: dict[str, int] = {}
    for status in round.applications.values_list("status", flat=True):
        states[status] = states.get(status, 0) + 1
    summary = ", ".join(f"{n} {Status(s).label.lower()}" for s, n in sorted(states.items()))
    ctx.say(f"Recruitment: {round.name} (open): {summary}. "
            f"{earlier.name}: {LLEProfile.objects.deployable().filter(application__round=earlier).count()} "
            "trained LLEs.")
    # The printed LLE is the one the deployments demo pairs with the printed client head.


# --- people ----------------------------------------------------------------------


def _second_assessor(ctx: DemoContext) -> User:
    school = School.objects.filter(urn=SECOND_ASSESSOR_URN).first()
    return ctx.login(
        "assessor2", email=f"priya.shah@{DEMO_DOMAIN}", full_name="Priya Shah", role=User.Role.ASSESSOR,
        school=school, job_title="Director of school improvement, Wensum Valley Academy Trust",
    )


def _secondary_heads(ctx: DemoContext) -> list[User]:
    heads = []
    for school in School.objects.filter(urn__in=SECONDARY_URNS).exclude(head_name="").order_by("urn"):
        local = school.head_name.lower().replace(" ", ".").replace("'", "")
        for title in ("mr.", "mrs.", "ms.", "miss.", "dr."):
            local = local.removeprefix(title)
        heads.append(ctx.login(
            f"head-{school.urn}", email=f"{local}.{school.urn}@{DEMO_DOMAIN}", full_name=school.head_name,
            role=User.Role.HEADTEACHER, school=school, job_title="Headteacher",
        ))
    for head in heads:
        assert head.school is not None  # each head was given a school just above
        settle_demo_school(head.school)
    # Only the first head is a listed demo login (lle_portal.demo); keep it so.
    ctx.logins = [entry for entry in ctx.logins if entry[2] not in {h.email for h in heads}]
    return heads


# --- rounds ----------------------------------------------------------------------


def _uk(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _open_round(ctx: DemoContext) -> ApplicationRound:
    assert ctx.la is not None  # seed_la ran first
    today = timezone.localdate()
    closes = school_day_on_or_after(today + timedelta(days=12))
    decisions = school_day_on_or_after(closes + timedelta(weeks=5))
    # Dates move with the calendar, so the demo round stays open whenever it is seeded.
    round, _ = ApplicationRound.objects.update_or_create(name=OPEN_ROUND, defaults={
        "opens_at": _uk(school_day_on_or_before(today - timedelta(days=28)), 9),
        "closes_at": _uk(closes, 17),
        "decisions_by": decisions,
        "induction_date": school_day_on_or_after(decisions + timedelta(weeks=2)),
        "training_starts": school_day_on_or_after(decisions + timedelta(weeks=3)),
        "places": 6,
        "priority_phases": ["secondary"],
        "priority_specialisms": ["maths", "send", "new_heads"],
        # The source's reason for wanting secondary heads (docs/programme.md §1.4), with the demo's own LLEs counted
        # (the phase itself is said by priority_phases, so it is not repeated here).
        "priority_notes": _lles_before(ctx),
        **{f"default_referee_{key}": value for key, value in DEFAULT_REFEREE.items()},
    })
    round.local_authorities.add(ctx.la)
    for order, contact in enumerate(ROUND_CONTACTS):
        RoundContact.objects.update_or_create(round=round, name=contact["name"], defaults={**contact, "order": order})
    return round


def _lles_before(ctx: DemoContext) -> str:
    """How many LLEs the LA had when the open round opened, and from which phases
    (the designated of earlier rounds, still serving), as the round's notes say it."""
    assert ctx.la is not None  # seed_la ran first
    lles = LLEProfile.objects.filter(school__local_authority=ctx.la, is_active=True).exclude(
        application__round__name=OPEN_ROUND)
    total, secondary = lles.count(), lles.filter(phase="secondary").count()
    primary = lles.filter(phase="primary").count()
    mostly = "all" if primary == total else "mostly"
    from_secondary = {0: "none", 1: "only one"}.get(secondary, str(secondary))
    return (f"{ctx.la.name} has {total} LLEs, {mostly} from primary schools, and {from_secondary} from a "
            "secondary school.")


def _earlier_round(ctx: DemoContext, heads: list[User], adviser: User, assessors: list[User]) -> ApplicationRound:
    existing = ApplicationRound.objects.filter(name=EARLIER_ROUND).first()
    if existing is not None:
        return existing
    assert ctx.la is not None  # seed_la ran first
    # Run the year-old round through the services as it happened (open, then
    # assessed and decided), then move its dates and records back in time.
    with transaction.atomic():
        now = timezone.now()
        round = ApplicationRound.objects.create(
            name=EARLIER_ROUND, opens_at=now - timedelta(days=1), closes_at=now + timedelta(hours=2),
            decisions_by=timezone.localdate(), places=30, priority_phases=["primary", "special"],
            priority_notes="Schools in the west of the county are short of LLE support.",
            **{f"default_referee_{key}": value for key, value in DEFAULT_REFEREE.items()},
        )
        round.local_authorities.add(ctx.la)
        for i, head in enumerate(heads):
            plan = Plan("decided", score=11 + i % 5, decision="designated")
            _application(round, head, plan, adviser, assessors)
        _chairs_answer(round, waiting=())
        _sponsors_answer(round)
        _move_back(round)
        assert round.training_starts is not None and round.decisions_by is not None  # set by create() above
        cohort = TrainingCohort.objects.create(
            round=round, name=EARLIER_COHORT,
            starts_on=round.training_starts,
            ends_on=school_day_on_or_before(min(round.training_starts + timedelta(weeks=4),
                                                round.decisions_by + timedelta(weeks=6))),
        )
        profiles = LLEProfile.objects.filter(application__round=round).select_related("user")
        for profile in profiles:
            services.cohort_join(profile=profile, cohort=cohort, by=adviser)
            services.training_complete(profile=profile, on=cohort.ends_on, by=adviser)
        ids = [str(profile.pk) for profile in profiles]
        lle_events = AuditEvent.objects.filter(content_type__app_label="applications",
                                               content_type__model="lleprofile", object_id__in=ids)
        lle_events.filter(verb="lle.joined_cohort").update(created_at=_uk(round.decisions_by, 10))
        lle_events.filter(verb="lle.trained").update(created_at=_uk(cohort.ends_on, 16))
        # One LLE has since stepped back (a new headship): designated and trained, but not deployable.
        retired = profiles.last()
        if retired is not None:
            LLEProfile.objects.filter(pk=retired.pk).update(is_active=False, stood_down_on=timezone.localdate())
    return round


def _sponsors_answer(round: ApplicationRound) -> None:
    """Every sponsor of the earlier round gave their reference before it closed."""
    from . import references
    from .models import LinkRequest

    for link_request in LinkRequest.objects.open().filter(application__round=round, kind=LinkRequest.Kind.REFERENCE):
        references.link_request_submit(link_request=link_request, answers=DEMO_REFERENCE)


def _move_back(round: ApplicationRound) -> None:
    """Dates of a round run today, moved to last year's calendar, in the order
    things happened and on school days: started, then submitted (with the
    sponsor and the chair asked), references and approvals in, verified,
    assessed, decided by the panel, then training."""
    # The panel met early in last year's autumn term, so its LLEs were trained by the end
    # of that term and every deployment of theirs in the demo starts after it.
    panel = school_day_on_or_before(timezone.localdate() - timedelta(days=420))
    closes_on = school_day_on_or_before(panel - timedelta(weeks=7))
    closes = _uk(closes_on, 17)
    verified = _uk(school_day_on_or_after(closes_on + timedelta(days=14)), 10)
    assessed = _uk(school_day_on_or_before(panel - timedelta(days=7)), 16)
    decisions_by = school_day_on_or_after(panel + timedelta(days=7))
    training = school_day_on_or_after(panel + timedelta(weeks=3))
    ApplicationRound.objects.filter(pk=round.pk).update(
        opens_at=_uk(school_day_on_or_before(closes_on - timedelta(weeks=6)), 9), closes_at=closes,
        decisions_by=decisions_by, induction_date=school_day_on_or_after(panel + timedelta(weeks=2)),
        training_starts=training,
    )
    round.refresh_from_db()
    applications = round.applications.all()
    times: dict[int, dict[str, object]] = {}
    for i, application in enumerate(applications.select_related("round").order_by("pk")):
        submitted_on = school_day_on_or_before(closes_on - timedelta(days=2 + i % 20))
        started = _uk(school_day_on_or_before(submitted_on - timedelta(days=21 + i % 9)), 16)
        submitted = _uk(submitted_on, 15, i % 50)
        answered = _uk(school_day_on_or_after(submitted_on + timedelta(days=3 + i % 4)), 11)
        times[application.pk] = {"started": started, "submitted": submitted, "answered": answered}
        Application.objects.filter(pk=application.pk).update(
            submitted_at=submitted, created_at=started,
            reference_number=services.reference_number_for(application),  # the year the round opened
        )
        application.link_requests.update(created_at=submitted, sent_at=submitted, responded_at=answered,
                                         expires_at=submitted + timedelta(days=28))
        # The emails of the time went at the time (the confirmation on submitting, the rest as the steps came).
        emails = OutgoingEmail.objects.filter(content_type__app_label="applications",
                                              content_type__model="application", object_id=str(application.pk))
        emails.filter(template="assessment_assigned").update(created_at=verified, sent_at=verified)
        emails.filter(template="application_decision").update(created_at=_uk(decisions_by, 9),
                                                             sent_at=_uk(decisions_by, 9))
        emails.exclude(template__in=["assessment_assigned", "application_decision"]).update(
            created_at=submitted, sent_at=submitted)
    applications.update(
        la_approved_at=verified, decided_at=_uk(panel, 15),
        # Their decision emails went out at the time: the daily job must not send them again.
        decision_emailed_at=_uk(decisions_by, 9),
    )
    Assessment.objects.filter(application__round=round).update(assigned_at=verified, submitted_at=assessed)
    LLEProfile.objects.filter(application__round=round).update(designated_on=panel)
    # The audit trail follows: each event at the moment of its step.
    step = {
        "application.started": "started", "referee.nominated": "started",
        "application.submitted": "submitted", "reference.requested": "submitted", "approval.requested": "submitted",
        "reference.received": "answered", "approval.received": "answered",
    }
    later = {"application.criterion_verified": verified, "application.la_approved": verified,
             "application.verified": verified, "assessment.assigned": verified,
             "assessment.submitted": assessed, "application.assessed": assessed,
             "application.decision_emailed": _uk(decisions_by, 9)}
    for application in applications:
        # Sent at the time (the daily job records it so when it sends them).
        audit_record(verb="application.decision_emailed", target=application, actor_label="celery")
    events = AuditEvent.objects.filter(content_type__app_label="applications", content_type__model="application",
                                       object_id__in=[str(pk) for pk in times])
    for event in events.only("pk", "verb", "object_id"):
        at = (times[int(event.object_id)][step[event.verb]] if event.verb in step
              else later.get(event.verb, _uk(panel, 15)))
        AuditEvent.objects.filter(pk=event.pk).update(created_at=at)
    profile_ids = [str(pk) for pk in LLEProfile.objects.filter(application__round=round).values_list("pk", flat=True)]
    AuditEvent.objects.filter(content_type__app_label="applications", content_type__model="lleprofile",
                              object_id__in=profile_ids).update(created_at=_uk(panel, 15))


# --- one application ---------------------------------------------------------------


def _application(round: ApplicationRound, head: User, plan: Plan, adviser: User, assessors: list[User]) -> None:
    existed = Application.objects.filter(round=round, applicant=head).exists()
    application = services.application_start(round=round, applicant=head)
    if not existed:
        _fill(application, head, plan)
    application.refresh_from_db()
    if plan.stage in DRAFT_STAGES or plan.stage == "complete":
        return

    if application.status == Status.DRAFT and not existed:
        notes = ""
        if plan.working_towards:
            notes = ("I became headteacher here in 2024 after four years as deputy. I will have three years' "
                     "headship in 2027 and would like to begin the training with this cohort.")
        application = services.application_submit(
            application=application, by=head, working_towards=plan.working_towards, notes=notes
        )
        _spread_submission(application)
    if application.status == Status.DRAFT:
        return  # the demo head has been working on it: leave it be

    if plan.stage == "withdrawn":
        if application.status != Status.WITHDRAWN:
            services.application_withdraw(
                application=application, by=head,
                reason="Our deputy head has been appointed elsewhere; I cannot be away from school this year.",
            )
        return
    if application.status == Status.SUBMITTED:
        if plan.stage == "queried" and not application.verifications.exists():
            _verify(application, adviser, query="floor_standard")
        if plan.stage in SUBMITTED_STAGES:
            return
        _verify(application, adviser)
        services.application_la_approve(application=application, by=adviser)
        application = services.application_mark_verified(application=application, by=adviser)
    if plan.stage == "verified":
        return

    if application.status == Status.VERIFIED and not application.assessments.exists():
        for assessor in assessors:
            if not services.assessor_conflict(application, assessor):
                services.assessment_assign(application=application, assessor=assessor, by=adviser)
    if plan.stage == "assigned":
        return
    assessments = list(application.assessments.select_related("assessor").order_by("pk"))
    # Half scored: the first assessor has scored, the second has not (yet).
    to_score = assessments[:1] if plan.stage == "half_scored" else assessments
    for n, assessment in enumerate(to_score):
        if assessment.submitted_at:
            continue
        services.assessment_submit(
            assessment=assessment, scores=_scores(plan.score - n, seed=application.pk + n),
            comments=_assessor_comment(plan.score - n), by=assessment.assessor,
        )
    application.refresh_from_db()
    if plan.decision and application.status == Status.ASSESSED:
        priority = ""
        if application.phase_offered in round.priority_phases:
            priority = (f" The panel was particularly glad to designate a {application.phase_offered} head, "
                        "where the LA most needs LLEs.")
        services.panel_decide(application=application, decision=plan.decision,
                              reasons=DECISION_REASONS[plan.decision].format(priority=priority), by=adviser)


def _spread_submission(application: Application) -> None:
    """Submitted some days ago, not all this second (the panel's tie-break is who submitted first)."""
    round = application.round
    if not round.is_open():
        return
    ago = timedelta(days=1 + application.pk % 20, hours=application.pk % 9)
    submitted = max(round.opens_at + timedelta(hours=3), timezone.now() - ago)
    # Started a few days before it was submitted, never after.
    started = max(round.opens_at + timedelta(hours=1), submitted - timedelta(days=4))
    Application.objects.filter(pk=application.pk).update(submitted_at=submitted, created_at=started)
    events = AuditEvent.objects.filter(
        content_type__app_label="applications", content_type__model="application", object_id=str(application.pk))
    events.filter(verb__in=["application.started", "referee.nominated"]).update(created_at=started)
    events.filter(verb__in=["application.submitted", "reference.requested", "approval.requested"]).update(
        created_at=submitted)


def _verify(application: Application, adviser: User, *, query: str = "") -> None:
    notes = {
        "headship": "Appointment confirmed by HR: see the governing body's minutes.",
        "inspection": "Checked against the published Ofsted report.",
        "performance": "Checked against the performance tables for the last three years.",
        "floor_standard": "Checked against the performance tables for the last three years.",
        "senior_team": "Discussed with the chair of governors on the school visit.",
    }
    for criterion in VERIFIED_CRITERIA:
        if criterion == query:
            services.application_verify_criterion(
                application=application, criterion=criterion, outcome="query", by=adviser,
                note="The 2018 KS2 results were suppressed for a small cohort; please send the school's own data.",
            )
        else:
            services.application_verify_criterion(application=application, criterion=criterion,
                                                  outcome="confirmed", note=notes[criterion], by=adviser)


def _scores(total: int, *, seed: int) -> dict[str, int]:
    """Scores of 1-4 per competency adding up to `total` (4 to 16)."""
    total = max(len(RUBRIC), min(4 * len(RUBRIC), total))
    scores = dict.fromkeys(RUBRIC, total // len(RUBRIC))
    keys = list(RUBRIC)
    random.Random(seed).shuffle(keys)
    for key in keys[: total % len(RUBRIC)]:
        scores[key] += 1
    return scores


def _assessor_comment(total: int) -> str:
    if total >= 14:
        return ("Compelling evidence throughout: outcomes have risen year on year, and the support given to the "
                "partner school is specific, sustained and clearly linked to its improvement. Ready now.")
    if total >= 12:
        return ("Strong evidence of impact in the head's own school and a credible start in supporting others. "
                "The panel may wish to ask how the coaching would be adapted for a new head.")
    if total >= 10:
        return ("Good leadership of the head's own school. The evidence of supporting other schools is thinner "
                "and mostly informal; capacity looks realistic.")
    return ("The application describes a well-run school but says little about impact beyond it. "
            "Not yet ready for designation in my view.")


# --- the head's answers ---------------------------------------------------------


def _fill(application: Application, head: User, plan: Plan) -> None:
    """Answer the sections a head at this stage would have answered, through application_save."""
    school = head.school
    assert school is not None  # demo heads have schools
    rng = random.Random(school.urn)
    latest = Inspection.objects.filter(school=school).order_by("-inspection_date").first()
    # Part A asks on the scale of the latest judged inspection: a head whose
    # latest is a report card gives its leadership and governance grade; else
    # the last graded one's (an ungraded inspection carries it).
    judged = (Inspection.objects.filter(school=school).exclude(inspection_type=Inspection.Type.UNGRADED)
              .order_by("-inspection_date").first())
    report_card = judged is not None and judged.inspection_type == Inspection.Type.REPORT_CARD
    graded = (Inspection.objects.filter(school=school)
              .exclude(leadership_and_management=None, overall_effectiveness=None)
              .order_by("-inspection_date").first())
    sections = DRAFT_STAGES.get(plan.stage, ("school", "performance", "offer", "evidence", "approvals", "referee"))
    years_ago = 2 if plan.working_towards else rng.randint(4, 12)
    answers = {
        "school": {
            "school": school,
            "appointed_head_on": date(timezone.localdate().year - years_ago, 9, 1),
            "previous_headship_years": 0,
            "previous_headships": "",
        },
        "performance": {
            "declared_inspection_date": _declared_inspection_date(latest, plan),
            "declared_overall_effectiveness": None if report_card else (graded.overall_effectiveness if graded else 2),
            "declared_leadership": None if report_card else (
                (graded.leadership_and_management or graded.overall_effectiveness) if graded else 2),
            "declared_report_card_leadership": (
                judged.evaluation_areas.get("leadership_and_governance") or ReportCardGrade.EXPECTED  # type: ignore[union-attr]
            ) if report_card else None,
            "declared_above_floor": Application.YesNoUnsure.YES,
            "performance_summary": _performance_summary(school),
        },
        "offer": {
            "slt_can_cover": True,
            "slt_details": rng.choice([
                "Our deputy head leads the school on the days I am away; she has led it for a term during my "
                "secondment and the governors have agreed the arrangement.",
                "Two assistant heads share cover, with the business manager leading on operations. We have "
                "tested this during my work with the cluster over the last year.",
            ]),
            "phase_offered": "secondary" if phase_group(school) == "secondary" else "primary",
            "specialisms": rng.sample(["leadership", "teaching", "literacy", "maths", "send", "curriculum",
                                       "new_heads", "data", "behaviour"], k=rng.randint(2, 3)),
        },
        "evidence": _evidence(school, rng, partial=False),
        "evidence_partial": _evidence(school, rng, partial=True),
        "approvals": {
            "chair_of_governors_name": rng.choice(["Margaret Ellis", "Robert Chandler", "Anita Desai", "Hugh Barton"]),
            "chair_of_governors_email": f"chair.{school.urn}@{DEMO_DOMAIN}",
            "governors_approved": True,
            "slt_approved": True,
        },
    }
    for section in sections:
        if section == "referee":
            _nominate(application, head, rng)
            continue
        key = "evidence" if section == "evidence_partial" else section
        data = {f: v for f, v in answers[section].items() if f in SECTIONS_BY_KEY[key].fields}
        services.application_save(application=application, section=key, data=data, by=head)


def _declared_inspection_date(latest: Inspection | None, plan: Plan) -> date | None:
    if latest is None:
        return date(2019, 3, 12)
    if plan.stage == "disagreement":
        # The head gives the date of the inspection before last: the adviser sees the two disagree.
        return latest.inspection_date - timedelta(days=3 * 365)
    return latest.inspection_date


def _performance_summary(school: School) -> str:
    measure, label = ("P8MEA", "Progress 8") if school.phase == School.Phase.SECONDARY else (
        "PTRWM_EXP", "pupils reaching the expected standard in reading, writing and maths")
    values = dict(SchoolResult.objects.filter(school=school, measure=measure, value__isnull=False)
                  .values_list("year", "value"))
    if not values:
        return ("Our results are published for small cohorts only; our own tracking shows most pupils making "
                "good progress from their starting points in each of the last three years.")
    figures = ", ".join(f"{year}: {value.normalize():f}{'%' if measure == 'PTRWM_EXP' else ''}"  # type: ignore[union-attr]
                        for year, value in sorted(values.items()))
    return (f"{label.capitalize()}: {figures}. Disadvantaged pupils have closed much of the gap with their peers, "
            "and attendance has stayed above the national average.")


def _evidence(school: School, rng: random.Random, *, partial: bool) -> dict:
    town = school.town or "the town"
    impact = rng.choice([
        f"When I joined {school.name}, fewer than half of our pupils left with the expected standard in writing. "
        "I introduced weekly moderation across year groups, coaching for every teacher from our lead practitioner "
        "and a whole-school approach to sentence-level grammar. Over three years writing outcomes have risen "
        "by twenty points and our disadvantaged pupils now do as well as others nationally.",
        f"Our focus at {school.name} has been mathematics. We moved to a mastery approach, trained every teacher "
        "and teaching assistant, and I teach a Year 6 group each week to keep my own practice sharp. Attainment "
        "in mathematics is now well above the LA average and has been for three years.",
        "I reorganised the leadership team so that each phase has a leader accountable for its outcomes, and we "
        "review every pupil's progress each half term. The proportion of pupils meeting the expected standard "
        "has risen each year, and the gap for pupils with SEND has narrowed markedly.",
    ])
    improvement = rng.choice([
        "The school was judged to require improvement shortly before I arrived. We rebuilt the curriculum, "
        "invested in early reading and strengthened governance; Ofsted judged the school good, with outstanding "
        "leadership, at its next inspection.",
        f"I have led {school.name} through a period of rapid growth in pupil numbers while keeping standards "
        "high, opening a specialist resource base and securing our place as a hub for the local cluster.",
    ])
    supporting = rng.choice([
        f"For the last two years I have coached the new headteacher of a small school near {town}, meeting "
        "fortnightly. Together we wrote their improvement plan; their reading results have since doubled.",
        "I lead the cluster's moderation network and have supported two schools after a disappointing "
        "inspection, working with their senior teams on assessment and the quality of teaching.",
    ])
    evidence = {
        "impact_on_outcomes": impact,
        "school_improvement": improvement,
        "supporting_others": "" if partial else supporting,
        "capacity": rng.choice(["0.5", "1.0"]),
        "capacity_notes": "" if partial else "Tuesdays suit the school best; the governors have agreed this.",
    }
    return evidence


def _nominate(application: Application, head: User, rng: random.Random) -> None:
    if rng.random() < 0.7:
        details = {**DEFAULT_REFEREE, "relationship": "The LA's link officer for our school for four years.",
                   "is_round_default": True}
    else:
        details = {
            "name": rng.choice(["Dr Alison Reeve", "Mark Whitlock", "Canon Susan Gray"]),
            "email": f"sponsor.{head.school.urn}@{DEMO_DOMAIN}",  # type: ignore[union-attr]  # demo heads have schools
            "role": RefereeNomination.Role.TEACHING_SCHOOL,
            "organisation": "Norwich Teaching School Alliance",
            "relationship": "Leads the teaching school alliance our school belongs to; has seen my work in "
                            "the cluster at first hand.",
        }
    services.referee_nominate(application=application, by=head, **details)


# --- references: some requested, some reminded, received or declined ------------------

DEMO_REFERENCE = {
    "ability": "A thoughtful, exacting head who already supports two schools in the cluster. Ready for the role.",
    "impact": "Reading at the expected standard rose from 61% to 82% in three years; exclusions fell to none.",
    "senior_team": "The deputy led the school for a term during the head's secondment; the SLT is stable.",
    "commits_to_deploy": "yes",
    "safeguarding_concerns": "no",
    "safeguarding_details": "",
    "recommendation": "strongly",
}


def _chairs_answer(round: ApplicationRound, *, waiting: tuple[str, ...]) -> None:
    """The chairs of governors approve through their links: the governing body's
    approval is only ever their answer (applications.approvals). Only requests
    still open change, so a re-run changes nothing."""
    from . import references
    from .models import LinkRequest

    open_requests = (
        LinkRequest.objects.open().filter(application__round=round, kind=LinkRequest.Kind.GOVERNORS_APPROVAL)
        .exclude(application__status__in=[Status.WITHDRAWN, *waiting]).order_by("application_id")
    )
    for link_request in open_requests.select_related("application"):
        references.link_request_submit(link_request=link_request, answers={
            "approve": "yes", "comment": "The full governing body approved the application at its last meeting."})


def _references(round: ApplicationRound) -> None:
    """Vary the sponsors' answers. Only requests still untouched change, so a re-run changes nothing."""
    from . import references
    from .models import LinkRequest

    open_requests = LinkRequest.objects.open().filter(
        application__round=round, kind=LinkRequest.Kind.REFERENCE, reminder_count=0, chasers__isnull=True,
    ).order_by("application_id")
    for link_request in open_requests.select_related("application"):
        if link_request.application.status == Status.WITHDRAWN:
            continue
        # By the application's id, not the position in this list: a re-run sees a shorter list.
        plan = link_request.application_id % 4
        if link_request.application.status in (Status.DESIGNATED, Status.NOT_DESIGNATED, Status.DEFERRED):
            plan = 2  # the panel decided with the sponsor's reference in
        if plan == 1:  # reminded: asked 8 days ago
            LinkRequest.objects.filter(pk=link_request.pk).update(
                created_at=timezone.now() - timedelta(days=8), sent_at=timezone.now() - timedelta(days=8))
            references.link_chasers_run()
        elif plan == 2:
            references.link_request_submit(link_request=link_request, answers=DEMO_REFERENCE)
        elif plan == 3:
            references.link_request_decline(
                link_request=link_request, reason="I have not worked with this school closely enough to comment.")
