"""A stranger who registers as the head of a supported school gains nothing of it.

Self-registration records a *claim* to a school; only the adviser of the
school's LA turns it into a link (lle_portal.access.acts_for_school). On a
deployment the client head is the person named on it, and only while they are
still the confirmed head of the client school. Each test is the attack: it
tries the path as the stranger and checks the answer and that nothing changed.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from deployments import notify, rules, services
from deployments.models import Deployment, Objective, VisitRecord
from lle_portal.models import Report, User
from lle_portal.tests.factories import AdviserFactory, GovernorFactory, HeadteacherFactory
from lle_portal.tests.registration import confirm_registration_in_client

from .factories import DeploymentFactory, SupportNeedFactory, VisitRecordFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a long and memorable passphrase"


def register_as_head_of(client, school) -> User:
    """The attack's first step: the public registration form, naming the school."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/accounts/register/", {
            "full_name": "Sam Stranger", "email": "sam@stranger.example", "school_query": "", "school": school.pk,
            "password1": PASSWORD, "password2": PASSWORD, "action": "register",
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    # The account is made from the emailed link (lle_portal/tests/registration.py).
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert confirm_registration_in_client(client, "sam@stranger.example", PASSWORD).status_code == 302
    return User.objects.get(email="sam@stranger.example")


@pytest.fixture
def supported():
    """A supported school with its confirmed head named on each deployment."""
    need = SupportNeedFactory()
    active = DeploymentFactory(need=need, active=True)
    finished = DeploymentFactory(need=need, active=True, status=Deployment.Status.COMPLETED,
                                 finished_at=timezone.now())
    visit = VisitRecordFactory(deployment=active, visit_date=timezone.localdate() - timedelta(days=3),
                               summary="Coaching the head on the behaviour policy.")
    return {"school": need.client_school, "head": need.client_head, "active": active, "finished": finished,
            "proposed": DeploymentFactory(need=need), "visit": visit}


def test_it_shows_a_stranger_no_deployment_nor_record_of_visit_of_the_school(client, supported):
    register_as_head_of(client, supported["school"])

    listing = client.get("/deployments/").content.decode()
    for deployment in ("active", "finished", "proposed"):
        assert f'href="/deployments/{supported[deployment].pk}/"' not in listing
    assert client.get(f"/deployments/{supported['active'].pk}/").status_code == 404
    assert client.get(f"/deployments/visits/{supported['visit'].pk}/query/").status_code == 404


def test_it_refuses_a_stranger_adding_an_objective(client, supported):
    register_as_head_of(client, supported["school"])
    response = client.post(f"/deployments/{supported['active'].pk}/objectives/",
                           {"title": "Mine now", "measure_of_success": "I say so"})
    assert response.status_code == 404
    assert not Objective.objects.filter(title="Mine now").exists()


def test_it_refuses_a_stranger_accepting_a_proposed_deployment(client, supported):
    register_as_head_of(client, supported["school"])
    assert client.post(f"/deployments/{supported['proposed'].pk}/accept/").status_code == 404
    supported["proposed"].refresh_from_db()
    assert supported["proposed"].client_accepted_at is None


def test_it_refuses_a_stranger_confirming_a_visit(client, supported):
    register_as_head_of(client, supported["school"])
    assert client.post(f"/deployments/visits/{supported['visit'].pk}/confirm/").status_code == 404
    supported["visit"].refresh_from_db()
    assert supported["visit"].status == VisitRecord.Status.SUBMITTED


def test_it_refuses_a_stranger_requesting_the_end_report(client, supported):
    register_as_head_of(client, supported["school"])
    assert client.post(f"/deployments/{supported['finished'].pk}/end-report/").status_code == 404
    assert not Report.objects.exists()


def test_it_refuses_the_services_too_for_an_unconfirmed_head(supported):
    stranger = HeadteacherFactory(school=supported["school"], claim=True)
    with pytest.raises(services.DeploymentError):
        services.deployment_accept(deployment=supported["proposed"], by=stranger)
    with pytest.raises(services.DeploymentError):
        services.visit_confirm(visit=supported["visit"], by=stranger)
    with pytest.raises(services.DeploymentError):
        services.objective_add(deployment=supported["active"], by=stranger, title="x", measure_of_success="y")


def test_it_lets_only_the_head_named_on_the_deployment_act_as_client_head(supported):
    """A confirmed head of the school who is not named (the deployment names
    another) does not act on it; the named head who is no longer confirmed
    does not either."""
    deployment = supported["active"]
    assert rules.is_client_head_of(supported["head"], deployment)

    unnamed = Deployment.objects.get(pk=deployment.pk)
    unnamed.client_head = None
    assert not rules.is_client_head_of(supported["head"], unnamed)

    supported["head"].school_confirmed_at = None
    supported["head"].save()
    assert not rules.is_client_head_of(supported["head"], deployment)
    assert not Deployment.objects.visible_to(supported["head"]).filter(pk=deployment.pk).exists()


def test_it_emails_only_the_named_confirmed_client_head(supported):
    HeadteacherFactory(school=supported["school"], claim=True, email="claimant@example.org")
    assert notify.client_head_emails(supported["active"]) == [supported["head"].email]

    unnamed = DeploymentFactory(need=None, client_school=supported["school"], client_head=None, client_head_name="")
    assert notify.client_head_emails(unnamed) == []


def test_it_refuses_an_unconfirmed_head_as_the_client_head_of_a_support_need(supported):
    claimant = HeadteacherFactory(school=supported["school"], claim=True)
    need = SupportNeedFactory.build(client_school=supported["school"], client_head=claimant)
    with pytest.raises(services.DeploymentError):
        services.support_need_save(
            need=need, by=AdviserFactory(local_authorities=[supported["school"].local_authority]))


def test_it_refuses_naming_an_unconfirmed_head_on_a_deployment(supported):
    claimant = HeadteacherFactory(school=supported["school"], claim=True)
    deployment = supported["active"]
    deployment.client_head = claimant
    with pytest.raises(ValidationError) as refused:
        deployment.full_clean()
    assert "client_head" in refused.value.message_dict


def test_a_governor_whose_school_link_is_not_granted_sees_no_deployment_of_it(supported):
    governor = GovernorFactory(school=supported["school"])
    assert Deployment.objects.visible_to(governor).filter(pk=supported["active"].pk).exists()
    governor.school_confirmed_at = None
    governor.save()
    assert not Deployment.objects.visible_to(governor).exists()
