"""Pages of brokerage and deployment.

The LLE, the client head, colleagues who deliver days and governors see the
deployments they take part in (`Deployment.objects.visible_to`); the adviser
those of their local authorities, and the staff pages: the overview, the
ranked matching list, all open needs at once, and reimbursement statements.

Thin views: check the role, look the object up through the user (anyone
else's id is a 404), bind the form, call the service, say what happened.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from applications.models import LLEProfile
from lle_portal import school_calendar
from lle_portal.access import AuthenticatedHttpRequest, role_required
from lle_portal.models import School, User
from lle_portal.reports import latest_reports
from lle_portal.service_calls import add_to_form, attempt

from . import matching, reimbursement, reports, rules, services
from .filters import DeploymentFilter
from .forms import (
    ClaimWindowForm,
    MatchAllProposalForm,
    ObjectiveForm,
    ObjectiveProgressForm,
    ProposalForm,
    QAFlagForm,
    ReasonForm,
    StatementPrepareForm,
    VisitCorrectionForm,
    VisitRecordForm,
)
from .models import (
    DEFAULT_CLAIM_WINDOW_MONTHS,
    PAID_LINE,
    Deployment,
    Objective,
    ReimbursementLine,
    ReimbursementStatement,
    SupportNeed,
    VisitRecord,
)
from .priorities import suggestions_for_schools
from .reimbursement import claim_window_months, days_phrase, short_label, term_to_prepare, visits_phrase
from .reminders import ENDING_SOON_DAYS
from .reports import (
    END_REPORT,
    STATEMENT,
    end_report_request,
    statement_file_name,
    statement_pdf_current,
    statement_report_subject,
    statement_row,
)
from .rules import DeploymentError
from .signals import overview_version
from .terms import term_for

ADVISER = User.Role.ADVISER
HEADTEACHER = User.Role.HEADTEACHER
GOVERNOR = User.Role.GOVERNOR
PAGE_SIZE = 25
# The overview lists at most this many rows per panel; each links to the full list.
OVERVIEW_ROWS = 20
# The overview's LLE capacity table, a page at a time (?capacity=N).
CAPACITY_ROWS = 25
# A reimbursement statement's lines, a page at a time; its held visits, at most this many.
STATEMENT_LINES = 50
HELD_SHOWN = 200
# The matching list shows the best candidates (and as many excluded ones) unless asked for all.
MATCHES_SHOWN = 25


def _visible(request: HttpRequest):
    return Deployment.objects.visible_to(request.user)


def _deployment_for(request: HttpRequest, pk: int) -> Deployment:
    return get_object_or_404(_visible(request).for_list(), pk=pk)


def _part(request: AuthenticatedHttpRequest, deployment: Deployment) -> rules.Part:
    """What the user is to a deployment read through `_visible`: an adviser who
    sees it advises its LA (the rule of visible_to), so that is not asked again."""
    return rules.part_of(request.user, deployment, adviser=request.user.is_adviser)


def _visit_for(request: HttpRequest, pk: int) -> VisitRecord:
    return get_object_or_404(
        VisitRecord.objects.filter(deployment__in=_visible(request).values("pk")).select_related(
            "deployment__lle__user", "deployment__client_school", "colleague", "recorded_by"
        ),
        pk=pk,
    )


def _done(request: HttpRequest, deployment_pk: int, call, success: str, anchor: str = "") -> HttpResponse:
    """Call a service; say what happened or why it was refused; back to the deployment."""
    attempt(request, call, success=success)
    return redirect(f"{Deployment(pk=deployment_pk).get_absolute_url()}{anchor}")


# --- deployments ---------------------------------------------------------------------


@role_required(HEADTEACHER, GOVERNOR, ADVISER)
def deployment_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A subquery, not a join on every record of visit with GROUP BY: it is
    # computed for the page's rows only, and the paginator's count stays simple.
    to_confirm = (
        VisitRecord.objects.filter(deployment=OuterRef("pk"), status=VisitRecord.Status.SUBMITTED)
        .order_by().values("deployment").annotate(n=Count("pk")).values("n")
    )
    deployments = _visible(request).for_list().annotate(
        visits_to_confirm=Coalesce(Subquery(to_confirm), 0),
    ).order_by("-start_date", "-pk")
    filterset = DeploymentFilter(request.GET or None, queryset=deployments)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for deployment in page.object_list:
        # Confirming a record of visit is the client head's job: they are told
        # what is theirs to confirm; the LLE, the adviser and a governor, what waits for them.
        deployment.confirms_visits = rules.is_client_head_of(request.user, deployment)
    return render(request, "deployments/list.html", {"filter": filterset, "page": page})


@role_required(HEADTEACHER, GOVERNOR, ADVISER)
def deployment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Its colleagues with it: the page lists them, and the rules ask whether the user is one.
    deployment = get_object_or_404(_visible(request).for_list().prefetch_related("colleagues"), pk=pk)
    visits = list(
        deployment.visits.select_related("colleague", "recorded_by", "confirmed_by")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.only("pk", "title", "deployment_id")))
    )
    part = _part(request, deployment)
    today = timezone.localdate()
    # What the user may do, from the rules the services apply (deployments/rules.py).
    actions = rules.deployment_actions(part, deployment, today)
    for visit in visits:
        visit.actions = rules.visit_actions(part, visit)
    context = {
        "deployment": deployment,
        "objectives": list(deployment.objectives.all()),
        "colleagues": list(deployment.colleagues.all()),
        "visits": visits,
        "is_lle": part.lle,
        "is_client": part.client_head,
        "is_adviser": part.adviser,
        "read_only": not (part.party or part.records_visits),
        **actions,
        "objective_form": ObjectiveForm(),
        "progress_choices": ObjectiveProgressForm.base_fields["progress"].choices,  # type: ignore[attr-defined]
        "today": today,
        "end_report": latest_reports(END_REPORT, [f"deployment:{deployment.pk}"]).get(f"deployment:{deployment.pk}")
        if actions["can_end_report"] else None,
    }
    return render(request, "deployments/detail.html", context)


@login_required
@require_POST
def deployment_end_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the end report of a finished deployment (one already being built is joined)."""
    deployment = _deployment_for(request, pk)
    if refusal := rules.end_report_refusal(deployment):
        messages.error(request, refusal)
        return redirect(deployment)
    report = end_report_request(deployment, user=request.user)
    messages.success(request, "The end report is being built. We will email you when it is ready.")
    return redirect(report)


