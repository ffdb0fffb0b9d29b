"""Demo surveys for Norfolk (`manage.py seed_demo`; docs/programme.md §1.4, §11.5):
LLEs and client headteachers surveyed in June of last academic year (closed,
with enough answers for the results to show, and the client heads' comments
the Norfolk programme published, published here with consent), and this
year's survey of client heads, open, which the demo client head can answer.

Idempotent: each survey is found by its LA and title and left alone when it
exists, so a second run changes nothing and sends no email.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from applications.models import LLEProfile
from lle_portal.academic_years import academic_year_label, academic_year_of
from lle_portal.demo import DemoContext
from lle_portal.models import User

from . import demo_history, survey_results, surveys
from .models import Answer, Question, Survey, SurveyInvitation

QUESTIONS = [
    # (text for LLEs, text for client heads, kind, theme)
    ("Overall, I am satisfied with the service the LLE programme provided.",
     "Overall, I am satisfied with the service the LLE programme provided.", Question.Kind.SCALE, "satisfaction"),
    ("My relationship with the client headteacher was collaborative.",
     "My relationship with the LLE was collaborative.", Question.Kind.SCALE, "collaboration"),
    ("Did the deployment meet your expectations?", "Did the support meet your expectations?",
     Question.Kind.YES_NO, "expectations"),
    ("The deployment had an impact on the client school's improvement.",
     "The support had an impact on my school's improvement.", Question.Kind.SCALE, "impact"),
    ("Any comments on the programme?", "Any comments on the programme?", Question.Kind.TEXT, ""),
]

# docs/programme.md §1.4, §11.7 (S4): "Client Headteachers comments include:-"
CLIENT_COMMENTS = [
    "An absolutely invaluable partnership having huge impact.",
    "Get it into more schools – it’s a fantastic way for professionals to share and develop skills.",
    "It has had the right mix of support whilst leaving enough autonomy for us to develop strategies and systems.",
    "I feel empowered by the experience of working with another successful head with contrasting expertise.",
    "It contributed to policy making and shaping priorities for further improvement.",
]
LLE_COMMENTS = [
    "Coaching another head sharpened my own leadership; protected time for it matters.",
    "Clearer objectives at the start would have helped us measure progress sooner.",
]
# docs/programme.md §1.4 (S4): "The level of client satisfaction was stronger than that of LLEs."
# One row per respondent: (satisfaction, collaboration, expectations met, impact).
LLE_ANSWERS = [(4, 5, True, 4), (4, 4, True, 3), (5, 4, True, 4), (3, 4, False, 3), (4, 5, True, 4),
               (4, 4, True, 4), (5, 5, True, 4)]
CLIENT_ANSWERS = [(5, 5, True, 5), (5, 5, True, 4), (5, 4, True, 5), (4, 5, True, 5), (5, 5, True, 4),
                  (4, 4, True, 4), (5, 5, True, 5)]


def seed(ctx: DemoContext) -> None:
    if ctx.la is None or "adviser" not in ctx.people:
        ctx.say("Surveys: skipped (no LA or adviser).")
        return
    adviser = ctx.people["adviser"]
    last_year = academic_year_of(timezone.localdate()) - 1
    lles = list(
        User.objects.filter(lle_profile__in=LLEProfile.objects.deployable().filter(school__local_authority=ctx.la))
        .order_by("pk")
    )
    client_heads = [user for key, user in sorted(ctx.people.items()) if key.startswith("client-head-")]
    _closed_june_survey(ctx, Survey.Audience.LLES, lles, LLE_ANSWERS, LLE_COMMENTS, last_year, adviser)
    _closed_june_survey(ctx, Survey.Audience.CLIENT_HEADS, client_heads, CLIENT_ANSWERS, CLIENT_COMMENTS, last_year,
                        adviser)
    _open_survey(ctx, adviser)
    # The programme's past year beside the results the demo has (impact/demo_history.py).
    demo_history.seed(ctx)
    shown = survey_results.programme_survey_results(local_authority=ctx.la, year=last_year)
    summary = "; ".join(
        f"{t.label.lower()}: LLEs {t.lle.agree_percent}%, client heads {t.client.agree_percent}%" for t in shown
    )
    ctx.say(f"Surveys: June {last_year} results ({summary}); this year's client survey open.")


def _build(ctx: DemoContext, audience: str, title: str, *, opens_on: date, closes_on: date, adviser: User) -> Survey:
    assert ctx.la is not None  # seed_la ran first
    survey = Survey.objects.create(
        local_authority=ctx.la, title=title, audience=audience, kind=Survey.Kind.ANNUAL, opens_on=opens_on,
        closes_on=closes_on, created_by=adviser,
        introduction="Your views help the local authority measure the impact of the LLE programme and improve it.",
    )
    for position, (lle_text, client_text, kind, theme) in enumerate(QUESTIONS, start=1):
        Question.objects.create(survey=survey, position=position, kind=kind, theme=theme,
                                text=lle_text if audience == Survey.Audience.LLES else client_text)
    return survey


@transaction.atomic
def _closed_june_survey(ctx: DemoContext, audience: str, people: list[User], rows, comments: list[str], year: int,
                        adviser: User) -> None:
    """Last June's survey, as it stood when it closed: written directly, since
    the services accept answers only while a survey is open."""
    who = "LLEs" if audience == Survey.Audience.LLES else "client headteachers"
    title = f"Survey of {who}, June {year}"
    if Survey.objects.filter(local_authority=ctx.la, title=title).exists():
        return
    if len(people) < survey_results.MIN_GROUP_SIZE:
        ctx.say(f"Surveys: only {len(people)} {who}; the June survey is skipped.")
        return
    opens_on, closes_on = date(year, 6, 1), date(year, 6, 30)
    survey = _build(ctx, audience, title, opens_on=opens_on, closes_on=closes_on, adviser=adviser)
    at = timezone.make_aware(datetime.combine(opens_on, time(9)))
    survey.status = Survey.Status.CLOSED
    survey.opened_at = at
    survey.closed_at = timezone.make_aware(datetime.combine(closes_on + timedelta(days=1), time(0, 15)))
    survey.save(update_fields=["status", "opened_at", "closed_at"])
    questions = list(survey.questions.order_by("position"))
    scale_and_yes, comment_question = questions[:4], questions[4]
    for i, user in enumerate(people):
        invitation = SurveyInvitation.objects.create(survey=survey, user=user, invited_at=at)
        if i >= len(rows):
            continue  # invited, did not answer: the response rate is below 100%
        answered_at = at + timedelta(days=2 + i)
        comment = comments[i] if i < len(comments) else ""
        invitation.responded_at = invitation.updated_at = answered_at
        invitation.consent_to_publish = bool(comment)
        invitation.save(update_fields=["responded_at", "updated_at", "consent_to_publish"])
        satisfaction, collaboration, met, impact = rows[i]
        values = [{"scale": satisfaction}, {"scale": collaboration}, {"yes": met}, {"scale": impact}]
        Answer.objects.bulk_create(
            [Answer(invitation=invitation, question=q, **v) for q, v in zip(scale_and_yes, values, strict=True)]
        )
        if comment:
            # docs/programme.md §11.7 (S4): "This feedback has been published and shared."
            published = audience == Survey.Audience.CLIENT_HEADS
            Answer.objects.create(
                invitation=invitation, question=comment_question, text=comment,
                published_at=at + timedelta(days=40) if published else None,
                published_by=adviser if published else None,
            )


def _open_survey(ctx: DemoContext, adviser: User) -> None:
    """This year's client survey, open for three weeks: opening it invites the
    heads of the LA's client schools (the demo client head among them)."""
    today = timezone.localdate()
    title = f"Survey of client headteachers, {academic_year_label(academic_year_of(today))}"
    if Survey.objects.filter(local_authority=ctx.la, title=title).exists():
        return
    survey = _build(ctx, Survey.Audience.CLIENT_HEADS, title, opens_on=today, closes_on=today + timedelta(days=21),
                    adviser=adviser)
    surveys.survey_open(survey=survey, by=adviser)
