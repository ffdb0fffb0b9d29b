"""Services for people: invitations, account edits and account emails.

Accounts are made by invitation (an LA lead adviser invites a governor,
headteacher or assessor to their own LAs' schools; a superuser also invites
advisers), except that a headteacher may register to apply
(`headteacher_register`). A person's role, school and LAs are granted, never
claimed (docs/programme.md §12.1): only a superuser changes roles,
LAs or another person's email, no one edits their own LAs, and an email
address changes only once the new address has confirmed it. Views, admin
actions and tasks all call these functions; none of them takes a `request`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from . import private_links
from .audit import audit_record
from .emails import email_queue
from .errors import DomainError
from .models import EmailChange, Invitation, LocalAuthority, OutgoingEmail, School, User
from .throttle import throttle_count, throttle_hit

logger = logging.getLogger(__name__)


class InvitationInvalid(Exception):
    """An invitation link that cannot be used: unknown, expired, used or revoked.

    One error for every case on purpose: the visitor learns nothing about
    which other tokens exist or what happened to this one.
    """


class EmailChangeInvalid(Exception):
    """An email-change link that cannot be used (unknown, expired, used,
    replaced, or the address taken meanwhile): one error for every case."""


# The roles an adviser may give, by invitation, and look after (deactivate,
# correct a name): the people of their LAs' schools, and assessors. An
# adviser's role, and every LA, are a superuser's to give.
ADVISER_GRANTABLE_ROLES = frozenset({User.Role.HEADTEACHER, User.Role.GOVERNOR, User.Role.ASSESSOR})


def _normalise_email(email: str) -> str:
    return BaseUserManager.normalize_email((email or "").strip()).lower()


def _ensure_may_invite(by: User) -> None:
    if not (by.is_authenticated and by.is_active and by.is_adviser):
        raise PermissionDenied("Only an LA lead adviser can invite people.")


def _grant_errors(
    *, role: str, school: School | None, local_authorities: Iterable[LocalAuthority], by: User
) -> dict[str, str]:
    """What in this grant of a role, school and LAs `by` may not give (by field)."""
    if by.is_superuser:
        return {}
    errors: dict[str, str] = {}
    if role in User.Role.values and role not in ADVISER_GRANTABLE_ROLES:
        errors["role"] = "Only a superuser can invite an LA lead adviser."
    # An adviser sees only the LAs they work for (docs/programme.md §12.2), so they may
    # only give access to those LAs' schools and data.
    own = set(by.local_authorities.values_list("pk", flat=True))
    if school is not None and school.local_authority_id not in own:
        errors["school"] = "You can only invite people to schools in your local authorities."
    if {la.pk for la in local_authorities} - own:
        errors["local_authorities"] = "You can only give access to your own local authorities."
    return errors


def invitation_check(
    *,
    email: str,
    role: str,
    school: School | None = None,
    local_authorities: Iterable[LocalAuthority] = (),
    by: User,
) -> str:
    """Check that `by` may invite this person; return the normalised email.

    Raises ValidationError (keyed by field, so a form can show it beside the
    field) or PermissionDenied when `by` is not an adviser. The admin form
    calls this to show errors; `invitation_create` calls it again.
    """
    _ensure_may_invite(by)
    email = _normalise_email(email)
    local_authorities = list(local_authorities)
    errors: dict[str, str] = {}
    if role not in User.Role.values:
        errors["role"] = "Choose a role: headteacher, governor, assessor or LA lead adviser."
    if role == User.Role.GOVERNOR and school is None:
        errors["school"] = "A governor needs a school: choose the school they govern."
    if local_authorities and role != User.Role.ADVISER:
        # LAs on anyone else's account would list them among that LA's people.
        errors["local_authorities"] = "Only an LA lead adviser works for local authorities: leave these empty."
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = "There is already an account with this email address."
    elif Invitation.objects.pending().filter(self_registered=False, email__iexact=email).exists():
        errors["email"] = "This email address already has an invitation waiting. Resend or revoke that one instead."
    errors = {**errors, **_grant_errors(role=role, school=school, local_authorities=local_authorities, by=by)}
    if errors:
        raise ValidationError(errors)
    return email


def _invitation_email(invitation: Invitation, by: User) -> OutgoingEmail:
    # Its link (`accept_url`) is put in when it is sent (lle_portal.private_links).
    return email_queue(
        to=invitation.email,
        template="invitation",
        context={
            "full_name": invitation.full_name,
            "role": invitation.get_role_display(),
            "school_name": invitation.school.name if invitation.school else "",
            "invited_by": by.get_full_name() or by.email,
            "expires_at": invitation.expires_at,
        },
        about=invitation,
    )


@transaction.atomic
def invitation_create(
    *,
    email: str,
    full_name: str,
    role: str,
    school: School | None = None,
    local_authorities: Iterable[LocalAuthority] = (),
    by: User,
) -> Invitation:
    """Invite a person to make an account with `role`, and email them the link."""
    local_authorities = list(local_authorities)
    email = invitation_check(email=email, role=role, school=school, local_authorities=local_authorities, by=by)
    invitation = Invitation(email=email, full_name=full_name.strip(), role=role, school=school, created_by=by)
    invitation.new_token()
    invitation.save()
    invitation.local_authorities.set(local_authorities)
    audit_record(verb="invitation.created", target=invitation, actor=by, data={"email": email, "role": role})
    _invitation_email(invitation, by)
    return invitation


def _invitation_to_act_on(invitation: Invitation, by: User) -> Invitation:
    """The invitation, locked, when `by` could have made it (and so may resend or revoke it)."""
    _ensure_may_invite(by)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if _grant_errors(role=invitation.role, school=invitation.school,
                     local_authorities=invitation.local_authorities.all(), by=by):
        raise ValidationError("This invitation gives a role or access that only a superuser can give.")
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Send the invitation again with a new token and a new expiry date.

    The old link stops working at once: only the newest token's hash is kept.
    """
    invitation = _invitation_to_act_on(invitation, by)
    if invitation.self_registered:
        # Its link is confirmed with the password chosen when registering; the
        # head registers again for a new one.
        raise ValidationError("This is a headteacher's own registration: they can register again for a new link.")
    if invitation.accepted_at:
        raise ValidationError("This invitation has already been accepted.")
    if invitation.revoked_at:
        raise ValidationError("This invitation was revoked. Create a new one instead.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("There is already an account with this email address.")
    invitation.new_token()
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit_record(verb="invitation.resent", target=invitation, actor=by, data={"email": invitation.email})
    _invitation_email(invitation, by)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Withdraw an invitation that has not been accepted; its link stops working."""
    invitation = _invitation_to_act_on(invitation, by)
    if invitation.accepted_at:
        raise ValidationError("This invitation has already been accepted: deactivate the account instead.")
    if invitation.revoked_at:
        raise ValidationError("This invitation has already been revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(verb="invitation.revoked", target=invitation, actor=by, data={"email": invitation.email})
    return invitation


def invitation_find_pending(*, token: str) -> Invitation | None:
    """The pending invitation (never a registration) whose link carries `token`, or None."""
    return private_links.find(Invitation.objects.pending().select_related("school").filter(self_registered=False),
                              token)


def _account_from_invitation(invitation: Invitation, *, password: str, full_name: str) -> User:
    """Make the account an invitation (or a registration) offers, once: two
    tabs or a double click may post the same link at the same moment.

    An adviser's invitation grants its school; a registration
    (`invitation.self_registered`) only claims it, for the LA adviser to
    confirm: whatever marks a school link as granted must check that flag.
    """
    # The caller's row lock serialises them on PostgreSQL; on SQLite, where
    # select_for_update does nothing, this conditional update is the claim:
    # only one request moves accepted_at from empty.
    now = timezone.now()
    if not private_links.claim(Invitation.objects.pending(), invitation.pk, accepted_at=now):
        raise InvitationInvalid

    # The invitation is the adviser's grant of the school: the link is
    # confirmed at once, except a headship the school already has a confirmed
    # head for, which waits as a claim in the adviser's queue (flagged there).
    # A registration is the head's own word, never a grant.
    granted = (not invitation.self_registered and invitation.school is not None
               and invitation.role in (User.Role.HEADTEACHER, User.Role.GOVERNOR))
    if granted and invitation.role == User.Role.HEADTEACHER:
        granted = not User.objects.filter(User.confirmed_heads_q(active=False), school=invitation.school).exists()
    fields: dict[str, Any] = {"email": invitation.email, "password": password, "full_name": full_name,
                              "role": invitation.role, "school": invitation.school}
    try:
        # A savepoint: a head confirmed for the same school at this moment
        # meets the one-head constraint, and this link waits as a claim instead.
        with transaction.atomic():
            user = User.objects.create_user(
                **fields, school_confirmed_at=now if granted else None,
                school_confirmed_by=invitation.created_by if granted else None,
            )
    except IntegrityError:
        if not granted:
            raise
        user = User.objects.create_user(**fields)
    user.local_authorities.set(invitation.local_authorities.all())
    invitation.accepted_at = now
    invitation.user = user
    # A registration's password hash has done its work: the account has its own.
    invitation.password = ""
    invitation.save(update_fields=["accepted_at", "user", "password"])
    return user


@transaction.atomic
def invitation_accept(*, token: str, password: str, full_name: str) -> User:
    """Make the invited person's account, with the role, school and LAs of the
    invitation. Raises InvitationInvalid for a link that cannot be used, and
    ValidationError for a password the validators refuse."""
    invitation = private_links.find(Invitation.objects.select_for_update().filter(self_registered=False), token)
    if invitation is None or invitation.state != "pending":
        raise InvitationInvalid
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationInvalid
    # The grant is the inviter's: if they may no longer give it (deactivated,
    # or no longer working for that LA), the link gives nothing.
    grantor = invitation.created_by
    if grantor is None or not (grantor.is_active and grantor.is_adviser) or _grant_errors(
        role=invitation.role, school=invitation.school,
        local_authorities=invitation.local_authorities.all(), by=grantor,
    ):
        raise InvitationInvalid
    full_name = full_name.strip() or invitation.full_name
    password_validation.validate_password(password, User(email=invitation.email, full_name=full_name))
    user = _account_from_invitation(invitation, password=password, full_name=full_name)
    audit_record(verb="invitation.accepted", target=invitation, actor=user, data={"user_id": user.pk})
    return user


ACCOUNT_EMAIL_WINDOW = 60 * 60


def account_email_permitted(*, purpose: str, email: str, client_ip: str | None) -> bool:
    """May a visitor make the portal send a `purpose` email ("password_reset",
    "registration") to `email` now? Counts the request; False once the address
    or the client has had its hourly share (ACCOUNT_EMAILS_PER_*_PER_HOUR).

    The client is counted first, so a client over its limit uses up no
    address's share. Whatever the answer, the caller shows the same page:
    the answer must not tell a visitor whether the address has an account.
    """
    client = client_ip or "unknown"
    if throttle_hit(f"{purpose}:client", client, window=ACCOUNT_EMAIL_WINDOW) > (
            settings.ACCOUNT_EMAILS_PER_CLIENT_PER_HOUR):
        logger.warning("%s emails: client %s is over its hourly limit; nothing sent.", purpose, client)
        return False
    address = _normalise_email(email)
    if throttle_hit(f"{purpose}:address", address, window=ACCOUNT_EMAIL_WINDOW) > (
            settings.ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR):
        # The address is personal data: the log names it by a hash prefix.
        logger.warning("%s emails: address #%s is over its hourly limit (request from %s); nothing sent.",
                       purpose, hashlib.sha256(address.encode()).hexdigest()[:8], client)
        return False
    return True


def user_password_reset_email(*, user: User, uidb64: str, token: str) -> OutgoingEmail:
    """Queue the password-reset email with its one-use link.

    The link is built from SITE_URL, never from the request's Host header, so
    a forged Host cannot send someone a link to another site.
    """
    reset_url = settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    audit_record(verb="user.password_reset_requested", target=user, actor_label="password reset form")
    return email_queue(
        to=user.email,
        template="password_reset",
        context={
            "full_name": user.get_full_name(),
            "reset_url": reset_url,
            "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
        about=user,
    )


def user_sign_in_lock_lift(*, user: User) -> int:
    """Clear the failed sign-ins counted against `user`'s address (django-axes),
    from every client address; returns how many records went."""
    from axes.utils import reset

    cleared = reset(username=user.email.lower())
    if cleared:
        audit_record(verb="user.sign_in_lock_lifted", target=user, actor=user, data={"by": "password reset"})
    return cleared


class RegistrationPasswordWrong(Exception):
    """The password typed to confirm a registration is not the one chosen when registering."""


# Wrong passwords typed at one registration link before it stops working.
REGISTRATION_CONFIRM_TRIES = 5


def _registration_email(invitation: Invitation) -> OutgoingEmail:
    return email_queue(
        to=invitation.email,
        template="registration_confirm",
        context={
            "full_name": invitation.full_name,
            "school_name": invitation.school.name if invitation.school else "",
            "expires_at": invitation.expires_at,
        },
        about=invitation,
    )


@transaction.atomic
def headteacher_register(*, email: str, full_name: str, password: str, school: School) -> Invitation | None:
    """A headteacher asks for an account, to apply to the programme.

    Nothing is made yet, and nobody is signed in: the address is emailed a
    link, and the account is made only when the link is followed with the same
    password (`registration_confirm`), which proves the person holds both the
    mailbox and the password. For an address that already has an account the
    holder is told someone tried instead. The caller shows the same "check
    your email" page either way, so the form never says whether an address has
    an account. Returns the pending registration, or None.

    Only the headteacher role can be had this way: every other role is given
    by an adviser's invitation. Raises ValidationError for a password the
    validators refuse.
    """
    email = _normalise_email(email)
    full_name = full_name.strip()
    password_validation.validate_password(password, User(email=email, full_name=full_name))
    # Hashed whether or not the address has an account, so that the answer
    # takes as long either way.
    password_hash = make_password(password)

    holder = User.objects.filter(email__iexact=email).first()
    if holder is not None:
        email_queue(
            to=holder.email,
            template="registration_existing",
            context={
                "full_name": holder.get_full_name(),
                "login_url": settings.SITE_URL + reverse("login"),
                "reset_url": settings.SITE_URL + reverse("password_reset"),
            },
            about=holder,
        )
        audit_record(verb="user.registration_attempted", target=holder, actor_label="registration form")
        return None

    # One registration per address waits at a time: asking again replaces the
    # earlier one, whose link stops working.
    now = timezone.now()
    Invitation.objects.pending().filter(self_registered=True, email__iexact=email).update(revoked_at=now)
    invitation = Invitation(email=email, full_name=full_name, role=User.Role.HEADTEACHER, school=school,
                            self_registered=True, password=password_hash)
    invitation.new_token(valid_for=timedelta(hours=settings.REGISTRATION_LINK_HOURS))
    invitation.save()
    audit_record(verb="registration.requested", target=invitation, actor_label="registration form",
                 data={"school_urn": school.urn})
    _registration_email(invitation)
    return invitation


def registration_find_pending(*, token: str) -> Invitation | None:
    """The pending registration whose confirmation link carries `token`, or None."""
    return private_links.find(Invitation.objects.pending().select_related("school").filter(self_registered=True),
                              token)


def _registration_tries_key(invitation: Invitation) -> str:
    return str(invitation.pk)


@transaction.atomic
def registration_confirm(*, token: str, password: str) -> User:
    """Make the account a registration asked for, from its emailed link.

    Raises InvitationInvalid for a link that cannot be used (unknown, expired,
    used, replaced, or after REGISTRATION_CONFIRM_TRIES wrong passwords), and
    RegistrationPasswordWrong when `password` is not the one chosen when
    registering: someone who registered another person's address cannot have
    that person make an account whose password the registrant knows.
    """
    invitation = private_links.find(Invitation.objects.select_for_update().filter(self_registered=True), token)
    if invitation is None or invitation.state != "pending":
        raise InvitationInvalid
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationInvalid
    tries_key = _registration_tries_key(invitation)
    window = settings.REGISTRATION_LINK_HOURS * 3600
    if throttle_count("registration-confirm", tries_key, window=window) >= REGISTRATION_CONFIRM_TRIES:
        raise InvitationInvalid
    if not check_password(password, invitation.password):
        throttle_hit("registration-confirm", tries_key, window=window)
        raise RegistrationPasswordWrong
    user = _account_from_invitation(invitation, password=password, full_name=invitation.full_name)
    # The school is a claim until the adviser of its LA confirms it
    # (school_link_confirm): until then it gives no power over the school.
    audit_record(verb="user.registered", target=user, actor=user,
                 data={"school_urn": invitation.school.urn if invitation.school else None, "school_link": "claimed"})
    return user


# --- Editing accounts (the admin's user change form) -----------------------------------

# What the admin's change form can edit. Staff status follows the role
# (User.save); the dates are the system's.
USER_EDITABLE_FIELDS = frozenset({
    "email", "full_name", "job_title", "role", "school", "local_authorities",
    "is_active", "is_superuser", "groups", "user_permissions",
})
# What an adviser may change for the people they look after: a name, and
# whether the account works at all.
ADVISER_MAY_CHANGE = frozenset({"full_name", "job_title", "is_active"})
# Anyone's own details. Not their email (it changes through a link sent to the
# new address: email_change_request), nor their LAs, nor whether they can sign in.
OWN_DETAILS = frozenset({"full_name", "job_title"})


def people_visible_to(queryset: QuerySet, *, by: User) -> QuerySet:
    """People (or invitations) an adviser sees: those tied to their own LAs,
    and those tied to no LA at all (assessors, for instance); a superuser sees
    everyone. `queryset` is of User or Invitation."""
    if by.is_superuser:
        return queryset
    own = by.local_authorities.all()
    unattached = Q(local_authorities__isnull=True, school__isnull=True)
    if queryset.model is User:
        # Tied to no LA means national (an assessor), not "everyone's": a
        # superuser, or an adviser given no LA yet, is a superuser's to see.
        unattached &= Q(is_superuser=False) & ~Q(role=User.Role.ADVISER)
    return queryset.filter(
        Q(local_authorities__in=own)
        | Q(school__local_authority__in=own)
        | unattached
    ).distinct()


def user_may_manage(*, person: User, by: User) -> bool:
    """May `by` deactivate `person`, correct their name, erase their data?

    A superuser anyone but themselves; an adviser the headteachers and
    governors of their LAs' schools, and the people tied to no LA (a national
    assessor) only if they invited them: such a person works for every LA, so
    one LA's adviser does not switch them off for the others. Another
    adviser's account is a superuser's to manage."""
    if not (by.is_authenticated and by.is_active and by.is_adviser) or person.pk == by.pk:
        return False
    if by.is_superuser:
        return True
    if person.is_superuser or person.role not in ADVISER_GRANTABLE_ROLES:
        return False
    if person.school_id is None and not person.local_authorities.exists():
        return Invitation.objects.filter(user=person, created_by=by).exists()
    return people_visible_to(User.objects.filter(pk=person.pk), by=by).exists()


def user_changeable_fields(*, person: User, by: User) -> frozenset[str]:
    """The fields of `person`'s account that `by` may change."""
    if not (by.is_authenticated and by.is_active):
        return frozenset()
    if person.pk == by.pk:
        if by.is_superuser:
            return USER_EDITABLE_FIELDS - {"email", "local_authorities", "is_active"}
        return OWN_DETAILS
    if not user_may_manage(person=person, by=by):
        return frozenset()
    return USER_EDITABLE_FIELDS if by.is_superuser else ADVISER_MAY_CHANGE