@role_required(HEADTEACHER)
@require_POST
def deployment_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    try:
        deployment = services.deployment_accept(deployment=deployment, by=request.user)
    except DeploymentError as error:
        messages.error(request, str(error))
    else:
        if deployment.status == Deployment.Status.AGREED:
            messages.success(request, "You have accepted the deployment. Both parties have now accepted: it is "
                                      "agreed, and the contract agreement is being prepared.")
        else:
            other = "client head" if rules.is_lle_of(request.user, deployment) else "LLE"
            messages.success(request, f"You have accepted the deployment. It is agreed once the {other} accepts too.")
    return redirect(deployment)


def _reason_page(request: HttpRequest, deployment: Deployment, *, title: str, label: str, button: str,
                 call, success: str, help_text: str = "") -> HttpResponse:
    form = ReasonForm(request.POST if request.method == "POST" else None, label=label, help_text=help_text)
    if request.method == "POST" and form.is_valid() and add_to_form(form, lambda: call(form.cleaned_data["reason"])):
        messages.success(request, success)
        return redirect(deployment)
    return render(request, "deployments/reason_form.html", {
        "deployment": deployment, "form": form, "title": title, "button": button,
    })


@role_required(HEADTEACHER, ADVISER)
def deployment_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    return _reason_page(
        request, deployment, title="Decline the proposed deployment", label="Why is it not taken up?",
        button="Decline the proposal", success="The proposal is declined. The adviser will look for another match.",
        call=lambda reason: services.deployment_decline(deployment=deployment, by=request.user, reason=reason),
    )


@role_required(ADVISER)
@require_POST
def deployment_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    return _done(request, pk, lambda: services.deployment_start(deployment=deployment, by=request.user),
                 "The deployment is active.")


