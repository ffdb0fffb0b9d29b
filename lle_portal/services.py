"""Services for people: invitations and account emails.

Accounts are made by invitation (an LA lead adviser invites a governor,
headteacher, assessor or adviser by email, and the person sets a password
through the emailed link), except that a headteacher may register to apply
(`headteacher_register`). Views, admin actions and tasks all call these
functions; none of them takes a `request`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .audit import audit_record
from .emails import email_queue
from .models import Invitation, LocalAuthority, OutgoingEmail, School, User
from .throttle import throttle_count, throttle_hit

logger = logging.getLogger(__name__)


class InvitationInvalid(Exception):
    """An invitation link that cannot be used: unknown, expired, used or revoked.

    One error for every case on purpose: the visitor learns nothing about
    which other tokens exist or what happened to this one.
    """


def _normalise_email(email: str) -> str:
    return BaseUserManager.normalize_email((email or "").strip()).lower()


def _ensure_may_invite(by: User) -> None:
    if not (by.is_authenticated and by.is_active and by.is_adviser):
        raise PermissionDenied("Only an LA lead adviser can invite people.")


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
    errors: dict[str, str] = {}
    if role not in User.Role.values:
        errors["role"] = "Choose a role: headteacher, governor, assessor or LA lead adviser."
    if role == User.Role.GOVERNOR and school is None:
        errors["school"] = "A governor needs a school: choose the school they govern."
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = "There is already an account with this email address."
    elif Invitation.objects.pending().filter(self_registered=False, email__iexact=email).exists():
        errors["email"] = "This email address already has an invitation waiting. Resend or revoke that one instead."
    if not by.is_superuser:
        # An adviser sees only the LAs they work for (DESIGN §1), so they may
        # only give access to those LAs' schools and data.
        own = set(by.local_authorities.values_list("pk", flat=True))
        if school is not None and school.local_authority_id not in own:
            errors["school"] = "You can only invite people to schools in your local authorities."
        if {la.pk for la in local_authorities} - own:
            errors["local_authorities"] = "You can only give access to your own local authorities."
    if errors:
        raise ValidationError(errors)
    return email


def _invitation_email(invitation: Invitation, token: str, by: User) -> OutgoingEmail:
    accept_url = settings.SITE_URL + reverse("invitation_accept", args=[token])
    return email_queue(
        to=invitation.email,
        template="invitation",
        context={
            "full_name": invitation.full_name,
            "role": invitation.get_role_display(),
            "school_name": invitation.school.name if invitation.school else "",
            "invited_by": by.get_full_name() or by.email,
            "accept_url": accept_url,
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
    token = invitation.new_token()
    invitation.save()
    invitation.local_authorities.set(local_authorities)
    audit_record(verb="invitation.created", target=invitation, actor=by, data={"email": email, "role": role})
    _invitation_email(invitation, token, by)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Send the invitation again with a new token and a new expiry date.

    The old link stops working at once: only the newest token's hash is kept.
    """
    _ensure_may_invite(by)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
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
    token = invitation.new_token()
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit_record(verb="invitation.resent", target=invitation, actor=by, data={"email": invitation.email})
    _invitation_email(invitation, token, by)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Withdraw an invitation that has not been accepted; its link stops working."""
    _ensure_may_invite(by)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
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
    return (Invitation.objects.pending().select_related("school")
            .filter(self_registered=False, token_hash=Invitation.hash_token(token)).first())


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
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now)
    if claimed != 1:
        raise InvitationInvalid

    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name,
        role=invitation.role,
        school=invitation.school,
    )
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
    invitation = (Invitation.objects.select_for_update()
                  .filter(self_registered=False, token_hash=Invitation.hash_token(token)).first())
    if invitation is None or invitation.state != "pending":
        raise InvitationInvalid
    if User.objects.filter(email__iexact=invitation.email).exists():
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
    return (Invitation.objects.pending().select_related("school")
            .filter(self_registered=True, token_hash=Invitation.hash_token(token)).first())


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
    invitation = (Invitation.objects.select_for_update()
                  .filter(self_registered=True, token_hash=Invitation.hash_token(token)).first())
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
    audit_record(verb="user.registered", target=user, actor=user,
                 data={"school_urn": invitation.school.urn if invitation.school else None})
    return user
