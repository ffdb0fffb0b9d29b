"""Survey pages.

A headteacher (an LLE or a client head) sees the surveys they are invited to
and answers them; their invitation is looked up through them, so anyone
else's is a 404. The adviser sees the surveys of their local authorities
(another LA's: 404), their results in aggregate, and publishes comments
whose respondents agreed. Surveys are built and opened in the Django admin.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lle_portal.academic_years import academic_year_label, academic_year_of
from lle_portal.access import AuthenticatedHttpRequest, role_required
from lle_portal.models import User

from . import surveys
from .models import Answer, Survey, SurveyInvitation
from .survey_forms import SurveyAnswerForm
from .survey_results import (
    MIN_GROUP_SIZE,
    SUPPRESSED_TEXT,
    ResponseRate,
    consented_comments,
    programme_survey_results,
)
from .survey_results import survey_results as results_of
from .surveys import SurveyError

ADVISER = User.Role.ADVISER
HEADTEACHER = User.Role.HEADTEACHER
PAGE_SIZE = 25


# --- the respondent's pages ---------------------------------------------------------------


def _my_invitations(request: AuthenticatedHttpRequest):
    return (
        SurveyInvitation.objects.filter(user=request.user)
        .select_related("survey__local_authority", "deployment__client_school", "deployment__lle__user")
    )


@role_required(HEADTEACHER)
def survey_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My surveys: to answer, answered (still editable), closed."""
    still_open = Survey.accepting_answers_q(timezone.localdate(), "survey__")
    invitations = _my_invitations(request)
    to_answer = list(invitations.filter(still_open, responded_at__isnull=True).order_by("survey__closes_on", "pk"))
    answered = list(invitations.filter(still_open, responded_at__isnull=False).order_by("survey__closes_on", "pk"))
    closed = invitations.exclude(still_open).order_by("-survey__closes_on", "-pk")
    page = Paginator(closed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "impact/surveys/my_surveys.html", {
        "to_answer": to_answer, "answered": answered, "page": page,
    })


@role_required(HEADTEACHER)
def survey_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(_my_invitations(request), pk=pk)
    survey = invitation.survey
    questions = list(survey.questions.all())
    answers = list(invitation.answers.all())
    refusal = surveys.answer_refusal(invitation, request.user)
    editable = refusal is None
    form = SurveyAnswerForm(request.POST if request.method == "POST" and editable else None,
                            invitation=invitation, questions=questions, answers=answers)
    if request.method == "POST" and editable and form.is_valid():
        first = invitation.responded_at is None
        try:
            surveys.answers_submit(
                invitation=invitation, by=request.user, answers=form.answers(),
                consent_to_publish=form.cleaned_data.get("consent_to_publish", False),
            )
        except SurveyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you: your answers are saved. You can change them until the survey "
                                      f"closes on {survey.closes_on:%-d %B %Y}." if first else
                             "Your answers are updated.")
            return redirect("impact:survey_list")
    elif request.method == "POST" and refusal is not None:
        messages.error(request, refusal)
    return render(request, "impact/surveys/answer.html", {
        "invitation": invitation, "survey": survey, "form": form, "editable": editable,
        "read_only_answers": [] if editable else _answers_shown(questions, answers),
    })


def _answers_shown(questions, answers) -> list[tuple]:
    """(question, the answer in words) for a closed survey's read-only page."""
    given = {a.question_id: a for a in answers}
    shown = []
    for question in questions:
        answer = given.get(question.pk)
        if answer is None:
            words = ""
        elif answer.scale is not None:
            words = answer.get_scale_display()
        elif answer.yes is not None:
            words = "Yes" if answer.yes else "No"
        else:
            words = answer.text
        shown.append((question, words))
    return shown


# --- the adviser's pages -----------------------------------------------------------------


def _advisers_surveys(request: AuthenticatedHttpRequest):
    return Survey.objects.for_adviser(request.user).select_related("local_authority")


@role_required(ADVISER)
def staff_survey_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The surveys of the adviser's local authorities, with their response rates."""
    rows = _advisers_surveys(request).annotate(
        invited=Count("invitations", distinct=True),
        responded=Count("invitations", filter=Q(invitations__responded_at__isnull=False), distinct=True),
    ).order_by("-closes_on", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for survey in page.object_list:
        survey.rate = ResponseRate(invited=survey.invited, responded=survey.responded)
    return render(request, "impact/surveys/staff_list.html", {"page": page})


@role_required(ADVISER)
def survey_results(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    survey = surveys.found_by_adviser(get_object_or_404(_advisers_surveys(request), pk=pk), request.user)
    results = results_of(survey)
    comments = None
    # Nothing but the response rate until the survey closes (surveys.results_shown).
    if not results.suppressed:
        comments = Paginator(consented_comments(survey), PAGE_SIZE).get_page(request.GET.get("page"))
        for answer in comments.object_list:
            answer.question.survey = survey  # one adviser check for the page (surveys.is_adviser_of)
            answer.publishable = surveys.can_publish(answer, request.user)
            answer.unpublishable = surveys.can_unpublish(answer, request.user)
    year = academic_year_of(survey.closes_on)
    return render(request, "impact/surveys/results.html", {
        "survey": survey, "results": results, "comments": comments,
        "year": year, "year_label": academic_year_label(year),
        "programme": programme_survey_results(local_authority=survey.local_authority, year=year),
        "suppressed_text": SUPPRESSED_TEXT, "min_group": MIN_GROUP_SIZE,
        "admin_url": reverse("admin:impact_survey_change", args=[survey.pk]),
        "admin_list_url": reverse("admin:impact_survey_changelist"),
        # What the adviser may do to it, in the admin (the same rules as the services).
        "open_refusal": (refusal := surveys.open_refusal(survey, request.user)),
        "can_open": refusal is None,
        "can_close": surveys.can_close(survey, request.user),
    })


def _comment_action(request: AuthenticatedHttpRequest, pk: int, answer_pk: int, call, done: str) -> HttpResponse:
    survey = get_object_or_404(_advisers_surveys(request), pk=pk)
    answer = get_object_or_404(Answer.objects.filter(question__survey=survey), pk=answer_pk)
    try:
        call(answer)
    except SurveyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() else ""
    return redirect(f"{reverse('impact:survey_results', args=[survey.pk])}{query}#comment-{answer.pk}")


@role_required(ADVISER)
@require_POST
def comment_publish(request: AuthenticatedHttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    return _comment_action(request, pk, answer_pk,
                           lambda answer: surveys.comment_publish(answer=answer, by=request.user),
                           "The comment is published.")


@role_required(ADVISER)
@require_POST
def comment_unpublish(request: AuthenticatedHttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    return _comment_action(request, pk, answer_pk,
                           lambda answer: surveys.comment_unpublish(answer=answer, by=request.user),
                           "The comment is no longer published.")
