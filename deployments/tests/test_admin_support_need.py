"""The support-need form in the adviser's admin: the client school labelled
and searchable within the adviser's LAs, the priority reasons suggested from
the data as soon as the school is chosen (a JSON answer the form's script asks
for), each with why; the adviser confirms them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments.models import SupportNeed
from lle_portal.tests.factories import (
    HeadteacherFactory,
    InspectionFactory,
    SchoolFactory,
    SchoolResultFactory,
)

pytestmark = pytest.mark.django_db

SUGGEST = "admin:deployments_supportneed_suggest"


def below_the_floor(school):
    for measure, value in {"PTRWM_EXP": 52, "READPROG": Decimal("-6.1"), "WRITPROG": -2, "MATPROG": -1}.items():
        SchoolResultFactory(school=school, key_stage="KS2", measure=measure, year=2019, value=value)
    return school


@pytest.fixture
def flagged(la):
    return below_the_floor(SchoolFactory(local_authority=la, name="Avenue Junior School"))


@pytest.fixture
def elsewhere(users):
    """A flagged school of Suffolk, the other adviser's LA."""
    suffolk = users["other_adviser"].local_authorities.get()
    return below_the_floor(SchoolFactory(local_authority=suffolk, name="Beccles Primary"))


def suggest(client, school, **params):
    return client.get(reverse(SUGGEST), {"school": school.pk, **params})


# --- who may ask -----------------------------------------------------------------------------


def test_another_las_school_is_not_found(client, users, elsewhere):
    client.force_login(users["adviser"])
    response = suggest(client, elsewhere)
    assert response.status_code == 404
    assert "Beccles" not in response.content.decode()


@pytest.mark.parametrize("school", ["", "abc", "999999", "-1"])
def test_no_school_or_a_made_up_one_is_not_found(client, users, school):
    client.force_login(users["adviser"])
    assert client.get(reverse(SUGGEST), {"school": school}).status_code == 404


def test_anonymous_and_people_without_staff_status_are_sent_to_the_admins_sign_in(client, users, flagged):
    response = suggest(client, flagged)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    for role in ("headteacher", "governor"):
        client.force_login(users[role])
        response = suggest(client, flagged)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_an_lle_is_refused(client, flagged):
    from deployments.tests.factories import LLEProfileFactory

    client.force_login(LLEProfileFactory().user)
    response = suggest(client, flagged)
    assert response.status_code == 302 and "application/json" not in response.get("Content-Type", "")


def test_an_assessor_is_refused(client, users, flagged):
    client.force_login(users["assessor"])
    assert suggest(client, flagged).status_code == 403


# --- what it answers ---------------------------------------------------------------------------


def test_it_suggests_the_reasons_from_the_data_each_saying_why(client, users, flagged):
    head = HeadteacherFactory(school=flagged, full_name="Ms Ada Head")
    client.force_login(users["adviser"])
    response = suggest(client, flagged)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = response.json()
    assert data["school"] == "Avenue Junior School"
    assert data["reasons"] == ["below_floor"]
    [suggestion] = data["suggestions"]
    assert suggestion["label"] == "Attainment below the floor standard"
    assert "KS2 2019" in suggestion["evidence"] and "PTRWM_EXP 52" in suggestion["evidence"]
    assert data["head"] == {"id": head.pk, "name": "Ms Ada Head"}
    assert set(data["data_reasons"]) == {"below_floor", "vulnerable", "new_head"}


def test_a_vulnerable_school_and_a_new_head_are_suggested_too(client, users, la):
    school = SchoolFactory(local_authority=la)
    InspectionFactory(school=school, overall_effectiveness=3)
    client.force_login(users["adviser"])
    appointed = timezone.localdate() - timedelta(days=100)
    data = suggest(client, school, head_appointed_on=appointed.isoformat()).json()
    assert data["reasons"] == ["vulnerable", "new_head"]
    assert "First headship since" in data["suggestions"][1]["evidence"]
    # A date that is not one is ignored, not a 500.
    assert suggest(client, school, head_appointed_on="31/02/x").json()["reasons"] == ["vulnerable"]


