"""Abuse limits and secrets in logs: the password-reset throttle, and private
links' tokens never written to a log."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from lle_portal.log_filters import redact_private_links, token_label
from lle_portal.tests.factories import HeadteacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The throttles count in the cache, which outlives one test.
    cache.clear()
    yield
    cache.clear()


# --- private links in logs --------------------------------------------------------------


def test_it_never_logs_an_invitation_token(client, caplog):
    token = "an-invitation-token-that-does-not-exist-0123"
    caplog.set_level("INFO")
    assert client.get(f"/accounts/invitation/{token}/").status_code == 404
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Not Found: /accounts/invitation/" in logged
    assert token not in logged and token_label(token) in logged


@pytest.mark.parametrize("path", [
    "/programme/reference/{t}/", "/programme/reference/{t}/draft/", "/accounts/invitation/{t}/",
    "/accounts/register/confirm/{t}/", "/accounts/email/confirm/{t}/", "/accounts/password/reset/MQ/{t}/",
])
def test_the_filter_replaces_each_kind_of_private_link_token(path):
    token = "cbr2x5-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    line = f'"GET {path.format(t=token)} HTTP/1.1" 404 1234'
    redacted = redact_private_links(line)
    assert token not in redacted
    assert redacted == f'"GET {path.format(t=token_label(token))} HTTP/1.1" 404 1234'


def test_the_filter_leaves_a_redacted_line_as_it_is():
    once = redact_private_links("Not Found: /programme/reference/abcdefghijklmnop/")
    assert redact_private_links(once) == once


# --- password-reset requests --------------------------------------------------------------


def _ask_reset(client, email, ip="192.0.2.10", **extra):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip, **extra)


def test_fifteen_reset_requests_for_one_address_send_at_most_three_emails(client, django_capture_on_commit_callbacks):
    # The attack: flooding someone's inbox with reset emails (15 requests used
    # to send 15). Three an hour covers a person who asks again because the
    # first email is slow or went to spam; every link sent stays valid.
    head = HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        responses = [_ask_reset(client, head.email) for _ in range(15)]
    assert {(r.status_code, r.url) for r in responses} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 3


def test_reset_requests_for_one_address_from_fifteen_clients_still_send_three(
    client, django_capture_on_commit_callbacks
):
    head = HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(15):
            _ask_reset(client, head.email.upper(), ip=f"203.0.113.{n + 1}")
    assert len(mail.outbox) == 3


def test_one_client_gets_at_most_ten_reset_emails_sent_an_hour(client, django_capture_on_commit_callbacks):
    # One address asking for 15 people's resets: at most 10 go (a school's
    # staff share one address, so this is per client, not per person).
    heads = [HeadteacherFactory(email=f"head{n}@school.example") for n in range(15)]
    with django_capture_on_commit_callbacks(execute=True):
        for head in heads:
            assert _ask_reset(client, head.email).status_code == 302
    assert len(mail.outbox) == 10
    # Another client is not held back by the first one's requests.
    with django_capture_on_commit_callbacks(execute=True):
        _ask_reset(client, heads[-1].email, ip="198.51.100.7")
    assert len(mail.outbox) == 11


def test_a_throttled_reset_request_looks_like_any_other(client, django_capture_on_commit_callbacks):
    HeadteacherFactory(email="head@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("password_reset"), {"email": "head@school.example"}, follow=True)
        for _ in range(5):
            last = client.post(reverse("password_reset"), {"email": "head@school.example"}, follow=True)
        unknown = client.post(reverse("password_reset"), {"email": "nobody@school.example"}, follow=True)
    assert first.redirect_chain == last.redirect_chain == unknown.redirect_chain
    assert first.content == last.content == unknown.content


def test_the_reset_throttle_counts_per_client_behind_the_proxy(client, settings, django_capture_on_commit_callbacks):
    settings.LLE_TRUSTED_PROXY_COUNT = 1
    heads = [HeadteacherFactory(email=f"head{n}@school.example") for n in range(12)]
    with django_capture_on_commit_callbacks(execute=True):
        for n, head in enumerate(heads):
            # A forged left-hand entry changes nothing: the proxy's entry is the client.
            _ask_reset(client, head.email, ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"8.8.8.{n}, 203.0.113.9")
    assert len(mail.outbox) == 10
