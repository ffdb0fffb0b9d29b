"""Survey anonymity, found by the security review of issue 11: an adviser's
personal-data export must not say whether (or when) someone answered a survey,
through the reminders emailed only to those who had not."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from impact import surveys
from impact.models import SurveyInvitation
from lle_portal import privacy
from lle_portal.tests.factories import AdviserFactory

from .factories import InvitationFactory
from .support import a_survey, respond

pytestmark = pytest.mark.django_db


def test_it_gives_an_adviser_no_survey_reminders_in_a_personal_data_export(users):
    survey = a_survey()
    [answered] = respond(survey, 1)
    silent = InvitationFactory(survey=survey)
    SurveyInvitation.objects.filter(pk__in=[answered.pk, silent.pk]).update(
        invited_at=timezone.now() - timedelta(days=6))
    assert surveys.reminders_send() == 1  # only the one who has not answered

    def emails(invitation, by):
        data = privacy.person_export(email=invitation.user.email, by=by)
        return [row["template"] for row in data["lle_portal"]["emails_to_them"]], json.dumps(data)

    for invitation in (answered, silent):
        templates, dump = emails(invitation, users["adviser"])
        assert "survey_reminder" not in templates and "survey_reminder" not in dump, invitation.user
    superuser = AdviserFactory(is_superuser=True, is_staff=True)
    assert "survey_reminder" in emails(silent, superuser)[0]  # a subject-access export has them
