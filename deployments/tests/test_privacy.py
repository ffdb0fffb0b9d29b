"""Personal data in brokerage and deployment: an LLE's and a client head's
export and erasure; deployments and records of visit stay for the statistics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from deployments import services
from deployments.models import Deployment, VisitRecord
from deployments.tests.factories import ColleagueFactory, DeploymentFactory, norfolk, school_day_before
from lle_portal import privacy
from lle_portal.tests.factories import AdviserFactory
from lle_portal.tests.privacy_search import tables_containing

pytestmark = pytest.mark.django_db


def later():
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(days=7 * 365))


@pytest.fixture
def deployment(django_capture_on_commit_callbacks) -> Deployment:
    """An active deployment with a record of visit that the client head queried,
    then ended early by the adviser; a colleague of the LLE delivered days."""
    deployment = DeploymentFactory.create(active=True, client_head_name="Mary Somerville")
    head = deployment.client_head
    head.full_name = "Mary Somerville"
    head.save()
    ColleagueFactory(deployment=deployment, name="Ada Deputy", email="ada.deputy@lle-school.example")
    lle = deployment.lle.user
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.visit_record(
            deployment=deployment, by=lle, visit_date=school_day_before(3), days=Decimal("1.0"),
            activities=["coaching"], summary=f"Coached Mary Somerville; {lle.full_name} led the learning walk.",
            progress="Monitoring calendar drafted.", next_steps="Joint learning walk.",
        )
        services.visit_query(visit=visit, by=head, reason=f"Mary Somerville was out that afternoon ({head.email}).")
        services.deployment_end_early(deployment=deployment, by=AdviserFactory.create(local_authorities=[norfolk()]),
                                      reason="The client head, Mary Somerville, moved school.")
    deployment.refresh_from_db()
    return deployment


def test_the_lles_export_has_their_deployments_and_records_of_visit(deployment):
    data = privacy.person_export(email=deployment.lle.user.email)["deployments"]
    assert [d["id"] for d in data["deployments"]] == [deployment.pk]
    assert [v["id"] for v in data["records_of_visit"]] == list(deployment.visits.values_list("pk", flat=True))
    assert data["records_of_visit"][0]["summary"].startswith("Coached")


def test_the_client_heads_export_has_the_deployment_and_the_query_they_raised(deployment):
    data = privacy.person_export(email=deployment.client_head.email)["deployments"]
    assert [d["id"] for d in data["deployments"]] == [deployment.pk]
    assert "was out that afternoon" in data["records_of_visit"][0]["query_reason"]
    assert data["support_needs_as_client_head"][0]["id"] == deployment.need_id


def test_a_live_deployment_keeps_the_data_in_use():
    live = DeploymentFactory(active=True)
    with later(), pytest.raises(privacy.ErasureRefused, match="has not ended"):
        privacy.person_erase(email=live.client_head.email)


@pytest.mark.parametrize("who", ["client_head", "lle"])
def test_erasure_leaves_no_trace_and_keeps_deployments_and_visits(deployment, who):
    person = deployment.client_head if who == "client_head" else deployment.lle.user
    # An LLE's data stays in use while they are an active LLE.
    type(deployment.lle).objects.filter(pk=deployment.lle_id).update(is_active=False)
    email, name = person.email, person.full_name
    counts = (Deployment.objects.count(), VisitRecord.objects.count())
    assert tables_containing(email) and tables_containing(name)

    with later():
        result = privacy.person_erase(email=email)

    assert tables_containing(email) == {}
    assert tables_containing(name) == {}
    assert result.swept == {}
    assert (Deployment.objects.count(), VisitRecord.objects.count()) == counts
    deployment.refresh_from_db()
    assert deployment.status == Deployment.Status.ENDED_EARLY
    visit = deployment.visits.get()
    assert visit.days == Decimal("1.0") and visit.status == VisitRecord.Status.QUERIED
    assert result.pseudonym in (visit.summary + visit.query_reason)


def test_erasing_a_colleague_without_an_account(deployment):
    with later():
        result = privacy.person_erase(email="ada.deputy@lle-school.example")
    assert tables_containing("ada.deputy@lle-school.example") == {}
    assert tables_containing("Ada Deputy") == {}
    assert deployment.colleagues.get().name == result.pseudonym
