"""Support for test_rules.py: a deployment, a record of visit, a support need
or a line of a reimbursement statement in any state, the people around it, and each action one of them might take.

Every state is generated from the models' enums (`deployment_states`,
`visit_states`, `need_states`, `line_states`), never picked by hand, so a new status is
tested as soon as it exists.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Generic, TypeVar

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deployments import reimbursement, services
from deployments.models import (
    Deployment,
    ReimbursementLine,
    ReimbursementStatement,
    SupportNeed,
    VisitRecord,
    add_months,
)
from lle_portal.errors import DomainError
from lle_portal.models import Report, User
from lle_portal.tests.factories import AdviserFactory, HeadteacherFactory, LocalAuthorityFactory

from .factories import (
    ColleagueFactory,
    DeploymentFactory,
    LLEProfileFactory,
    ObjectiveFactory,
    SupportNeedFactory,
    VisitRecordFactory,
    school_day_before,
)

Status = Deployment.Status


class Role(enum.StrEnum):
    """Who tries: the people of the deployment, its adviser, and three who are not."""

    LLE = "lle"
    CLIENT_HEAD = "client head"
    COLLEAGUE = "colleague who delivers days"
    ADVISER = "adviser of its LA"
    OTHER_ADVISER = "adviser of another LA"
    STRANGER = "another headteacher"


class Timing(enum.Enum):
    """Where today falls against the deployment's dates."""

    BEFORE_START = "before its start"
    UNDER_WAY = "between its start and its end point"
    PAST_END = "past its agreed end point"


class Accepted(enum.Enum):
    NOBODY = "nobody has accepted"
    LLE = "the LLE has accepted"
    CLIENT_HEAD = "the client head has accepted"
    BOTH = "both have accepted"


@dataclass(frozen=True)
class DeploymentState:
    status: Status
    timing: Timing = Timing.UNDER_WAY
    accepted: Accepted | None = None  # None: as the status implies

    def __str__(self) -> str:
        words = [self.status.label.lower(), self.timing.value]
        if self.accepted is not None:
            words.append(self.accepted.value)
        return ", ".join(words)


def deployment_states(*, timing: bool = False, acceptance: bool = False) -> Iterator[DeploymentState]:
    """Every Deployment.Status; with `timing`, each with today before, within
    and after its dates; with `acceptance`, each acceptance its status allows."""
    for status in Status:
        timings = list(Timing) if timing else [Timing.UNDER_WAY]
        if not acceptance:
            acceptances: list[Accepted | None] = [None]
        elif status in Deployment.CONTRACTED:
            acceptances = [Accepted.BOTH]  # the database holds nothing else (deployment_agreed_by_both)
        else:
            acceptances = [Accepted.NOBODY, Accepted.LLE, Accepted.CLIENT_HEAD]
        for when, accepted in itertools.product(timings, acceptances):
            yield DeploymentState(status, when, accepted)


def _dates(timing: Timing):
    today = timezone.localdate()
    start = {Timing.BEFORE_START: today + timedelta(days=30), Timing.UNDER_WAY: today - timedelta(days=60),
             Timing.PAST_END: today - timedelta(days=400)}[timing]
    end = today - timedelta(days=10) if timing == Timing.PAST_END else add_months(start, 12)
    return start, end


def make_deployment(state: DeploymentState) -> Deployment:
    """A deployment in `state`, with an objective and a colleague (who has an account)."""
    start, end = _dates(state.timing)
    accepted = state.accepted or (Accepted.BOTH if state.status in Deployment.CONTRACTED else Accepted.NOBODY)
    now = timezone.now()
    fields = {
        "status": state.status, "start_date": start, "end_date": end,
        "lle_accepted_at": now if accepted in (Accepted.LLE, Accepted.BOTH) else None,
        "client_accepted_at": now if accepted in (Accepted.CLIENT_HEAD, Accepted.BOTH) else None,
        "agreed_at": now if state.status in Deployment.CONTRACTED else None,
        "started_at": now if state.status in Deployment.DELIVERED else None,
        "finished_at": now if state.status in (*Deployment.FINISHED, Status.WITHDRAWN) else None,
        "ended_reason": "The head moved on." if state.status in (Status.ENDED_EARLY, Status.WITHDRAWN) else "",
    }
    deployment = DeploymentFactory.create(**fields)
    ObjectiveFactory(deployment=deployment)
    ColleagueFactory(deployment=deployment, user=HeadteacherFactory())
    return deployment


