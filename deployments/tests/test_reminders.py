"""Reminders (Celery beat): each is sent once, however often the job runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from deployments import reminders, tasks
from deployments.models import Deployment, ReminderLog
from lle_portal.models import OutgoingEmail

from .factories import DeploymentFactory, VisitRecordFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def run(job, capture, **kwargs) -> int:
    with capture(execute=True):
        return job(**kwargs)


def test_an_lle_with_no_record_of_visit_for_too_long_is_reminded_once(users, django_capture_on_commit_callbacks):
    # One day a week: a visit each week, with two weeks' grace for a holiday.
    deployment = DeploymentFactory(active=True, days_per_week=Decimal("1.0"), start_date=TODAY - timedelta(days=60))
    VisitRecordFactory(deployment=deployment, visit_date=TODAY - timedelta(days=22))

    assert run(reminders.visit_reminders_send, django_capture_on_commit_callbacks) == 1
    assert run(reminders.visit_reminders_send, django_capture_on_commit_callbacks) == 0
    assert [m.to for m in mail.outbox] == [[deployment.lle.user.email]]
    assert "No record of visit for 22 days" in mail.outbox[0].subject
    assert ReminderLog.objects.get().kind == ReminderLog.Kind.VISIT_OVERDUE


def test_the_celery_task_running_twice_sends_one_email(users, django_capture_on_commit_callbacks):
    DeploymentFactory(active=True, start_date=TODAY - timedelta(days=60))  # no visit at all
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_visit_reminders.delay()
        tasks.send_visit_reminders.delay()
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.filter(template="visit_overdue").count() == 1


def test_the_allowed_gap_follows_the_intensity(users):
    # Half a day a week: often a full day each fortnight, so 14 days + 14 grace.
    half = DeploymentFactory(active=True, days_per_week=Decimal("0.5"), start_date=TODAY - timedelta(days=90))
    VisitRecordFactory(deployment=half, visit_date=TODAY - timedelta(days=25))
    one = DeploymentFactory(active=True, days_per_week=Decimal("1.0"), start_date=TODAY - timedelta(days=90))
    VisitRecordFactory(deployment=one, visit_date=TODAY - timedelta(days=25))
    assert list(Deployment.objects.overdue_for_visit(TODAY)) == [one]
    assert half.visit_overdue_after == timedelta(days=28)
    assert one.visit_overdue_after == timedelta(days=21)


def test_a_new_gap_after_a_new_visit_is_a_new_reminder(users, django_capture_on_commit_callbacks):
    deployment = DeploymentFactory(active=True, days_per_week=Decimal("1.0"), start_date=TODAY - timedelta(days=90))
    VisitRecordFactory(deployment=deployment, visit_date=TODAY - timedelta(days=70))
    earlier = TODAY - timedelta(days=40)
    assert run(reminders.visit_reminders_send, django_capture_on_commit_callbacks, today=earlier) == 1
    VisitRecordFactory(deployment=deployment, visit_date=TODAY - timedelta(days=30))
    assert run(reminders.visit_reminders_send, django_capture_on_commit_callbacks) == 1
    assert run(reminders.visit_reminders_send, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 2


def test_deployments_not_active_or_just_started_are_not_chased(users, django_capture_on_commit_callbacks):
    DeploymentFactory(agreed=True, start_date=TODAY - timedelta(days=60))
    DeploymentFactory(active=True, start_date=TODAY - timedelta(days=10))
    assert run(reminders.visit_reminders_send, django_capture_on_commit_callbacks) == 0


def test_30_days_before_the_end_point_the_adviser_and_both_heads_are_told_once(
    users, django_capture_on_commit_callbacks
):
    ending = DeploymentFactory(active=True, start_date=TODAY - timedelta(days=300),
                               end_date=TODAY - timedelta(days=300) + timedelta(days=320))
    DeploymentFactory(active=True)  # ends in ten months
    assert run(reminders.ending_reminders_send, django_capture_on_commit_callbacks) == 1
    assert run(reminders.ending_reminders_send, django_capture_on_commit_callbacks) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [users["adviser"].email, ending.lle.user.email, ending.client_head.email]
    )
    assert "Deployment ends in 20 days" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_ending_reminders.delay()
    assert len(mail.outbox) == 3