@role_required(ADVISER)
@require_POST
def deployment_complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    return _done(request, pk, lambda: services.deployment_complete(deployment=deployment, by=request.user),
                 "The deployment is complete.")


@role_required(ADVISER)
def deployment_end_early(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    return _reason_page(
        request, deployment, title="End the deployment early", label="Why does it end before its agreed end point?",
        button="End the deployment", success="The deployment has ended early.",
        help_text="The LLE and the client head are told, with this reason.",
        call=lambda reason: services.deployment_end_early(deployment=deployment, by=request.user, reason=reason),
    )


@role_required(HEADTEACHER, GOVERNOR, ADVISER)
def deployment_contract(request: HttpRequest, pk: int) -> FileResponse:
    deployment = _deployment_for(request, pk)
    if not deployment.contract_pdf:
        raise Http404("The contract agreement has not been generated yet.")
    response = FileResponse(deployment.contract_pdf.open("rb"), content_type="application/pdf",
                            filename=f"LLE contract agreement {deployment.pk}.pdf")
    response["Cache-Control"] = "private, no-store"  # never kept by a shared cache
    return response


@role_required(HEADTEACHER, ADVISER)
@require_POST
def objective_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    form = ObjectiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the objective and how its success will be measured.")
        return redirect(f"{deployment.get_absolute_url()}#objectives")
    return _done(
        request, pk,
        lambda: services.objective_add(deployment=deployment, by=request.user, **form.cleaned_data),
        "The objective is added.", "#objectives",
    )


@role_required(HEADTEACHER, ADVISER)
@require_POST
def objective_rate(request: AuthenticatedHttpRequest, pk: int, objective_pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    objective = get_object_or_404(deployment.objectives, pk=objective_pk)
    form = ObjectiveProgressForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a progress rating.")
        return redirect(f"{deployment.get_absolute_url()}#objectives")
    return _done(
        request, pk,
        lambda: services.objective_rate(objective=objective, by=request.user, progress=form.cleaned_data["progress"]),
        "The progress rating is saved.", "#objectives",
    )


# --- records of visit ------------------------------------------------------------------


@role_required(HEADTEACHER)
def visit_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deployment = _deployment_for(request, pk)
    part = _part(request, deployment)
    if not part.records_visits:
        raise Http404("Only the LLE and colleagues who deliver days record visits.")
    data: Any = request.POST if request.method == "POST" else None  # then the cleaned data
    # The last school day: a visit is usually recorded on the day or soon after.
    last_school_day = school_calendar.calendar_for(deployment.client_school.local_authority_id).last_school_day(
        timezone.localdate())
    form = VisitRecordForm(data, deployment=deployment, may_choose_colleague=part.lle,
                           initial={"visit_date": last_school_day, "days": f"{deployment.days_per_week:.1f}"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                deployment=deployment, by=request.user, visit_date=data["visit_date"], days=data["days"],
                colleague=data.get("colleague"), activities=data["activities"],
                objectives=data.get("objectives") or [], summary=data["summary"], progress=data["progress"],
                next_steps=data["next_steps"], non_school_day_reason=data["non_school_day_reason"],
            )
        except DeploymentError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, "The record of visit is saved. The client head is asked to confirm it.")
            return redirect(visit)
    return render(request, "deployments/visit_form.html", {"deployment": deployment, "form": form})


@role_required(HEADTEACHER)
def visit_amend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk)
    deployment = visit.deployment
    if not (_part(request, deployment).lle or visit.recorded_by_id == request.user.pk):
        raise Http404("Only the LLE or whoever recorded the visit can change it.")
    initial = {
        "days": f"{visit.days:.1f}", "activities": visit.activities, "objectives": list(visit.objectives.all()),
        "summary": visit.summary, "progress": visit.progress, "next_steps": visit.next_steps,
        "non_school_day_reason": visit.non_school_day_reason,
    }
    data: Any = request.POST if request.method == "POST" else None  # then the cleaned data
    form = VisitRecordForm(data, initial=initial, deployment=deployment, may_choose_colleague=False,
                           amending=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_amend(
                visit=visit, by=request.user, days=data["days"], activities=data["activities"],
                objectives=data.get("objectives") or [], summary=data["summary"], progress=data["progress"],
                next_steps=data["next_steps"], non_school_day_reason=data["non_school_day_reason"],
            )
        except DeploymentError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, "The record of visit is changed and sent to the client head again.")
            return redirect(visit)
    return render(request, "deployments/visit_form.html", {"deployment": deployment, "form": form, "visit": visit})


@role_required(HEADTEACHER)
@require_POST
def visit_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk)
    if not rules.is_client_head_of(request.user, visit.deployment):
        raise Http404("Only the client head confirms a record of visit.")
    return _done(request, visit.deployment_id, lambda: services.visit_confirm(visit=visit, by=request.user),
                 f"You have confirmed the visit on {visit.visit_date:%-d %B %Y}.", f"#visit-{visit.pk}")


