from datetime import date, timedelta

import pytest
from django.utils import timezone

from applications.eligibility import (
    MET,
    NOT_MET,
    TO_VERIFY,
    eligibility_for,
    eligibility_for_many,
    with_eligibility_data,
)
from applications.models import Application, FloorStandard, Verification
from applications.tests.factories import ApplicationFactory, chair_answered
from lle_portal.models import AreaResult, School
from lle_portal.tests.factories import InspectionFactory, SchoolResultFactory

pytestmark = pytest.mark.django_db


def results(school, year, **values):
    for measure, value in values.items():
        SchoolResultFactory(school=school, key_stage="KS2", measure=measure, year=year, value=value,
                            marker="" if value is not None else "SUPP")


def england_average(year, key_stage="KS2", **values):
    for measure, value in values.items():
        AreaResult.objects.update_or_create(area_code=AreaResult.ENGLAND, key_stage=key_stage, measure=measure,
                                            year=year, defaults={"value": value})


@pytest.fixture
def application():
    app = ApplicationFactory(complete=True)
    InspectionFactory(school=app.school, inspection_date=date(2019, 3, 12), leadership_and_management=2)
    for year in (2017, 2018, 2019):
        results(app.school, year, PTRWM_EXP=70, READPROG=1, WRITPROG=1, MATPROG=1)
    for year, england in ((2017, 61), (2018, 64), (2019, 65)):
        england_average(year, PTRWM_EXP=england)
    app.declared_inspection_date = date(2019, 3, 12)
    app.save()
    return app


# --- headship --------------------------------------------------------------


def test_three_years_as_head_is_to_be_verified_because_gias_has_no_appointment_date(application):
    criterion = eligibility_for(application)["headship"]
    assert criterion.status == TO_VERIFY
    assert "adviser will verify" in criterion.reason


def test_a_head_of_less_than_three_years_does_not_meet_it_but_may_still_apply(application):
    application.appointed_head_on = timezone.localdate() - timedelta(days=365)
    application.previous_headship_years = 1
    criterion = eligibility_for(application)["headship"]
    assert criterion.status == NOT_MET
    assert "2 years" in criterion.reason
    assert "working towards eligibility" in criterion.reason


def test_previous_headships_count_towards_the_three_years(application):
    application.appointed_head_on = timezone.localdate() - timedelta(days=366)
    application.previous_headship_years = 2
    assert eligibility_for(application)["headship"].status == TO_VERIFY


def test_the_advisers_verification_settles_headship(application):
    Verification.objects.create(application=application, criterion="headship", outcome="confirmed")
    assert eligibility_for(application)["headship"].status == MET


# --- inspection ------------------------------------------------------------


def test_good_leadership_at_the_latest_inspection_is_met(application):
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == MET
    assert "good" in criterion.reason


def test_the_latest_inspection_counts_not_an_older_one(application):
    InspectionFactory(school=application.school, inspection_date=date(2021, 5, 1), leadership_and_management=3)
    application.declared_inspection_date = date(2021, 5, 1)
    application.declared_leadership = 3
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == NOT_MET
    assert "requires improvement" in criterion.reason


def test_a_declared_grade_that_disagrees_with_ofsted_is_flagged_for_verification(application):
    application.declared_leadership = 1
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == TO_VERIFY
    assert criterion.disagreement
    assert "you said leadership and management was outstanding" in criterion.reason
    assert "the official record says good" in criterion.reason


def test_a_school_with_only_an_overall_grade_is_to_be_verified(application):
    application.school.inspections.update(leadership_and_management=None)
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == TO_VERIFY
    assert "overall grade only" in criterion.reason


# --- floor standard --------------------------------------------------------


def test_three_years_above_the_floor_is_met(application):
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == MET
    assert criterion.reason == "Above the floor standard in 2017, 2018 and 2019."


def test_progress_scores_can_lift_a_school_above_the_floor(application):
    application.school.results.filter(year=2018, measure="PTRWM_EXP").update(value=50)
    assert eligibility_for(application)["floor_standard"].status == MET


