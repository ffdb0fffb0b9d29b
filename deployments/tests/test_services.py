"""Deployment transitions: each allowed one, and every one that is not."""

import subprocess
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from deployments import reports, services
from deployments.models import Deployment, SupportNeed, VisitRecord, add_months
from deployments.services import DeploymentError
from lle_portal.models import AuditEvent, Report
from lle_portal.tests.factories import HeadteacherFactory

from .factories import (
    ColleagueFactory,
    DeploymentFactory,
    LLEProfileFactory,
    ObjectiveFactory,
    SupportNeedFactory,
    VisitRecordFactory,
    school_day_before,
)

pytestmark = pytest.mark.django_db
Status = Deployment.Status


def propose(need, lle, by, **terms):
    start = timezone.localdate() - timedelta(days=7)
    defaults = {"start_date": start, "end_date": add_months(start, 12), "days_per_week": Decimal("0.5"),
                "rate_per_day": Decimal("300")}
    return services.deployment_propose(need=need, lle=lle, by=by, **{**defaults, **terms})


def verbs(target) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=str(target.pk)).order_by("pk").values_list("verb", flat=True))


def test_it_proposes_an_lle_for_an_open_need_and_tells_both_parties(users, django_capture_on_commit_callbacks):
    need = SupportNeedFactory()
    lle = LLEProfileFactory()
    with django_capture_on_commit_callbacks(execute=True):
        deployment = propose(need, lle, users["adviser"])

    assert deployment.status == Status.PROPOSED
    assert deployment.client_school == need.client_school
    assert deployment.client_head == need.client_head
    need.refresh_from_db()
    assert need.status == SupportNeed.Status.MATCHED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([lle.user.email, need.client_head.email])
    assert verbs(deployment) == ["deployment.proposed"]


def test_it_makes_a_professional_partner_deployment_for_a_new_head(users):
    need = SupportNeedFactory(reasons=["new_head"])
    deployment = services.deployment_propose(
        need=need, lle=LLEProfileFactory(), by=users["adviser"],
        **{k: v for k, v in services.proposal_defaults(need).items() if k != "kind"},
    )
    assert deployment.kind == Deployment.Kind.PROFESSIONAL_PARTNER


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_active": False}, "not active"),
        ({"trained_on": None}, "not completed training"),
    ],
)
def test_it_never_proposes_an_excluded_lle(users, change, message):
    lle = LLEProfileFactory(**change)
    with pytest.raises(DeploymentError, match=message):
        propose(SupportNeedFactory(), lle, users["adviser"])
    assert not Deployment.objects.exists()


def test_it_refuses_a_proposal_for_the_lles_own_school(users):
    lle = LLEProfileFactory()
    need = SupportNeedFactory(client_school=lle.school, client_head=None)
    with pytest.raises(DeploymentError, match="own school"):
        propose(need, lle, users["adviser"])


def test_it_refuses_a_proposal_beyond_the_lles_spare_capacity(users):
    lle = LLEProfileFactory(days_per_week=Decimal("0.5"))
    propose(SupportNeedFactory(), lle, users["adviser"])
    with pytest.raises(DeploymentError, match="no spare capacity"):
        propose(SupportNeedFactory(), lle, users["adviser"])
    lle_with_half = LLEProfileFactory(days_per_week=Decimal("1.0"))
    propose(SupportNeedFactory(), lle_with_half, users["adviser"])
    with pytest.raises(DeploymentError, match="half a day a week free"):
        propose(SupportNeedFactory(days_per_week=Decimal("1.0")), lle_with_half, users["adviser"],
                days_per_week=Decimal("1.0"))


def test_it_refuses_a_proposal_for_a_need_already_matched(users):
    need = SupportNeedFactory()
    propose(need, LLEProfileFactory(), users["adviser"])
    with pytest.raises(DeploymentError, match="matched, not open"):
        propose(need, LLEProfileFactory(), users["adviser"])


