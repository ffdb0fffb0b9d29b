"""References and the governing body's approval, given through emailed links.

One mechanism serves both (`LinkRequest.Kind`): a request is made when the
application is submitted (or when the head presses "send request now"), the
recipient answers once through a link that needs no account, and a daily job
chases, expires and tells the head when someone else must be asked.

The link is a private link (lle_portal.private_links): its token is 256 bits
derived with the server's secret key from a random nonce (so a reminder
carries the same link), and only its SHA-256 is stored. The emails that carry
it go through `email_queue` like every other email: the copy kept as an
`OutgoingEmail` (so staff see when it went out) has the link blanked, and the
send task puts it back only into the message it hands to the mail server, so
neither the request row nor the email log holds a working link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from lle_portal import private_links
from lle_portal.audit import audit_record
from lle_portal.emails import email_queue
from lle_portal.errors import DomainError
from lle_portal.models import OutgoingEmail, User

from . import rules
from .approvals import application_vouching_problems
from .models import Application, LinkRequest, LinkRequestChaser

Kind = LinkRequest.Kind
Status = LinkRequest.Status
Chaser = LinkRequestChaser.Kind

# The salt is the one the first links were made with: links already emailed keep working.
REFERENCE_LINK = private_links.LinkKind("applications.references.link", "applications:reference_respond")
REMINDER_AFTER = {Chaser.REMINDER_7: timedelta(days=7), Chaser.REMINDER_14: timedelta(days=14)}
# Never two reminders to one person within 48 hours (the 7- and 14-day ones
# could otherwise land together after the job was down for a week).
REMINDER_GAP = timedelta(hours=48)
# Who acted, in the audit trail, when it was the person with the link.
BY_LINK = "emailed link"

# The answers each kind asks for; anything else posted is ignored.
REFERENCE_FIELDS = (
    "ability", "impact", "senior_team", "commits_to_deploy", "safeguarding_concerns", "safeguarding_details",
    "recommendation",
)
GOVERNORS_FIELDS = ("approve", "comment")
FIELDS: dict[str, tuple[str, ...]] = {Kind.REFERENCE: REFERENCE_FIELDS, Kind.GOVERNORS_APPROVAL: GOVERNORS_FIELDS}
DRAFT_MAX_CHARS = 20_000


class ReferenceError(DomainError):  # noqa: A001 - the domain's word; shadows nothing used here
    """A change the rules do not allow; the message is for the person who tried."""


def link_days() -> int:
    return settings.REFERENCE_LINK_DAYS


# --- tokens -----------------------------------------------------------------


def link_token(link_request: LinkRequest) -> str:
    """The token of the request's link, made again from its nonce."""
    return REFERENCE_LINK.token(link_request.nonce)


def link_request_find(*, token: str) -> LinkRequest | None:
    """The request this token opens, in any state; None for a wrong or tampered token."""
    return private_links.find(
        LinkRequest.objects.select_related("application__school", "application__applicant", "application__round"),
        token,
    )


# --- making and closing requests --------------------------------------------------


def _recipient(application: Application, kind: str) -> tuple[str, str]:
    # Never a link to the applicant (nor one person as both chair and sponsor):
    # they would vouch for themselves (applications.approvals).
    problem = application_vouching_problems(application).get("sponsor" if kind == Kind.REFERENCE else "chair")
    if problem:
        raise ReferenceError(f"Not sent: the person named is not valid for this applicant. {problem}")
    nobody = rules.nobody_named(application, kind)
    if nobody:
        raise ReferenceError(nobody)
    if kind == Kind.REFERENCE:
        return application.referee.name, application.referee.email
    return application.chair_of_governors_name or "Chair of governors", application.chair_of_governors_email


def _create(*, application: Application, kind: str, name: str, email: str, by: User | None) -> LinkRequest:
    now = timezone.now()
    link_request = LinkRequest(created_at=now,
        application=application, kind=kind, recipient_name=name, recipient_email=email.lower(),
        nonce=private_links.new_nonce(), created_by=by if by is not None and by.is_authenticated else None,
        expires_at=now + timedelta(days=link_days()),
    )
    link_request.token_hash = private_links.hash_token(link_token(link_request))
    link_request.save()
    verb = "reference.requested" if kind == Kind.REFERENCE else "approval.requested"
    audit_record(verb=verb, target=application,
                 actor=by, actor_label="" if by else "celery",
                 data={"request": link_request.pk, "to": link_request.recipient_email})
    _link_email_queue(link_request)
    return link_request


def _close(link_request: LinkRequest, status: str) -> None:
    link_request.status = status
    link_request.closed_at = timezone.now()
    link_request.save(update_fields=["status", "closed_at"])


