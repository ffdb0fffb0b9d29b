"""Who may do what to an application now: each rule of recruitment, once.

A rule is a predicate that can say why not (pretix's `Order.user_cancel_allowed`):
`rules.can_withdraw(application, user)` is True when the withdrawal is
allowed, and `rules.can_withdraw.refusal(application, user)` is the reason it
is not ('' when it is), in words for the person who tried. The services guard
with the rules (`rule.require(..., error=ApplicationError)`), and the views,
templates and admin offer an action exactly when its rule allows it: no button
for a change the service refuses, none hidden for one it accepts
(applications/tests/test_rules.py checks it for every state and role).

The staff rules about an application's state take the application as an
adviser finds it: their pages look it up through their own local authorities
(`Application.objects.for_adviser`), so another LA's application is a 404,
and the services check the same with `advises`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone

from lle_portal.errors import DomainError
from lle_portal.models import User

from .models import Application, Assessment, LinkRequest
from .sections import incomplete_sections

Status = Application.Status

# The statuses in which each action is open.
EDITABLE = Application.EDITABLE
WITHDRAWABLE = (Status.DRAFT, Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED)
VERIFIABLE = (Status.SUBMITTED,)
ASSIGNABLE = (Status.VERIFIED, Status.ASSESSED)
SCORABLE = (Status.VERIFIED,)
LA_APPROVABLE = (Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED)
DECIDABLE = (Status.ASSESSED,)
# The panel has decided: the head is told by email on or after the round's
# decisions-by date (services.decisions_send).
DECIDED = (Status.DESIGNATED, Status.NOT_DESIGNATED, Status.DEFERRED)
# Nobody is asked for a reference or an approval any more.
REQUESTS_CLOSED = (Status.WITHDRAWN, *DECIDED)
# A staff resend makes a new link to the same person: not once they answered
# (received, declined), nor for a request already replaced or withdrawn (cancelled).
RESENDABLE = (LinkRequest.Status.REQUESTED, LinkRequest.Status.EXPIRED)
CANCELLABLE = (LinkRequest.Status.REQUESTED,)


class Rule:
    """A predicate with its reason: calling it says whether the action is
    allowed; `refusal` says why not ('' when allowed)."""

    def __init__(self, refusal: Callable[..., str]):
        self.refusal = refusal
        functools.update_wrapper(self, refusal)

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        return not self.refusal(*args, **kwargs)

    def require(self, *args: Any, error: type[DomainError], **kwargs: Any) -> None:
        """Raise `error` with the reason when the rule refuses."""
        reason = self.refusal(*args, **kwargs)
        if reason:
            raise error(reason)


def status_refusal(application: Application, allowed: tuple[str, ...], action: str) -> str:
    """Why `action` is refused in the application's status ('' when it is one of `allowed`)."""
    if application.status in allowed:
        return ""
    return f"You cannot {action} an application that is {application.get_status_display().lower()}."


def _is_applicant(application: Application, user: User) -> bool:
    return application.applicant_id == user.pk


# --- who the staff are ---------------------------------------------------------


def advises(user: User, application: Application) -> bool:
    """An adviser of one of the application's round's local authorities (a
    superuser advises every LA): the same rule as the staff pages' lookups."""
    if not (user.is_active and user.is_adviser):
        return False
    return user.is_superuser or Application.objects.for_adviser(user).filter(pk=application.pk).exists()


@Rule
def can_act_as_adviser(application: Application, user: User, action: str = "do this") -> str:
    if advises(user, application):
        return ""
    return f"Only an adviser of the application's local authority can {action}."


# --- the head's application ------------------------------------------------------


@Rule
def can_change_answers(application: Application, user: User) -> str:
    """Answers change only in a draft, and only by the head."""
    if not _is_applicant(application, user):
        return "Only the applicant can change their application."
    return status_refusal(application, EDITABLE, "change")


@Rule
def can_change_sponsor(application: Application, user: User) -> str:
    """The head names their sponsor in the draft; after submission, another one
    only when the latest reference request was declined or expired
    (Application.can_replace_sponsor)."""
    if not _is_applicant(application, user):
        return "Only the applicant can change their sponsor."
    if application.status != Status.DRAFT and application.can_replace_sponsor():
        return ""
    return status_refusal(application, EDITABLE, "change the sponsor of")


def can_change_section(application: Application, user: User, key: str) -> bool:
    """Whether the head may change the answers of one section of the task list."""
    return can_change_sponsor(application, user) if key == "referee" else can_change_answers(application, user)