@role_required(HEADTEACHER)
def visit_query(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk)
    if not rules.is_client_head_of(request.user, visit.deployment):
        raise Http404("Only the client head queries a record of visit.")
    form = ReasonForm(request.POST if request.method == "POST" else None, label="What are you querying?",
                      help_text="Whoever recorded the visit is told, and can correct the record.")
    if request.method == "POST" and form.is_valid() and add_to_form(
        form, lambda: services.visit_query(visit=visit, by=request.user, reason=form.cleaned_data["reason"])
    ):
        messages.success(request, "Your query is sent.")
        return redirect(visit)
    return render(request, "deployments/reason_form.html", {
        "deployment": visit.deployment, "visit": visit, "form": form,
        "title": f"Query the record of the visit on {visit.visit_date:%-d %B %Y}", "button": "Send the query",
    })


@role_required(ADVISER)
@require_POST
def visit_flag(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk)
    form = QAFlagForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if visit.qa_flagged_at:
        call, said = lambda: services.visit_clear_qa_flag(visit=visit, by=request.user, note=note), "cleared"
    else:
        call, said = lambda: services.visit_flag_for_qa(visit=visit, by=request.user, note=note), "flagged"
    return _done(request, visit.deployment_id, call, f"The record of visit is {said} for quality assurance.",
                 f"#visit-{visit.pk}")


# --- the adviser's pages ----------------------------------------------------------------


@role_required(ADVISER)
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What needs the adviser's attention, in a fixed number of queries."""
    user = request.user
    today = timezone.localdate()
    # The lists are worth keeping: at national scale they are most of the
    # page's time, and they change only when the data does (the version).
    key = "deployments:overview:" + hashlib.sha256(
        f"{user.pk}:{request.GET.urlencode()}:{today}:{overview_version()}".encode()
    ).hexdigest()
    seconds = settings.DEPLOYMENTS_OVERVIEW_CACHE_SECONDS
    body = cache.get(key) if seconds else None
    if body is None:
        body = render_to_string("deployments/staff/_overview.html", _overview_context(request, today), request=request)
        if seconds:
            cache.set(key, body, seconds)
    return render(request, "deployments/staff/overview.html", {"body": body, "today": today})


