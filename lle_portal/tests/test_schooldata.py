"""The one home of the school-data rules (lle_portal.schooldata)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from lle_portal.academic_years import academic_year_dates, academic_year_label, academic_year_of
from lle_portal.models import Grade, Inspection, School
from lle_portal.schooldata import (
    ABOVE,
    BELOW,
    UNKNOWN,
    PhaseGroup,
    floor_by_year,
    floor_outcome,
    inspection_records,
    key_stages,
    phase_group,
    phases_with_key_stage,
    results_for_schools,
)
from lle_portal.tests.factories import InspectionFactory, SchoolFactory, SchoolResultFactory


@dataclass
class Standard:
    key_stage: str = "KS2"
    year: int = 2019
    attainment_measure: str = "PTRWM_EXP"
    attainment_min: Decimal | None = Decimal(65)
    progress_minimums: dict = field(default_factory=dict)
    fail_needs_verification: bool = False
    description: str = "test"


def test_it_names_an_academic_year_by_the_year_it_ends_in():
    assert academic_year_of(date(2025, 8, 31)) == 2025
    assert academic_year_of(date(2025, 9, 1)) == 2026
    assert academic_year_dates(2026) == (date(2025, 9, 1), date(2026, 8, 31))
    assert academic_year_label(2026) == "2025/26"


def test_it_judges_an_all_through_school_on_both_key_stages():
    assert key_stages(School(phase=School.Phase.ALL_THROUGH)) == ("KS2", "KS4")
    assert key_stages(School(phase=School.Phase.MIDDLE_PRIMARY)) == ("KS2",)
    assert key_stages(School(phase=School.Phase.NURSERY)) == ()
    assert phase_group(School(phase=School.Phase.ALL_THROUGH)) == PhaseGroup.ALL_THROUGH
    assert phase_group(School(phase=School.Phase.PRIMARY, is_special=True)) == PhaseGroup.SPECIAL
    assert School.Phase.ALL_THROUGH in phases_with_key_stage("KS2")
    assert School.Phase.ALL_THROUGH in phases_with_key_stage("KS4")


def test_it_has_one_grade_vocabulary():
    from applications.models import Grade as ApplicationGrade

    assert Inspection.Grade is Grade and ApplicationGrade is Grade


def test_it_finds_an_attainment_only_standard_failed_as_below():
    # The two old copies disagreed here: eligibility said "some results are
    # not published", priorities said "below the floor".
    outcome = floor_outcome(Standard(), {"PTRWM_EXP": Decimal(50)})
    assert outcome.state == BELOW and not outcome.needs_check
    assert "PTRWM_EXP 50" in outcome.why


def test_it_needs_every_part_of_the_or_rule_before_saying_below():
    standard = Standard(progress_minimums={"READPROG": -5, "MATPROG": -5})
    assert floor_outcome(standard, {"PTRWM_EXP": Decimal(70)}).state == ABOVE
    assert floor_outcome(standard, {"PTRWM_EXP": Decimal(50), "READPROG": Decimal(1), "MATPROG": 0}).state == ABOVE
    assert floor_outcome(standard, {"PTRWM_EXP": Decimal(50), "READPROG": Decimal(-6)}).state == UNKNOWN
    # Attainment suppressed: the school may be above by it, so the data cannot say.
    assert floor_outcome(standard, {"PTRWM_EXP": None, "READPROG": Decimal(-6), "MATPROG": -6}).state == UNKNOWN
    below = floor_outcome(standard, {"PTRWM_EXP": Decimal(50), "READPROG": Decimal(-6), "MATPROG": Decimal(1)})
    assert below.state == BELOW and "READPROG -6" in below.why
    assert floor_outcome(None, {"PTRWM_EXP": Decimal(10)}).state == UNKNOWN


@pytest.mark.django_db
def test_it_loads_latest_inspections_and_results_in_one_query_each(django_assert_num_queries):
    schools = [SchoolFactory() for _ in range(3)]
    for school in schools:
        InspectionFactory(school=school, inspection_date=date(2015, 1, 1), overall_effectiveness=3)
        InspectionFactory(school=school, inspection_date=date(2024, 1, 1), overall_effectiveness=1)
        SchoolResultFactory(school=school, year=2019, value=70)
        SchoolResultFactory(school=school, year=2024, value=None, marker="SUPP")
    with django_assert_num_queries(2):
        records = inspection_records([s.pk for s in schools] + [999999])
        results = results_for_schools(s.pk for s in schools)
    assert {r.latest.inspection_date for r in records.values() if r.latest} == {date(2024, 1, 1)}
    assert records[999999].latest is None
    school_results = results[schools[0].pk]
    assert school_results.last_years(2) == [2019, 2024]
    assert school_results.marker("KS2", 2024, "PTRWM_EXP") == "SUPP"


def test_it_finds_an_all_through_year_below_when_either_key_stage_is():
    from lle_portal.schooldata import SchoolResults

    school = School(phase=School.Phase.ALL_THROUGH)
    results = SchoolResults({"KS2": {2019: {"PTRWM_EXP": Decimal(80)}}, "KS4": {2019: {"P8MEA": Decimal("-1")}}})
    standards = {("KS2", 2019): Standard(),
                 ("KS4", 2019): Standard("KS4", 2019, "", None, {"P8MEA": -0.5})}
    key_stage, outcome = floor_by_year(school, results, standards)[2019]
    assert key_stage == "KS2 and KS4" and outcome.state == BELOW
