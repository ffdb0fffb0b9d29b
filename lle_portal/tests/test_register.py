"""A headteacher registers to apply: name, email, password and their school."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lle_portal import services
from lle_portal.models import AuditEvent, Invitation, OutgoingEmail, School, User
from lle_portal.tests.factories import HeadteacherFactory, SchoolFactory
from lle_portal.tests.registration import confirm_registration_in_client

pytestmark = pytest.mark.django_db

URL = "/accounts/register/"
PASSWORD = "a long and memorable passphrase"


@pytest.fixture
def schools():
    return {
        "avenue": SchoolFactory(urn=121234, name="Avenue Junior School"),
        "infant": SchoolFactory(urn=121235, name="Avenue Infant School"),
        "closed": SchoolFactory(urn=121236, name="Avenue Middle School", status=School.Status.CLOSED),
        "other": SchoolFactory(urn=130000, name="Hethersett Academy"),
    }


def _form(school=None, **overrides):
    data = {
        "full_name": "Amira Patel",
        "email": "Amira.Patel@Avenue.example",
        "school_query": "",
        "school": school.pk if school else "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "action": "register",
    }
    return {**data, **overrides}


def test_it_is_at_accounts_register_and_works_for_visitors(client):
    assert reverse("register") == URL
    html = client.get(URL).content.decode()
    assert "Create an account to apply" in html
    assert 'name="school_query"' in html and "Find school" in html


def test_find_school_lists_the_open_schools_matching_a_name(client, schools):
    response = client.post(URL, _form(school_query="avenue", action="find_school", password1="", password2=""))
    html = response.content.decode()
    assert "2 schools found" in html
    assert "Avenue Junior School (URN 121234)" in html
    assert "Avenue Infant School (URN 121235)" in html
    assert "Avenue Middle School" not in html  # closed
    assert "Hethersett" not in html
    # A search is not a submission: no error summary, and what was typed is kept.
    assert "There is a problem" not in html
    assert 'value="Amira.Patel@Avenue.example"' in html
    assert not User.objects.exists()


def test_find_school_matches_a_urn_exactly(client, schools):
    html = client.post(URL, _form(school_query=" 121235 ", action="find_school")).content.decode()
    assert "1 school found" in html
    assert "Avenue Infant School" in html and "Avenue Junior School" not in html


def test_find_school_says_when_nothing_matches(client, schools):
    html = client.post(URL, _form(school_query="Nowhere", action="find_school")).content.decode()
    assert "No open school matches" in html


def _register(client, django_capture_on_commit_callbacks, data, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(URL, data, **extra)


def _confirm_link(message) -> str:
    match = re.search(r"http://testserver(/accounts/register/confirm/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_it_makes_no_account_until_the_emailed_link_is_followed(client, schools, django_capture_on_commit_callbacks):
    response = _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))

    assert response.status_code == 302
    assert response.url == reverse("register_sent")
    assert "Check your email" in client.get(response.url).content.decode()
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session
    [message] = mail.outbox
    assert message.to == ["amira.patel@avenue.example"]
    assert message.subject == "Confirm your email address for the LLE Portal"
    # The stored copy of the email holds no working link.
    stored = OutgoingEmail.objects.get(template="registration_confirm")
    assert _confirm_link(message) not in stored.body_text + stored.body_html


def test_the_emailed_link_and_the_chosen_password_make_the_account_and_sign_in(
    client, schools, django_capture_on_commit_callbacks
):
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    link = _confirm_link(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm your email address" in page.content.decode()

    response = client.post(link, {"password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("applications:programme")
    user = User.objects.get()
    assert (user.email, user.full_name, user.role, user.school) == (
        "amira.patel@avenue.example", "Amira Patel", User.Role.HEADTEACHER, schools["avenue"])
    assert not user.is_staff
    assert user.check_password(PASSWORD)
    assert client.get("/").context["user"] == user
    event = AuditEvent.objects.get(verb="user.registered")
    assert (event.target, event.actor, event.data) == (user, user, {"school_urn": 121234, "school_link": "claimed"})
    # A claim, not a link: the adviser of the school's LA confirms it (test_affiliation.py).
    assert user.school_confirmed_at is None
    # The link works once.
    client.logout()
    assert client.get(link).status_code == 404
    assert client.post(link, {"password": PASSWORD}).status_code == 404
    assert User.objects.count() == 1


def test_an_email_already_in_use_gets_the_same_answer_as_a_new_one(
    client, schools, django_capture_on_commit_callbacks
):
    # The attack: learning who has an account by trying to register their address.
    HeadteacherFactory(email="amira.patel@avenue.example")
    known = _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    unknown = _register(client, django_capture_on_commit_callbacks,
                        _form(schools["avenue"], email="someone.new@avenue.example"))

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, reverse("register_sent"))
    assert client.get(known.url).content == client.get(unknown.url).content
    assert User.objects.count() == 1


def test_the_holder_of_a_registered_address_is_told_someone_tried(client, schools, django_capture_on_commit_callbacks):
    HeadteacherFactory(email="amira.patel@avenue.example")
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"], email="AMIRA.PATEL@avenue.example"))

    [message] = mail.outbox
    assert message.to == ["amira.patel@avenue.example"]
    body = message.body
    assert "Someone tried to create an account" in body
    assert "http://testserver/accounts/login/" in body
    assert "http://testserver/accounts/password/reset/" in body
    assert "/accounts/register/confirm/" not in body
    assert User.objects.count() == 1


def test_someone_who_does_not_know_the_chosen_password_cannot_confirm(
    client, schools, django_capture_on_commit_callbacks
):
    # The attack: registering another person's address with a password of
    # one's own, hoping they click the link and so make an account the
    # attacker can sign in to.
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"], password1="the attackers own phrase",
                                                                password2="the attackers own phrase"))
    link = _confirm_link(mail.outbox[0])
    response = client.post(link, {"password": "what the owner would type"})
    assert response.status_code == 200
    assert "This is not the password chosen when the account was asked for." in response.content.decode()
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_registering_again_replaces_the_first_link(client, schools, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    first = _confirm_link(mail.outbox[0])
    _register(client, django_capture_on_commit_callbacks, _form(schools["infant"]))
    second = _confirm_link(mail.outbox[1])

    assert client.get(first).status_code == 404
    assert client.post(second, {"password": PASSWORD}).status_code == 302
    assert User.objects.get().school == schools["infant"]


def test_an_expired_confirmation_link_cannot_be_used(client, schools, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    link = _confirm_link(mail.outbox[0])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link, {"password": PASSWORD})
    assert response.status_code == 404
    assert "This link cannot be used" in response.content.decode()
    assert not User.objects.exists()


def test_a_registration_link_is_not_an_invitation_link(client, schools, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    token = _confirm_link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    # The invitation page would let its holder choose any password.
    assert client.get(reverse("invitation_accept", args=[token])).status_code == 404


def test_fifteen_registrations_of_one_address_send_at_most_three_emails(
    client, schools, django_capture_on_commit_callbacks
):
    HeadteacherFactory(email="amira.patel@avenue.example")
    for _ in range(15):
        response = _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
        assert response.url == reverse("register_sent")
    assert len(mail.outbox) == 3


def test_the_password_validators_apply(client, schools):
    response = client.post(URL, _form(schools["avenue"], password1="short", password2="short"))
    assert "This password is too short." in response.content.decode()
    assert not User.objects.exists()


def test_passwords_that_differ_are_refused(client, schools):
    response = client.post(URL, _form(schools["avenue"], password2="another long passphrase"))
    assert "The two password fields didn’t match." in response.content.decode()


def test_a_school_must_be_chosen(client, schools):
    html = client.post(URL, _form()).content.decode()
    assert "Choose your school: find it by its URN or name, then select it." in html
    assert 'href="#id_school_0"' in html
    assert not User.objects.exists()


def test_the_typed_answers_are_kept_when_there_is_an_error(client, schools):
    html = client.post(URL, _form(schools["avenue"], full_name="")).content.decode()
    assert "Enter your full name." in html
    assert 'value="Amira.Patel@Avenue.example"' in html
    assert "Avenue Junior School (URN 121234)" in html
    assert PASSWORD not in html  # never sent back


def test_someone_signed_in_is_sent_home(client, users):
    client.force_login(users["governor"])
    assert client.get(URL).url == "/"


def test_the_service_makes_no_second_account_for_an_address_whatever_its_case(schools):
    HeadteacherFactory(email="head@avenue.example")
    services.headteacher_register(email="HEAD@avenue.example", full_name="B", password=PASSWORD,
                                  school=schools["avenue"])
    assert User.objects.count() == 1
    assert not Invitation.objects.exists()


def test_five_wrong_passwords_at_the_link_end_it(client, schools, django_capture_on_commit_callbacks):
    # Guessing the registrant's password at a link one has intercepted or been sent.
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    link = _confirm_link(mail.outbox[0])
    assert [client.post(link, {"password": f"guess number {n}"}).status_code for n in range(5)] == [200] * 5

    assert client.post(link, {"password": PASSWORD}).status_code == 404
    assert not User.objects.exists()


def test_an_adviser_cannot_resend_a_registration_as_an_invitation(schools, users, django_capture_on_commit_callbacks):
    services.headteacher_register(email="amira@avenue.example", full_name="Amira Patel", password=PASSWORD,
                                  school=schools["avenue"])
    registration = Invitation.objects.get(email="amira@avenue.example")
    with pytest.raises(ValidationError):
        services.invitation_resend(invitation=registration, by=users["adviser"])


def test_the_shared_helper_follows_the_link(client, schools, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks, _form(schools["avenue"]))
    response = confirm_registration_in_client(client, "Amira.Patel@Avenue.example", PASSWORD)
    assert response.url == reverse("applications:programme")