@transaction.atomic
def link_request_send(*, application: Application, kind: str = Kind.REFERENCE, by: User | None = None) -> LinkRequest:
    """Ask the sponsor (or the chair of governors) by email, once.

    An open request to the same person is kept as it is (submitting after
    "send request now" sends nothing twice); one to somebody else, because
    the head changed their sponsor, is cancelled first.
    """
    application = (Application.objects.select_for_update(of=("self",))
                   .select_related("referee", "applicant", "school").get(pk=application.pk))
    if application.status == Application.Status.WITHDRAWN:
        raise ReferenceError("This application was withdrawn.")
    if by is not None and not by.is_adviser and application.applicant_id != by.pk:
        raise ReferenceError("Only the applicant or the adviser can send this request.")
    name, email = _recipient(application, kind)
    current = LinkRequest.objects.select_for_update().filter(
        application=application, kind=kind, status=Status.REQUESTED).first()
    answered = LinkRequest.objects.filter(application=application, kind=kind, status=Status.RECEIVED)
    if answered.filter(recipient_email__iexact=email).exists():
        raise ReferenceError(f"{name} has already answered.")
    if current:
        if current.recipient_email == email.lower() and current.is_open:
            return current
        _close(current, Status.CANCELLED)
    return _create(application=application, kind=kind, name=name, email=email, by=by)


@transaction.atomic
def link_request_send_now(*, application: Application, kind: str, by: User) -> LinkRequest:
    """The head's "Send request now", before submitting (or after a request
    was cancelled): allowed by rules.can_send_request."""
    application = Application.objects.select_for_update(of=("self",)).select_related("referee").get(
        pk=application.pk)
    latest = application.link_requests.filter(kind=kind).order_by("-created_at", "-pk").first()
    rules.can_send_request.require(application, by, kind, latest, error=ReferenceError)
    return link_request_send(application=application, kind=kind, by=by)


def link_requests_on_submit(*, application: Application, by: User) -> list[LinkRequest]:
    """Called after the application is submitted: the sponsor's and the chair's requests."""
    made = []
    for kind in (Kind.REFERENCE, Kind.GOVERNORS_APPROVAL):
        try:
            made.append(link_request_send(application=application, kind=kind, by=by))
        except ReferenceError:
            continue  # already answered, or nobody named: nothing to ask
    return made


def _lock(link_request: LinkRequest) -> LinkRequest:
    return LinkRequest.objects.select_for_update(of=("self",)).select_related("application").get(pk=link_request.pk)


@transaction.atomic
def link_request_resend(*, link_request: LinkRequest, by: User) -> LinkRequest:
    """Staff: a new link to the same person; the old link stops working at once."""
    link_request = _lock(link_request)
    rules.can_act_as_adviser.require(link_request.application, by, action="send it again", error=ReferenceError)
    rules.can_resend.require(link_request, error=ReferenceError)
    if link_request.status == Status.REQUESTED:
        _close(link_request, Status.CANCELLED)
    audit_record(verb="reference.resent", target=link_request.application, actor=by,
                 data={"request": link_request.pk})
    return _create(application=link_request.application, kind=link_request.kind, name=link_request.recipient_name,
                   email=link_request.recipient_email, by=by)


@transaction.atomic
def link_request_cancel(*, link_request: LinkRequest, by: User) -> LinkRequest:
    link_request = _lock(link_request)
    rules.can_act_as_adviser.require(link_request.application, by, action="cancel it", error=ReferenceError)
    rules.can_cancel.require(link_request, error=ReferenceError)
    _close(link_request, Status.CANCELLED)
    audit_record(verb="reference.cancelled", target=link_request.application, actor=by,
                 data={"request": link_request.pk})
    return link_request


# --- the recipient's answers ---------------------------------------------------------


LINK_UNUSABLE = "This link can no longer be used."


def _lock_open(link_request: LinkRequest) -> LinkRequest:
    # Under the row lock, so a replayed or concurrent post finds the request answered.
    link_request = _lock(link_request)
    if not link_request.is_open:
        raise ReferenceError(LINK_UNUSABLE)
    return link_request


def _answer(link_request: LinkRequest, **changes: Any) -> None:
    """Use the link, once: the answer is written only while the request is
    still open (private_links.claim), and `link_request` given it."""
    usable = LinkRequest.objects.open().filter(expires_at__gt=timezone.now())
    if not private_links.claim(usable, link_request.pk, **changes):
        raise ReferenceError(LINK_UNUSABLE)
    for field, value in changes.items():
        setattr(link_request, field, value)


