"""Demo brokerage and deployment for Norfolk (`manage.py seed_demo`).

Support needs suggested by the data, and deployments in every state — proposed,
agreed, active (with objectives and records of visit confirmed, queried,
awaiting confirmation and flagged for quality assurance), overdue for a visit,
ending soon, completed, ended early and not taken up — plus a finalised
reimbursement statement and a termly network meeting.

Everything goes through the services, as the adviser, the LLEs and the client
heads would do it. Idempotent: each scenario is keyed by its client school
and skipped when that school already has a support need, so a second run
changes nothing (and sends no email).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from applications.models import LLEProfile, Specialism
from lle_portal.demo import (
    DEMO_DOMAIN,
    DemoContext,
    is_school_day,
    school_day_on_or_after,
    school_day_on_or_before,
)
from lle_portal.models import School, User
from lle_portal.schooldata import PHASE_GROUP_OF_PHASE

from . import matching, reimbursement, reports, services
from .models import (
    PAID_LINE,
    Activity,
    Deployment,
    NetworkMeeting,
    NetworkMeetingAttendance,
    Objective,
    PriorityReason,
    ReimbursementStatement,
    SupportNeed,
    VisitRecord,
)
from .priorities import suggestions_for_schools
from .terms import previous_term

SPECIALISM_SETS = [
    [Specialism.LEADERSHIP, Specialism.MATHS, Specialism.DATA],
    [Specialism.LITERACY, Specialism.EARLY_YEARS, Specialism.NEW_HEADS],
    [Specialism.TEACHING, Specialism.BEHAVIOUR, Specialism.CURRICULUM],
    [Specialism.SEND, Specialism.LEADERSHIP, Specialism.GOVERNANCE],
    [Specialism.MATHS, Specialism.TEACHING, Specialism.NEW_HEADS],
]
# The demo's LLEs and client schools: schools of the phases the programme
# speaks of (lle_portal.schooldata), sixth-form colleges aside.
PHASE_OF_SCHOOL = {phase: group for phase, group in PHASE_GROUP_OF_PHASE.items() if phase != School.Phase.SIXTEEN_PLUS}

OBJECTIVES = [
    ("Raise attainment in reading at KS2", "At least 70% reach the expected standard in reading in the next tests"),
    ("Strengthen the senior team's monitoring of teaching",
     "Termly monitoring cycle in place; middle leaders lead two learning walks each term"),
    ("Improve attendance of disadvantaged pupils", "Persistent absence of disadvantaged pupils below 15%"),
]


def _ensure_lles(ctx: DemoContext) -> list[LLEProfile]:
    """The LLEs the recruitment demo designated; a few of our own if it made none."""
    lles = list(LLEProfile.objects.filter(school__local_authority=ctx.la).select_related("user", "school"))
    if len(lles) >= 8:
        return lles
    today = timezone.localdate()
    for i, head in enumerate(ctx.headteachers[:14]):
        LLEProfile.objects.get_or_create(user=head, defaults={
            "school": head.school, "phase": PHASE_OF_SCHOOL.get(head.school.phase, "primary"),  # type: ignore[union-attr]
            "specialisms": SPECIALISM_SETS[i % len(SPECIALISM_SETS)],
            "days_per_week": Decimal("1.0") if i % 3 else Decimal("0.5"),
            "designated_on": today - timedelta(days=400), "trained_on": today - timedelta(days=350),
        })
    return list(LLEProfile.objects.filter(school__local_authority=ctx.la).select_related("user", "school"))


def _client_schools(ctx: DemoContext, lles: list[LLEProfile], wanted: int) -> list[tuple[School, list]]:
    """Open schools the data flags (below the floor or vulnerable), not LLE schools."""
    # Not an LLE's school, nor one whose head already has a demo login.
    lle_schools = {lle.school_id for lle in lles} | {head.school_id for head in ctx.headteachers}
    schools = [
        s for s in School.objects.open().filter(local_authority=ctx.la).exclude(head_name="").order_by("urn")
        if s.pk not in lle_schools and s.phase in PHASE_OF_SCHOOL
    ]
    suggestions = suggestions_for_schools(schools)
    return [(s, suggestions[s.pk]) for s in schools if suggestions[s.pk]][:wanted]


def _client_head(ctx: DemoContext, school: School) -> User:
    head = ctx.login(
        f"client-head-{school.urn}", email=f"head.{school.urn}@{DEMO_DOMAIN}", full_name=school.head_name,
        role=User.Role.HEADTEACHER, school=school, job_title="Headteacher",
    )
    ctx.logins.pop()  # one client head is listed among the demo logins, below; the rest exist for the data
    return head


def _record_need(ctx: DemoContext, school: School, suggestions: list, *, head: User, extra: Sequence[str] = (),
                 focus: list[str], days: Decimal, appointed: date | None = None, notes: str = "") -> SupportNeed:
    need = SupportNeed(
        client_school=school, client_head=head, client_head_name=head.full_name, head_appointed_on=appointed,
        reasons=[s.reason for s in suggestions] + list(extra), focus_areas=focus, days_per_week=days, notes=notes,
    )
    return services.support_need_save(need=need, by=ctx.people["adviser"])


def _propose_top(ctx: DemoContext, need: SupportNeed, *, start: date, months: int = 12) -> Deployment:
    """The best-matched LLE, from the first school day on or after `start` to the
    last school day of the agreed length (never a holiday or a weekend)."""
    top = next(c for c in matching.rank_candidates(need) if c.proposable)
    start = school_day_on_or_after(start)
    return services.deployment_propose(
        need=need, lle=top.lle, by=ctx.people["adviser"], start_date=start,
        end_date=school_day_on_or_before(services.add_months(start, months)), days_per_week=top.offer_days,
        rate_per_day=services.DEFAULT_RATE_PER_DAY,
    )


def _agree(deployment: Deployment, head: User) -> Deployment:
    services.deployment_accept(deployment=deployment, by=deployment.lle.user)
    deployment = services.deployment_accept(deployment=deployment, by=head)
    # The worker makes the contract too (queued by the acceptance); made here
    # as well so the demo shows it when no worker is running. It replaces the file.
    reports.deployment_generate_contract(deployment_id=deployment.pk)
    return deployment


def _objectives(deployment: Deployment, how_many: int = 2) -> list[Objective]:
    return [
        services.objective_add(deployment=deployment, by=deployment.lle.user, title=title, measure_of_success=measure)
        for title, measure in OBJECTIVES[:how_many]
    ]


VISIT_NOTES = [
    ([Activity.NEGOTIATING_OBJECTIVES],
     "Met the head and the deputy; agreed the objectives and how we will measure them.",
     "Objectives agreed and shared with governors.", "Learning walk focused on reading next time."),
    ([Activity.COACHING_HEAD, Activity.REVIEW], "Coaching session with the head on leading the monitoring cycle.",
     "Head has drafted the termly monitoring calendar.", "Joint book scrutiny with the English lead."),
    ([Activity.STAFF_TRAINING], "Arranged phonics training for two teaching assistants with our English lead.",
     "Training dates fixed; cover arranged.", "Observe the phonics groups after the training."),
    ([Activity.COACHING_HEAD], "Reviewed attendance data with the head and the family support worker.",
     "New first-day calling routine agreed.", "Check the persistent-absence figures at half term."),
]


def _visit(deployment: Deployment, day: date, i: int, *, objectives: Sequence[Objective] = (), colleague=None):
    # Objectives are negotiated once, on the first visit; later visits cycle through the others
    # (a deployment "agreeing its objectives" again in its tenth week reads as a mistake).
    activities, summary, progress, next_steps = VISIT_NOTES[0 if i == 0 else 1 + (i - 1) % (len(VISIT_NOTES) - 1)]
    recorder = colleague.user if colleague is not None and colleague.user else deployment.lle.user
    day = school_day_on_or_before(day)
    return services.visit_record(
        deployment=deployment, by=recorder, visit_date=day, days=Decimal(deployment.days_per_week),
        activities=activities, summary=summary, progress=progress, next_steps=next_steps,
        objectives=objectives[: (i % 2) + 1], colleague=colleague,
    )


def _visit_days(first: date, last: date, count: int) -> list[date]:
    """`count` visit dates spread evenly over the school days from `first` to
    `last` (every one a school day: lle_portal.demo.is_school_day)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)
            if is_school_day(first + timedelta(days=n))]
    if len(days) <= count:
        return days
    step = (len(days) - 1) / max(count - 1, 1)
    return [days[round(i * step)] for i in range(count)]


