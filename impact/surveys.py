"""Surveys of LLEs and client headteachers: the business rules.

Views, admin actions and Celery tasks call these; none of them changes a
status itself. Survey: draft → open (everyone of its audience is invited) →
closed. A respondent's answers can be changed until it closes. Reminders: at
most two, at least five days after the invitation and after each other, none
once they have answered or the survey has closed; each claimed by a unique
row before its email is queued, so a re-run sends nothing twice.

Results are aggregates, and a group (an audience of one survey, one question,
or one theme over a year) with fewer than MIN_GROUP_SIZE people is never
shown: with four client heads, a percentage would say what each one thought.

Results appear only once a survey has closed (results_shown): live figures,
read before and after one more answer, would say what that one person
answered. For the same reason answering records no event naming the
respondent (the invitation's responded_at is all there is), a year's
programme figures count only surveys (and themes) with at least
MIN_GROUP_SIZE respondents, so a small survey closing never moves them by a
few people's answers, and comments are chosen and published after close.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from applications.models import LLEProfile
from deployments.models import Deployment
from lle_portal.access import acts_for_school
from lle_portal.audit import audit_record
from lle_portal.emails import email_queue
from lle_portal.errors import DomainError
from lle_portal.models import LocalAuthority, User
from lle_portal.schooldata import academic_year_dates

from .models import AGREEING, Answer, Question, Scale, Survey, SurveyInvitation, SurveyReminder, Theme

MIN_GROUP_SIZE = 5
SUPPRESSED_TEXT = "Fewer than 5 responses — not shown"
# Reminders to people who have not answered (issue 6): at most two, at least
# five days after the invitation and after each other.
MAX_REMINDERS = SurveyReminder.MAX
REMINDER_GAP_DAYS = 5
# An annual survey of client heads asks the heads of schools whose deployment
# is active, or ended within this many days of the survey opening.
RECENT_DEPLOYMENT_DAYS = 365

Status = Survey.Status
Audience = Survey.Audience
ENDED = (Deployment.Status.COMPLETED, Deployment.Status.ENDED_EARLY)
AUDIENCE_LABELS: dict[str, str] = {Audience.LLES: "LLE", Audience.CLIENT_HEADS: "Client headteacher"}
THEME_ORDER = (Theme.SATISFACTION, Theme.COLLABORATION, Theme.EXPECTATIONS, Theme.IMPACT)


class SurveyError(DomainError):
    """A change the rules do not allow; the message is for the person who tried."""


# --- small rules ---------------------------------------------------------------------


def is_adviser_of(user: User, survey: Survey) -> bool:
    return user.is_authenticated and user.advises(survey.local_authority_id)


def _lock(survey: Survey) -> Survey:
    return Survey.objects.select_for_update(of=("self",)).select_related("local_authority").get(pk=survey.pk)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- who is asked ---------------------------------------------------------------------


def lle_users(local_authority: LocalAuthority) -> QuerySet:
    """Active, trained LLEs whose school is in the LA."""
    return User.objects.filter(
        is_active=True,
        lle_profile__in=LLEProfile.objects.deployable().filter(school__local_authority=local_authority),
    )


def client_deployments(local_authority: LocalAuthority, *, on: date) -> QuerySet:
    """Deployments of the LA that have begun: active, or ended within the last year."""
    recent = Q(status__in=ENDED, finished_at__date__gte=on - timedelta(days=RECENT_DEPLOYMENT_DAYS))
    return Deployment.objects.filter(client_school__local_authority=local_authority).filter(
        Q(status=Deployment.Status.ACTIVE) | recent
    )


def client_head_users(local_authority: LocalAuthority, *, on: date) -> QuerySet:
    """The client heads named on those deployments, while still the confirmed
    heads of the client school (lle_portal.access.acts_for_school): a claim to
    the school puts nobody in the audience."""
    named = client_deployments(local_authority, on=on).filter(
        client_head=OuterRef("pk"), client_school=OuterRef("school")
    )
    return User.objects.filter(User.confirmed_heads_q()).filter(Exists(named))


def audience_users(survey: Survey, *, on: date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    if survey.audience == Audience.LLES:
        return lle_users(survey.local_authority)
    return client_head_users(survey.local_authority, on=on)


def _invite(survey: Survey, users: Iterable[User], *, deployment: Deployment | None = None) -> int:
    """Create the invitations (the claim) and queue one email for each new one."""
    invited = 0
    for user in users:
        try:
            with transaction.atomic():
                invitation = SurveyInvitation.objects.create(survey=survey, user=user, deployment=deployment)
        except IntegrityError:
            continue  # invited before (a re-run, or another worker)
        email_queue(
            to=user.email, template="survey_invitation", about=invitation,
            context={"survey": survey, "invitation": invitation, "user": user, "deployment": deployment},
        )
        invited += 1
    return invited


# --- status changes ------------------------------------------------------------------


@transaction.atomic
def survey_open(*, survey: Survey, by: User | None = None) -> Survey:
    """Open a draft survey and invite its audience: an annual survey everyone
    of it now; an end-of-deployment survey the people of each deployment that
    ends while it is open (those already ended since it opens, now)."""
    survey = _lock(survey)
    if survey.status != Status.DRAFT:
        raise SurveyError(f"This survey is {survey.get_status_display().lower()}; only a draft can be opened.")
    if by is not None and not is_adviser_of(by, survey):
        raise SurveyError("Only the adviser of this local authority can open the survey.")
    if survey.closes_on < timezone.localdate():
        raise SurveyError(f"This survey's closing date ({survey.closes_on:%-d %B %Y}) has passed. Change it first.")
    if not survey.questions.exists():
        raise SurveyError("Add at least one question before opening the survey.")
    survey.status = Status.OPEN
    survey.opened_at = timezone.now()
    survey.save(update_fields=["status", "opened_at"])
    if survey.kind == Survey.Kind.ANNUAL:
        invited = _invite(survey, audience_users(survey).order_by("pk"))
    else:
        invited = _invite_ended_deployments(survey)
    audit_record(verb="survey.opened", target=survey, actor=by, actor_label="" if by else "celery",
                 data={"invited": invited})
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, by: User | None = None) -> Survey:
    """Close an open survey: answers are final, reminders stop."""
    survey = _lock(survey)
    if survey.status != Status.OPEN:
        raise SurveyError(f"This survey is {survey.get_status_display().lower()}; only an open survey can be closed.")
    if by is not None and not is_adviser_of(by, survey):
        raise SurveyError("Only the adviser of this local authority can close the survey.")
    survey.status = Status.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["status", "closed_at"])
    audit_record(verb="survey.closed", target=survey, actor=by, actor_label="" if by else "celery")
    return survey


def surveys_close_due(*, today: date | None = None) -> int:
    """Close every open survey whose closing day has passed (the daily job)."""
    today = today or timezone.localdate()
    closed = 0
    for pk in Survey.objects.open().filter(closes_on__lt=today).values_list("pk", flat=True):
        try:
            survey_close(survey=Survey(pk=pk))
        except SurveyError:
            continue  # closed by the adviser meanwhile
        closed += 1
    return closed


# --- end of each deployment ------------------------------------------------------------


def _party_of(survey: Survey, deployment: Deployment) -> list[User]:
    """Who an end-of-deployment survey asks about `deployment`: its LLE, or its
    named client head while still the school's confirmed head."""
    if survey.audience == Audience.LLES:
        user = deployment.lle.user
        return [user] if user.is_active else []
    head = deployment.client_head
    acts = head is not None and acts_for_school(head, deployment.client_school_id, role=User.Role.HEADTEACHER)
    return [head] if acts and head is not None else []


