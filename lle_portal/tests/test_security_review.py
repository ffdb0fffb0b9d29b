"""Attacks found by the security review of issue 11 (after the trust-boundary
work was merged): each test is the attack, seen failing before its fix."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lle_portal import privacy, services
from lle_portal.models import AuditEvent, User
from lle_portal.tests.factories import AdviserFactory, SchoolFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(email="root@la.example", password=PASSWORD, full_name="Root Superuser")


def _export(client, person: User):
    return client.post(reverse("admin:lle_portal_user_changelist"),
                       {"action": "export_personal_data", "_selected_action": [person.pk]})


def test_it_refuses_an_adviser_exporting_a_superusers_or_another_advisers_personal_data(client, users, root, la):
    # The superuser has worked in Suffolk: their export would carry what they
    # did there (audit events with emails, the emails sent to them).
    suffolk = users["other_adviser"].local_authorities.get()
    services.invitation_create(email="new.head@suffolk.example", full_name="Suffolk Head",
                               role=User.Role.HEADTEACHER, school=SchoolFactory(local_authority=suffolk), by=root)
    # An adviser who works for Norfolk and Suffolk is listed to the Norfolk adviser.
    both = AdviserFactory(local_authorities=[la, suffolk])
    client.force_login(users["adviser"])
    for person in (root, both, users["other_adviser"]):
        response = _export(client, person)
        assert response.get("Content-Type") != "application/json", person
        assert b"new.head@suffolk.example" not in response.content
    assert not AuditEvent.objects.filter(verb="privacy.exported").exists()
    # The service refuses too, whoever calls it.
    with pytest.raises(PermissionDenied):
        privacy.person_export(email=root.email, by=users["adviser"])


def test_it_still_lets_an_adviser_export_the_data_of_a_person_they_look_after(client, users):
    client.force_login(users["adviser"])
    response = _export(client, users["governor"])
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["lle_portal"]["account"]["email"] == users["governor"].email


def test_it_never_sends_a_password_reset_link_to_an_address_the_account_no_longer_has(
        client, users, root, django_capture_on_commit_callbacks):
    from django.core import mail

    from lle_portal.models import OutgoingEmail
    from lle_portal.tasks import send_email

    head = users["headteacher"]
    old = head.email
    # The reset email is queued (the mail server is down, so it waits)...
    client.post(reverse("password_reset"), {"email": old})
    queued = OutgoingEmail.objects.get(template="password_reset", to=old)
    # ...and meanwhile a superuser moves the account to a new address, because
    # the old mailbox is no longer the head's.
    services.user_email_set(user=head, email="head.new@school.example", by=root)
    mail.outbox.clear()
    send_email.apply(args=[queued.pk])
    assert all(old not in message.to for message in mail.outbox), "a working reset link went to the old address"
    queued.refresh_from_db()
    assert queued.sent_at is None and queued.failed_at is not None


def test_it_refuses_an_adviser_erasing_an_assessors_data_and_says_nothing_was_erased(client, users, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    assessor = users["assessor"]
    client.force_login(users["adviser"])
    url = reverse("admin:lle_portal_user_changelist")
    page = client.post(url, {"action": "erase_personal_data", "_selected_action": [assessor.pk]})
    assert page.status_code == 200 and assessor.email.encode() not in page.content
    response = client.post(url, {"action": "erase_personal_data", "_selected_action": [assessor.pk],
                                 "confirm": "yes"})
    assert response.status_code in (200, 302)
    assessor.refresh_from_db()
    assert assessor.is_active and not AuditEvent.objects.filter(verb="privacy.erased").exists()
    with pytest.raises(PermissionDenied):
        privacy.person_erase(email=assessor.email, by=users["adviser"], force=True)


def test_it_lists_no_superuser_nor_another_las_adviser_to_an_adviser(client, users, root):
    lone_adviser = AdviserFactory(local_authorities=[])  # works for no LA yet
    client.force_login(users["adviser"])
    page = client.get(reverse("admin:lle_portal_user_changelist")).content.decode()
    assert users["headteacher"].email in page and users["assessor"].email in page  # theirs, and the national
    for hidden in (root, lone_adviser, users["other_adviser"]):
        assert hidden.email not in page, hidden
        assert client.get(reverse("admin:lle_portal_user_change", args=[hidden.pk])).status_code in (302, 404)


def test_it_limits_guesses_of_the_current_password_on_the_password_change_page(client, users):
    """Someone holding a signed-in session (a shared computer) must not guess
    the password there without limit: the sign-in lockout never sees it."""
    head = users["headteacher"]
    head.set_password(PASSWORD)
    head.save()
    client.force_login(head)
    url = reverse("password_change")
    new = {"new_password1": "another long passphrase 42", "new_password2": "another long passphrase 42"}
    for n in range(5):
        response = client.post(url, {"old_password": f"wrong guess {n}", **new})
        assert response.status_code == 200
    response = client.post(url, {"old_password": PASSWORD, **new})
    head.refresh_from_db()
    assert head.check_password(PASSWORD), "the sixth guess in the hour was tried"
    assert b"Too many wrong passwords" in response.content


def test_it_never_sets_an_advisers_own_password_in_the_admin_without_the_current_one(client, users):
    adviser = users["adviser"]
    client.force_login(adviser)
    url = reverse("admin:auth_user_password_change", args=[adviser.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    client.post(url, {"password1": "another long passphrase 42", "password2": "another long passphrase 42",
                      "usable_password": "true"})
    adviser.refresh_from_db()
    assert not adviser.check_password("another long passphrase 42")