def seed(ctx: DemoContext) -> None:
    if ctx.la is None or "adviser" not in ctx.people:
        ctx.say("Deployments: skipped (no LA or adviser).")
        return
    adviser = ctx.people["adviser"]
    today = timezone.localdate()
    lles = _ensure_lles(ctx)
    clients = _client_schools(ctx, lles, wanted=10)
    if len(clients) < 10:
        ctx.say(f"Deployments: only {len(clients)} schools flagged by the data; skipped.")
        return

    def scenario(index: int, build: Callable[[School, list, User], None]) -> None:
        school, suggestions = clients[index]
        head = _client_head(ctx, school)
        if SupportNeed.objects.filter(client_school=school).exists():
            return  # built by an earlier run
        build(school, suggestions, head)
        for deployment in Deployment.objects.filter(client_school=school):
            _settle_times(deployment, today)

    # 0. The printed LLE and client head's deployment. Active since the summer term (six months
    #    in, across the summer holiday): objectives; visits confirmed, queried, awaiting the client
    #    head's confirmation and QA-flagged; a colleague (the deputy) delivers some days.
    def active(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.LITERACY, Specialism.LEADERSHIP],
                            days=Decimal("1.0"), notes="Head wants support with the monitoring of teaching.")
        deployment = _propose_top(ctx, need, start=today - timedelta(days=180))
        deputy = deployment.colleagues.create(name="Jo Hartley", job_title="Deputy headteacher")
        objectives = _objectives(deployment, 3)
        _agree(deployment, head)
        dates = _visit_days(deployment.start_date + timedelta(days=3), today - timedelta(days=3), 10)
        visits = [
            _visit(deployment, day, i, objectives=objectives, colleague=deputy if i == 3 else None)
            for i, day in enumerate(dates)
        ]
        for visit in visits[:-3]:
            services.visit_confirm(visit=visit, by=head)
        services.visit_query(visit=visits[-3], by=head,
                             reason="We had this visit as half a day, not a full day: please check the days.")
        services.visit_flag_for_qa(visit=visits[1], by=adviser, note="Sample for the termly quality assurance.")
        services.objective_rate(objective=objectives[0], by=deployment.lle.user, progress=Objective.Progress.GOOD)
        services.objective_rate(objective=objectives[1], by=deployment.lle.user, progress=Objective.Progress.SOME)

    # 1. Proposed: the LLE has accepted, the client head not yet.
    def proposed(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.MATHS], days=Decimal("0.5"))
        deployment = _propose_top(ctx, need, start=today + timedelta(days=14))
        services.deployment_accept(deployment=deployment, by=deployment.lle.user)

    # 2. Agreed, starting next month: the contract agreement is generated in the background.
    def agreed(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.TEACHING, Specialism.DATA],
                            days=Decimal("0.5"))
        deployment = _propose_top(ctx, need, start=today + timedelta(days=21), months=9)
        _objectives(deployment, 2)
        _agree(deployment, head)

    # 3. Active but no record of visit for six weeks: overdue.
    def overdue(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.BEHAVIOUR], days=Decimal("0.5"))
        deployment = _propose_top(ctx, need, start=today - timedelta(days=106))
        _agree(deployment, head)
        visit = _visit(deployment, school_day_on_or_before(today - timedelta(days=45)), 1)
        services.visit_confirm(visit=visit, by=head)

    # 4. Active, reaching its agreed end point within the next three weeks.
    def ending(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.CURRICULUM], days=Decimal("0.5"))
        end = school_day_on_or_before(today + timedelta(days=20))
        deployment = _propose_top(ctx, need, start=services.add_months(end, -12))
        objectives = _objectives(deployment, 1)
        _agree(deployment, head)
        for i, day in enumerate(_visit_days(today - timedelta(days=40), today - timedelta(days=2), 3)):
            services.visit_confirm(visit=_visit(deployment, day, i, objectives=objectives), by=head)

    # 5. Completed: a professional partner for a new head, finished two months ago.
    def completed(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, extra=[PriorityReason.NEW_HEAD],
                            focus=[Specialism.NEW_HEADS], days=Decimal("0.5"),
                            appointed=today - timedelta(days=500))
        end = today - timedelta(days=60)
        deployment = _propose_top(ctx, need, start=services.add_months(end, -7), months=7)
        objectives = _objectives(deployment, 2)
        _agree(deployment, head)
        for i, day in enumerate(_visit_days(deployment.start_date + timedelta(days=7), deployment.end_date, 6)):
            services.visit_confirm(visit=_visit(deployment, day, i, objectives=objectives), by=head)
        services.objective_rate(objective=objectives[0], by=deployment.lle.user, progress=Objective.Progress.ACHIEVED)
        services.deployment_complete(deployment=deployment, by=adviser)

    # 6. Ended early: the client school joined a trust with its own support.
    def ended_early(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.GOVERNANCE], days=Decimal("0.5"))
        deployment = _propose_top(ctx, need, start=today - timedelta(days=96))
        _agree(deployment, head)
        services.visit_confirm(visit=_visit(deployment, school_day_on_or_after(today - timedelta(days=80)), 0),
                               by=head)
        services.deployment_end_early(deployment=deployment, by=adviser,
                                      reason="The school joined a multi-academy trust that provides its own support.")

    # 7. Not taken up: the LLE declined; the need is open again for another match.
    def declined(school, suggestions, head):
        need = _record_need(ctx, school, suggestions, head=head, focus=[Specialism.SEND], days=Decimal("0.5"))
        deployment = _propose_top(ctx, need, start=today + timedelta(days=14))
        services.deployment_decline(deployment=deployment, by=deployment.lle.user,
                                    reason="Our own Ofsted inspection is due this term.")

    # 8, 9. Open needs waiting for a match: one from the data, one a new head's professional partner.
    def open_need(school, suggestions, head):
        _record_need(ctx, school, suggestions, head=head, focus=[Specialism.MATHS, Specialism.LEADERSHIP],
                     days=Decimal("1.0"))

    def new_head(school, suggestions, head):
        _record_need(ctx, school, suggestions, head=head,
                     extra=[PriorityReason.NEW_HEAD, PriorityReason.PEER_CHALLENGE],
                     focus=[Specialism.NEW_HEADS, Specialism.FINANCE], days=Decimal("0.5"),
                     appointed=today - timedelta(days=150),
                     notes="First headship since September; governors ask for a professional partner.")

    for index, build in enumerate([active, proposed, agreed, overdue, ending, completed, ended_early, declined,
                                   open_need, new_head]):
        scenario(index, build)

    _print_the_pair(ctx, clients[0][0])
    _network_meeting(ctx, lles, today)
    _statement(ctx, today)
    counts = {label: Deployment.objects.filter(client_school__local_authority=ctx.la, status=status).count()
              for status, label in Deployment.Status.choices}
    ctx.say("Deployments: " + ", ".join(f"{n} {label.lower()}" for label, n in counts.items()) + ".")


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _settle_times(deployment: Deployment, today: date) -> None:
    """The services stamp everything "now"; the demo's story happened over
    months. The need was recorded five weeks before the start, the proposal a
    week later, each acceptance a few days after it, and each visit recorded on
    its day and answered by the client head within two school days, so no page
    says a June visit was confirmed in December."""
    now = timezone.now()

    def when(day: date, hour: int) -> datetime:
        return min(_at(day, hour), now)

    start = deployment.start_date
    proposed = school_day_on_or_before(start - timedelta(days=28))
    SupportNeed.objects.filter(pk=deployment.need_id).update(  # type: ignore[misc]  # a demo deployment has its need
        created_at=when(school_day_on_or_before(proposed - timedelta(days=7)), 10))
    stamps = {"created_at": when(proposed, 11)}
    if deployment.lle_accepted_at:
        stamps["lle_accepted_at"] = when(school_day_on_or_after(proposed + timedelta(days=2)), 15)
    if deployment.client_accepted_at:
        stamps["client_accepted_at"] = when(school_day_on_or_after(proposed + timedelta(days=5)), 16)
    if deployment.agreed_at:
        stamps["agreed_at"] = stamps["contract_generated_at"] = stamps["client_accepted_at"]
    first_visit = deployment.visits.order_by("visit_date").first()
    if deployment.started_at:
        stamps["started_at"] = when(first_visit.visit_date if first_visit else start, 17)
    if deployment.finished_at:
        last_visit = deployment.visits.order_by("visit_date").last()
        finished = deployment.end_date if deployment.status == Deployment.Status.COMPLETED else (
            school_day_on_or_after((last_visit.visit_date if last_visit else start) + timedelta(days=14)))
        stamps["finished_at"] = when(finished, 16)
    Deployment.objects.filter(pk=deployment.pk).update(**stamps)
    for visit in deployment.visits.all():
        answered = school_day_on_or_after(visit.visit_date + timedelta(days=2))
        VisitRecord.objects.filter(pk=visit.pk).update(
            created_at=when(visit.visit_date, 17),
            confirmed_at=when(answered, 9) if visit.confirmed_at else None,
            queried_at=when(answered, 9) if visit.queried_at else None,
            qa_flagged_at=when(school_day_on_or_after(visit.visit_date + timedelta(days=7)), 11)
            if visit.qa_flagged_at else None,
        )


