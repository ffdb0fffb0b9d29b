"""Demo data for the impact dashboard and report: the programme's recent past.

The demo's recent results run to 2025 (ILLUSTRATIVE, lle_portal/demo.py
`seed_recent_years`) while its live deployments are this year's, so without
a history the performance table and the matched comparison would have no
supported schools. This adds the programme as it ran in 2023/24 and 2024/25:

- four LLEs designated in July 2022 and trained that autumn, heads of good
  Norfolk primary schools no other part of the demo uses (still LLEs, with
  no deployment this year);
- in 2023/24, completed deployments with the demo governor's school and five
  schools with low 2023 results; in 2024/25, with ten schools whose 2024
  results were among the lowest in Norfolk (chosen for low results, as the
  programme does, so regression to the mean flatters their change);
- objectives and confirmed visits for each;
- ILLUSTRATIVE: the results of each supported school (the governor's
  excepted: its results tell the demo head's own story) rise by `UPLIFT`
  points in the year its support ended, on top of the synthesised values,
  so the matched estimate has something to find (and the LA's average,
  computed from its schools, is computed again).

Idempotent: the LLEs are found by email, the deployments by school and start
date, and the uplift is applied to values `seed_recent_years` writes afresh
on every run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg
from django.utils import timezone

from applications.models import LLEProfile
from deployments.models import PAID_LINE, Deployment, Objective, ReimbursementStatement, VisitRecord
from deployments.reimbursement import statement_finalise, statement_prepare
from deployments.terms import Term, term_dates
from lle_portal.demo import DEMO_DOMAIN, DemoContext, school_day_on_or_after, school_day_on_or_before
from lle_portal.models import AreaResult, Inspection, School, SchoolResult, User

MEASURE = "PTRWM_EXP"
# The academic year (by the year it ends in): its start and end, and how many schools.
YEARS = {2024: (date(2023, 9, 4), date(2024, 7, 19), 5), 2025: (date(2024, 9, 2), date(2025, 7, 18), 10)}
DESIGNATED, TRAINED, STOOD_DOWN = date(2022, 7, 8), date(2022, 10, 14), date(2025, 8, 31)
HISTORY_LLES = 4
UPLIFT = Decimal(3)
OBJECTIVES = (
    ("Raise attainment in reading in Key Stage 2", Objective.Progress.ACHIEVED),
    ("Build the capacity of middle leaders to monitor teaching", Objective.Progress.GOOD),
    ("Sharpen the school's self-evaluation", Objective.Progress.SOME),
)


def seed(ctx: DemoContext) -> None:
    if ctx.la is None:
        return
    lles = _history_lles(ctx)
    if not lles:
        ctx.say("Impact history: skipped (no good schools for its LLEs).")
        return
    chosen = _supported(ctx, lles)
    governor = ctx.people.get("governor")
    made = 0
    for year, schools in chosen.items():
        start, end, _ = YEARS[year]
        for i, school_id in enumerate(schools):
            made += _deployment(lles[i % len(lles)], school_id, start, end)
            if not governor or school_id != governor.school_id:
                _uplift(school_id, year)
    _la_averages(ctx, list(chosen))
    _statements(ctx, list(chosen))
    counts = ", ".join(f"{len(schools)} in {year - 1}/{str(year)[-2:]}" for year, schools in chosen.items())
    ctx.say(f"Impact history: {len(lles)} LLEs designated in {DESIGNATED.year}; deployments completed: {counts}"
            f" ({made} new).")


def _history_lles(ctx: DemoContext) -> list[LLEProfile]:
    """The LLEs of 2022 (stood down in August 2025): found by email, or made from
    heads of good primary schools that no one in the demo uses (no account, no deployment)."""
    existing = list(LLEProfile.objects.filter(user__email__startswith="lle2022.", user__email__endswith=DEMO_DOMAIN)
                    .select_related("user").order_by("user__email"))
    if existing:
        return existing
    good = Inspection.objects.filter(school__local_authority=ctx.la, overall_effectiveness__in=[1, 2])
    taken = set(User.objects.exclude(school=None).values_list("school_id", flat=True))
    taken |= set(Deployment.objects.values_list("client_school_id", flat=True))
    taken |= set(LLEProfile.objects.values_list("school_id", flat=True))
    schools = [
        s for s in School.objects.filter(pk__in=good.values("school_id"), phase=School.Phase.PRIMARY)
        .exclude(head_name="").order_by("-urn")
        if s.pk not in taken
    ][:HISTORY_LLES]
    lles = []
    for school in schools:
        user, _ = User.objects.update_or_create(
            email=f"lle2022.{school.urn}@{DEMO_DOMAIN}",
            defaults={"full_name": school.head_name, "role": User.Role.HEADTEACHER, "school": school,
                      "password": ctx.password_hash, "job_title": "Headteacher",
                      "school_confirmed_at": timezone.now(), "school_confirmed_by": ctx.people.get("adviser")},
        )
        lles.append(LLEProfile.objects.create(
            user=user, school=school, phase="primary", specialisms=["leadership", "english"],
            days_per_week=Decimal("0.5"), designated_on=DESIGNATED, trained_on=TRAINED,
            # They served in 2023/24 and 2024/25 and stood down when it ended, so
            # the LLEs serving now are the current round's story alone.
            is_active=False, stood_down_on=STOOD_DOWN,
        ))
    return lles


def _supported(ctx: DemoContext, lles: list[LLEProfile]) -> dict[int, list[int]]:
    """The schools supported each year: those of the existing history, or
    Norfolk primary schools with low results the year before (never the
    school of a demo person, an LLE, or one of this year's deployments)."""
    found: dict[int, list[int]] = {year: [] for year in YEARS}
    for school_id, start in (Deployment.objects.filter(lle__in=lles).order_by("pk")
                             .values_list("client_school_id", "start_date")):
        for year, (first, _, _) in YEARS.items():
            if start == first:
                found[year].append(school_id)
    if all(found.values()):
        return found
    taken = set(User.objects.exclude(school=None).values_list("school_id", flat=True))
    taken |= set(Deployment.objects.values_list("client_school_id", flat=True))
    taken |= set(LLEProfile.objects.values_list("school_id", flat=True))
    headline = SchoolResult.objects.filter(school__local_authority=ctx.la, school__phase=School.Phase.PRIMARY,
                                           measure=MEASURE, value__isnull=False)
    complete = {pk for pk, n in _counts(headline) if n == 3}  # results in 2023, 2024 and 2025
    found = {}
    for year in YEARS:
        before = headline.filter(year=year - 1)
        average = before.aggregate(mean=Avg("value"))["mean"] or 0
        low = sorted((value, pk) for pk, value in before.filter(value__lt=average).values_list("school_id", "value")
                     if pk in complete and pk not in taken)
        found[year] = [pk for _, pk in low[: YEARS[year][2]]]
        taken |= set(found[year])
    # The demo governor's school was supported in 2023/24, so their dashboard shows a deployment.
    governor = ctx.people.get("governor")
    if governor and governor.school_id and not any(governor.school_id in ids for ids in found.values()):
        found[2024] = [governor.school_id, *found[2024]]
    return found


def _counts(results) -> list[tuple[int, int]]:
    from django.db.models import Count

    return list(results.filter(year__in=[2023, 2024, 2025]).order_by().values("school_id")
                .annotate(n=Count("pk")).values_list("school_id", "n"))


def _deployment(lle: LLEProfile, school_id: int, start: date, end: date) -> int:
    finished = timezone.make_aware(datetime.combine(end, datetime.min.time().replace(hour=16)))
    # Agreed in the term before the deployment starts, as a real brokerage is.
    agreed = timezone.make_aware(datetime.combine(school_day_on_or_before(start - timedelta(days=28)),
                                                  datetime.min.time().replace(hour=10)))
    started = timezone.make_aware(datetime.combine(start, datetime.min.time().replace(hour=9)))
    deployment, created = Deployment.objects.get_or_create(
        client_school_id=school_id, start_date=start,
        defaults={
            "lle": lle, "end_date": end, "rate_per_day": Decimal("350.00"), "status": Deployment.Status.COMPLETED,
            "days_per_week": Decimal("0.5"), "lle_accepted_at": agreed, "client_accepted_at": agreed,
            "agreed_at": agreed, "started_at": started, "finished_at": finished,
            "client_head_name": "The headteacher",
        },
    )
    if not created:
        return 0
    for position, (title, progress) in enumerate(OBJECTIVES):
        Objective.objects.create(deployment=deployment, title=title, progress=progress, position=position,
                                 measure_of_success="Agreed with the client headteacher at the first visit.")
    VisitRecord.objects.bulk_create(
        VisitRecord(
            deployment=deployment, visit_date=day, days=Decimal("0.5"),
            activities=["coaching"], summary="Coaching session with the head.", progress="On track.",
            next_steps="Review at the next visit.", recorded_by=lle.user, status=VisitRecord.Status.CONFIRMED,
            confirmed_at=_at(school_day_on_or_after(day + timedelta(days=2)), 16),
        )
        for day in [school_day_on_or_after(start + timedelta(days=14 * k + 1)) for k in range(16)]
    )
    return 1


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=hour)))