def _field_labels(names: Iterable[str]) -> str:
    return ", ".join(sorted(str(User._meta.get_field(name).verbose_name) for name in names))  # type: ignore[union-attr]


def user_check_changes(*, person: User, fields: Iterable[str], by: User) -> None:
    """Raise PermissionDenied unless `by` may change each of `fields` of `person`.

    The admin's form offers only what `user_changeable_fields` allows; this is
    the save-time check, for a posted form that was tampered with and for any
    other caller."""
    refused = set(fields) - user_changeable_fields(person=person, by=by)
    if not refused:
        return
    if person.pk == by.pk and "local_authorities" in refused:
        raise PermissionDenied("No one can change their own local authorities: ask a superuser.")
    if person.pk == by.pk and "email" in refused:
        raise PermissionDenied("Change your own email address from your account: a link is sent to the new address.")
    raise PermissionDenied(f"Only a superuser can change this for this person: {_field_labels(refused)}.")


@transaction.atomic
def user_update(*, person: User, changes: dict[str, Any], by: User) -> User:
    """Change fields of `person`'s account (the admin's change form).

    `changes` maps field names to new values (many-to-many ones to iterables).
    An email address set here (by a superuser) applies at once and the old
    address is told; a deactivation is recorded in the audit trail."""
    person = User.objects.select_for_update().get(pk=person.pk)
    user_check_changes(person=person, fields=changes, by=by)
    changes = dict(changes)
    email = changes.pop("email", None)
    many = {name: changes.pop(name) for name in ("local_authorities", "groups", "user_permissions") if name in changes}
    was_active = person.is_active
    for name, value in changes.items():
        setattr(person, name, value)
    if changes:
        person.save()
    for name, value in many.items():
        getattr(person, name).set(value)
    if email is not None:
        user_email_set(user=person, email=email, by=by)
    if person.is_active != was_active:
        audit_record(verb="user.deactivated" if was_active else "user.reactivated", target=person, actor=by)
    return person