@pytest.mark.parametrize(("months", "extra_days"), [(5, 27), (36, 1), (0, 0)])
def test_it_refuses_a_proposal_shorter_than_6_months_or_longer_than_3_years(users, months, extra_days):
    start = timezone.localdate()
    end = add_months(start, months) + timedelta(days=extra_days)
    with pytest.raises(DeploymentError, match="6 months|3 years"):
        propose(SupportNeedFactory(), LLEProfileFactory(), users["adviser"], start_date=start, end_date=end)


def test_both_parties_accepting_agrees_the_deployment_and_makes_the_contract(users, django_capture_on_commit_callbacks):
    deployment = DeploymentFactory()
    head = deployment.client_head
    with django_capture_on_commit_callbacks(execute=True):
        services.deployment_accept(deployment=deployment, by=deployment.lle.user)
    deployment.refresh_from_db()
    assert deployment.status == Status.PROPOSED
    assert deployment.lle_accepted_at and not deployment.client_accepted_at

    with django_capture_on_commit_callbacks(execute=True):
        services.deployment_accept(deployment=deployment, by=head)
    deployment.refresh_from_db()
    assert deployment.status == Status.AGREED
    assert deployment.agreed_at
    # The Celery task ran (eagerly in tests) and stored the contract.
    assert deployment.contract_pdf.read(4) == b"%PDF"
    assert deployment.contract_generated_at
    subjects = [m.subject for m in mail.outbox]
    assert any(s.startswith("Deployment agreed") for s in subjects)
    assert sum("contract agreement is ready" in s for s in subjects) == 2  # the LLE and the client head
    assert verbs(deployment)[-4:] == [
        "deployment.accepted", "deployment.accepted", "deployment.agreed", "deployment.contract_generated",
    ]


def test_generating_the_contract_again_links_the_new_file_and_tells_nobody_twice(
    users, django_capture_on_commit_callbacks
):
    deployment = DeploymentFactory(agreed=True)
    with django_capture_on_commit_callbacks(execute=True):
        reports.deployment_generate_contract(deployment_id=deployment.pk)
    first = Deployment.objects.get(pk=deployment.pk).contract_pdf
    with django_capture_on_commit_callbacks(execute=True):
        reports.deployment_generate_contract(deployment_id=deployment.pk)
    second = Deployment.objects.get(pk=deployment.pk).contract_pdf
    assert second.storage.exists(second.name)
    # Each build is a report of its own (the earlier one stays downloadable); the deployment links the newest.
    assert first.name != second.name
    contracts = Report.objects.filter(kind="deployment_contract", subject=f"deployment:{deployment.pk}")
    assert contracts.count() == 2 and {r.file.name for r in contracts} == {first.name, second.name}
    assert set(contracts.values_list("status", flat=True)) == {Report.Status.READY}
    # Told once: the LLE and the client head.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([deployment.lle.user.email, deployment.client_head.email])