def people(deployment: Deployment) -> dict[Role, User]:
    colleague = deployment.colleagues.get()
    # The factories give the deployment its client head and the colleague an account.
    assert deployment.client_head is not None and colleague.user is not None
    return {
        Role.LLE: deployment.lle.user,
        Role.CLIENT_HEAD: deployment.client_head,
        Role.COLLEAGUE: colleague.user,
        Role.ADVISER: AdviserFactory.create(local_authorities=[deployment.client_school.local_authority]),
        Role.OTHER_ADVISER: AdviserFactory.create(
            local_authorities=[LocalAuthorityFactory(code="935", name="Suffolk")]
        ),
        Role.STRANGER: HeadteacherFactory.create(),
    }


# --- records of visit ----------------------------------------------------------------


@dataclass(frozen=True)
class VisitState:
    status: VisitRecord.Status
    flagged: bool
    recorded_by: Role  # the LLE or the colleague

    def __str__(self) -> str:
        return (f"{self.status.label.lower()}, {'flagged' if self.flagged else 'not flagged'}, "
                f"recorded by the {self.recorded_by}")


def visit_states() -> Iterator[VisitState]:
    for status, flagged, recorder in itertools.product(VisitRecord.Status, (False, True),
                                                        (Role.LLE, Role.COLLEAGUE)):
        yield VisitState(status, flagged, recorder)


def make_visit(state: VisitState) -> VisitRecord:
    """A record of visit in `state`, on a school day of an active deployment."""
    deployment = make_deployment(DeploymentState(Status.ACTIVE))
    colleague = deployment.colleagues.get()
    by_colleague = state.recorded_by == Role.COLLEAGUE
    now = timezone.now()
    return VisitRecordFactory.create(
        deployment=deployment, visit_date=school_day_before(2), status=state.status,
        colleague=colleague if by_colleague else None,
        recorded_by=colleague.user if by_colleague else deployment.lle.user,
        confirmed_at=now if state.status == VisitRecord.Status.CONFIRMED else None,
        queried_at=now if state.status == VisitRecord.Status.QUERIED else None,
        query_reason="Was it a full day?" if state.status == VisitRecord.Status.QUERIED else "",
        qa_flagged_at=now if state.flagged else None,
    )


# --- support needs ---------------------------------------------------------------------


def need_states() -> Iterator[SupportNeed.Status]:
    yield from SupportNeed.Status


def make_need(status: SupportNeed.Status) -> tuple[SupportNeed, dict[Role, User]]:
    """A support need of a Norfolk school and an LLE who could be proposed for it."""
    need: SupportNeed = SupportNeedFactory.create(status=status)
    lle = LLEProfileFactory.create()
    return need, {
        Role.LLE: lle.user,
        Role.CLIENT_HEAD: need.client_head,
        Role.ADVISER: AdviserFactory.create(local_authorities=[need.client_school.local_authority]),
        Role.OTHER_ADVISER: AdviserFactory.create(
            local_authorities=[LocalAuthorityFactory(code="935", name="Suffolk")]
        ),
        Role.STRANGER: HeadteacherFactory.create(),
    }


# --- the actions ---------------------------------------------------------------------------


Subject = TypeVar("Subject")


@dataclass(frozen=True)
class Action(Generic[Subject]):
    """One action: the mark of it on its page, and the service call that does it."""

    name: str
    # What the page shows exactly when it offers the action.
    mark: Callable[[Subject], str]
    # The call, as `user`; a refusal raises a DomainError.
    run: Callable[[Subject, User], object]

    def __str__(self) -> str:
        return self.name


def _url(name: str, *args) -> str:
    return reverse(f"deployments:{name}", args=args)


def _objective(deployment: Deployment):
    return deployment.objectives.get()


def _record(deployment: Deployment, user: User):
    return services.visit_record(
        deployment=deployment, by=user, visit_date=school_day_before(1), days=Decimal("0.5"), activities=["coaching"],
        summary="Coaching.", progress="Some.", next_steps="More.",
    )


def end_report_action(client) -> Action[Deployment]:
    """The end report is asked for from the deployment's page: its view is the
    call (there is no service: the report machinery builds it)."""
    def run(deployment: Deployment, user: User):
        client.force_login(user)
        client.post(_url("end_report", deployment.pk))
        if not Report.objects.filter(subject=f"deployment:{deployment.pk}").exists():
            raise DomainError("No end report was asked for.")
    return Action("ask for the end report", lambda d: f'action="{_url("end_report", d.pk)}"', run)


DEPLOYMENT_ACTIONS: dict[str, Action[Deployment]] = {
    "accept": Action("accept", lambda d: f'action="{_url("accept", d.pk)}"',
                     lambda d, u: services.deployment_accept(deployment=d, by=u)),
    "decline": Action("decline", lambda d: f'href="{_url("decline", d.pk)}"',
                      lambda d, u: services.deployment_decline(deployment=d, by=u, reason="Not now.")),
    "start": Action("start", lambda d: f'action="{_url("start", d.pk)}"',
                    lambda d, u: services.deployment_start(deployment=d, by=u)),
    "complete": Action("complete", lambda d: f'action="{_url("complete", d.pk)}"',
                       lambda d, u: services.deployment_complete(deployment=d, by=u)),
    "end early": Action("end early", lambda d: f'href="{_url("end_early", d.pk)}"',
                        lambda d, u: services.deployment_end_early(deployment=d, by=u, reason="The head left.")),
    "add an objective": Action(
        "add an objective", lambda d: f'action="{_url("objective_add", d.pk)}"',
        lambda d, u: services.objective_add(deployment=d, by=u, title="Reading", measure_of_success="Up 10 points"),
    ),
    "rate an objective": Action(
        "rate an objective", lambda d: f'action="{_url("objective_rate", d.pk, _objective(d).pk)}"',
        lambda d, u: services.objective_rate(objective=_objective(d), by=u, progress="good"),
    ),
    "record a visit": Action("record a visit", lambda d: f'href="{_url("visit_new", d.pk)}"', _record),
}

VISIT_ACTIONS: dict[str, Action[VisitRecord]] = {
    "confirm": Action("confirm", lambda v: f'action="{_url("visit_confirm", v.pk)}"',
                      lambda v, u: services.visit_confirm(visit=v, by=u)),
    "query": Action("query", lambda v: f'href="{_url("visit_query", v.pk)}"',
                    lambda v, u: services.visit_query(visit=v, by=u, reason="Was it a full day?")),
    "answer a query": Action(
        "answer a query", lambda v: f'href="{_url("visit_amend", v.pk)}"',
        lambda v, u: services.visit_amend(visit=v, by=u, summary="Coaching, all day.", progress="Some.",
                                          next_steps="More.", days=v.days, activities=["coaching"]),
    ),
    "flag for quality assurance": Action("flag for quality assurance", lambda v: ">Flag for quality assurance<",
                                         lambda v, u: services.visit_flag_for_qa(visit=v, by=u)),
    "clear the quality-assurance flag": Action(
        "clear the quality-assurance flag", lambda v: ">Clear the quality-assurance flag<",
        lambda v, u: services.visit_clear_qa_flag(visit=v, by=u),
    ),
}


def propose_action(lle_user: User) -> Action[SupportNeed]:
    def run(need: SupportNeed, user: User):
        return services.deployment_propose(need=need, lle=lle_user.lle_profile, by=user,
                                           **services.proposal_defaults(need))
    return Action("propose", lambda need: f'name="lle" value="{lle_user.lle_profile.pk}"', run)


# --- shown, and done ---------------------------------------------------------------------------


def shown(client, user: User, url: str, mark: str) -> bool:
    """Whether the page at `url` offers the action to `user` (a page they cannot see offers nothing)."""
    client.force_login(user)
    response = client.get(url)
    return response.status_code == 200 and mark in response.content.decode()


class _Undo(Exception):
    pass


def done(run: Callable[[], object]) -> bool:
    """Whether the call succeeds; whatever it changed is undone, for the next person."""
    succeeded = False
    try:
        with transaction.atomic():
            try:
                run()
            except DomainError:
                pass
            else:
                succeeded = True
            raise _Undo
    except _Undo:
        pass
    return succeeded


def mismatches(client, subject: Subject, everyone: dict[Role, User], url: str, action: Action[Subject]) -> list[str]:
    """Each person for whom the page and the service disagree, and how."""
    found = []
    for role, user in everyone.items():
        offered = shown(client, user, url, action.mark(subject))
        accepted = done(partial(action.run, subject, user))
        if offered != accepted:
            found.append(f"the {role}: page {'offers' if offered else 'hides'} it, "
                         f"the service {'accepts' if accepted else 'refuses'}")
    return found


# --- reimbursement statements ---------------------------------------------------------------


@dataclass(frozen=True)
class LineState:
    statement: ReimbursementStatement.Status
    held: ReimbursementLine.Held
    withdrawn: bool = False  # the visit withdrawn from payment since

    def __str__(self) -> str:
        withdrawn = ", the visit withdrawn since" if self.withdrawn else ""
        return f"{self.statement.label.lower()} statement, a line {self.held.label.lower()}{withdrawn}"


def line_states(*, withdrawn: bool = False) -> Iterator[LineState]:
    """Every statement status and every way a line is held (or paid); with
    `withdrawn`, a paid visit also withdrawn from payment after."""
    for statement, held, gone in itertools.product(ReimbursementStatement.Status, ReimbursementLine.Held,
                                                   (False, True) if withdrawn else (False,)):
        if gone and held != ReimbursementLine.Held.NO:
            continue  # only a paid visit is corrected afterwards
        yield LineState(statement, held, gone)


def make_line(state: LineState) -> tuple[ReimbursementLine, dict[Role, User]]:
    """A line of Norfolk's Autumn 2026/27 statement in `state`: a visit paid this
    term, arrears older than the claim window, or a visit flagged for quality assurance."""
    deployment = DeploymentFactory.create(active=True, start_date=date(2025, 4, 1), end_date=date(2027, 3, 31))
    ColleagueFactory(deployment=deployment, user=HeadteacherFactory())
    visit_on = {ReimbursementLine.Held.NO: date(2026, 10, 7), ReimbursementLine.Held.CLAIM_WINDOW: date(2025, 11, 5),
                ReimbursementLine.Held.QA: date(2026, 10, 14)}
    visits = {
        held: VisitRecordFactory.create(deployment=deployment, visit_date=day, confirmed=True,
                                 qa_flagged_at=timezone.now() if held == ReimbursementLine.Held.QA else None)
        for held, day in visit_on.items()
    }
    everyone = people(deployment)
    statement = reimbursement.statement_prepare(local_authority=deployment.client_school.local_authority,
                                                academic_year=2027, term="autumn", by=everyone[Role.ADVISER])
    if state.statement == ReimbursementStatement.Status.FINALISED:
        reimbursement.statement_finalise(statement=statement, by=everyone[Role.ADVISER])
    visit = visits[state.held]
    if state.withdrawn:
        VisitRecord.objects.filter(pk=visit.pk).update(withdrawn_at=timezone.now(), corrected_at=timezone.now())
    return statement.lines.select_related("statement", "visit").get(visit=visit), everyone


def approve_action() -> Action[ReimbursementLine]:
    return Action("approve a late claim", lambda line: f'name="line" value="{line.pk}"',
                  lambda line, u: reimbursement.late_claim_approve(line=line, by=u))


def correct_action() -> Action[ReimbursementLine]:
    return Action(
        "correct a record of visit", lambda line: f'href="{_url("visit_correct", line.visit_id)}"',
        lambda line, u: reimbursement.visit_correct(visit=line.visit, by=u, reason="Half a day.", days=Decimal("0.5")),
    )