def test_a_school_the_data_does_not_flag_gets_no_reason(client, users, la):
    school = SchoolFactory(local_authority=la, head_name="Mr Record Head")
    client.force_login(users["adviser"])
    data = suggest(client, school).json()
    assert data["suggestions"] == [] and data["reasons"] == []
    assert data["head"] is None and data["head_name"] == "Mr Record Head"


# --- the form ----------------------------------------------------------------------------------


def test_the_add_form_labels_the_school_field_and_points_its_script_at_the_endpoint(client, users):
    client.force_login(users["adviser"])
    page = client.get(reverse("admin:deployments_supportneed_add")).content.decode()
    assert '<label class="required" for="id_client_school">Client school:</label>' in page
    assert f'data-suggest-url="{reverse(SUGGEST)}"' in page
    assert "js/support-need.js" in page
    assert "Only your local authorities' schools are offered." in page
    # No school or account is made, changed or deleted from here.
    assert "add_id_client_school" not in page and "change_id_client_school" not in page
    assert "seed 0" not in page


def test_opened_from_the_flagged_schools_list_the_reasons_are_ticked_with_why(client, users, flagged):
    client.force_login(users["adviser"])
    response = client.get(reverse("admin:deployments_supportneed_add"), {"client_school": flagged.pk})
    form = response.context["adminform"].form
    assert form.initial["reasons"] == ["below_floor"]
    assert "Suggested from the official data for Avenue Junior School" in form.fields["reasons"].help_text


def test_opened_with_another_las_school_nothing_is_filled_in(client, users, elsewhere):
    client.force_login(users["adviser"])
    response = client.get(reverse("admin:deployments_supportneed_add"), {"client_school": elsewhere.pk})
    form = response.context["adminform"].form
    assert "reasons" not in form.initial and "Beccles" not in response.content.decode()


def test_the_school_search_offers_only_the_advisers_schools(client, users, flagged, elsewhere):
    client.force_login(users["adviser"])
    found = client.get(reverse("admin:autocomplete"), {
        "app_label": "deployments", "model_name": "supportneed", "field_name": "client_school", "term": "",
    }).json()["results"]
    names = {r["text"] for r in found}
    assert any("Avenue Junior School" in n for n in names)
    assert not any("Beccles" in n for n in names)
    # By URN as well as by name.
    by_urn = client.get(reverse("admin:autocomplete"), {
        "app_label": "deployments", "model_name": "supportneed", "field_name": "client_school",
        "term": str(flagged.urn),
    }).json()["results"]
    assert [r["id"] for r in by_urn] == [str(flagged.pk)]


def test_a_posted_school_of_another_la_is_refused_and_nothing_is_saved(client, users, elsewhere):
    client.force_login(users["adviser"])
    response = client.post(reverse("admin:deployments_supportneed_add"), {
        "client_school": elsewhere.pk, "reasons": ["below_floor"], "days_per_week": "0.5",
    })
    assert response.status_code == 200
    assert "client_school" in response.context["adminform"].form.errors
    assert not SupportNeed.objects.exists()


def test_every_field_of_the_support_need_and_deployment_forms_has_a_help_text(client, users, flagged):
    from deployments.tests.factories import DeploymentFactory

    client.force_login(users["adviser"])
    form = client.get(reverse("admin:deployments_supportneed_add")).context["adminform"].form
    missing = [name for name, field in form.fields.items() if not field.help_text]
    assert not missing, f"Support-need fields without a help text: {missing}"
    deployment = DeploymentFactory(client_school=flagged)
    response = client.get(reverse("admin:deployments_deployment_change", args=[deployment.pk]))
    model_fields = {f.name for f in deployment._meta.get_fields()}
    shown = [f for fieldset in response.context["adminform"] for line in fieldset for f in line]
    missing = []
    for admin_field in shown:
        field = admin_field.field
        name, help_text = (field["name"], field["help_text"]) if isinstance(field, dict) else (field.name,
                                                                                                 field.help_text)
        if name in model_fields and not help_text:  # links such as "page" are not fields
            missing.append(name)
    assert not missing, f"Deployment fields without a help text: {missing}"