def _email_changed_notice(user: User, *, old_email: str) -> OutgoingEmail:
    return email_queue(
        to=old_email,
        template="email_changed",
        context={"full_name": user.get_full_name(), "new_email": user.email, "changed_at": timezone.now()},
        about=user,
    )


@transaction.atomic
def user_email_set(*, user: User, email: str, by: User) -> User:
    """A superuser sets another person's email address, at once; the old address is told."""
    if not (by.is_active and by.is_superuser) or by.pk == user.pk:
        raise PermissionDenied("Only a superuser changes another person's email address.")
    user = User.objects.select_for_update().get(pk=user.pk)
    email = _normalise_email(email)
    if email == user.email:
        return user
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": "There is already an account with this email address."})
    old_email = user.email
    user.email = email
    user.save(update_fields=["email"])
    # A link asked for before this change would otherwise undo it.
    user.email_changes.pending().update(cancelled_at=timezone.now())
    audit_record(verb="user.email_changed", target=user, actor=by, data={"how": "set by a superuser"})
    _email_changed_notice(user, old_email=old_email)
    return user


# --- Changing one's own email address: confirmed from the new address -------------------

# Each request emails an address the person typed: a few an hour is plenty.
EMAIL_CHANGES_PER_HOUR = 3


@transaction.atomic
def email_change_request(*, user: User, new_email: str, by: User) -> EmailChange:
    """Email a link to `new_email`; the account's address changes when it is opened.

    The answer is the same whether or not the address already has an account
    (that is not told to whoever asks): its owner is emailed instead, with no
    link. A new request replaces a pending one. Raises ValidationError (keyed
    by `new_email`) for the same address or too many requests."""
    if by.pk != user.pk or not (user.is_authenticated and user.is_active):
        raise PermissionDenied("Only the person themselves can ask to change their email address.")
    user = User.objects.select_for_update().get(pk=user.pk)
    new_email = _normalise_email(new_email)
    if new_email == user.email:
        raise ValidationError({"new_email": "This is already your email address: enter the new one."})
    now = timezone.now()
    if user.email_changes.filter(created_at__gt=now - timedelta(hours=1)).count() >= EMAIL_CHANGES_PER_HOUR:
        raise ValidationError({"new_email": f"You have asked {EMAIL_CHANGES_PER_HOUR} times in the last hour. "
                                            "Wait an hour, then ask again."})
    user.email_changes.pending().update(cancelled_at=now)
    change = EmailChange(user=user, new_email=new_email)
    if User.objects.filter(email__iexact=new_email).exists():
        # Kept (cancelled, with a hash of nothing anyone holds) so that it counts towards the limit.
        change.expires_at = now
        change.token_hash = private_links.hash_token(private_links.new_nonce())
        change.cancelled_at = now
        change.save()
        email_queue(to=new_email, template="email_change_taken", context={}, about=change)
        return change
    change.new_token()
    change.save()
    audit_record(verb="user.email_change_requested", target=user, actor=by)
    email_queue(
        to=new_email,
        template="email_change_confirm",
        context={"full_name": user.get_full_name(), "expires_at": change.expires_at,
                 "valid_hours": int(EmailChange.VALID_FOR.total_seconds() // 3600)},
        about=change,
    )
    return change


def email_change_find_pending(*, token: str) -> EmailChange | None:
    """The pending request whose link carries `token`, or None."""
    change = private_links.find(EmailChange.objects.pending().select_related("user"), token)
    # The token is derived from the account's address: one made before the
    # address changed some other way no longer matches.
    if change is None or not change.token_is_current():
        return None
    return change


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """The new address's owner opened the link: the account signs in with it
    from now on, and the old address is told. Raises EmailChangeInvalid."""
    change = private_links.find(EmailChange.objects.select_for_update(), token)
    if change is None or change.state != "pending":
        raise EmailChangeInvalid
    user = User.objects.select_for_update().get(pk=change.user_id)
    change.user = user
    if not user.is_active or not change.token_is_current():
        raise EmailChangeInvalid
    if User.objects.filter(email__iexact=change.new_email).exclude(pk=user.pk).exists():
        raise EmailChangeInvalid
    now = timezone.now()
    # One request wins when the link is posted twice at once (see invitation_accept).
    if not private_links.claim(EmailChange.objects.pending(), change.pk, confirmed_at=now):
        raise EmailChangeInvalid
    old_email = user.email
    user.email = change.new_email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError as error:  # taken by a registration at this very moment
        raise EmailChangeInvalid from error
    user.email_changes.pending().update(cancelled_at=now)
    audit_record(verb="user.email_changed", target=user, actor=user, data={"how": "confirmed from the new address"})
    _email_changed_notice(user, old_email=old_email)
    return user


# --- a head's link to a school: claimed at registration, granted by the adviser ---


class SchoolLinkError(DomainError):
    """A confirmation the rules do not allow; the message is for the adviser."""


def school_link_claims(*, by: User):
    """The pending claims to a headship that `by` may decide: headteachers of
    schools in the adviser's LAs whose link is not yet confirmed."""
    if not (by.is_authenticated and by.is_active and by.is_adviser):
        return User.objects.none()
    return (
        User.objects.filter(role=User.Role.HEADTEACHER, is_active=True, school__isnull=False,
                            school_confirmed_at__isnull=True)
        .filter(by.in_my_las("school__local_authority"))
        .select_related("school", "school__local_authority")
    )


def _claim_for(*, user: User, by: User) -> User:
    """The claimant, locked; a claim outside `by`'s LAs is as unknown as no claim."""
    claim = school_link_claims(by=by).select_for_update(of=("self",)).filter(pk=user.pk).first()
    if claim is None:
        raise User.DoesNotExist("No such claim to a headship in your local authorities.")
    return claim


def _school_link_email(user: User, template: str, school: School, **context) -> None:
    email_queue(to=user.email, template=template, about=user,
                context={"full_name": user.get_full_name(), "school_name": school.name, **context})


@transaction.atomic
def school_link_confirm(*, user: User, by: User) -> User:
    """The adviser of the school's LA confirms that `user` is its headteacher.

    Refused while the school has another confirmed head (the adviser ends that
    link first, with `school_link_end`); the database holds the same rule
    under concurrent confirmations.
    """
    claim = _claim_for(user=user, by=by)
    assert claim.school is not None  # a claim names its school (school_link_claims)
    current = (User.objects.filter(User.confirmed_heads_q(active=False), school=claim.school)
               .exclude(pk=claim.pk).first())
    if current is not None:
        raise SchoolLinkError(f"{claim.school.name} already has a confirmed headteacher, {current}. "
                              f"End their link first if they have left.")
    claim.school_confirmed_at = timezone.now()
    claim.school_confirmed_by = by
    try:
        with transaction.atomic():
            claim.save(update_fields=["school_confirmed_at", "school_confirmed_by"])
    except IntegrityError as error:
        raise SchoolLinkError(f"{claim.school.name} already has a confirmed headteacher.") from error
    audit_record(verb="user.school_link_confirmed", target=claim, actor=by,
                 data={"school_urn": claim.school.urn})
    _school_link_email(claim, "school_link_confirmed", claim.school, confirmed_by=by.get_full_name() or by.email)
    return claim


@transaction.atomic
def school_link_reject(*, user: User, by: User, reason: str = "") -> User:
    """The adviser refuses a claim: the account stays, without a school."""
    claim = _claim_for(user=user, by=by)
    school = claim.school
    assert school is not None  # a claim names its school (school_link_claims)
    claim.school = None
    claim.save(update_fields=["school", "school_confirmed_at", "school_confirmed_by"])
    audit_record(verb="user.school_link_rejected", target=claim, actor=by,
                 data={"school_urn": school.urn, "reason": reason.strip()})
    _school_link_email(claim, "school_link_rejected", school, reason=reason.strip())
    return claim


@transaction.atomic
def school_link_end(*, user: User, by: User) -> User:
    """The adviser ends a confirmed head's link (they have left the school),
    so that the new head's claim can be confirmed."""
    head = (User.objects.select_for_update(of=("self",)).select_related("school")
            .filter(User.confirmed_heads_q(active=False), pk=user.pk).first())
    school = head.school if head is not None else None
    if head is None or school is None or not by.advises(school.local_authority_id):
        raise User.DoesNotExist("No such confirmed headteacher in your local authorities.")
    head.school = None
    head.save(update_fields=["school", "school_confirmed_at", "school_confirmed_by"])
    audit_record(verb="user.school_link_ended", target=head, actor=by, data={"school_urn": school.urn})
    _school_link_email(head, "school_link_rejected", school, ended=True)
    return head
