"""Signing in: lockout after repeated wrong passwords (django-axes), the client's
address behind our proxies, and a new session at sign-in."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from lle_portal.http import client_ip
from lle_portal.tests.factories import AdviserFactory, GovernorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
EMAIL = "chair@school.example"
LOCKED = "Signing in is paused"


def _sign_in(client, password, *, email=EMAIL, ip="192.0.2.10", url=None, **extra):
    return client.post(url or reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def _fail(client, times, **kwargs) -> list[int]:
    return [_sign_in(client, "not the password", **kwargs).status_code for _ in range(times)]


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_address_from_that_network_even_with_the_right_password(client):
    GovernorFactory(email=EMAIL)
    # The fifth wrong password is answered with the lockout page.
    assert _fail(client, 5) == [200, 200, 200, 200, 429]

    response = _sign_in(client, PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert "paused for 15 minutes" in html
    assert not _signed_in(client)


def test_four_wrong_passwords_then_the_right_one_signs_in_and_clears_the_count(client):
    GovernorFactory(email=EMAIL)
    assert _fail(client, 4) == [200] * 4
    assert _sign_in(client, PASSWORD).status_code == 302
    assert _signed_in(client)
    assert not AccessAttempt.objects.filter(username=EMAIL).exists()


def test_the_lock_holds_whatever_the_case_of_the_address(client):
    GovernorFactory(email=EMAIL)
    _fail(client, 3, email=EMAIL)
    _fail(client, 2, email=EMAIL.upper())
    assert _sign_in(client, PASSWORD, email="Chair@School.Example").status_code == 429


def _reset_password(client, email, new_password, django_capture_on_commit_callbacks) -> None:
    """Ask for a reset email, follow its link and choose a new password."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("password_reset"), {"email": email}).status_code == 302
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[-1].body).group(1)  # type: ignore[arg-type, union-attr]
    form_page = client.get(link, follow=True)
    response = client.post(form_page.redirect_chain[-1][0],
                           {"new_password1": new_password, "new_password2": new_password})
    assert response.url == reverse("password_reset_complete")


def test_five_wrong_passwords_from_five_addresses_lock_the_account(client, django_capture_on_commit_callbacks):
    # The attack: guessing one person's password from many addresses (a
    # botnet), each staying under the per-address limit.
    GovernorFactory(email=EMAIL)
    statuses = [_sign_in(client, "not the password", ip=f"203.0.113.{n}").status_code for n in range(1, 6)]
    assert statuses == [200, 200, 200, 200, 429]

    # Even the right password, from an address never seen before, is refused.
    response = _sign_in(client, PASSWORD, ip="198.51.100.200")
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert "this account" in html and "paused for 15 minutes" in html
    assert reverse("password_reset") in html
    assert not _signed_in(client)


def test_a_locked_account_signs_in_at_once_after_a_password_reset(client, django_capture_on_commit_callbacks):
    # The person an attacker locked out proves they hold the mailbox and is let in.
    GovernorFactory(email=EMAIL)
    for n in range(1, 6):
        _sign_in(client, "not the password", ip=f"203.0.113.{n}")
    assert _sign_in(client, PASSWORD).status_code == 429

    _reset_password(client, EMAIL, "a brand new long passphrase", django_capture_on_commit_callbacks)

    response = _sign_in(client, "a brand new long passphrase")
    assert response.status_code == 302
    assert _signed_in(client)
    assert not AccessAttempt.objects.filter(username=EMAIL).exists()


def test_failures_for_other_accounts_do_not_lock_this_one(client):
    GovernorFactory(email=EMAIL)
    for n in range(5):
        _sign_in(client, "not the password", email=f"someone{n}@school.example", ip=f"203.0.113.{n}")
    assert _sign_in(client, PASSWORD).status_code == 302


def test_other_addresses_from_the_locked_network_still_sign_in(client):
    GovernorFactory(email=EMAIL)
    other = GovernorFactory(email="clerk@school.example")
    _fail(client, 5)
    response = _sign_in(client, PASSWORD, email=other.email)
    assert response.status_code == 302


def test_the_lock_lifts_after_15_minutes(client):
    GovernorFactory(email=EMAIL)
    _fail(client, 5)
    assert _sign_in(client, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    response = _sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_admin_sign_in_page_is_locked_the_same_way(client):
    AdviserFactory(email="adviser@la.example")
    url = reverse("admin:login")
    statuses = [_sign_in(client, "nope", email="adviser@la.example", url=url).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]

    response = _sign_in(client, PASSWORD, email="adviser@la.example", url=url)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not _signed_in(client)


def test_a_failed_attempt_is_recorded_without_the_password(client):
    GovernorFactory(email=EMAIL)
    _sign_in(client, "my secret guess")
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (EMAIL, "192.0.2.10", 1)
    assert "my secret guess" not in attempt.post_data


# --- Behind the production proxies -------------------------------------------------------


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_with_no_trusted_proxy_the_client_is_remote_addr_whatever_the_header_says(settings):
    settings.LLE_TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("198.51.100.7", forwarded="203.0.113.9")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # Entries left of those our proxies added were sent by the client: forged.
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        # Fewer entries than proxies: it did not come through them; the header is not ours.
        (2, "203.0.113.9", "10.0.0.1"),
        (1, None, "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_entry_they_added(settings, proxies, forwarded, expected):
    settings.LLE_TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request("10.0.0.1", forwarded=forwarded)) == expected


def test_behind_the_proxy_the_lock_is_per_client_and_a_forged_header_does_not_escape_it(client, settings):
    settings.LLE_TRUSTED_PROXY_COUNT = 1
    GovernorFactory(email=EMAIL)
    via_proxy = {"ip": "10.0.0.1"}
    _fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.9", **via_proxy)

    forged = _sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.9", **via_proxy)
    assert forged.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"

    # Another client behind the same proxy, signing in to another account, is
    # not held back (the account itself is locked from everywhere, see above).
    other = GovernorFactory(email="clerk@school.example")
    response = _sign_in(client, PASSWORD, email=other.email, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy)
    assert response.status_code == 302


def test_the_reference_link_rate_limit_counts_per_client_behind_the_proxy(client, settings):
    settings.LLE_TRUSTED_PROXY_COUNT = 1
    settings.REFERENCE_BAD_TOKEN_LIMIT = 3
    cache.clear()
    url = reverse("applications:reference_respond", args=["no-such-token"])
    for _ in range(3):
        assert client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404

    assert client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Another client behind the same proxy is not held back by the first one's guesses.
    assert client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 404


# --- A new session at sign-in --------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client):
    GovernorFactory(email=EMAIL)
    # A visitor with a session already (as an attacker could plant by session fixation).
    session = client.session
    session["visited"] = True
    session.save()
    before = client.cookies["sessionid"].value

    response = _sign_in(client, PASSWORD)

    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.session.session_key == after
    assert _signed_in(client)
    # The old key no longer names a session.
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=before).exists()
