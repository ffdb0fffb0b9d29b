"""Personal data in recruitment: an applicant's export and erasure, and a
sponsor who has no account."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from applications import references, services
from applications.models import Application, LinkRequest, RefereeNomination
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import ANSWERS, submitted_application
from lle_portal import privacy
from lle_portal.tests.factories import LocalAuthorityFactory
from lle_portal.tests.privacy_search import tables_containing

pytestmark = pytest.mark.django_db

Kind = LinkRequest.Kind


def later():
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(days=7 * 365))


@pytest.fixture
def application(django_capture_on_commit_callbacks) -> Application:
    """Submitted; the sponsor gave a reference, the chair approved; then withdrawn (closed)."""
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application(round=ApplicationRoundFactory.create(local_authorities=[norfolk]))
    with django_capture_on_commit_callbacks(execute=True):
        references.link_request_submit(link_request=application.link_requests.get(kind=Kind.REFERENCE),
                                       answers={k: v for k, v in ANSWERS.items() if k != "action"})
        references.link_request_submit(link_request=application.link_requests.get(kind=Kind.GOVERNORS_APPROVAL),
                                       answers={"approve": "yes", "comment": "Unanimous at the meeting."})
    services.application_withdraw(application=application, by=application.applicant,
                                  reason=f"Moving away; write to {application.applicant.email}")
    application.refresh_from_db()
    return application


def test_the_applicants_export_has_their_application_but_not_the_reference_text(application):
    data = privacy.person_export(email=application.applicant.email)["applications"]
    [exported] = data["applications"]
    assert exported["reference_number"] == application.reference_number
    assert exported["impact_on_outcomes"] == application.impact_on_outcomes
    assert exported["sponsor"][0]["name"] == application.referee.name
    assert {r["status"] for r in exported["references"]} == {"Received"}
    assert ANSWERS["ability"] not in str(data)  # given in confidence


def test_the_sponsors_export_has_the_reference_they_gave(application):
    data = privacy.person_export(email=application.referee.email)["applications"]
    [given] = data["references_and_approvals_given"]
    assert given["answers"]["ability"] == ANSWERS["ability"]
    assert given["application_reference"] == application.reference_number
    assert data["nominated_as_sponsor"][0]["email"] == application.referee.email
    # Emails to them are part of the core's export.
    emails = privacy.person_export(email=application.referee.email)["lle_portal"]["emails_to_them"]
    assert {e["template"] for e in emails} == {"reference_request"}


def test_an_open_application_cannot_be_erased_even_years_later(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application()
    with later():
        retention = privacy.person_retention(privacy.person_find(application.applicant.email))
        with pytest.raises(privacy.ErasureRefused, match="still open"):
            privacy.person_erase(email=application.applicant.email)
    assert not retention.erasable


def test_erasing_the_applicant_leaves_no_trace_and_keeps_the_statistics(application):
    email, name = application.applicant.email, application.applicant.full_name
    counts = (Application.objects.count(), LinkRequest.objects.count(), RefereeNomination.objects.count())
    assert tables_containing(email)

    with later():
        result = privacy.person_erase(email=email)

    assert tables_containing(email) == {}
    assert tables_containing(name) == {}
    assert result.swept == {}
    assert (Application.objects.count(), LinkRequest.objects.count(), RefereeNomination.objects.count()) == counts
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert application.impact_on_outcomes == privacy.ERASED
    reference = application.link_requests.get(kind=Kind.REFERENCE)
    assert reference.answers["recommendation"] == "strongly"  # the statistic stays
    assert reference.answers["ability"] == privacy.ERASED


def test_erasing_a_sponsor_without_an_account(application):
    sponsor = application.referee
    assert tables_containing(sponsor.email)
    with later():
        result = privacy.person_erase(email=sponsor.email)

    assert tables_containing(sponsor.email) == {}
    assert result.swept == {}
    sponsor.refresh_from_db()
    assert sponsor.name == result.pseudonym and sponsor.email.endswith("@erased.invalid")
    reference = application.link_requests.get(kind=Kind.REFERENCE)
    assert reference.recipient_name == result.pseudonym
    assert reference.status == LinkRequest.Status.RECEIVED
    # The applicant's own data is untouched.
    assert "lle_portal_user" in tables_containing(application.applicant.email)


def test_erasing_the_chair_of_governors_without_an_account(application):
    chair_email = "chair@school.example"
    assert application.chair_of_governors_email == chair_email
    with later():
        privacy.person_erase(email=chair_email)
    assert tables_containing(chair_email) == {}
    application.refresh_from_db()
    assert application.chair_of_governors_email.endswith("@erased.invalid")
    assert application.governors_approved is True
