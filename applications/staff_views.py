"""Staff pages of recruitment: verification of Part A, assigning assessors,
scoring Part B, and the designation panel.

Thin views: check the role, look the object up through the user (another
LA's application, another assessor's assignment: 404), bind the form, call the
service, say what happened. Every status change is a service call.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lle_portal.access import AuthenticatedHttpRequest, acts_for_school, role_required
from lle_portal.models import OutgoingEmail, User
from lle_portal.service_calls import add_to_form, attempt

from . import panel, references, rules, services
from .approvals import CHAIR_LINKS, chair_approval
from .eligibility import eligibility_for, eligibility_for_many, with_eligibility_data
from .filters import AssignmentFilter, PanelFilter
from .models import Application, ApplicationRound, Assessment, LinkRequest, Specialism
from .rubric import rubric_for
from .services import ApplicationError
from .staff_forms import AssessmentForm, AssignAssessorsForm, DecisionForm, VerificationForm

Status = Application.Status
ADVISER = User.Role.ADVISER
ASSESSOR = User.Role.ASSESSOR
# Twenty cards a page: each carries a decision form; the rank numbers stay the round's.
PANEL_PAGE_SIZE = 20
# The staff home's worklists show the oldest few; the admin's list has them all.
WORKLIST_ROWS = 25


def _advisers_applications(request: HttpRequest):
    """Submitted applications of the adviser's own LAs (drafts are the head's own)."""
    return Application.objects.for_adviser(request.user).submitted()


def _advisers_rounds(request: HttpRequest):
    return ApplicationRound.objects.for_adviser(request.user)


# --- the staff home -------------------------------------------------------------


@role_required(ADVISER, ASSESSOR)
def staff_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.is_assessor:
        return redirect("applications:staff_assessments")
    in_round = "applications__status"
    rounds = _advisers_rounds(request).annotate(
        to_verify=Count("applications", filter=Q(**{in_round: Status.SUBMITTED})),
        being_assessed=Count("applications", filter=Q(**{in_round: Status.VERIFIED})),
        awaiting_panel=Count("applications", filter=Q(**{in_round: Status.ASSESSED})),
        designated=Count("applications", filter=Q(applications__decision=Application.Decision.DESIGNATED)),
    )
    applications = _advisers_applications(request).select_related("applicant", "school", "round")
    return render(request, "applications/staff/index.html", {
        "rounds": rounds,
        "to_verify": _first_rows(applications.filter(status=Status.SUBMITTED).order_by("submitted_at"), WORKLIST_ROWS),
        # Verified with nobody assigned yet: nothing moves until the adviser acts.
        "to_assign": _first_rows(applications.filter(
            status=Status.VERIFIED, assessments__isnull=True
        ).order_by("submitted_at"), WORKLIST_ROWS),
        "worklist_rows": WORKLIST_ROWS,
    })


def _first_rows(rows, n: int) -> list:
    """The first n rows of a list with its joins: the ids are chosen by a lean
    query, then only those rows are read and joined (a national worklist has
    thousands, and joining each to its head and school before the LIMIT was
    most of the page's time)."""
    ids = list(rows.values_list("pk", flat=True)[:n])
    return list(rows.filter(pk__in=ids)) if ids else []


# --- verification of Part A -------------------------------------------------------


@role_required(ADVISER)
def staff_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        with_eligibility_data(_advisers_applications(request).for_list().select_related("referee")), pk=pk
    )
    verifications = {v.criterion: v for v in application.verifications.all()}
    eligibility = eligibility_for(application)
    data = request.POST if request.method == "POST" else None
    form = VerificationForm(data, eligibility=eligibility, verifications=verifications)
    can_verify = rules.can_verify(application)
    if request.method == "POST" and can_verify and form.is_valid():
        try:
            for criterion, outcome, note in form.changes():
                services.application_verify_criterion(
                    application=application, criterion=criterion, outcome=outcome, note=note, by=request.user
                )
            if "mark_verified" in request.POST:
                services.application_mark_verified(application=application, by=request.user)
        except ApplicationError as error:
            # The outcomes saved before the error stay saved: show them with it.
            messages.error(request, str(error))
        else:
            if "mark_verified" in request.POST:
                messages.success(request, f"Part A of {application} is verified. Now assign its assessors.")
                return redirect("applications:staff_assign", pk=application.pk)
            messages.success(request, "Your outcomes are saved.")
        return redirect("applications:staff_verify", pk=application.pk)
    if request.method == "POST" and not can_verify:
        messages.error(request, f"Part A of {application} is already verified.")
        return redirect("applications:staff_verify", pk=application.pk)
    return render(request, "applications/staff/verify.html", {
        "application": application,
        "eligibility": eligibility,
        "form": form,
        "can_verify": can_verify,
        "can_record_la_approval": rules.can_record_la_approval(application),
        "approvals": eligibility["approvals"],
        "chair_approval": chair_approval(application),
        # A missing one-to-one raises an AttributeError subclass: getattr's default applies.
        "referee": getattr(application, "referee", None),
        "link_requests": link_requests_for_staff(application),
        # Designation needs it (services.panel_decide): say so before anything is verified.
        "headship_confirmed": acts_for_school(application.applicant, application.school_id,
                                              role=User.Role.HEADTEACHER),
    })


