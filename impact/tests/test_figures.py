"""Figures that add up (issue 14): LLEs counted as those serving that year, England
from its published average unless the portal holds England's schools, surveys
that say what each figure is of, and a dashboard and report that lead with the
measures where the year's supported schools have results."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.admin import LLEProfileForm
from applications.models import LLEProfile
from deployments.tests.factories import LLEProfileFactory
from impact import analysis, reports, survey_results
from impact.dashboard import programme_summary, programme_years
from impact.models import Survey
from impact.tests.factories import AnswerFactory, InvitationFactory, QuestionFactory, SurveyFactory
from lle_portal.models import AreaResult, KeyStage, LocalAuthority, School, SchoolResult
from lle_portal.tests.factories import SchoolFactory, SchoolResultFactory

from .support import deploy, lle, school_results, squash

pytestmark = pytest.mark.django_db

D = Decimal
URL = reverse("impact:dashboard")


# --- LLEs counted ----------------------------------------------------------------------------


@pytest.fixture
def lles_2019(users, la):
    """Norfolk's LLEs around 2018/19 (1 September 2018 to 31 August 2019). Counted: A, D, G and H."""
    suffolk = LocalAuthority.objects.get(code="935")
    found = {
        "A": lle(la, date(2017, 1, 1)),                                       # serving all year
        "B": lle(la, date(2019, 10, 1)),                                      # designated after the year
        "C": lle(la, date(2016, 1, 1), active=False, stood_down=date(2018, 6, 30)),  # stood down before it
        "D": lle(la, date(2016, 1, 1), active=False, stood_down=date(2019, 3, 1)),   # stood down during it
        "E": lle(la, date(2016, 1, 1), active=False),                         # inactive, no date: unknown
        "F": lle(suffolk, date(2016, 1, 1)),                                  # another LA's, not in Norfolk
        "G": lle(suffolk, date(2016, 1, 1)),                                  # another LA's, supporting in Norfolk
        "H": lle(la, date(2020, 1, 1)),                                       # recorded later, yet supporting
    }
    deploy(found["G"], SchoolFactory(local_authority=la))
    deploy(found["H"], SchoolFactory(local_authority=la))
    deploy(found["F"], SchoolFactory(local_authority=suffolk))  # in Suffolk: not Norfolk's programme
    return found


def test_lles_are_those_serving_that_year_or_supporting_a_school(lles_2019, la):
    counted = set(analysis.programme_lles(la, 2019).values_list("pk", flat=True))
    assert counted == {lles_2019[k].pk for k in "ADGH"}
    assert programme_summary(la, 2019).lles == 4
    # The same rule gives the LLE schools of the performance table.
    assert analysis.lle_school_ids(la, 2019) == {lles_2019[k].school_id for k in "ADGH"}
    # 2019/20: B and H designated; D stood down the year before; G supports nobody in Norfolk then.
    assert programme_summary(la, 2020).lles == 3
    assert set(analysis.programme_lles(la, 2020)) == {lles_2019[k] for k in "ABH"}


def test_the_page_and_the_report_show_the_same_count(client, users, lles_2019, la):
    for year in (2018, 2019):
        SchoolResultFactory(school=users["governor"].school, key_stage=KeyStage.KS2, measure="PTRWM_EXP",
                            year=year, value=60 + year % 10)
    client.force_login(users["governor"])
    page = squash(client.get(URL, {"year": "2019"}).content.decode())
    assert "The programme in Norfolk, 2018/19" in page and "<strong>4</strong> LLEs" in page
    html = squash(reports.impact_report_html(la, 2019))
    assert "<th>LLEs</th><td>4 (designated and serving during the year" in html


