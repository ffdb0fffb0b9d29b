"""Surveys of LLEs and client headteachers: the business rules (the writes).

Views, admin actions and Celery tasks call these; none of them changes a
status itself. Survey: draft → open (everyone of its audience is invited) →
closed. A respondent's answers can be changed until it closes. Reminders: at
most two, at least five days after the invitation and after each other, none
once they have answered or the survey has closed; each claimed by a unique
row before its email is queued, so a re-run sends nothing twice.

Who may do what is decided here once, beside the services that guard with
it: `can_open`, `can_close`, `can_answer`, `can_publish`, `can_unpublish`,
`questions_editable`, `can_delete` and `results_shown`. Each `*_refusal`
says why not, in the words the service raises; pages, templates and the
admin show an action only when its predicate holds
(impact/tests/test_survey_rules.py checks that for every state and role).

Answering records no event naming the respondent (the invitation's
responded_at is all there is): read beside the results, it would say what
they answered. Comments are chosen and published once the survey has closed.
The results themselves, with the suppression of small groups, are read in
impact.survey_results.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

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

from .models import Answer, Question, Survey, SurveyInvitation, SurveyReminder

# Reminders to people who have not answered (issue 6): at most two, at least
# five days after the invitation and after each other.
MAX_REMINDERS = SurveyReminder.MAX
REMINDER_GAP_DAYS = 5
# An annual survey of client heads asks the heads of schools whose deployment
# is active, or ended within this many days of the survey opening.
RECENT_DEPLOYMENT_DAYS = 365

Status = Survey.Status
Audience = Survey.Audience


class SurveyError(DomainError):
    """A change the rules do not allow; the message is for the person who tried."""


# --- who may do what ------------------------------------------------------------------
# One rule each. A service raises the refusal; a page shows the action only
# when there is none. No query, except can_open's "has questions".


def is_adviser_of(user: User, survey: Survey) -> bool:
    """One query per user and survey instance: a page asking it for every
    comment of the survey (can_publish) asks the database once."""
    if not user.is_authenticated:
        return False
    known = survey.__dict__.setdefault("_advised_by", {})
    if user.pk not in known:
        known[user.pk] = user.advises(survey.local_authority_id)
    return known[user.pk]


def found_by_adviser(survey: Survey, user: User) -> Survey:
    """Record that `survey` was looked up through `user`'s own LAs
    (Survey.objects.for_adviser, by a page only advisers open): they advise
    it, and the predicates need not ask the database again."""
    survey.__dict__.setdefault("_advised_by", {})[user.pk] = True
    return survey


def results_shown(survey: Survey) -> bool:
    """Whether any result of the survey (figures, comments) may be shown: only
    once it has closed, when no answer can be added or changed. Every page,
    report and admin asks this; none decides for itself."""
    return survey.status == Status.CLOSED


def questions_editable(survey: Survey | None) -> bool:
    """Its questions, audience, kind and opening day can change only while a
    draft: once the invitations are out, every answer is to the question as
    it was asked. (None: a survey being added.)"""
    return survey is None or survey.status == Status.DRAFT


def can_delete(survey: Survey | None) -> bool:
    """A survey that has invited people keeps its record; a draft can go."""
    return survey is None or survey.status == Status.DRAFT


def open_refusal(survey: Survey, by: User | None) -> str | None:
    """Why `by` (None: the system) may not open the survey now, or None."""
    if survey.status != Status.DRAFT:
        return f"This survey is {survey.get_status_display().lower()}; only a draft can be opened."
    if by is not None and not is_adviser_of(by, survey):
        return "Only the adviser of this local authority can open the survey."
    if survey.closes_on < timezone.localdate():
        return f"This survey's closing date ({survey.closes_on:%-d %B %Y}) has passed. Change it first."
    if not survey.questions.exists():
        return "Add at least one question before opening the survey."
    return None


def can_open(survey: Survey, user: User) -> bool:
    return open_refusal(survey, user) is None


def close_refusal(survey: Survey, by: User | None) -> str | None:
    if survey.status != Status.OPEN:
        return f"This survey is {survey.get_status_display().lower()}; only an open survey can be closed."
    if by is not None and not is_adviser_of(by, survey):
        return "Only the adviser of this local authority can close the survey."
    return None


def can_close(survey: Survey, user: User) -> bool:
    return close_refusal(survey, user) is None


def answer_refusal(invitation: SurveyInvitation, by: User) -> str | None:
    if invitation.user_id != by.pk:
        return "Only the person invited can answer this survey."
    if not invitation.survey.accepts_answers:
        return "This survey has closed: answers can no longer be changed."
    return None


def can_answer(invitation: SurveyInvitation, user: User) -> bool:
    return answer_refusal(invitation, user) is None


def publish_refusal(answer: Answer, by: User) -> str | None:
    """Reads answer.question.survey and answer.invitation."""
    survey = answer.question.survey
    if not is_adviser_of(by, survey):
        return "Only the adviser of this local authority can publish comments."
    if not results_shown(survey):
        return "Comments can be published once the survey has closed."
    if answer.question.kind != Question.Kind.TEXT or not answer.text:
        return "Only comments (free-text answers) can be published."
    if not answer.invitation.consent_to_publish:
        return "The respondent did not agree to their comments being published."
    if answer.published_at:
        return "This comment is already published."
    return None


def can_publish(answer: Answer, user: User) -> bool:
    return publish_refusal(answer, user) is None


def unpublish_refusal(answer: Answer, by: User) -> str | None:
    if not is_adviser_of(by, answer.question.survey):
        return "Only the adviser of this local authority can unpublish comments."
    if not answer.published_at:
        return "This comment is not published."
    return None


def can_unpublish(answer: Answer, user: User) -> bool:
    return unpublish_refusal(answer, user) is None


def _refuse(refusal: str | None) -> None:
    if refusal is not None:
        raise SurveyError(refusal)


def _lock(survey: Survey) -> Survey:
    return Survey.objects.select_for_update(of=("self",)).select_related("local_authority").get(pk=survey.pk)


# --- who is asked ---------------------------------------------------------------------


def lle_users(local_authority: LocalAuthority) -> QuerySet:
    """Active, trained LLEs whose school is in the LA."""
    return User.objects.filter(
        is_active=True,
        lle_profile__in=LLEProfile.objects.deployable().filter(school__local_authority=local_authority),
    )


def client_deployments(local_authority: LocalAuthority, *, on: date) -> QuerySet:
    """Deployments of the LA that have begun: active, or ended within the last year."""
    recent = Q(status__in=Deployment.FINISHED, finished_at__date__gte=on - timedelta(days=RECENT_DEPLOYMENT_DAYS))
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
    _refuse(open_refusal(survey, by))
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
    _refuse(close_refusal(survey, by))
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
        Deployment.objects.finished().filter(
            client_school__local_authority=survey.local_authority_id,
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
        .filter(Survey.accepting_answers_q(today, "survey__"),
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
            if invitation.responded_at or not survey.accepts_answers_on(today):
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
    _refuse(answer_refusal(invitation, by))
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
    _refuse(publish_refusal(answer, by))
    answer.published_at = timezone.now()
    answer.published_by = by
    answer.save(update_fields=["published_at", "published_by"])
    audit_record(verb="survey.comment_published", target=survey, actor=by, data={"answer": answer.pk})
    return answer


@transaction.atomic
def comment_unpublish(*, answer: Answer, by: User) -> Answer:
    answer = _lock_answer(answer)
    survey = answer.question.survey
    _refuse(unpublish_refusal(answer, by))
    answer.published_at = None
    answer.published_by = None
    answer.save(update_fields=["published_at", "published_by"])
    audit_record(verb="survey.comment_unpublished", target=survey, actor=by, data={"answer": answer.pk})
    return answer
