"""Property-based tests of the account pages: signing in, password reset and
change, registration (with "Find school") and invitation links. Hostile input
never gets a server error; a refused form shows its errors and saves nothing."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from lle_portal import services
from lle_portal.models import Invitation, User
from lle_portal.tests.fuzz import (
    assert_answered,
    assert_shows_errors,
    form_data,
    fuzz,
    hostile_text,
    post_form,
    rolled_back,
    table_counts,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
STRONG = "a long and memorable passphrase"
# Tables a sign-in attempt may write whatever its outcome (sessions, the lockout counter).
NOT_COUNTED = ("django_session",)


def _counts() -> dict[str, int]:
    return {table: n for table, n in table_counts().items() if table not in NOT_COUNTED}


@fuzz
@given(data=form_data({"username": ["", "person0@example.org"], "password": ["", PASSWORD, "wrong"]}))
@example(data={"username": "a\x00@example.org", "password": "\x00"})
def test_signing_in_with_hostile_input_is_refused_with_a_message(client, users, data):
    with rolled_back():
        before = _counts()
        response = post_form(client, reverse("login"), data)
        # 429: django-axes' lockout page after repeated failures.
        assert_answered(response, (200, 302, 429))
        if response.status_code == 200:
            assert_shows_errors(response)
            assert "_auth_user_id" not in client.session
        assert _counts() == before
        client.logout()


@fuzz
@given(data=form_data({"email": ["", "person0@example.org", "nobody@example.org"]}))
@example(data={"email": "\x00@example.org"})
def test_asking_for_a_password_reset_with_hostile_input_never_fails(client, users, data):
    with rolled_back():
        before = _counts()
        sent = len(mail.outbox)
        response = post_form(client, reverse("password_reset"), data)
        assert_answered(response)
        if response.status_code == 200:
            assert_shows_errors(response)
            assert _counts() == before
            assert len(mail.outbox) == sent


@fuzz
@given(data=form_data({
    "old_password": ["", PASSWORD],
    "new_password1": ["", STRONG, "short"],
    "new_password2": ["", STRONG],
}))
def test_changing_a_password_with_hostile_input_changes_nothing_when_refused(client, users, data):
    user = users["headteacher"]
    client.force_login(user)
    with rolled_back():
        before = _counts()
        response = post_form(client, reverse("password_change"), data)
        assert_answered(response)
        if response.status_code == 200:
            assert_shows_errors(response)
            assert _counts() == before
            user.refresh_from_db()
            assert user.check_password(PASSWORD)


@fuzz
@given(
    data=form_data({
        "full_name": ["", "Ada Head"],
        "email": ["", "new.head@school.example", "person0@example.org"],
        "school_query": ["", "Test", "100001", "Primary"],
        "school": [""],  # the school's id is added below
        "password1": ["", STRONG],
        "password2": ["", STRONG],
        "action": ["", "find_school", "register"],
    }),
    choose_school=st.booleans(),
)
@example(data={"school_query": "\x00", "action": "find_school"}, choose_school=False)
@example(data={"school_query": "²", "action": "find_school"}, choose_school=False)
@example(data={"school": "²", "full_name": "Ada"}, choose_school=False)
@example(data={"school": "9" * 30, "school_query": "9" * 30}, choose_school=False)
@example(data={"school_query": "9" * 30, "action": "find_school"}, choose_school=False)
@example(data={"school_query": "word " * 20_000, "action": "find_school"}, choose_school=False)
def test_registering_with_hostile_input_makes_no_account_unless_it_is_valid(client, users, data, choose_school):
    if choose_school and "school" in data:
        data["school"] = str(users["headteacher"].school_id)
    cache.clear()  # the hourly limit on registration emails counts across examples
    with rolled_back():
        before = _counts()
        users_before = User.objects.count()
        response = post_form(client, reverse("register"), data)
        assert_answered(response)
        if response.status_code == 200:
            assert _counts() == before
            if data.get("action") != "find_school":
                assert_shows_errors(response)
        else:
            # Only the emailed link makes an account; a new address has one waiting.
            assert response.url == reverse("register_sent")
            assert User.objects.count() == users_before
            assert "_auth_user_id" not in client.session
            if data["email"] == "new.head@school.example":
                assert Invitation.objects.filter(self_registered=True, email=data["email"]).exists()
        client.logout()


@pytest.fixture
def invitation_link(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            email="grace@governors.example", full_name="Grace Governor", role=User.Role.GOVERNOR,
            school=users["governor"].school, by=users["adviser"],
        )
    return re.search(r"http://testserver(/accounts/invitation/[A-Za-z0-9_-]+/)", mail.outbox[-1].body).group(1)


@fuzz
@given(data=form_data({"full_name": ["", "Grace Governor"], "password1": ["", STRONG], "password2": ["", STRONG]}))
@example(data={"full_name": "Grace\x00", "password1": STRONG, "password2": STRONG})
def test_accepting_an_invitation_with_hostile_input_makes_no_account_when_refused(client, invitation_link, data):
    with rolled_back():
        before = _counts()
        response = post_form(client, invitation_link, data)
        assert_answered(response)
        if response.status_code == 200:
            assert_shows_errors(response)
            assert _counts() == before
        else:
            assert User.objects.filter(email="grace@governors.example").exists()
        client.logout()


@fuzz
@given(token=hostile_text.filter(lambda t: t.strip() and "/" not in t and "\\" not in t))
@example(token="\x00")
@example(token="x" * 5_000)
def test_a_hostile_invitation_token_gets_the_same_404_page(client, users, token):
    with rolled_back():
        before = _counts()
        token = quote(token, safe="", errors="surrogatepass")
        url = reverse("invitation_accept", args=["TOKEN"]).replace("TOKEN", token)
        response = post_form(client, url, {"full_name": "Mallory", "password1": STRONG, "password2": STRONG})
        assert_answered(response, (404,))
        assert _counts() == before


@fuzz
@given(data=form_data({"new_email": ["", "grace.new@governors.example", "person0@example.org"],
                       "password": ["", PASSWORD, "wrong"]}))
@example(data={"new_email": "a\x00@example.org", "password": PASSWORD})
def test_asking_for_an_email_change_with_hostile_input_never_fails_nor_changes_the_address(client, users, data):
    governor = users["governor"]
    with rolled_back():
        client.force_login(governor)
        response = post_form(client, reverse("email_change"), data)
        assert_answered(response, (200, 302))
        if response.status_code == 200:
            assert_shows_errors(response)
        assert User.objects.get(pk=governor.pk).email == governor.email  # only the emailed link changes it
        client.logout()


@fuzz
@given(token=hostile_text.filter(lambda t: t.strip() and "/" not in t and "\\" not in t))
@example(token="\x00")
@example(token="x" * 5_000)
def test_a_hostile_email_change_token_gets_the_same_404_page(client, users, token):
    with rolled_back():
        before = _counts()
        token = quote(token, safe="", errors="surrogatepass")
        url = reverse("email_change_confirm", args=["TOKEN"]).replace("TOKEN", token)
        assert_answered(client.post(url), (404,))
        assert _counts() == before
