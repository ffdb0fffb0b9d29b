from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from applications.models import LLEProfile
from deployments.models import (
    Deployment,
    DeploymentColleague,
    Objective,
    SupportNeed,
    VisitRecord,
    add_months,
)
from lle_portal.tests.factories import HeadteacherFactory, LocalAuthorityFactory, SchoolFactory


def norfolk():
    return LocalAuthorityFactory(code="926", name="Norfolk")


def school_day_before(days: int = 1):
    """The last school day (England's usual pattern, kept by the test LAs) at least
    `days` before today: a visit recorded through the services must fall on one."""
    from lle_portal.school_calendar import calendar_for

    return calendar_for(None).last_school_day(timezone.localdate() - timedelta(days=days))


class LLEProfileFactory(factory.django.DjangoModelFactory):
    """A designated, trained, active LLE: the head of a Norfolk primary school."""

    class Meta:
        model = LLEProfile

    user = factory.SubFactory(
        HeadteacherFactory, school=factory.SubFactory(SchoolFactory, local_authority=factory.LazyFunction(norfolk))
    )
    school = factory.LazyAttribute(lambda p: p.user.school)
    phase = "primary"
    specialisms = factory.LazyFunction(lambda: ["leadership", "maths"])
    days_per_week = Decimal("1.0")
    designated_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=300))
    trained_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=250))
    is_active = True


class ClientSchoolFactory(SchoolFactory):
    local_authority = factory.LazyFunction(norfolk)  # type: ignore[assignment]
    name = factory.Sequence(lambda n: f"Client Primary School {n}")
    latitude = Decimal("52.700000")  # type: ignore[assignment]
    longitude = Decimal("1.300000")  # type: ignore[assignment]


class SupportNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportNeed

    client_school = factory.SubFactory(ClientSchoolFactory)
    client_head = factory.LazyAttribute(lambda n: HeadteacherFactory(school=n.client_school))
    client_head_name = factory.LazyAttribute(lambda n: n.client_head.full_name if n.client_head else "")
    reasons = factory.LazyFunction(lambda: ["vulnerable"])
    focus_areas = factory.LazyFunction(lambda: ["maths"])
    days_per_week = Decimal("0.5")


class DeploymentFactory(factory.django.DjangoModelFactory):
    """A proposed deployment; traits `agreed` and `active` for later states."""

    class Meta:
        model = Deployment

    lle = factory.SubFactory(LLEProfileFactory)
    need = factory.SubFactory(SupportNeedFactory, status=SupportNeed.Status.MATCHED)
    client_school = factory.LazyAttribute(lambda d: d.need.client_school)
    client_head = factory.LazyAttribute(lambda d: d.need.client_head)
    client_head_name = factory.LazyAttribute(lambda d: d.need.client_head_name)
    days_per_week = Decimal("0.5")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    end_date = factory.LazyAttribute(lambda d: add_months(d.start_date, 12))
    rate_per_day = Decimal("350.00")

    class Params:
        agreed = factory.Trait(
            status=Deployment.Status.AGREED,
            lle_accepted_at=factory.LazyFunction(timezone.now),
            client_accepted_at=factory.LazyFunction(timezone.now),
            agreed_at=factory.LazyFunction(timezone.now),
        )
        active = factory.Trait(
            status=Deployment.Status.ACTIVE,
            lle_accepted_at=factory.LazyFunction(timezone.now),
            client_accepted_at=factory.LazyFunction(timezone.now),
            agreed_at=factory.LazyFunction(timezone.now),
            started_at=factory.LazyFunction(timezone.now),
        )


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    deployment = factory.SubFactory(DeploymentFactory, active=True)
    title = factory.Sequence(lambda n: f"Objective {n}")
    measure_of_success = "Attainment in reading up by 10 points"


class ColleagueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentColleague

    deployment = factory.SubFactory(DeploymentFactory, active=True)
    name = factory.Sequence(lambda n: f"Deputy {n}")
    job_title = "Deputy headteacher"


class VisitRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitRecord

    deployment = factory.SubFactory(DeploymentFactory, active=True)
    visit_date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=1 + n % 50))
    days = Decimal("1.0")
    activities = factory.LazyFunction(lambda: ["coaching"])
    summary = "Coaching session with the head."
    progress = "Monitoring calendar drafted."
    next_steps = "Joint learning walk."
    recorded_by = factory.LazyAttribute(lambda v: v.deployment.lle.user)

    class Params:
        confirmed = factory.Trait(status=VisitRecord.Status.CONFIRMED, confirmed_at=factory.LazyFunction(timezone.now))
