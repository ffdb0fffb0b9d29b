"""Attacks found by the security review of issue 11: a claim to a school
(never confirmed, or rejected by the adviser) must not make the claimant
the LLE of that school."""

from __future__ import annotations

import pytest

from applications import services
from applications.models import LLEProfile
from applications.tests.states import assessed_application
from lle_portal import services as core_services
from lle_portal.tests.factories import HeadteacherFactory, SchoolFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_to_designate_a_head_whose_claim_to_the_school_is_unconfirmed_or_rejected(users, la):
    adviser = users["adviser"]
    school = SchoolFactory(local_authority=la)
    claimant = HeadteacherFactory(school=school, claim=True)
    application = assessed_application(adviser, applicant=claimant, school=school)
    with pytest.raises(services.ApplicationError, match="confirmed headteacher"):
        services.panel_decide(application=application, decision="designated", reasons="Strong.", by=adviser)
    assert not LLEProfile.objects.filter(user=claimant).exists()

    # Rejected by the adviser: the account has no school, the application still names it.
    core_services.school_link_reject(user=claimant, by=adviser, reason="Not the head here.")
    application.refresh_from_db()
    with pytest.raises(services.ApplicationError, match="confirmed headteacher"):
        services.panel_decide(application=application, decision="designated", reasons="Strong.", by=adviser)
    assert not LLEProfile.objects.filter(user=claimant).exists()

    # The other decisions need no headship.
    services.panel_decide(application=application, decision="not_designated", reasons="Not the head.", by=adviser)


def test_it_designates_the_confirmed_head_of_the_applications_school(users, la):
    adviser = users["adviser"]
    application = assessed_application(adviser)
    services.panel_decide(application=application, decision="designated", reasons="Strong.", by=adviser)
    assert LLEProfile.objects.get(user=application.applicant).school_id == application.school_id


def test_it_tells_the_verifying_adviser_that_the_applicants_headship_is_only_a_claim(client, users, la):
    from django.urls import reverse

    from applications.tests.states import submitted_application

    adviser = users["adviser"]
    school = SchoolFactory(local_authority=la)
    claimant = HeadteacherFactory(school=school, claim=True)
    claimed = submitted_application(applicant=claimant, school=school)
    confirmed = submitted_application(applicant=HeadteacherFactory(school=SchoolFactory(local_authority=la)))
    confirmed.school = confirmed.applicant.school
    confirmed.save(update_fields=["school"])
    client.force_login(adviser)
    page = client.get(reverse("applications:staff_verify", args=[claimed.pk])).content.decode()
    assert 'id="headship-claim"' in page and school.name in page
    page = client.get(reverse("applications:staff_verify", args=[confirmed.pk])).content.decode()
    assert 'id="headship-claim"' not in page


def test_it_refuses_an_adviser_exporting_a_national_assessors_data_with_another_las_applications(client, users):
    """An assessor works for no LA: their export (assessments, the emails
    naming applicants) spans the country, so it is a superuser's to run."""
    import json

    from django.urls import reverse

    from applications.tests.factories import ApplicationRoundFactory
    from applications.tests.states import GOOD_SCORES, submitted_application, verify
    from lle_portal.models import AuditEvent

    suffolk_adviser, assessor = users["other_adviser"], users["assessor"]
    suffolk = suffolk_adviser.local_authorities.get()
    # A Suffolk round's application: only Suffolk's adviser verifies it (applications.rules.advises).
    application = verify(submitted_application(
        ApplicationRoundFactory(local_authorities=[suffolk]),
        applicant=HeadteacherFactory(full_name="Suffolk Applicant", school=SchoolFactory(local_authority=suffolk))),
        suffolk_adviser)
    assessment = services.assessment_assign(application=application, assessor=assessor, by=suffolk_adviser)
    services.assessment_submit(assessment=assessment, scores=GOOD_SCORES, comments="A Suffolk-only comment.",
                               by=assessor)
    client.force_login(users["adviser"])  # Norfolk's
    response = client.post(reverse("admin:lle_portal_user_changelist"),
                           {"action": "export_personal_data", "_selected_action": [assessor.pk]})
    assert response.get("Content-Type") != "application/json"
    assert b"Suffolk-only" not in response.content
    assert not AuditEvent.objects.filter(verb="privacy.exported").exists()
    # A superuser still can.
    from lle_portal.models import User

    root = User.objects.create_superuser(email="root@la.example", password="x" * 20, full_name="Root")
    client.force_login(root)
    response = client.post(reverse("admin:lle_portal_user_changelist"),
                           {"action": "export_personal_data", "_selected_action": [assessor.pk]})
    assert "Suffolk-only" in json.dumps(json.loads(response.content))
