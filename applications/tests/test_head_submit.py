"""Check your answers, submission, the confirmation email, and read-only after it."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from lle_portal.models import OutgoingEmail
from lle_portal.tests.factories import InspectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(users):
    # The factory's `complete` trait leaves out the inspection date, which the section requires.
    app = ApplicationFactory(applicant=users["headteacher"], complete=True, declared_inspection_date=date(2019, 3, 12))
    InspectionFactory(school=app.school, inspection_date=date(2019, 3, 12), leadership_and_management=2)
    return app


@pytest.fixture
def head(client, users):
    client.force_login(users["headteacher"])
    return client


def _check_url(application):
    return reverse("applications:check", args=[application.pk])


def _submit(client, application, **data):
    return client.post(_check_url(application), {"declaration": "on", **data})


def _html(response) -> str:
    return response.content.decode()


# --- check your answers ---------------------------------------------------------------


def test_it_shows_every_answer_with_change_links_that_come_back_here(head, application):
    html = _html(head.get(_check_url(application)))
    assert "Check your answers before you submit" in html
    assert "Margaret Ellis" in html and "Dr Helen Price" in html
    assert "Attainment rose from 55% to 78% over four years." in html
    assert "Leadership and management at that inspection" in html
    for key in ("school", "performance", "offer", "evidence", "approvals", "referee"):
        assert reverse("applications:section", args=[application.pk, key]) + "?return=check" in html
    assert "Eligibility" in html
    assert "Submit application" in html
    assert "working towards eligibility" not in html  # every criterion is met or to be verified


def test_an_incomplete_application_lists_what_is_left_and_cannot_be_submitted(head, users):
    draft = ApplicationFactory(applicant=users["headteacher"])
    html = _html(head.get(_check_url(draft)))
    assert "You cannot submit yet. Complete these sections first" in html
    assert "Submit application" not in html
    assert _submit(head, draft).status_code == 200
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- submission -------------------------------------------------------------------------


def test_it_submits_and_shows_the_reference_number(head, application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(head, application)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert response.url == reverse("applications:submitted", args=[application.pk])
    html = _html(head.get(response.url))
    assert "Application submitted" in html
    assert application.reference_number == f"LLE-{application.round.opens_at:%Y}-{application.pk:05d}"
    assert application.reference_number in html
    assert "Verification of Part A" in html


def test_the_confirmation_email_is_sent_once_with_the_reference_and_what_happens_next(
    head, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(head, application)
    with django_capture_on_commit_callbacks(execute=True):
        second = _submit(head, application)  # a double click, or the back button
    assert second.status_code == 302 and second.url == reverse("applications:detail", args=[application.pk])
    application.refresh_from_db()

    # Submission also emails the sponsor and the chair of governors their links (test_references).
    to_head = [m for m in mail.outbox if m.to == [application.applicant.email]]
    assert len(to_head) == 1
    message = to_head[0]
    assert application.reference_number in message.subject
    body = message.body
    assert f"Your reference number is {application.reference_number}." in body
    for step in ("Verification of Part A", "Assessment of Part B", "we ask your sponsor", "designation panel"):
        assert step in body
    assert f"by {application.round.decisions_by:%A} {application.round.decisions_by.day}" in body
    assert f"http://testserver/programme/my-application/{application.pk}/" in body
    assert "&amp;" not in body and "&#x27;" not in body  # the text part is not HTML-escaped
    html_part = message.alternatives[0][0] if message.alternatives else OutgoingEmail.objects.get().body_html
    assert application.reference_number in html_part
    assert OutgoingEmail.objects.filter(template="application_submitted").count() == 1


def test_it_can_be_submitted_until_the_last_second_of_the_round(head, application):
    application.round.closes_at = timezone.now() + timedelta(seconds=2)
    application.round.save()
    _submit(head, application)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_it_cannot_be_submitted_a_second_after_the_round_closed(head, application):
    application.round.closes_at = timezone.now() - timedelta(seconds=1)
    application.round.save()
    response = _submit(head, application)
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
    html = _html(response)
    assert response.status_code == 200
    assert "Applications can no longer be submitted." in html


def test_the_server_refuses_a_page_left_open_past_the_close(head, application):
    """The page was loaded while open; the POST arrives after the close: the service says no."""
    from applications import services

    closes = timezone.now() + timedelta(hours=1)
    application.round.closes_at = closes
    application.round.save()
    with pytest.raises(services.ApplicationError, match="Applications can no longer be submitted"):
        services.application_submit(application=application, by=application.applicant, at=closes)
    services.application_submit(application=application, by=application.applicant,
                                at=closes - timedelta(seconds=1))
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_a_service_refusal_is_shown_on_the_page_with_the_answers_kept(head, application, monkeypatch):
    from applications import services

    def refuse(**kwargs):
        raise services.ApplicationError("The round closed at 17:00. Applications can no longer be submitted.")

    monkeypatch.setattr(services, "application_submit", refuse)
    response = _submit(head, application, declaration="on")
    html = _html(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "The round closed at 17:00." in html
    assert "Margaret Ellis" in html


def test_the_declaration_is_required(head, application):
    html = _html(head.post(_check_url(application), {}))
    assert "Confirm that your answers are true and complete." in html
    application.refresh_from_db()
    assert application.status == "draft"


def test_working_towards_eligibility_is_required_when_a_criterion_is_not_met(head, application):
    Application.objects.filter(pk=application.pk).update(
        appointed_head_on=timezone.localdate() - timedelta(days=400), previous_headship_years=0)
    html = _html(head.get(_check_url(application)))
    assert "I am applying as working towards eligibility" in html
    assert "You do not yet meet 1 of the criteria above" in html

    html = _html(_submit(head, application))
    assert "tick &#x27;I am applying as working towards eligibility&#x27;" in html
    application.refresh_from_db()
    assert application.status == "draft"

    _submit(head, application, working_towards="on", working_towards_notes="Three years in September 2027.")
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.working_towards_eligibility is True
    assert application.working_towards_notes == "Three years in September 2027."


# --- read-only once submitted -------------------------------------------------------------


@pytest.fixture
def submitted(head, application):
    _submit(head, application)
    application.refresh_from_db()
    assert application.status == "submitted"
    return application


@pytest.mark.parametrize("key", ["school", "performance", "offer", "evidence", "approvals", "referee"])
def test_after_submission_a_section_shows_its_answers_read_only(head, submitted, key):
    html = _html(head.get(reverse("applications:section", args=[submitted.pk, key])))
    assert "these answers can no longer be changed" in html
    assert "<form method=\"post\" novalidate class=\"section-form\"" not in html
    assert "Save and continue" not in html


@pytest.mark.parametrize("key", ["performance", "approvals", "referee"])
def test_after_submission_a_section_post_changes_nothing(head, submitted, key):
    before = Application.objects.get(pk=submitted.pk)
    response = head.post(reverse("applications:section", args=[submitted.pk, key]), {
        "performance_summary": "Changed", "chair_of_governors_name": "Someone else",
        "name": "Someone else", "email": "x@example.org", "role": "diocese", "organisation": "X",
        "relationship": "Y", "action": "continue",
    })
    assert response.url == reverse("applications:detail", args=[submitted.pk])
    after = Application.objects.get(pk=submitted.pk)
    assert (after.performance_summary, after.chair_of_governors_name, after.version) == (
        before.performance_summary, before.chair_of_governors_name, before.version)
    assert after.referee.name == "Dr Helen Price"
    assert "can no longer be changed" in _html(head.get(response.url))


def test_after_submission_the_check_page_shows_the_answers_without_change_links(head, submitted):
    html = _html(head.get(_check_url(submitted)))
    assert "Your answers" in html
    assert "?return=check" not in html
    assert "Submit application" not in html
    assert head.post(_check_url(submitted), {"declaration": "on"}).status_code == 302


def test_the_task_list_of_a_submitted_application_goes_to_its_status_page(head, submitted):
    response = head.get(reverse("applications:task_list", args=[submitted.pk]))
    assert response.url == reverse("applications:detail", args=[submitted.pk])
    assert head.get(reverse("applications:mine")).url == reverse("applications:detail", args=[submitted.pk])


def test_the_confirmation_page_of_a_draft_goes_back_to_the_task_list(head, application):
    response = head.get(reverse("applications:submitted", args=[application.pk]))
    assert response.url == reverse("applications:task_list", args=[application.pk])
