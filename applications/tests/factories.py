from datetime import date, timedelta

import factory
from django.utils import timezone

from applications.models import Application, ApplicationRound, FloorStandard, RefereeNomination
from lle_portal.tests.factories import (
    HeadteacherFactory,
    InspectionFactory,
    LocalAuthorityFactory,
    SchoolFactory,
    SchoolResultFactory,
)


class ApplicationRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationRound
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"LLE recruitment round {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    decisions_by = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=50))
    places = 10

    @factory.post_generation
    def local_authorities(self, create, extracted, **kwargs):
        if create:
            self.local_authorities.set(extracted or [LocalAuthorityFactory(code="926", name="Norfolk")])

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=40)),
            closes_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
        )


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft; the `complete` trait fills every section of a strong application."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    round = factory.SubFactory(ApplicationRoundFactory)
    applicant = factory.SubFactory(HeadteacherFactory)
    school = factory.LazyAttribute(lambda a: a.applicant.school)

    class Params:
        complete = factory.Trait(
            appointed_head_on=date(2018, 9, 1),
            previous_headship_years=0,
            declared_inspection_date=date(2019, 3, 12),
            declared_leadership=2,
            declared_overall_effectiveness=2,
            declared_above_floor=Application.YesNoUnsure.YES,
            performance_summary="Results above the national average for three years.",
            slt_can_cover=True,
            slt_details="The deputy head leads on the days I am away.",
            phase_offered="primary",
            specialisms=["leadership", "maths"],
            impact_on_outcomes="Attainment rose from 55% to 78% over four years.",
            school_improvement="Led the school from requires improvement to good.",
            supporting_others="Coached two new heads in the cluster.",
            capacity="1.0",
            chair_of_governors_name="Margaret Ellis",
            chair_of_governors_email="chair@school.example",
            governors_approved=True,
            slt_approved=True,
            referee=factory.RelatedFactory(
                "applications.tests.factories.RefereeNominationFactory", factory_related_name="application"
            ),
        )


class RefereeNominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RefereeNomination

    application = factory.SubFactory(ApplicationFactory)
    name = "Dr Helen Price"
    email = factory.Sequence(lambda n: f"sponsor{n}@norfolk.example")
    role = RefereeNomination.Role.LA_OFFICER
    organisation = "Norfolk County Council"
    relationship = "Link adviser to the school for five years."


def chair_answered(application, *, approve: bool = True, status: str = "received"):
    """The chair of governors' link, answered (the governing body's approval,
    applications.approvals.chair_approval): made directly, as if the chair had used it."""
    from datetime import timedelta
    from secrets import token_hex

    from django.utils import timezone

    from applications.models import LinkRequest

    now = timezone.now()
    return LinkRequest.objects.create(
        application=application, kind=LinkRequest.Kind.GOVERNORS_APPROVAL, status=status,
        recipient_name=application.chair_of_governors_name, recipient_email=application.chair_of_governors_email,
        nonce=token_hex(16), token_hash=token_hex(32), created_at=now, sent_at=now, expires_at=now + timedelta(days=21),
        responded_at=now, answers={"approve": "yes" if approve else "no"} if status == "received" else {},
    )


def avenue_junior_school():
    """Norfolk with Avenue Junior School (good leadership, KS2 results above the
    floor 2017-2019) and its infant neighbour, for the browser journeys.

    A transactional test's flush empties the tables a data migration filled, so
    the KS2 floor standards of those years are put back too."""
    for year in (2017, 2018, 2019):
        FloorStandard.objects.update_or_create(
            key_stage="KS2", year=year,
            defaults={"attainment_measure": "PTRWM_EXP", "attainment_min": 65,
                      "progress_minimums": {"READPROG": -5, "MATPROG": -5, "WRITPROG": -7},
                      "description": "65% expected standard, or progress -5/-5/-7"},
        )
    la = LocalAuthorityFactory(code="926", name="Norfolk")
    school = SchoolFactory(urn=121234, name="Avenue Junior School", local_authority=la)
    SchoolFactory(urn=121235, name="Avenue Infant School", local_authority=la)
    InspectionFactory(school=school, inspection_date=date(2019, 3, 12), leadership_and_management=2)
    for year, value in ((2017, 71), (2018, 74), (2019, 78)):
        SchoolResultFactory(school=school, year=year, measure="PTRWM_EXP", value=value)
    return school
