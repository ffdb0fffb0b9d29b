"""Every status change of an application goes through a service, and every
change the rules do not allow raises ApplicationError. The helpers that reach each state are in
applications/tests/states.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications import services
from applications.models import Application, LLEProfile, TrainingCohort
from applications.services import ApplicationError
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import GOOD_SCORES, assessed_application, submitted_application, verify
from lle_portal.models import AuditEvent, User
from lle_portal.tests.factories import AssessorFactory, SchoolFactory

Status = Application.Status


@pytest.fixture
def adviser(users) -> User:
    return users["adviser"]


# --- the whole way through --------------------------------------------------------


@pytest.mark.django_db
def test_it_takes_an_application_from_submission_to_designation_with_an_audit_event_for_each_step(adviser):
    application = submitted_application()
    application = verify(application, adviser)
    assert application.status == Status.VERIFIED
    assessors = [AssessorFactory(), AssessorFactory()]
    first = services.assessment_assign(application=application, assessor=assessors[0], by=adviser)
    second = services.assessment_assign(application=application, assessor=assessors[1], by=adviser)
    services.assessment_submit(assessment=first, scores=GOOD_SCORES, comments="Strong.", by=assessors[0])
    application.refresh_from_db()
    assert application.status == Status.VERIFIED  # one assessor still to score
    services.assessment_submit(assessment=second, scores=GOOD_SCORES, comments="Strong.", by=assessors[1])
    application.refresh_from_db()
    assert application.status == Status.ASSESSED

    services.panel_decide(application=application, decision="designated", reasons="Outstanding impact.", by=adviser)

    application.refresh_from_db()
    assert application.status == Status.DESIGNATED
    profile = LLEProfile.objects.get(user=application.applicant)
    assert profile.application == application and profile.is_active
    verbs = set(AuditEvent.objects.filter(object_id=str(application.pk)).values_list("verb", flat=True))
    assert {"application.submitted", "application.verified", "assessment.assigned", "assessment.submitted",
            "application.assessed", "application.designated"} <= verbs


# --- transitions that are not allowed ---------------------------------------------


@pytest.mark.django_db
def test_it_refuses_to_verify_a_draft(adviser):
    draft = ApplicationFactory(complete=True)
    with pytest.raises(ApplicationError, match="draft"):
        services.application_verify_criterion(application=draft, criterion="headship", outcome="confirmed",
                                              by=adviser)


@pytest.mark.django_db
def test_it_refuses_an_outcome_that_is_not_confirmed_not_met_or_query(adviser):
    application = submitted_application()
    with pytest.raises(ApplicationError, match="confirmed, not met or query"):
        services.application_verify_criterion(application=application, criterion="headship", outcome="maybe",
                                              by=adviser)


@pytest.mark.django_db
def test_it_refuses_to_mark_part_a_verified_while_a_criterion_is_unchecked_or_queried(adviser):
    application = submitted_application()
    services.application_verify_criterion(application=application, criterion="headship", outcome="query",
                                          note="Which year?", by=adviser)
    with pytest.raises(ApplicationError, match="Verify every criterion first"):
        services.application_mark_verified(application=application, by=adviser)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.django_db
def test_it_refuses_to_assign_an_assessor_before_part_a_is_verified(adviser):
    application = submitted_application()
    with pytest.raises(ApplicationError, match="submitted"):
        services.assessment_assign(application=application, assessor=AssessorFactory(), by=adviser)


@pytest.mark.django_db
def test_it_refuses_an_assessor_from_the_applicants_trust(adviser):
    application = verify(submitted_application(), adviser)
    application.school.trust = "Broadland Learning Trust"
    application.school.save()
    colleague = AssessorFactory(school=SchoolFactory(trust="Broadland Learning Trust"))
    with pytest.raises(ApplicationError, match="same trust"):
        services.assessment_assign(application=application, assessor=colleague, by=adviser)


@pytest.mark.django_db
def test_it_refuses_a_second_submission_of_scores_and_scores_from_another_assessor(adviser):
    application = verify(submitted_application(), adviser)
    assessor, other = AssessorFactory(), AssessorFactory()
    assessment = services.assessment_assign(application=application, assessor=assessor, by=adviser)
    with pytest.raises(ApplicationError, match="Only the assigned assessor"):
        services.assessment_submit(assessment=assessment, scores=GOOD_SCORES, comments="", by=other)
    with pytest.raises(ApplicationError, match="score from 1 to 4"):
        services.assessment_submit(assessment=assessment, scores={"capacity": 5}, comments="", by=assessor)
    services.assessment_submit(assessment=assessment, scores=GOOD_SCORES, comments="Fine.", by=assessor)
    with pytest.raises(ApplicationError, match="already been submitted"):
        services.assessment_submit(assessment=assessment, scores=GOOD_SCORES, comments="Again.", by=assessor)


@pytest.mark.django_db
def test_it_refuses_a_decision_before_every_assessor_has_scored(adviser):
    application = verify(submitted_application(), adviser)
    services.assessment_assign(application=application, assessor=AssessorFactory(), by=adviser)
    with pytest.raises(ApplicationError, match="verified"):
        services.panel_decide(application=application, decision="designated", reasons="Good.", by=adviser)


@pytest.mark.django_db
def test_it_refuses_a_decision_without_reasons(adviser):
    application = assessed_application(adviser)
    with pytest.raises(ApplicationError, match="reasons"):
        services.panel_decide(application=application, decision="deferred", reasons="  ", by=adviser)


@pytest.mark.django_db
def test_it_never_designates_beyond_the_rounds_places_even_two_decisions_in_a_row(adviser):
    round = ApplicationRoundFactory(places=1)
    first, second = assessed_application(adviser, round), assessed_application(adviser, round)
    services.panel_decide(application=first, decision="designated", reasons="Strongest.", by=adviser)
    with pytest.raises(ApplicationError, match="All 1 places"):
        services.panel_decide(application=second, decision="designated", reasons="Also strong.", by=adviser)
    second.refresh_from_db()
    assert second.status == Status.ASSESSED
    assert services.places_left(round) == 0
    # The panel can still decide otherwise.
    services.panel_decide(application=second, decision="deferred", reasons="Next round.", by=adviser)
    assert round.applications.filter(decision="designated").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_submission_after_the_round_has_closed():
    application = ApplicationFactory(complete=True, round=ApplicationRoundFactory())
    closed_at = application.round.closes_at
    with pytest.raises(ApplicationError, match="closed"):
        services.application_submit(application=application, by=application.applicant, at=closed_at)
    application.refresh_from_db()
    assert application.status == Status.DRAFT


@pytest.mark.django_db
def test_it_refuses_to_withdraw_an_application_once_the_panel_has_decided(adviser):
    application = assessed_application(adviser)
    services.panel_decide(application=application, decision="not_designated", reasons="Not yet.", by=adviser)
    with pytest.raises(ApplicationError, match="not designated"):
        services.application_withdraw(application=application, by=application.applicant)
    with pytest.raises(ApplicationError, match="not designated"):
        services.application_withdraw(application=application, by=adviser)


@pytest.mark.django_db
def test_it_refuses_the_la_approval_of_a_draft(adviser):
    with pytest.raises(ApplicationError, match="draft"):
        services.application_la_approve(application=ApplicationFactory(complete=True), by=adviser)


@pytest.mark.django_db
def test_it_refuses_to_decide_twice(adviser):
    application = assessed_application(adviser)
    services.panel_decide(application=application, decision="deferred", reasons="Next panel.", by=adviser)
    with pytest.raises(ApplicationError, match="deferred"):
        services.panel_decide(application=application, decision="designated", reasons="Changed mind.", by=adviser)


# --- training ------------------------------------------------------------------


@pytest.fixture
def designated(adviser) -> LLEProfile:
    application = assessed_application(adviser)
    services.panel_decide(application=application, decision="designated", reasons="Strong.", by=adviser)
    return LLEProfile.objects.get(application=application)


def cohort_for(profile: LLEProfile, *, starts_in: int, ends_in: int) -> TrainingCohort:
    day = profile.designated_on
    return TrainingCohort.objects.create(
        round=profile.application.round, name=f"Cohort {starts_in}-{ends_in}",  # type: ignore[union-attr]
        starts_on=day + timedelta(days=starts_in), ends_on=day + timedelta(days=ends_in),
    )


@pytest.mark.django_db
def test_a_cohort_finishing_within_8_weeks_of_designation_is_accepted_and_the_lle_is_told(
    adviser, designated, django_capture_on_commit_callbacks
):
    cohort = cohort_for(designated, starts_in=21, ends_in=56)
    with django_capture_on_commit_callbacks(execute=True):
        services.cohort_join(profile=designated, cohort=cohort, by=adviser)
    designated.refresh_from_db()
    assert designated.cohort == cohort
    [email] = mail.outbox
    assert email.to == [designated.user.email]
    assert cohort.name in email.subject


@pytest.mark.django_db
def test_it_refuses_a_cohort_that_finishes_more_than_8_weeks_after_designation(adviser, designated):
    cohort = cohort_for(designated, starts_in=30, ends_in=57)
    with pytest.raises(ApplicationError, match="more than 8 weeks"):
        services.cohort_join(profile=designated, cohort=cohort, by=adviser)


@pytest.mark.django_db
def test_it_refuses_a_cohort_that_started_before_designation(adviser, designated):
    cohort = cohort_for(designated, starts_in=-7, ends_in=20)
    with pytest.raises(ApplicationError, match="before"):
        services.cohort_join(profile=designated, cohort=cohort, by=adviser)


@pytest.mark.django_db
def test_training_is_recorded_only_for_a_cohort_member_and_not_in_the_future(adviser, designated):
    with pytest.raises(ApplicationError, match="training cohort first"):
        services.training_complete(profile=designated, on=timezone.localdate(), by=adviser)
    cohort = TrainingCohort.objects.create(
        round=designated.application.round, name="Now", starts_on=designated.designated_on,
        ends_on=designated.designated_on + timedelta(weeks=6),
    )
    services.cohort_join(profile=designated, cohort=cohort, by=adviser)
    with pytest.raises(ApplicationError, match="still to come"):
        services.training_complete(profile=designated, on=timezone.localdate() + timedelta(days=1), by=adviser)
    services.training_complete(profile=designated, on=timezone.localdate(), by=adviser)
    designated.refresh_from_db()
    assert designated.trained_on == timezone.localdate()


@pytest.mark.django_db
def test_only_trained_active_lles_are_deployable(adviser, designated):
    assert not LLEProfile.objects.deployable().exists()  # designated, not trained
    cohort = TrainingCohort.objects.create(
        round=designated.application.round, name="Now", starts_on=designated.designated_on,
        ends_on=designated.designated_on + timedelta(weeks=6),
    )
    services.cohort_join(profile=designated, cohort=cohort, by=adviser)
    services.training_complete(profile=designated, on=timezone.localdate(), by=adviser)
    assert list(LLEProfile.objects.deployable()) == [designated]
    designated.is_active = False
    designated.save()
    assert not LLEProfile.objects.deployable().exists()
