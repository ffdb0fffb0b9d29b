"""How a person gets a role, a school or a local authority -- and who may give it.

For every way in (an invitation, an edit in the admin, an email change) only
the intended grantor can grant it: an adviser invites headteachers, governors
and assessors to their own LAs' schools and may deactivate those accounts;
only a superuser gives the adviser role, LAs, superuser status, groups and
permissions, or changes another person's email; no one edits their own LAs;
a person's email changes only when the new address confirms it.

Each test is the attack as it was tried against the demo. The other ways in
have theirs beside the code they test: registration in
lle_portal/tests/test_affiliation.py (a registered school is a claim until the
school's LA adviser confirms it) and imports in lle_portal/tests/test_import_scope.py
(an adviser's file cannot move or reach another LA's school).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from lle_portal import models, private_links, services
from lle_portal.models import AuditEvent, Invitation, User
from lle_portal.tests.factories import (
    AdviserFactory,
    AssessorFactory,
    HeadteacherFactory,
    SchoolFactory,
)
from lle_portal.tests.support import at_once

PASSWORD = "correct horse battery staple"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(email="root@la.example", password=PASSWORD, full_name="Root Superuser")


@pytest.fixture
def suffolk(users):
    return users["other_adviser"].local_authorities.get()


def _change_url(person: User) -> str:
    return reverse("admin:lle_portal_user_change", args=[person.pk])


def _form_data(client, person: User) -> dict:
    """What the admin's change form of `person` would post, unchanged, for the signed-in user."""
    response = client.get(_change_url(person))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    return data


def _post_change(client, person: User, **changes):
    return client.post(_change_url(person), {**_form_data(client, person), **changes})


def _snapshot(person: User) -> tuple:
    person = User.objects.get(pk=person.pk)
    return (person.email, person.role, person.school_id, person.is_active, person.is_superuser,
            sorted(person.local_authorities.values_list("pk", flat=True)),
            sorted(person.groups.values_list("pk", flat=True)))


def _refused(response) -> bool:
    """Refused with a message beside the form, or refused outright."""
    if response.status_code == 403:
        return True
    return response.status_code == 200 and bool(response.context["adminform"].form.errors)


# --------------------------------------------------------------------------
# The admin's user change form
# --------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_an_adviser_adding_a_local_authority_to_themselves(client, users, la, suffolk):
    adviser = users["adviser"]
    client.force_login(adviser)
    before = _snapshot(adviser)
    response = _post_change(client, adviser, local_authorities=[la.pk, suffolk.pk])
    assert _refused(response)
    assert _snapshot(adviser) == before
    assert not adviser.advises(suffolk.pk)


@pytest.mark.django_db
def test_it_refuses_a_superuser_editing_their_own_local_authorities(client, root, la):
    client.force_login(root)
    response = _post_change(client, root, local_authorities=[la.pk])
    assert _refused(response)
    assert not root.local_authorities.exists()


@pytest.mark.django_db
def test_it_refuses_an_adviser_changing_an_assessors_email(client, users):
    assessor = users["assessor"]
    client.force_login(users["adviser"])
    before = _snapshot(assessor)
    response = _post_change(client, assessor, email=users["adviser"].email.replace("@", "+mine@"))
    assert _refused(response)
    assert _snapshot(assessor) == before
    # The takeover then went: "Forgotten your password?" for the assessor's
    # address. The reset link goes to the address the account still has.
    client.post(reverse("password_reset"), {"email": assessor.email})
    assert not any(message.to != [assessor.email] for message in mail.outbox)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["adviser", "assessor", "governor"])
def test_it_refuses_an_adviser_changing_a_role(client, users, role):
    head = users["headteacher"]
    client.force_login(users["adviser"])
    before = _snapshot(head)
    response = _post_change(client, head, role=role)
    assert _refused(response)
    assert _snapshot(head) == before


@pytest.mark.django_db
def test_it_refuses_an_adviser_moving_a_head_to_another_school(client, users, suffolk):
    head = users["headteacher"]
    client.force_login(users["adviser"])
    before = _snapshot(head)
    for school in (SchoolFactory(local_authority=suffolk), SchoolFactory(local_authority=head.school.local_authority)):
        response = _post_change(client, head, school=school.pk)
        assert _refused(response)
    assert _snapshot(head) == before