def _ended_while_open(survey: Survey) -> QuerySet:
    """Deployments of the survey's LA that ended (completed or early) from its opening date
    to its closing date, with nobody of the survey's audience invited about them yet."""
    already = SurveyInvitation.objects.filter(survey=survey, deployment=OuterRef("pk"))
    return (
        Deployment.objects.filter(
            client_school__local_authority=survey.local_authority_id, status__in=ENDED,
            finished_at__date__gte=survey.opens_on, finished_at__date__lte=survey.closes_on,
        )
        .filter(~Exists(already))
        .select_related("lle__user", "client_school", "client_head")
        .order_by("finished_at", "pk")
    )


def _invite_ended_deployments(survey: Survey) -> int:
    invited = 0
    for deployment in _ended_while_open(survey):
        invited += _invite(survey, _party_of(survey, deployment), deployment=deployment)
    return invited


def end_of_deployment_invitations_send() -> int:
    """Every open end-of-deployment survey: invite the people of each deployment
    of its LA that has ended while it is open and not yet been asked (the daily job).
    The invitation rows are the claims: a re-run invites nobody twice."""
    invited = 0
    surveys = Survey.objects.open().filter(kind=Survey.Kind.END_OF_DEPLOYMENT).select_related("local_authority")
    for survey in surveys:
        with transaction.atomic():
            n = _invite_ended_deployments(survey)
            if n:
                audit_record(verb="survey.deployment_invitations_sent", target=survey, actor_label="celery",
                             data={"invited": n})
            invited += n
    return invited


