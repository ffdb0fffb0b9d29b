"""Surveys: opening invites the audience, reminders are sent at most twice and
never twice, answers can be changed until the survey closes, comments are
published only with consent, and results never show a group of fewer than 5."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from deployments import services as deployment_services
from deployments.tests.factories import DeploymentFactory, LLEProfileFactory, norfolk
from impact import surveys, tasks
from impact.models import Answer, Question, Survey, SurveyInvitation, SurveyReminder
from lle_portal.models import AuditEvent, OutgoingEmail
from lle_portal.tests.factories import HeadteacherFactory, LocalAuthorityFactory, SchoolFactory

from .factories import InvitationFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def a_survey(*, status="open", audience=Survey.Audience.LLES, closes_on=None, **kwargs) -> Survey:
    """A survey with a question per theme and kind: satisfaction (scale), collaboration
    (scale), expectations (yes/no), impact (scale), and a comment."""
    traits = {"open": {"open": True}, "closed": {"closed": True}, "draft": {}}[status]
    survey = SurveyFactory.create(audience=audience, closes_on=closes_on or TODAY + timedelta(days=21),
                                  **traits, **kwargs)
    QuestionFactory(survey=survey, position=1, text="I was satisfied with the service", theme="satisfaction")
    QuestionFactory(survey=survey, position=2, text="The relationship was collaborative", theme="collaboration")
    QuestionFactory(survey=survey, position=3, text="It met my expectations", kind=Question.Kind.YES_NO,
                    theme="expectations")
    QuestionFactory(survey=survey, position=4, text="It had an impact on school improvement", theme="impact")
    QuestionFactory(survey=survey, position=5, text="Any comments?", kind=Question.Kind.TEXT, theme="")
    return survey


def questions(survey: Survey) -> dict[str, Question]:
    return {q.theme or "comment": q for q in survey.questions.all()}


def respond(survey: Survey, n: int, *, scale: int = 5, yes: bool = True, comment: str = "", consent=False):
    """n people invited, who all answer (scale for every scale question)."""
    qs = questions(survey)
    invitations = []
    for _ in range(n):
        invitation = InvitationFactory.create(survey=survey)
        values: dict[int, object] = {q.pk: scale for q in qs.values() if q.kind == Question.Kind.SCALE}
        values[qs["expectations"].pk] = yes
        values[qs["comment"].pk] = comment
        surveys.answers_submit(invitation=invitation, by=invitation.user, answers=values, consent_to_publish=consent)
        invitations.append(invitation)
    return invitations


def run(capture, job, **kwargs):
    with capture(execute=True):
        return job(**kwargs)


# --- opening and closing -------------------------------------------------------------------


def test_opening_an_annual_lle_survey_invites_the_active_trained_lles_of_its_la_once(
        users, django_capture_on_commit_callbacks):
    survey = a_survey(status="draft")
    lles = [LLEProfileFactory(), LLEProfileFactory()]
    LLEProfileFactory(trained_on=None)  # not trained yet
    LLEProfileFactory(is_active=False)
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    LLEProfileFactory(school=SchoolFactory(local_authority=suffolk),
                      user=HeadteacherFactory(school=SchoolFactory(local_authority=suffolk)))

    with django_capture_on_commit_callbacks(execute=True):
        surveys.survey_open(survey=survey, by=users["adviser"])

    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    assert sorted(m.to[0] for m in mail.outbox) == sorted(lle.user.email for lle in lles)
    assert "Please answer" in mail.outbox[0].subject
    first = SurveyInvitation.objects.get(user__email=mail.outbox[0].to[0])
    assert f"http://testserver/impact/surveys/{first.pk}/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(verb="survey.opened", actor=users["adviser"]).exists()
    with pytest.raises(surveys.SurveyError, match="only a draft"):
        surveys.survey_open(survey=survey, by=users["adviser"])
    assert SurveyInvitation.objects.count() == 2


def test_a_client_heads_survey_invites_the_heads_of_schools_with_a_deployment_of_the_la(
        users, django_capture_on_commit_callbacks):
    survey = a_survey(status="draft", audience=Survey.Audience.CLIENT_HEADS)
    active = DeploymentFactory(active=True)
    finished = DeploymentFactory(active=True)
    finished.status, finished.finished_at = "completed", timezone.now() - timedelta(days=30)
    finished.save()
    DeploymentFactory()  # only proposed: the head has had no support yet
    long_ago = DeploymentFactory(active=True)
    long_ago.status, long_ago.finished_at = "completed", timezone.now() - timedelta(days=800)
    long_ago.save()

    with django_capture_on_commit_callbacks(execute=True):
        surveys.survey_open(survey=survey, by=users["adviser"])

    assert sorted(m.to[0] for m in mail.outbox) == sorted([active.client_head.email, finished.client_head.email])


def test_another_las_adviser_cannot_open_or_close_the_survey(users):
    survey = a_survey(status="draft")
    with pytest.raises(surveys.SurveyError, match="Only the adviser"):
        surveys.survey_open(survey=survey, by=users["other_adviser"])
    assert Survey.objects.get().status == Survey.Status.DRAFT


def test_a_survey_past_its_closing_day_closes_with_the_daily_job(users):
    due = a_survey(closes_on=TODAY - timedelta(days=1), opens_on=TODAY - timedelta(days=20))
    still_open = a_survey()
    assert tasks.close_due_surveys.delay().get() == 1
    due.refresh_from_db()
    still_open.refresh_from_db()
    assert (due.status, still_open.status) == (Survey.Status.CLOSED, Survey.Status.OPEN)
    assert AuditEvent.objects.filter(verb="survey.closed", actor_label="celery").count() == 1
    assert tasks.close_due_surveys.delay().get() == 0


# --- reminders -----------------------------------------------------------------------------


def test_reminders_are_sent_at_most_twice_at_least_five_days_apart_and_never_twice_in_a_rerun(
        users, django_capture_on_commit_callbacks):
    survey = a_survey(closes_on=TODAY + timedelta(days=40))
    invited_at = timezone.now()
    invitation = InvitationFactory(survey=survey, invited_at=invited_at)

    def on_day(days: int, hours: int = 0) -> int:
        return run(django_capture_on_commit_callbacks, surveys.reminders_send,
                   now=invited_at + timedelta(days=days, hours=hours))

    assert on_day(4) == 0  # four days after the invitation: too soon
    assert on_day(5) == 1  # the first reminder...
    assert on_day(5) == 0  # ...and a re-run the same day sends nothing
    assert on_day(5, hours=1) == 0
    assert on_day(9) == 0  # four days after the first reminder: too soon for the second
    assert on_day(10) == 1
    assert on_day(10) == 0
    assert on_day(20) == 0  # never a third
    assert on_day(30) == 0

    assert [m.to for m in mail.outbox] == [[invitation.user.email]] * 2
    assert mail.outbox[0].subject.startswith("Reminder:")
    assert mail.outbox[1].subject.startswith("Last reminder:")
    assert list(invitation.reminders.values_list("number", flat=True)) == [1, 2]


def test_the_reminder_task_running_twice_on_the_same_day_sends_one_email(users, django_capture_on_commit_callbacks):
    survey = a_survey()
    InvitationFactory(survey=survey, invited_at=timezone.now() - timedelta(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_survey_reminders.delay()
        tasks.send_survey_reminders.delay()
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.filter(template="survey_reminder").count() == 1


def test_the_database_refuses_a_second_claim_on_the_same_reminder(users):
    invitation = InvitationFactory(survey=a_survey())
    SurveyReminder.objects.create(invitation=invitation, number=1)
    with pytest.raises(IntegrityError):
        SurveyReminder.objects.create(invitation=invitation, number=1)


def test_no_reminder_after_a_response_or_after_the_survey_closes(users, django_capture_on_commit_callbacks):
    survey = a_survey()
    answered = InvitationFactory(survey=survey, invited_at=timezone.now() - timedelta(days=8))
    surveys.answers_submit(invitation=answered, by=answered.user,
                           answers={questions(survey)["satisfaction"].pk: 4}, consent_to_publish=False)
    closed = a_survey(status="closed")
    InvitationFactory(survey=closed, invited_at=timezone.now() - timedelta(days=8))
    past_closing = a_survey(closes_on=TODAY - timedelta(days=1), opens_on=TODAY - timedelta(days=20))
    InvitationFactory(survey=past_closing, invited_at=timezone.now() - timedelta(days=8))

    assert run(django_capture_on_commit_callbacks, surveys.reminders_send) == 0
    assert mail.outbox == []


# --- answering -------------------------------------------------------------------------


def test_answers_can_be_changed_until_the_survey_closes_and_not_after(users):
    survey = a_survey()
    invitation = InvitationFactory(survey=survey)
    q = questions(survey)
    surveys.answers_submit(invitation=invitation, by=invitation.user, answers={q["satisfaction"].pk: 2},
                           consent_to_publish=False)
    first = SurveyInvitation.objects.get().responded_at
    surveys.answers_submit(invitation=invitation, by=invitation.user,
                           answers={q["satisfaction"].pk: 5, q["comment"].pk: "Very useful."}, consent_to_publish=True)
    invitation.refresh_from_db()
    assert invitation.responded_at == first and invitation.consent_to_publish
    assert set(Answer.objects.values_list("scale", "text")) == {(None, "Very useful."), (5, "")}

    surveys.survey_close(survey=survey, by=users["adviser"])
    with pytest.raises(surveys.SurveyError, match="closed"):
        surveys.answers_submit(invitation=invitation, by=invitation.user, answers={q["satisfaction"].pk: 1},
                               consent_to_publish=True)
    assert Answer.objects.get(question=q["satisfaction"]).scale == 5


def test_someone_else_cannot_answer_an_invitation(users):
    invitation = InvitationFactory(survey=a_survey())
    with pytest.raises(surveys.SurveyError, match="Only the person invited"):
        surveys.answers_submit(invitation=invitation, by=users["headteacher"],
                               answers={questions(invitation.survey)["satisfaction"].pk: 5}, consent_to_publish=False)
    assert not Answer.objects.exists()


# --- comments --------------------------------------------------------------------------


def test_a_comment_is_published_only_with_the_respondents_consent_once_the_survey_has_closed(users):
    survey = a_survey()
    [with_consent] = respond(survey, 1, comment="An absolutely invaluable partnership.", consent=True)
    [without] = respond(survey, 1, comment="Please do not quote me.", consent=False)
    adviser = users["adviser"]
    comment = Answer.objects.get(invitation=with_consent, question__kind="text")
    # While it is open, a newly listed comment would say who had just answered.
    with pytest.raises(surveys.SurveyError, match="once the survey has closed"):
        surveys.comment_publish(answer=comment, by=adviser)
    surveys.survey_close(survey=survey)
    surveys.comment_publish(answer=comment, by=adviser)
    with pytest.raises(surveys.SurveyError, match="did not agree"):
        surveys.comment_publish(answer=Answer.objects.get(invitation=without, question__kind="text"), by=adviser)
    with pytest.raises(surveys.SurveyError, match="Only the adviser"):
        surveys.comment_unpublish(answer=comment, by=users["other_adviser"])
    assert list(Answer.objects.filter(published_at__isnull=False)) == [comment]
    assert AuditEvent.objects.filter(verb="survey.comment_published", actor=adviser).count() == 1


# --- end of each deployment ------------------------------------------------------------------


def test_an_end_of_deployment_survey_invites_each_party_of_each_ended_deployment_once(
        users, django_capture_on_commit_callbacks):
    adviser = users["adviser"]
    lle_survey = a_survey(status="draft", kind=Survey.Kind.END_OF_DEPLOYMENT)
    head_survey = a_survey(status="draft", kind=Survey.Kind.END_OF_DEPLOYMENT, audience=Survey.Audience.CLIENT_HEADS)
    with django_capture_on_commit_callbacks(execute=True):
        surveys.survey_open(survey=lle_survey, by=adviser)
        surveys.survey_open(survey=head_survey, by=adviser)
    assert mail.outbox == []  # nothing has ended yet

    ending = DeploymentFactory(active=True, start_date=TODAY - timedelta(days=200))
    still_running = DeploymentFactory(active=True)
    with django_capture_on_commit_callbacks(execute=True):
        deployment_services.deployment_end_early(deployment=ending, by=adviser, reason="The head left.")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_end_of_deployment_invitations.delay().get() == 2
        assert tasks.send_end_of_deployment_invitations.delay().get() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ending.lle.user.email, ending.client_head.email])
    assert set(SurveyInvitation.objects.values_list("deployment", flat=True)) == {ending.pk}
    assert not SurveyInvitation.objects.filter(deployment=still_running).exists()


def test_the_database_keeps_one_invitation_per_person_per_survey_and_deployment(users):
    survey = a_survey()
    invitation = InvitationFactory(survey=survey)
    with pytest.raises(IntegrityError):
        SurveyInvitation.objects.create(survey=survey, user=invitation.user)


# --- results -------------------------------------------------------------------------------


def test_response_rate_counts_responded_of_invited(users):
    survey = a_survey()
    respond(survey, 3)
    InvitationFactory.create_batch(5, survey=survey)
    rate = surveys.response_rate(survey)
    assert (rate.invited, rate.responded, rate.percent) == (8, 3, Decimal("37.5"))


def test_a_group_of_four_is_never_shown_and_a_group_of_five_is(users):
    la = norfolk()
    lles = a_survey(closes_on=TODAY + timedelta(days=1))
    heads = a_survey(audience=Survey.Audience.CLIENT_HEADS, closes_on=TODAY + timedelta(days=1))
    respond(lles, 4, scale=5)
    respond(heads, 4, scale=2)
    InvitationFactory(survey=heads)  # invited, not answered
    surveys.survey_close(survey=lles)
    surveys.survey_close(survey=heads)
    year = (TODAY + timedelta(days=1)).year + (1 if (TODAY + timedelta(days=1)).month >= 9 else 0)

    results = surveys.programme_survey_results(local_authority=la, year=year)
    assert [r.theme for r in results] == ["satisfaction", "collaboration", "expectations", "impact"]
    satisfaction = results[0]
    assert satisfaction.label == "Satisfied with the service"
    # A survey of four counts for nothing in the year's figures, not even its numbers.
    assert satisfaction.lle == surveys.GroupResult(invited=0, respondents=0, agree_percent=None)
    assert satisfaction.lle.suppressed and satisfaction.client.suppressed

    lles = a_survey(closes_on=TODAY + timedelta(days=1))
    heads = a_survey(audience=Survey.Audience.CLIENT_HEADS, closes_on=TODAY + timedelta(days=1))
    respond(lles, 4, scale=5)
    respond(lles, 1, scale=3)
    respond(heads, 4, scale=2)
    respond(heads, 1, scale=5)
    InvitationFactory(survey=heads)  # invited, not answered
    surveys.survey_close(survey=lles)
    surveys.survey_close(survey=heads)
    results = surveys.programme_survey_results(local_authority=la, year=year)
    assert results[0].lle == surveys.GroupResult(invited=5, respondents=5, agree_percent=Decimal("80.0"))
    assert results[0].client == surveys.GroupResult(invited=6, respondents=5, agree_percent=Decimal("20.0"))
    assert results[2].lle.agree_percent == Decimal("100.0")  # yes/no: all said yes


def test_programme_results_take_the_surveys_closing_in_the_academic_year(users):
    la = norfolk()
    june, september = a_survey(), a_survey()
    respond(june, 5, scale=5)
    respond(september, 5, scale=1)
    # Closed in June 2011 (Norfolk's survey, docs/programme.md §11.5) and in September 2011, the next academic year.
    Survey.objects.filter(pk=june.pk).update(status="closed", closed_at=timezone.now(), opens_on=date(2011, 6, 1),
                                             closes_on=date(2011, 6, 30))
    Survey.objects.filter(pk=september.pk).update(status="closed", closed_at=timezone.now(),
                                                  opens_on=date(2011, 9, 1), closes_on=date(2011, 9, 2))
    draft = a_survey(status="draft", opens_on=date(2011, 3, 1), closes_on=date(2011, 3, 2))
    InvitationFactory(survey=draft)

    assert surveys.programme_survey_results(local_authority=la, year=2011)[0].lle.agree_percent == Decimal("100.0")
    assert surveys.programme_survey_results(local_authority=la, year=2012)[0].lle.agree_percent == Decimal("0.0")
    assert surveys.programme_survey_results(local_authority=la, year=2010)[0].lle.invited == 0


def test_programme_results_run_a_bounded_number_of_queries(users, django_assert_max_num_queries):
    la = norfolk()
    survey = a_survey()
    respond(survey, 6)
    year = survey.closes_on.year + (1 if survey.closes_on.month >= 9 else 0)
    with django_assert_max_num_queries(2):
        surveys.programme_survey_results(local_authority=la, year=year)
    with django_assert_max_num_queries(1):
        surveys.published_comments(local_authority=la, year=year)


def test_published_comments_are_those_published_with_consent_in_surveys_of_five_or_more(users):
    la = norfolk()
    heads = a_survey(audience=Survey.Audience.CLIENT_HEADS)
    respond(heads, 5, comment="It has had the right mix of support.", consent=True)
    small = a_survey()
    respond(small, 4, comment="Only four of us answered.", consent=True)
    surveys.survey_close(survey=heads)
    surveys.survey_close(survey=small)
    for answer in Answer.objects.filter(question__kind="text")[:1]:
        surveys.comment_publish(answer=answer, by=users["adviser"])
    for answer in Answer.objects.filter(question__kind="text", question__survey=small)[:1]:
        surveys.comment_publish(answer=answer, by=users["adviser"])
    year = heads.closes_on.year + (1 if heads.closes_on.month >= 9 else 0)

    assert surveys.published_comments(local_authority=la, year=year) == [
        surveys.PublishedComment(text="It has had the right mix of support.", audience_label="Client headteacher")
    ]


@pytest.mark.postgres
def test_two_workers_sending_reminders_at_once_send_each_reminder_once(transactional_db, users):
    import threading

    from django.db import connection

    survey = a_survey()
    invitations = InvitationFactory.create_batch(3, survey=survey, invited_at=timezone.now() - timedelta(days=6))
    barrier = threading.Barrier(2)
    sent = []

    def worker():
        barrier.wait()
        try:
            sent.append(surveys.reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 3
    assert sorted(OutgoingEmail.objects.filter(template="survey_reminder").values_list("to", flat=True)) == sorted(
        i.user.email for i in invitations
    )
    assert SurveyReminder.objects.count() == 3