@pytest.mark.django_db
def test_it_refuses_an_adviser_giving_groups_permissions_or_superuser_status(client, users):
    group = Group.objects.create(name="Everything")
    head = users["headteacher"]
    client.force_login(users["adviser"])
    before = _snapshot(head)
    for changes in ({"groups": [group.pk]}, {"is_superuser": "on"}, {"user_permissions": ["1"]}):
        response = _post_change(client, head, **changes)
        assert _refused(response), changes
    assert _snapshot(head) == before


@pytest.mark.django_db
def test_the_adviser_sees_only_what_they_may_change_as_form_fields(client, users):
    client.force_login(users["adviser"])
    head_form = client.get(_change_url(users["headteacher"])).context["adminform"].form
    assert set(head_form.fields) - {"password"} == {"full_name", "job_title", "is_active"}
    own_form = client.get(_change_url(users["adviser"])).context["adminform"].form
    assert set(own_form.fields) - {"password"} == {"full_name", "job_title"}


@pytest.mark.django_db
def test_an_adviser_deactivates_a_head_of_their_local_authority(client, users):
    head = users["headteacher"]
    client.force_login(users["adviser"])
    data = _form_data(client, head)
    data.pop("is_active")
    response = client.post(_change_url(head), data)
    assert response.status_code == 302
    head.refresh_from_db()
    assert not head.is_active
    assert AuditEvent.objects.filter(verb="user.deactivated", actor=users["adviser"], object_id=str(head.pk)).exists()


@pytest.mark.django_db
def test_an_adviser_may_not_deactivate_another_adviser_nor_a_person_of_another_la(client, users, la, suffolk):
    colleague = AdviserFactory(local_authorities=[la])
    suffolk_head = HeadteacherFactory(school=SchoolFactory(local_authority=suffolk))
    client.force_login(users["adviser"])
    for person in (colleague, suffolk_head):
        data = {"full_name": person.full_name, "email": person.email, "role": person.role}
        response = client.post(_change_url(person), data)
        assert response.status_code in (302, 403, 404)
        person.refresh_from_db()
        assert person.is_active
    assert client.get(_change_url(colleague)).context["has_change_permission"] is False


@pytest.mark.django_db
def test_a_service_refuses_what_the_form_would_not_offer(users, la, suffolk):
    # The save-time check: the same rule, whatever form or task calls it.
    adviser = users["adviser"]
    with pytest.raises(PermissionDenied):
        services.user_check_changes(person=adviser, fields=["local_authorities"], by=adviser)
    with pytest.raises(PermissionDenied):
        services.user_check_changes(person=users["assessor"], fields=["email"], by=adviser)
    with pytest.raises(PermissionDenied):
        services.user_check_changes(person=users["headteacher"], fields=["role"], by=adviser)
    services.user_check_changes(person=users["headteacher"], fields=["is_active", "full_name"], by=adviser)


@pytest.mark.django_db
def test_a_superuser_changes_role_local_authorities_and_email_and_the_old_address_is_told(
    client, users, root, la, suffolk, django_capture_on_commit_callbacks
):
    head = users["headteacher"]
    old_email = head.email
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_change(client, head, role="adviser", school="", local_authorities=[la.pk, suffolk.pk],
                                email="New.Address@LA.example")
    assert response.status_code == 302, response.context["adminform"].form.errors
    head.refresh_from_db()
    assert (head.role, head.email, head.is_staff) == ("adviser", "new.address@la.example", True)
    assert set(head.local_authorities.all()) == {la, suffolk}
    notices = [message for message in mail.outbox if message.to == [old_email]]
    assert len(notices) == 1 and "new.address@la.example" in notices[0].body
    assert AuditEvent.objects.filter(verb="user.email_changed", actor=root).exists()


# --------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------


def _invite(by, **kwargs):
    return services.invitation_create(
        **{"email": "new@person.example", "full_name": "New Person", "role": User.Role.GOVERNOR, **kwargs}, by=by
    )


