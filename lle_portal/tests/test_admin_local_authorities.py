"""Local authorities are the scope of everything an adviser does: a new one is
made by a superuser (or a national GIAS import), never by an adviser."""

import pytest
from django.urls import reverse

from lle_portal.models import LocalAuthority
from lle_portal.tests.factories import AdviserFactory, LocalAuthorityFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_an_adviser_adding_a_local_authority(client):
    adviser = AdviserFactory()
    adviser.local_authorities.add(LocalAuthorityFactory())
    client.force_login(adviser)
    url = reverse("admin:lle_portal_localauthority_add")
    assert client.get(url).status_code == 403
    client.post(url, {"code": "999", "name": "Made-up LA"})
    assert not LocalAuthority.objects.filter(code="999").exists()
    assert "lle_portal/localauthority/add/" not in client.get(reverse("admin:index")).content.decode()