# --- reminders -----------------------------------------------------------------------


def _reminder_due(invitation: SurveyInvitation, now: datetime) -> int | None:
    """The number of the reminder due now, or None: five whole days after
    the invitation or the last reminder."""
    sent = sorted(invitation.reminders.all(), key=lambda r: r.number)
    if len(sent) >= MAX_REMINDERS:
        return None
    last_contact = sent[-1].sent_at if sent else invitation.invited_at
    if now < last_contact + timedelta(days=REMINDER_GAP_DAYS):
        return None
    return len(sent) + 1


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind each person invited to an open survey who has not answered, at
    most twice, at least five days apart (the daily job)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    candidates = (
        SurveyInvitation.objects.awaiting_response()
        .filter(survey__status=Status.OPEN, survey__closes_on__gte=today,
                invited_at__lte=now - timedelta(days=REMINDER_GAP_DAYS))
        .annotate(reminder_count=Count("reminders"))
        .filter(reminder_count__lt=MAX_REMINDERS)
        .values_list("pk", flat=True)
    )
    for pk in list(candidates):
        with transaction.atomic():
            # Locked: an answer sent at this moment either comes first (no
            # reminder) or waits for this transaction.
            invitation = (
                SurveyInvitation.objects.select_for_update(of=("self",))
                .select_related("survey", "user", "deployment__client_school")
                .prefetch_related("reminders")
                .get(pk=pk)
            )
            survey = invitation.survey
            if invitation.responded_at or survey.status != Status.OPEN or survey.closes_on < today:
                continue
            number = _reminder_due(invitation, now)
            if number is None:
                continue
            try:
                with transaction.atomic():
                    SurveyReminder.objects.create(invitation=invitation, number=number, sent_at=now)
            except IntegrityError:
                continue  # claimed by another worker
            email_queue(
                to=invitation.user.email, template="survey_reminder", about=invitation,
                context={"survey": invitation.survey, "invitation": invitation, "user": invitation.user,
                         "deployment": invitation.deployment, "number": number,
                         "last": number == MAX_REMINDERS},
            )
            sent += 1
    return sent


# --- answering -----------------------------------------------------------------------


def _value_fields(question: Question, value) -> dict:
    if question.kind == Question.Kind.SCALE:
        return {"scale": int(value), "yes": None, "text": ""}
    if question.kind == Question.Kind.YES_NO:
        return {"scale": None, "yes": bool(value), "text": ""}
    return {"scale": None, "yes": None, "text": str(value).strip()}


def _is_blank(question: Question, value) -> bool:
    if question.kind == Question.Kind.TEXT:
        return value is None or not str(value).strip()
    return value is None or value == ""