def _overview_context(request: AuthenticatedHttpRequest, today) -> dict:
    user = request.user
    deployments = Deployment.objects.for_adviser(user)
    visits = VisitRecord.objects.for_adviser(user)
    lles = LLEProfile.objects.filter(user.in_my_las("school__local_authority"))
    # Every LLE of a national adviser is 300 rows: the overview sums them up
    # and shows them a page at a time.
    capacity = matching.capacity_totals(lles)
    paginator = Paginator(
        matching.with_committed_days(lles.select_related("user", "school")).order_by("user__full_name", "pk"),
        CAPACITY_ROWS,
    )
    paginator.count = capacity["lle_count"]  # counted with the totals already
    capacity["page"] = paginator.get_page(request.GET.get("capacity"))
    for lle in capacity["page"]:
        lle.spare_days = matching.spare_days(lle)
    open_needs = SupportNeed.objects.for_adviser(user).open().order_by("created_at")
    # Each list: (rows, what each shown row is read with, values of the list's query to keep).
    deployment_shown = ("client_school", "lle__user")
    visit_shown = ("deployment__client_school", "deployment__lle__user", "colleague")
    panels = {
        "open_needs": (open_needs, ("client_school",), ()),
        "ending": (deployments.ending_within(ENDING_SOON_DAYS, today).order_by("end_date"), deployment_shown, ()),
        "overdue": (deployments.overdue_for_visit(today).order_by("last_seen"), deployment_shown, ("last_seen",)),
        "queried": (visits.queried().order_by("queried_at"), visit_shown, ()),
        "flagged": (visits.flagged_for_qa().order_by("-qa_flagged_at"), visit_shown, ()),
        "proposed": (deployments.proposed().order_by("created_at"), deployment_shown, ()),
    }
    context: dict[str, Any]
    context, context["counts"] = {}, {}
    for name, (rows, shown_with, kept) in panels.items():
        context[name], context["counts"][name] = _first_rows(rows, OVERVIEW_ROWS, shown_with=shown_with, keep=kept)
    return {**context, "capacity": capacity, "today": today, "rows_shown": OVERVIEW_ROWS}


def _first_rows(rows, n: int, *, shown_with: tuple[str, ...], keep: tuple[str, ...] = ()) -> tuple[list, int]:
    """The first n rows of a list and how many rows the list has.

    The ids, the count (a window over every row) and any annotation to `keep`
    come from one lean query, so the list's filter runs once (for the overdue
    list, each active deployment's last visit); then only those rows are read,
    by id, with just the relations the overview shows. At national scale,
    joining every overdue deployment to its LLE, schools and heads before the
    LIMIT was most of the page's time.
    """
    head = list(rows.annotate(row_count=Window(Count("pk"))).values_list("pk", "row_count", *keep)[:n])
    if not head:
        return [], 0
    found = rows.model.objects.select_related(*shown_with).in_bulk([pk for pk, *_ in head])
    shown = []
    for pk, _, *kept in head:
        row = found[pk]
        for name, value in zip(keep, kept, strict=True):
            setattr(row, name, value)
        shown.append(row)
    return shown, head[0][1]


def _advisers_need(request: HttpRequest, pk: int) -> SupportNeed:
    return get_object_or_404(SupportNeed.objects.for_adviser(request.user).for_list(), pk=pk)


