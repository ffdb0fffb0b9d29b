"""Fixtures of the impact tests."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from deployments.models import Objective
from deployments.tests.factories import DeploymentFactory, LLEProfileFactory, ObjectiveFactory, VisitRecordFactory
from lle_portal.models import KeyStage, School
from lle_portal.tests.factories import SchoolFactory, SchoolResultFactory

from .support import deploy, lle, school_results


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The performance tables are cached: each test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def governed(users, la):
    """The governor's school is supported by an LLE, with objectives, visits and results."""
    school = users["governor"].school
    school.name = "Cromer Junior School"
    school.save()
    now = timezone.now()
    lle = LLEProfileFactory(designated_on=date(2017, 1, 1))
    deployment = DeploymentFactory(
        lle=lle, client_school=school, need=None, client_head=None, client_head_name="", status="active",
        start_date=date(2018, 9, 3), end_date=date(2019, 7, 19), lle_accepted_at=now, client_accepted_at=now,
        agreed_at=now, started_at=now,
    )
    ObjectiveFactory(deployment=deployment, title="Raise attainment in reading", progress=Objective.Progress.ACHIEVED)
    ObjectiveFactory(deployment=deployment, title="Build middle leadership", progress=Objective.Progress.SOME)
    for day in (date(2018, 10, 1), date(2018, 11, 5), date(2019, 1, 14)):
        VisitRecordFactory(deployment=deployment, visit_date=day, confirmed=True)
    VisitRecordFactory(deployment=deployment, visit_date=date(2019, 2, 4))  # not yet confirmed
    for year, value in ((2017, 52), (2018, 55), (2019, 71)):
        SchoolResultFactory(school=school, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=year, value=value)
    other = SchoolFactory(local_authority=la, name="Sheringham Primary")
    for year, value in ((2017, 60), (2018, 62), (2019, 63)):
        SchoolResultFactory(school=other, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=year, value=value)
    for year, value in ((2018, 56), (2019, 61)):
        SchoolResultFactory(school=lle.school, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=year, value=value)
    return deployment


@pytest.fixture
def primary_programme(users, la):
    """2018/19: three supported primary schools with KS2 maths and reading progress
    results but no KS2 headline; the LA's other schools have the headline and KS4.
    Results run 2017 to 2019; the programme also ran in 2021/22 (no results)."""
    lle_profile = lle(la, date(2017, 1, 1))
    for i, (maths, reading) in enumerate(((-2, 1), (-1, 0), (0, 2))):
        school = SchoolFactory(local_authority=la, name=f"Supported {i}")
        deploy(lle_profile, school)
        school_results(school, {2018: maths, 2019: maths + Decimal("0.6")}, measure="MATPROG")
        school_results(school, {2018: reading, 2019: reading + Decimal("0.3")}, measure="READPROG")
    other = SchoolFactory(local_authority=la, name="Headline school")
    school_results(other, {2017: 60, 2018: 62, 2019: 65})
    school_results(other, {2018: 1, 2019: 1}, measure="MATPROG")
    secondary = SchoolFactory(local_authority=la, name="Secondary", phase=School.Phase.SECONDARY)
    school_results(secondary, {2018: Decimal("-0.1"), 2019: Decimal("0.2")}, measure="P8MEA", key_stage=KeyStage.KS4)
    deploy(lle_profile, SchoolFactory(local_authority=la), start=date(2021, 9, 6), end=date(2022, 7, 15))
    return la