def test_the_contract_agreement_is_a_pdf_that_poppler_can_draw(users, tmp_path):
    deployment = DeploymentFactory(agreed=True)
    ObjectiveFactory(deployment=deployment, title="Raise attainment in reading")
    reports.deployment_generate_contract(deployment_id=deployment.pk)
    data = Deployment.objects.get(pk=deployment.pk).contract_pdf.read()
    assert data.startswith(b"%PDF")
    (tmp_path / "contract.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(tmp_path / "contract.pdf"), str(tmp_path / "page")],
                   check=True)
    assert list(tmp_path.glob("page-*.png"))
    text = subprocess.run(["pdftotext", str(tmp_path / "contract.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Raise attainment in reading" in text and deployment.client_school.name in text


def test_a_head_who_is_neither_party_cannot_accept(users):
    deployment = DeploymentFactory()
    with pytest.raises(DeploymentError, match="Only the LLE and the client"):
        services.deployment_accept(deployment=deployment, by=users["headteacher"])
    with pytest.raises(DeploymentError, match="Only the LLE and the client"):
        services.deployment_accept(deployment=deployment, by=users["adviser"])


def test_a_party_cannot_accept_twice(users):
    deployment = DeploymentFactory()
    services.deployment_accept(deployment=deployment, by=deployment.lle.user)
    with pytest.raises(DeploymentError, match="already accepted"):
        services.deployment_accept(deployment=deployment, by=deployment.lle.user)


def test_declining_a_proposal_opens_the_need_again(users):
    deployment = DeploymentFactory()
    services.deployment_decline(deployment=deployment, by=deployment.client_head, reason="Not the right time.")
    deployment.refresh_from_db()
    assert deployment.status == Status.WITHDRAWN
    deployment.need.refresh_from_db()
    assert deployment.need.status == SupportNeed.Status.OPEN


def test_an_agreed_deployment_starts_on_its_start_date_and_not_before(users):
    deployment = DeploymentFactory(agreed=True, start_date=timezone.localdate() + timedelta(days=3))
    with pytest.raises(DeploymentError, match="starts on"):
        services.deployment_start(deployment=deployment, by=users["adviser"])
    assert services.deployments_start_due(today=deployment.start_date) == 1
    deployment.refresh_from_db()
    assert deployment.status == Status.ACTIVE
    assert services.deployments_start_due(today=deployment.start_date) == 0


def test_completing_needs_the_agreed_end_point_to_have_come(users):
    deployment = DeploymentFactory(active=True)
    with pytest.raises(DeploymentError, match="end the deployment early"):
        services.deployment_complete(deployment=deployment, by=users["adviser"])
    services.deployment_complete(deployment=deployment, by=users["adviser"], today=deployment.end_date)
    deployment.refresh_from_db()
    assert deployment.status == Status.COMPLETED


def test_ending_early_needs_a_reason_and_tells_both_heads(users, django_capture_on_commit_callbacks):
    deployment = DeploymentFactory(active=True)
    with pytest.raises(DeploymentError, match="Say why"):
        services.deployment_end_early(deployment=deployment, by=users["adviser"], reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.deployment_end_early(deployment=deployment, by=users["adviser"], reason="The school joined a trust.")
    deployment.refresh_from_db()
    assert deployment.status == Status.ENDED_EARLY
    assert deployment.ended_reason == "The school joined a trust."
    assert {m.to[0] for m in mail.outbox} == {deployment.lle.user.email, deployment.client_head.email}


def test_another_las_adviser_cannot_end_a_deployment(users):
    deployment = DeploymentFactory(active=True)
    with pytest.raises(DeploymentError, match="Only the adviser"):
        services.deployment_end_early(deployment=deployment, by=users["other_adviser"], reason="No.")


# Every transition from every state it is not allowed in.
TRANSITIONS = {
    "accept": (lambda d, u: services.deployment_accept(deployment=d, by=d.lle.user), {Status.PROPOSED}),
    "decline": (lambda d, u: services.deployment_decline(deployment=d, by=u["adviser"], reason="x"), {Status.PROPOSED}),
    "start": (lambda d, u: services.deployment_start(deployment=d, by=u["adviser"]), {Status.AGREED}),
    "complete": (lambda d, u: services.deployment_complete(deployment=d, by=u["adviser"], today=d.end_date),
                 {Status.ACTIVE}),
    "end early": (lambda d, u: services.deployment_end_early(deployment=d, by=u["adviser"], reason="x"),
                  {Status.AGREED, Status.ACTIVE}),
    "record a visit to": (lambda d, u: services.visit_record(
        deployment=d, by=d.lle.user, visit_date=timezone.localdate(), days=Decimal("0.5"), activities=["coaching"],
        summary="s", progress="p", next_steps="n"), {Status.AGREED, Status.ACTIVE}),
}


def _in_state(status: str) -> Deployment:
    accepted = {"lle_accepted_at": timezone.now(), "client_accepted_at": timezone.now()}
    extra: dict[str, Any] = {} if status in (Status.PROPOSED, Status.WITHDRAWN) else accepted
    if status in (Status.ENDED_EARLY, Status.WITHDRAWN):
        extra["ended_reason"] = "Ended."
    return DeploymentFactory.create(status=status, **extra)


@pytest.mark.parametrize(
    ("transition", "status"),
    [(t, s) for t, (_, allowed) in TRANSITIONS.items() for s in Status.values if s not in allowed],
)
def test_every_transition_is_refused_from_a_state_that_does_not_allow_it(users, transition, status):
    call, _ = TRANSITIONS[transition]
    deployment = _in_state(status)
    with pytest.raises(DeploymentError, match=f"cannot {transition} a deployment that is"):
        call(deployment, users)
    assert Deployment.objects.get(pk=deployment.pk).status == status


# --- records of visit ---------------------------------------------------------------


def record(deployment, by, **fields):
    data = {"visit_date": school_day_before(1), "days": Decimal("1.0"),
            "activities": ["coaching", "training"], "summary": "Coached the head.", "progress": "Plan drafted.",
            "next_steps": "Learning walk.", **fields}
    return services.visit_record(deployment=deployment, by=by, **data)


def test_the_lle_records_a_visit_and_the_client_head_is_asked_to_confirm_it(users, django_capture_on_commit_callbacks):
    deployment = DeploymentFactory(active=True)
    objective = ObjectiveFactory(deployment=deployment)
    with django_capture_on_commit_callbacks(execute=True):
        visit = record(deployment, deployment.lle.user, objectives=[objective])
    assert visit.status == VisitRecord.Status.SUBMITTED
    assert list(visit.objectives.all()) == [objective]
    assert [m.to[0] for m in mail.outbox] == [deployment.client_head.email]
    assert "Please confirm" in mail.outbox[0].subject


def test_the_first_visit_of_an_agreed_deployment_starts_it(users):
    deployment = DeploymentFactory(agreed=True)
    record(deployment, deployment.lle.user)
    deployment.refresh_from_db()
    assert deployment.status == Status.ACTIVE


def test_a_colleague_records_their_own_visit(users):
    deputy = HeadteacherFactory()
    colleague = ColleagueFactory(user=deputy)
    visit = record(colleague.deployment, deputy)
    assert visit.colleague == colleague
    assert visit.delivered_by == str(colleague)


def test_the_lle_records_a_visit_a_colleague_delivered(users):
    colleague = ColleagueFactory()
    visit = record(colleague.deployment, colleague.deployment.lle.user, colleague=colleague)
    assert visit.colleague == colleague


@pytest.mark.parametrize("who", ["client_head", "headteacher", "adviser"])
def test_only_the_lle_or_a_colleague_records_a_visit(users, who):
    deployment = DeploymentFactory(active=True)
    person = deployment.client_head if who == "client_head" else users[who]
    with pytest.raises(DeploymentError, match="Only the LLE or a colleague"):
        record(deployment, person)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"visit_date": timezone.localdate() + timedelta(days=1)}, "in the future"),
        ({"visit_date": timezone.localdate() - timedelta(days=90)}, "within the deployment"),
        ({"activities": []}, "what was done"),
        ({"days": Decimal("2")}, "half a day or a full day"),
    ],
)
def test_it_refuses_a_visit_outside_the_rules(users, fields, message):
    deployment = DeploymentFactory(active=True)
    with pytest.raises(DeploymentError, match=message):
        record(deployment, deployment.lle.user, **fields)