@transaction.atomic
def answers_submit(*, invitation: SurveyInvitation, by: User, answers: dict[int, object],
                   consent_to_publish: bool) -> SurveyInvitation:
    """Save (or change) a respondent's answers: {question id: value}. A blank
    value clears that answer. Allowed until the survey closes."""
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",)).select_related("survey").get(pk=invitation.pk)
    )
    if invitation.user_id != by.pk:
        raise SurveyError("Only the person invited can answer this survey.")
    if not invitation.survey.accepts_answers:
        raise SurveyError("This survey has closed: answers can no longer be changed.")
    questions = {q.pk: q for q in invitation.survey.questions.all()}
    existing = {a.question_id: a for a in invitation.answers.all()}
    missing = [q.text for q in questions.values() if q.required and _is_blank(q, answers.get(q.pk))]
    if missing:
        raise SurveyError("Answer every required question: " + "; ".join(missing))
    if not any(not _is_blank(q, answers.get(q.pk)) for q in questions.values()):
        raise SurveyError("Answer at least one question.")
    for pk, question in questions.items():
        value = answers.get(pk)
        answer = existing.get(pk)
        if _is_blank(question, value):
            if answer is not None:
                answer.delete()
            continue
        fields = _value_fields(question, value)
        if answer is None:
            Answer.objects.create(invitation=invitation, question=question, **fields)
        elif any(getattr(answer, k) != v for k, v in fields.items()):
            for key, v in fields.items():
                setattr(answer, key, v)
            # A published comment that the respondent rewrites is taken down:
            # the adviser chose the words they read.
            if question.kind == Question.Kind.TEXT and answer.published_at:
                answer.published_at, answer.published_by = None, None
            answer.save()
    if not consent_to_publish:
        # Consent withdrawn: nothing of theirs stays published.
        invitation.answers.filter(published_at__isnull=False).update(published_at=None, published_by=None)
    now = timezone.now()
    invitation.responded_at = invitation.responded_at or now
    invitation.updated_at = now
    invitation.consent_to_publish = consent_to_publish
    invitation.save(update_fields=["responded_at", "updated_at", "consent_to_publish"])
    # No audit event: one naming the respondent and the time, read beside the
    # results, would say what they answered (issue 11). The response rate counts.
    return invitation


# --- publishing comments ---------------------------------------------------------------


def _lock_answer(answer: Answer) -> Answer:
    return (
        Answer.objects.select_for_update(of=("self",))
        .select_related("question__survey", "invitation").get(pk=answer.pk)
    )


@transaction.atomic
def comment_publish(*, answer: Answer, by: User) -> Answer:
    """Publish a free-text answer; only with the respondent's consent."""
    answer = _lock_answer(answer)
    survey = answer.question.survey
    if not is_adviser_of(by, survey):
        raise SurveyError("Only the adviser of this local authority can publish comments.")
    if not results_shown(survey):
        raise SurveyError("Comments can be published once the survey has closed.")
    if answer.question.kind != Question.Kind.TEXT or not answer.text:
        raise SurveyError("Only comments (free-text answers) can be published.")
    if not answer.invitation.consent_to_publish:
        raise SurveyError("The respondent did not agree to their comments being published.")
    if answer.published_at:
        raise SurveyError("This comment is already published.")
    answer.published_at = timezone.now()
    answer.published_by = by
    answer.save(update_fields=["published_at", "published_by"])
    audit_record(verb="survey.comment_published", target=survey, actor=by, data={"answer": answer.pk})
    return answer


@transaction.atomic
def comment_unpublish(*, answer: Answer, by: User) -> Answer:
    answer = _lock_answer(answer)
    survey = answer.question.survey
    if not is_adviser_of(by, survey):
        raise SurveyError("Only the adviser of this local authority can unpublish comments.")
    if not answer.published_at:
        raise SurveyError("This comment is not published.")
    answer.published_at = None
    answer.published_by = None
    answer.save(update_fields=["published_at", "published_by"])
    audit_record(verb="survey.comment_unpublished", target=survey, actor=by, data={"answer": answer.pk})
    return answer


# --- results -------------------------------------------------------------------------


def results_shown(survey: Survey) -> bool:
    """Whether any result of the survey (figures, comments) may be shown: only
    once it has closed, when no answer can be added or changed. Every page,
    report and admin asks this; none decides for itself."""
    return survey.status == Status.CLOSED


