"""The fixture world of the access matrix (test_access_matrix.py): one object
of each kind per owner, built once per module.

Norfolk is where the people of the matrix live: the applicant, the LLE and
the client head of a deployment, the governor of the client school, the
adviser of Norfolk, and an assessor with an assignment. Suffolk is the other
adviser's LA, with nothing in it. Cambridgeshire holds "another person's"
object of every kind (an application, a deployment with its visit and
objective, a statement, a survey, a report...), owned by people outside the
matrix, so each role of the matrix should get 404 for it wherever the role
itself is let in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import references, services
from applications.models import LinkRequest
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import submitted_application, verify
from deployments.models import ReimbursementStatement
from deployments.reports import END_REPORT
from deployments.tests.factories import (
    DeploymentFactory,
    LLEProfileFactory,
    ObjectiveFactory,
    SupportNeedFactory,
    VisitRecordFactory,
)
from impact.models import Question, Survey
from impact.tests.factories import AnswerFactory, InvitationFactory, QuestionFactory, SurveyFactory
from lle_portal.models import EmailChange, ImportJob, Invitation, Report, User
from lle_portal.school_calendar import fill_in_england_pattern
from lle_portal.tests.factories import (
    AdviserFactory,
    AssessorFactory,
    GovernorFactory,
    HeadteacherFactory,
    LocalAuthorityFactory,
    SchoolFactory,
)

# The roles of the matrix, in the order its table lists them. The referee is
# a visitor without an account who holds a valid link to give a reference.
ROLES = (
    "anonymous", "headteacher", "lle", "client_head", "assessor", "other_adviser", "adviser", "governor", "referee",
)
# Roles that browse without signing in.
ANONYMOUS_ROLES = ("anonymous", "referee")


@dataclass
class Side:
    """The objects of one owner: `own` (the matrix's people) or `other` (Cambridgeshire)."""

    round: Any = None
    application: Any = None  # a draft, the applicant's
    submitted: Any = None  # submitted, verified, with an assessor assigned
    link_request: Any = None
    token: str = ""
    assessment: Any = None
    need: Any = None
    deployment: Any = None
    objective: Any = None
    visit: Any = None
    statement: Any = None
    survey: Any = None
    invitation: Any = None
    answer: Any = None
    report: Any = None
    invitation_token: str = ""
    email_change_token: str = ""
    school_claim: Any = None  # a head's claim to a school, waiting for the adviser
    confirmed_head: Any = None  # a head whose school link the adviser confirmed


@dataclass
class World:
    people: dict[str, User | None]
    own: Side
    other: Side
    # One object per admin model label ("applications.application") for the
    # admin's change pages: own (Norfolk) and, where the admin scopes by LA, other.
    admin_own: dict[str, Any] = field(default_factory=dict)
    admin_other: dict[str, Any] = field(default_factory=dict)


def _pdf(name: str) -> ContentFile:
    return ContentFile(b"%PDF-1.7 access matrix\n%%EOF", name=name)


def _deployment_side(side: Side, *, la, lle_profile=None, client_head=None) -> None:
    """An active deployment with an objective, a record of visit awaiting the
    client head's confirmation, a contract PDF, and its end report."""
    need_kwargs = {"client_school": SchoolFactory(local_authority=la, name=f"{la.name} Client Primary")}
    if client_head is not None:
        client_head.school = need_kwargs["client_school"]
        client_head.save()  # a move to another school is a claim again: the adviser confirms it
        client_head.school_confirmed_at = timezone.now()
        client_head.save()
        need_kwargs["client_head"] = client_head
    side.need = SupportNeedFactory(**need_kwargs)
    side.deployment = DeploymentFactory(active=True, need=side.need, lle=lle_profile or LLEProfileFactory(
        user=HeadteacherFactory(school=SchoolFactory(local_authority=la)),
    ))
    side.deployment.contract_pdf.save("contract.pdf", _pdf("contract.pdf"))
    side.objective = ObjectiveFactory(deployment=side.deployment)
    side.visit = VisitRecordFactory(deployment=side.deployment, visit_date=timezone.localdate() - timedelta(days=3))
    # pdf_version: the stored PDF shows the statement as it is (a draft's PDF is offered only then).
    side.statement = ReimbursementStatement.objects.create(local_authority=la, academic_year=2026, term="autumn",
                                                           pdf_version=0)
    side.statement.pdf.save("statement.pdf", _pdf("statement.pdf"))
    side.report = Report(
        kind=END_REPORT, subject=f"deployment:{side.deployment.pk}", params={"deployment": side.deployment.pk},
        title="Deployment end report", status=Report.Status.READY, finished_at=timezone.now(),
    )
    side.report.file.save("end-report.pdf", _pdf("end-report.pdf"))  # saves the row too


def _survey_side(side: Side, *, la, respondent: User) -> None:
    """An open survey with the respondent's invitation and a free-text answer given with consent."""
    side.survey = SurveyFactory(local_authority=la, open=True, audience=Survey.Audience.LLES)
    side.invitation = InvitationFactory(survey=side.survey, user=respondent, consent_to_publish=True,
                                        responded_at=timezone.now())
    question = QuestionFactory(survey=side.survey, kind=Question.Kind.TEXT, theme="")
    side.answer = AnswerFactory(invitation=side.invitation, question=question, scale=None, text="Very helpful.")


def _applications_side(side: Side, *, la, applicant: User, adviser: User, assessor: User) -> None:
    """The applicant's draft; another head's application, submitted (so its
    sponsor has a link), verified and assigned to the assessor."""
    side.round = ApplicationRoundFactory(local_authorities=[la])
    side.application = ApplicationFactory(complete=True, round=side.round, applicant=applicant)
    side.submitted = verify(submitted_application(side.round), adviser)
    side.link_request = side.submitted.link_requests.get(kind=LinkRequest.Kind.REFERENCE)
    side.token = references.link_token(side.link_request)
    side.assessment = services.assessment_assign(application=side.submitted, assessor=assessor, by=adviser)


def build_world() -> World:
    norfolk = LocalAuthorityFactory(code="926", name="Norfolk")
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    cambs = LocalAuthorityFactory(code="873", name="Cambridgeshire")

    lle = LLEProfileFactory(user=HeadteacherFactory(school=SchoolFactory(local_authority=norfolk)))
    people: dict[str, Any] = {
        "anonymous": None,
        "referee": None,
        "headteacher": HeadteacherFactory(school=SchoolFactory(local_authority=norfolk)),
        "lle": lle.user,
        "client_head": HeadteacherFactory(),  # moved to the client school below
        "assessor": AssessorFactory(),
        "adviser": AdviserFactory(local_authorities=[norfolk]),
        "other_adviser": AdviserFactory(local_authorities=[suffolk]),
        "governor": None,
    }
    own, other = Side(), Side()

    _deployment_side(own, la=norfolk, lle_profile=lle, client_head=people["client_head"])
    people["governor"] = GovernorFactory(school=own.deployment.client_school)
    _applications_side(own, la=norfolk, applicant=people["headteacher"], adviser=people["adviser"],
                       assessor=people["assessor"])
    _survey_side(own, la=norfolk, respondent=people["lle"])

    # Cambridgeshire: the same, owned by people outside the matrix.
    cambs_adviser = AdviserFactory.create(local_authorities=[cambs])
    _deployment_side(other, la=cambs)
    GovernorFactory(school=other.deployment.client_school)
    _applications_side(other, la=cambs, applicant=HeadteacherFactory.create(), adviser=cambs_adviser,
                       assessor=AssessorFactory.create())
    cambs_assessment = other.assessment
    # Another head's draft in the applicant's own round: the classic "change the id in the URL".
    other.application = ApplicationFactory(complete=True, round=own.round)
    # Another assessor's assignment of the same Norfolk application.
    other.assessment = services.assessment_assign(application=own.submitted, assessor=AssessorFactory.create(),
                                                  by=people["adviser"])
    _survey_side(other, la=cambs, respondent=other.deployment.lle.user)

    # Claims to a headship waiting in each LA's queue, and a confirmed head whose link may be ended.
    own.school_claim = HeadteacherFactory(school=SchoolFactory(local_authority=norfolk), claim=True)
    other.school_claim = HeadteacherFactory(school=SchoolFactory(local_authority=cambs), claim=True)
    own.confirmed_head = people["headteacher"]
    other.confirmed_head = other.deployment.client_head

    # An invitation to make an account (the token is the credential).
    invitation = Invitation(email="new.governor@example.org", full_name="New Governor", role=User.Role.GOVERNOR,
                            school=own.deployment.client_school, created_by=people["adviser"])
    own.invitation_token = invitation.new_token()
    invitation.save()
    # The governor's request to sign in with a new address (the token is the credential).
    email_change = EmailChange(user=people["governor"], new_email="governor.new@example.org")
    own.email_change_token = email_change.new_token()
    email_change.save()

    # The assessor has set up two-factor authentication; the advisers have not yet.
    device = TOTPDevice.objects.create(user=people["assessor"], name="Authenticator app", confirmed=True)

    # An import each adviser uploaded: the file is its uploader's alone.
    own_import = ImportJob.objects.create(kind="gias", created_by=people["adviser"], original_name="norfolk.csv",
                                          file=ContentFile(b"URN\r\n", name="norfolk.csv"))
    other_import = ImportJob.objects.create(kind="gias", created_by=cambs_adviser, original_name="cambs.csv",
                                            file=ContentFile(b"URN\r\n", name="cambs.csv"))

    # Each LA's term dates for 2026/27, as its adviser fills them in.
    own_calendar, _ = fill_in_england_pattern(norfolk, 2027)
    other_calendar, _ = fill_in_england_pattern(cambs, 2027)

    world = World(people=people, own=own, other=other)
    world.admin_own = {
        "lle_portal.schoolyearcalendar": own_calendar,
        "otp_totp.totpdevice": device,
        "lle_portal.localauthority": norfolk,
        "lle_portal.school": own.deployment.client_school,
        "lle_portal.user": people["client_head"],
        "lle_portal.invitation": invitation,
        "lle_portal.report": own.report,
        "lle_portal.importjob": own_import,
        "applications.applicationround": own.round,
        "applications.application": own.submitted,
        "applications.assessment": own.assessment,
        "applications.lleprofile": lle,
        "applications.linkrequest": own.link_request,
        "deployments.supportneed": own.need,
        "deployments.deployment": own.deployment,
        "deployments.visitrecord": own.visit,
        "deployments.reimbursementstatement": own.statement,
        "impact.survey": own.survey,
    }
    world.admin_other = {
        "lle_portal.schoolyearcalendar": other_calendar,
        "lle_portal.localauthority": cambs,
        "lle_portal.school": other.deployment.client_school,
        "lle_portal.user": other.deployment.client_head,
        "lle_portal.report": other.report,
        "lle_portal.importjob": other_import,
        "applications.applicationround": other.round,
        "applications.application": other.submitted,
        "applications.assessment": cambs_assessment,
        "applications.lleprofile": other.deployment.lle,
        "applications.linkrequest": other.link_request,
        "deployments.supportneed": other.need,
        "deployments.deployment": other.deployment,
        "deployments.visitrecord": other.visit,
        "deployments.reimbursementstatement": other.statement,
        "impact.survey": other.survey,
    }
    return world
