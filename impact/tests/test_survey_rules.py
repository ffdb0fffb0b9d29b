"""Each survey rule is written once (impact.surveys: can_open, can_close,
can_answer, can_publish, can_unpublish): for every state a survey can be in
and every role, a page shows an action exactly when the service accepts it.

The states are generated: every status × closing day to come or passed ×
with or without questions (an open or closed survey always has them:
survey_open refuses a survey without, and the admin fixes them once open),
and every comment a respondent can leave (with or without consent to
publish; published, once the survey has closed). The roles: the respondent
invited, a headteacher not invited, the adviser of the survey's LA, the
adviser of another LA, a governor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from impact import surveys
from impact.models import Answer, Question, Survey, SurveyInvitation
from impact.survey_results import MIN_GROUP_SIZE
from impact.surveys import SurveyError

from .factories import AnswerFactory, InvitationFactory, SurveyFactory
from .support import a_survey

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CLOSING = {"closing day to come": 21, "closing day passed": -1}
STATES = [
    (status, closing, with_questions)
    for status in Survey.Status.values
    for closing in CLOSING
    for with_questions in (True, False)
    if with_questions or status == Survey.Status.DRAFT
]
ROLES = ["invited", "not invited", "adviser", "other adviser", "governor"]
ANSWER_BUTTON = re.compile(r'<button type="submit"[^>]*>(Send my answers|Save my changes)</button>')


class _Undo(Exception):
    pass


def accepted(service, **kwargs) -> bool:
    """Whether the service accepts the call: run it, then undo what it did."""
    try:
        with transaction.atomic():
            service(**kwargs)
            raise _Undo
    except _Undo:
        return True
    except SurveyError:
        return False


@dataclass
class World:
    survey: Survey
    invitation: SurveyInvitation  # the invited respondent's, not answered yet
    comments: list[Answer]
    people: dict


def _comment(survey: Survey, *, consent: bool, published: bool, text: str) -> Answer:
    question = survey.questions.get(kind=Question.Kind.TEXT)
    invitation = InvitationFactory(survey=survey, responded_at=timezone.now(), consent_to_publish=consent)
    return AnswerFactory.create(invitation=invitation, question=question, scale=None, text=text,
                         published_at=timezone.now() if published else None)


def world(users, status: str, closing: str, with_questions: bool) -> World:
    closes_on = TODAY + timedelta(days=CLOSING[closing])
    dates = {"opens_on": closes_on - timedelta(days=20), "closes_on": closes_on}
    if with_questions:
        survey = a_survey(status=status, **dates)
    else:
        survey = SurveyFactory.create(**{"open": status == "open", "closed": status == "closed"}, **dates)
    comments = []
    if with_questions and status != Survey.Status.DRAFT:
        # Enough respondents for the comments to be listed (a smaller group's never are).
        kinds = [(True, False), (False, False)] + [(True, status == Survey.Status.CLOSED)] * (MIN_GROUP_SIZE - 2)
        comments = [_comment(survey, consent=consent, published=published, text=f"Comment {i}.")
                    for i, (consent, published) in enumerate(kinds)]
    invitation = InvitationFactory.create(survey=survey)
    people = {"invited": invitation.user, "not invited": users["headteacher"], "adviser": users["adviser"],
              "other adviser": users["other_adviser"], "governor": users["governor"]}
    return World(survey=survey, invitation=invitation, comments=comments, people=people)


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    return response.content.decode() if response.status_code == 200 else ""


def _answers(survey: Survey) -> dict[int, object]:
    values: dict[str, object] = {Question.Kind.SCALE: 4, Question.Kind.YES_NO: True, Question.Kind.TEXT: "Helpful."}
    return {q.pk: values[q.kind] for q in survey.questions.all()}


@pytest.mark.parametrize(("status", "closing", "with_questions"), STATES,
                         ids=[f"{s}, {c}, {'with' if q else 'no'} questions" for s, c, q in STATES])
def test_every_page_shows_an_action_exactly_when_the_service_accepts_it(client, users, status, closing,
                                                                         with_questions):
    w = world(users, status, closing, with_questions)
    survey, invitation = w.survey, w.invitation
    differences = []

    def check(action: str, role: str, shown: bool, accepts: bool) -> None:
        if shown != accepts:
            differences.append(f"{action}, as {role}: page shows it {shown}, service accepts it {accepts}")

    for role, user in w.people.items():
        answers = accepted(surveys.answers_submit, invitation=invitation, by=user, answers=_answers(survey),
                           consent_to_publish=False)
        opens = accepted(surveys.survey_open, survey=survey, by=user)
        closes = accepted(surveys.survey_close, survey=survey, by=user)
        # The predicates say what the services do.
        assert (surveys.can_answer(invitation, user), surveys.can_open(survey, user),
                surveys.can_close(survey, user)) == (answers, opens, closes), role

        answer_page = _page(client, user, f"/impact/surveys/{invitation.pk}/")
        check("answer", role, bool(ANSWER_BUTTON.search(answer_page)), answers)
        results_page = _page(client, user, f"/impact/surveys/staff/{survey.pk}/")
        check("open", role, 'id="survey-open"' in results_page, opens)
        check("close", role, 'id="survey-close"' in results_page, closes)
        for comment in w.comments:
            check(f"publish {comment.text}", role, f"/comments/{comment.pk}/publish/" in results_page,
                  accepted(surveys.comment_publish, answer=comment, by=user))
            check(f"unpublish {comment.text}", role, f"/comments/{comment.pk}/unpublish/" in results_page,
                  accepted(surveys.comment_unpublish, answer=comment, by=user))

    assert differences == []


def test_the_states_cover_every_status_and_the_actions_are_each_offered_somewhere(client, users):
    """The generated states are not vacuous: each action is shown (and accepted) in at least one."""
    assert {status for status, _, _ in STATES} == set(Survey.Status.values)
    adviser = users["adviser"]
    draft = world(users, "draft", "closing day to come", True)
    assert 'id="survey-open"' in _page(client, adviser, f"/impact/surveys/staff/{draft.survey.pk}/")
    still_open = world(users, "open", "closing day to come", True)
    assert 'id="survey-close"' in _page(client, adviser, f"/impact/surveys/staff/{still_open.survey.pk}/")
    assert ANSWER_BUTTON.search(_page(client, still_open.invitation.user,
                                      f"/impact/surveys/{still_open.invitation.pk}/"))
    closed = world(users, "closed", "closing day passed", True)
    page = _page(client, adviser, f"/impact/surveys/staff/{closed.survey.pk}/")
    assert "/publish/" in page and "/unpublish/" in page
