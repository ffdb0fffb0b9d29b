"""Property-based tests of the impact app's forms and parameters: the survey
answer form, the dashboard's filters, the report request and the comment
buttons. Hostile input never gets a server error; a refused answer changes
nothing; what is saved is always a valid answer."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from impact.models import Answer, Question, SurveyInvitation
from impact.survey_forms import field_name
from lle_portal.models import Report
from lle_portal.tests.fuzz import (
    assert_answered,
    form_data,
    fuzz,
    hostile_text,
    post_form,
    rolled_back,
)

from .factories import InvitationFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(users):
    head = users["headteacher"]
    invitation = InvitationFactory(user=head)
    survey = invitation.survey
    QuestionFactory(survey=survey, kind=Question.Kind.SCALE, theme="satisfaction", required=True)
    QuestionFactory(survey=survey, kind=Question.Kind.YES_NO, theme="expectations")
    QuestionFactory(survey=survey, kind=Question.Kind.TEXT, theme="", text="Comments")
    return invitation


def _answers(invitation) -> list[tuple]:
    return sorted(Answer.objects.filter(invitation=invitation).values_list("question_id", "scale", "yes", "text"))


@fuzz
@given(data=st.data())
def test_survey_answers_never_fail_and_a_refusal_saves_nothing(client, invitation, data):
    questions = list(invitation.survey.questions.all())
    good = {
        Question.Kind.SCALE: ["1", "3", "5"], Question.Kind.YES_NO: ["yes", "no"],
        Question.Kind.TEXT: ["An invaluable partnership."],
    }
    fields = {field_name(q): good[q.kind] for q in questions} | {"consent_to_publish": ["on", ""]}
    body = data.draw(form_data(fields))
    client.force_login(invitation.user)
    url = reverse("impact:survey_answer", args=[invitation.pk])
    with rolled_back():
        before = _answers(invitation)
        response = post_form(client, url, body)
        assert_answered(response)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert _answers(invitation) == before
        else:
            for _question, scale, _yes, text in _answers(invitation):
                assert scale is None or 1 <= scale <= 5
                assert "\x00" not in text
            assert SurveyInvitation.objects.get(pk=invitation.pk).responded_at is not None


@fuzz
@given(params=st.dictionaries(st.sampled_from(["measure", "year", "phase", "la", "page"]), hostile_text, max_size=4))
@example(params={"year": "2019\x00"})
@example(params={"year": "99999999999999999999"})
@example(params={"la": "' OR 1=1 --"})
def test_the_dashboard_answers_any_filter(client, users, params):
    client.force_login(users["governor"])
    with rolled_back():
        response = client.get(reverse("impact:dashboard"), params)
        assert_answered(response, allowed=(200, 404))


@pytest.fixture
def results_2019(users):
    from lle_portal.tests.factories import SchoolResultFactory

    return SchoolResultFactory(school=users["governor"].school, year=2019)


@fuzz
@given(body=form_data({"year": ["2019", "2018"], "la": ["926"]}))
@example(body={"year": "-1"})
@example(body={"year": "2019", "la": "\x00"})
def test_report_requests_never_fail_and_only_a_real_year_is_queued(client, users, results_2019, body):
    client.force_login(users["governor"])
    with rolled_back():
        response = post_form(client, reverse("impact:request_report"), body)
        assert_answered(response, allowed=(302, 404))
        made = list(Report.objects.values_list("params", flat=True))
        assert all(params["year"] == 2019 for params in made)


@pytest.fixture
def comment(invitation):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(consent_to_publish=True)
    return Answer.objects.create(invitation=invitation, question=invitation.survey.questions.get(kind="text"),
                                 text="Lovely.")


@fuzz
@given(page=hostile_text)
def test_the_comment_buttons_answer_any_page_parameter(client, users, invitation, comment, page):
    answer = comment
    client.force_login(users["adviser"])
    url = reverse("impact:survey_comment_publish", args=[invitation.survey_id, answer.pk])
    with rolled_back():
        response = post_form(client, url, {"page": page})
        assert_answered(response, allowed=(302, 404))
