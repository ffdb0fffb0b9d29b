"""The headteacher's pages: the public programme page, the application as a
task list, one page per section (with autosave), *Check your answers*,
submission, the status page and withdrawal.

Views are thin: they check access, bind a form, call a service in
applications.services and redirect. Every lookup of an application goes through
the signed-in head (`_own_application`), so another head's id is a 404.
Staff pages are in staff_views (applications/staff_urls.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lle_portal.access import AuthenticatedHttpRequest, role_required
from lle_portal.forms import school_label
from lle_portal.imports.measures import MEASURES, measure_label
from lle_portal.models import AuditEvent, OutgoingEmail, User

from . import references, services
from .eligibility import CRITERIA, OfficialData, eligibility_for
from .forms import SECTION_FORMS, PerformanceSectionForm, RefereeForm, SchoolSectionForm, SubmitForm, WithdrawForm
from .models import (
    Application,
    ApplicationRound,
    Grade,
    LinkRequest,
    LLEProfile,
    Phase,
    RefereeNomination,
    Specialism,
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
# Mirrors services.application_withdraw, which has the final say.
WITHDRAWABLE = (Status.DRAFT, Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED)
# The panel's decision is told to the head by email on or after the round's
# decisions-by date (services.decisions_send); until then the pages say "with the panel".
DECIDED = (Status.DESIGNATED, Status.NOT_DESIGNATED, Status.DEFERRED)


# --- words and dates ---------------------------------------------------------------


def uk_datetime(value: datetime) -> str:
    """'Friday 6 January 2027 at 17:00', in UK time whatever the season (GMT or BST)."""
    local = timezone.localtime(value)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def uk_date(value: date | None, missing: str = "To be confirmed") -> str:
    if value is None:
        return missing
    return f"{value:%A} {value.day} {value:%B %Y}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def round_state(round: ApplicationRound, now: datetime | None = None) -> str:
    """The round's state in plain words (docs/programme.md §2.1: "closed, the next round will be announced here")."""
    now = now or timezone.now()
    if now < round.opens_at:
        return f"Opens on {uk_datetime(round.opens_at)} — closes on {uk_datetime(round.closes_at)}"
    if now < round.closes_at:
        # The badge beside it already says "Open": this line says until when.
        return f"Closes on {uk_datetime(round.closes_at)}"
    return "Closed — the next round will be announced here"


def round_priorities(round: ApplicationRound) -> list[str]:
    """What the LA most wants this round (docs/programme.md §2.3: Norfolk wants secondary heads)."""
    names = [la.name for la in round.local_authorities.all()]
    who = _join(names) if names else "The local authority"
    wants = "particularly want" if len(names) > 1 else "particularly wants"
    lines = []
    phases = [Phase(p).label.lower() for p in round.priority_phases if p in Phase.values]
    if phases:
        lines.append(f"{who} {wants} {_join(phases)} headteachers.")
    specialisms = [Specialism(s).label.lower() for s in round.priority_specialisms if s in Specialism.values]
    if specialisms:
        lines.append(f"Headteachers who offer {_join(specialisms)} are especially welcome.")
    if round.priority_notes.strip():
        lines.append(round.priority_notes.strip())
    return lines


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


def serving_lle(user) -> LLEProfile | None:
    """The head's own LLE profile while they serve: a designated LLE is not
    offered an application to become one."""
    return LLEProfile.objects.filter(user=user, is_active=True).first()


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


# --- the answers, for Check your answers and read-only sections ---------------------


def _display(application: Application, name: str) -> str:
    value = getattr(application, name)
    if name == "school":
        return school_label(application.school) if application.school else ""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, Decimal):
        return f"{value.normalize():f} year{'s' if value != 1 else ''}"
    if name == "specialisms":
        return ", ".join(Specialism(v).label for v in value if v in Specialism.values)
    if name in ("declared_overall_effectiveness", "declared_leadership"):
        return Grade(value).label
    display = getattr(application, f"get_{name}_display", None)
    return str(display()) if display else str(value)


def answer_rows(application: Application, section: Section) -> list[dict[str, Any]]:
    """Each question of a section with the head's answer in words."""
    if section.key == "referee":
        nomination = getattr(application, "referee", None) if _has_referee(application) else None
        labels = RefereeForm.base_fields
        return [
            {"label": labels[name].label, "value": "" if nomination is None else (
                nomination.get_role_display() if name == "role" else getattr(nomination, name)), "field": name}
            for name in RefereeForm.FIELDS
        ]
    form_class = SECTION_FORMS[section.key]
    return [
        {"label": form_class.base_fields[name].label, "value": _display(application, name), "field": name}
        for name in section.fields if not _other_scale(application, name)
    ]


