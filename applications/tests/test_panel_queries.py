"""Query budgets: the panel list and the admin's application list run the same
number of queries for 10 applications as for 500 (eligibility included)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationRound, Assessment, Verification
from applications.rubric import RUBRIC
from applications.tests.factories import ApplicationRoundFactory
from lle_portal.models import Inspection, School, SchoolResult, User
from lle_portal.tests.factories import AssessorFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
_serial = itertools.count(1)

# The budgets: a fixed number whatever the size of the round.
# The panel's +2: the chairs' links and the sponsors, for the governing body's approval (issue 11);
# +1 for the England averages the performance criterion compares with (issue 12).
PANEL_BUDGET = 15
ADMIN_LIST_BUDGET = 14  # +1: the England averages of the performance criterion


def bulk_applications(round: ApplicationRound, n: int, *, assessed: bool = False) -> list[Application]:
    """n submitted (or assessed) applications with schools, official data and
    some verifications, made in bulk: the scale of a national round, quickly.
    (Test data at scale, so rows are written directly, not through services.)"""
    la = round.local_authorities.first()
    ids = [next(_serial) for _ in range(n)]
    schools = School.objects.bulk_create([
        School(urn=700000 + i, name=f"Bulk School {i}", local_authority=la,
               phase=School.Phase.SECONDARY if i % 3 == 0 else School.Phase.PRIMARY)
        for i in ids
    ])
    heads = User.objects.bulk_create([
        User(email=f"bulk-head-{i}@example.org", full_name=f"Head {i}", role=User.Role.HEADTEACHER, school=s)
        for i, s in zip(ids, schools, strict=True)
    ])
    Inspection.objects.bulk_create([
        Inspection(school=s, inspection_date=date(2019, 3, 1), overall_effectiveness=2, leadership_and_management=2)
        for s in schools
    ])
    SchoolResult.objects.bulk_create([
        SchoolResult(school=s, key_stage="KS2", measure="PTRWM_EXP", year=year, value=70)
        for s in schools if s.phase == School.Phase.PRIMARY for year in (2017, 2018, 2019)
    ])
    now = timezone.now()
    applications = Application.objects.bulk_create([
        Application(
            round=round, applicant=head, school=head.school,
            status=Status.ASSESSED if assessed else Status.SUBMITTED,
            submitted_at=now - timedelta(minutes=i), reference_number=f"LLE-T-{i:06d}",
            appointed_head_on=date(2015, 9, 1), declared_leadership=2, declared_inspection_date=date(2019, 3, 1),
            declared_above_floor="yes", slt_can_cover=True, slt_details="Deputy leads.",
            phase_offered="secondary" if i % 3 == 0 else "primary", specialisms=["leadership"],
            governors_approved=True, slt_approved=True, working_towards_eligibility=i % 7 == 0,
        )
        for i, head in zip(ids, heads, strict=True)
    ])
    Verification.objects.bulk_create([
        Verification(application=a, criterion="headship", outcome="confirmed") for a in applications[::2]
    ])
    if assessed:
        assessor = AssessorFactory.create()
        Assessment.objects.bulk_create([
            Assessment(application=a, assessor=assessor, scores={k: 1 + (a.pk + j) % 4 for j, k in enumerate(RUBRIC)},
                       comments="Bulk.", submitted_at=now)
            for a in applications
        ])
    return applications


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_panel_runs_a_fixed_number_of_queries_for_10_or_500_applications(
    client, users, django_assert_max_num_queries
):
    round = ApplicationRoundFactory(places=300, priority_phases=["secondary"])
    bulk_applications(round, 10, assessed=True)
    client.force_login(users["adviser"])
    url = reverse("applications:staff_panel", args=[round.pk])

    small = queries_for(client, url)
    bulk_applications(round, 490, assessed=True)
    with django_assert_max_num_queries(PANEL_BUDGET):
        response = client.get(url)
    large = queries_for(client, url)

    assert small == large <= PANEL_BUDGET, (small, large)
    assert "Working towards eligibility" in response.content.decode()
    print(f"panel: {small} queries for 10 applications, {large} for 500")


def test_the_admin_list_runs_a_fixed_number_of_queries_for_10_or_500_applications(
    client, users, django_assert_max_num_queries
):
    round = ApplicationRoundFactory()
    bulk_applications(round, 10)
    client.force_login(users["adviser"])
    url = reverse("admin:applications_application_changelist")

    small = queries_for(client, url)
    bulk_applications(round, 490)
    with django_assert_max_num_queries(ADMIN_LIST_BUDGET):
        response = client.get(url)
    large = queries_for(client, url)

    assert small == large <= ADMIN_LIST_BUDGET, (small, large)
    # The eligibility summary is in the list (computed once for the page).
    assert "to be verified" in response.content.decode()
    print(f"admin list: {small} queries for 10 applications, {large} for 500")


def test_the_admin_rounds_list_runs_a_fixed_number_of_queries(client, users, django_assert_max_num_queries):
    client.force_login(users["adviser"])
    url = reverse("admin:applications_applicationround_changelist")
    for _ in range(3):
        bulk_applications(ApplicationRoundFactory(), 5)
    small = queries_for(client, url)
    for _ in range(20):
        bulk_applications(ApplicationRoundFactory(), 5)
    assert queries_for(client, url) == small
