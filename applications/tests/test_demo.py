"""The recruitment demo: an open round with an application in every state, a
pool of trained LLEs from an earlier round, made through the services, and
nothing duplicated by a second run."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command

from applications.demo import EARLIER_ROUND, OPEN_ROUND
from applications.models import Application, ApplicationRound, LLEProfile
from lle_portal.models import AuditEvent, OutgoingEmail

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

RECRUITMENT_EMAILS = ("application_submitted", "assessment_assigned", "training_cohort_joined", "application_decision")


def recruitment_rows() -> dict[str, int]:
    counts = {model._meta.label: model.objects.count()  # type: ignore[attr-defined]
              for model in apps.get_app_config("applications").get_models()}
    counts["emails"] = OutgoingEmail.objects.filter(template__in=RECRUITMENT_EMAILS).count()
    return counts


def test_the_demo_has_every_state_a_trained_pool_and_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = recruitment_rows()
    call_command("seed_demo", stdout=io.StringIO())

    assert recruitment_rows() == first
    open_round = ApplicationRound.objects.get(name=OPEN_ROUND)
    assert open_round.state == "open"
    assert open_round.priority_phases == ["secondary"]
    assert open_round.default_referee_name
    # The three named contacts of docs/programme.md §1.4, once each however often the demo is seeded.
    assert [(c.name, c.phone) for c in open_round.contacts.all()] == [
        ("Simon Morley", "01603 307788"), ("Chris Snudden", "01603 303322"), ("Mary-Jane Edwards", "01603 303311")]
    states = set(open_round.applications.values_list("status", flat=True))
    assert states == set(Application.Status.values)
    assert open_round.applications.filter(working_towards_eligibility=True).exists()
    assert open_round.applications.filter(phase_offered="secondary", status="designated").exists()

    earlier = ApplicationRound.objects.get(name=EARLIER_ROUND)
    assert earlier.state == "closed"
    pool = LLEProfile.objects.deployable().filter(application__round=earlier)
    assert 20 <= pool.count() <= 30
    assert all(p.cohort and p.trained_on <= p.designated_on + timedelta(weeks=8) for p in pool)
    # Made through the services: each submitted application has its audit trail.
    submitted = open_round.applications.submitted().first()
    verbs = set(AuditEvent.objects.filter(object_id=str(submitted.pk), content_type__model="application")
                .values_list("verb", flat=True))
    assert "application.submitted" in verbs
    assert "Priya Shah" in out.getvalue()