def _other_scale(application: Application, name: str) -> bool:
    """A leadership question on the scale the head did not answer on (a
    report card's, or the 1-4 grade's): not asked, so not listed."""
    if name == "declared_report_card_leadership":
        return application.declared_report_card_leadership is None
    if name in ("declared_overall_effectiveness", "declared_leadership"):
        return application.declared_report_card_leadership is not None and getattr(application, name) is None
    return False


def _has_referee(application: Application) -> bool:
    try:
        return application.referee is not None
    except RefereeNomination.DoesNotExist:
        return False


def _summary(application: Application) -> list[dict[str, Any]]:
    return [
        {
            "section": s,
            "status": section_status(application, s),
            "rows": answer_rows(application, s),
            "change_url": reverse("applications:section", args=[application.pk, s.key]) + "?return=check",
        }
        for s in SECTIONS
    ]


# --- a section -------------------------------------------------------------------------


def _official_results(official: OfficialData, school_id: int | None) -> list[dict[str, Any]]:
    """The school's published results for the last three years, one table per key stage."""
    school_results = official.results.get(school_id) if school_id else None
    tables = []
    for stage, by_year in sorted(school_results.by_key_stage.items()) if school_results else []:
        years = sorted(by_year)[-3:]
        measures = {m for values in by_year.values() for m in values}
        order = [m for m in MEASURES if m in measures] + sorted(m for m in measures if m not in MEASURES)
        rows = []
        for measure in order:
            cells = []
            for year in years:
                value = by_year[year].get(measure)
                marker = school_results.marker(stage, year, measure)  # type: ignore[union-attr]
                if value is None:
                    cells.append(f"Not published ({marker})" if marker else "Not published")
                else:
                    suffix = "%" if MEASURES.get(measure) and MEASURES[measure].is_percentage else ""
                    cells.append(f"{value.normalize():f}{suffix}")
            rows.append({"label": measure_label(measure), "cells": cells})
        tables.append({"key_stage": stage, "years": years, "rows": rows})
    return tables


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
        context["latest_inspection"] = official.inspections.get(application.school_id)  # type: ignore[arg-type]
        context["result_tables"] = _official_results(official, application.school_id)
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
    if request.method == "POST" and not _section_editable(application, key):
        return _refuse_change(request, application)
    return_to = request.POST.get("return") or request.GET.get("return", "")
    return_to = "check" if return_to == "check" else ""
    if key == "referee":
        return _referee_section(request, application, section, return_to)

    form_class = SECTION_FORMS[key]
    template = "applications/section.html"
    if request.method == "GET":
        form = _form(form_class, application=application) if application.is_editable else None
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


def _section_editable(application: Application, key: str) -> bool:
    # A submitted application is read-only, except that a head whose sponsor
    # declined (or never answered) names another one.
    return application.is_editable or (key == "referee" and application.can_replace_sponsor())


def _referee_section(
    request: AuthenticatedHttpRequest, application: Application, section: Section, return_to: str
) -> HttpResponse:
    """The sponsor (docs/programme.md §5.1). Saved whole by referee_nominate: a half-typed
    sponsor is kept in the browser (autosave.js) and in the page, not in the database."""
    template = "applications/section.html"
    nomination = application.referee if _has_referee(application) else None
    round = application.round
    if request.method == "GET":
        editable = _section_editable(application, "referee")
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
    if not application.is_editable:
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
    summary = _summary(application)
    incomplete = [item for item in summary if item["status"] != COMPLETED]
    form = None
    if application.is_editable:
        data = request.POST if request.method == "POST" else None
        form = SubmitForm(data, needs_working_towards=needs_working_towards)
        if request.method == "POST" and form.is_valid():
            try:
                application = services.application_submit(
                    application=application, by=request.user,
                    working_towards=form.cleaned_data.get("working_towards", False),
                    notes=form.cleaned_data.get("working_towards_notes", ""),
                )
            except services.ApplicationError as error:
                form.add_error(None, str(error))
            else:
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
    })