def printed_pair(school: School) -> Deployment | None:
    """The deployment whose LLE and client head are the demo's printed logins."""
    return Deployment.objects.filter(client_school=school, status=Deployment.Status.ACTIVE).select_related(
        "lle__user", "client_head").first()


def _print_the_pair(ctx: DemoContext, school: School) -> None:
    """The printed LLE and client head share the first scenario's active
    deployment, with visits awaiting the client head's confirmation, so the
    journey from one to the other can be walked with the printed logins."""
    deployment = printed_pair(school)
    if deployment is None or deployment.client_head is None:
        return
    lle, head = deployment.lle.user, deployment.client_head
    ctx.people["lle"], ctx.people["client_head"] = lle, head
    ctx.logins.append(("Headteacher (LLE)", lle.full_name, lle.email))
    ctx.logins.append(("Headteacher (client head)", head.full_name, head.email))


def _network_meeting(ctx: DemoContext, lles: list[LLEProfile], today: date) -> None:
    held_on = school_day_on_or_after(previous_term(today).starts_on + timedelta(days=45))
    meeting, created = NetworkMeeting.objects.get_or_create(
        local_authority=ctx.la, held_on=held_on,
        defaults={"title": "Termly LLE network meeting", "location": "County Hall, Norwich",
                  "notes": "Review of the programme's impact; CPD on coaching conversations."},
    )
    if created:
        statuses = [NetworkMeetingAttendance.Status.ATTENDED] * 4 + [NetworkMeetingAttendance.Status.APOLOGIES]
        NetworkMeetingAttendance.objects.bulk_create(
            [NetworkMeetingAttendance(meeting=meeting, lle=lle, status=statuses[i % len(statuses)])
             for i, lle in enumerate(lles)]
        )


def _statement(ctx: DemoContext, today: date) -> None:
    """Last term's statement, finalised: its PDF is made by the worker."""
    term = previous_term(today)
    exists = ReimbursementStatement.objects.filter(
        local_authority=ctx.la, academic_year=term.academic_year, term=term.term
    ).exists()
    if exists:
        return
    assert ctx.la is not None  # seed() checked it
    statement = reimbursement.statement_prepare(local_authority=ctx.la, academic_year=term.academic_year,
                                                term=term.term, by=ctx.people["adviser"])
    if statement.lines.filter(PAID_LINE).exists():  # something to pay (held late claims are not)
        # Finalised three weeks after the term ended, as finance asks.
        finalised = school_day_on_or_after(term.ends_on + timedelta(days=21))
        reimbursement.statement_finalise(statement=statement, by=ctx.people["adviser"], at=timezone.make_aware(
            datetime.combine(finalised, datetime.min.time().replace(hour=11))))
        reports.statement_generate_pdf(statement_id=statement.pk)  # as for the contracts, above