@role_required(ADVISER)
def matches(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The ranked candidate LLEs for one support need, each with the reasons
    for its score; excluded LLEs are shown with why, and cannot be proposed."""
    need = _advisers_need(request, pk)
    candidates = matching.rank_candidates(need)
    top = next((c for c in candidates if c.proposable), None)
    # Bound on any POST, even an empty one: add_error below needs a bound form (it was a 500).
    form = ProposalForm(request.POST if request.method == "POST" else None,
                        initial=services.proposal_defaults(need, top))
    if request.method == "POST":
        lle = next((c.lle for c in candidates if str(c.lle.pk) == request.POST.get("lle")), None)
        if lle is None:
            form.add_error(None, "Choose an LLE from the list.")
        elif form.is_valid():
            try:
                deployment = services.deployment_propose(need=need, lle=lle, by=request.user, **form.cleaned_data)
            except DeploymentError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, f"{lle.user} is proposed for {need.client_school.name}. "
                    "The LLE and the client head are asked to accept.",
                )
                return redirect(deployment)
    # Every LLE in the country is scored, but the page shows the best ones:
    # the rest, and the excluded ones with their reasons, on "show all".
    show_all = request.GET.get("all") == "1"
    proposable = [c for c in candidates if c.proposable]
    excluded = [c for c in candidates if not c.proposable]
    return render(request, "deployments/staff/matches.html", {
        "need": need, "form": form,
        "candidates": proposable if show_all else proposable[:MATCHES_SHOWN],
        "excluded": excluded if show_all else excluded[:MATCHES_SHOWN],
        "proposable_count": len(proposable),
        "excluded_count": len(excluded),
        # Why LLEs cannot be proposed, most common first: [(why, how many)].
        "exclusion_summary": Counter(why for c in excluded for why in c.exclusions).most_common(),
        "show_all": show_all,
        "shown": MATCHES_SHOWN,
        # The need was read through the adviser's own LAs (_advisers_need).
        "can_propose": rules.can_propose(request.user, need, advises=True),
    })


@role_required(ADVISER)
def match_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A proposed LLE for every open need at once (the best total score within
    every LLE's capacity), for the adviser to accept or change one by one."""
    needs = list(SupportNeed.objects.for_adviser(request.user).open().for_list().order_by("created_at"))
    if request.method == "POST":
        form = MatchAllProposalForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a support need, an LLE and an intensity from the list.")
            return redirect(request.path)
        need = get_object_or_404(SupportNeed.objects.for_adviser(request.user).open(), pk=form.cleaned_data["need"])
        lle = get_object_or_404(LLEProfile, pk=form.cleaned_data["lle"])
        defaults = services.proposal_defaults(need)
        defaults["days_per_week"] = form.cleaned_data["days_per_week"] or defaults["days_per_week"]
        attempt(request, lambda: services.deployment_propose(need=need, lle=lle, by=request.user, **defaults),
                success=f"{lle.user} is proposed for {need.client_school.name}.")
        return redirect(request.path)
    assignments = matching.assign_all(needs)
    # The dates accepting proposes, from the function the proposal uses: one
    # pair per local authority's calendar, said once when they all agree.
    schools = {need.client_school.local_authority_id: need.client_school for need in needs}
    default_dates = sorted({services.default_dates(school) for school in schools.values()})
    return render(request, "deployments/staff/match_all.html", {
        "assignments": assignments,
        "default_dates": default_dates[0] if len(default_dates) == 1 else None,
        "matched": sum(1 for a in assignments if a.candidate),
        "total_score": round(sum(a.candidate.score for a in assignments if a.candidate), 1),
    })


@role_required(ADVISER)
def flagged_schools(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Schools of the adviser's LAs that the official data suggests need
    support (below the floor, or vulnerable), with no support need recorded yet."""
    user = request.user
    schools = School.objects.open().filter(user.in_my_las("local_authority")).select_related(
        "local_authority").order_by("name")
    recorded = SupportNeed.objects.exclude(status=SupportNeed.Status.CLOSED).values("client_school")
    schools = list(schools.exclude(pk__in=recorded))
    suggestions = suggestions_for_schools(schools)
    flagged = [(school, suggestions[school.pk]) for school in schools if suggestions[school.pk]]
    page = Paginator(flagged, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(request, "deployments/staff/flagged_schools.html", {"page": page, "count": len(flagged)})


# --- reimbursement ---------------------------------------------------------------------


def _advisers_statements(request: HttpRequest):
    return ReimbursementStatement.objects.for_adviser(request.user)


@role_required(ADVISER)
def statements(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StatementPrepareForm(request.POST if request.method == "POST" else None, user=request.user)
    next_term = term_to_prepare(form.fields["local_authority"].queryset)  # type: ignore[attr-defined]
    form.initial.update({"academic_year": next_term.academic_year, "term": next_term.term})
    if request.method == "POST" and form.is_valid():
        try:
            statement = reimbursement.statement_prepare(by=request.user, **form.cleaned_data)
        except DeploymentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"The draft statement for the {statement.dates.label} is ready to check "
                                      f"(version {statement.version}).")
            return redirect(statement)
    listed = _advisers_statements(request).select_related("local_authority").with_totals().order_by(
        "-academic_year", "-pk"
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "deployments/staff/statements.html", {"form": form, "page": page})


@role_required(ADVISER)
def claim_window(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The claim window of each of the adviser's LAs (a superuser's: every LA's)."""
    form = ClaimWindowForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and add_to_form(
        form, lambda: reimbursement.claim_window_set(by=request.user, **form.cleaned_data)
    ):
        messages.success(request, f"The claim window of {form.cleaned_data['local_authority'].name} is "
                                  f"{int(form.cleaned_data['months'])} months.")
        return redirect("deployments:claim_window")
    las = form.fields["local_authority"].queryset.annotate(  # type: ignore[attr-defined]
        months=Coalesce("reimbursement_policy__claim_window_months", DEFAULT_CLAIM_WINDOW_MONTHS)
    )
    page = Paginator(las, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "deployments/staff/claim_window.html", {"form": form, "page": page})


@role_required(ADVISER)
def statement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_advisers_statements(request).select_related("local_authority"), pk=pk)
    # A national statement has thousands of lines: the totals are summed by the
    # database, and the paid lines shown a page at a time (the CSV and the PDF
    # carry every line). The held visits and arrears are few: listed whole.
    lines = statement.lines.all()
    kinds = ReimbursementLine.Kind
    paid = PAID_LINE
    totals = lines.aggregate(
        line_count=Count("pk", filter=paid), school_count=Count("lle_school", distinct=True, filter=paid),
        total_days=Sum("days", filter=paid), total_amount=Sum("amount", filter=paid),
        period_count=Count("pk", filter=paid & Q(kind=kinds.PERIOD)),
        period_days=Sum("days", filter=paid & Q(kind=kinds.PERIOD)),
        period_amount=Sum("amount", filter=paid & Q(kind=kinds.PERIOD)),
        adjustment_count=Count("pk", filter=Q(kind=kinds.ADJUSTMENT)),
        adjustment_amount=Sum("amount", filter=Q(kind=kinds.ADJUSTMENT)),
    )
    related = ("lle_school", "visit__deployment__lle__user", "visit__deployment__client_school", "visit__colleague",
               "adjusts__statement", "approved_by")
    months = claim_window_months(statement.local_authority_id)
    dates = statement.dates
    paginator = Paginator(
        # By school; in each, this term's lines, then arrears, then adjustments ("-kind").
        lines.filter(paid).select_related(*related).order_by("lle_school__name", "-kind", "visit__visit_date", "pk"),
        STATEMENT_LINES,
    )
    paginator.count = totals["line_count"]  # counted with the totals already
    page = paginator.get_page(request.GET.get("page"))
    groups: dict[int, dict] = {}
    for line in page.object_list:
        group = groups.setdefault(line.lle_school_id, {"school": line.lle_school, "rows": []})
        row = statement_row(line, dates, months)
        # One "Correct" link for each visit, on the line that pays it; the statement is
        # one of the adviser's LAs' (_advisers_statements), and so are its visits.
        row.can_correct = line.kind != kinds.ADJUSTMENT and rules.can_correct_visit(
            request.user, line.visit, advises=True)
        group["rows"].append(row)
    subtotals = {
        row["lle_school"]: row for row in lines.filter(paid, lle_school__in=list(groups))
        .order_by().values("lle_school").annotate(days=Sum("days"), amount=Sum("amount"), count=Count("pk"))
    }
    for school_id, group in groups.items():
        subtotal = subtotals[school_id]
        group["days"], group["amount"] = subtotal["days"], subtotal["amount"]
        group["partial"] = subtotal["count"] > len(group["rows"])  # some lines on the other pages
    arrears: dict[tuple[Any, str], Any] = Counter()
    for visit_date, days, amount in lines.filter(paid, kind=kinds.ARREARS).values_list(
        "visit__visit_date", "days", "amount"
    ):
        term = term_for(visit_date)
        arrears[(term, "count")] += 1
        arrears[(term, "days")] += days
        arrears[(term, "amount")] += amount
    arrears_by_period = [
        {"period": term, "amount": arrears[(term, "amount")],
         "summary": f"{visits_phrase(arrears[(term, 'count')])}, {days_phrase(arrears[(term, 'days')])}, "
                    f"from {short_label(term)} arrears"}
        for term in sorted({term for term, _ in arrears}, key=lambda t: t.starts_on)
    ]
    held = [statement_row(line, dates, months) for line in
            lines.exclude(PAID_LINE).select_related(*related).order_by("visit__visit_date", "pk")[:HELD_SHOWN]]
    for row in held:
        row.can_approve = rules.can_approve_late_claim(request.user, row.line, advises=True)
    report = None
    if not statement_pdf_current(statement):
        report = latest_reports(STATEMENT, [statement_report_subject(statement)]).get(
            statement_report_subject(statement))
    return render(request, "deployments/staff/statement.html", {
        "statement": statement, "dates": dates, "schools": list(groups.values()), "page": page, "held": held,
        "held_count": lines.exclude(PAID_LINE).count() if len(held) >= HELD_SHOWN else len(held),
        "arrears_by_period": arrears_by_period, "claim_window_months": months,
        "school_count": totals["school_count"], "totals": totals,
        "total_days": totals["total_days"] or Decimal(0), "total_amount": totals["total_amount"] or Decimal(0),
        "pdf_current": statement_pdf_current(statement), "report": report,
        "file_name": statement_file_name(statement, "csv"),
    })


@role_required(ADVISER)
@require_POST
def statement_finalise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_advisers_statements(request), pk=pk)
    attempt(request, lambda: reimbursement.statement_finalise(statement=statement, by=request.user),
            success="The statement is finalised. Its PDF is being prepared for the finance team.")
    return redirect(statement)


