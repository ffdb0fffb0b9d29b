"""The key pages kept whole in the cache under the data version (lle_portal/page_cache.py),
and the cheaper middleware of issue 17 (the audit actor, the security policy)."""

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from applications.tests.factories import ApplicationRoundFactory
from lle_portal import data_version
from lle_portal.middleware import AuditActorMiddleware
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory, SchoolFactory

CSRF = "a" * 32  # a browser's CSRF cookie (the secret, 32 characters)


@pytest.fixture
def page_cache(settings):
    settings.LLE_PAGE_CACHE_SECONDS = 60
    cache.clear()
    yield settings
    cache.clear()


def _browser(client):
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    return client


@pytest.mark.django_db
def test_a_key_page_asked_for_again_comes_from_the_cache(client, page_cache, django_assert_num_queries):
    ApplicationRoundFactory(name="Norfolk LLE round 2027")
    _browser(client)
    first = client.get(reverse("home"))
    assert first.status_code == 200 and b"Norfolk LLE round 2027" in first.content
    with django_assert_num_queries(0):
        again = client.get(reverse("home"))
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in again


@pytest.mark.django_db
def test_a_save_shows_at_once(client, page_cache):
    programme = ApplicationRoundFactory(name="Norfolk LLE round 2027")
    _browser(client)
    assert b"Norfolk LLE round 2027" in client.get(reverse("home")).content
    programme.name = "Norfolk LLE round 2028"
    programme.save()
    content = client.get(reverse("home")).content
    assert b"Norfolk LLE round 2028" in content and b"Norfolk LLE round 2027" not in content


@pytest.mark.django_db
def test_each_person_has_their_own_page(client, page_cache):
    la_one, la_two = AdviserFactory(full_name="Ada One"), AdviserFactory(full_name="Bea Two")
    for adviser in (la_one, la_two):
        client.force_login(adviser)
        _browser(client)
        page = client.get(reverse("home")).content.decode()
        assert adviser.full_name in page
        assert ({"Ada One", "Bea Two"} - {adviser.full_name}).pop() not in page


@pytest.mark.django_db
def test_a_page_with_a_message_is_neither_served_from_nor_kept_in_the_cache(client, page_cache):
    head = HeadteacherFactory(full_name="Helen Price")
    client.force_login(head)
    _browser(client)
    client.get(reverse("home"))  # kept
    # A message waiting, as a view leaves it before a redirect.
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies[storage.cookie_name] = storage._encode([Message(constants.SUCCESS, "Your answers are saved.")])
    assert b"Your answers are saved." in client.get(reverse("home")).content
    # Shown once, and the page after it is not the one with the message.
    assert b"Your answers are saved." not in client.get(reverse("home")).content


@pytest.mark.django_db
def test_a_page_for_a_browser_without_a_csrf_cookie_is_not_kept(client, page_cache):
    # Its form's token is made for the new cookie this answer sets: not for the next browser.
    client.force_login(HeadteacherFactory())
    client.get(reverse("home"))
    assert not [key for key in cache._cache if "lle:page:" in key]
    _browser(client)
    client.get(reverse("home"))
    assert [key for key in cache._cache if "lle:page:" in key]


@pytest.mark.django_db
def test_a_page_from_the_cache_keeps_its_form_token_valid(client, page_cache):
    # The sign-out form of a cached page still works (its token matches the browser's cookie).
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(HeadteacherFactory())
    _browser(strict)
    strict.get(reverse("home"))
    page = strict.get(reverse("home")).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert strict.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


@pytest.mark.django_db
def test_pages_are_computed_every_time_with_the_cache_off(client, settings, django_assert_max_num_queries):
    settings.LLE_PAGE_CACHE_SECONDS = 0
    ApplicationRoundFactory()
    _browser(client)
    client.get(reverse("home"))
    with django_assert_max_num_queries(10) as captured:
        client.get(reverse("home"))
    assert len(captured) > 0


@pytest.mark.django_db
def test_an_audited_change_in_a_request_names_its_actor_and_one_outside_none(rf):
    adviser, school = AdviserFactory(), SchoolFactory(name="Old name")

    def view(request):
        school.name = "New name"
        school.save()
        return HttpResponse("ok")

    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    request.user = SimpleLazyObject(lambda: adviser)  # as AuthenticationMiddleware leaves it
    AuditActorMiddleware(view)(request)
    entry = LogEntry.objects.get_for_object(school).latest("pk")
    assert entry.actor == adviser and entry.remote_addr == "10.1.2.3"

    school.name = "Later name"
    school.save()
    assert LogEntry.objects.get_for_object(school).latest("pk").actor is None

    # Someone not signed in is no actor.
    request = rf.get("/")
    request.user = SimpleLazyObject(AnonymousUser)
    AuditActorMiddleware(view)(request)
    assert LogEntry.objects.get_for_object(school).latest("pk").actor is None


def test_the_security_policy_follows_the_settings(client, settings):
    before = client.get(reverse("healthz"))["Content-Security-Policy"]
    assert "img-src 'self' data:" in before
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'"]}}
    after = client.get(reverse("healthz"))["Content-Security-Policy"]
    assert sorted(after.split("; ")) == ["default-src 'self'", "img-src 'self'"]


@pytest.mark.django_db
def test_an_audited_change_in_a_request_carries_its_correlation_id_and_only_that_request(rf):
    school = SchoolFactory(name="Old name")

    def view(request):
        school.name = "New name"
        school.save()
        return HttpResponse("ok")

    request = rf.get("/", HTTP_X_CORRELATION_ID="req-42", REMOTE_ADDR="10.1.2.3")
    request.user = SimpleLazyObject(AnonymousUser)
    AuditActorMiddleware(view)(request)
    entry = LogEntry.objects.get_for_object(school).latest("pk")
    assert entry.cid == "req-42" and entry.remote_addr == "10.1.2.3"

    school.name = "Later name"
    school.save()
    assert LogEntry.objects.get_for_object(school).latest("pk").cid is None


@pytest.mark.django_db
def test_a_signed_out_session_replayed_gets_no_cached_page(client, page_cache):
    # Someone who kept the cookie of a session that has since signed out (a shared
    # computer, a copied cookie) is a stranger: no page kept for that session.
    head = HeadteacherFactory(full_name="Helen Price")
    client.force_login(head)
    _browser(client)
    assert b"Helen Price" in client.get(reverse("home")).content  # kept
    assert client.get(reverse("deployments:list")).status_code == 200  # kept
    old_session = client.cookies[settings.SESSION_COOKIE_NAME].value
    version = data_version.current(data_version.DATA)
    client.post(reverse("logout"), {"csrfmiddlewaretoken": CSRF})
    assert data_version.current(data_version.DATA) == version  # the pages kept are still current
    client.cookies[settings.SESSION_COOKIE_NAME] = old_session
    _browser(client)
    assert b"Helen Price" not in client.get(reverse("home")).content
    assert client.get(reverse("deployments:list")).status_code == 302  # to sign in
