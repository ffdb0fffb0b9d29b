"""What the governor and adviser dashboards and the impact report show, read
in a fixed number of queries whatever the number of deployments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from deployments.models import Deployment, Objective, VisitRecord
from lle_portal.academic_years import academic_year_label, academic_year_of
from lle_portal.models import LocalAuthority, School

from .analysis import academic_year, programme_lles, supported_school_ids


@dataclass(frozen=True)
class ProgrammeSummary:
    year: int
    lles: int
    deployments: int
    schools_supported: int
    days_delivered: Decimal
    objectives: int
    objectives_achieved: int

    @property
    def academic_year_label(self) -> str:
        return academic_year_label(self.year)


def programme_summary(local_authority: LocalAuthority, year: int,
                      supported: set[int] | None = None) -> ProgrammeSummary:
    """Headline numbers of the programme in an LA for the academic year ending in `year`
    (5 queries, 4 given `supported`, the year's supported schools).
    LLEs are those designated and not stood down that year, or supporting a school (`programme_lles`)."""
    start, end = academic_year(year)
    supported = supported_school_ids(local_authority, year) if supported is None else supported
    under_way = Deployment.objects.filter(client_school__local_authority=local_authority, client_school__in=supported,
                                          start_date__lte=end)
    deployments = under_way.count()
    days = VisitRecord.objects.filter(
        deployment__client_school__local_authority=local_authority, status=VisitRecord.Status.CONFIRMED,
        visit_date__range=(start, end),
    ).aggregate(days=Sum("days"))["days"] or Decimal("0")
    objectives = Objective.objects.filter(deployment__in=under_way).aggregate(
        all=Count("pk"), achieved=Count("pk", filter=Q(progress=Objective.Progress.ACHIEVED))
    )
    lles = programme_lles(local_authority, year).count()
    return ProgrammeSummary(
        year=year, lles=lles, deployments=deployments, schools_supported=len(supported), days_delivered=days,
        objectives=objectives["all"], objectives_achieved=objectives["achieved"],
    )


@dataclass(frozen=True)
class SchoolDeployment:
    deployment: Deployment
    role: str  # "supported" (the school is the client) or "supporting" (its head is the LLE)
    days_confirmed: Decimal
    days_recorded: Decimal


def school_deployments(school: School, limit: int = 5) -> list[SchoolDeployment]:
    """The school's deployments, newest first, with objectives and days (2 queries)."""
    deployments = (
        Deployment.objects.filter(Q(client_school=school) | Q(lle__school=school))
        .exclude(status=Deployment.Status.WITHDRAWN)
        .select_related("lle__user", "lle__school", "client_school")
        .annotate(
            days_confirmed=Sum("visits__days", filter=Q(visits__status=VisitRecord.Status.CONFIRMED)),
            days_recorded=Sum("visits__days"),
        )
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.order_by("position", "pk")))
        .order_by("-start_date", "-pk")[:limit]
    )
    return [
        SchoolDeployment(
            deployment=d, role="supported" if d.client_school_id == school.pk else "supporting",
            days_confirmed=d.days_confirmed or Decimal("0"), days_recorded=d.days_recorded or Decimal("0"),
        )
        for d in deployments
    ]


def programme_years(local_authority: LocalAuthority) -> set[int]:
    """The academic years in which the LA's programme ran: a deployment under way
    or a survey closing (2 queries). Only years with something in them: a gap
    between two deployments is not a year of the programme; nor is a year that
    has not started (a deployment planned into next year is this year's)."""
    from .models import Survey

    years: set[int] = set()
    spans = Deployment.objects.delivered().filter(
        client_school__local_authority=local_authority,
    ).order_by().values_list("start_date", "end_date", "finished_at").distinct()
    for start, end, finished in spans:
        last = finished.date() if finished is not None else end
        years.update(range(academic_year_of(start), academic_year_of(max(start, last)) + 1))
    years.update(academic_year_of(day) for day in Survey.objects.filter(
        local_authority=local_authority).exclude(status=Survey.Status.DRAFT).values_list("closes_on", flat=True))
    current = academic_year_of(timezone.localdate())
    return {year for year in years if year <= current}