@dataclass(frozen=True)
class ResponseRate:
    invited: int
    responded: int

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.responded, self.invited)


def response_rate(survey: Survey) -> ResponseRate:
    """Responded / invited: invitations, so each deployment asked about counts."""
    counts = SurveyInvitation.objects.filter(survey=survey).aggregate(
        invited=Count("pk"), responded=Count("pk", filter=Q(responded_at__isnull=False))
    )
    return ResponseRate(invited=counts["invited"], responded=counts["responded"])


@dataclass(frozen=True)
class GroupResult:
    invited: int
    respondents: int  # people who answered at least one question of the theme
    agree_percent: Decimal | None  # % agree or strongly agree (scale) / yes (yes-no), 1 d.p.; None when suppressed
    # What the percentage is of: answers agreeing out of answers given (one per
    # respondent when the theme has one question). 0 when suppressed.
    agreeing: int = field(default=0, compare=False)
    answers: int = field(default=0, compare=False)
    # Whether a survey asking this group about the theme closed that year at all:
    # "no survey that year" is not "fewer than 5 responses".
    surveyed: bool = field(default=True, compare=False)
    # "agreed" (agree or strongly agree), "said yes" (a yes-no question), or both.
    verb: str = field(default="agreed", compare=False)

    @property
    def suppressed(self) -> bool:
        return self.respondents < MIN_GROUP_SIZE

    @property
    def status(self) -> str:
        """"not_surveyed", "too_few" or "shown"."""
        if not self.surveyed:
            return "not_surveyed"
        return "too_few" if self.suppressed or self.agree_percent is None else "shown"

    @property
    def agreed_text(self) -> str:
        """What the percentage is of, in words: "6 of 7 respondents agreed (85.7%)"."""
        if self.status == "not_surveyed":
            return "No survey that year"
        if self.status == "too_few":
            return f"Fewer than {MIN_GROUP_SIZE} responses — not shown"
        if self.answers == self.respondents:
            return f"{self.agreeing} of {self.respondents} respondents {self.verb} ({self.agree_percent}%)"
        return (f"{self.agreeing} of {self.answers} answers {self.verb} ({self.agree_percent}%), "
                f"from {self.respondents} respondents")

    @property
    def response_text(self) -> str:
        """The response rate, said separately: "7 of 24 invited responded"."""
        return f"{self.respondents} of {self.invited} invited responded" if self.status == "shown" else ""


def _group(invited: int, respondents: int, agreeing: int, answered: int, surveyed: bool = True,
           verb: str = "agreed") -> GroupResult:
    shown = respondents >= MIN_GROUP_SIZE
    return GroupResult(invited=invited, respondents=respondents,
                       agree_percent=_percent(agreeing, answered) if shown else None,
                       agreeing=agreeing if shown else 0, answers=answered if shown else 0, surveyed=surveyed,
                       verb=verb)


@dataclass(frozen=True)
class ThemeResult:
    theme: str  # "satisfaction" | "collaboration" | "expectations" | "impact"
    label: str  # e.g. "Satisfied with the service"
    lle: GroupResult
    client: GroupResult


def any_surveyed(results: list[ThemeResult]) -> bool:
    """Whether any survey of the programme closed that year (whatever its size)."""
    return any(r.lle.surveyed or r.client.surveyed for r in results)


# Answers that count towards "% agree": scale and yes/no, with their agreeing share.
_CLOSED_KINDS = (Question.Kind.SCALE, Question.Kind.YES_NO)
_AGREES = Q(scale__in=AGREEING) | Q(yes=True)


def _year_surveys(local_authority: LocalAuthority, year: int) -> QuerySet:
    """The LA's closed surveys (results_shown) whose closing date falls in the academic year."""
    start, end = academic_year_dates(year)
    return Survey.objects.filter(local_authority=local_authority, status=Status.CLOSED, closes_on__range=(start, end))


