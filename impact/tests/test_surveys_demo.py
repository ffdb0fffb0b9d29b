"""`seed_demo` shows last June's survey results and an open survey for the demo client head."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from impact import survey_results
from impact.demo import CLIENT_COMMENTS
from impact.models import Answer, Survey, SurveyInvitation
from lle_portal.academic_years import academic_year_of
from lle_portal.models import LocalAuthority, User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_results_to_show_an_open_survey_and_a_second_run_adds_nothing(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Surveys: June" in out.getvalue()

    la = LocalAuthority.objects.get(code="926")
    year = academic_year_of(timezone.localdate()) - 1
    results = survey_results.programme_survey_results(local_authority=la, year=year)
    assert all(not r.lle.suppressed and not r.client.suppressed for r in results)
    # docs/programme.md §1.4: client satisfaction was stronger than that of LLEs.
    assert results[0].client.agree_percent > results[0].lle.agree_percent
    published = survey_results.published_comments(local_authority=la, year=year)
    assert [c.text for c in published] == CLIENT_COMMENTS
    assert {c.audience_label for c in published} == {"Client headteacher"}

    # The demo client head (listed among the logins) can answer this year's survey.
    login = next(line for line in out.getvalue().splitlines() if "(client head)" in line)
    head = User.objects.get(email=login.split()[-1])
    invitation = SurveyInvitation.objects.get(user=head, survey__status=Survey.Status.OPEN)
    client.force_login(head)
    assert client.get(invitation.get_absolute_url()).status_code == 200

    counts = [Model.objects.count() for Model in (Survey, SurveyInvitation, Answer)]
    call_command("seed_demo", stdout=io.StringIO())
    assert [Model.objects.count() for Model in (Survey, SurveyInvitation, Answer)] == counts