@role_required(HEADTEACHER)
def submitted(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if application.status == Status.DRAFT:
        return redirect("applications:task_list", pk=application.pk)
    return render(request, "applications/submitted.html", {
        "application": application,
        "stages": _stages(application),
    })


# --- the status page ----------------------------------------------------------------------


@dataclass
class TimelineEntry:
    when: datetime
    text: str

    @property
    def when_text(self) -> str:
        local = timezone.localtime(self.when)
        return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def _event_text(event: AuditEvent, application: Application) -> str | None:
    """What an audit event means to the applicant; None for what is not theirs to see."""
    verb, data = event.verb, event.data or {}
    by_someone_else = event.actor_id is not None and event.actor_id != application.applicant_id
    texts = {
        "application.started": "You started your application.",
        "application.submitted": "You submitted your application"
                                 + (f" (reference {application.reference_number})." if application.reference_number
                                    else "."),
        "referee.nominated": f"You named {data.get('referee', 'your sponsor')} as your sponsor.",
        "referee.changed": f"You changed your sponsor to {data.get('referee', 'someone else')}.",
        "application.la_approved": "The local authority approved your application.",
        "application.verified": "The adviser verified Part A of your application against official data.",
        "application.assessed": "Part B of your application was assessed.",
        "application.decision_emailed": "The designation panel's decision was sent to you.",
        "application.withdrawn": ("The adviser withdrew your application." if by_someone_else
                                  else "You withdrew your application."),
        # The reference's own text is for staff only: the head sees that it happened, never what it says.
        "reference.requested": "We asked your sponsor for their reference.",
        "reference.received": "Your sponsor gave their reference.",
        "reference.given": "Your sponsor gave their reference.",
        "reference.declined": "Your sponsor declined to give a reference.",
        "reference.expired": "Your sponsor's link to give a reference expired.",
        "approval.requested": "We asked your chair of governors for the governing body's approval.",
        "approval.received": "Your chair of governors answered for the governing body.",
        "approval.declined": "Your chair of governors did not give the governing body's approval.",
        "approval.expired": "Your chair of governors' link to give the approval expired.",
    }
    return texts.get(verb)


EMAIL_TEXTS = {
    "application_submitted": "We emailed you a confirmation with your reference number.",
    "application_decision": "We emailed you the designation panel's decision.",
}


def timeline(application: Application) -> list[TimelineEntry]:
    """What has happened, from the audit trail and the emails sent to the head (3 queries at most)."""
    application_type = ContentType.objects.get_for_model(Application)
    about = Q(content_type=application_type, object_id=str(application.pk))
    if _has_referee(application):
        about |= Q(content_type=ContentType.objects.get_for_model(RefereeNomination),
                   object_id=str(application.referee.pk))
    entries = []
    for event in AuditEvent.objects.filter(about).order_by("created_at", "pk"):
        text = _event_text(event, application)
        if text:
            entries.append(TimelineEntry(event.created_at, text))
    emails = OutgoingEmail.objects.filter(
        content_type=application_type, object_id=str(application.pk), to__iexact=application.applicant.email
    ).order_by("created_at")
    for email in emails:
        text = EMAIL_TEXTS.get(email.template, f"We emailed you: {email.subject}.")
        entries.append(TimelineEntry(email.sent_at or email.created_at, text))
    return sorted(entries, key=lambda e: e.when)


def decision_told(application: Application) -> bool:
    return application.status in DECIDED and application.decision_emailed_at is not None


def status_in_words(application: Application) -> tuple[str, str]:
    """(headline, explanation) of where the application is."""
    round = application.round
    decisions_by = uk_date(round.decisions_by)
    if application.status == Status.DRAFT:
        if round.is_open():
            return "Not submitted", f"You can change your answers and submit until {uk_datetime(round.closes_at)}."
        closed = uk_datetime(round.closes_at)
        return "Not submitted", f"The round closed on {closed}; this draft can no longer be submitted."
    if application.status == Status.SUBMITTED:
        return "Submitted", "The adviser is checking Part A of your application against official data."
    if application.status == Status.VERIFIED:
        return "Part A verified", "Part B of your application is being assessed."
    if application.status == Status.ASSESSED:
        return "Part B assessed", f"Your application goes to the designation panel. You will hear by {decisions_by}."
    if application.status in DECIDED and not decision_told(application):
        return "With the designation panel", f"You will hear the panel's decision by {decisions_by}."
    if application.status == Status.DESIGNATED:
        profile = LLEProfile.objects.filter(application=application).first()
        if profile is not None and profile.trained_on:
            # Said as it stands now, not as the decision email said it a year ago.
            return "Designated", (f"You were designated a Local Leader of Education on "
                                  f"{uk_date(profile.designated_on)} and completed your training on "
                                  f"{uk_date(profile.trained_on)}.")
        return "Designated", ("You have been designated as a Local Leader of Education. "
                              "Training follows within 6 to 8 weeks.")
    if application.status == Status.NOT_DESIGNATED:
        return "Not designated", "The panel did not designate you this round. Its reasons are in the email we sent you."
    if application.status == Status.DEFERRED:
        return "Deferred", "The panel deferred its decision. The email we sent you says what happens next."
    when = timezone.localtime(application.withdrawn_at) if application.withdrawn_at else None
    return "Withdrawn", f"This application was withdrawn{f' on {when.day} {when:%B %Y}' if when else ''}."


STAGE_ORDER: list[str] = [Status.DRAFT, Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED]


def _stages(application: Application) -> list[dict[str, str]]:
    """The assessment stages and training (docs/programme.md §6.1, §7.2), with the round's dates."""
    round = application.round
    status = application.status
    reached = STAGE_ORDER.index(status) if status in STAGE_ORDER else (4 if status in DECIDED else -1)
    told = decision_told(application)
    stages = [
        ("Submit your application",
         f"Submitted on {uk_datetime(application.submitted_at)}." if application.submitted_at
         else f"By {uk_datetime(round.closes_at)}.", reached >= 1),
        ("Verification of Part A", "The adviser checks your answers against official school data.", reached >= 2),
        ("Assessment of Part B", "Experienced professionals in school-to-school support assess your evidence.",
         reached >= 3),
        ("Review of your reference", "Your sponsor's reference is read by staff only.", reached >= 3),
        ("Designation panel", f"Decisions by {uk_date(round.decisions_by)}.", told),
    ]
    profile = LLEProfile.objects.filter(application=application).first() if status == Status.DESIGNATED else None
    if profile is not None and profile.trained_on:
        # Training is recorded by staff on the LLE profile: once it is, it is done.
        stages.append(("Induction and training", f"Training completed on {uk_date(profile.trained_on)}.", True))
    elif not (told and status != Status.DESIGNATED):
        # Training is recorded by staff on the LLE profile; here it is only what comes next.
        stages.append((
            "Induction and training",
            f"Induction: {uk_date(round.induction_date)}. Training starts: {uk_date(round.training_starts)}. "
            "Training is completed within 6 to 8 weeks of the decision.",
            False,
        ))
    result = []
    current_found = False
    for title, detail, done in stages:
        if done:
            state = "Done"
        elif not current_found and status != Status.WITHDRAWN:
            state, current_found = "Now", True
        else:
            state = "To come"
        result.append({"title": title, "detail": detail, "state": state})
    return result


def link_request_rows(application: Application) -> list[dict[str, Any]]:
    """The sponsor's and the chair's requests as the head may see them: the state, never the answers."""
    latest: dict[str, LinkRequest] = {}
    for link_request in application.link_requests.only(
        "kind", "status", "reminder_count", "recipient_name", "created_at", "responded_at", "application_id",
    ).order_by("created_at"):
        latest[link_request.kind] = link_request
    rows = []
    for kind, label in LinkRequest.Kind.choices:
        link_request = latest.get(kind)
        if link_request is not None and link_request.status == LinkRequest.Status.CANCELLED:
            link_request = None
        rows.append({
            "kind": kind, "label": label, "request": link_request,
            "status": link_request.head_status if link_request else "Not requested yet",
        })
    return rows


@role_required(HEADTEACHER)
@require_POST
def send_request(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    """"Send request now": email the sponsor (or the chair) before submitting."""
    application = _own_application(request, pk)
    if kind not in LinkRequest.Kind.values:
        raise Http404("No such request.")
    try:
        link_request = references.link_request_send(application=application, kind=kind, by=request.user)
    except references.ReferenceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"We have emailed {link_request.recipient_name} a link to answer.")
    return redirect("applications:detail", pk=application.pk)


@role_required(HEADTEACHER)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    headline, explanation = status_in_words(application)
    return render(request, "applications/detail.html", {
        "application": application,
        "headline": headline,
        "explanation": explanation,
        "timeline": timeline(application),
        "stages": _stages(application) if application.status != Status.WITHDRAWN else [],
        "nomination": application.referee if _has_referee(application) else None,
        "can_withdraw": application.status in WITHDRAWABLE,
        "decision_told": decision_told(application),
        "link_requests": link_request_rows(application),
        "can_send_requests": application.status not in (Status.WITHDRAWN, *DECIDED),
        "can_replace_sponsor": application.can_replace_sponsor(),
    })


@role_required(HEADTEACHER)
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if application.status not in WITHDRAWABLE:
        messages.error(request, f"This application is {application.get_status_display().lower()} "
                                "and can no longer be withdrawn.")
        return redirect("applications:detail", pk=application.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(application=application, by=request.user,
                                          reason=form.cleaned_data["reason"])
        except services.ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your application has been withdrawn.")
        return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/withdraw.html", {"application": application, "form": form})

