"""The programme's annual impact report (PDF), built by the report machinery
in lle_portal/reports.py: headline numbers, the performance tables and charts,
survey results and published comments, for one LA and academic year.

    impact_report_html(local_authority, year)   # the HTML WeasyPrint renders
    render_impact_report(local_authority, year)  # the PDF's bytes
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from lle_portal import reports
from lle_portal.access import confirmed_school_id, has_role
from lle_portal.models import LocalAuthority, Report, User
from lle_portal.pdf import render_pdf

from . import analysis, charts, comparison
from .dashboard import programme_summary

KIND = "impact_report"

# The measures the annual report always covers where the year has results for
# them, after every measure with supported schools' results.
REPORT_MEASURES = ("KS2_HEADLINE", "KS1APS", "P8MEA", "ATT8SCR")


def may_see_programme(user, local_authority: LocalAuthority) -> bool:
    """Programme-level figures of an LA: its advisers, and governors of its schools."""
    if has_role(user, User.Role.ADVISER):
        return user.advises(local_authority.pk)
    if has_role(user, User.Role.GOVERNOR):
        return confirmed_school_id(user) is not None and user.school.local_authority_id == local_authority.pk
    return False


def report_context(local_authority: LocalAuthority, year: int) -> dict:
    from . import survey_results

    # Lead with what changed: every measure where the year's supported schools
    # have results to compare (most schools first), then the usual measures.
    sections: list[dict[str, Any]] = []
    for key, supported in analysis.leading_measures(local_authority, year):
        if not supported and key not in REPORT_MEASURES:
            continue
        table = analysis.performance_table(local_authority=local_authority, measure=key, year_from=year - 1,
                                           year_to=year)
        if table.comparable:
            sections.append({"table": table, "chart": charts.change_chart(table), "supported": supported})
    themes = survey_results.programme_survey_results(local_authority=local_authority, year=year)
    return {
        "la": local_authority,
        "year": year,
        "summary": programme_summary(local_authority, year),
        "sections": sections,
        "matched": comparison.programme_comparison(local_authority, year,
                                                   [section["table"].measure.key for section in sections]),
        "survey_results": themes,
        "surveys_ran": survey_results.any_surveyed(themes),
        "survey_chart": charts.survey_chart(themes),
        "comments": survey_results.published_comments(local_authority=local_authority, year=year),
        "min_group": survey_results.MIN_GROUP_SIZE,
    }


def impact_report_html(local_authority: LocalAuthority, year: int) -> str:
    return render_to_string("pdf/impact_report.html",
                            {"site_name": settings.SITE_NAME, **report_context(local_authority, year)})


def render_impact_report(local_authority: LocalAuthority, year: int) -> bytes:
    return render_pdf("pdf/impact_report.html", report_context(local_authority, year))


def title_for(local_authority: LocalAuthority, year: int) -> str:
    return f"LLE programme impact report, {local_authority.name}, {year - 1}/{str(year)[-2:]}"


def subject_for(local_authority: LocalAuthority, year: int) -> str:
    return f"la:{local_authority.code}:{year}"


def request_impact_report(*, local_authority: LocalAuthority, year: int, user) -> Report:
    return reports.report_request(
        kind=KIND, subject=subject_for(local_authority, year), params={"la": local_authority.pk, "year": year},
        title=title_for(local_authority, year), user=user,
    )


def _build(report: Report) -> bytes:
    la = LocalAuthority.objects.get(pk=report.params["la"])
    return render_impact_report(la, int(report.params["year"]))


def _can_view(user, report: Report) -> bool:
    la = LocalAuthority.objects.filter(pk=report.params.get("la")).first()
    return la is not None and may_see_programme(user, la)


def register() -> None:
    reports.register(reports.ReportKind(name=KIND, label="Annual impact report", build=_build, can_view=_can_view))
