import pytest
from django.http import HttpRequest

from lle_portal.models import User
from lle_portal.tests.factories import AdviserFactory, GovernorFactory


@pytest.mark.django_db
def test_it_logs_in_by_email_case_insensitively(client):
    GovernorFactory(email="chair@school.example")
    # django-axes counts attempts per client address, so authenticate() needs the request.
    assert client.login(request=HttpRequest(), email="Chair@School.example".lower(),
                        password="correct horse battery staple")


@pytest.mark.django_db
def test_it_gives_staff_status_by_role_only():
    assert AdviserFactory().is_staff
    governor = GovernorFactory()
    governor.is_staff = True
    governor.save()
    governor.refresh_from_db()
    assert not governor.is_staff
    assert User.objects.get(pk=governor.pk).role == User.Role.GOVERNOR


@pytest.mark.django_db
def test_an_adviser_can_work_in_the_admin_but_not_edit_the_audit_log():
    adviser = AdviserFactory()
    assert adviser.has_perm("lle_portal.change_school")
    assert adviser.has_module_perms("lle_portal")
    assert adviser.has_perm("auditlog.view_logentry")
    assert not adviser.has_perm("auditlog.delete_logentry")
    assert not adviser.has_perm("auth.change_group")


@pytest.mark.django_db
def test_a_governor_has_no_admin_permissions():
    governor = GovernorFactory()
    assert not governor.has_perm("lle_portal.view_school")
    assert not governor.has_module_perms("lle_portal")
