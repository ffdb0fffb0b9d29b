"""The autosave endpoint static/js/autosave.js posts to as the head types."""

from datetime import date
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from lle_portal.tests.factories import HeadteacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(users):
    return ApplicationFactory(applicant=users["headteacher"])


@pytest.fixture
def head(client, users):
    client.force_login(users["headteacher"])
    return client


def _autosave(client, application, key, data):
    return client.post(reverse("applications:autosave", args=[application.pk, key]), data)


def test_it_saves_the_valid_answers_and_reports_the_invalid_ones(head, application):
    response = _autosave(head, application, "approvals", {
        "chair_of_governors_name": "Margaret Ellis", "chair_of_governors_email": "not-an-email",
        "governors_approved": "yes", "slt_approved": "",
    })
    assert response.status_code == 200
    body = response.json()
    assert body["saved"] == ["chair_of_governors_name", "governors_approved", "slt_approved"]
    assert body["errors"] == {"chair_of_governors_email": ["Enter an email address like chair@school.org.uk."]}
    assert body["section_status"] == "In progress"
    application.refresh_from_db()
    assert body["saved_at"] == f"{timezone.localtime(application.updated_at):%H:%M}"  # UK time
    assert application.chair_of_governors_name == "Margaret Ellis"
    assert application.governors_approved is True
    assert application.chair_of_governors_email == ""


def test_nothing_is_required_while_the_head_is_still_typing(head, application):
    body = _autosave(head, application, "performance", {"performance_summary": "Half a sentence"}).json()
    assert body["errors"] == {}
    application.refresh_from_db()
    assert application.performance_summary == "Half a sentence"


def test_it_keeps_a_draft_over_the_word_limit_and_warns(head, application):
    body = _autosave(head, application, "evidence", {"capacity_notes": "word " * 151}).json()
    assert "capacity_notes" in body["saved"]
    assert body["warnings"] == {"capacity_notes": "Your answer is over 150 words."}


def test_it_bumps_the_version_and_updated_at(head, application):
    before = Application.objects.get(pk=application.pk)
    body = _autosave(head, application, "offer", {"slt_can_cover": "no"}).json()
    after = Application.objects.get(pk=application.pk)
    assert after.version == before.version + 1
    assert body["updated_at"] == after.updated_at.isoformat()


def test_it_refuses_after_submission(head, application):
    Application.objects.filter(pk=application.pk).update(
        status="submitted", submitted_at=timezone.now(), reference_number="LLE-2026-00001")
    response = _autosave(head, application, "performance", {"performance_summary": "Changed later"})
    assert response.status_code == 409
    assert "can no longer be changed" in response.json()["error"]
    application.refresh_from_db()
    assert application.performance_summary == ""


def test_another_heads_application_is_a_404(head):
    theirs = ApplicationFactory(applicant=HeadteacherFactory())
    assert _autosave(head, theirs, "performance", {"performance_summary": "Mine now"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.performance_summary == ""


def test_the_sponsor_section_is_not_autosaved(head, application):
    assert _autosave(head, application, "referee", {"name": "Someone"}).status_code == 404


def test_it_is_post_only(head, application):
    assert head.get(reverse("applications:autosave", args=[application.pk, "offer"])).status_code == 405


@pytest.mark.parametrize("role", ["adviser", "assessor", "governor"])
def test_other_roles_are_refused(client, users, application, role):
    client.force_login(users[role])
    assert _autosave(client, application, "offer", {"slt_can_cover": "no"}).status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client, application):
    response = _autosave(client, application, "offer", {"slt_can_cover": "no"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_it_needs_the_csrf_token_which_the_script_sends_as_a_header(users, application):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["headteacher"])
    url = reverse("applications:autosave", args=[application.pk, "offer"])
    assert client.post(url, {"slt_can_cover": "no"}).status_code == 403
    page = client.get(reverse("applications:section", args=[application.pk, "offer"]))
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert client.post(url, {"slt_can_cover": "no"}, headers={"X-CSRFToken": token}).status_code == 200


def test_the_section_page_wires_up_autosave_and_the_local_copy(head, application):
    html = head.get(reverse("applications:section", args=[application.pk, "evidence"])).content.decode()
    assert f'data-autosave-url="{reverse("applications:autosave", args=[application.pk, "evidence"])}"' in html
    assert f'data-draft-key="lle-draft:{application.pk}:evidence"' in html
    assert 'data-server-updated-at="' in html
    assert 'aria-live="polite"' in html
    assert 'src="/static/js/autosave.js" defer' in html and 'src="/static/js/wordcount.js" defer' in html
    script = Path(finders.find("js/autosave.js")).read_text()
    assert "X-CSRFToken" in script and "localStorage" in script


def test_a_date_typed_in_the_uk_order_is_understood(head, application):
    _autosave(head, application, "school", {"school": application.school_id, "appointed_head_on": "1/9/2018"})
    application.refresh_from_db()
    assert application.appointed_head_on == date(2018, 9, 1)
