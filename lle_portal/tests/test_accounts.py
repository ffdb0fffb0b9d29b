"""Signing in and out, changing and resetting a password."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from lle_portal.models import AuditEvent, OutgoingEmail
from lle_portal.tests.factories import GovernorFactory, HeadteacherFactory

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a quite different long passphrase"


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_it_signs_in_by_email_whatever_its_case(client):
    governor = GovernorFactory(email="chair@school.example")
    response = client.post(reverse("login"), {"username": "Chair@School.EXAMPLE", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert _signed_in_user_id(client) == str(governor.pk)


@pytest.mark.django_db
def test_it_follows_next_after_signing_in(client):
    GovernorFactory(email="chair@school.example")
    response = client.post(
        reverse("login"),
        {"username": "chair@school.example", "password": PASSWORD, "next": reverse("password_change")},
    )
    assert response.url == reverse("password_change")


@pytest.mark.django_db
def test_it_shows_the_error_summary_for_a_wrong_password_without_saying_whether_the_account_exists(client):
    GovernorFactory(email="chair@school.example")
    wrong_password = client.post(reverse("login"), {"username": "chair@school.example", "password": "nope"})
    no_account = client.post(reverse("login"), {"username": "nobody@school.example", "password": "nope"})
    for response in (wrong_password, no_account):
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" in html
        assert "Enter a correct email address and password." in html
        assert "<title>Error: Sign in" in html
    assert _signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_links_each_missing_field_in_the_error_summary(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    html = response.content.decode()
    assert '<a href="#id_username">Enter your email address.</a>' in html
    assert '<a href="#id_password">Enter your password.</a>' in html


@pytest.mark.django_db
def test_it_refuses_a_deactivated_account(client):
    GovernorFactory(email="gone@school.example", is_active=False)
    response = client.post(reverse("login"), {"username": "gone@school.example", "password": PASSWORD})
    assert response.status_code == 200
    assert _signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_signs_out_only_by_post(client):
    client.force_login(GovernorFactory())
    assert client.get(reverse("logout")).status_code == 405
    assert _signed_in_user_id(client) is not None
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert _signed_in_user_id(client) is None


@pytest.mark.django_db
def test_it_changes_the_password_of_the_signed_in_person(client):
    head = HeadteacherFactory()
    client.force_login(head)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    head.refresh_from_db()
    assert head.check_password(NEW_PASSWORD)
    # Django keeps the session that changed the password signed in.
    assert _signed_in_user_id(client) == str(head.pk)


@pytest.mark.django_db
def test_it_refuses_a_short_new_password(client):
    head = HeadteacherFactory()
    client.force_login(head)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 200
    assert 'href="#id_new_password2"' in response.content.decode()
    head.refresh_from_db()
    assert head.check_password(PASSWORD)


def _reset_link(body: str) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/[^\s]+/)", body)
    assert match, body
    return match.group(1)


@pytest.mark.django_db
def test_it_emails_a_reset_link_through_the_email_queue_once(client, django_capture_on_commit_callbacks):
    head = HeadteacherFactory(email="head@school.example", full_name="Ann O'Neill")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "HEAD@school.example"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")

    queued = OutgoingEmail.objects.get()
    assert (queued.to, queued.template, queued.about) == ("head@school.example", "password_reset", head)
    assert queued.sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["head@school.example"]
    assert message.subject == "Reset your LLE Portal password"
    # The text part is not HTML-escaped.
    assert "Dear Ann O'Neill," in message.body
    assert _reset_link(message.body) in message.alternatives[0][0]
    assert AuditEvent.objects.filter(verb="user.password_reset_requested", object_id=str(head.pk)).exists()


@pytest.mark.django_db
def test_it_builds_the_reset_link_from_site_url_not_the_host_header(client, django_capture_on_commit_callbacks):
    HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "head@school.example"}, HTTP_HOST="localhost")
    assert "http://testserver/accounts/password/reset/" in mail.outbox[0].body
    assert "localhost" not in mail.outbox[0].body


@pytest.mark.django_db
def test_it_answers_the_same_for_an_unknown_address_and_sends_nothing(client, django_capture_on_commit_callbacks):
    HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("password_reset"), {"email": "head@school.example"}, follow=True)
        unknown = client.post(reverse("password_reset"), {"email": "nobody@school.example"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    assert OutgoingEmail.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_reset_link_sets_a_new_password_once(client, django_capture_on_commit_callbacks):
    head = HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "head@school.example"})
    link = _reset_link(mail.outbox[0].body)

    # Django swaps the token in the URL for one kept in the session.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    head.refresh_from_db()
    assert head.check_password(NEW_PASSWORD)

    again = client.get(link, follow=True)
    assert "This link cannot be used" in again.content.decode()


@pytest.mark.django_db
def test_the_admin_sign_in_page_offers_the_password_reset(client):
    response = client.get(reverse("admin:login"))
    assert reverse("admin_password_reset") in response.content.decode()
    assert client.get(reverse("admin_password_reset")).url == reverse("password_reset")
