"""Eligibility (applications) and support-need priorities (deployments) read
the floor standard through one rule (lle_portal.schooldata): for every
generated school they agree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications.eligibility import MET, NOT_MET, eligibility_for
from applications.models import FloorStandard
from applications.tests.factories import ApplicationFactory
from deployments.priorities import suggest_reasons
from lle_portal.models import School, SchoolResult
from lle_portal.schooldata import BELOW, floor_by_year, results_for_schools
from lle_portal.tests.fuzz import fuzz, rolled_back

pytestmark = pytest.mark.django_db

YEARS = (2016, 2017, 2018, 2019, 2023, 2024, 2025)
MEASURES = {"KS2": ("PTRWM_EXP", "READPROG", "WRITPROG", "MATPROG"), "KS4": ("P8MEA", "ATT8SCR")}

values = st.one_of(st.none(), st.decimals(min_value=-10, max_value=100, places=1))
year_results = st.fixed_dictionaries({}, optional={m: values for ms in MEASURES.values() for m in ms})
standards = st.fixed_dictionaries({
    "attainment": st.booleans(),
    "progress": st.booleans(),
    "fail_needs_verification": st.booleans(),
})


@fuzz
@given(
    phase=st.sampled_from([School.Phase.PRIMARY, School.Phase.SECONDARY, School.Phase.ALL_THROUGH,
                           School.Phase.MIDDLE_PRIMARY, School.Phase.NURSERY]),
    results=st.dictionaries(st.sampled_from(YEARS), year_results, max_size=4),
    standard=standards,
)
def test_it_gives_eligibility_and_priorities_the_same_floor_answer(phase, results, standard):
    with rolled_back():
        application = ApplicationFactory(complete=True, declared_above_floor="")
        school = application.school
        School.objects.filter(pk=school.pk).update(phase=phase)
        school.refresh_from_db()
        # An adviser-entered rule of any shape for 2019 (the others as published).
        FloorStandard.objects.filter(key_stage="KS2", year=2019).update(
            attainment_measure="PTRWM_EXP" if standard["attainment"] else "",
            attainment_min=Decimal(65) if standard["attainment"] else None,
            progress_minimums={"READPROG": -5, "MATPROG": -5} if standard["progress"] else {},
            fail_needs_verification=standard["fail_needs_verification"],
        )
        SchoolResult.objects.bulk_create(
            SchoolResult(school=school, key_stage=ks, measure=m, year=year, value=v,
                         marker="" if v is not None else "SUPP")
            for year, measures in results.items() for ks, ms in MEASURES.items() for m in ms
            if m in measures for v in [measures[m]]
        )
        application.school = school
        floor = eligibility_for(application)["floor_standard"]
        suggested = "below_floor" in [s.reason for s in suggest_reasons(school)]

        official = results_for_schools([school.pk])[school.pk]
        standards_by_year = {(f.key_stage, f.year): f for f in FloorStandard.objects.all()}
        by_year = floor_by_year(school, official, standards_by_year)
        latest_below = bool(by_year) and by_year[max(by_year)][1].state == BELOW

        # Priorities suggest "below the floor" exactly when the latest year is below.
        assert suggested == latest_below
        # Eligibility never calls a school above the floor that priorities flag as below it…
        assert not (suggested and floor.status == MET)
        # …and when the latest year is plainly below, both say so.
        if latest_below and not by_year[max(by_year)][1].needs_check:
            assert floor.status == NOT_MET and suggested


grades = st.one_of(st.none(), st.integers(1, 4))
areas = st.one_of(st.none(), st.integers(1, 5))


@fuzz
@given(
    kind=st.sampled_from(["graded", "no_overall_grade", "report_card"]),
    overall=grades, leadership=grades, governance=areas,
    safeguarding=st.sampled_from(["", "met", "not_met"]),
    ungraded_after=st.sampled_from(["", "School remains Good", "Some aspects may not be as strong"]),
)
def test_it_calls_a_school_vulnerable_whenever_eligibility_finds_its_leadership_not_good(
    kind, overall, leadership, governance, safeguarding, ungraded_after
):
    from datetime import date

    from lle_portal.models import Inspection

    with rolled_back():
        application = ApplicationFactory(complete=True, declared_leadership=None, declared_inspection_date=None)
        school = application.school
        school.inspections.all().delete()
        card = kind == "report_card"
        Inspection.objects.create(
            school=school, inspection_date=date(2026, 1, 5) if card else date(2023, 5, 5), framework=kind,
            inspection_type="report_card" if card else "graded", safeguarding=safeguarding,
            overall_effectiveness=overall if kind == "graded" else None,
            leadership_and_management=None if card else leadership,
            evaluation_areas={"leadership_and_governance": governance} if card and governance else {},
        )
        if ungraded_after:
            Inspection.objects.create(school=school, inspection_date=date(2026, 6, 1), framework="report_card",
                                      inspection_type="ungraded", ungraded_outcome=ungraded_after)
        criterion = eligibility_for(application)["inspection"]
        vulnerable = "vulnerable" in [s.reason for s in suggest_reasons(school)]
        if criterion.status == NOT_MET:
            assert vulnerable, criterion.reason
        if vulnerable and criterion.status == MET:
            # Vulnerable for another reason than leadership (an overall grade or another judgement).
            assert "leadership" not in [s.evidence for s in suggest_reasons(school)][0].split(":", 1)[1]
