"""Accounts by invitation: an adviser invites, the person sets a password."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from lle_portal import services
from lle_portal.models import AuditEvent, Invitation, OutgoingEmail, User
from lle_portal.tests.factories import LocalAuthorityFactory, SchoolFactory
from lle_portal.tests.support import at_once

PASSWORD = "a long and memorable passphrase"


def _link(message) -> str:
    match = re.search(r"http://testserver(/accounts/invitation/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _accept(client, link, *, full_name="Grace Governor", password=PASSWORD, confirm=None):
    return client.post(link, {"full_name": full_name, "password1": password, "password2": confirm or password})


@pytest.fixture
def invite(users, django_capture_on_commit_callbacks):
    """Invite someone as the Norfolk adviser; returns (invitation, link)."""

    def _invite(**kwargs):
        kwargs = {
            "email": "grace@governors.example",
            "full_name": "Grace Governor",
            "role": User.Role.GOVERNOR,
            "school": users["governor"].school,
            "by": users["adviser"],
            **kwargs,
        }
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(**kwargs)
        return invitation, _link(mail.outbox[-1])

    return _invite


# --- The whole journey ---------------------------------------------------------


@pytest.mark.django_db
def test_an_invited_governor_sets_a_password_and_is_signed_in_with_the_right_role_and_school(client, users, invite):
    school = users["governor"].school
    invitation, link = invite()

    assert invitation.state == "pending"
    email = OutgoingEmail.objects.get(template="invitation")
    assert (email.to, email.about, email.sent_at is not None) == ("grace@governors.example", invitation, True)
    assert len(mail.outbox) == 1
    assert link in mail.outbox[0].alternatives[0][0]
    assert school.name in mail.outbox[0].body
    assert AuditEvent.objects.filter(verb="invitation.created", actor=users["adviser"]).count() == 1

    page = client.get(link)
    assert page.status_code == 200
    assert 'value="Grace Governor"' in page.content.decode()

    response = _accept(client, link, full_name="Grace A. Governor")
    assert response.status_code == 302
    assert response.url == reverse("home")

    user = User.objects.get(email="grace@governors.example")
    assert (user.role, user.school, user.full_name, user.is_staff) == ("governor", school, "Grace A. Governor", False)
    assert user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.state == "accepted"
    assert invitation.user == user
    assert AuditEvent.objects.filter(verb="invitation.accepted", actor=user).count() == 1

    home = client.get(reverse("home")).content.decode()
    assert "Signed in as <strong>Grace A. Governor</strong>, governor of " + school.name in home


@pytest.mark.django_db
def test_an_invited_adviser_gets_staff_status_and_their_local_authorities(client, users, la, invite):
    # Only a superuser invites an adviser (test_role_acquisition.py).
    root = User.objects.create_superuser(email="root@example.org", password="x" * 20, full_name="Root")
    _, link = invite(email="new.adviser@la.example", role=User.Role.ADVISER, school=None, local_authorities=[la],
                     by=root)
    _accept(client, link)
    user = User.objects.get(email="new.adviser@la.example")
    assert user.is_staff and user.is_adviser
    assert list(user.local_authorities.all()) == [la]


@pytest.mark.django_db
def test_the_invitation_page_is_never_cached_nor_sent_to_another_site_as_a_referer(client, invite):
    _, link = invite()
    responses = (
        client.get(link),
        _accept(client, link, confirm="mismatch"),
        client.get("/accounts/invitation/not-a-token/"),
    )
    for response in responses:
        assert "no-store" in response["Cache-Control"]
        # "same-origin", not "no-referrer": see views._private_link.
        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_invitation_email_does_not_html_escape_the_text_part(users, invite):
    invite(full_name="Seán O'Brien")
    assert "Dear Seán O'Brien," in mail.outbox[0].body
    assert "O&#x27;Brien" in mail.outbox[0].alternatives[0][0]


# --- Links that cannot be used: the same 404 page, no account ---------------------


def _expire(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
@pytest.mark.parametrize("spoil", ["expired", "revoked", "tampered", "unknown"])
def test_an_unusable_link_shows_the_same_404_page_and_makes_no_account(client, users, invite, spoil):
    invitation, link = invite()
    if spoil == "expired":
        _expire(invitation)
    elif spoil == "revoked":
        services.invitation_revoke(invitation=invitation, by=users["adviser"])
    elif spoil == "tampered":
        link = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    elif spoil == "unknown":
        link = "/accounts/invitation/x/"
    reference = client.get("/accounts/invitation/never-issued/")

    for response in (client.get(link), _accept(client, link)):
        assert response.status_code == 404
        assert response.content == reference.content
        assert "This invitation link cannot be used" in response.content.decode()
    assert not User.objects.filter(email="grace@governors.example").exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_used_link_cannot_be_used_again(client, invite):
    invitation, link = invite()
    _accept(client, link)
    client.post(reverse("logout"))

    assert client.get(link).status_code == 404
    response = _accept(client, link, password="another long passphrase")
    assert response.status_code == 404
    assert User.objects.filter(email="grace@governors.example").count() == 1
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_service_accepts_a_token_once(invite):
    _, link = invite()
    token = link.rstrip("/").rsplit("/", 1)[-1]
    services.invitation_accept(token=token, password=PASSWORD, full_name="Grace")
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=token, password=PASSWORD, full_name="Grace")


@pytest.mark.django_db
def test_a_link_that_expires_while_the_form_is_open_is_refused(client, invite):
    invitation, link = invite()
    assert client.get(link).status_code == 200
    _expire(invitation)
    assert _accept(client, link).status_code == 404
    assert not User.objects.filter(email="grace@governors.example").exists()


@pytest.mark.django_db
def test_it_asks_again_for_a_weak_or_mismatched_password_and_keeps_the_link_usable(client, invite):
    invitation, link = invite()
    weak = _accept(client, link, password="password")
    mismatched = _accept(client, link, confirm="not the same passphrase")
    assert weak.status_code == mismatched.status_code == 200
    assert 'href="#id_password2"' in weak.content.decode()
    assert "The two password fields didn’t match." in mismatched.content.decode()
    assert not User.objects.filter(email="grace@governors.example").exists()
    invitation.refresh_from_db()
    assert invitation.state == "pending"


# --- Resend and revoke --------------------------------------------------------------


@pytest.mark.django_db
def test_resending_kills_the_old_link(client, users, invite, django_capture_on_commit_callbacks):
    invitation, old_link = invite()
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation, by=users["adviser"])
    new_link = _link(mail.outbox[-1])

    assert len(mail.outbox) == 2
    assert new_link != old_link
    assert client.get(old_link).status_code == 404
    assert _accept(client, new_link).status_code == 302
    assert AuditEvent.objects.filter(verb="invitation.resent").count() == 1


@pytest.mark.django_db
def test_resending_an_expired_invitation_gives_it_a_new_expiry(users, invite):
    invitation, _ = invite()
    _expire(invitation)
    invitation = services.invitation_resend(invitation=invitation, by=users["adviser"])
    assert invitation.state == "pending"


@pytest.mark.django_db
def test_an_accepted_or_revoked_invitation_cannot_be_resent_or_revoked(client, users, invite):
    accepted, link = invite()
    _accept(client, link)
    revoked, _ = invite(email="other@governors.example")
    services.invitation_revoke(invitation=revoked, by=users["adviser"])
    for invitation in (accepted, revoked):
        with pytest.raises(ValidationError):
            services.invitation_resend(invitation=invitation, by=users["adviser"])
        with pytest.raises(ValidationError):
            services.invitation_revoke(invitation=invitation, by=users["adviser"])
    assert AuditEvent.objects.filter(verb="invitation.revoked").count() == 1


# --- What an adviser may invite -----------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_an_address_that_already_has_an_account(users):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(
            email=users["governor"].email.upper(),
            full_name="Someone",
            role=User.Role.GOVERNOR,
            school=users["governor"].school,
            by=users["adviser"],
        )
    assert error.value.message_dict == {"email": ["There is already an account with this email address."]}


@pytest.mark.django_db
def test_it_refuses_a_second_pending_invitation_but_not_after_the_first_expired(users, invite):
    first, _ = invite()
    with pytest.raises(ValidationError, match="already has an invitation waiting"):
        invite()
    _expire(first)
    second, _ = invite()
    assert second.state == "pending"


@pytest.mark.django_db
def test_a_governor_needs_a_school(users):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(
            email="g@x.example", full_name="G", role=User.Role.GOVERNOR, school=None, by=users["adviser"]
        )
    assert list(error.value.message_dict) == ["school"]


@pytest.mark.django_db
def test_it_refuses_an_unknown_role(users):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(email="g@x.example", full_name="G", role="referee", by=users["adviser"])
    assert list(error.value.message_dict) == ["role"]


@pytest.mark.django_db
def test_an_adviser_invites_only_into_their_own_local_authorities(users):
    suffolk_school = SchoolFactory(local_authority=LocalAuthorityFactory(code="935"))
    with pytest.raises(ValidationError) as error:
        services.invitation_create(
            email="g@x.example",
            full_name="G",
            role=User.Role.ADVISER,
            school=suffolk_school,
            local_authorities=[suffolk_school.local_authority],
            by=users["adviser"],
        )
    # An adviser's role is a superuser's to give, too.
    assert set(error.value.message_dict) == {"role", "school", "local_authorities"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["headteacher", "assessor", "governor"])
def test_only_an_adviser_may_invite(users, role):
    with pytest.raises(PermissionDenied):
        services.invitation_create(email="g@x.example", full_name="G", role=User.Role.HEADTEACHER, by=users[role])
    assert not Invitation.objects.exists()


# --- The adviser's admin ----------------------------------------------------------


@pytest.mark.django_db
def test_an_adviser_invites_through_the_admin_add_form(client, users, la, django_capture_on_commit_callbacks):
    client.force_login(users["adviser"])
    assert client.get(reverse("admin:lle_portal_invitation_add")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:lle_portal_invitation_add"),
            {
                "email": "New.Head@School.example",
                "full_name": "New Head",
                "role": "headteacher",
                "school": users["headteacher"].school.pk,
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.created_by, invitation.state) == (
        "new.head@school.example",
        users["adviser"],
        "pending",
    )
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(verb="invitation.created").count() == 1


@pytest.mark.django_db
def test_the_admin_add_form_shows_the_service_refusal_beside_the_field(client, users):
    client.force_login(users["adviser"])
    response = client.post(
        reverse("admin:lle_portal_invitation_add"),
        {"email": users["governor"].email, "full_name": "X", "role": "governor", "school": users["governor"].school.pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["There is already an account with this email address."]
    }
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_the_admin_actions_resend_and_revoke(client, users, invite, django_capture_on_commit_callbacks):
    to_resend, old_link = invite()
    to_revoke, revoked_link = invite(email="other@governors.example")
    client.force_login(users["adviser"])
    changelist = reverse("admin:lle_portal_invitation_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "resend_invitations", "_selected_action": [to_resend.pk]})
    client.post(changelist, {"action": "revoke_invitations", "_selected_action": [to_revoke.pk]})

    to_resend.refresh_from_db()
    to_revoke.refresh_from_db()
    assert (to_resend.state, to_revoke.state) == ("pending", "revoked")
    assert len(mail.outbox) == 3
    assert client.get(old_link).status_code == 404
    assert client.get(revoked_link).status_code == 404
    assert client.get(_link(mail.outbox[-1])).status_code == 200


@pytest.mark.django_db
def test_an_admin_action_on_an_accepted_invitation_warns_and_changes_nothing(client, users, invite):
    invitation, link = invite()
    _accept(client, link)
    client.force_login(users["adviser"])
    response = client.post(
        reverse("admin:lle_portal_invitation_changelist"),
        {"action": "revoke_invitations", "_selected_action": [invitation.pk]},
        follow=True,
    )
    assert "already been accepted" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "accepted"


@pytest.mark.django_db
def test_the_invitation_list_shows_each_state_and_filters_by_it(client, users, invite):
    pending, _ = invite()
    expired, _ = invite(email="late@governors.example")
    _expire(expired)
    client.force_login(users["adviser"])
    url = reverse("admin:lle_portal_invitation_changelist")
    html = client.get(url).content.decode()
    assert "Pending" in html and "Expired" in html
    only_expired = client.get(url, {"state": "expired"})
    assert list(only_expired.context["cl"].result_list) == [expired]


@pytest.mark.django_db
def test_an_adviser_sees_only_invitations_and_people_of_their_own_local_authorities(client, users, invite):
    invite()
    suffolk_school = SchoolFactory(local_authority=users["other_adviser"].local_authorities.get())
    with pytest.raises(ValidationError):
        invite(email="x@y.example", school=suffolk_school)  # not theirs to invite
    services.invitation_create(
        email="suffolk.gov@x.example",
        full_name="Suffolk Governor",
        role=User.Role.GOVERNOR,
        school=suffolk_school,
        by=users["other_adviser"],
    )
    client.force_login(users["adviser"])
    invitations = client.get(reverse("admin:lle_portal_invitation_changelist")).context["cl"].result_list
    assert [i.email for i in invitations] == ["grace@governors.example"]

    people = set(client.get(reverse("admin:lle_portal_user_changelist")).context["cl"].result_list)
    assert {users["headteacher"], users["governor"], users["adviser"], users["assessor"]} <= people
    assert users["other_adviser"] not in people


@pytest.mark.django_db
def test_an_adviser_cannot_make_anyone_a_superuser(client, users):
    adviser = users["adviser"]
    client.force_login(adviser)
    url = reverse("admin:lle_portal_user_change", args=[adviser.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields
    # A posted value for a field the form does not offer is refused, and nothing is saved.
    response = client.post(url, {"full_name": adviser.full_name, "job_title": "Lead adviser", "is_superuser": "on"})
    assert response.status_code == 200
    assert "You cannot change superuser status here" in str(response.context["adminform"].form.non_field_errors())
    adviser.refresh_from_db()
    assert not adviser.is_superuser and adviser.job_title == ""
    # Their own name and job title they may change.
    response = client.post(url, {"full_name": adviser.full_name, "job_title": "Lead adviser"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    adviser.refresh_from_db()
    assert adviser.job_title == "Lead adviser"
    assert not adviser.is_superuser


@pytest.mark.django_db
def test_the_user_list_searches_by_name_and_filters_by_role_and_local_authority(client, users, la):
    client.force_login(users["adviser"])
    url = reverse("admin:lle_portal_user_changelist")
    found = client.get(url, {"q": users["governor"].full_name}).context["cl"].result_list
    assert list(found) == [users["governor"]]
    governors = client.get(url, {"role__exact": "governor"}).context["cl"].result_list
    assert list(governors) == [users["governor"]]
    in_norfolk = set(client.get(url, {"la": la.pk}).context["cl"].result_list)
    assert in_norfolk == {users["headteacher"], users["governor"], users["adviser"]}


@pytest.mark.django_db
def test_an_invitation_page_in_the_admin_is_read_only_and_shows_its_state(client, users, invite):
    invitation, _ = invite()
    client.force_login(users["adviser"])
    response = client.get(reverse("admin:lle_portal_invitation_change", args=[invitation.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "Pending" in response.content.decode()
    assert "token_hash" not in response.content.decode()


@pytest.mark.django_db
def test_a_superuser_may_add_a_user_directly(client, users):
    root = User.objects.create_superuser(email="root@example.org", password="x" * 20, full_name="Root")
    client.force_login(root)
    url = reverse("admin:lle_portal_user_add")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "email": "Direct@Example.org",
            "full_name": "Direct Person",
            "role": "assessor",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    person = User.objects.get(email="direct@example.org")
    assert person.is_staff and person.check_password(PASSWORD)


@pytest.mark.django_db
def test_an_adviser_may_not_add_a_user_without_an_invitation(client, users):
    client.force_login(users["adviser"])
    assert client.get(reverse("admin:lle_portal_user_add")).status_code == 403


@pytest.mark.django_db
def test_the_admin_change_password_link_works_with_the_site_template(client, users):
    adviser = users["adviser"]
    client.force_login(adviser)
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": "correct horse battery staple", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    adviser.refresh_from_db()
    assert adviser.check_password(PASSWORD)
    # An adviser may not set another person's password (they could then sign in
    # as them); a superuser may, and the person can always reset their own by email.
    url = reverse("admin:auth_user_password_change", args=[users["governor"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 403
    users["governor"].refresh_from_db()
    assert not users["governor"].check_password(PASSWORD)
    root = User.objects.create_superuser(email="root2@example.org", password="x" * 20, full_name="Root")
    client.force_login(root)
    assert client.get(url).status_code == 200


@pytest.mark.postgres
def test_two_tabs_posting_the_same_link_at_once_make_one_account(transactional_db, users, invite):
    _, link = invite()
    token = link.rstrip("/").rsplit("/", 1)[-1]

    def accept():
        try:
            services.invitation_accept(token=token, password=PASSWORD, full_name="Grace")
            return "accepted"
        except services.InvitationInvalid:
            return "refused"

    outcomes = at_once(accept)
    assert sorted(outcomes) == ["accepted", "refused"]
    assert User.objects.filter(email="grace@governors.example").count() == 1
