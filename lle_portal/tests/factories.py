import factory
from django.utils import timezone

from lle_portal.models import Inspection, LocalAuthority, School, SchoolResult, User


class LocalAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalAuthority
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{800 + n % 199:03d}")
    name = factory.Sequence(lambda n: f"Local Authority {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    urn = factory.Sequence(lambda n: 900000 + n)
    name = factory.Sequence(lambda n: f"Test Primary School {n}")
    local_authority = factory.SubFactory(LocalAuthorityFactory)
    phase = School.Phase.PRIMARY
    status = School.Status.OPEN
    town = "Norwich"
    postcode = "NR1 1AA"
    latitude = 52.63
    longitude = 1.29


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    school = factory.SubFactory(SchoolFactory)
    inspection_date = factory.LazyFunction(lambda: timezone.localdate().replace(year=2019))
    overall_effectiveness = Inspection.Grade.GOOD
    leadership_and_management = Inspection.Grade.GOOD


class SchoolResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolResult

    school = factory.SubFactory(SchoolFactory)
    key_stage = "KS2"
    measure = "PTRWM_EXP"
    year = 2019
    value = 70


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    role = User.Role.HEADTEACHER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def local_authorities(self, create, extracted, **kwargs):
        if create and extracted:
            self.local_authorities.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


def _head_confirmed_at(head):
    """A head's link is confirmed, as the adviser would, unless the school
    already has a confirmed head: a second head of one school is a claim
    (the database allows one confirmed head per school)."""
    if head.school is None or User.objects.filter(User.confirmed_heads_q(active=False), school=head.school).exists():
        return None
    return timezone.now()


class HeadteacherFactory(UserFactory):
    """A head whose link to their school is confirmed; `claim=True` for a head
    who registered and waits for the adviser (the link gives nothing yet)."""

    role = User.Role.HEADTEACHER
    school = factory.SubFactory(SchoolFactory)
    school_confirmed_at = factory.LazyAttribute(_head_confirmed_at)

    class Params:
        claim = factory.Trait(school_confirmed_at=None)


class AdviserFactory(UserFactory):
    role = User.Role.ADVISER


class AssessorFactory(UserFactory):
    role = User.Role.ASSESSOR


class GovernorFactory(UserFactory):
    """A governor, invited by the adviser: their school link is granted."""

    role = User.Role.GOVERNOR
    school = factory.SubFactory(SchoolFactory)
    school_confirmed_at = factory.LazyAttribute(lambda g: timezone.now() if g.school else None)