def test_a_year_below_the_floor_is_not_met(application):
    application.school.results.filter(year=2018, measure="PTRWM_EXP").update(value=50)
    application.school.results.filter(year=2018, measure="WRITPROG").update(value=-8)
    application.declared_above_floor = ""
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == NOT_MET
    assert "2018" in criterion.reason
    assert "WRITPROG -8" in criterion.official


def test_a_head_who_says_above_the_floor_when_the_data_says_below_is_flagged(application):
    application.school.results.filter(year=2019, measure__in=["PTRWM_EXP", "MATPROG"]).update(value=-6)
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == TO_VERIFY
    assert criterion.disagreement
    assert "disagrees with the official data" in criterion.reason


def test_suppressed_results_are_to_be_verified_never_read_as_zero(application):
    application.school.results.filter(year=2019).update(value=None, marker="SUPP")
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == TO_VERIFY
    assert "2019: the results are not published" in criterion.official


def test_a_year_with_no_floor_standard_in_the_table_is_to_be_verified(application):
    FloorStandard.objects.filter(key_stage="KS2", year=2018).delete()
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == TO_VERIFY
    assert "2018: no floor standard is recorded" in criterion.official


def test_a_year_after_floor_standards_ended_is_not_checked_against_one(application):
    results(application.school, 2023, PTRWM_EXP=40, READPROG=-9, WRITPROG=-9, MATPROG=-9)
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == MET
    assert criterion.reason == ("Above the floor standard in 2018 and 2019. "
                                "No floor standard applies to 2023 (the last was in 2019).")


def test_a_secondary_below_minus_half_progress_8_is_to_be_verified_for_its_confidence_interval(application):
    School.objects.filter(pk=application.school_id).update(phase=School.Phase.SECONDARY)
    application.school.refresh_from_db()
    for year in (2017, 2018, 2019):
        SchoolResultFactory(school=application.school, key_stage="KS4", measure="P8MEA", year=year,
                            value=-0.6 if year == 2019 else 0.1)
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == TO_VERIFY
    assert "2019: P8MEA -0.6 is below the floor" in criterion.official


def test_fewer_than_three_years_of_results_is_to_be_verified(application):
    application.school.results.filter(year=2017).delete()
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == TO_VERIFY
    assert "only 2 years of results" in criterion.reason


# --- senior team and approvals --------------------------------------------


def test_a_senior_team_that_cannot_cover_is_not_met(application):
    application.slt_can_cover = False
    assert eligibility_for(application)["senior_team"].status == NOT_MET


def test_approvals_wait_for_the_chair_and_then_the_la_after_submission(application):
    criterion = eligibility_for(application)["approvals"]
    assert criterion.status == TO_VERIFY
    assert "Chair's link: Not sent" in criterion.reason
    chair_answered(application)
    criterion = eligibility_for(application)["approvals"]
    assert criterion.status == TO_VERIFY
    assert "LA gives its approval" in criterion.reason
    application.la_approved_at = timezone.now()
    assert eligibility_for(application)["approvals"].status == MET


def test_a_governing_body_that_has_not_approved_is_not_met(application):
    chair_answered(application, approve=False)
    criterion = eligibility_for(application)["approvals"]
    assert criterion.status == NOT_MET
    assert "governing body" in criterion.reason


def test_a_fully_verified_application_is_eligible(application):
    chair_answered(application)
    application.la_approved_at = timezone.now()
    application.save()
    Verification.objects.create(application=application, criterion="headship", outcome="confirmed")
    eligibility = eligibility_for(application)
    assert eligibility.is_eligible
    assert eligibility.summary == "Eligible"


def test_an_empty_draft_explains_what_is_missing():
    eligibility = eligibility_for(ApplicationFactory(school=None))
    assert [c.status for c in eligibility.criteria] == [TO_VERIFY] * 6
    assert eligibility["inspection"].reason == "Choose your school first."


def test_many_applications_are_checked_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for size in (3, 30):
        for _ in range(size):
            app = ApplicationFactory(complete=True)
            chair_answered(app)
            InspectionFactory(school=app.school)
            results(app.school, 2019, PTRWM_EXP=70)
        apps = list(with_eligibility_data(Application.objects.all()))
        # Inspections, results, floor standards and England averages: four, whatever the number.
        with django_assert_max_num_queries(4):
            checked = eligibility_for_many(apps)
        assert len(checked) == len(apps)