def test_clearing_is_active_records_when_the_lle_stood_down():
    profile = LLEProfileFactory()
    data = {"phase": profile.phase, "specialisms": profile.specialisms, "days_per_week": "1.0"}
    form = LLEProfileForm({**data, "is_active": ""}, instance=profile)
    assert form.is_valid(), form.errors
    form.save()
    profile.refresh_from_db()
    assert (profile.is_active, profile.stood_down_on) == (False, timezone.localdate())
    # A date given is kept; active again clears it.
    form = LLEProfileForm({**data, "is_active": "", "stood_down_on": "2026-03-31"}, instance=profile)
    assert form.is_valid() and form.save().stood_down_on == date(2026, 3, 31)
    form = LLEProfileForm({**data, "is_active": "on", "stood_down_on": "2026-03-31"}, instance=profile)
    assert form.is_valid() and form.save().stood_down_on is None
    assert LLEProfile.objects.get(pk=profile.pk).is_active


# --- England ----------------------------------------------------------------------------------


def _england(n_las: int):
    """One school in each of `n_las` other LAs, each +2 from 2018 to 2019."""
    las = LocalAuthority.objects.bulk_create(LocalAuthority(code=f"{100 + i}", name=f"LA {i}") for i in range(n_las))
    schools = School.objects.bulk_create(
        SchoolFactory.build(local_authority=a, urn=600000 + i) for i, a in enumerate(las)
    )
    SchoolResult.objects.bulk_create(
        SchoolResult(school=s, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=year, value=value)
        for s in schools for year, value in ((2018, 50), (2019, 52))
    )


@pytest.fixture
def norfolk_results(la):
    """Two Norfolk schools (+4, +6), and England's published average 65 → 66."""
    for before, after in ((60, 64), (70, 76)):
        school_results(SchoolFactory(local_authority=la), {2018: before, 2019: after})
    for year, value in ((2018, D("65")), (2019, D("66"))):
        AreaResult.objects.create(area_code=AreaResult.ENGLAND, key_stage=KeyStage.KS2, measure="PTRWM_EXP",
                                  year=year, value=value)
    return la


def test_england_is_the_published_average_when_the_portal_holds_a_few_las(norfolk_results, client, users):
    _england(3)
    table = analysis.performance_table(local_authority=norfolk_results, measure="KS2_HEADLINE", year_from=2018,
                                       year_to=2019)
    assert not table.england_from_schools
    keys = [row.key for row in table.shown_rows]
    assert analysis.ENGLAND_SCHOOLS not in keys
    published = table.row(analysis.ENGLAND_PUBLISHED)
    assert (published.label, published.change) == ("England (published average)", D("1.0"))
    assert "England is the published average" in table.england_note
    client.force_login(users["adviser"])
    page = squash(client.get(URL, {"year": "2019"}).content.decode())
    assert "England (published average)" in page and "All schools in England" not in page
    assert "England, computed from" not in page
    # Norfolk's two schools are Norfolk, not England: (4 + 6) / 2.
    assert table.row(analysis.LA_SCHOOLS).change == D("5.0")


def test_england_is_computed_from_schools_when_the_national_files_are_held(norfolk_results, client, users):
    _england(analysis.NATIONAL_MIN_LAS - 1)  # with Norfolk: exactly the threshold
    table = analysis.performance_table(local_authority=norfolk_results, measure="KS2_HEADLINE", year_from=2018,
                                       year_to=2019)
    assert table.england_from_schools and table.england_note == ""
    england = table.row(analysis.ENGLAND_SCHOOLS)
    n = analysis.NATIONAL_MIN_LAS - 1 + 2
    # (4 + 6 + 2 × 134) / 136
    assert england.schools == n and england.change == D(str(round((10 + 2 * (n - 2)) / n, 1)))
    assert england.label == f"England, computed from {n:,} schools"
    assert [row.key for row in table.shown_rows][-2:] == [analysis.ENGLAND_SCHOOLS, analysis.ENGLAND_PUBLISHED]
    client.force_login(users["adviser"])
    page = squash(client.get(URL, {"year": "2019"}).content.decode())
    assert f"England, computed from {n:,} schools" in page and "England (published average)" in page


