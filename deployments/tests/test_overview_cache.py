"""The adviser's overview is kept in the cache between changes: a second look
costs a few queries, and any change to a deployment, visit, need or LLE shows
at once; another adviser never sees the first one's overview."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from .factories import DeploymentFactory, SupportNeedFactory

pytestmark = pytest.mark.django_db
URL = reverse("deployments:overview")


@pytest.fixture(autouse=True)
def cached(settings):
    settings.DEPLOYMENTS_OVERVIEW_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_a_second_look_is_served_from_the_cache(client, users, django_assert_max_num_queries,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        SupportNeedFactory(client_school__name="Cromer Junior School")
    client.force_login(users["adviser"])
    first = client.get(URL)
    assert "Cromer Junior School" in first.content.decode()
    with django_assert_max_num_queries(4):
        second = client.get(URL)
    # The same lists (the page around them, with its sign-out form's token, is made afresh).
    def lists(response):
        return response.content.decode().split("<h1", 1)[1].split("</main>", 1)[0]
    assert lists(second) == lists(first)


def test_a_change_shows_at_once(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["adviser"])
    assert "Sheringham Primary" not in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        SupportNeedFactory(client_school__name="Sheringham Primary")
    assert "Sheringham Primary" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        deployment = DeploymentFactory(need__client_school__name="Overstrand School")
    assert "Overstrand School" in client.get(URL).content.decode()  # proposed, awaiting acceptance
    with django_capture_on_commit_callbacks(execute=True):
        deployment.delete()
    assert "Overstrand School" not in client.get(URL).content.decode()


def test_each_adviser_has_their_own(client, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        SupportNeedFactory(client_school__name="Cromer Junior School")
    client.force_login(users["adviser"])
    assert "Cromer Junior School" in client.get(URL).content.decode()
    client.force_login(users["other_adviser"])
    assert "Cromer Junior School" not in client.get(URL).content.decode()
