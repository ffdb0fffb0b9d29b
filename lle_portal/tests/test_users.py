import pytest

from lle_portal.models import User
from lle_portal.tests.factories import AdviserFactory, GovernorFactory


@pytest.mark.django_db
def test_it_logs_in_by_email_case_insensitively(client):
    GovernorFactory(email="chair@school.example")
    assert client.login(email="Chair@School.example".lower(), password="correct horse battery staple")


@pytest.mark.django_db
def test_it_gives_staff_status_by_role_only():
    assert AdviserFactory().is_staff
    governor = GovernorFactory()
    governor.is_staff = True
    governor.save()
    governor.refresh_from_db()
    assert not governor.is_staff
    assert User.objects.get(pk=governor.pk).role == User.Role.GOVERNOR
