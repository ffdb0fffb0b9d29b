"""The headteacher's pages: the public programme page, the application as a
task list, one page per section (with autosave), *Check your answers*,
submission, the status page and withdrawal.

Views are thin: they check access, bind a form, call a service in
applications.services and redirect. Every lookup of an application goes through
the signed-in head (`_own_application`), so another head's id is a 404. What
the pages say (answers, status, stages, timeline) is applications.presenters;
which actions they offer is applications.rules, as the services decide.
Staff pages are in staff_views (applications/staff_urls.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lle_portal.access import AuthenticatedHttpRequest, role_required
from lle_portal.models import User
from lle_portal.service_calls import add_to_form, attempt

from . import references, rules, services
from .eligibility import CRITERIA, OfficialData, eligibility_for
from .forms import SECTION_FORMS, PerformanceSectionForm, RefereeForm, SchoolSectionForm, SubmitForm, WithdrawForm
from .models import Application, ApplicationRound, LinkRequest, RefereeNomination
from .presenters import (
    answer_rows,
    answers_summary,
    decision_told,
    has_referee,
    link_request_rows,
    official_results,
    round_priorities,
    round_state,
    serving_lle,
    stages,
    status_in_words,
    timeline,
    uk_datetime,
)
from .sections import COMPLETED, SECTIONS, SECTIONS_BY_KEY, Section, section_status
from .sections import task_list as section_tasks

HEADTEACHER = User.Role.HEADTEACHER
Status = Application.Status

# The eligibility criteria each section's answers decide, shown on that section's page.
SECTION_CRITERIA = {
    "school": ("headship",),
    "performance": ("inspection", "performance", "floor_standard"),
    "offer": ("senior_team",),
    "approvals": ("approvals",),
}


def _referee_role(round: ApplicationRound) -> str:
    role = round.default_referee_role
    return role if role in RefereeNomination.Role.values else RefereeNomination.Role.LA_OFFICER


# --- lookups -------------------------------------------------------------------------


def _own_application(request: HttpRequest, pk: int) -> Application:
    """The signed-in head's application, with what every page of it reads."""
    queryset = Application.objects.select_related("round", "school", "referee", "applicant").prefetch_related(
        "verifications", "round__local_authorities"
    )
    return get_object_or_404(queryset, pk=pk, applicant=request.user)


def _section_or_404(key: str) -> Section:
    section = SECTIONS_BY_KEY.get(key)
    if section is None:
        raise Http404("No such section.")
    return section


def _refuse_change(request: HttpRequest, application: Application) -> HttpResponse:
    messages.error(request, f"Your application is {application.get_status_display().lower()}, "
                            "so its answers can no longer be changed.")
    return redirect("applications:detail", pk=application.pk)


# --- the public programme page -----------------------------------------------------


@dataclass
class RoundView:
    round: ApplicationRound
    state: str
    state_text: str
    priorities: list[str]
    application: Application | None


def programme(request: HttpRequest) -> HttpResponse:
    """What an LLE is, the criteria, and each current round in plain words."""
    now = timezone.now()
    rounds = list(
        ApplicationRound.objects.filter(closes_at__gt=now).prefetch_related("local_authorities", "contacts")
        .order_by("opens_at")
    )
    if not any(r.opens_at <= now for r in rounds):
        # No round open: say when the last one closed, and that the next will be announced here.
        last = (ApplicationRound.objects.filter(closes_at__lte=now)
                .prefetch_related("local_authorities", "contacts").first())
        rounds = ([last] if last else []) + rounds
    mine: dict[int, Application] = {}
    is_head = False
    lle = None
    if request.user.is_authenticated and request.user.is_headteacher:
        is_head = True
        mine = {a.round_id: a for a in request.user.applications.filter(round__in=rounds)}
        lle = serving_lle(request.user)
    views = [
        RoundView(r, r.state, round_state(r, now), round_priorities(r), mine.get(r.pk))
        for r in rounds
    ]
    return render(request, "applications/programme.html", {
        "rounds": views,
        "criteria": CRITERIA,
        "sponsor_roles": RefereeNomination.Role.labels,
        "is_head": is_head,
        "lle": lle,
    })


