"""Fixtures of the impact tests."""

from datetime import date

import pytest
from django.core.cache import cache
from django.utils import timezone

from deployments.models import Objective
from deployments.tests.factories import DeploymentFactory, LLEProfileFactory, ObjectiveFactory, VisitRecordFactory
from lle_portal.models import KeyStage
from lle_portal.tests.factories import SchoolFactory, SchoolResultFactory


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


