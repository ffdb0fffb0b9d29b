"""Survey pages: who may open each, answering (errors keep what was typed;
editable until close), the adviser's results (the group-of-5 rule, the
response rate, publishing comments), the admin, and query budgets."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments.tests.factories import LLEProfileFactory
from impact import surveys
from impact.models import Answer, Survey, SurveyInvitation
from lle_portal.models import AuditEvent

from .factories import InvitationFactory
from .support import a_survey, questions, respond

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ROLES = ["anonymous", "head", "other_head", "adviser", "other_adviser", "assessor", "governor"]


@pytest.fixture
def world(users):
    survey = a_survey()
    [invitation] = respond(survey, 1, comment="A fantastic way for professionals to share.", consent=True)
    comment = Answer.objects.get(invitation=invitation, question__kind="text")
    people = {
        "head": invitation.user, "other_head": users["headteacher"], "adviser": users["adviser"],
        "other_adviser": users["other_adviser"], "assessor": users["assessor"], "governor": users["governor"],
    }
    return {"survey": survey, "invitation": invitation, "comment": comment, "people": people}


def everyone(status, **overrides):
    return {role: overrides.get(role, status) for role in ROLES}


PAGES = {
    "my surveys": ("get", lambda w: "/impact/surveys/",
                   everyone(403, anonymous=(302, LOGIN), head=200, other_head=200)),
    "answer": ("get", lambda w: f"/impact/surveys/{w['invitation'].pk}/",
               everyone(403, anonymous=(302, LOGIN), head=200, other_head=404)),
    "send answers": ("post", lambda w: f"/impact/surveys/{w['invitation'].pk}/",
                     everyone(403, anonymous=(302, LOGIN), head=200, other_head=404)),
    "staff list": ("get", lambda w: "/impact/surveys/staff/",
                   everyone(403, anonymous=(302, LOGIN), adviser=200, other_adviser=200)),
    "results": ("get", lambda w: f"/impact/surveys/staff/{w['survey'].pk}/",
                everyone(403, anonymous=(302, LOGIN), adviser=200, other_adviser=404)),
    "publish": ("post", lambda w: f"/impact/surveys/staff/{w['survey'].pk}/comments/{w['comment'].pk}/publish/",
                everyone(403, anonymous=(302, LOGIN), adviser=302, other_adviser=404)),
    "unpublish": ("post", lambda w: f"/impact/surveys/staff/{w['survey'].pk}/comments/{w['comment'].pk}/unpublish/",
                  everyone(403, anonymous=(302, LOGIN), adviser=302, other_adviser=404)),
    "admin list": ("get", lambda w: "/admin/impact/survey/",
                   everyone((302, ADMIN_LOGIN), adviser=200, other_adviser=200, assessor=403)),
    "admin change": ("get", lambda w: f"/admin/impact/survey/{w['survey'].pk}/change/",
                     everyone((302, ADMIN_LOGIN), adviser=200, other_adviser=404, assessor=403)),
}
CASES = [(page, role) for page in PAGES for role in ROLES]


@pytest.mark.parametrize(("page", "role"), CASES, ids=[f"{p}:{r}" for p, r in CASES])
def test_each_role_gets_the_right_answer_on_every_page(client, world, page, role):
    method, url, expected = PAGES[page]
    if role != "anonymous":
        client.force_login(world["people"][role])
    response = getattr(client, method)(url(world))
    want = expected[role]
    if isinstance(want, tuple):
        assert response.status_code == want[0]
        assert response["Location"].startswith(want[1])
    else:
        assert response.status_code == want


def test_another_las_adviser_sees_none_of_the_surveys(client, world):
    client.force_login(world["people"]["other_adviser"])
    assert world["survey"].title not in client.get("/impact/surveys/staff/").content.decode()
    assert world["survey"].title not in client.get("/admin/impact/survey/").content.decode()


# --- answering -------------------------------------------------------------------------------


def test_a_head_sees_their_surveys_to_answer_answered_and_closed(client, users):
    lle = LLEProfileFactory()
    to_answer = InvitationFactory(survey=a_survey(title="Annual survey 2026"), user=lle.user)
    answered = respond(a_survey(title="Mid-year survey"), 1)[0]
    SurveyInvitation.objects.filter(pk=answered.pk).update(user=lle.user)
    closed = a_survey(status="closed", title="Survey of 2025")
    InvitationFactory(survey=closed, user=lle.user)
    client.force_login(lle.user)
    page = client.get("/impact/surveys/").content.decode()
    assert page.index("To answer") < page.index("Annual survey 2026") < page.index("Answered")
    assert page.index("Answered") < page.index("Mid-year survey") < page.index("Closed")
    assert page.index("Closed") < page.index("Survey of 2025")
    assert ">Surveys</a>" in page  # the navigation entry for heads with invitations
    assert to_answer.get_absolute_url() in page


def test_the_navigation_shows_surveys_only_to_heads_with_invitations(client, users):
    client.force_login(users["headteacher"])
    assert ">Surveys</a>" not in client.get("/").content.decode()


def test_answering_with_a_mistake_shows_the_error_and_keeps_what_was_typed(client, users):
    survey = a_survey()
    q = questions(survey)
    q["impact"].required = True
    q["impact"].save()
    invitation = InvitationFactory(survey=survey)
    client.force_login(invitation.user)
    response = client.post(invitation.get_absolute_url(), {
        f"q{q['satisfaction'].pk}": "4", f"q{q['comment'].pk}": "Get it into more schools.",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "This survey has closed" not in page
    assert f'href="#id_q{q["impact"].pk}_0"' in page or f'href="#id_q{q["impact"].pk}"' in page
    assert "Get it into more schools." in page
    chosen = re.search(rf'<input[^>]*name="q{q["satisfaction"].pk}"[^>]*value="4"[^>]*>', page).group(0)
    assert "checked" in chosen
    assert not Answer.objects.exists()


def test_a_head_answers_then_changes_their_answers_until_the_survey_closes(client, users):
    survey = a_survey()
    q = questions(survey)
    invitation = InvitationFactory(survey=survey)
    client.force_login(invitation.user)
    url = invitation.get_absolute_url()
    response = client.post(url, {f"q{q['satisfaction'].pk}": "5", f"q{q['expectations'].pk}": "yes",
                                 f"q{q['comment'].pk}": "Invaluable.", "consent_to_publish": "on"})
    assert response.status_code == 302
    assert Answer.objects.get(question=q["expectations"]).yes is True
    assert SurveyInvitation.objects.get().consent_to_publish

    page = client.get(url).content.decode()
    assert "Save my changes" in page and "Invaluable." in page
    client.post(url, {f"q{q['satisfaction'].pk}": "2", f"q{q['expectations'].pk}": "no"})
    assert Answer.objects.get(question=q["satisfaction"]).scale == 2
    assert Answer.objects.get(question=q["expectations"]).yes is False
    assert not Answer.objects.filter(question=q["comment"]).exists()  # cleared

    surveys.survey_close(survey=survey, by=users["adviser"])
    response = client.post(url, {f"q{q['satisfaction'].pk}": "5"}, follow=True)
    assert "answers can no longer be changed" in response.content.decode()
    assert Answer.objects.get(question=q["satisfaction"]).scale == 2
    page = client.get(url).content.decode()
    assert "Disagree" in page and "<form method=\"post\" class=\"narrow-form\"" not in page


# --- results -------------------------------------------------------------------------------


def results_page(client, adviser, survey) -> str:
    client.force_login(adviser)
    response = client.get(reverse("impact:survey_results", args=[survey.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_results_page_hides_a_group_of_four_and_shows_a_group_of_five(client, users):
    survey = a_survey()
    respond(survey, 4, scale=5, comment="Four of us said this.", consent=True)
    InvitationFactory.create_batch(2, survey=survey)
    surveys.survey_close(survey=survey)
    page = results_page(client, users["adviser"], survey)
    assert "66.7%</strong>: 4 of 6 invited responded" in page
    assert "Fewer than 5 responses — not shown" in page
    assert "Strongly agree" not in page and "100.0%" not in page
    assert "Four of us said this." not in page

    survey = a_survey()
    respond(survey, 4, scale=5, comment="Four of us said this.", consent=True)
    InvitationFactory.create_batch(2, survey=survey)
    respond(survey, 1, scale=2, comment="A fifth view.", consent=True)
    surveys.survey_close(survey=survey)
    page = results_page(client, users["adviser"], survey)
    assert "71.4%</strong>: 5 of 7 invited responded" in page
    assert "<strong>80.0%</strong> agree" in page
    assert "Strongly agree" in page
    assert "A fifth view." in page
    assert page.count("Fewer than 5 responses — not shown") == 4  # only the client heads' column is empty


def test_the_adviser_publishes_and_unpublishes_a_comment_with_consent(client, users):
    survey = a_survey()
    respond(survey, 4)
    [invitation] = respond(survey, 1, comment="An absolutely invaluable partnership.", consent=True)
    comment = Answer.objects.get(invitation=invitation, question__kind="text")
    surveys.survey_close(survey=survey)
    client.force_login(users["adviser"])
    base = f"/impact/surveys/staff/{survey.pk}/comments/{comment.pk}"
    response = client.post(f"{base}/publish/", follow=True)
    assert "The comment is published." in response.content.decode()
    assert "Unpublish" in response.content.decode()
    assert Answer.objects.get(pk=comment.pk).published_at is not None
    assert AuditEvent.objects.filter(verb="survey.comment_published", actor=users["adviser"]).exists()
    client.post(f"{base}/unpublish/")
    assert Answer.objects.get(pk=comment.pk).published_at is None
    assert AuditEvent.objects.filter(verb="survey.comment_unpublished").exists()


def test_a_comment_without_consent_is_not_listed_and_cannot_be_published(client, users):
    survey = a_survey()
    respond(survey, 5, comment="Please keep this private.", consent=False)
    surveys.survey_close(survey=survey)
    comment = Answer.objects.filter(question__kind="text").first()
    page = results_page(client, users["adviser"], survey)
    assert "Please keep this private." not in page
    response = client.post(f"/impact/surveys/staff/{survey.pk}/comments/{comment.pk}/publish/", follow=True)
    assert "did not agree" in response.content.decode()
    assert not Answer.objects.filter(published_at__isnull=False).exists()


# --- admin -------------------------------------------------------------------------------


def test_the_admin_actions_open_and_close_a_survey(client, users, django_capture_on_commit_callbacks):
    survey = a_survey(status="draft")
    LLEProfileFactory.create_batch(2)
    client.force_login(users["adviser"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/impact/survey/", {"action": "open_surveys", "_selected_action": [survey.pk]},
                               follow=True)
    assert "1 surveys opened and invitations sent" in response.content.decode()
    assert SurveyInvitation.objects.filter(survey=survey).count() == 2
    change = client.get(f"/admin/impact/survey/{survey.pk}/change/").content.decode()
    assert reverse("impact:survey_results", args=[survey.pk]) in change
    client.post("/admin/impact/survey/", {"action": "close_surveys", "_selected_action": [survey.pk]})
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.CLOSED


def test_the_adviser_builds_a_survey_with_questions_in_the_admin(client, users, la):
    client.force_login(users["adviser"])
    today = timezone.localdate()
    data = {
        "local_authority": la.pk, "title": "Client headteachers, June", "introduction": "",
        "audience": "client_heads", "kind": "annual", "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=20)).isoformat(),
        "questions-TOTAL_FORMS": "2", "questions-INITIAL_FORMS": "0", "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-position": "1", "questions-0-text": "I was satisfied with the service",
        "questions-0-kind": "scale", "questions-0-theme": "satisfaction",
        "questions-1-position": "2", "questions-1-text": "Comments", "questions-1-kind": "text",
        "questions-1-theme": "",
    }
    response = client.post("/admin/impact/survey/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    survey = Survey.objects.get()
    assert survey.status == Survey.Status.DRAFT and survey.created_by == users["adviser"]
    assert list(survey.questions.values_list("kind", flat=True)) == ["scale", "text"]


# --- query budgets -------------------------------------------------------------------------


def test_the_results_page_runs_a_bounded_number_of_queries_with_5_or_50_respondents(
        client, users, django_assert_max_num_queries):
    client.force_login(users["adviser"])
    for n in (5, 50):
        survey = a_survey()
        respond(survey, n, comment="Useful.", consent=True)
        surveys.survey_close(survey=survey)  # results show once closed
        with django_assert_max_num_queries(15):
            page = client.get(reverse("impact:survey_results", args=[survey.pk])).content.decode()
        assert "Strongly agree" in page and "Useful." in page


def test_the_list_pages_run_a_bounded_number_of_queries_with_5_or_50_surveys(
        client, users, django_assert_max_num_queries):
    lle = LLEProfileFactory()

    def build(n):
        for _ in range(n):
            survey = a_survey()
            InvitationFactory(survey=survey, user=lle.user)
            respond(survey, 1)

    build(5)
    pages = [(lle.user, "/impact/surveys/", 8), (users["adviser"], "/impact/surveys/staff/", 8),
             (users["adviser"], "/admin/impact/survey/", 10)]
    for user, url, budget in pages:
        client.force_login(user)
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200
    build(45)
    for user, url, budget in pages:
        client.force_login(user)
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


def test_the_admin_refuses_a_survey_that_closes_before_it_opens(client, users, la):
    client.force_login(users["adviser"])
    today = timezone.localdate()
    response = client.post("/admin/impact/survey/add/", {
        "local_authority": la.pk, "title": "Backwards", "audience": "lles", "kind": "annual",
        "opens_on": today.isoformat(), "closes_on": (today - timedelta(days=1)).isoformat(),
        "questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0", "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 200
    assert "A survey closes on or after the day it opens." in response.content.decode()
    assert not Survey.objects.exists()
