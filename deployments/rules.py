"""Who may do what with a deployment, a record of visit or a support need, and when.

Each rule is written once, here. The services guard with it (a refusal raises
`DeploymentError` with the rule's message); the views, templates and admin
read the same rule, so a page offers exactly the actions the services accept
(deployments/tests/test_rules.py checks it for every status and every role).
pretix's `Order.user_cancel_allowed` is the model.

Each rule comes twice: `<action>_refusal(...)`, why not ('' when allowed), for
the service to raise; and `can_<action>(...)`, the boolean, for a page.

Who someone is to a deployment (its LLE, its client head, its adviser, a
colleague who delivers days) is worked out once, as a `Part`: a page reads a
dozen rules for one deployment without a query each. Any rule takes either the
user or their `Part`.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property

from django.utils import timezone

from lle_portal.access import acts_for_school
from lle_portal.errors import DomainError
from lle_portal.models import User

from .models import Deployment, DeploymentColleague, ReimbursementLine, SupportNeed, VisitRecord

Status = Deployment.Status
VisitStatus = VisitRecord.Status


class DeploymentError(DomainError):
    """A change the rules do not allow; the message is for the person who tried.
    `field`: the form field the message is about, when there is one."""

    field: str | None = None


class NonSchoolDayError(DeploymentError):
    """A visit on a day that is not a school day, recorded without a reason."""

    field = "non_school_day_reason"


def refuse(refusal: str) -> None:
    """Raise the rule's refusal, if there is one (the services' guard)."""
    if refusal:
        raise DeploymentError(refusal)


# --- who someone is to a deployment ------------------------------------------------------


def is_lle_of(user: User, deployment: Deployment) -> bool:
    return user.is_authenticated and deployment.lle.user_id == user.pk


def is_client_head_of(user: User, deployment: Deployment) -> bool:
    """The client head acts on a deployment only when named on it and still the
    confirmed head of the client school (a claim to the school gives nothing)."""
    return (
        user.is_authenticated and deployment.client_head_id == user.pk
        and acts_for_school(user, deployment.client_school_id, role=User.Role.HEADTEACHER)
    )


def is_adviser_of(user: User, deployment: Deployment) -> bool:
    return user.is_authenticated and user.advises(deployment.client_school.local_authority_id)


def colleague_of(user: User, deployment: Deployment) -> DeploymentColleague | None:
    if not user.is_authenticated:
        return None
    return next((c for c in deployment.colleagues.all() if c.user_id == user.pk), None)


class Part:
    """What one person is to one deployment, each answer worked out once, when
    a rule first asks (some are a query)."""

    def __init__(self, user: User, deployment: Deployment, *, adviser: bool | None = None) -> None:
        self.user = user
        self.deployment = deployment
        self.deployment_id = deployment.pk
        self.user_id = user.pk if user.is_authenticated else None
        if adviser is not None:
            self.__dict__["adviser"] = adviser

    @cached_property
    def lle(self) -> bool:
        return is_lle_of(self.user, self.deployment)

    @cached_property
    def client_head(self) -> bool:
        return is_client_head_of(self.user, self.deployment)

    @cached_property
    def adviser(self) -> bool:
        return is_adviser_of(self.user, self.deployment)

    @cached_property
    def colleague(self) -> DeploymentColleague | None:
        return colleague_of(self.user, self.deployment)

    @property
    def party(self) -> bool:
        """The LLE, the client head and the adviser negotiate the deployment."""
        return self.lle or self.client_head or self.adviser

    @property
    def records_visits(self) -> bool:
        """The LLE, and each colleague who delivers some of the days."""
        return self.lle or self.colleague is not None


def part_of(user: User, deployment: Deployment, *, adviser: bool | None = None) -> Part:
    """`adviser`, when the caller already knows it: a page that read the
    deployment through `Deployment.objects.visible_to(user)` knows that an
    adviser who sees it advises its LA (that is the rule of visible_to), and
    saves the query."""
    return Part(user, deployment, adviser=adviser)


Who = User | Part


def _part(who: Who, deployment: Deployment) -> Part:
    if isinstance(who, Part):
        return _own(who, deployment.pk)
    return part_of(who, deployment)


def _visit_part(who: Who, visit: VisitRecord) -> Part:
    if isinstance(who, Part):
        return _own(who, visit.deployment_id)
    return part_of(who, visit.deployment)


def _own(part: Part, deployment_id: int) -> Part:
    if part.deployment_id != deployment_id:
        raise ValueError("A Part answers for its own deployment only.")
    return part


def _status_refusal(deployment: Deployment, action: str, *allowed: str) -> str:
    if deployment.status in allowed:
        return ""
    return f"You cannot {action} a deployment that is {deployment.get_status_display().lower()}."


# --- deployments --------------------------------------------------------------------------


def accept_refusal(who: Who, deployment: Deployment) -> str:
    """The LLE and the client head each accept a proposal, once."""
    if refusal := _status_refusal(deployment, "accept", Status.PROPOSED):
        return refusal
    part = _part(who, deployment)
    if part.lle:
        return "You have already accepted this deployment." if deployment.lle_accepted_at else ""
    if part.client_head:
        return "You have already accepted this deployment." if deployment.client_accepted_at else ""
    return "Only the LLE and the client head named on the deployment can accept it."


def decline_refusal(who: Who, deployment: Deployment) -> str:
    """A proposal is declined by the LLE or the client head, or withdrawn by the adviser."""
    if refusal := _status_refusal(deployment, "decline", Status.PROPOSED):
        return refusal
    if not _part(who, deployment).party:
        return "Only the LLE, the client head named on the deployment or the adviser can decline it."
    return ""


def start_refusal(who: Who | None, deployment: Deployment, today: date | None = None) -> str:
    """The adviser marks an agreed deployment active from its start date.
    `who` None: the daily job, or the first record of visit, which start it too."""
    if refusal := _status_refusal(deployment, "start", Status.AGREED):
        return refusal
    if who is not None and not _part(who, deployment).adviser:
        return "Only the adviser can mark a deployment as active."
    if (today or timezone.localdate()) < deployment.start_date:
        return f"This deployment starts on {deployment.start_date:%-d %B %Y}."
    return ""


def complete_refusal(who: Who, deployment: Deployment, today: date | None = None) -> str:
    """The adviser records an active deployment complete at its agreed end point."""
    if refusal := _status_refusal(deployment, "complete", Status.ACTIVE):
        return refusal
    if not _part(who, deployment).adviser:
        return "Only the adviser can record that a deployment is complete."
    if (today or timezone.localdate()) < deployment.end_date:
        return (f"The agreed end point is {deployment.end_date:%-d %B %Y}. To stop before it, end the deployment "
                "early and give the reason.")
    return ""


def end_early_refusal(who: Who, deployment: Deployment) -> str:
    if refusal := _status_refusal(deployment, "end early", *Deployment.LIVE):
        return refusal
    if not _part(who, deployment).adviser:
        return "Only the adviser can end a deployment early."
    return ""


def add_objective_refusal(who: Who, deployment: Deployment) -> str:
    """Objectives are negotiated between the LLE and the client head (docs/programme.md §9.3)."""
    if refusal := _status_refusal(deployment, "add objectives to", *Deployment.COMMITTING):
        return refusal
    if not _part(who, deployment).party:
        return "Only the LLE, the client head and the adviser can add objectives."
    return ""


def rate_refusal(who: Who, deployment: Deployment) -> str:
    """The progress of an objective is rated while the deployment is live."""
    if refusal := _status_refusal(deployment, "rate the objectives of", *Deployment.LIVE):
        return refusal
    if not _part(who, deployment).party:
        return "Only the LLE, the client head and the adviser can rate progress."
    return ""


def record_visit_refusal(who: Who, deployment: Deployment) -> str:
    """The LLE, or a colleague who delivers days, records each visit of a live deployment."""
    if refusal := _status_refusal(deployment, "record a visit to", *Deployment.LIVE):
        return refusal
    if not _part(who, deployment).records_visits:
        return "Only the LLE or a colleague who delivers the days can record a visit."
    return ""


def end_report_refusal(deployment: Deployment) -> str:
    """A finished deployment has an end report (anyone who sees the deployment asks for it)."""
    return "" if deployment.is_finished else "The end report is made when the deployment has finished."


def terms_refusal(deployment: Deployment) -> str:
    """The terms are negotiated while proposed, and fixed once both parties have accepted them."""
    if deployment.status == Status.PROPOSED:
        return ""
    return "The terms are fixed once both the LLE and the client head have accepted them."


# --- records of visit --------------------------------------------------------------------


def confirm_visit_refusal(who: Who, visit: VisitRecord) -> str:
    if not _visit_part(who, visit).client_head:
        return "Only the client head named on the deployment can confirm a record of visit."
    if visit.status == VisitStatus.CONFIRMED:
        return "This record of visit is already confirmed."
    return ""


def query_visit_refusal(who: Who, visit: VisitRecord) -> str:
    if not _visit_part(who, visit).client_head:
        return "Only the client head named on the deployment can query a record of visit."
    if visit.status != VisitStatus.SUBMITTED:
        return f"You cannot query a record of visit that is {visit.get_status_display().lower()}."
    return ""


def amend_visit_refusal(who: Who, visit: VisitRecord) -> str:
    """Whoever recorded the visit, or the LLE, answers a query by correcting the record."""
    part = _visit_part(who, visit)
    if not (part.lle or (part.user_id is not None and visit.recorded_by_id == part.user_id)):
        return "Only the LLE or whoever recorded the visit can change it."
    if visit.status != VisitStatus.QUERIED:
        return "Only a queried record of visit can be changed."
    return ""


def flag_visit_refusal(who: Who, visit: VisitRecord) -> str:
    """The adviser picks a record for quality assurance (docs/programme.md §9.8)."""
    if not _visit_part(who, visit).adviser:
        return "Only the adviser can flag a record of visit for quality assurance."
    if visit.qa_flagged_at:
        return "This record of visit is already flagged for quality assurance."
    return ""


def clear_flag_refusal(who: Who, visit: VisitRecord) -> str:
    if not _visit_part(who, visit).adviser:
        return "Only the adviser can clear a quality-assurance flag."
    if not visit.qa_flagged_at:
        return "This record of visit is not flagged for quality assurance."
    return ""


# --- support needs ---------------------------------------------------------------------------


def propose_refusal(user: User, need: SupportNeed, *, advises: bool | None = None) -> str:
    """The adviser of the need's school proposes an LLE while the need is open
    (the LLE's own exclusions are deployments.matching.exclusions_for).
    `advises`, when known: a page that read the need through
    `SupportNeed.objects.for_adviser(user)` knows it, and saves the query."""
    if need.status != SupportNeed.Status.OPEN:
        return f"This support need is {need.get_status_display().lower()}, not open."
    if not _advises(user, need.client_school.local_authority_id, advises):
        return f"{need.client_school.name} is not in your local authorities."
    return ""


def close_need_refusal(need: SupportNeed) -> str:
    return "This support need is already closed." if need.status == SupportNeed.Status.CLOSED else ""


# --- reimbursement --------------------------------------------------------------------------


def _advises(user: User, local_authority_id: int | None, advises: bool | None) -> bool:
    if advises is not None:
        return advises
    return user.is_authenticated and user.advises(local_authority_id)


def approve_late_claim_refusal(user: User, line: ReimbursementLine, *, advises: bool | None = None) -> str:
    """The adviser approves arrears held as older than the claim window, on a draft.
    `advises`, when known: the statement page reads statements of the adviser's LAs only."""
    statement = line.statement
    if not _advises(user, statement.local_authority_id, advises):
        return "Only an adviser of this local authority can approve a late claim."
    if statement.is_final:
        return "This statement is finalised; the held visit is considered on the next one."
    if line.held != ReimbursementLine.Held.CLAIM_WINDOW:
        return "This visit is not held for approval."
    return ""


def correct_visit_refusal(user: User, visit: VisitRecord, *, advises: bool | None = None) -> str:
    """The adviser corrects a confirmed record of visit found wrong (its length,
    or withdrawn from payment), once withdrawn never again."""
    if not _advises(user, visit.deployment.client_school.local_authority_id, advises):
        return "Only the adviser can correct a confirmed record of visit."
    if visit.status != VisitStatus.CONFIRMED:
        return "Only a confirmed record of visit is corrected here; the client head queries the others."
    if visit.withdrawn_at:
        return "This record of visit is already withdrawn from payment."
    return ""


# --- the booleans a page reads ---------------------------------------------------------------


def can_accept(who: Who, deployment: Deployment) -> bool:
    return not accept_refusal(who, deployment)


def can_decline(who: Who, deployment: Deployment) -> bool:
    return not decline_refusal(who, deployment)


def can_start(who: Who, deployment: Deployment, today: date | None = None) -> bool:
    return not start_refusal(who, deployment, today)


def can_complete(who: Who, deployment: Deployment, today: date | None = None) -> bool:
    return not complete_refusal(who, deployment, today)


def can_end_early(who: Who, deployment: Deployment) -> bool:
    return not end_early_refusal(who, deployment)


def can_add_objective(who: Who, deployment: Deployment) -> bool:
    return not add_objective_refusal(who, deployment)


def can_rate(who: Who, deployment: Deployment) -> bool:
    return not rate_refusal(who, deployment)


def can_record_visit(who: Who, deployment: Deployment) -> bool:
    return not record_visit_refusal(who, deployment)


def can_request_end_report(deployment: Deployment) -> bool:
    return not end_report_refusal(deployment)


def can_change_terms(deployment: Deployment) -> bool:
    return not terms_refusal(deployment)


def can_confirm_visit(who: Who, visit: VisitRecord) -> bool:
    return not confirm_visit_refusal(who, visit)


def can_query_visit(who: Who, visit: VisitRecord) -> bool:
    return not query_visit_refusal(who, visit)


def can_amend_visit(who: Who, visit: VisitRecord) -> bool:
    return not amend_visit_refusal(who, visit)


def can_flag_visit(who: Who, visit: VisitRecord) -> bool:
    return not flag_visit_refusal(who, visit)


def can_clear_flag(who: Who, visit: VisitRecord) -> bool:
    return not clear_flag_refusal(who, visit)


def can_propose(user: User, need: SupportNeed, *, advises: bool | None = None) -> bool:
    return not propose_refusal(user, need, advises=advises)


def can_close_need(need: SupportNeed) -> bool:
    return not close_need_refusal(need)


def can_approve_late_claim(user: User, line: ReimbursementLine, *, advises: bool | None = None) -> bool:
    return not approve_late_claim_refusal(user, line, advises=advises)


def can_correct_visit(user: User, visit: VisitRecord, *, advises: bool | None = None) -> bool:
    return not correct_visit_refusal(user, visit, advises=advises)


def deployment_actions(part: Part, deployment: Deployment, today: date) -> dict[str, bool]:
    """Every action on the deployment's page, for one person: the page's booleans."""
    return {
        "can_accept": can_accept(part, deployment),
        "can_decline": can_decline(part, deployment),
        "can_start": can_start(part, deployment, today),
        "can_complete": can_complete(part, deployment, today),
        "can_end_early": can_end_early(part, deployment),
        "can_add_objective": can_add_objective(part, deployment),
        "can_rate": can_rate(part, deployment),
        "can_record": can_record_visit(part, deployment),
        "can_end_report": can_request_end_report(deployment),
    }


def visit_actions(part: Part, visit: VisitRecord) -> dict[str, bool]:
    """Every action on one record of visit, for one person."""
    return {
        "can_confirm": can_confirm_visit(part, visit),
        "can_query": can_query_visit(part, visit),
        "can_amend": can_amend_visit(part, visit),
        "can_flag": can_flag_visit(part, visit),
        "can_clear_flag": can_clear_flag(part, visit),
    }
