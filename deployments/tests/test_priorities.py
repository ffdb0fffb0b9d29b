"""The priority reasons the official data suggests for a support need."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import FloorStandard
from deployments.priorities import new_head_suggestion, suggest_reasons
from lle_portal.models import Inspection, School
from lle_portal.schooldata import UNKNOWN, floor_outcome
from lle_portal.tests.factories import InspectionFactory, SchoolFactory, SchoolResultFactory

pytestmark = pytest.mark.django_db


def reasons(school, **kwargs) -> list[str]:
    return [s.reason for s in suggest_reasons(school, **kwargs)]


def results(school, year=2019, **values):
    for measure, value in values.items():
        SchoolResultFactory(school=school, key_stage="KS2", measure=measure, year=year, value=value)


def test_a_primary_school_below_the_ks2_floor_is_suggested():
    school = SchoolFactory()
    results(school, PTRWM_EXP=52, READPROG=Decimal("-6.1"), WRITPROG=Decimal("-2"), MATPROG=Decimal("-1"))
    [suggestion] = suggest_reasons(school)
    assert suggestion.reason == "below_floor"
    assert "KS2 2019" in suggestion.evidence and "PTRWM_EXP 52" in suggestion.evidence


def test_a_school_above_the_floor_by_progress_is_not():
    school = SchoolFactory()
    results(school, PTRWM_EXP=52, READPROG=Decimal("-1"), WRITPROG=Decimal("-2"), MATPROG=Decimal("0.5"))
    assert reasons(school) == []


def test_the_latest_year_decides_and_a_year_with_no_standard_is_not_guessed():
    school = SchoolFactory()
    results(school, year=2018, PTRWM_EXP=40, READPROG=-9, WRITPROG=-9, MATPROG=-9)
    results(school, year=2019, PTRWM_EXP=80)
    assert reasons(school) == []
    FloorStandard.objects.filter(key_stage="KS2", year=2019).delete()
    results(school := SchoolFactory(), year=2019, PTRWM_EXP=40, READPROG=-9, WRITPROG=-9, MATPROG=-9)
    assert reasons(school) == []


def test_suppressed_results_say_nothing():
    standard = FloorStandard.objects.get(key_stage="KS2", year=2019)
    assert floor_outcome(standard, {"PTRWM_EXP": None, "READPROG": None}).state == UNKNOWN


@pytest.mark.parametrize(
    ("overall", "concern", "expected"),
    [
        (Inspection.Grade.REQUIRES_IMPROVEMENT, "", ["vulnerable"]),
        (Inspection.Grade.INADEQUATE, "", ["vulnerable"]),
        (Inspection.Grade.GOOD, "serious_weaknesses", ["vulnerable"]),
        (Inspection.Grade.GOOD, "", []),
    ],
)
def test_a_vulnerable_school_is_suggested_from_its_latest_inspection(overall, concern, expected):
    school = SchoolFactory()
    InspectionFactory(school=school, inspection_date=date(2015, 1, 1), overall_effectiveness=4)
    InspectionFactory(school=school, inspection_date=date(2019, 5, 3), overall_effectiveness=overall,
                      category_of_concern=concern)
    assert reasons(school) == expected


def test_a_first_time_head_in_the_first_two_years_needs_a_professional_partner():
    today = timezone.localdate()
    assert new_head_suggestion(today - timedelta(days=300)).reason == "new_head"
    assert new_head_suggestion(today - timedelta(days=800)) is None
    assert new_head_suggestion(None) is None
    assert reasons(SchoolFactory(), head_appointed_on=today - timedelta(days=30)) == ["new_head"]


def test_a_secondary_school_is_judged_on_progress_8():
    school = SchoolFactory(phase=School.Phase.SECONDARY)
    SchoolResultFactory(school=school, key_stage="KS4", measure="P8MEA", year=2019, value=Decimal("-0.71"))
    [suggestion] = suggest_reasons(school)
    assert suggestion.reason == "below_floor" and "check it" in suggestion.evidence