def programme_survey_results(*, local_authority: LocalAuthority, year: int) -> list[ThemeResult]:
    """Each theme, LLEs and client heads side by side, over all the LA's closed
    surveys whose closing date falls in the academic year ending in `year`. Two queries.

    A survey counts towards a theme only when at least MIN_GROUP_SIZE of its
    respondents answered that theme: otherwise a small survey closing would
    move the year's figure by its few people's answers, and the difference
    would show them. Respondents and invited are summed over those surveys
    (a person asked twice in a year counts twice, on both sides)."""
    surveys = _year_surveys(local_authority, year)
    # People answering each theme of each survey, and their answers.
    answered = (
        Answer.objects.filter(question__survey__in=surveys, question__kind__in=_CLOSED_KINDS)
        .exclude(question__theme="")
        .values("question__survey", "question__survey__audience", "question__theme")
        .annotate(respondents=Count("invitation__user", distinct=True), answers=Count("pk"),
                  agreeing=Count("pk", filter=_AGREES),
                  yes_no=Count("pk", filter=Q(question__kind=Question.Kind.YES_NO)))
    )
    # People invited to each survey that asks about each theme.
    invited = (
        # One filter() call: both conditions hold for the same question.
        SurveyInvitation.objects.filter(survey__in=surveys, survey__questions__kind__in=_CLOSED_KINDS,
                                        survey__questions__theme__in=Theme.values)
        .values("survey", "survey__audience", "survey__questions__theme")
        .annotate(people=Count("user", distinct=True))
    )
    people = {(row["survey"], row["survey__questions__theme"]): row["people"] for row in invited}
    # The audiences and themes some survey of the year asked about (however few answered).
    asked = {(row["survey__audience"], row["survey__questions__theme"]) for row in invited}
    counts: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"invited": 0, "respondents": 0, "answers": 0, "agreeing": 0, "yes_no": 0})
    for row in answered:
        if row["respondents"] < MIN_GROUP_SIZE:
            continue
        c = counts[(row["question__survey__audience"], row["question__theme"])]
        c["invited"] += people.get((row["question__survey"], row["question__theme"]), 0)
        c["respondents"] += row["respondents"]
        c["answers"] += row["answers"]
        c["agreeing"] += row["agreeing"]
        c["yes_no"] += row["yes_no"]

    def group(audience: str, theme: str) -> GroupResult:
        c = counts[(audience, theme)]
        verb = "said yes" if c["answers"] and c["yes_no"] == c["answers"] else (
            "agreed or said yes" if c["yes_no"] else "agreed")
        return _group(c["invited"], c["respondents"], c["agreeing"], c["answers"], (audience, theme) in asked, verb)

    return [
        ThemeResult(theme=theme.value, label=theme.label, lle=group(Audience.LLES, theme),
                    client=group(Audience.CLIENT_HEADS, theme))
        for theme in THEME_ORDER
    ]


@dataclass(frozen=True)
class PublishedComment:
    text: str
    audience_label: str  # "Client headteacher" / "LLE"


def _shown_surveys(surveys: QuerySet) -> QuerySet:
    """Surveys with at least MIN_GROUP_SIZE people responding: only theirs are shown."""
    return surveys.annotate(
        people=Count("invitations__user", distinct=True, filter=Q(invitations__responded_at__isnull=False))
    ).filter(people__gte=MIN_GROUP_SIZE)


def published_comments(*, local_authority: LocalAuthority, year: int) -> list[PublishedComment]:
    """Comments the adviser published (with consent) in the year's surveys,
    client heads first, as the Norfolk programme quoted them (docs/programme.md §11.7).
    One query."""
    shown = _shown_surveys(_year_surveys(local_authority, year)).values("pk")
    rows = (
        Answer.objects.filter(question__survey__in=shown, published_at__isnull=False,
                              invitation__consent_to_publish=True)
        .order_by("question__survey__audience", "question__survey__closes_on", "question__position", "published_at",
                  "pk")
        .values_list("text", "question__survey__audience")
    )
    comments = [PublishedComment(text=text, audience_label=AUDIENCE_LABELS[audience]) for text, audience in rows]
    # "client_heads" sorts before "lles", so client heads already come first.
    return comments


