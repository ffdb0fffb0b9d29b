"""What the impact app holds about a person: exported, and erased once the
retention period has passed, keeping the survey's counts."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from impact import surveys
from impact.models import Answer, Question, Survey, SurveyInvitation
from lle_portal import privacy
from lle_portal.tests.factories import HeadteacherFactory
from lle_portal.tests.privacy_search import tables_containing

from .factories import AnswerFactory, InvitationFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

EMAIL = "mary.seacole@school.example"


@pytest.fixture
def answered():
    survey = SurveyFactory(open=True)
    scale = QuestionFactory(survey=survey, theme="satisfaction")
    comment = QuestionFactory(survey=survey, kind=Question.Kind.TEXT, theme="", text="Anything else?")
    head = HeadteacherFactory(email=EMAIL, full_name="Mary Seacole")
    invitation = InvitationFactory(survey=survey, user=head, responded_at=timezone.now(), consent_to_publish=True)
    AnswerFactory(invitation=invitation, question=scale, scale=5)
    AnswerFactory(invitation=invitation, question=comment, scale=None,
                  text="Mary Seacole here: an invaluable partnership (mary.seacole@school.example).")
    surveys.survey_close(survey=survey)
    return invitation


def test_the_export_holds_the_invitations_and_answers(answered):
    data = privacy.person_export(email=EMAIL)
    impact = data["impact"]
    assert [row["survey"] for row in impact["survey_invitations"]] == [answered.survey.title]
    assert {row.get("scale") for row in impact["survey_answers"]} == {5, None}
    assert any("invaluable partnership" in row["text"] for row in impact["survey_answers"])


def test_an_open_survey_keeps_the_data_in_use(answered):
    Survey.objects.filter(pk=answered.survey_id).update(status=Survey.Status.OPEN)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(days=7 * 365)), \
            pytest.raises(privacy.ErasureRefused):
        privacy.person_erase(email=EMAIL)


def test_erasure_removes_the_comment_and_keeps_the_counts(answered):
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(days=7 * 365)):
        result = privacy.person_erase(email=EMAIL)
    assert result.swept == {}
    assert tables_containing(EMAIL) == {}
    assert tables_containing("Mary Seacole") == {}
    assert SurveyInvitation.objects.filter(survey=answered.survey, responded_at__isnull=False).count() == 1
    assert list(Answer.objects.filter(invitation=answered).exclude(scale=None).values_list("scale", flat=True)) == [5]
    assert Answer.objects.get(invitation=answered, scale=None).text == privacy.ERASED
