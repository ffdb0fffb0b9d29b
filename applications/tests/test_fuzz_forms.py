"""Property-based tests of every form of the application: the headteacher's
sections (and their autosave), the sponsor, submission and withdrawal; the
sponsor's and the chair's emailed-link pages; the staff pages. Hostile input
never gets a server error; a refused form shows its errors and changes nothing
(a section keeps each answer that is valid on its own, by design: an answer
that was refused is never stored)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from applications import services
from applications.forms import SECTION_FORMS
from applications.models import Application, Assessment, LinkRequest, RefereeNomination
from applications.rubric import RUBRIC
from applications.staff_forms import VERIFIED_CRITERIA
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import assessed_application, submitted_application, verify
from lle_portal.tests.fuzz import (
    assert_answered,
    assert_shows_errors,
    form_data,
    fuzz,
    hostile_text,
    post_form,
    rolled_back,
    row_values,
    table_counts,
)

pytestmark = pytest.mark.django_db
Status = Application.Status


def _good_values(field: forms.Field) -> list[str]:
    """Values a person might really post for a field, to mix with hostile ones."""
    if isinstance(field, forms.ModelChoiceField):
        return [""]
    if hasattr(field, "choices"):
        return [str(value) for value, _label in field.choices if value not in ("", None)]
    if isinstance(field, forms.DateField):
        return ["1/9/2018", "2019-03-12", "12.3.2019"]
    if isinstance(field, forms.DecimalField):
        return ["0", "1.5", "40"]
    if isinstance(field, forms.EmailField):
        return ["chair@school.example"]
    return ["Some plain words about the school."]


SECTION_FIELDS = {
    key: {name: _good_values(field) for name, field in form.base_fields.items()}
    for key, form in SECTION_FORMS.items()
}
# Refusals that do not stop a draft being saved (a Part B answer over its word limit).
KEPT_AS_DRAFT = ("Cut it to",)


@pytest.fixture
def head(client, users):
    client.force_login(users["headteacher"])
    return client


@pytest.fixture
def draft(users):
    return ApplicationFactory(applicant=users["headteacher"])


def _refused_fields_unchanged(application: Application, before: dict, errors: dict) -> None:
    after = row_values(application)[0]
    for name, messages in errors.items():
        if name in before and not all(any(k in m for k in KEPT_AS_DRAFT) for m in messages):
            assert after[name] == before[name], f"{name} was refused but saved"


@pytest.fixture
def complete_draft(users):
    return ApplicationFactory(complete=True, applicant=users["headteacher"])


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return submitted_application()


@pytest.fixture
def verified(submitted, users):
    return verify(submitted, users["adviser"])


# --- the headteacher's sections -------------------------------------------------------


@pytest.mark.parametrize("key", SECTION_FIELDS)
@fuzz
@given(data=st.data())
def test_a_section_keeps_no_refused_answer_and_says_what_is_wrong(key, data, head, draft, users):
    fields = {**SECTION_FIELDS[key], "action": ["continue", "later", "find_school"], "return": ["check"]}
    if "school" in fields:
        fields["school"] = [str(users["headteacher"].school_id), "²", "9" * 30]
    posted = data.draw(form_data(fields))
    url = reverse("applications:section", args=[draft.pk, key])
    with rolled_back():
        before = row_values(draft)[0]
        response = post_form(head, url, posted)
        assert_answered(response)
        if response.status_code == 200:
            form = response.context["form"]
            if posted.get("action") != "find_school":
                assert_shows_errors(response)
            _refused_fields_unchanged(draft, before, form.errors)


@pytest.mark.parametrize("key", SECTION_FIELDS)
@fuzz
@given(data=st.data())
def test_autosave_answers_json_and_never_stores_a_refused_answer(key, data, head, draft):
    posted = data.draw(form_data(SECTION_FIELDS[key]))
    url = reverse("applications:autosave", args=[draft.pk, key])
    with rolled_back():
        before = row_values(draft)[0]
        response = post_form(head, url, posted)
        assert_answered(response, (200,))
        body = response.json()
        assert not set(body["saved"]) & set(body["errors"])
        _refused_fields_unchanged(draft, before, body["errors"])


@fuzz
@given(
    posted=form_data({
        "name": ["Dr Helen Price"], "email": ["helen@norfolk.example"], "role": ["la_officer", "diocese"],
        "organisation": ["Norfolk County Council"], "relationship": ["My link adviser."],
        "action": ["continue", "later", "use_default"],
    })
)
@example(posted={"name": "Dr\x00", "email": "a@b.example", "role": "la_officer", "organisation": "x",
                 "relationship": "y"})
def test_the_sponsor_is_saved_whole_or_not_at_all(posted, head, draft):
    url = reverse("applications:section", args=[draft.pk, "referee"])
    with rolled_back():
        before = table_counts()
        response = post_form(head, url, posted)
        assert_answered(response)
        nomination = RefereeNomination.objects.filter(application=draft).first()
        if response.status_code == 200:
            assert_shows_errors(response)
            assert table_counts() == before
        else:
            assert nomination is not None and "\x00" not in nomination.name


@fuzz
@given(
    posted=form_data({"declaration": ["on", "true"], "working_towards": ["on"], "working_towards_notes": ["Soon"]}),
)
@example(posted={"declaration": "on", "working_towards": "on", "working_towards_notes": "\x00"})
def test_submitting_with_hostile_input_submits_only_a_valid_declaration(posted, head, complete_draft):
    application = complete_draft
    url = reverse("applications:check", args=[application.pk])
    with rolled_back():
        before = table_counts()
        response = post_form(head, url, posted)
        assert_answered(response)
        application.refresh_from_db()
        if response.status_code == 200:
            assert_shows_errors(response)
            assert application.status == Status.DRAFT
            assert table_counts() == before
        else:
            assert application.status == Status.SUBMITTED


@fuzz
@given(posted=form_data({"reason": ["", "Moving school."]}))
@example(posted={"reason": "\x00"})
def test_withdrawing_with_a_hostile_reason_withdraws_only_when_valid(posted, head, draft):
    url = reverse("applications:withdraw", args=[draft.pk])
    with rolled_back():
        before = table_counts()
        response = post_form(head, url, posted)
        assert_answered(response)
        draft.refresh_from_db()
        if response.status_code == 200:
            assert_shows_errors(response)
            assert draft.status == Status.DRAFT
            assert table_counts() == before
        else:
            assert draft.status == Status.WITHDRAWN


# --- the emailed-link pages ---------------------------------------------------------


@pytest.fixture
def reference_link(users, django_capture_on_commit_callbacks):
    cache.clear()  # the bad-token counter
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application(round=ApplicationRoundFactory())
    request = application.link_requests.get(kind=LinkRequest.Kind.REFERENCE)
    message = next(m for m in mail.outbox if request.recipient_email in m.to)
    path = re.search(r"http://testserver(/programme/reference/[A-Za-z0-9_-]+/)", message.body).group(1)
    yield request, path
    cache.clear()


REFERENCE_FIELDS = {
    "ability": ["A strong leader."], "impact": ["Results rose."], "senior_team": ["Yes, the deputy."],
    "commits_to_deploy": ["yes", "no"], "safeguarding_concerns": ["yes", "no"], "safeguarding_details": [""],
    "recommendation": [value for value, _ in LinkRequest.Recommendation.choices],
    "reason": ["I do not know them well."], "action": ["submit", "decline"],
}


@fuzz
@given(posted=form_data(REFERENCE_FIELDS))
@example(posted={"ability": "\x00", "action": "submit"})
@example(posted={"reason": "\x00", "action": "decline"})
def test_a_reference_is_given_or_declined_only_when_valid(posted, client, reference_link):
    link_request, path = reference_link
    with rolled_back():
        response = post_form(client, path, posted)
        assert_answered(response)
        link_request.refresh_from_db()
        if response.status_code == 200:
            if posted.get("action", "submit") in ("submit", "decline"):
                # Any other action is no button of the page: it is shown again, as it was.
                assert response.context["form"].errors or response.context["decline_form"].errors
                assert "There is a problem" in response.content.decode()
            assert link_request.status == LinkRequest.Status.REQUESTED
            assert link_request.answers == {} and not link_request.decline_reason
        else:
            assert link_request.status in (LinkRequest.Status.RECEIVED, LinkRequest.Status.DECLINED)


@fuzz
@given(posted=form_data(REFERENCE_FIELDS))
@example(posted={"ability": "a\x00b"})
def test_the_sponsors_draft_autosave_never_fails_on_hostile_text(posted, client, reference_link):
    link_request, path = reference_link
    with rolled_back():
        response = post_form(client, f"{path}draft/", posted)
        assert_answered(response, (200,))
        assert "saved_at" in response.json()
        link_request.refresh_from_db()
        assert link_request.status == LinkRequest.Status.REQUESTED
        assert not any("\x00" in value for value in link_request.draft.values())


@fuzz
@given(token=hostile_text.filter(lambda t: t.strip() and "/" not in t and "\\" not in t))
@example(token="\x00")
def test_a_hostile_token_gets_the_same_404_page(token, client, reference_link):
    from urllib.parse import quote

    path = reverse("applications:reference_respond", args=["T"]).replace("/T/", f"/{quote(token, safe='')}/")
    with rolled_back():
        before = table_counts()
        response = post_form(client, path, {"ability": "x", "action": "submit"})
        assert_answered(response, (404, 429))
        assert table_counts() == before
        cache.clear()


# --- the staff pages -----------------------------------------------------------------


@pytest.fixture
def adviser(client, users):
    client.force_login(users["adviser"])
    return client


VERIFY_FIELDS = {
    **{f"{key}_outcome": ["confirmed", "not_met", "query", ""] for key in VERIFIED_CRITERIA},
    **{f"{key}_note": ["", "Please send the report."] for key in VERIFIED_CRITERIA},
    "mark_verified": ["1"],
}


@fuzz
@given(posted=form_data(VERIFY_FIELDS))
@example(posted={"headship_outcome": "query", "headship_note": "\x00"})
def test_verification_outcomes_are_saved_only_when_valid(posted, adviser, submitted):
    application = submitted
    url = reverse("applications:staff_verify", args=[application.pk])
    with rolled_back():
        before = table_counts()
        response = post_form(adviser, url, posted)
        assert_answered(response)
        if response.status_code == 200:
            assert_shows_errors(response)
            assert table_counts() == before


@fuzz
@given(data=st.data())
def test_assigning_assessors_refuses_hostile_choices(data, adviser, users, verified):
    application = verified
    assessor = str(users["assessor"].pk)
    posted = data.draw(form_data({"assessors": [assessor, "", "²", "-1", "9" * 30]}))
    url = reverse("applications:staff_assign", args=[application.pk])
    with rolled_back():
        before = table_counts()
        response = post_form(adviser, url, posted)
        assert_answered(response)
        if response.status_code == 200:
            assert_shows_errors(response)
            assert table_counts() == before
        else:
            assert Assessment.objects.filter(application=application, assessor=users["assessor"]).exists()


@fuzz
@given(posted=form_data({**{key: ["1", "2", "3", "4"] for key in RUBRIC}, "comments": ["Clear evidence."]}))
@example(posted={**dict.fromkeys(RUBRIC, "3"), "comments": "\x00"})
def test_an_assessment_is_submitted_only_when_valid(posted, client, users, verified):
    assessment = services.assessment_assign(application=verified, assessor=users["assessor"], by=users["adviser"])
    client.force_login(users["assessor"])
    url = reverse("applications:staff_assess", args=[assessment.pk])
    with rolled_back():
        before = table_counts()
        response = post_form(client, url, posted)
        assert_answered(response)
        assessment.refresh_from_db()
        if response.status_code == 200:
            assert_shows_errors(response)
            assert assessment.submitted_at is None
            assert table_counts() == before
        else:
            assert assessment.submitted_at is not None


@pytest.fixture
def assessed(users):
    return assessed_application(users["adviser"])


@fuzz
@given(data=st.data())
def test_a_panel_decision_is_recorded_only_when_valid(data, adviser, assessed):
    application = assessed
    prefix = f"app-{application.pk}-"
    posted = data.draw(form_data({
        f"{prefix}decision": [value for value, _ in Application.Decision.choices],
        f"{prefix}reasons": ["Strong evidence throughout."],
    }))
    url = reverse("applications:staff_decide", args=[application.pk])
    with rolled_back():
        before = table_counts()
        response = post_form(adviser, url, posted)
        assert_answered(response, (302, 400))
        application.refresh_from_db()
        if response.status_code == 400:
            assert_shows_errors(response)
            assert application.decision == ""
            assert table_counts() == before
        else:
            assert application.decision


# --- buttons: hostile bodies are ignored ------------------------------------------------


@pytest.mark.parametrize("button", ["start", "send_request", "la_approve", "link_request", "send_decisions"])
@fuzz
@given(posted=form_data({"action": ["resend", "cancel"]}))
def test_one_button_actions_ignore_hostile_bodies(button, posted, client, users, submitted):
    application = submitted
    urls = {
        "start": (application.applicant, reverse("applications:start", args=[ApplicationRoundFactory().pk])),
        "send_request": (application.applicant,
                         reverse("applications:send_request", args=[application.pk, "reference"])),
        "la_approve": (users["adviser"], reverse("applications:staff_la_approve", args=[application.pk])),
        "link_request": (users["adviser"], reverse("applications:staff_link_request",
                                                   args=[application.link_requests.first().pk, "resend"])),
        "send_decisions": (users["adviser"],
                           reverse("applications:staff_send_decisions", args=[application.round_id])),
    }
    user, url = urls[button]
    client.force_login(user)
    with rolled_back():
        response = post_form(client, url, posted)
        assert_answered(response, (302,))
