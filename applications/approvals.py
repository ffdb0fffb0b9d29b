"""Who vouches for an applicant, and whether the governing body has approved.

Two rules (docs/programme.md §5.3: "an applicant never approves or sponsors
their own application"):

- `vouching_problems`: the chair of governors and the sponsor are two other
  people: neither may be the applicant, and they may not be one person. The
  sponsor vouches from outside the school (docs/programme.md §5.1: an LA officer, the
  diocese, a teaching school's head) and the chair for the school's own
  governing body; one person giving both would be one check, not two. The
  demo and the factories always name two different people. Addresses are
  compared by lle_portal.email_identity (case, +tags, Gmail's dots).
  The forms show these beside the field; the services refuse them again
  (saving a section, naming a sponsor, submitting) and references refuses
  to email a link to the applicant.

- `chair_approval`: the governing body's approval comes only from the chair
  of governors' answer through their emailed link (LinkRequest of kind
  governors_approval, to the chair named now). The head's own answer on the
  approvals section (`Application.governors_approved`) only says they have
  asked their chair; it approves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from lle_portal.email_identity import same_mailbox

from .models import Application, LinkRequest

CHAIR_IS_APPLICANT = "Your chair of governors must be someone else: you cannot give your own email address."
SPONSOR_IS_APPLICANT = "Your sponsor must be someone else: you cannot give your own email address."
CHAIR_IS_SPONSOR = ("Your chair of governors must be a different person from your sponsor: give the chair's own "
                    "email address.")
SPONSOR_IS_CHAIR = ("Your sponsor must be a different person from your chair of governors: give the sponsor's own "
                    "email address.")


def vouching_problems(*, applicant_email: str, chair_email: str = "", sponsor_email: str = "") -> dict[str, str]:
    """{"chair": message, "sponsor": message} for each address that breaks the rule
    (empty addresses are not checked: a draft may not have them yet)."""
    problems: dict[str, str] = {}
    if same_mailbox(chair_email, applicant_email):
        problems["chair"] = CHAIR_IS_APPLICANT
    if same_mailbox(sponsor_email, applicant_email):
        problems["sponsor"] = SPONSOR_IS_APPLICANT
    if same_mailbox(chair_email, sponsor_email):
        problems.setdefault("chair", CHAIR_IS_SPONSOR)
        problems.setdefault("sponsor", SPONSOR_IS_CHAIR)
    return problems


def sponsor_email_of(application: Application) -> str:
    nomination = getattr(application, "referee", None)  # a missing one-to-one: None
    return nomination.email if nomination is not None else ""


def application_vouching_problems(application: Application) -> dict[str, str]:
    """vouching_problems for what the application holds now."""
    return vouching_problems(applicant_email=application.applicant.email,
                             chair_email=application.chair_of_governors_email,
                             sponsor_email=sponsor_email_of(application))


# --- the chair's link ------------------------------------------------------------------------

# For a list: prefetch_related(CHAIR_LINKS) (or prefetch_related_objects), and
# chair_approval reads them from `chair_links` with no query per application.
CHAIR_LINKS = Prefetch("link_requests", to_attr="chair_links",
                       queryset=LinkRequest.objects.filter(kind=LinkRequest.Kind.GOVERNORS_APPROVAL))


def _day(when: datetime | None) -> str:
    return f"{timezone.localtime(when):%-d %B %Y}" if when else ""


@dataclass(frozen=True)
class ChairApproval:
    """The state of the governing body's approval, from the chair's link."""

    NOT_SENT = "not_sent"  # no request to the chair named now
    QUEUED = "queued"  # made, its email not yet gone
    SENT = "sent"
    APPROVED = "approved"
    REFUSED = "refused"  # the chair answered: not approved
    DECLINED = "declined"  # the chair declined to answer
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_VALID = "not_valid"  # the chair named is the applicant or the sponsor

    state: str
    request: LinkRequest | None = None

    @property
    def approved(self) -> bool:
        return self.state == self.APPROVED

    @property
    def refused(self) -> bool:
        return self.state in (self.REFUSED, self.DECLINED)

    @property
    def label(self) -> str:
        r = self.request
        if self.state == self.NOT_VALID:
            return "Not valid: the chair of governors named is the applicant or the sponsor"
        if r is None or self.state == self.NOT_SENT:
            return "Not sent"
        if self.state == self.QUEUED:
            return f"Not sent yet (requested on {_day(r.created_at)})"
        if self.state == self.SENT:
            reminded = f", reminded {r.reminder_count} time{'s' if r.reminder_count != 1 else ''}" \
                if r.reminder_count else ""
            return f"Sent on {_day(r.sent_at)}{reminded}; not yet answered"
        if self.state == self.APPROVED:
            return f"Approved by the chair on {_day(r.responded_at)}"
        if self.state == self.REFUSED:
            return f"Not approved: the chair answered on {_day(r.responded_at)}"
        if self.state == self.DECLINED:
            return f"Declined on {_day(r.responded_at)}"
        if self.state == self.EXPIRED:
            return f"Not answered: the link expired on {_day(r.closed_at or r.expires_at)}"
        return f"Cancelled on {_day(r.closed_at)}"

    @property
    def tone(self) -> str:
        return "success" if self.approved else "danger" if self.refused else "warning"


def _state(request: LinkRequest) -> str:
    Status = LinkRequest.Status
    if request.status == Status.REQUESTED:
        return ChairApproval.SENT if request.sent_at else ChairApproval.QUEUED
    if request.status == Status.RECEIVED:
        return ChairApproval.APPROVED if request.answers.get("approve") == "yes" else ChairApproval.REFUSED
    after: dict[str, str] = {Status.DECLINED: ChairApproval.DECLINED, Status.EXPIRED: ChairApproval.EXPIRED}
    return after.get(request.status, ChairApproval.CANCELLED)


def chair_approval(application: Application) -> ChairApproval:
    """The governing body's approval: the latest request to the chair named now.

    Reads the `chair_links` prefetched with CHAIR_LINKS when there (a list
    pays no query per application), else one query. An answer from a chair
    the head has since replaced does not count."""
    chair = application.chair_of_governors_email
    if not chair:
        return ChairApproval(ChairApproval.NOT_SENT)
    if "chair" in application_vouching_problems(application):
        return ChairApproval(ChairApproval.NOT_VALID)
    links = getattr(application, "chair_links", None)
    if links is None:
        links = application.link_requests.filter(kind=LinkRequest.Kind.GOVERNORS_APPROVAL)
    requests = sorted(
        (r for r in links if r.kind == LinkRequest.Kind.GOVERNORS_APPROVAL and same_mailbox(r.recipient_email, chair)),
        key=lambda r: (r.created_at, r.pk), reverse=True,
    )
    if not requests:
        return ChairApproval(ChairApproval.NOT_SENT)
    return ChairApproval(_state(requests[0]), requests[0])
