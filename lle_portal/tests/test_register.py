"""A headteacher registers to apply: name, email, password and their school."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lle_portal import services
from lle_portal.models import AuditEvent, School, User
from lle_portal.tests.factories import HeadteacherFactory, SchoolFactory

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


def test_it_creates_a_headteacher_of_the_chosen_school_signs_them_in_and_audits_it(client, schools):
    response = client.post(URL, _form(schools["avenue"]))

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


def test_an_email_already_in_use_gets_a_clear_message(client, schools):
    HeadteacherFactory(email="amira.patel@avenue.example")
    response = client.post(URL, _form(schools["avenue"]))
    html = response.content.decode()
    assert "There is already an account with this email address." in html
    assert 'href="#id_email"' in html
    assert User.objects.count() == 1


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


def test_the_service_refuses_a_duplicate_address_whatever_its_case(schools):
    services.headteacher_register(email="head@avenue.example", full_name="A", password=PASSWORD,
                                  school=schools["avenue"])
    with pytest.raises(ValidationError) as error:
        services.headteacher_register(email="HEAD@avenue.example", full_name="B", password=PASSWORD,
                                      school=schools["avenue"])
    assert "email" in error.value.message_dict
