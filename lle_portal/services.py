"""Services for people: invitations and account emails.

Accounts are made by invitation (an LA lead adviser invites a governor,
headteacher, assessor or adviser by email, and the person sets a password
through the emailed link), except that a headteacher may register to apply
(`headteacher_register`). Views, admin actions and tasks all call these
functions; none of them takes a `request`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from .audit import audit_record
from .emails import email_queue
from .models import Invitation, LocalAuthority, OutgoingEmail, School, User


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
    elif Invitation.objects.pending().filter(email__iexact=email).exists():
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
    """The pending invitation whose link carries `token`, or None."""
    return Invitation.objects.pending().select_related("school").filter(token_hash=Invitation.hash_token(token)).first()


@transaction.atomic
def invitation_accept(*, token: str, password: str, full_name: str) -> User:
    """Make the invited person's account, with the role, school and LAs of the
    invitation. Raises InvitationInvalid for a link that cannot be used, and
    ValidationError for a password the validators refuse."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=Invitation.hash_token(token)).first()
    if invitation is None or invitation.state != "pending":
        raise InvitationInvalid
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationInvalid
    full_name = full_name.strip() or invitation.full_name
    password_validation.validate_password(password, User(email=invitation.email, full_name=full_name))

    # Two tabs (or a double click) can post the same link at once. The row
    # lock above serialises them on PostgreSQL; on SQLite, where
    # select_for_update does nothing, this conditional update is the claim:
    # only one request moves accepted_at from empty.
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now)
    if claimed != 1:
        raise InvitationInvalid

    # The invitation is the adviser's grant of the school: the link is
    # confirmed at once, except a headship the school already has a confirmed
    # head for, which waits as a claim in the adviser's queue (flagged there).
    granted = invitation.school is not None and invitation.role in (User.Role.HEADTEACHER, User.Role.GOVERNOR)
    if granted and invitation.role == User.Role.HEADTEACHER:
        granted = not User.objects.filter(User.confirmed_heads_q(active=False), school=invitation.school).exists()
    fields = {"email": invitation.email, "password": password, "full_name": full_name, "role": invitation.role,
              "school": invitation.school}
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
    invitation.save(update_fields=["accepted_at", "user"])
    audit_record(verb="invitation.accepted", target=invitation, actor=user, data={"user_id": user.pk})
    return user


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


@transaction.atomic
def headteacher_register(*, email: str, full_name: str, password: str, school: School) -> User:
    """A headteacher makes their own account to apply to the programme.

    Only the headteacher role can be had this way: every other role is given by
    an adviser's invitation. Raises ValidationError (keyed by field) for an
    address already in use or a password the validators refuse.
    """
    email = _normalise_email(email)
    full_name = full_name.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "There is already an account with this email address. "
                                        "Sign in, or reset your password if you have forgotten it."})
    password_validation.validate_password(password, User(email=email, full_name=full_name))
    try:
        # A savepoint: two registrations racing for one address meet the
        # unique constraint here, and the loser gets the same message.
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name, role=User.Role.HEADTEACHER, school=school
            )
    except IntegrityError as error:
        raise ValidationError({"email": "There is already an account with this email address."}) from error
    # The school is a claim until the adviser of its LA confirms it
    # (school_link_confirm): until then it gives no power over the school.
    audit_record(verb="user.registered", target=user, actor=user,
                 data={"school_urn": school.urn, "school_link": "claimed"})
    return user


# --- a head's link to a school: claimed at registration, granted by the adviser ---


class SchoolLinkError(Exception):
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
    current = (User.objects.filter(User.confirmed_heads_q(active=False), school_id=claim.school_id)
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
    if head is None or not by.advises(head.school.local_authority_id):
        raise User.DoesNotExist("No such confirmed headteacher in your local authorities.")
    school = head.school
    head.school = None
    head.save(update_fields=["school", "school_confirmed_at", "school_confirmed_by"])
    audit_record(verb="user.school_link_ended", target=head, actor=by, data={"school_urn": school.urn})
    _school_link_email(head, "school_link_rejected", school, ended=True)
    return head