def test_one_la_short_of_the_threshold_is_not_england(norfolk_results):
    _england(analysis.NATIONAL_MIN_LAS - 2)
    table = analysis.performance_table(local_authority=norfolk_results, measure="KS2_HEADLINE", year_from=2018,
                                       year_to=2019)
    assert not table.england_from_schools


# --- surveys ---------------------------------------------------------------------------------


def _survey(audience, respondents: int, invited: int, agreeing: int, closes=date(2019, 6, 28)):
    survey = SurveyFactory(audience=audience, status=Survey.Status.CLOSED, opened_at=timezone.now(),
                           closed_at=timezone.now(), opens_on=date(2019, 6, 1), closes_on=closes)
    question = QuestionFactory(survey=survey, theme="satisfaction")
    for i in range(invited):
        invitation = InvitationFactory(survey=survey)
        if i < respondents:
            AnswerFactory(invitation=invitation, question=question, scale=5 if i < agreeing else 2)
    return survey


def test_no_survey_that_year_is_not_fewer_than_five(users, la, client):
    results = survey_results.programme_survey_results(local_authority=la, year=2019)
    assert not survey_results.any_surveyed(results)
    assert results[0].lle.status == "not_surveyed" and results[0].lle.agreed_text == "No survey that year"

    _survey(Survey.Audience.LLES, respondents=7, invited=24, agreeing=6)
    _survey(Survey.Audience.CLIENT_HEADS, respondents=3, invited=4, agreeing=3)
    results = survey_results.programme_survey_results(local_authority=la, year=2019)
    satisfaction = results[0]
    assert satisfaction.lle.agreed_text == "6 of 7 respondents agreed (85.7%)"
    assert satisfaction.lle.response_text == "7 of 24 invited responded"
    assert satisfaction.client.agreed_text == "Fewer than 5 responses — not shown"
    assert satisfaction.client.response_text == ""
    # A theme no survey asked about: not surveyed, for either audience.
    assert results[1].lle.agreed_text == results[1].client.agreed_text == "No survey that year"

    client.force_login(users["adviser"])
    page = squash(client.get(URL, {"year": "2019"}).content.decode())
    assert "6 of 7 respondents agreed (85.7%)" in page and "7 of 24 invited responded" in page
    assert "Fewer than 5 responses — not shown" in page and "No survey that year" in page
    html = squash(reports.impact_report_html(la, 2019))
    assert "6 of 7 respondents agreed (85.7%)" in html and "7 of 24 invited responded" in html
    # The year before had no survey at all.
    assert "No survey of LLEs or client headteachers closed in 2017/18" in squash(reports.impact_report_html(la, 2018))


def test_a_yes_no_theme_says_yes_and_a_theme_of_two_questions_counts_answers(users, la):
    survey = SurveyFactory(audience=Survey.Audience.LLES, status=Survey.Status.CLOSED, opened_at=timezone.now(),
                           closed_at=timezone.now(), opens_on=date(2019, 6, 1), closes_on=date(2019, 6, 28))
    met = QuestionFactory(survey=survey, theme="expectations", kind="yes_no")
    first, second = (QuestionFactory(survey=survey, theme="impact") for _ in range(2))
    for i in range(6):
        invitation = InvitationFactory(survey=survey)
        AnswerFactory(invitation=invitation, question=met, scale=None, yes=i < 5)
        AnswerFactory(invitation=invitation, question=first, scale=5 if i < 4 else 1)
        AnswerFactory(invitation=invitation, question=second, scale=4 if i < 5 else 2)
    results = {r.theme: r for r in survey_results.programme_survey_results(local_authority=la, year=2019)}
    assert results["expectations"].lle.agreed_text == "5 of 6 respondents said yes (83.3%)"
    # 4 + 5 of 12 answers, from 6 people.
    assert results["impact"].lle.agreed_text == "9 of 12 answers agreed (75.0%), from 6 respondents"
    assert results["impact"].lle.response_text == "6 of 6 invited responded"


