"""Applications brought to each state of recruitment, for tests.

The helpers of the staff-side tests (an application submitted, verified,
assessed, made through the services), the sponsor's answers and emailed link
of the reference tests, and a national round's worth of applications written
in bulk for the query budgets. Test modules import them from here, never from
one another.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationRound, Assessment, LinkRequest, Verification
from applications.rubric import RUBRIC
from applications.staff_forms import VERIFIED_CRITERIA
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from lle_portal.models import Inspection, School, SchoolResult, User
from lle_portal.tests.factories import AssessorFactory, LocalAuthorityFactory

Status = Application.Status
GOOD_SCORES = dict.fromkeys(RUBRIC, 3)


# --- an application at each stage, made through the services --------------------


def submitted_application(round: ApplicationRound | None = None, **fields) -> Application:
    fields.setdefault("declared_inspection_date", date(2019, 3, 12))
    application = ApplicationFactory.create(complete=True, round=round or ApplicationRoundFactory.create(), **fields)
    return services.application_submit(application=application, by=application.applicant)


def verify(application: Application, adviser: User) -> Application:
    for criterion in VERIFIED_CRITERIA:
        services.application_verify_criterion(
            application=application, criterion=criterion, outcome=Verification.Outcome.CONFIRMED, by=adviser
        )
    return services.application_mark_verified(application=application, by=adviser)


def assess(application: Application, adviser: User, assessors: list[User] | None = None,
           scores: dict[str, int] | None = None) -> Application:
    for assessor in assessors or [AssessorFactory.create()]:
        assessment = services.assessment_assign(application=application, assessor=assessor, by=adviser)
        services.assessment_submit(assessment=assessment, scores=scores or GOOD_SCORES,
                                   comments="Clear evidence of impact.", by=assessor)
    application.refresh_from_db()
    return application


def assessed_application(adviser: User, round: ApplicationRound | None = None, **kwargs) -> Application:
    scores = kwargs.pop("scores", None)
    return assess(verify(submitted_application(round, **kwargs), adviser), adviser, scores=scores)


# --- the sponsor's reference through its emailed link -------------------------------


LINK = re.compile(r"http://testserver(/programme/reference/[A-Za-z0-9_-]+/)")

ANSWERS = {
    "action": "submit",
    "ability": "An outstanding leader who has already supported two schools.",
    "impact": "Reading results rose by twenty points in three years.",
    "senior_team": "The deputy has led the school during two secondments.",
    "commits_to_deploy": "yes",
    "safeguarding_concerns": "no",
    "safeguarding_details": "",
    "recommendation": "strongly",
}


@pytest.fixture
def norfolk():
    return LocalAuthorityFactory(code="926", name="Norfolk")


def submit(django_capture_on_commit_callbacks, norfolk) -> LinkRequest:
    """A submitted application of a Norfolk round: its sponsor's request, emailed."""
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted_application(round=ApplicationRoundFactory.create(local_authorities=[norfolk]))
    return application.link_requests.get(kind=LinkRequest.Kind.REFERENCE)


def link_in(message) -> str:
    found = LINK.search(message.body)
    assert found is not None, message.body
    return found.group(1)


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


# --- a national round, in bulk -------------------------------------------------------

_serial = itertools.count(1)


def bulk_applications(round: ApplicationRound, n: int, *, assessed: bool = False) -> list[Application]:
    """n submitted (or assessed) applications with schools, official data and
    some verifications, made in bulk: the scale of a national round, quickly.
    (Test data at scale, so rows are written directly, not through services.)"""
    la = round.local_authorities.first()
    ids = [next(_serial) for _ in range(n)]
    schools = School.objects.bulk_create([
        School(urn=700000 + i, name=f"Bulk School {i}", local_authority=la,
               phase=School.Phase.SECONDARY if i % 3 == 0 else School.Phase.PRIMARY)
        for i in ids
    ])
    heads = User.objects.bulk_create([
        User(email=f"bulk-head-{i}@example.org", full_name=f"Head {i}", role=User.Role.HEADTEACHER, school=s)
        for i, s in zip(ids, schools, strict=True)
    ])
    Inspection.objects.bulk_create([
        Inspection(school=s, inspection_date=date(2019, 3, 1), overall_effectiveness=2, leadership_and_management=2)
        for s in schools
    ])
    SchoolResult.objects.bulk_create([
        SchoolResult(school=s, key_stage="KS2", measure="PTRWM_EXP", year=year, value=70)
        for s in schools if s.phase == School.Phase.PRIMARY for year in (2017, 2018, 2019)
    ])
    now = timezone.now()
    applications = Application.objects.bulk_create([
        Application(
            round=round, applicant=head, school=head.school,
            status=Status.ASSESSED if assessed else Status.SUBMITTED,
            submitted_at=now - timedelta(minutes=i), reference_number=f"LLE-T-{i:06d}",
            appointed_head_on=date(2015, 9, 1), declared_leadership=2, declared_inspection_date=date(2019, 3, 1),
            declared_above_floor="yes", slt_can_cover=True, slt_details="Deputy leads.",
            phase_offered="secondary" if i % 3 == 0 else "primary", specialisms=["leadership"],
            governors_approved=True, slt_approved=True, working_towards_eligibility=i % 7 == 0,
        )
        for i, head in zip(ids, heads, strict=True)
    ])
    Verification.objects.bulk_create([
        Verification(application=a, criterion="headship", outcome="confirmed") for a in applications[::2]
    ])
    if assessed:
        assessor = AssessorFactory.create()
        marks = {a.pk: {k: 1 + (a.pk + j) % 4 for j, k in enumerate(RUBRIC)} for a in applications}
        Assessment.objects.bulk_create([
            Assessment(application=a, assessor=assessor, scores=marks[a.pk], total=sum(marks[a.pk].values()),
                       comments="Bulk.", submitted_at=now)
            for a in applications
        ])
    return applications