def _statements(ctx: DemoContext, years: list[int]) -> None:
    """The terms of those years were paid as they ended: each term's statement,
    finalised three weeks after it, so no visit of the history waits to be paid."""
    adviser = ctx.people.get("adviser")
    if adviser is None:
        return
    assert ctx.la is not None  # seed_la ran first
    for year in years:
        for term in Term:
            if ReimbursementStatement.objects.filter(local_authority=ctx.la, academic_year=year,
                                                     term=term).exists():
                continue
            dates = term_dates(year, term)
            statement = statement_prepare(local_authority=ctx.la, academic_year=year, term=term, by=adviser)
            if statement.lines.filter(PAID_LINE).exists():
                statement_finalise(statement=statement, by=adviser,
                                   at=_at(school_day_on_or_after(dates.ends_on + timedelta(days=21)), 11))


def _la_averages(ctx: DemoContext, years: list[int]) -> None:
    """The LA's average of the headline, as lle_portal/demo.py publishes it, again after the uplift."""
    assert ctx.la is not None  # seed_la ran first
    for year in years:
        mean = SchoolResult.objects.filter(school__local_authority=ctx.la, measure=MEASURE, year=year,
                                           value__isnull=False).aggregate(mean=Avg("value"))["mean"]
        if mean is not None:
            AreaResult.objects.filter(area_code=ctx.la.code, measure=MEASURE, year=year).update(value=round(mean, 2))


def _uplift(school_id: int, year: int) -> None:
    """ILLUSTRATIVE: the supported school's result rises by UPLIFT in the year its support ended."""
    result = SchoolResult.objects.filter(school_id=school_id, measure=MEASURE, year=year).first()
    if result is not None and result.value is not None:
        result.value = min(result.value + UPLIFT, Decimal(100))
        result.save(update_fields=["value"])
