"""The assessment total is computed once, when the assessment is submitted, and
stored: the panel's ranking and every page read the stored number."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from applications import panel, services
from applications.models import Assessment
from applications.rubric import RUBRIC
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import assess, submitted_application, verify
from lle_portal.tests.factories import AssessorFactory

pytestmark = pytest.mark.django_db


def test_it_stores_the_sum_of_the_scores_when_the_assessment_is_submitted(users):
    scores = {key: 1 + i % 4 for i, key in enumerate(RUBRIC)}
    application = assess(verify(submitted_application(), users["adviser"]), users["adviser"], scores=scores)
    assessment = application.assessments.get()
    assert assessment.total == sum(scores.values())


def test_an_assessment_not_yet_submitted_has_no_total(users):
    application = verify(submitted_application(), users["adviser"])
    assessment = services.assessment_assign(application=application, assessor=AssessorFactory(), by=users["adviser"])
    assert Assessment.objects.get(pk=assessment.pk).total is None


def test_the_migration_fills_the_total_of_assessments_submitted_before_it(users):
    round = ApplicationRoundFactory()
    application = assess(verify(submitted_application(round), users["adviser"]), users["adviser"])
    assessment = application.assessments.get()
    Assessment.objects.filter(pk=assessment.pk).update(total=None, scores=dict.fromkeys(RUBRIC, 2))
    unsubmitted = Assessment.objects.create(application=application, assessor=users["assessor"],
                                            scores=dict.fromkeys(RUBRIC, 4))

    migration = importlib.import_module("applications.migrations.0013_assessment_total")
    migration.store_totals(apps, None)

    assessment.refresh_from_db()
    assert assessment.total == 2 * len(RUBRIC)
    assert Assessment.objects.get(pk=unsubmitted.pk).total is None
    assert panel.panel_ranking(round=round)[0].average == 2 * len(RUBRIC)