@pytest.mark.django_db
def test_it_refuses_an_adviser_inviting_an_adviser(users, la):
    with pytest.raises(ValidationError) as error:
        _invite(users["adviser"], role=User.Role.ADVISER, local_authorities=[la])
    assert "role" in error.value.message_dict
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_adviser_inviting_to_a_school_or_with_a_local_authority_of_another_la(users, suffolk):
    with pytest.raises(ValidationError) as error:
        _invite(users["adviser"], school=SchoolFactory(local_authority=suffolk))
    assert set(error.value.message_dict) == {"school"}
    with pytest.raises(ValidationError) as error:
        _invite(users["adviser"], role=User.Role.ASSESSOR, local_authorities=[suffolk])
    assert "local_authorities" in error.value.message_dict
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_local_authorities_on_an_invitation_for_a_role_that_has_none(users, la, root):
    # An LA on a head's or an assessor's account would put them in the adviser's lists of that LA.
    for by in (users["adviser"], root):
        with pytest.raises(ValidationError) as error:
            _invite(by, role=User.Role.HEADTEACHER, school=users["headteacher"].school, local_authorities=[la])
        assert "local_authorities" in error.value.message_dict


@pytest.mark.django_db
def test_the_admin_add_form_refuses_an_adviser_invitation_posted_by_an_adviser(client, users, la, suffolk):
    client.force_login(users["adviser"])
    form = client.get(reverse("admin:lle_portal_invitation_add")).context["adminform"].form
    assert {value for value, _ in form.fields["role"].choices} - {""} == {"headteacher", "governor", "assessor"}
    assert "local_authorities" not in form.fields
    for posted in (
        {"role": "adviser", "local_authorities": [la.pk]},
        {"role": "adviser"},
        {"role": "assessor", "local_authorities": [suffolk.pk]},
        {"role": "governor", "school": SchoolFactory(local_authority=suffolk).pk},
    ):
        response = client.post(reverse("admin:lle_portal_invitation_add"),
                               {"email": "x@y.example", "full_name": "X", **posted})
        assert response.status_code == 200 and response.context["adminform"].form.errors, posted
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_a_superuser_invites_an_adviser_for_any_local_authority(users, root, la, suffolk):
    invitation = _invite(root, role=User.Role.ADVISER, local_authorities=[la, suffolk])
    assert set(invitation.local_authorities.all()) == {la, suffolk}


@pytest.mark.django_db
def test_an_adviser_may_not_resend_or_revoke_an_invitation_they_could_not_have_made(users, root, la):
    invitation = _invite(root, role=User.Role.ADVISER, local_authorities=[la])
    for service in (services.invitation_resend, services.invitation_revoke):
        with pytest.raises(ValidationError):
            service(invitation=invitation, by=users["adviser"])
    invitation.refresh_from_db()
    assert invitation.state == "pending"


@pytest.mark.django_db
def test_an_invitation_whose_inviter_lost_the_la_no_longer_grants_it(users, la, django_capture_on_commit_callbacks):
    adviser = users["adviser"]
    with django_capture_on_commit_callbacks(execute=True):
        _invite(adviser, school=users["headteacher"].school)
    token = re.search(r"/accounts/invitation/([A-Za-z0-9_-]+)/", mail.outbox[-1].body).group(1)
    adviser.local_authorities.clear()
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=token, password="a long and memorable passphrase", full_name="New")
    assert not User.objects.filter(email="new@person.example").exists()


# --------------------------------------------------------------------------
# Email change: confirmed from the new address
# --------------------------------------------------------------------------


def _confirm_link(message) -> str:
    match = re.search(r"http://testserver(/accounts/email/confirm/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def ask_for_change(client, users, django_capture_on_commit_callbacks):
    """The governor asks, from their account, to sign in with a new address; returns the emailed link."""

    def ask(new_email="grace.new@governors.example", person=None):
        person = person or users["governor"]
        client.force_login(person)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("email_change"), {"new_email": new_email, "password": PASSWORD})
        assert response.status_code == 302, response.context["form"].errors
        return _confirm_link(mail.outbox[-1])

    return ask


