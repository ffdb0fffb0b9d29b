"""Reminders (Celery beat): heads with drafts before their round closes,
assessors with unscored applications. Each is sent once, however often the
job runs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications import services, tasks
from applications.models import ApplicationReminder, Assessment
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from applications.tests.states import submitted_application, verify
from lle_portal.tests.factories import AssessorFactory

pytestmark = pytest.mark.django_db


def closing_in(delta: timedelta):
    now = timezone.now()
    return ApplicationRoundFactory(opens_at=now - timedelta(days=30), closes_at=now + delta)


def run(job, capture) -> list:
    """Run a job as the worker would, sending what it queued; return the new emails."""
    before = len(mail.outbox)
    with capture(execute=True):
        job()
    return mail.outbox[before:]


# --- heads with drafts -----------------------------------------------------------


def test_it_reminds_each_head_with_a_draft_once_a_week_before_the_round_closes(django_capture_on_commit_callbacks):
    round = closing_in(timedelta(days=6, hours=20))
    drafts = [ApplicationFactory(round=round), ApplicationFactory(round=round, complete=True)]

    sent = run(tasks.send_draft_reminders, django_capture_on_commit_callbacks)
    again = run(tasks.send_draft_reminders, django_capture_on_commit_callbacks)

    assert sorted(email.to[0] for email in sent) == sorted(d.applicant.email for d in drafts)
    assert again == []
    assert "closes in 7 days" in sent[0].subject
    assert ApplicationReminder.objects.filter(kind="closing_7d").count() == 2


def test_the_day_before_closing_a_head_gets_the_last_reminder_too_but_only_once(django_capture_on_commit_callbacks):
    round = closing_in(timedelta(days=6))
    draft = ApplicationFactory(round=round)
    run(tasks.send_draft_reminders, django_capture_on_commit_callbacks)

    round.closes_at = timezone.now() + timedelta(hours=20)
    round.save()
    sent = run(tasks.send_draft_reminders, django_capture_on_commit_callbacks)
    again = run(tasks.send_draft_reminders, django_capture_on_commit_callbacks)

    [email] = sent
    assert email.to == [draft.applicant.email]
    assert "closes tomorrow" in email.subject
    assert again == []
    assert set(draft.reminders.values_list("kind", flat=True)) == {"closing_7d", "closing_1d"}


def test_a_job_first_running_in_the_last_day_sends_only_the_last_reminder(django_capture_on_commit_callbacks):
    round = closing_in(timedelta(hours=5))
    ApplicationFactory(round=round)
    [email] = run(tasks.send_draft_reminders, django_capture_on_commit_callbacks)
    assert "tomorrow" in email.subject


def test_it_does_not_remind_submitted_or_withdrawn_applications_nor_rounds_far_from_closing(
    users, django_capture_on_commit_callbacks
):
    closing = closing_in(timedelta(days=3))
    submitted_application(closing)
    withdrawn = ApplicationFactory(round=closing)
    services.application_withdraw(application=withdrawn, by=withdrawn.applicant)
    ApplicationFactory(round=closing_in(timedelta(days=20)))
    ApplicationFactory(round=ApplicationRoundFactory(closed=True))

    assert run(tasks.send_draft_reminders, django_capture_on_commit_callbacks) == []


def test_a_reminder_already_claimed_by_another_worker_is_not_sent_again(django_capture_on_commit_callbacks):
    round = closing_in(timedelta(days=2))
    draft = ApplicationFactory(round=round)
    # Another worker got there first: its claim row exists.
    ApplicationReminder.objects.create(application=draft, kind="closing_7d")
    assert services._draft_reminder_send(application_id=draft.pk, kind="closing_7d", at=timezone.now()) == 0
    assert run(tasks.send_draft_reminders, django_capture_on_commit_callbacks) == []


# --- assessors ------------------------------------------------------------------


@pytest.fixture
def assignment(users) -> Assessment:
    application = verify(submitted_application(), users["adviser"])
    assessment = services.assessment_assign(application=application, assessor=AssessorFactory.create(),
                                            by=users["adviser"])
    return assessment


def assigned_days_ago(assessment: Assessment, days: int) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(assigned_at=timezone.now() - timedelta(days=days))


def test_it_reminds_an_assessor_once_of_an_application_unscored_for_a_week(
    assignment, django_capture_on_commit_callbacks
):
    assigned_days_ago(assignment, 8)

    sent = run(tasks.send_assessor_reminders, django_capture_on_commit_callbacks)
    again = run(tasks.send_assessor_reminders, django_capture_on_commit_callbacks)

    [email] = sent
    assert email.to == [assignment.assessor.email]
    assert assignment.application.reference_number in email.body
    assert again == []
    assignment.refresh_from_db()
    assert assignment.reminded_at is not None


def test_one_email_lists_all_of_an_assessors_overdue_applications(
    users, assignment, django_capture_on_commit_callbacks
):
    other = verify(submitted_application(), users["adviser"])
    second = services.assessment_assign(application=other, assessor=assignment.assessor, by=users["adviser"])
    assigned_days_ago(assignment, 9)
    assigned_days_ago(second, 10)

    [email] = run(tasks.send_assessor_reminders, django_capture_on_commit_callbacks)
    assert "2 LLE applications" in email.subject
    assert other.reference_number in email.body and assignment.application.reference_number in email.body


def test_it_does_not_remind_of_recent_or_scored_assignments(users, assignment, django_capture_on_commit_callbacks):
    assigned_days_ago(assignment, 3)
    assert run(tasks.send_assessor_reminders, django_capture_on_commit_callbacks) == []

    assigned_days_ago(assignment, 10)
    services.assessment_submit(assessment=assignment, scores=dict.fromkeys(
        ["impact_on_outcomes", "school_improvement", "supporting_others", "capacity"], 2
    ), comments="Adequate.", by=assignment.assessor)
    assert run(tasks.send_assessor_reminders, django_capture_on_commit_callbacks) == []


def test_an_assignment_claimed_by_another_worker_is_not_reminded_again(
    assignment, django_capture_on_commit_callbacks
):
    assigned_days_ago(assignment, 8)
    Assessment.objects.filter(pk=assignment.pk).update(reminded_at=timezone.now())
    assert services._assessor_reminder_send(assessment_ids=[assignment.pk], at=timezone.now()) == 0
    assert run(tasks.send_assessor_reminders, django_capture_on_commit_callbacks) == []


def test_the_beat_schedule_runs_each_recruitment_job(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "applications.tasks.send_draft_reminders",
        "applications.tasks.send_assessor_reminders",
        "applications.tasks.send_due_decisions",
    } <= tasks_scheduled
