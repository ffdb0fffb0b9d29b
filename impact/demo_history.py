"""Demo data for the impact dashboard: the programme's past year.

The demo's results run to 2019 (the real file) while its live deployments are
this year's, so the performance table would have no supported schools. This
adds the programme as it ran in 2018/19: completed deployments of the demo's
LLEs with eight Norfolk schools that were below the LA average in 2018, with
objectives and confirmed visits. Idempotent: found by school and start date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg
from django.utils import timezone

from applications.models import LLEProfile
from deployments.models import Deployment, Objective, VisitRecord
from lle_portal.demo import LATEST_YEAR, DemoContext
from lle_portal.models import SchoolResult

START = date(LATEST_YEAR - 1, 9, 3)
END = date(LATEST_YEAR, 7, 19)
OBJECTIVES = (
    ("Raise attainment in reading in Key Stage 2", Objective.Progress.ACHIEVED),
    ("Build the capacity of middle leaders to monitor teaching", Objective.Progress.GOOD),
    ("Sharpen the school's self-evaluation", Objective.Progress.SOME),
)


def seed(ctx: DemoContext) -> None:
    if ctx.la is None:
        return
    lles = list(LLEProfile.objects.filter(school__local_authority=ctx.la, is_active=True).select_related("user"))
    if not lles:
        ctx.say("Impact history: skipped (no LLEs).")
        return
    # The KS2 headline where the files have it; the real 2019 file of the demo has progress scores.
    results = SchoolResult.objects.filter(school__local_authority=ctx.la, year=LATEST_YEAR, value__isnull=False)
    measure = "PTRWM_EXP" if results.filter(measure="PTRWM_EXP").exists() else "MATPROG"
    headline = SchoolResult.objects.filter(school__local_authority=ctx.la, measure=measure)
    average = headline.filter(year=LATEST_YEAR - 1).aggregate(mean=Avg("value"))["mean"] or 0
    lle_schools = {lle.school_id for lle in lles}
    # Schools below the LA average in 2018 with results in both years, most improved first.
    before = dict(headline.filter(year=LATEST_YEAR - 1, value__lt=average).values_list("school_id", "value"))
    after = dict(headline.filter(year=LATEST_YEAR, school_id__in=before).exclude(value=None)
                 .values_list("school_id", "value"))
    chosen = sorted((pk for pk in after if pk not in lle_schools), key=lambda pk: after[pk] - before[pk],
                    reverse=True)[:8]
    # The demo governor's school was one of them, so their dashboard shows a deployment.
    governor = ctx.people.get("governor")
    if governor and governor.school_id and governor.school_id not in lle_schools and governor.school_id not in chosen:
        chosen = [governor.school_id, *chosen[:7]]
    finished = timezone.make_aware(datetime.combine(END, datetime.min.time()))
    made = 0
    for i, school_id in enumerate(chosen):
        lle = lles[i % len(lles)]
        deployment, created = Deployment.objects.get_or_create(
            client_school_id=school_id, start_date=START,
            defaults={
                "lle": lle, "end_date": END, "rate_per_day": Decimal("350.00"), "status": Deployment.Status.COMPLETED,
                "days_per_week": Decimal("0.5"), "lle_accepted_at": finished, "client_accepted_at": finished,
                "agreed_at": finished, "started_at": finished, "finished_at": finished,
                "client_head_name": "The headteacher",
            },
        )
        if not created:
            continue
        made += 1
        for position, (title, progress) in enumerate(OBJECTIVES):
            Objective.objects.create(deployment=deployment, title=title, progress=progress, position=position,
                                     measure_of_success="Agreed with the client headteacher at the first visit.")
        VisitRecord.objects.bulk_create(
            VisitRecord(
                deployment=deployment, visit_date=START + timedelta(days=14 * k + 1), days=Decimal("0.5"),
                activities=["coaching"], summary="Coaching session with the head.", progress="On track.",
                next_steps="Review at the next visit.", recorded_by=lle.user, status=VisitRecord.Status.CONFIRMED,
                confirmed_at=finished,
            )
            for k in range(16)
        )
    ctx.say(f"Impact history: {made} deployments completed in {LATEST_YEAR - 1}/{str(LATEST_YEAR)[-2:]}"
            f" ({len(chosen)} in all).")