def _clean(kind: str, data: dict[str, Any]) -> dict[str, str]:
    # A draft is saved as typed, unvalidated; PostgreSQL's jsonb refuses a NUL (\u0000).
    return {
        name: str(data.get(name, ""))[:DRAFT_MAX_CHARS].replace("\x00", "") for name in FIELDS[kind] if name in data
    }


@transaction.atomic
def link_request_save_draft(*, link_request: LinkRequest, data: dict[str, Any]) -> LinkRequest:
    link_request = _lock_open(link_request)
    link_request.draft = {**link_request.draft, **_clean(link_request.kind, data)}
    link_request.save(update_fields=["draft"])
    return link_request


@transaction.atomic
def link_request_submit(*, link_request: LinkRequest, answers: dict[str, Any]) -> LinkRequest:
    """The reference (or the governors' decision) is given: final, never edited."""
    link_request = _lock(link_request)
    _answer(link_request, answers=_clean(link_request.kind, answers), draft={}, status=Status.RECEIVED,
            responded_at=timezone.now())
    application = link_request.application
    if link_request.kind == Kind.GOVERNORS_APPROVAL:
        # The approval is this answer itself (approvals.chair_approval reads it);
        # Application.governors_approved stays the head's "I have asked my chair".
        approved = link_request.answers.get("approve") == "yes"
        audit_record(verb="approval.received", target=application, actor_label=BY_LINK,
                     data={"request": link_request.pk, "approved": approved})
        if not approved:
            _ask_head(link_request)
    else:
        audit_record(verb="reference.received", target=application, actor_label=BY_LINK,
                     data={"request": link_request.pk})
    _tell_advisers(link_request)
    return link_request


@transaction.atomic
def link_request_decline(*, link_request: LinkRequest, reason: str) -> LinkRequest:
    link_request = _lock_open(link_request)
    reason = reason.strip()
    if not reason:
        raise ReferenceError("Say why you cannot give a reference.")
    _answer(link_request, decline_reason=reason[:DRAFT_MAX_CHARS], draft={}, status=Status.DECLINED,
            responded_at=timezone.now())
    verb = "reference.declined" if link_request.kind == Kind.REFERENCE else "approval.declined"
    audit_record(verb=verb, target=link_request.application, actor_label=BY_LINK, data={"request": link_request.pk})
    _ask_head(link_request)
    _tell_advisers(link_request)
    return link_request


def _advisers(application: Application):
    return User.objects.filter(
        role=User.Role.ADVISER, is_active=True, local_authorities__in=application.round.local_authorities.all()
    ).distinct()


def _tell_advisers(link_request: LinkRequest) -> None:
    application = link_request.application
    for adviser in _advisers(application):
        email_queue(to=adviser.email, template="reference_arrived", about=link_request,
                    context={"link_request": link_request, "application": application, "adviser": adviser})


def _ask_head(link_request: LinkRequest) -> None:
    """Tell the head (once per request) that someone else must be asked."""
    _, created = LinkRequestChaser.objects.get_or_create(
        request=link_request, kind=Chaser.HEAD_ASKED, defaults={"emailed_at": timezone.now()}
    )
    if created:
        application = link_request.application
        email_queue(to=application.applicant.email, template="reference_head_asked", about=link_request,
                    context={"link_request": link_request, "application": application,
                             "applicant": application.applicant})


# --- the daily chasers -------------------------------------------------------------------


def _reminder_due(link_request: LinkRequest, at: datetime) -> str | None:
    if not link_request.is_open or link_request.expires_at <= at:
        return None
    if link_request.last_reminded_at and at - link_request.last_reminded_at < REMINDER_GAP:
        return None
    done = {c.kind for c in link_request.chasers.all()}
    for kind in (Chaser.REMINDER_7, Chaser.REMINDER_14):
        if kind not in done:
            return kind if at - link_request.created_at >= REMINDER_AFTER[kind] else None
    return None


@transaction.atomic
def _chase_one(pk: int, at: datetime) -> bool:
    link_request = (LinkRequest.objects.select_for_update(of=("self",))
                    .select_related("application__applicant", "application__school").get(pk=pk))
    if link_request.status != Status.REQUESTED:
        return False
    if link_request.expires_at <= at:
        _close(link_request, Status.EXPIRED)
        verb = "reference.expired" if link_request.kind == Kind.REFERENCE else "approval.expired"
        audit_record(verb=verb, target=link_request.application, actor_label="celery",
                     data={"request": link_request.pk})
        _ask_head(link_request)
        return True
    kind = _reminder_due(link_request, at)
    if kind is None:
        return False
    LinkRequestChaser.objects.create(request=link_request, kind=kind, created_at=at)
    link_request.reminder_count += 1
    link_request.last_reminded_at = at
    link_request.save(update_fields=["reminder_count", "last_reminded_at"])
    audit_record(verb="reference.reminded", target=link_request.application, actor_label="celery",
                 data={"request": link_request.pk, "kind": kind})
    _link_email_queue(link_request, reminder=True)
    return True