# --- lead with what changed ------------------------------------------------------------------


def test_the_dashboard_opens_on_the_measure_with_the_supported_schools(client, users, primary_programme):
    client.force_login(users["adviser"])
    response = client.get(URL)
    page = squash(response.content.decode())
    # The latest year with results, and the measure where most supported schools have results.
    assert response.context["year"] == 2019 and response.context["measure"].key == "MATPROG"
    assert "Supported schools (3)" in response.context["change_chart"].svg.decode() or "+0.6" in page
    supported = response.context["table"].row(analysis.SUPPORTED)
    assert (supported.schools, supported.change) == (3, D("0.6"))
    # The other measure with supported schools is a link; KS1 (no results) is not offered at all.
    assert "Supported schools also have results to compare in" in page
    assert "KS2 reading progress score</a> (3 schools)" in page
    measures = [key for key, _ in response.context["filters"].form.fields["measure"].choices]
    assert measures[:2] == ["MATPROG", "READPROG"]
    assert set(measures) == {"MATPROG", "READPROG", "KS2_HEADLINE", "P8MEA"}
    years = [year for year, _ in response.context["filters"].form.fields["year"].choices]
    # Years with results to compare (2019 and 2018 for the headline; 2019 for the rest), and the programme's own.
    assert years == [2022, 2019]
    labels = dict(response.context["filters"].form.fields["year"].choices)
    assert labels[2019] == "2018/19 against 2017/18"
    assert labels[2022] == "2021/22 (programme only: no results to compare)"
    # No gap-filling: 2019/20 and 2020/21 had no programme.
    assert programme_years(primary_programme) == {2019, 2022}


def test_a_measure_chosen_offers_only_its_years(client, users, primary_programme):
    client.force_login(users["adviser"])
    response = client.get(URL, {"measure": "KS2_HEADLINE"})
    years = [year for year, _ in response.context["filters"].form.fields["year"].choices]
    assert years == [2022, 2019, 2018] and response.context["year"] == 2019
    # A measure without results is refused, and the page leads with the supported schools' measure.
    response = client.get(URL, {"measure": "KS1APS"})
    assert "Select a valid choice" in response.content.decode()
    assert response.context["measure"].key == "MATPROG"


def test_the_report_includes_every_measure_with_supported_schools_first(primary_programme):
    context = reports.report_context(primary_programme, 2019)
    keys = [section["table"].measure.key for section in context["sections"]]
    # Supported schools' measures first (most schools first, then the usual order); then the usual measures.
    assert keys == ["MATPROG", "READPROG", "KS2_HEADLINE", "P8MEA"]
    assert [section["supported"] for section in context["sections"]] == [3, 3, 0, 0]
    html = squash(reports.impact_report_html(primary_programme, 2019))
    assert html.index("<h3>KS2 maths progress score") < html.index("<h3>KS2 reading progress score") < html.index(
        "<h3>KS2 headline") < html.index("<h3>KS4 Progress 8")
    assert "No supported school has results to compare for this measure." in html


def test_leading_measures_runs_two_queries(primary_programme, django_assert_num_queries):
    available = analysis.comparable_years()
    with django_assert_num_queries(2):
        ranked = analysis.leading_measures(primary_programme, 2019, available)
    assert ranked == [("MATPROG", 3), ("READPROG", 3), ("KS2_HEADLINE", 0), ("P8MEA", 0)]


def test_another_las_adviser_sees_nothing_of_it(client, users, primary_programme):
    client.force_login(users["other_adviser"])
    assert client.get(URL, {"la": "926"}).status_code == 404
    page = client.get(URL).content.decode()
    assert "Supported 0" not in page and "also have results to compare" not in page