@role_required(ADVISER)
@require_POST
def statement_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Approve a late claim held on the draft: the line is named in the POST."""
    statement = get_object_or_404(_advisers_statements(request), pk=pk)
    line = statement.lines.filter(pk=_int(request.POST.get("line"))).select_related("visit").first()
    if line is None:
        messages.error(request, "Choose a held visit to approve.")
        return redirect(statement)
    attempt(request, lambda: reimbursement.late_claim_approve(line=line, by=request.user),
            success=f"The visit of {line.visit.visit_date:%-d %B %Y} is approved and paid on this "
                    f"statement (now version {statement.version + 1}).")
    return redirect(statement)


@role_required(ADVISER)
@require_POST
def statement_make_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_advisers_statements(request).select_related("local_authority"), pk=pk)
    attempt(request, lambda: reports.statement_pdf_request(statement=statement, by=request.user),
            success="The PDF is being made; it is offered here when ready, and you are emailed.")
    return redirect(statement)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"  # never kept by a shared cache
    return response


@role_required(ADVISER)
def statement_csv(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(_advisers_statements(request).select_related("local_authority"), pk=pk)
    response = HttpResponse(reports.statement_csv(statement), content_type="text/csv; charset=utf-8")
    return _attachment(response, statement_file_name(statement, "csv"))


@role_required(ADVISER)
def statement_pdf(request: HttpRequest, pk: int) -> FileResponse:
    statement = get_object_or_404(_advisers_statements(request).select_related("local_authority"), pk=pk)
    if not statement_pdf_current(statement):
        raise Http404("This version of the statement has no PDF yet: make it from the statement's page.")
    response = FileResponse(statement.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=statement_file_name(statement, "pdf"))
    response["Cache-Control"] = "private, no-store"  # never kept by a shared cache
    return response


@role_required(ADVISER)
def visit_correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The adviser corrects a confirmed record of visit found wrong; a paid one is
    put right by an adjustment on the next statement."""
    visit = get_object_or_404(
        VisitRecord.objects.for_adviser(request.user).select_related(
            "deployment__lle__user", "deployment__client_school", "colleague"), pk=pk,
    )
    form = VisitCorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and add_to_form(form, lambda: reimbursement.visit_correct(
        visit=visit, by=request.user, reason=form.cleaned_data["reason"],
        withdraw=form.cleaned_data["change"] == "withdraw",
        days=None if form.cleaned_data["change"] == "withdraw" else Decimal(form.cleaned_data["change"]),
    )):
        messages.success(request, "The record of visit is corrected. If it was paid, the next statement "
                                  "carries the difference as an adjustment.")
        return redirect(visit.deployment)
    paid_on = visit.reimbursement_lines.filter(PAID_LINE, adjusts__isnull=True).select_related("statement").first()
    return render(request, "deployments/staff/visit_correct.html", {
        "visit": visit, "deployment": visit.deployment, "form": form, "paid_on": paid_on,
    })
