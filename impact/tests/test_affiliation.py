"""The client-head survey audience is the heads named on the LA's deployments,
while still confirmed heads of the client school: registering as a supported
school's head does not put a stranger in it (issue 11)."""

import pytest
from django.utils import timezone

from deployments.tests.factories import DeploymentFactory, norfolk
from impact import surveys
from lle_portal.tests.factories import HeadteacherFactory

pytestmark = pytest.mark.django_db


def test_it_leaves_a_stranger_who_claims_a_supported_school_out_of_the_client_head_audience():
    deployment = DeploymentFactory(active=True)
    stranger = HeadteacherFactory(school=deployment.client_school, claim=True)

    audience = set(surveys.client_head_users(norfolk(), on=timezone.localdate()))

    assert audience == {deployment.client_head}
    assert stranger not in audience


def test_it_leaves_out_a_named_head_whose_link_has_ended_and_a_confirmed_head_not_named():
    named = DeploymentFactory(active=True)
    unnamed = DeploymentFactory(active=True)
    head_of_unnamed = unnamed.client_head
    unnamed.client_head = None
    unnamed.save()
    named.client_head.school = None  # the adviser ended their link: they left the school
    named.client_head.save()

    audience = set(surveys.client_head_users(norfolk(), on=timezone.localdate()))

    assert named.client_head not in audience and head_of_unnamed not in audience