@role_required(HEADTEACHER)
@require_POST
def start(request: AuthenticatedHttpRequest, round_pk: int) -> HttpResponse:
    round = get_object_or_404(ApplicationRound, pk=round_pk)
    try:
        application = services.application_start(round=round, applicant=request.user)
    except services.ApplicationError as error:
        messages.error(request, str(error))
        return redirect("applications:programme")
    return redirect("applications:task_list", pk=application.pk)


@role_required(HEADTEACHER)
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The head's application in the open round, else their latest; else the programme page."""
    applications = list(request.user.applications.select_related("round").order_by("-round__opens_at"))
    if not applications:
        return redirect("applications:programme")
    application = next((a for a in applications if a.round.is_open()), applications[0])
    if application.is_editable:
        return redirect("applications:task_list", pk=application.pk)
    return redirect("applications:detail", pk=application.pk)


# --- the task list ---------------------------------------------------------------------


PART_TITLES = {
    "Part A": "Part A: you and your school",
    "Part B": "Part B: evidence of your leadership",
    "Approvals": "Approvals",
    "Sponsor": "Your sponsor",
}


@role_required(HEADTEACHER)
def task_list(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if not application.is_editable:
        return redirect("applications:detail", pk=application.pk)
    tasks = section_tasks(application)
    groups: dict[str, list[dict]] = defaultdict(list)
    for task in tasks:
        task["url"] = reverse("applications:section", args=[application.pk, task["key"]])
        groups[PART_TITLES[task["part"]]].append(task)
    completed = sum(1 for t in tasks if t["status"] == COMPLETED)
    all_done = completed == len(tasks)
    check_task = {
        "title": "Check your answers and submit",
        "url": reverse("applications:check", args=[application.pk]) if all_done else "",
        "status": "Not started" if all_done else "Cannot start yet",
        "hint": "" if all_done else "Complete every section first.",
    }
    return render(request, "applications/task_list.html", {
        "application": application,
        "groups": [
            {"number": n, "title": title, "tasks": items, "prefix": f"part-{n}"}
            for n, (title, items) in enumerate(groups.items(), start=1)
        ],
        "check_number": len(groups) + 1,
        "completed": completed,
        "total": len(tasks),
        "all_done": all_done,
        "check_tasks": [check_task],
        "eligibility": eligibility_for(application),
        "round_open": application.round.is_open(),
        "closes": uk_datetime(application.round.closes_at),
    })


# --- a section -------------------------------------------------------------------------


def _section_context(application: Application, section: Section, form=None, **extra) -> dict[str, Any]:
    official = getattr(form, "official", None) or OfficialData.for_schools([application.school_id])
    eligibility = eligibility_for(application, official)
    context = {
        "application": application,
        "section": section,
        "form": form,
        "criteria": [eligibility[key] for key in SECTION_CRITERIA.get(section.key, ())],
        "readonly": form is None,
        "rows": answer_rows(application, section),
        "autosave_url": (reverse("applications:autosave", args=[application.pk, section.key])
                         if section.key in SECTION_FORMS else ""),
        "updated_at": application.updated_at.isoformat(),
        "return_to": extra.pop("return_to", ""),
        **extra,
    }
    if section.key == "performance":
        school_id = application.school_id
        context["latest_inspection"] = official.inspections.get(school_id) if school_id is not None else None
        context["result_tables"] = official_results(official, school_id)
    if section.key == "referee":
        context["default_referee"] = application.round.default_referee_name and application.round.default_referee_email
    return context


def _after_save(request: HttpRequest, application: Application, return_to: str, section: Section) -> HttpResponse:
    """"Save and continue": back to Check your answers when the head came from
    there, else on to the next section, and after the last one the task list."""
    if return_to == "check":
        return redirect("applications:check", pk=application.pk)
    keys = [s.key for s in SECTIONS]
    position = keys.index(section.key)
    if position + 1 < len(keys):
        return redirect("applications:section", pk=application.pk, key=keys[position + 1])
    return redirect("applications:task_list", pk=application.pk)


@role_required(HEADTEACHER)
@require_http_methods(["GET", "POST"])
def section(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    application = _own_application(request, pk)
    section = _section_or_404(key)
    if request.method == "POST" and not rules.can_change_section(application, request.user, key):
        return _refuse_change(request, application)
    return_to = request.POST.get("return") or request.GET.get("return", "")
    return_to = "check" if return_to == "check" else ""
    if key == "referee":
        return _referee_section(request, application, section, return_to)

    form_class = SECTION_FORMS[key]
    template = "applications/section.html"
    if request.method == "GET":
        form = _form(form_class, application=application) if rules.can_change_answers(application, request.user) \
            else None
        return render(request, template, _section_context(application, section, form, return_to=return_to))

    action = request.POST.get("action", "continue")
    if action == SchoolSectionForm.FIND and form_class is SchoolSectionForm:
        # Save what is valid (nothing typed is lost), then list the schools found.
        application = _save_valid_answers(request, application, section)
        form = SchoolSectionForm.keeping_typed_values(request.POST, application=application)
        return render(request, template, _section_context(application, section, form, return_to=return_to))

    form = _form(form_class, request.POST, application=application, partial=(action == "later"))
    if form.is_valid():
        application = services.application_save(
            application=application, section=key, data=form.answers(), by=request.user
        )
        if action == "later":
            messages.success(request, "Your answers have been saved. You can come back to them at any time.")
            return redirect("applications:task_list", pk=application.pk)
        messages.success(request, f"Saved: {section.title}.")
        return _after_save(request, application, return_to, section)
    # Keep every answer that is valid on its own; the page shows the rest, as typed, with its error.
    application = _save_valid_answers(request, application, section)
    return render(request, template, _section_context(application, section, form, return_to=return_to), status=200)


def _form(form_class, *args, application: Application, **kwargs):
    """A section's form; the performance section's with the official data it
    pre-fills from, which the page then shows too (loaded once)."""
    if form_class is PerformanceSectionForm:
        kwargs["official"] = OfficialData.for_schools([application.school_id])
    return form_class(*args, application=application, **kwargs)


def _save_valid_answers(request: AuthenticatedHttpRequest, application: Application, section: Section) -> Application:
    partial = SECTION_FORMS[section.key](request.POST, application=application, partial=True)
    partial.is_valid()
    answers = partial.answers()
    if not answers:
        return application
    services.application_save(application=application, section=section.key, data=answers, by=request.user)
    # Re-read with the related rows the page shows.
    return _own_application(request, application.pk)


def _referee_section(
    request: AuthenticatedHttpRequest, application: Application, section: Section, return_to: str
) -> HttpResponse:
    """The sponsor (docs/programme.md §5.1). Saved whole by referee_nominate: a half-typed
    sponsor is kept in the browser (autosave.js) and in the page, not in the database."""
    template = "applications/section.html"
    nomination = application.referee if has_referee(application) else None
    round = application.round
    if request.method == "GET":
        editable = rules.can_change_section(application, request.user, "referee")
        form = RefereeForm(initial=RefereeForm.initial_from(nomination), application=application) if editable \
            else None
        return render(request, template, _section_context(application, section, form, return_to=return_to))

    action = request.POST.get("action", "continue")
    if action == "use_default" and round.default_referee_email:
        details: dict[str, object] | None = {
            "name": round.default_referee_name,
            "email": round.default_referee_email.lower(),
            "role": _referee_role(round),
            "organisation": round.default_referee_organisation or ", ".join(
                la.name for la in round.local_authorities.all()),
            "relationship": "The local authority's referee for this round.",
            "is_round_default": True,
        }
        form = RefereeForm(initial=details)
    else:
        form = RefereeForm(request.POST, application=application)
        details = {**form.cleaned_data, "is_round_default": False} if form.is_valid() else None
    if details is not None:
        unchanged = nomination is not None and all(
            getattr(nomination, name) == value for name, value in details.items())
        try:
            if not unchanged:
                # Only a real change is nominated (and audited); saving the same sponsor again is a no-op.
                services.referee_nominate(application=application, by=request.user, **details)
        except services.ApplicationError as error:
            form = RefereeForm(request.POST if action != "use_default" else None, initial=details)
            form.is_valid()
            form.add_error("email" if "email" in str(error).lower() else None, str(error))
        else:
            messages.success(request, f"{details['name']} is your sponsor.")
            if not application.is_editable:
                return redirect("applications:detail", pk=application.pk)
            if action == "later":
                return redirect("applications:task_list", pk=application.pk)
            return _after_save(request, application, return_to, section)
    return render(request, template, _section_context(application, section, form, return_to=return_to))


@role_required(HEADTEACHER)
@require_POST
def autosave(request: AuthenticatedHttpRequest, pk: int, key: str) -> JsonResponse:
    """Called by static/js/autosave.js as the head types: saves each field that
    is valid on its own, and says which were not saved and why."""
    application = _own_application(request, pk)
    section = _section_or_404(key)
    form_class = SECTION_FORMS.get(key)
    if form_class is None:
        raise Http404("This section is saved with its buttons.")
    if not rules.can_change_answers(application, request.user):
        return JsonResponse({"error": "Your application has been submitted, so it can no longer be changed."},
                            status=409)
    form = form_class(request.POST, application=application, partial=True)
    form.is_valid()
    answers = form.answers()
    try:
        if answers:
            application = services.application_save(
                application=application, section=key, data=answers, by=request.user)
    except services.ApplicationError as error:
        return JsonResponse({"error": str(error)}, status=409)
    local = timezone.localtime(application.updated_at)
    return JsonResponse({
        "saved": sorted(answers),
        "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()},
        "warnings": form.over_limit(),
        "saved_at": f"{local:%H:%M}",
        "updated_at": application.updated_at.isoformat(),
        "section_status": section_status(application, section),
    })


# --- check your answers and submit -----------------------------------------------------


@role_required(HEADTEACHER)
@require_http_methods(["GET", "POST"])
def check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    eligibility = eligibility_for(application)
    needs_working_towards = bool(eligibility.not_met)
    summary = answers_summary(application)
    incomplete = [item for item in summary if item["status"] != COMPLETED]
    form = None
    if application.is_editable:
        data = request.POST if request.method == "POST" else None
        form = SubmitForm(data, needs_working_towards=needs_working_towards)
        if request.method == "POST" and form.is_valid() and add_to_form(form, lambda: services.application_submit(
                application=application, by=request.user,
                working_towards=form.cleaned_data.get("working_towards", False),
                notes=form.cleaned_data.get("working_towards_notes", ""),
        )):
            return redirect("applications:submitted", pk=application.pk)
    elif request.method == "POST":
        return _refuse_change(request, application)
    return render(request, "applications/check.html", {
        "application": application,
        "summary": summary,
        "incomplete": incomplete,
        "eligibility": eligibility,
        "form": form,
        "closes": uk_datetime(application.round.closes_at),
        "round_open": application.round.is_open(),
        "can_submit": rules.can_submit(application, request.user),
    })


@role_required(HEADTEACHER)
def submitted(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if application.status == Status.DRAFT:
        return redirect("applications:task_list", pk=application.pk)
    return render(request, "applications/submitted.html", {
        "application": application,
        "stages": stages(application),
    })


# --- the status page ----------------------------------------------------------------------


@role_required(HEADTEACHER)
@require_POST
def send_request(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    """"Send request now": email the sponsor (or the chair) before submitting."""
    application = _own_application(request, pk)
    if kind not in LinkRequest.Kind.values:
        raise Http404("No such request.")
    try:
        link_request = references.link_request_send_now(application=application, kind=kind, by=request.user)
    except references.ReferenceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"We have emailed {link_request.recipient_name} a link to answer.")
    return redirect("applications:detail", pk=application.pk)


@role_required(HEADTEACHER)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    headline, explanation = status_in_words(application)
    link_requests = link_request_rows(application)
    for row in link_requests:
        row["can_send"] = rules.can_send_request(application, request.user, row["kind"], row["latest"])
    return render(request, "applications/detail.html", {
        "application": application,
        "headline": headline,
        "explanation": explanation,
        "timeline": timeline(application),
        "stages": stages(application) if application.status != Status.WITHDRAWN else [],
        "nomination": application.referee if has_referee(application) else None,
        "can_withdraw": rules.can_withdraw(application, request.user),
        "decision_told": decision_told(application),
        "link_requests": link_requests,
        "can_replace_sponsor": application.can_replace_sponsor(),
    })


@role_required(HEADTEACHER)
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if not rules.can_withdraw(application, request.user):
        messages.error(request, f"This application is {application.get_status_display().lower()} "
                                "and can no longer be withdrawn.")
        return redirect("applications:detail", pk=application.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        attempt(request, lambda: services.application_withdraw(
            application=application, by=request.user, reason=form.cleaned_data["reason"]),
            success="Your application has been withdrawn.")
        return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/withdraw.html", {"application": application, "form": form})