@Rule
def can_submit(application: Application, user: User, at: datetime | None = None) -> str:
    """A complete draft, by its head, while the round is open (to the second).
    What else the service checks is the answers' (the people who vouch,
    eligibility or working towards it), said on the form."""
    if not _is_applicant(application, user):
        return "Only the applicant can submit their application."
    refusal = status_refusal(application, EDITABLE, "submit")
    if refusal:
        return refusal
    if not application.round.is_open(at):
        closes = timezone.localtime(application.round.closes_at)
        return f"The round closed at {closes:%-d %B %Y, %H:%M}. Applications can no longer be submitted."
    missing = incomplete_sections(application)
    if missing:
        return "Complete every section first: " + ", ".join(s.title for s in missing) + "."
    return ""


@Rule
def can_withdraw(application: Application, user: User) -> str:
    """The head, or an adviser of its LA, until the panel has decided."""
    if not _is_applicant(application, user) and not advises(user, application):
        return "Only the applicant or the adviser can withdraw an application."
    return status_refusal(application, WITHDRAWABLE, "withdraw")


@Rule
def can_send_request(application: Application, user: User, kind: str, latest: LinkRequest | None) -> str:
    """The head's "Send request now" (the sponsor's reference or the chair's
    approval): while nobody has been asked, or the last request was
    cancelled, and the application is still open, once the person is named.
    `latest` is the newest request of that kind."""
    if not _is_applicant(application, user):
        return "Only the applicant can send this request."
    if application.status == Status.WITHDRAWN:
        return "This application was withdrawn."
    if application.status in DECIDED:
        return "The panel has decided on this application: nobody else is asked."
    if latest is not None and latest.status != LinkRequest.Status.CANCELLED:
        return f"{latest.recipient_name} has already been asked ({latest.head_status.lower()})."
    return nobody_named(application, kind)


def nobody_named(application: Application, kind: str) -> str:
    """Why there is nobody to ask yet ('' when there is someone)."""
    if kind == LinkRequest.Kind.REFERENCE:
        # A missing one-to-one raises an AttributeError subclass: getattr's default applies.
        return "" if getattr(application, "referee", None) is not None else "Name your sponsor first."
    if not application.chair_of_governors_email:
        return "Give the chair of governors' name and email address first."
    return ""


# --- the staff's steps ---------------------------------------------------------------
# These say whether a step is open for the application; who may take it is
# `can_act_as_adviser` (or the assessor's own assignment).


def can_verify(application: Application) -> bool:
    """Part A is verified criterion by criterion while the application is submitted."""
    return application.status in VERIFIABLE


def can_assign_assessors(application: Application) -> bool:
    """Once Part A is verified, until the panel decides (a new assessor reopens an assessed one)."""
    return application.status in ASSIGNABLE


def can_record_la_approval(application: Application) -> bool:
    """The LA's approval is recorded once, from submission until the panel decides."""
    return application.status in LA_APPROVABLE and application.la_approved_at is None


def can_decide(application: Application) -> bool:
    """The panel decides once every assessor has scored, and once only."""
    return application.status in DECIDABLE


@Rule
def can_score(assessment: Assessment, user: User) -> str:
    """The assigned assessor scores once, while the application is being assessed."""
    if assessment.assessor_id != user.pk:
        return "Only the assigned assessor can score this application."
    if assessment.submitted_at:
        return "This assessment has already been submitted."
    return status_refusal(assessment.application, SCORABLE, "score")


# --- emailed links, from the staff's side ----------------------------------------------


def _closed_to_staff(application: Application) -> str:
    """Advisers work on submitted applications only (a draft is the head's own),
    and nobody is asked once it is withdrawn."""
    if application.status in (Status.DRAFT, Status.WITHDRAWN):
        return f"This application is {application.get_status_display().lower()}."
    return ""


@Rule
def can_resend(link_request: LinkRequest) -> str:
    """A new link to the same person, the old one dead at once, while the
    application is still being considered."""
    application = link_request.application
    closed = _closed_to_staff(application)
    if closed:
        return closed
    if application.status in DECIDED:
        return "The panel has decided on this application: nobody else is asked."
    if link_request.status in RESENDABLE:
        return ""
    if link_request.status == LinkRequest.Status.CANCELLED:
        return "This request was cancelled; it cannot be sent again."
    return "This request has been answered; it cannot be sent again."


@Rule
def can_cancel(link_request: LinkRequest) -> str:
    closed = _closed_to_staff(link_request.application)
    if closed:
        return closed
    if link_request.status in CANCELLABLE:
        return ""
    return f"This request is {link_request.get_status_display().lower()}; it cannot be cancelled."
