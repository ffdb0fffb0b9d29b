"""What the impact tests share: surveys with their questions and answers, LLEs
and deployments of a year, results, and squashed HTML to search in."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from deployments.tests.factories import DeploymentFactory, LLEProfileFactory
from impact import surveys
from impact.models import Question, Survey
from lle_portal.models import KeyStage, SchoolResult
from lle_portal.tests.factories import SchoolFactory

from .factories import InvitationFactory, QuestionFactory, SurveyFactory

TODAY = timezone.localdate()


def squash(html: str) -> str:
    """`html` with every run of white space made one space."""
    return " ".join(html.split())


# --- surveys ---------------------------------------------------------------------------------


def a_survey(*, status="open", audience=Survey.Audience.LLES, closes_on=None, **kwargs) -> Survey:
    """A survey with a question per theme and kind: satisfaction (scale), collaboration
    (scale), expectations (yes/no), impact (scale), and a comment."""
    traits = {"open": {"open": True}, "closed": {"closed": True}, "draft": {}}[status]
    survey = SurveyFactory.create(audience=audience, closes_on=closes_on or TODAY + timedelta(days=21),
                                  **traits, **kwargs)
    QuestionFactory(survey=survey, position=1, text="I was satisfied with the service", theme="satisfaction")
    QuestionFactory(survey=survey, position=2, text="The relationship was collaborative", theme="collaboration")
    QuestionFactory(survey=survey, position=3, text="It met my expectations", kind=Question.Kind.YES_NO,
                    theme="expectations")
    QuestionFactory(survey=survey, position=4, text="It had an impact on school improvement", theme="impact")
    QuestionFactory(survey=survey, position=5, text="Any comments?", kind=Question.Kind.TEXT, theme="")
    return survey


def questions(survey: Survey) -> dict[str, Question]:
    return {q.theme or "comment": q for q in survey.questions.all()}


def respond(survey: Survey, n: int, *, scale: int = 5, yes: bool = True, comment: str = "", consent=False):
    """n people invited, who all answer (scale for every scale question)."""
    qs = questions(survey)
    invitations = []
    for _ in range(n):
        invitation = InvitationFactory.create(survey=survey)
        values: dict[int, object] = {q.pk: scale for q in qs.values() if q.kind == Question.Kind.SCALE}
        values[qs["expectations"].pk] = yes
        values[qs["comment"].pk] = comment
        surveys.answers_submit(invitation=invitation, by=invitation.user, answers=values, consent_to_publish=consent)
        invitations.append(invitation)
    return invitations


# --- LLEs, deployments and results -----------------------------------------------------------


def lle(la, designated, *, active=True, stood_down=None):
    return LLEProfileFactory(school=SchoolFactory(local_authority=la), user__school=None, designated_on=designated,
                             is_active=active, stood_down_on=stood_down)


def deploy(lle_profile, school, start=date(2018, 9, 3), end=date(2019, 7, 19)):
    now = timezone.now()
    return DeploymentFactory(lle=lle_profile, client_school=school, need=None, client_head=None, client_head_name="",
                             status="active", start_date=start, end_date=end, lle_accepted_at=now,
                             client_accepted_at=now, agreed_at=now, started_at=now)


def school_results(school, values, measure="PTRWM_EXP", key_stage=KeyStage.KS2):
    SchoolResult.objects.bulk_create(
        SchoolResult(school=school, key_stage=key_stage, measure=measure, year=year, value=value)
        for year, value in values.items()
    )
