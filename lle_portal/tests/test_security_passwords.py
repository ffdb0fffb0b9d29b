"""Passwords: at least 12 characters and not a common one, wherever a password is chosen."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from lle_portal import services
from lle_portal.models import User
from lle_portal.tests.factories import GovernorFactory, HeadteacherFactory, SchoolFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
TOO_SHORT = "Qx7#vB2!m9"  # 10 characters, nothing common about it
COMMON = "password1234"  # 12 characters, but in the list of 20,000 common passwords
SHORT_MESSAGE = "This password is too short. It must contain at least 12 characters."
COMMON_MESSAGE = "This password is too common."


def _page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _assert_refused(response, message: str) -> None:
    assert response.status_code == 200
    html = _page(response)
    assert "There is a problem" in html
    assert message in html


@pytest.mark.parametrize(("password", "message"), [(TOO_SHORT, SHORT_MESSAGE), (COMMON, COMMON_MESSAGE)])
def test_registration_refuses_a_short_or_common_password_and_makes_no_account(client, password, message):
    school = SchoolFactory()
    response = client.post(reverse("register"), {
        "full_name": "Amira Patel", "email": "amira@avenue.example", "school_query": "", "school": school.pk,
        "password1": password, "password2": password, "action": "register",
    })
    _assert_refused(response, message)
    assert not User.objects.filter(email="amira@avenue.example").exists()


@pytest.mark.parametrize(("password", "message"), [(TOO_SHORT, SHORT_MESSAGE), (COMMON, COMMON_MESSAGE)])
def test_accepting_an_invitation_refuses_a_short_or_common_password(
    client, users, password, message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(email="grace@governors.example", full_name="Grace Governor",
                                   role=User.Role.GOVERNOR, school=users["governor"].school, by=users["adviser"])
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[-1].body).group(1)

    response = client.post(link, {"full_name": "Grace Governor", "password1": password, "password2": password})

    _assert_refused(response, message)
    assert not User.objects.filter(email="grace@governors.example").exists()


@pytest.mark.parametrize(("password", "message"), [(TOO_SHORT, SHORT_MESSAGE), (COMMON, COMMON_MESSAGE)])
def test_changing_a_password_refuses_a_short_or_common_one(client, password, message):
    governor = GovernorFactory()
    client.force_login(governor)

    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": password, "new_password2": password,
    })

    _assert_refused(response, message)
    governor.refresh_from_db()
    assert governor.check_password(PASSWORD)


@pytest.mark.parametrize(("password", "message"), [(TOO_SHORT, SHORT_MESSAGE), (COMMON, COMMON_MESSAGE)])
def test_resetting_a_password_refuses_a_short_or_common_one(
    client, password, message, django_capture_on_commit_callbacks
):
    head = HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "head@school.example"})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[-1].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]

    response = client.post(set_password_url, {"new_password1": password, "new_password2": password})

    _assert_refused(response, message)
    head.refresh_from_db()
    assert head.check_password(PASSWORD)


def test_a_twelve_character_uncommon_password_is_accepted(client):
    governor = GovernorFactory()
    client.force_login(governor)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Tq8!meadow42", "new_password2": "Tq8!meadow42",
    })
    assert response.status_code == 302
    governor.refresh_from_db()
    assert governor.check_password("Tq8!meadow42")