@pytest.mark.django_db
def test_an_email_change_waits_for_the_new_address_and_tells_the_old(
    client, users, ask_for_change, django_capture_on_commit_callbacks
):
    governor = users["governor"]
    old_email = governor.email
    link = ask_for_change()
    assert mail.outbox[-1].to == ["grace.new@governors.example"]
    governor.refresh_from_db()
    assert governor.email == old_email  # until confirmed, the old address stays
    token = link.rstrip("/").rsplit("/", 1)[-1]
    change = models.EmailChange.objects.get()
    assert change.token_hash == private_links.hash_token(token) and token not in change.token_hash

    client.logout()  # the link works from the new mailbox, signed in or not
    assert client.get(link).status_code == 200
    governor.refresh_from_db()
    assert governor.email == old_email  # opening the link (a mail scanner does) changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert response.status_code == 200
    governor.refresh_from_db()
    assert governor.email == "grace.new@governors.example"
    notices = [message for message in mail.outbox if message.to == [old_email]]
    assert len(notices) == 1 and "grace.new@governors.example" in notices[0].body
    assert AuditEvent.objects.filter(verb="user.email_changed", actor=governor).exists()
    # Single use.
    assert client.post(link).status_code == 404


@pytest.mark.django_db
def test_the_stored_confirmation_email_holds_no_working_link(users, ask_for_change):
    from lle_portal.models import OutgoingEmail

    link = ask_for_change()
    stored = OutgoingEmail.objects.get(template="email_change_confirm")
    assert link not in stored.body_text and link not in stored.body_html


@pytest.mark.django_db
def test_an_expired_or_superseded_link_changes_nothing(client, users, ask_for_change):
    first = ask_for_change("first@governors.example")
    second = ask_for_change("second@governors.example")
    assert client.post(first).status_code == 404
    models.EmailChange.objects.filter(new_email="second@governors.example").update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(second).status_code == 404
    users["governor"].refresh_from_db()
    assert users["governor"].email != "first@governors.example"
    assert users["governor"].email != "second@governors.example"


@pytest.mark.django_db
def test_an_email_change_needs_the_current_password(client, users):
    client.force_login(users["governor"])
    response = client.post(reverse("email_change"), {"new_email": "x@y.example", "password": "wrong"})
    assert response.status_code == 200 and "password" in response.context["form"].errors
    assert not models.EmailChange.objects.exists()