def link_requests_for_staff(application: Application) -> list[LinkRequest]:
    """Every reference and approval request of the application, newest first, with
    the answers and the emails sent about each (when each went out)."""
    link_requests = list(application.link_requests.prefetch_related("chasers"))
    emails: dict[str, list[OutgoingEmail]] = {}
    for email in OutgoingEmail.objects.filter(
        content_type__app_label="applications", content_type__model="linkrequest",
        object_id__in=[str(r.pk) for r in link_requests],
    ).order_by("created_at"):
        emails.setdefault(email.object_id, []).append(email)
    for link_request in link_requests:
        link_request.application = application  # read by the rules below, without a query each
        link_request.emails = emails.get(str(link_request.pk), [])
        link_request.can_resend = rules.can_resend(link_request)
        link_request.can_cancel = rules.can_cancel(link_request)
    return link_requests


@role_required(ADVISER)
@require_POST
def staff_link_request(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    """Resend (a new link; the old one stops working) or cancel a request."""
    link_request = get_object_or_404(LinkRequest.objects.for_adviser(request.user), pk=pk)
    if action == "resend":
        # The new request goes to the same person.
        attempt(request, lambda: references.link_request_resend(link_request=link_request, by=request.user),
                success=f"A new link was sent to {link_request.recipient_name}; the old one no longer works.")
    elif action == "cancel":
        attempt(request, lambda: references.link_request_cancel(link_request=link_request, by=request.user),
                success=f"The request to {link_request.recipient_name} is cancelled.")
    else:
        raise Http404("No such action.")
    return redirect("applications:staff_verify", pk=link_request.application_id)


@role_required(ADVISER)
@require_POST
def staff_la_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(_advisers_applications(request), pk=pk)
    attempt(request, lambda: services.application_la_approve(application=application, by=request.user),
            success=f"The LA's approval of {application} is recorded.")
    return redirect("applications:staff_verify", pk=application.pk)


# --- assessors ------------------------------------------------------------------


@role_required(ADVISER)
def staff_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(_advisers_applications(request).for_list(), pk=pk)
    can_assign = rules.can_assign_assessors(application)
    data = request.POST if request.method == "POST" else None
    form = AssignAssessorsForm(data, application=application) if can_assign else None
    if request.method == "POST":
        if form is None:
            messages.error(request, f"Verify Part A of {application} before assigning assessors.")
            return redirect("applications:staff_assign", pk=application.pk)
        if form.is_valid():
            try:
                # All or none: a refusal part-way leaves nobody half-assigned.
                with transaction.atomic():
                    for assessor in form.cleaned_data["assessors"]:
                        services.assessment_assign(application=application, assessor=assessor, by=request.user)
            except ApplicationError as error:
                form.add_error("assessors", str(error))
            else:
                names = ", ".join(a.full_name for a in form.cleaned_data["assessors"])
                messages.success(request, f"Assigned {names}. We have emailed them a link to score it.")
                return redirect("applications:staff_assign", pk=application.pk)
    return render(request, "applications/staff/assign.html", {
        "application": application,
        "assessments": application.assessments.select_related("assessor__school").order_by("assigned_at"),
        "form": form,
    })


@role_required(ASSESSOR)
def staff_assessments(request: AuthenticatedHttpRequest) -> HttpResponse:
    assignments = (
        Assessment.objects.filter(assessor=request.user)
        .select_related("application__round")
        .order_by("submitted_at", "-assigned_at")
    )
    filterset = AssignmentFilter(request.GET or {"state": "to_score"}, queryset=assignments)
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    return render(request, "applications/staff/assessments.html", {"filterset": filterset, "page": page})


@role_required(ASSESSOR)
def staff_assess(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Through the assessor: another assessor's assignment is a 404.
    assessment = get_object_or_404(
        Assessment.objects.filter(assessor=request.user).select_related("application__round"), pk=pk
    )
    application = assessment.application
    can_score = rules.can_score(assessment, request.user)
    form = (AssessmentForm(request.POST if request.method == "POST" else None, round=application.round)
            if can_score else None)
    if request.method == "POST":
        if form is None:
            messages.error(request, "This assessment can no longer be changed.")
            return redirect("applications:staff_assess", pk=assessment.pk)
        if form.is_valid() and add_to_form(form, lambda: services.assessment_submit(
                assessment=assessment, scores=form.scores(), comments=form.cleaned_data["comments"], by=request.user,
        )):
            messages.success(request, f"Your scores for {application} are submitted. Thank you.")
            return redirect("applications:staff_assess", pk=assessment.pk)
    return render(request, "applications/staff/assess.html", {
        "assessment": assessment,
        "application": application,
        "form": form,
        "rubric": rubric_for(application.round),
        "given": [
            (competency.title, score, next((text for value, _, text in competency.levels if value == score), ""))
            for competency in rubric_for(application.round)
            for score in [assessment.scores.get(competency.key)]
        ],
    })


# --- the designation panel ------------------------------------------------------


def _panel(request: HttpRequest, round: ApplicationRound, *, bound: tuple[int, DecisionForm] | None = None,
           status: int = 200) -> HttpResponse:
    """The ranked panel list; `bound` is a decision form sent back with errors."""
    ranking = panel.panel_ranking(round=round)
    filterset = PanelFilter(request.GET, queryset=round.applications.all())
    if filterset.is_bound and any(request.GET.get(name) for name in filterset.filters):
        ranking = ranking.only(set(filterset.qs.values_list("pk", flat=True)))
    number: str | int | None = request.GET.get("page")
    if bound and (position := ranking.position(bound[0])) is not None:
        number = position // PANEL_PAGE_SIZE + 1  # the page with the form sent back
    # The ranking loads the applications of this page only.
    page = Paginator(ranking, PANEL_PAGE_SIZE).get_page(number)
    applications = [entry.application for entry in page]
    # Eligibility for this page at once: a fixed number of queries however long the round.
    prefetch_related_objects(applications, "verifications", "referee", "applicant", CHAIR_LINKS)
    eligibility = eligibility_for_many(applications)
    # services.places_left, counted in one query with the decisions not emailed yet.
    counts = round.applications.aggregate(
        designated=Count("pk", filter=Q(decision=Application.Decision.DESIGNATED)),
        unsent=Count("pk", filter=~Q(decision="") & Q(decision_emailed_at__isnull=True)),
    )
    left = round.places - counts["designated"]
    for entry in page:
        pk = entry.application.pk
        entry.eligibility = eligibility[pk]
        entry.specialism_labels = [Specialism(s).label for s in entry.priority_specialisms]
        if rules.can_decide(entry.application):
            entry.form = bound[1] if bound and bound[0] == pk else DecisionForm(prefix=f"app-{pk}")
    return render(request, "applications/staff/panel.html", {
        "round": round,
        "page": page,
        "filterset": filterset,
        "places_left": left,
        "designated": round.places - left,
        "awaiting": ranking.count_status(Status.ASSESSED),
        "decisions_open": timezone.localdate() >= round.decisions_by,
        "unsent": counts["unsent"],
        "form": bound[1] if bound else None,
    }, status=status)


def _panel_url(application: Application) -> str:
    """The panel page the application is on, at its card."""
    position = panel.panel_ranking(round=application.round).position(application.pk) or 0
    page = position // PANEL_PAGE_SIZE + 1
    query = f"?page={page}" if page > 1 else ""
    return reverse("applications:staff_panel", args=[application.round_id]) + f"{query}#app-{application.pk}"


@role_required(ADVISER)
def staff_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel(request, get_object_or_404(_advisers_rounds(request), pk=pk))


@role_required(ADVISER)
@require_POST
def staff_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(_advisers_applications(request).select_related("round"), pk=pk)
    form = DecisionForm(request.POST, prefix=f"app-{pk}")
    if form.is_valid():
        try:
            services.panel_decide(
                application=application, decision=form.cleaned_data["decision"],
                reasons=form.cleaned_data["reasons"], by=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, f"{application}: {error}")
        else:
            decided = Application.Decision(form.cleaned_data["decision"]).label.lower()
            messages.success(request, f"{application} ({application.applicant}): {decided}.")
            return redirect(_panel_url(application))
    return _panel(request, application.round, bound=(pk, form), status=400)


@role_required(ADVISER)
@require_POST
def staff_send_decisions(request: HttpRequest, pk: int) -> HttpResponse:
    round = get_object_or_404(_advisers_rounds(request), pk=pk)
    if timezone.localdate() < round.decisions_by:
        messages.warning(
            request, f"Decision emails go out on or after {round.decisions_by:%-d %B %Y}, the round's "
            "decisions-by date. Nothing was sent.",
        )
    else:
        sent = services.decisions_send(round=round)
        if sent:
            messages.success(request, f"{sent} decision email{'s' if sent != 1 else ''} queued.")
        else:
            messages.info(request, "Every decided applicant has already been emailed.")
    return redirect("applications:staff_panel", pk=round.pk)
