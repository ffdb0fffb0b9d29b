"""Survey anonymity, tried as the attacker (issue 11): an adviser who exports a
respondent's personal data, watches an open survey's results between two
answers, or reads the audit trail, learns nothing of what one person answered.
Results appear once the survey has closed, still never for fewer than five."""

import difflib
import json
import re
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from impact import reports, survey_results, surveys
from impact.models import Answer, Survey
from lle_portal import privacy
from lle_portal.models import AuditEvent
from lle_portal.tests.factories import AdviserFactory

from .factories import InvitationFactory
from .support import a_survey, respond

pytestmark = pytest.mark.django_db
SECRET = "Our LLE never turned up; the whole thing was a waste."


def _year(survey: Survey) -> int:
    return survey.closes_on.year + (1 if survey.closes_on.month >= 9 else 0)


def _close(survey: Survey) -> Survey:
    return surveys.survey_close(survey=survey)


def _page(client, url: str) -> str:
    """The page without what changes on every request or every answer by design
    (the csrf token, and the response count and rate)."""
    html = client.get(url).content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'<p[^>]*id="response-rate".*?</p>', "", html, flags=re.S)
    return html


def test_it_gives_an_adviser_no_survey_answers_in_a_personal_data_export(users):
    survey = a_survey()
    [invitation] = respond(survey, 1, scale=1, comment=SECRET, consent=True)
    _close(survey)
    data = privacy.person_export(email=invitation.user.email, by=users["adviser"])
    dump = json.dumps(data)
    assert SECRET not in dump
    assert not data["impact"].get("survey_answers")
    # Nor does the record of their actions say when they answered.
    assert "survey.answer" not in dump


def test_it_gives_a_superuser_the_survey_answers_in_a_subject_access_export(users):
    survey = a_survey()
    [invitation] = respond(survey, 1, comment=SECRET, consent=True)
    _close(survey)
    superuser = AdviserFactory(is_superuser=True, is_staff=True)
    data = privacy.person_export(email=invitation.user.email, by=superuser)
    assert any(row["text"] == SECRET for row in data["impact"]["survey_answers"])


def test_it_shows_an_open_surveys_adviser_only_the_response_rate(client, users):
    survey = a_survey()
    respond(survey, 6, scale=5, comment=SECRET, consent=True)
    client.force_login(users["adviser"])
    page = client.get(reverse("impact:survey_results", args=[survey.pk])).content.decode()
    assert "6 of 6 invited responded" in page
    assert "</strong> agree" not in page
    assert "Strongly agree" not in page and SECRET not in page
    assert "Results appear when the survey closes" in page
    assert survey_results.consented_comments(survey).count() == 0
    comment = Answer.objects.filter(question__survey=survey, question__kind="text").first()
    with pytest.raises(surveys.SurveyError, match="closed"):
        surveys.comment_publish(answer=comment, by=users["adviser"])


def test_it_lets_no_page_show_the_difference_one_more_answer_makes(client, users, la):
    survey = a_survey()
    earlier = a_survey(status="open")
    respond(earlier, 5, scale=4)
    _close(earlier)
    respond(survey, 5, scale=5, comment="All good.", consent=True)
    last = InvitationFactory(survey=survey)  # invited now: the account exists before the first look
    client.force_login(users["adviser"])
    year = _year(survey)
    urls = [reverse("impact:survey_results", args=[survey.pk]),
            reverse("impact:survey_results", args=[earlier.pk]),
            f"{reverse('impact:dashboard')}?la={la.code}&year={year}"]

    def everything():
        return ([_page(client, url) for url in urls],
                survey_results.programme_survey_results(local_authority=la, year=year),
                survey_results.published_comments(local_authority=la, year=year),
                reports.impact_report_html(la, year))

    before = everything()
    values = {q.pk: 1 for q in survey.questions.filter(kind="scale")}
    values.update({q.pk: False for q in survey.questions.filter(kind="yes_no")})
    values.update({q.pk: SECRET for q in survey.questions.filter(kind="text")})
    surveys.answers_submit(invitation=last, by=last.user, answers=values, consent_to_publish=True)
    after = everything()
    assert SECRET not in json.dumps(after[0])
    for was, now in zip(before, after, strict=True):
        if was != now:
            diff = difflib.unified_diff(str(was).split("\\n"), str(now).split("\\n"), lineterm="", n=0)
            raise AssertionError("\n".join(line[:300] for line in diff))


def test_it_records_no_event_naming_who_answered(users):
    survey = a_survey()
    [invitation] = respond(survey, 1)
    surveys.answers_submit(invitation=invitation, by=invitation.user,
                           answers={q.pk: 2 for q in survey.questions.filter(kind="scale")}, consent_to_publish=False)
    user = invitation.user
    assert not AuditEvent.objects.filter(actor=user).exists()
    assert not AuditEvent.objects.filter(verb__startswith="survey.answer").exclude(actor=None).exists()
    assert not any(user.full_name in (e.actor_label + json.dumps(e.data)) for e in AuditEvent.objects.all())
    assert not LogEntry.objects.filter(actor=user).exists()


def test_it_shows_results_after_close_and_still_hides_fewer_than_five(client, users):
    small, big = a_survey(), a_survey()
    respond(small, 4, scale=5, comment="Four of us.", consent=True)
    respond(big, 5, scale=5, comment="Five of us.", consent=True)
    _close(small)
    _close(big)
    client.force_login(users["adviser"])
    small_page = client.get(reverse("impact:survey_results", args=[small.pk])).content.decode()
    big_page = client.get(reverse("impact:survey_results", args=[big.pk])).content.decode()
    assert "Fewer than 5 responses — not shown" in small_page and "Four of us." not in small_page
    assert "Strongly agree" in big_page and "Five of us." in big_page
    results = survey_results.programme_survey_results(local_authority=small.local_authority, year=_year(big))
    # The survey of four adds nothing to the programme's figures: only the five are counted.
    assert results[0].lle.respondents == 5 and results[0].lle.agree_percent is not None


def test_it_keeps_a_small_survey_out_of_the_programme_figures_when_it_closes(users, la):
    """Closing a survey of one would otherwise move the year's figures by that one person's answers."""
    five = a_survey(closes_on=timezone.localdate() + timedelta(days=2))
    respond(five, 5, scale=5)
    _close(five)
    year = _year(five)
    before = survey_results.programme_survey_results(local_authority=la, year=year)
    one = a_survey(closes_on=timezone.localdate() + timedelta(days=2))
    respond(one, 1, scale=1)
    _close(one)
    assert survey_results.programme_survey_results(local_authority=la, year=year) == before
