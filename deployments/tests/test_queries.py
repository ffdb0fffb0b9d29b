"""Query budgets: list pages, the overview and the admin changelists run the
same number of queries with ten times the data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments import reimbursement
from deployments.models import NetworkMeeting, NetworkMeetingAttendance, ReminderLog

from .factories import (
    DeploymentFactory,
    LLEProfileFactory,
    ObjectiveFactory,
    SupportNeedFactory,
    VisitRecordFactory,
    norfolk,
)

pytestmark = pytest.mark.django_db


def build(n: int, users) -> dict:
    """n of everything, in the adviser's LA, for one LLE and one client head too."""
    lle = LLEProfileFactory.create(days_per_week=Decimal("1.0"))
    need = SupportNeedFactory()
    la = norfolk()
    first_day = NetworkMeeting.objects.count()
    for i in range(n):
        SupportNeedFactory(reasons=["vulnerable", "below_floor"], focus_areas=["maths", "literacy"])
        mine = DeploymentFactory(active=True, lle=lle, need=SupportNeedFactory(client_school=need.client_school,
                                                                                 client_head=need.client_head))
        other = DeploymentFactory.create(active=True, end_date=timezone.localdate() + timedelta(days=10),
                                  start_date=timezone.localdate() - timedelta(days=300))
        ObjectiveFactory(deployment=mine)
        VisitRecordFactory(deployment=mine, visit_date=timezone.localdate() - timedelta(days=40 + i),
                           status="queried", query_reason="?", qa_flagged_at=timezone.now())
        VisitRecordFactory(deployment=other, confirmed=True, visit_date=timezone.localdate() - timedelta(days=3 + i))
        ReminderLog.objects.create(deployment=other, kind="ending_soon", key=str(i))
        held_on = timezone.localdate() - timedelta(days=first_day + i)
        meeting = NetworkMeeting.objects.create(local_authority=la, held_on=held_on, title=f"Network {i}")
        NetworkMeetingAttendance.objects.create(meeting=meeting, lle=lle)
    reimbursement.statement_prepare(local_authority=la, academic_year=2026, term="summer", by=users["adviser"])
    return {"lle": lle.user, "client_head": need.client_head, "adviser": users["adviser"]}


PAGES = [
    ("adviser", "/deployments/", 6),
    ("lle", "/deployments/", 6),
    ("client_head", "/deployments/", 6),
    ("adviser", "/deployments/staff/", 15),
    ("adviser", "/deployments/staff/match-all/", 7),
    ("adviser", "/deployments/staff/statements/", 8),
    ("adviser", "/admin/deployments/supportneed/", 11),
    ("adviser", "/admin/deployments/deployment/", 11),
    ("adviser", "/admin/deployments/visitrecord/", 11),
    ("adviser", "/admin/deployments/reimbursementstatement/", 11),
    ("adviser", "/admin/deployments/networkmeeting/", 11),
]


@pytest.mark.parametrize(("role", "url", "budget"), PAGES, ids=[f"{r}:{u}" for r, u, _ in PAGES])
def test_a_page_runs_a_bounded_number_of_queries_at_ten_times_the_data(client, users, django_assert_max_num_queries,
                                                                       role, url, budget):
    people = build(2, users)
    client.force_login(people[role])
    with django_assert_max_num_queries(budget):
        small = client.get(url)
    assert small.status_code == 200
    build(18, users)
    with django_assert_max_num_queries(budget):
        large = client.get(url)
    assert large.status_code == 200


def test_a_deployment_page_runs_a_bounded_number_of_queries(client, users, django_assert_max_num_queries):
    deployment = DeploymentFactory(active=True)
    for i in range(3):
        ObjectiveFactory(deployment=deployment)
        VisitRecordFactory(deployment=deployment, visit_date=timezone.localdate() - timedelta(days=i + 1))
    client.force_login(users["adviser"])
    with django_assert_max_num_queries(16):
        client.get(deployment.get_absolute_url())
    for i in range(27):
        ObjectiveFactory(deployment=deployment)
        VisitRecordFactory(deployment=deployment, visit_date=timezone.localdate() - timedelta(days=i + 10))
    with django_assert_max_num_queries(16):
        client.get(deployment.get_absolute_url())


def test_the_matching_list_runs_a_bounded_number_of_queries(client, users, django_assert_max_num_queries):
    need = SupportNeedFactory()
    for _ in range(3):
        DeploymentFactory(lle=LLEProfileFactory())
    client.force_login(users["adviser"])
    with django_assert_max_num_queries(10):
        client.get(f"/deployments/staff/needs/{need.pk}/matches/")
    for _ in range(30):
        DeploymentFactory(lle=LLEProfileFactory())
    with django_assert_max_num_queries(10):
        client.get(f"/deployments/staff/needs/{need.pk}/matches/")
