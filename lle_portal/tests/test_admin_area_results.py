"""England's averages are national: every LA's performance criterion compares
with them. An adviser sees them (to compare) but never changes or deletes them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from lle_portal.models import AreaResult
from lle_portal.tests.factories import AdviserFactory, LocalAuthorityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def england_and_own():
    la = LocalAuthorityFactory()
    adviser = AdviserFactory()
    adviser.local_authorities.add(la)
    england = AreaResult.objects.create(area_code="england", local_authority=None, key_stage="KS2",
                                        measure="PTRWM_EXP", year=2025, value=Decimal("62"))
    own = AreaResult.objects.create(area_code=la.code, local_authority=la, key_stage="KS2",
                                    measure="PTRWM_EXP", year=2025, value=Decimal("58"))
    return adviser, england, own


def _change_post(row: AreaResult, value: str) -> dict:
    return {"area_code": row.area_code, "local_authority": row.local_authority_id or "", "key_stage": row.key_stage,
            "measure": row.measure, "year": row.year, "value": value}


def test_it_refuses_an_adviser_changing_or_deleting_englands_average(client, england_and_own):
    adviser, england, _ = england_and_own
    client.force_login(adviser)
    change = reverse("admin:lle_portal_arearesult_change", args=[england.pk])
    assert client.get(change).status_code == 200  # still shown, to compare with
    client.post(change, _change_post(england, "10"))
    client.post(reverse("admin:lle_portal_arearesult_delete", args=[england.pk]), {"post": "yes"})
    client.post(reverse("admin:lle_portal_arearesult_changelist"),
                {"action": "delete_selected", "_selected_action": [england.pk], "post": "yes"})
    england.refresh_from_db()
    assert england.value == Decimal("62")


def test_it_lets_an_adviser_correct_their_own_las_average(client, england_and_own):
    adviser, _, own = england_and_own
    client.force_login(adviser)
    response = client.post(reverse("admin:lle_portal_arearesult_change", args=[own.pk]), _change_post(own, "59"))
    assert response.status_code == 302, response.content.decode()[:2000]
    own.refresh_from_db()
    assert own.value == Decimal("59")
