"""Personal data of an account holder: export, the retention rule, erasure
(nothing left anywhere in the database), the commands and the admin actions."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from lle_portal import privacy, services
from lle_portal.emails import email_queue
from lle_portal.models import AuditEvent, Invitation, OutgoingEmail, User
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory, LocalAuthorityFactory, SchoolFactory
from lle_portal.tests.privacy_search import tables_containing

pytestmark = pytest.mark.django_db

EMAIL = "Grace.Hopper@School.Example"
YEARS_LATER = timedelta(days=7 * 365)


def later(delta: timedelta = YEARS_LATER):
    """Run the code under test as if `delta` had passed."""
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + delta)


@pytest.fixture
def norfolk():
    return LocalAuthorityFactory(code="926", name="Norfolk")


@pytest.fixture
def governor(norfolk, django_capture_on_commit_callbacks):
    """A governor invited by an adviser, who accepted: an account, an invitation,
    emails to them, audit events and field history that name them."""
    adviser = AdviserFactory(local_authorities=[norfolk])
    school = SchoolFactory(local_authority=norfolk)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(email=EMAIL, full_name="Grace Hopper", role=User.Role.GOVERNOR,
                                                school=school, local_authorities=(), by=adviser)
    user = User.objects.create_user(email=EMAIL, full_name="Grace Hopper", role=User.Role.GOVERNOR, school=school)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), user=user)
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(to=user.email, template="training_cohort_joined", context={"lle": user, "cohort": {"name": "X"}})
    # An admin edit, kept by django-auditlog with the old and new values.
    user.job_title = "Chair of the finance committee"
    user.save()
    return user


def test_the_export_holds_the_account_invitation_emails_and_history(governor):
    data = privacy.person_export(email=EMAIL.upper())

    assert data["email"] == EMAIL.lower()
    core = data["lle_portal"]
    assert core["account"]["full_name"] == "Grace Hopper"
    assert "password" not in core["account"]
    assert [i["email"] for i in core["invitations"]] == [EMAIL.lower()]
    assert "token_hash" not in core["invitations"][0]
    assert {e["template"] for e in core["emails_to_them"]} >= {"invitation", "training_cohort_joined"}
    assert "applications" in data and "deployments" in data
    json.dumps(data)  # plain JSON
    assert AuditEvent.objects.filter(verb="privacy.exported").count() == 1


def test_the_export_command_writes_a_json_file(governor, tmp_path):
    out = tmp_path / "grace.json"
    call_command("export_personal_data", EMAIL, "--output", str(out))
    assert json.loads(out.read_text())["lle_portal"]["account"]["email"] == EMAIL.lower()


def test_it_refuses_to_erase_before_the_retention_period_has_passed(governor):
    with pytest.raises(privacy.ErasureRefused, match="kept for 2190 days"):
        privacy.person_erase(email=EMAIL)
    with pytest.raises(CommandError, match="Not erased"):
        call_command("erase_personal_data", EMAIL)
    governor.refresh_from_db()
    assert governor.full_name == "Grace Hopper" and governor.is_active


def test_a_pending_invitation_keeps_the_data_in_use(norfolk, django_capture_on_commit_callbacks):
    adviser = AdviserFactory(local_authorities=[norfolk])
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(email="new@school.example", full_name="New Head", role=User.Role.HEADTEACHER,
                                   school=SchoolFactory(local_authority=norfolk), local_authorities=(), by=adviser)
    retention = privacy.person_retention(privacy.person_find("new@school.example"))
    assert not retention.erasable and "still in use" in retention.explanation


def test_after_erasure_the_email_is_nowhere_in_the_database(governor, capsys):
    assert tables_containing(EMAIL)  # the search finds it before
    users_before = User.objects.count()

    with later():
        result = privacy.person_erase(email=EMAIL)

    assert tables_containing(EMAIL) == {}
    assert tables_containing("Grace Hopper") == {}
    assert result.swept == {}  # the providers found everything themselves
    governor.refresh_from_db()
    assert governor.full_name == result.pseudonym
    assert governor.email.endswith("@erased.invalid")
    assert not governor.is_active and not governor.has_usable_password()
    assert User.objects.count() == users_before
    assert OutgoingEmail.objects.filter(to=governor.email).count() == 2
    event = AuditEvent.objects.get(verb="privacy.erased")
    assert event.data["pseudonym"] == result.pseudonym
    assert EMAIL.lower() not in json.dumps(event.data).lower()


def test_a_dry_run_changes_nothing(governor, capsys):
    with later():
        call_command("erase_personal_data", EMAIL, "--dry-run")
    assert "Dry run: nothing was changed" in capsys.readouterr().out
    governor.refresh_from_db()
    assert governor.email == EMAIL.lower()
    assert not AuditEvent.objects.filter(verb="privacy.erased").exists()


def test_force_erases_before_the_retention_period(governor, capsys):
    call_command("erase_personal_data", EMAIL, "--force")
    assert "forced" in capsys.readouterr().out
    assert tables_containing(EMAIL) == {}
    assert AuditEvent.objects.get(verb="privacy.erased").data["forced"] is True


def test_nothing_held_is_a_clear_error():
    with pytest.raises(CommandError, match="Nothing is held"):
        call_command("erase_personal_data", "nobody@nowhere.example", "--force")


# --- the admin actions -----------------------------------------------------------------


def changelist() -> str:
    return reverse("admin:lle_portal_user_changelist")


@pytest.fixture
def adviser(norfolk):
    return AdviserFactory(local_authorities=[norfolk])


def test_the_adviser_downloads_a_persons_data_as_json(client, adviser, governor):
    client.force_login(adviser)
    response = client.post(changelist(), {"action": "export_personal_data", "_selected_action": [governor.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["lle_portal"]["account"]["email"] == EMAIL.lower()
    assert AuditEvent.objects.get(verb="privacy.exported").actor == adviser


def test_erasure_asks_for_confirmation_and_refuses_before_the_retention_period(client, adviser, governor):
    client.force_login(adviser)
    page = client.post(changelist(), {"action": "erase_personal_data", "_selected_action": [governor.pk]})
    assert page.status_code == 200
    assert b"Erase personal data" in page.content and b"Not yet." in page.content
    assert b'name="force"' not in page.content  # only a superuser may force

    response = client.post(changelist(), {"action": "erase_personal_data", "_selected_action": [governor.pk],
                                          "confirm": "yes", "force": "yes"}, follow=True)
    assert b"Not erased" in response.content
    governor.refresh_from_db()
    assert governor.is_active and governor.email == EMAIL.lower()


def test_the_adviser_erases_once_the_retention_period_has_passed(client, adviser, governor, settings):
    client.force_login(adviser)
    # (Not by moving the clock on, which would end the adviser's session.)
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    response = client.post(changelist(), {"action": "erase_personal_data", "_selected_action": [governor.pk],
                                          "confirm": "yes"}, follow=True)
    assert b"Personal data erased: 1." in response.content
    governor.refresh_from_db()
    assert not governor.is_active
    assert tables_containing(EMAIL) == {}
    assert AuditEvent.objects.get(verb="privacy.erased").actor == adviser


def test_a_superuser_may_force_an_early_erasure(client, governor):
    admin = User.objects.create_superuser("root@la.example", "correct horse battery staple")
    client.force_login(admin)
    page = client.post(changelist(), {"action": "erase_personal_data", "_selected_action": [governor.pk]})
    assert b'name="force"' in page.content
    client.post(changelist(), {"action": "erase_personal_data", "_selected_action": [governor.pk],
                               "confirm": "yes", "force": "yes"})
    governor.refresh_from_db()
    assert not governor.is_active


@pytest.mark.parametrize("role", ["headteacher", "assessor", "anonymous"])
def test_the_actions_are_for_advisers_only(client, governor, role):
    if role == "headteacher":
        client.force_login(HeadteacherFactory())
    elif role == "assessor":
        client.force_login(User.objects.create_user("assessor@la.example", full_name="A", role=User.Role.ASSESSOR))
    for action in ("export_personal_data", "erase_personal_data"):
        response = client.post(changelist(), {"action": action, "_selected_action": [governor.pk],
                                              "confirm": "yes"})
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/login/" in response["Location"]
    governor.refresh_from_db()
    assert governor.is_active
    assert not AuditEvent.objects.filter(verb__startswith="privacy.").exists()


def test_nobody_erases_themselves(governor):
    adviser = AdviserFactory()
    with later(), pytest.raises(privacy.PrivacyError, match="your own account"):
        privacy.person_erase(email=adviser.email, by=adviser)
