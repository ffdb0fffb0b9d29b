from datetime import timedelta

import factory
from django.utils import timezone

from deployments.tests.factories import LLEProfileFactory, norfolk
from impact.models import Answer, Question, Survey, SurveyInvitation
from lle_portal.tests.factories import HeadteacherFactory, SchoolFactory


class SurveyFactory(factory.django.DjangoModelFactory):
    """A draft annual survey of Norfolk's LLEs, closing in three weeks; trait `open`."""

    class Meta:
        model = Survey

    local_authority = factory.LazyFunction(norfolk)
    title = factory.Sequence(lambda n: f"LLE programme survey {n}")
    audience = Survey.Audience.LLES
    kind = Survey.Kind.ANNUAL
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=21))

    class Params:
        open = factory.Trait(status=Survey.Status.OPEN, opened_at=factory.LazyFunction(timezone.now))
        closed = factory.Trait(
            status=Survey.Status.CLOSED, opened_at=factory.LazyFunction(timezone.now),
            closed_at=factory.LazyFunction(timezone.now),
        )


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    position = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"I am satisfied with the service ({n})")
    kind = Question.Kind.SCALE
    theme = "satisfaction"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    survey = factory.SubFactory(SurveyFactory, open=True)
    user = factory.LazyAttribute(lambda i: LLEProfileFactory().user)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    invitation = factory.SubFactory(InvitationFactory)
    question = factory.SubFactory(QuestionFactory)
    scale = 4


def client_head(la=None):
    """A headteacher of a Norfolk school (an account, no deployment needed)."""
    return HeadteacherFactory(school=SchoolFactory(local_authority=la or norfolk()))
