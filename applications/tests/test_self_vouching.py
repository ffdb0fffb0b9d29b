"""An applicant never vouches for themselves (issue 11), tried as the applicant:
their own address (in another case, or with a +tag) as chair of governors or
as sponsor, the chair and the sponsor one person, and their own "yes, the
governing body approved" tick standing for the chair's answer."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import references, services
from applications.approvals import chair_approval
from applications.eligibility import MET, eligibility_for
from applications.forms import ApprovalsSectionForm, RefereeForm
from applications.models import Application, LinkRequest
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import submitted_application
from lle_portal.email_identity import email_identity, same_mailbox
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory, LocalAuthorityFactory

pytestmark = pytest.mark.django_db
HEAD = "Jo.Bloggs@School.example"
SPONSOR = {"name": "Dr Helen Price", "role": "la_officer", "organisation": "Norfolk County Council",
           "relationship": "Link adviser for five years."}


@pytest.fixture
def draft():
    return ApplicationFactory(complete=True, applicant=HeadteacherFactory(email="jo.bloggs@school.example"))


def approvals_form(application, email):
    return ApprovalsSectionForm({"chair_of_governors_name": "Jo", "chair_of_governors_email": email,
                                 "governors_approved": "yes", "slt_approved": "yes"}, application=application)


# --- one rule for "the same mailbox" -------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "same"), [
    ("Jo@School.example", "jo@school.example", True),
    ("jo+ref@school.example", "jo@school.example", True),
    ("jo+a+b@school.example", "JO+c@School.Example", True),
    ("j.o.bloggs@gmail.com", "jobloggs+x@googlemail.com", True),
    ("jo.bloggs@school.example", "jobloggs@school.example", False),  # dots count outside Gmail
    ("jo-ref@school.example", "jo@school.example", False),
    ("", "", False),
])
def test_it_folds_case_plus_tags_and_gmail_dots_only(first, second, same):
    assert same_mailbox(first, second) is same
    assert email_identity(" Jo+x@Example.ORG ") == "jo@example.org"


# --- the chair of governors ----------------------------------------------------------------


@pytest.mark.parametrize("email", ["JO.BLOGGS@school.example", "jo.bloggs+chair@school.example"])
def test_it_refuses_the_applicants_own_address_as_chair_of_governors(draft, email):
    form = approvals_form(draft, email)
    assert not form.is_valid()
    assert "your own" in form.errors["chair_of_governors_email"][0]
    with pytest.raises(services.ApplicationError, match="your own"):
        services.application_save(application=draft, section="approvals",
                                  data={"chair_of_governors_email": email}, by=draft.applicant)
    assert Application.objects.get(pk=draft.pk).chair_of_governors_email == "chair@school.example"


def test_it_refuses_the_sponsor_as_chair_of_governors(draft):
    form = approvals_form(draft, draft.referee.email.upper())
    assert not form.is_valid()
    assert "sponsor" in form.errors["chair_of_governors_email"][0]
    with pytest.raises(services.ApplicationError, match="sponsor"):
        services.application_save(application=draft, section="approvals",
                                  data={"chair_of_governors_email": draft.referee.email}, by=draft.applicant)


def test_it_keeps_the_other_answers_of_a_partial_save_naming_the_applicant_as_chair(client, draft):
    client.force_login(draft.applicant)
    Application.objects.filter(pk=draft.pk).update(slt_approved=None)
    response = client.post(reverse("applications:autosave", args=[draft.pk, "approvals"]),
                           {"chair_of_governors_email": "jo.bloggs+me@school.example", "slt_approved": "yes"})
    assert response.status_code in (200, 400)
    draft.refresh_from_db()
    assert draft.slt_approved is True
    assert draft.chair_of_governors_email == "chair@school.example"


# --- the sponsor ---------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["jo.bloggs+ref@school.example", "Jo.Bloggs@SCHOOL.example"])
def test_it_refuses_a_sponsor_at_the_applicants_own_address(draft, email):
    form = RefereeForm({**SPONSOR, "email": email}, application=draft)
    assert not form.is_valid()
    assert "your own" in form.errors["email"][0]
    with pytest.raises(services.ApplicationError, match="your own"):
        services.referee_nominate(application=draft, by=draft.applicant, **SPONSOR, email=email)


def test_it_refuses_the_chair_of_governors_as_sponsor(draft):
    form = RefereeForm({**SPONSOR, "email": "Chair+sponsor@school.example"}, application=draft)
    assert not form.is_valid()
    assert "chair of governors" in form.errors["email"][0]
    with pytest.raises(services.ApplicationError, match="chair of governors"):
        services.referee_nominate(application=draft, by=draft.applicant, **SPONSOR, email="chair@school.example")


def test_it_shows_the_sponsor_refusal_beside_the_email(client, draft):
    client.force_login(draft.applicant)
    response = client.post(reverse("applications:section", args=[draft.pk, "referee"]),
                           {**SPONSOR, "email": "jo.bloggs+ref@school.example", "action": "continue"})
    assert response.status_code == 200
    assert "your own" in response.content.decode()
    assert draft.referee.email != "jo.bloggs+ref@school.example"


def test_it_refuses_to_submit_or_email_an_application_that_names_the_applicant(draft):
    """Data saved another way (before this rule, or by the admin) is caught at submission and at sending."""
    Application.objects.filter(pk=draft.pk).update(chair_of_governors_email="jo.bloggs+x@school.example")
    with pytest.raises(services.ApplicationError, match="your own"):
        services.application_submit(application=draft, by=draft.applicant)
    with pytest.raises(references.ReferenceError, match="applicant"):
        references.link_request_send(application=draft, kind=LinkRequest.Kind.GOVERNORS_APPROVAL,
                                     by=draft.applicant)
    assert not LinkRequest.objects.exists()


# --- the governing body's approval comes from the chair's link only --------------------------


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    adviser = AdviserFactory(local_authorities=[norfolk])
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application(round=ApplicationRoundFactory(local_authorities=[norfolk]))
    Application.objects.filter(pk=application.pk).update(la_approved_at=timezone.now(), la_approved_by=adviser)
    application.refresh_from_db()
    return application, adviser


def _verify_page(client, adviser, application) -> str:
    client.force_login(adviser)
    return client.get(reverse("applications:staff_verify", args=[application.pk])).content.decode()


def test_it_never_counts_the_heads_own_tick_as_the_governing_bodys_approval(client, submitted):
    application, adviser = submitted
    assert application.governors_approved is True  # the head ticked "yes"
    request = application.link_requests.get(kind=LinkRequest.Kind.GOVERNORS_APPROVAL)
    assert request.status == LinkRequest.Status.REQUESTED  # the chair has not answered
    assert not chair_approval(application).approved
    assert eligibility_for(application)["approvals"].status != MET
    page = _verify_page(client, adviser, application)
    assert "Governing body: Approved" not in page and ">Approved<" not in page
    assert f"Sent on {timezone.localtime(request.sent_at):%-d %B %Y}" in page


def test_it_shows_the_approval_once_the_chair_gives_it_through_the_link(client, submitted):
    application, adviser = submitted
    request = application.link_requests.get(kind=LinkRequest.Kind.GOVERNORS_APPROVAL)
    references.link_request_submit(link_request=request, answers={"approve": "yes", "comment": "Agreed."})
    application.refresh_from_db()
    assert chair_approval(application).approved
    assert eligibility_for(application)["approvals"].status == MET
    page = _verify_page(client, adviser, application)
    assert f"Approved by the chair on {timezone.localdate():%-d %B %Y}" in page


def test_it_shows_a_chairs_refusal_and_a_link_not_sent(client, submitted):
    application, adviser = submitted
    request = application.link_requests.get(kind=LinkRequest.Kind.GOVERNORS_APPROVAL)
    references.link_request_decline(link_request=request, reason="The governors have not met yet.")
    application.refresh_from_db()
    assert "Declined on" in _verify_page(client, adviser, application)
    assert eligibility_for(application)["approvals"].status != MET

    draft = ApplicationFactory(complete=True)
    assert chair_approval(draft).label == "Not sent"
    assert eligibility_for(draft)["approvals"].status != MET