def test_the_same_day_cannot_be_recorded_twice(users):
    deployment = DeploymentFactory(active=True)
    record(deployment, deployment.lle.user)
    with pytest.raises(DeploymentError, match="already recorded"):
        record(deployment, deployment.lle.user)
    assert deployment.visits.count() == 1


def test_the_client_head_confirms_a_visit_once(users):
    visit = VisitRecordFactory()
    head = visit.deployment.client_head
    services.visit_confirm(visit=visit, by=head)
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.CONFIRMED and visit.confirmed_by == head
    with pytest.raises(DeploymentError, match="already confirmed"):
        services.visit_confirm(visit=visit, by=head)


@pytest.mark.parametrize("who", ["lle", "headteacher", "adviser", "governor"])
def test_only_the_client_head_confirms_or_queries_a_visit(users, who):
    visit = VisitRecordFactory()
    person = visit.deployment.lle.user if who == "lle" else users[who]
    with pytest.raises(DeploymentError, match="Only the client head named on the deployment"):
        services.visit_confirm(visit=visit, by=person)
    with pytest.raises(DeploymentError, match="Only the client head named on the deployment"):
        services.visit_query(visit=visit, by=person, reason="Why?")


def test_a_query_goes_back_to_whoever_recorded_the_visit_who_answers_it(users, django_capture_on_commit_callbacks):
    visit = VisitRecordFactory(visit_date=school_day_before(1))  # an amendment checks the day again
    head = visit.deployment.client_head
    with pytest.raises(DeploymentError, match="Say what you are querying"):
        services.visit_query(visit=visit, by=head, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_query(visit=visit, by=head, reason="It was half a day, not a full day.")
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.QUERIED
    assert mail.outbox[-1].to == [visit.recorded_by.email]
    with pytest.raises(DeploymentError, match="cannot query a record of visit that is queried"):
        services.visit_query(visit=visit, by=head, reason="Again")

    services.visit_amend(visit=visit, by=visit.deployment.lle.user, days=Decimal("0.5"), activities=["coaching"],
                         summary="Half a day of coaching.", progress="p", next_steps="n")
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.SUBMITTED and visit.days == Decimal("0.5") and not visit.query_reason
    with pytest.raises(DeploymentError, match="Only a queried record"):
        services.visit_amend(visit=visit, by=visit.deployment.lle.user, days=Decimal("0.5"), activities=["coaching"],
                             summary="s", progress="p", next_steps="n")


def test_the_adviser_flags_a_visit_for_quality_assurance(users):
    visit = VisitRecordFactory(confirmed=True)
    with pytest.raises(DeploymentError, match="Only the adviser"):
        services.visit_flag_for_qa(visit=visit, by=users["other_adviser"])
    services.visit_flag_for_qa(visit=visit, by=users["adviser"], note="Termly sample")
    visit.refresh_from_db()
    assert visit.qa_flagged_at and visit.qa_flagged_by == users["adviser"]
    with pytest.raises(DeploymentError, match="already flagged"):
        services.visit_flag_for_qa(visit=visit, by=users["adviser"])
    services.visit_clear_qa_flag(visit=visit, by=users["adviser"])
    visit.refresh_from_db()
    assert visit.qa_flagged_at is None


def test_objectives_are_added_and_rated_by_the_parties_only(users):
    deployment = DeploymentFactory(active=True)
    objective = services.objective_add(deployment=deployment, by=deployment.lle.user, title="Reading",
                                       measure_of_success="70% at the expected standard")
    services.objective_rate(objective=objective, by=deployment.client_head, progress="good")
    objective.refresh_from_db()
    assert objective.progress == "good"
    with pytest.raises(DeploymentError, match="Only the LLE, the client head and the adviser"):
        services.objective_add(deployment=deployment, by=users["headteacher"], title="x", measure_of_success="y")


def test_a_support_need_remembers_what_the_data_suggested(users):
    need = SupportNeedFactory.build(client_school=SupportNeedFactory().client_school, client_head=None,
                                    head_appointed_on=timezone.localdate() - timedelta(days=100),
                                    reasons=["new_head"])
    services.support_need_save(need=need, by=users["adviser"])
    assert [s["reason"] for s in need.suggested_reasons] == ["new_head"]
    assert need.created_by == users["adviser"]


def test_it_refuses_a_support_need_recorded_by_an_adviser_of_another_la(users):
    need = SupportNeedFactory.build(client_school=SupportNeedFactory().client_school, client_head=None,
                                    reasons=["peer_challenge"])
    with pytest.raises(DeploymentError, match="not in your local authorities"):
        services.support_need_save(need=need, by=users["other_adviser"])
    assert need.pk is None