# --- one survey's results, for the adviser's page ------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    respondents: int
    answers: int
    # (label, count, percent) for each point of the scale, or yes and no.
    distribution: tuple[tuple[str, int, Decimal | None], ...]
    agree_percent: Decimal | None

    @property
    def suppressed(self) -> bool:
        return self.respondents < MIN_GROUP_SIZE

    @property
    def is_text(self) -> bool:
        return self.question.kind == Question.Kind.TEXT


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    rate: ResponseRate
    respondents: int  # people who answered
    questions: list[QuestionResult]
    themes: list[tuple[str, GroupResult]]  # (label, result) for the themes this survey asks about
    shown: bool = True  # False until the survey closes: only the response rate, nothing else

    @property
    def suppressed(self) -> bool:
        return not self.shown or self.respondents < MIN_GROUP_SIZE


def survey_results(survey: Survey) -> SurveyResults:
    """The survey's aggregates: per question and per theme. Four queries.

    A question's or theme's respondents are some of the survey's, so a survey
    with fewer than five respondents shows nothing at all; an open survey shows
    only its response rate (one query)."""
    rate = response_rate(survey)
    if not results_shown(survey):
        return SurveyResults(survey=survey, rate=rate, respondents=rate.responded, questions=[], themes=[],
                             shown=False)
    respondents = (
        SurveyInvitation.objects.filter(survey=survey).responded().aggregate(n=Count("user", distinct=True))["n"]
    )
    per_point = {f"s{point}": Count("pk", filter=Q(scale=point)) for point in Scale.values}
    rows = {
        row["question"]: row
        for row in Answer.objects.filter(question__survey=survey).values("question").annotate(
            respondents=Count("invitation__user", distinct=True), answers=Count("pk"),
            yes_count=Count("pk", filter=Q(yes=True)), no_count=Count("pk", filter=Q(yes=False)), **per_point,
        )
    }
    results = []
    theme_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # answers, agreeing
    for question in survey.questions.all():
        row = rows.get(question.pk, {})
        n, people = row.get("answers", 0), row.get("respondents", 0)
        if question.kind == Question.Kind.SCALE:
            points = [(label, row.get(f"s{value}", 0)) for value, label in Scale.choices]
            agreeing = sum(row.get(f"s{value}", 0) for value in AGREEING)
        elif question.kind == Question.Kind.YES_NO:
            points = [("Yes", row.get("yes_count", 0)), ("No", row.get("no_count", 0))]
            agreeing = row.get("yes_count", 0)
        else:
            points, agreeing = [], 0
        if question.theme and question.kind in _CLOSED_KINDS:
            theme_counts[question.theme][0] += n
            theme_counts[question.theme][1] += agreeing
        shown = people >= MIN_GROUP_SIZE
        results.append(QuestionResult(
            question=question, respondents=people, answers=n,
            distribution=tuple((label, count, _percent(count, n)) for label, count in points) if shown else (),
            agree_percent=_percent(agreeing, n) if shown and points else None,
        ))
    theme_people = dict(
        Answer.objects.filter(question__survey=survey, question__kind__in=_CLOSED_KINDS).exclude(question__theme="")
        .values("question__theme").annotate(people=Count("invitation__user", distinct=True))
        .values_list("question__theme", "people")
    )
    themes = [
        (theme.label, _group(rate.invited, theme_people.get(theme.value, 0), theme_counts[theme.value][1],
                             theme_counts[theme.value][0]))
        for theme in THEME_ORDER if theme.value in theme_counts
    ]
    return SurveyResults(survey=survey, rate=rate, respondents=respondents, questions=results, themes=themes)


def consented_comments(survey: Survey) -> QuerySet:
    """Free-text answers whose respondent agreed to publishing: the adviser chooses
    among these once the survey has closed (before, a new one would show who just answered)."""
    if not results_shown(survey):
        return Answer.objects.none()
    return (
        Answer.objects.filter(question__survey=survey, question__kind=Question.Kind.TEXT,
                              invitation__consent_to_publish=True)
        .exclude(text="")
        .select_related("question")
        .order_by("question__position", "pk")
    )