@pytest.mark.django_db
def test_an_address_already_in_use_gets_the_same_answer_and_changes_nothing(
    client, users, django_capture_on_commit_callbacks
):
    client.force_login(users["governor"])
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(reverse("email_change"), {"new_email": users["assessor"].email.upper(),
                                                       "password": PASSWORD}, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        free = client.post(reverse("email_change"), {"new_email": "free@governors.example",
                                                      "password": PASSWORD}, follow=True)
    say = [str(m) for m in taken.context["messages"]], [str(m) for m in free.context["messages"]]
    assert say[0] == [s.replace("free@governors.example", users["assessor"].email) for s in say[1]]
    # The owner of the address is told; no link that could move their address to another account.
    told = [m for m in mail.outbox if m.to == [users["assessor"].email]]
    assert len(told) == 1 and "/accounts/email/confirm/" not in told[0].body
    assert not models.EmailChange.objects.pending().filter(new_email=users["assessor"].email).exists()


@pytest.mark.django_db
def test_an_adviser_cannot_start_an_email_change_for_someone_else(users):
    with pytest.raises(PermissionDenied):
        services.email_change_request(user=users["assessor"], new_email="mine@adviser.example", by=users["adviser"])
    assert not models.EmailChange.objects.exists()


@pytest.mark.django_db
def test_an_address_taken_between_request_and_confirmation_is_refused(client, users, ask_for_change):
    link = ask_for_change("contested@governors.example")
    HeadteacherFactory(email="contested@governors.example")
    assert client.post(link).status_code == 404
    users["governor"].refresh_from_db()
    assert users["governor"].email != "contested@governors.example"


@pytest.mark.django_db
def test_a_link_asked_for_before_a_superuser_set_the_address_no_longer_works(
    client, users, root, ask_for_change, django_capture_on_commit_callbacks
):
    link = ask_for_change("mine@governors.example")
    services.user_email_set(user=users["governor"], email="set.by.root@governors.example", by=root)
    assert client.post(link).status_code == 404
    users["governor"].refresh_from_db()
    assert users["governor"].email == "set.by.root@governors.example"


@pytest.mark.django_db
def test_only_a_superuser_sets_another_persons_email_directly(users, root):
    for by in (users["adviser"], users["governor"]):
        with pytest.raises(PermissionDenied):
            services.user_email_set(user=users["assessor"], email="mine@x.example", by=by)
    with pytest.raises(PermissionDenied):  # their own goes through the link, like everyone's
        services.user_email_set(user=root, email="root2@x.example", by=root)
    with pytest.raises(ValidationError):
        services.user_email_set(user=users["assessor"], email=users["governor"].email.upper(), by=root)


@pytest.mark.django_db
def test_an_adviser_may_not_erase_another_advisers_account(client, users, la):
    colleague = AdviserFactory(local_authorities=[la])
    client.force_login(users["adviser"])
    url = reverse("admin:lle_portal_user_changelist")
    selected = [colleague.pk, users["governor"].pk]
    asked = client.post(url, {"action": "erase_personal_data", "_selected_action": selected})
    # The confirmation page lists only the people the adviser looks after.
    assert [person for person, _ in asked.context["rows"]] == [users["governor"]]
    client.post(url, {"action": "erase_personal_data", "_selected_action": [colleague.pk], "confirm": "yes"})
    colleague.refresh_from_db()
    assert colleague.is_active and "erased" not in colleague.email


@pytest.mark.django_db
def test_erasing_a_person_erases_their_email_change_requests(users, ask_for_change):
    from lle_portal import privacy
    from lle_portal.tests.privacy_search import tables_containing

    ask_for_change("secret.new.address@governors.example")
    root = User.objects.create_superuser(email="root@la.example", password=PASSWORD, full_name="Root")
    privacy.person_erase(email=users["governor"].email, by=root, force=True)
    assert not tables_containing("secret.new.address@governors.example")
    assert not models.EmailChange.objects.pending().exists()


@pytest.mark.django_db
def test_the_deactivate_action_deactivates_only_the_people_the_adviser_looks_after(client, users, la, root):
    colleague = AdviserFactory(local_authorities=[la])
    client.force_login(users["adviser"])
    response = client.post(
        reverse("admin:lle_portal_user_changelist"),
        {"action": "deactivate_accounts",
         "_selected_action": [users["headteacher"].pk, users["governor"].pk, colleague.pk, users["adviser"].pk]},
        follow=True,
    )
    assert "Accounts deactivated: 2." in response.content.decode()
    states = {person: User.objects.get(pk=person.pk).is_active
              for person in (users["headteacher"], users["governor"], colleague, users["adviser"])}
    assert states == {users["headteacher"]: False, users["governor"]: False, colleague: True, users["adviser"]: True}
    assert AuditEvent.objects.filter(verb="user.deactivated").count() == 2


@pytest.mark.postgres
def test_two_tabs_confirming_the_same_link_at_once_change_the_address_once(transactional_db, users):
    governor = users["governor"]
    change = services.email_change_request(user=governor, new_email="raced@governors.example", by=governor)
    token = change.link_token()

    def confirm():
        try:
            services.email_change_confirm(token=token)
            return "confirmed"
        except services.EmailChangeInvalid:
            return "refused"

    outcomes = at_once(confirm)
    assert sorted(outcomes) == ["confirmed", "refused"]
    assert AuditEvent.objects.filter(verb="user.email_changed").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["assessor", "headteacher", "governor"])
def test_a_person_who_is_not_an_adviser_cannot_edit_even_their_own_account_in_the_admin(client, users, role):
    person = users[role]
    client.force_login(person)
    response = client.post(_change_url(person), {"full_name": "Renamed", "job_title": "Anything"})
    assert response.status_code in (302, 403)
    person.refresh_from_db()
    assert person.full_name != "Renamed"


@pytest.mark.django_db
def test_an_adviser_may_not_deactivate_a_national_assessor_another_adviser_invited(client, users):
    # An assessor tied to no LA scores for every LA: one LA's adviser must not switch them off for the others.

    other = AdviserFactory()
    assessor = AssessorFactory()
    Invitation.objects.create(email=assessor.email, full_name=assessor.full_name, role=assessor.role,
                              token_hash="x" * 64, created_by=other, user=assessor,
                              expires_at=timezone.now(), accepted_at=timezone.now())
    assert not services.user_may_manage(person=assessor, by=users["adviser"])
    assert services.user_may_manage(person=assessor, by=other)
    client.force_login(users["adviser"])
    client.post(_change_url(assessor), {"full_name": assessor.full_name, "is_active": ""})
    assessor.refresh_from_db()
    assert assessor.is_active
