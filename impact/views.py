"""The impact dashboard: a governor's own school (its deployment, objectives,
days delivered, results against the LA average) and the programme-wide
picture of its LA; an adviser sees the programme of each of their LAs.

A bounded number of queries whatever the number of deployments or schools:
the performance table is cached (impact/analysis.py), the rest are
aggregates and a limited, prefetched list.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lle_portal.access import AuthenticatedHttpRequest, confirmed_school_id, role_required
from lle_portal.models import LocalAuthority, Report, User
from lle_portal.reports import latest_reports

from . import analysis, charts, comparison, reports, survey_results
from .dashboard import programme_summary, programme_years, school_deployments
from .filters import ImpactFilter


def _local_authorities(user) -> list[LocalAuthority]:
    """The LAs whose programme `user` may see."""
    if user.is_adviser:
        return list(user.my_las().order_by("name"))
    if confirmed_school_id(user) and user.school.local_authority_id:
        return [user.school.local_authority]
    return []


def _chosen_la(request: HttpRequest, las: list[LocalAuthority]) -> LocalAuthority | None:
    code = request.GET.get("la") or request.POST.get("la")
    if code:
        chosen = next((la for la in las if la.code == code), None)
        if chosen is None:
            raise Http404("No such local authority.")
        return chosen
    return las[0] if las else None


@dataclass(frozen=True)
class Choices:
    measure: str
    years: list[int]             # offered, newest first
    result_years: list[int]      # those with results to compare for the measure
    ranked: list[tuple[str, int]]  # the measures offered, with their supported schools with results
    ranked_year: int | None      # the year they were ranked for
    supported: set[int]          # that year's supported schools


def _choices(request: HttpRequest, la: LocalAuthority | None) -> Choices:
    """The measure shown, the years offered, those with results for it, and the
    measures in the order offered (those with the year's supported schools'
    results first, with their number).

    Only what has data is offered: measures that can be compared in some year,
    and the years they can be compared in (plus the years the programme ran,
    for its numbers and surveys). Without a choice, the latest year with
    results and the measure where most of that year's supported schools have
    results: the page leads with what changed."""
    available = analysis.comparable_years()
    programme = programme_years(la) if la else set()
    measure = request.GET.get("measure")
    if measure not in available:
        measure = None
    try:
        asked = int(request.GET.get("year", ""))
    except ValueError:
        asked = None
    every_year = {year for years in available.values() for year in years}
    if measure is None:
        # The year asked for (if offered), or the latest with results; then the leading measure that year.
        year = asked if asked in every_year else max(every_year, default=None)
    else:
        year = asked if asked in available[measure] else available[measure][0]
    supported = analysis.supported_school_ids(la, year) if la and year else set()
    ranked = analysis.leading_measures(la, year, available, supported)
    if measure is None:
        measure = ranked[0][0] if ranked else analysis.default_measure()
    # The other measures, after those comparable that year.
    ranked += [(key, 0) for key in available if key not in {k for k, _ in ranked}]
    result_years = available.get(measure, [])
    years = sorted(set(result_years) | programme, reverse=True)
    return Choices(measure, years, result_years, ranked, year, supported)


@role_required(User.Role.GOVERNOR, User.Role.ADVISER)
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.school_id:
        # One query for the school and its LA, used by both halves of the page.
        user.school = type(user.school).objects.select_related("local_authority").get(pk=user.school_id)  # type: ignore[union-attr, misc]
    las = _local_authorities(user)
    la = _chosen_la(request, las)

    choices = _choices(request, la)
    measure, years, result_years, leading = choices.measure, choices.years, choices.result_years, choices.ranked
    default_year = result_years[0] if result_years else (years[0] if years else None)
    filters = ImpactFilter(
        request.GET or None, years=years, default=default_year, default_measure=measure,
        measures=[key for key, _ in leading] or [measure], with_results=set(result_years),
    )
    year = filters.choice("year", default_year)
    phase = filters.choice("phase", "")

    context = {"filters": filters, "las": las, "la": la, "measure": analysis.ANALYSIS_MEASURES[measure],
               "year": year, "phase": phase, "years": years,
               # The measures with supported schools' results that year, for links to each.
               "leading": [(analysis.ANALYSIS_MEASURES[key], n) for key, n in leading if n and key != measure]
               if year == choices.ranked_year else []}

    # The governor's own school.
    school = user.school if confirmed_school_id(user, role=User.Role.GOVERNOR) else None
    if school is not None:
        trend = analysis.school_trend(school, measure)
        context.update(
            school=school,
            school_deployments=school_deployments(school),
            trend=trend,
            trend_chart=charts.trend_chart(trend, school.name, analysis.ANALYSIS_MEASURES[measure].label)
            if trend else None,
        )

    # The programme in the LA.
    if la is not None and year is not None:
        table = analysis.performance_table(local_authority=la, measure=measure, year_from=year - 1, year_to=year,
                                           phase=phase)
        themes = survey_results.programme_survey_results(local_authority=la, year=year)
        subject = reports.subject_for(la, year)
        report = latest_reports(reports.KIND, [subject]).get(subject)
        context.update(
            summary=programme_summary(la, year, choices.supported if year == choices.ranked_year else None),
            table=table,
            matched=comparison.programme_comparison(la, year, [measure], phase),
            change_chart=charts.change_chart(table) if table.comparable else None,
            survey_results=themes,
            surveys_ran=survey_results.any_surveyed(themes),
            survey_chart=charts.survey_chart(themes),
            comments=survey_results.published_comments(local_authority=la, year=year),
            min_group=survey_results.MIN_GROUP_SIZE,
            report=report,
        )
    return render(request, "impact/dashboard.html", context)


@role_required(User.Role.GOVERNOR, User.Role.ADVISER)
@require_POST
def request_report(request: HttpRequest) -> HttpResponse:
    """Ask for the annual impact report of an LA and year; one already being
    built is joined, not started again."""
    la = _chosen_la(request, _local_authorities(request.user))
    if la is None:
        raise Http404("No programme to report on.")
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = None
    if year not in analysis.all_years() | programme_years(la):
        messages.error(request, "Choose a year that has results.")
        return redirect("impact:dashboard")
    joining = Report.objects.in_progress().filter(kind=reports.KIND, subject=reports.subject_for(la, year)).exists()
    report = reports.request_impact_report(local_authority=la, year=year, user=request.user)
    if joining:
        messages.info(request, "This report is already being built. We will email you when it is ready.")
    else:
        messages.success(request, "Your report is being built. We will email you when it is ready.")
    return redirect(report)
