"""Staff sessions end after 30 minutes without a request; other people's keep
the normal session age (lle_portal.middleware.StaffIdleTimeoutMiddleware)."""

import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from lle_portal.middleware import LAST_SEEN_KEY

pytestmark = pytest.mark.django_db

STAFF_PAGE = reverse("deployments:overview")


def _last_seen(client, minutes_ago: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time() - minutes_ago * 60)
    session.save()


@pytest.mark.parametrize("role", ["adviser", "assessor"])
def test_a_staff_session_ends_after_30_minutes_idle(client, users, role):
    client.force_login(users[role])
    assert client.get("/admin/").status_code == 200
    _last_seen(client, 31)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/admin/"
    assert "_auth_user_id" not in client.session
    page = client.get(response.url)
    assert "You were signed out after 30 minutes without activity." in page.content.decode()
    # Still signed out: the next page asks for the password again.
    assert client.get(STAFF_PAGE).status_code == 302


def test_a_staff_session_used_within_30_minutes_goes_on_and_the_clock_restarts(client, users):
    client.force_login(users["adviser"])
    _last_seen(client, 29)

    assert client.get(STAFF_PAGE).status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5
    # And the session itself expires 30 minutes (and the stamp's minute) after the last request.
    assert client.session.get_expiry_age() == 31 * 60


@pytest.mark.parametrize("role", ["headteacher", "governor"])
def test_other_people_keep_the_normal_session_age(client, users, role):
    client.force_login(users[role])
    _last_seen(client, 120)  # a stamp, even if one were there, is ignored for non-staff

    assert client.get("/").context["user"] == users[role]
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE
