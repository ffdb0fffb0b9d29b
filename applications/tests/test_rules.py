"""Each page offers an action exactly when the service accepts it.

For every rule of applications.rules, generated over every status of the
application (and of the emailed link or the assessment where the rule reads
them) and every role (the applicant, another head, an adviser of the
application's LA, an adviser of another LA, the assessor assigned and one not
assigned): the state is built, the page that offers the action is rendered as
that person, and the control must be there exactly when the service, called
as that person, accepts the call (it raises a DomainError otherwise). The
rule itself must say the same. Each service call is rolled back, so every
role meets the same state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from secrets import token_hex

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from applications import references, rules, services
from applications.models import Application, Assessment, LinkRequest
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import GOOD_SCORES
from lle_portal.errors import DomainError
from lle_portal.models import User
from lle_portal.tests.factories import AdviserFactory, AssessorFactory, HeadteacherFactory, LocalAuthorityFactory

pytestmark = pytest.mark.django_db

Status = Application.Status
STATUSES = list(Status)
# The latest emailed link of a kind: none yet, or one in each of its states.
LINK_STATES = [None, *LinkRequest.Status]
ROLES = ("applicant", "another_head", "adviser", "other_adviser", "assessor", "other_assessor")


# --- the world: one application in a given state, and one person of each role -----


@dataclass
class World:
    application: Application
    users: dict[str, User]
    assessment: Assessment | None = None
    link_request: LinkRequest | None = None

    def fresh(self) -> Application:
        return Application.objects.select_related("round", "applicant", "school").get(pk=self.application.pk)


def world(status: str, *, round_open: bool = True, assessment: str | None = None,
          la_approved: bool = False) -> World:
    """An application in `status` (written directly: the test builds any state,
    including ones the services reach only through several steps)."""
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    round = ApplicationRoundFactory(local_authorities=[norfolk], **({} if round_open else {"closed": True}))
    now = timezone.now()
    fields = {}
    if status != Status.DRAFT:
        fields = {"submitted_at": now - timedelta(days=3), "reference_number": f"LLE-R-{token_hex(4)}"}
    if status in rules.DECIDED:
        fields |= {"decision": status, "decision_reasons": "Reasons.", "decided_at": now}
    if status == Status.WITHDRAWN:
        fields["withdrawn_at"] = now
    if la_approved:
        fields["la_approved_at"] = now
    application = ApplicationFactory.create(complete=True, round=round, status=status, **fields)
    users: dict[str, User] = {
        "applicant": application.applicant,
        "another_head": HeadteacherFactory.create(),
        "adviser": AdviserFactory.create(local_authorities=[norfolk]),
        "other_adviser": AdviserFactory.create(local_authorities=[suffolk]),
        "assessor": AssessorFactory.create(),
        "other_assessor": AssessorFactory.create(),
    }
    scored = None
    if assessment is not None:
        submitted = assessment == "submitted"
        scored = Assessment.objects.create(
            application=application, assessor=users["assessor"], scores=GOOD_SCORES if submitted else {},
            total=sum(GOOD_SCORES.values()) if submitted else None, submitted_at=now if submitted else None,
        )
    return World(application, users, scored)


def link_request(application: Application, kind: str, status: str | None) -> LinkRequest | None:
    if status is None:
        return None
    now = timezone.now()
    if kind == LinkRequest.Kind.REFERENCE:
        name, email = application.referee.name, application.referee.email
    else:
        name, email = application.chair_of_governors_name, application.chair_of_governors_email
    return LinkRequest.objects.create(
        application=application, kind=kind, status=status, recipient_name=name, recipient_email=email,
        nonce=token_hex(16), token_hash=token_hex(32), created_at=now - timedelta(days=1), sent_at=now,
        expires_at=now + timedelta(days=20), responded_at=now if status in ("received", "declined") else None,
    )


class _Undo(Exception):
    pass


def accepts(call: Callable[[], object]) -> bool:
    """Whether the service accepts the call; what it changed is rolled back.
    A call that answers False accepted it but had nothing to do."""
    try:
        with transaction.atomic():
            done = call()
            raise _Undo(done is not False)
    except _Undo as undone:
        return undone.args[0]
    except DomainError:
        return False


def shows(client, user: User, url: str, control: str) -> bool:
    """Whether the page at `url`, as `user`, holds `control` (a 404, a refusal
    or a redirect away offers nothing)."""
    client.force_login(user)
    response = client.get(url)
    client.logout()
    return response.status_code == 200 and control in response.content.decode()


def check(client, w: World, *, roles, page: Callable[[World], tuple[str, str]] | None,
          call: Callable[[World, User], object], rule: Callable[[World, User], bool]) -> None:
    """For each role: the rule and the service agree, and the page shows the
    control exactly when the service accepts."""
    for role in roles:
        user = w.users[role]
        accepted = accepts(partial(call, w, user))
        assert rule(w, user) == accepted, (role, "the rule and the service disagree")
        if page is not None:
            url, control = page(w)
            assert shows(client, user, url, control) == accepted, (role, url, control, accepted)


def product(*choices) -> list[tuple]:
    return list(itertools.product(*choices))


HEADS = ("applicant", "another_head")
STAFF = ("applicant", "adviser", "other_adviser", "assessor")


# --- the head's actions ----------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_withdraw_is_offered_exactly_when_the_service_accepts_it(client, status):
    w = world(status)
    check(client, w, roles=HEADS,
          page=lambda w: (reverse("applications:detail", args=[w.application.pk]),
                          reverse("applications:withdraw", args=[w.application.pk])),
          call=lambda w, u: services.application_withdraw(application=w.fresh(), by=u),
          rule=lambda w, u: rules.can_withdraw(w.fresh(), u))
    # Advisers withdraw through the admin's bulk action over the rows they select
    # (each row's refusal is reported): the rule and the service agree for them.
    check(client, w, roles=("adviser", "other_adviser", "assessor"), page=None,
          call=lambda w, u: services.application_withdraw(application=w.fresh(), by=u),
          rule=lambda w, u: rules.can_withdraw(w.fresh(), u))


@pytest.mark.parametrize("status", STATUSES)
def test_changing_answers_is_offered_exactly_when_the_service_accepts_it(client, status):
    check(client, world(status), roles=HEADS,
          page=lambda w: (reverse("applications:section", args=[w.application.pk, "offer"]), 'class="section-form"'),
          call=lambda w, u: services.application_save(application=w.fresh(), section="offer",
                                                      data={"slt_can_cover": True}, by=u),
          rule=lambda w, u: rules.can_change_answers(w.fresh(), u))


@pytest.mark.parametrize(("status", "reference"), product(STATUSES, LINK_STATES))
def test_changing_the_sponsor_is_offered_exactly_when_the_service_accepts_it(client, status, reference):
    w = world(status)
    link_request(w.application, LinkRequest.Kind.REFERENCE, reference)
    new_sponsor = {"name": "Dr Ann Cole", "email": "ann.cole@diocese.example", "role": "diocese",
                   "organisation": "Diocese of Norwich", "relationship": "Diocesan adviser."}
    check(client, w, roles=HEADS,
          page=lambda w: (reverse("applications:section", args=[w.application.pk, "referee"]),
                          'class="section-form"'),
          call=lambda w, u: services.referee_nominate(application=w.fresh(), by=u, **new_sponsor),
          rule=lambda w, u: rules.can_change_sponsor(w.fresh(), u))


@pytest.mark.parametrize(("status", "round_open"), product(STATUSES, [True, False]))
def test_submission_is_offered_exactly_when_the_service_accepts_it(client, status, round_open):
    check(client, world(status, round_open=round_open), roles=HEADS,
          page=lambda w: (reverse("applications:check", args=[w.application.pk]), "Submit application</button>"),
          call=lambda w, u: services.application_submit(application=w.fresh(), by=u),
          rule=lambda w, u: rules.can_submit(w.fresh(), u))


@pytest.mark.parametrize(("status", "kind", "latest"),
                         product(STATUSES, LinkRequest.Kind, LINK_STATES))
def test_send_request_now_is_offered_exactly_when_the_service_accepts_it(client, status, kind, latest):
    w = world(status)
    link_request(w.application, kind, latest)

    def newest(application):
        return application.link_requests.filter(kind=kind).order_by("-created_at", "-pk").first()

    check(client, w, roles=HEADS,
          page=lambda w: (reverse("applications:detail", args=[w.application.pk]),
                          reverse("applications:send_request", args=[w.application.pk, kind])),
          call=lambda w, u: references.link_request_send_now(application=w.fresh(), kind=kind, by=u),
          rule=lambda w, u: rules.can_send_request(w.fresh(), u, kind, newest(w.application)))


# --- the staff's steps -------------------------------------------------------------------


def _advised(rule: Callable[[Application], bool]) -> Callable[[World, User], bool]:
    """A staff step's rule, for the person taking it: an adviser of the application's LA."""
    return lambda w, u: rules.advises(u, w.application) and rule(w.fresh())


@pytest.mark.parametrize("status", STATUSES)
def test_verification_is_offered_exactly_when_the_service_accepts_it(client, status):
    check(client, world(status), roles=STAFF,
          page=lambda w: (reverse("applications:staff_verify", args=[w.application.pk]),
                          'name="mark_verified"'),
          call=lambda w, u: services.application_verify_criterion(
              application=w.fresh(), criterion="headship", outcome="confirmed", by=u),
          rule=_advised(rules.can_verify))


@pytest.mark.parametrize(("status", "la_approved"), product(STATUSES, [False, True]))
def test_the_las_approval_is_offered_exactly_when_the_service_records_it(client, status, la_approved):
    def approve(w, u):
        before = w.fresh().la_approved_at
        after = services.application_la_approve(application=w.fresh(), by=u).la_approved_at
        return before is None and after is not None  # approving again changes nothing

    check(client, world(status, la_approved=la_approved), roles=STAFF,
          page=lambda w: (reverse("applications:staff_verify", args=[w.application.pk]),
                          reverse("applications:staff_la_approve", args=[w.application.pk])),
          call=approve, rule=_advised(rules.can_record_la_approval))


@pytest.mark.parametrize("status", STATUSES)
def test_assigning_assessors_is_offered_exactly_when_the_service_accepts_it(client, status):
    check(client, world(status), roles=STAFF,
          page=lambda w: (reverse("applications:staff_assign", args=[w.application.pk]), "Assign and email them"),
          call=lambda w, u: services.assessment_assign(application=w.fresh(), assessor=w.users["other_assessor"],
                                                       by=u),
          rule=_advised(rules.can_assign_assessors))


@pytest.mark.parametrize("status", STATUSES)
def test_the_panels_decision_is_offered_exactly_when_the_service_accepts_it(client, status):
    check(client, world(status), roles=STAFF,
          page=lambda w: (reverse("applications:staff_panel", args=[w.application.round_id]),
                          f'id="id_app-{w.application.pk}-decision_0"'),
          call=lambda w, u: services.panel_decide(application=w.fresh(), decision="not_designated",
                                                  reasons="Not yet.", by=u),
          rule=_advised(rules.can_decide))


@pytest.mark.parametrize(("status", "assessment"), product(STATUSES, ["to_score", "submitted"]))
def test_scoring_is_offered_exactly_when_the_service_accepts_it(client, status, assessment):
    def fresh_assessment(w):
        return Assessment.objects.select_related("application__round").get(pk=w.assessment.pk)

    check(client, world(status, assessment=assessment), roles=("assessor", "other_assessor", "adviser"),
          page=lambda w: (reverse("applications:staff_assess", args=[w.assessment.pk]), "Submit scores</button>"),
          call=lambda w, u: services.assessment_submit(assessment=fresh_assessment(w), scores=GOOD_SCORES,
                                                       comments="Fine.", by=u),
          rule=lambda w, u: rules.can_score(fresh_assessment(w), u))


# --- emailed links, from the staff's side ----------------------------------------------------


def _link_world(status: str, link_status: str) -> World:
    w = world(status)
    w.link_request = link_request(w.application, LinkRequest.Kind.REFERENCE, link_status)
    return w


def _fresh_link(w: World) -> LinkRequest:
    assert w.link_request is not None
    return LinkRequest.objects.select_related("application").get(pk=w.link_request.pk)


@pytest.mark.parametrize(("status", "link_status"), product(STATUSES, LinkRequest.Status))
def test_resend_is_offered_exactly_when_the_service_accepts_it(client, status, link_status):
    check(client, _link_world(status, link_status), roles=STAFF,
          page=lambda w: (reverse("applications:staff_verify", args=[w.application.pk]),
                          reverse("applications:staff_link_request", args=[w.link_request.pk, "resend"])),
          call=lambda w, u: references.link_request_resend(link_request=_fresh_link(w), by=u),
          rule=lambda w, u: rules.advises(u, w.application) and rules.can_resend(_fresh_link(w)))


@pytest.mark.parametrize(("status", "link_status"), product(STATUSES, LinkRequest.Status))
def test_cancel_is_offered_exactly_when_the_service_accepts_it(client, status, link_status):
    check(client, _link_world(status, link_status), roles=STAFF,
          page=lambda w: (reverse("applications:staff_verify", args=[w.application.pk]),
                          reverse("applications:staff_link_request", args=[w.link_request.pk, "cancel"])),
          call=lambda w, u: references.link_request_cancel(link_request=_fresh_link(w), by=u),
          rule=lambda w, u: rules.advises(u, w.application) and rules.can_cancel(_fresh_link(w)))


def test_every_role_and_status_is_covered():
    """The generated tests above run over the enums themselves: a status added
    to Application.Status or LinkRequest.Status is tested without a change here."""
    assert set(STATUSES) == set(Application.Status)
    assert set(LINK_STATES) - {None} == set(LinkRequest.Status)
    assert set(ROLES) == {*HEADS, *STAFF, "other_assessor"}
