"""`seed_demo` shows needs, deployments in every state and records of visit."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from deployments.models import (
    Activity,
    Deployment,
    NetworkMeeting,
    ReimbursementStatement,
    SupportNeed,
    VisitRecord,
)
from deployments.terms import previous_term

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_every_state_and_a_second_run_adds_nothing():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "(client head)" in out.getvalue()

    assert set(Deployment.objects.values_list("status", flat=True)) == set(Deployment.Status.values)
    assert SupportNeed.objects.open().count() >= 2
    visits = VisitRecord.objects.all()
    assert {v.status for v in visits} == set(VisitRecord.Status.values)
    assert visits.flagged_for_qa().exists()
    assert visits.filter(colleague__isnull=False).exists()
    assert Deployment.objects.active().filter(contract_pdf="").count() == 0  # contracts made even with no worker
    assert NetworkMeeting.objects.get().attendance.exists()
    # Last term's statement is finalised with its PDF; the history's terms were paid as they ended.
    last = previous_term(timezone.localdate())
    statement = ReimbursementStatement.objects.get(academic_year=last.academic_year, term=last.term)
    assert statement.is_final and statement.pdf
    assert all(s.is_final and s.finalised_at.date() > s.dates.ends_on for s in ReimbursementStatement.objects.all())

    counts = [Model.objects.count() for Model in (SupportNeed, Deployment, VisitRecord, NetworkMeeting)]
    call_command("seed_demo", stdout=io.StringIO())
    assert [Model.objects.count() for Model in (SupportNeed, Deployment, VisitRecord, NetworkMeeting)] == counts


def test_it_negotiates_objectives_only_on_a_deployments_first_visit_and_queries_what_the_visit_says():
    call_command("seed_demo", stdout=io.StringIO())
    for deployment in Deployment.objects.filter(visits__isnull=False).distinct():
        visits = list(deployment.visits.order_by("visit_date"))
        negotiating = [v for v in visits if Activity.NEGOTIATING_OBJECTIVES in v.activities]
        assert negotiating in ([], visits[:1]), deployment
    for visit in VisitRecord.objects.filter(status=VisitRecord.Status.QUERIED).select_related("deployment"):
        # The demo's query is about the days, so it must be a visit that recorded a full day.
        assert visit.days == 1, visit
