"""Decision emails: never before the round's decisions-by date, and once each."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications import services, tasks
from applications.models import Application
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import assessed_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def adviser(users):
    return users["adviser"]


@pytest.fixture
def decided(adviser):
    """A round whose decisions are due today, with one application of each decision."""
    round = ApplicationRoundFactory(decisions_by=timezone.localdate())
    reasons = {
        "designated": "Strong evidence of impact across the trust; secondary heads are a local priority.",
        "not_designated": "The evidence of supporting other schools is not yet sufficient.",
        "deferred": "The panel would like to see this summer's results first.",
    }
    applications = {}
    for decision, why in reasons.items():
        application = assessed_application(adviser, round)
        applications[decision] = services.panel_decide(
            application=application, decision=decision, reasons=why, by=adviser
        )
    return round, applications, reasons


def test_nothing_is_sent_before_the_decisions_by_date(decided, django_capture_on_commit_callbacks):
    round, _, _ = decided
    with django_capture_on_commit_callbacks(execute=True):
        assert services.decisions_send(round=round, today=round.decisions_by - timedelta(days=1)) == 0
        round.decisions_by = timezone.localdate() + timedelta(days=1)
        round.save()
        assert tasks.send_due_decisions() == 0
    assert mail.outbox == []
    assert not Application.objects.filter(decision_emailed_at__isnull=False).exists()


def test_on_the_decisions_by_date_each_applicant_is_emailed_once(decided, django_capture_on_commit_callbacks):
    round, applications, reasons = decided
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_decisions() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_decisions() == 0
        assert services.decisions_send(round=round) == 0

    assert sorted(email.to[0] for email in mail.outbox) == sorted(a.applicant.email for a in applications.values())
    by_person = {email.to[0]: email for email in mail.outbox}
    designated = by_person[applications["designated"].applicant.email]
    assert "designated a Local Leader of Education" in designated.subject
    assert reasons["designated"] in designated.body
    assert "6 to 8 weeks" in designated.body
    not_designated = by_person[applications["not_designated"].applicant.email]
    assert reasons["not_designated"] in not_designated.body
    assert "apply in a future round" in not_designated.body
    deferred = by_person[applications["deferred"].applicant.email]
    assert "deferred" in deferred.subject and reasons["deferred"] in deferred.body


def test_a_decision_made_after_the_emails_went_out_is_sent_on_the_next_run(adviser, decided,
                                                                         django_capture_on_commit_callbacks):
    round, _, _ = decided
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_due_decisions()
    late = assessed_application(adviser, round)
    services.panel_decide(application=late, decision="deferred", reasons="More evidence needed.", by=adviser)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_decisions() == 1
    assert mail.outbox[-1].to == [late.applicant.email]
    assert len(mail.outbox) == 4
