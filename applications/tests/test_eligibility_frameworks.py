"""Eligibility on today's official data (issue 12): good leadership under each
Ofsted framework, the floor standard only in years that had one, and the
performance criterion (high performance or continued improvement)."""

from datetime import date

import pytest

from applications.eligibility import MET, NOT_MET, TO_VERIFY, eligibility_for
from applications.tests.factories import ApplicationFactory
from lle_portal.models import AreaResult, Inspection, School
from lle_portal.tests.factories import InspectionFactory, SchoolResultFactory

pytestmark = pytest.mark.django_db

F, T = Inspection.Framework, Inspection.Type


@pytest.fixture
def application():
    app = ApplicationFactory(complete=True, declared_leadership=None, declared_inspection_date=None)
    app.school.inspections.all().delete()
    return app


def inspect(app, day, **fields):
    return InspectionFactory(school=app.school, inspection_date=day, **fields)


def report_card(app, day, leadership, safeguarding="met", **areas):
    return inspect(app, day, overall_effectiveness=None, leadership_and_management=None, framework=F.REPORT_CARD,
                   inspection_type=T.REPORT_CARD, safeguarding=safeguarding,
                   evaluation_areas={"inclusion": 3, "achievement": 3, "leadership_and_governance": leadership,
                                     **areas})


def headline(app, key_stage="KS2", measure="PTRWM_EXP", england=None, **by_year):
    for year_text, value in by_year.items():
        year = int(year_text[1:])
        SchoolResultFactory(school=app.school, key_stage=key_stage, measure=measure, year=year, value=value,
                            marker="" if value is not None else "SUPP")
        if england is not None:
            AreaResult.objects.update_or_create(area_code=AreaResult.ENGLAND, key_stage=key_stage, measure=measure,
                                                year=year, defaults={"value": england})


# --- good leadership, per framework --------------------------------------------------


def test_it_meets_good_leadership_in_a_graded_inspection(application):
    inspect(application, date(2023, 5, 10), leadership_and_management=2)
    criterion = eligibility_for(application)["inspection"]
    assert (criterion.status, criterion.reason) == (MET, "Leadership and management was good at the latest inspection.")
    assert criterion.official == "Inspected 10 May 2023: leadership and management good"


def test_it_does_not_meet_requires_improvement_in_a_graded_inspection(application):
    inspect(application, date(2023, 5, 10), overall_effectiveness=3, leadership_and_management=3)
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == NOT_MET
    assert criterion.reason.startswith(
        "Leadership and management was requires improvement; it must be good or outstanding"
    )


def test_it_reads_leadership_in_an_inspection_without_an_overall_grade(application):
    inspect(application, date(2025, 1, 15), overall_effectiveness=None, leadership_and_management=2,
            framework=F.NO_OVERALL_GRADE)
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == MET
    assert "leadership and management good" in criterion.official


def test_it_meets_a_report_card_with_leadership_at_the_expected_standard(application):
    report_card(application, date(2026, 1, 20), leadership=3)
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == MET
    assert criterion.reason == ("Leadership and governance was expected standard (the round asks for expected "
                                "standard or better) at the latest inspection.")
    assert criterion.official == "Report card 20 January 2026: leadership and governance expected standard"


def test_it_does_not_meet_a_report_card_whose_leadership_needs_attention(application):
    report_card(application, date(2026, 1, 20), leadership=4)
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == NOT_MET
    assert "needs attention; the round asks for expected standard or better" in criterion.reason


def test_it_does_not_meet_a_report_card_where_safeguarding_is_not_met(application):
    report_card(application, date(2026, 1, 20), leadership=2, safeguarding="not_met")
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == NOT_MET
    assert "safeguarding was not met" in criterion.reason.lower()


def test_it_carries_the_graded_judgement_through_a_later_ungraded_inspection(application):
    inspect(application, date(2021, 6, 1), leadership_and_management=2)
    inspect(application, date(2025, 2, 11), overall_effectiveness=None, leadership_and_management=None,
            inspection_type=T.UNGRADED, framework=F.NO_OVERALL_GRADE, ungraded_outcome="School remains Good")
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == MET
    assert "carried by the ungraded inspection of 11 February 2025" in criterion.reason
    assert "ungraded inspection 11 February 2025: School remains Good" in criterion.official