def link_chasers_run(*, at: datetime | None = None) -> int:
    """Expire old links and remind at 7 and 14 days; returns how many requests changed.

    Each request is claimed under its own row lock, so the job is safe to run
    twice or on two workers; a request answered meanwhile is skipped.
    """
    at = at or timezone.now()
    due = LinkRequest.objects.open().filter(
        Q(expires_at__lte=at) | Q(created_at__lte=at - REMINDER_AFTER[Chaser.REMINDER_7])
    ).values_list("pk", flat=True)
    changed = sum(_chase_one(pk, at) for pk in list(due))
    _link_emails_never_queued_queue(at)
    return changed


# --- the emails that carry the link ------------------------------------------------------------


def _link(link_request: LinkRequest) -> str | None:
    """The working link, made again when an email is sent; None once the
    request is answered, cancelled, replaced or expired."""
    token = link_token(link_request)
    if not link_request.is_open or not private_links.token_matches(token, link_request.token_hash):
        return None
    return REFERENCE_LINK.url(token)


def _link_email_sent(link_request: LinkRequest, at: datetime) -> None:
    """In the sending's transaction (lle_portal.tasks.send_email). The first
    email about a request sets its `sent_at`; each later one is a reminder,
    and marks the oldest reminder not yet emailed (reminders are queued in
    order, days apart)."""
    if LinkRequest.objects.filter(pk=link_request.pk, sent_at__isnull=True).update(sent_at=at):
        return
    reminder = (link_request.chasers.filter(emailed_at__isnull=True).exclude(kind=Chaser.HEAD_ASKED)
                .order_by("created_at", "pk").first())
    if reminder is not None:
        LinkRequestChaser.objects.filter(pk=reminder.pk, emailed_at__isnull=True).update(emailed_at=at)


LINK_EMAIL = private_links.LinkEmail(context_key="link", link=_link, recipient=lambda r: r.recipient_email,
                                     sent=_link_email_sent)
LINK_TEMPLATES: dict[str, str] = {
    Kind.REFERENCE: "reference_request", Kind.GOVERNORS_APPROVAL: "reference_approval_request",
}


def register_link_emails() -> None:
    """Called at start-up (ApplicationsConfig.ready)."""
    for template in LINK_TEMPLATES.values():
        private_links.register_email(template, LINK_EMAIL)


def _link_email_queue(link_request: LinkRequest, *, reminder: bool = False) -> OutgoingEmail:
    """Queue the request (or a reminder) with its link, about the request.
    email_queue's task sends it once, with retries, and `_link_email_sent`
    records it."""
    application = link_request.application
    return email_queue(
        to=link_request.recipient_email, template=LINK_TEMPLATES[link_request.kind], about=link_request,
        context={"link_request": link_request, "application": application, "applicant": application.applicant,
                 "school_name": application.school.name if application.school else "",
                 "expires_at": link_request.expires_at, "reminder": reminder},
    )


def _link_emails_never_queued_queue(at: datetime) -> None:
    """Queue the link emails that the code before this one (which sent them
    by a task of its own, storing each email only once it was sent) made and
    lost: each open request has one email for itself and one per reminder.
    Ten minutes old, so that nothing being made now is caught."""
    cutoff = at - timedelta(minutes=10)
    reminders_unsent = LinkRequestChaser.objects.filter(request=OuterRef("pk"), emailed_at__isnull=True).exclude(
        kind=Chaser.HEAD_ASKED)
    candidates = (LinkRequest.objects.open().filter(created_at__lte=cutoff)
                  .filter(Q(sent_at__isnull=True) | Exists(reminders_unsent))
                  .select_related("application__applicant", "application__school"))
    content_type = ContentType.objects.get_for_model(LinkRequest)
    for link_request in candidates:
        emails = OutgoingEmail.objects.filter(template__in=LINK_TEMPLATES.values(), content_type=content_type,
                                              object_id=str(link_request.pk)).count()
        reminders = link_request.chasers.exclude(kind=Chaser.HEAD_ASKED).filter(created_at__lte=cutoff).count()
        if emails == 0:
            _link_email_queue(link_request)
            emails = 1
        for _ in range(1 + reminders - emails):
            _link_email_queue(link_request, reminder=True)