def test_it_asks_the_adviser_when_an_ungraded_inspection_questions_the_grade(application):
    inspect(application, date(2021, 6, 1), leadership_and_management=2)
    inspect(application, date(2025, 2, 11), overall_effectiveness=None, leadership_and_management=None,
            inspection_type=T.UNGRADED, ungraded_outcome="Some aspects may not be as strong")
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == TO_VERIFY
    assert "questioned the previous grade" in criterion.reason


def test_the_round_sets_what_counts_as_good_leadership(application):
    report_card(application, date(2026, 1, 20), leadership=3)
    application.round.eligibility_rules = {"report_card_leadership_at_least": 2}
    criterion = eligibility_for(application)["inspection"]
    assert criterion.status == NOT_MET
    assert "the round asks for strong standard or better" in criterion.reason


# --- the floor standard and the performance criterion ------------------------------


def test_it_meets_the_floor_criterion_when_no_year_had_a_floor_standard(application):
    headline(application, england=60, y2023=72, y2024=74, y2025=75)
    criterion = eligibility_for(application)["floor_standard"]
    assert criterion.status == MET
    assert "No floor standard has applied since 2019" in criterion.reason


def test_it_meets_performance_for_high_results(application):
    headline(application, england=61, y2023=70, y2024=66, y2025=64)  # high but falling
    criterion = eligibility_for(application)["performance"]
    assert criterion.status == MET
    # The reason names its measure, not "2025: 64%" alone.
    assert criterion.reason == ("2025: 64% reaching the expected standard in reading, writing and maths, "
                                "at or above the England average of 61%.")
    assert criterion.official == ("% reaching the expected standard in reading, writing and maths: "
                                  "2023 70%, 2024 66%, 2025 64%; England 2025 61%")


def test_it_meets_performance_for_results_rising_every_year_even_when_low(application):
    headline(application, england=61, y2023=40, y2024=45, y2025=52)
    criterion = eligibility_for(application)["performance"]
    assert criterion.status == MET
    assert criterion.reason == "Results rose in each of the last 3 published years (2023, 2024 and 2025)."


def test_it_does_not_meet_performance_for_low_and_falling_results(application):
    headline(application, england=61, y2023=58, y2024=55, y2025=50)
    criterion = eligibility_for(application)["performance"]
    assert criterion.status == NOT_MET
    assert criterion.reason.startswith(
        "2025: 50% reaching the expected standard in reading, writing and maths, below the England average of 61%, "
        "and results did not rise in each of 2023, 2024 and 2025."
    )


def test_suppressed_years_leave_performance_to_be_verified(application):
    headline(application, england=61, y2023=40, y2024=None, y2025=None)
    criterion = eligibility_for(application)["performance"]
    assert criterion.status == TO_VERIFY
    assert "2024 not published (SUPP)" in criterion.official


def test_it_judges_a_secondary_school_on_attainment_8(application):
    School.objects.filter(pk=application.school_id).update(phase=School.Phase.SECONDARY)
    application.school.refresh_from_db()
    headline(application, "KS4", "ATT8SCR", england=46, y2023=44, y2024=45.5, y2025=47.1)
    criterion = eligibility_for(application)["performance"]
    assert criterion.status == MET and "England average of 46" in criterion.reason
    assert criterion.reason.startswith("2025: Attainment 8 score 47.1, at or above")


def test_a_school_with_good_recent_results_and_an_expected_report_card_meets_every_data_criterion(application):
    report_card(application, date(2026, 1, 20), leadership=3)
    headline(application, england=61, y2023=66, y2024=68, y2025=71)
    eligibility = eligibility_for(application)
    for key in ("inspection", "performance", "floor_standard"):
        assert eligibility[key].status == MET, (key, eligibility[key].reason)
        assert eligibility[key].official
