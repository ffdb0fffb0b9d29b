"""The adviser's admin for brokerage and deployment.

Support needs are recorded here (with the reasons the data suggests), and
network meetings with their attendance. Deployments are proposed from the
ranked matching list, not added here; their status, and the records of
visit, change only through the services (the actions below call them).

Every list is scoped to the adviser's local authorities and fetches its
related rows with the page (list_select_related), so a changelist runs the
same number of queries at any size.
"""

from __future__ import annotations

import copy
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from applications.models import LLEProfile
from lle_portal import admin_groups
from lle_portal.access import AuthenticatedHttpRequest, confirmed_heads
from lle_portal.admin import ScopedFormFields, ScopedToOwnLAs, UrnSearchMixin
from lle_portal.admin_actions import run_for_each
from lle_portal.admin_scope import SuperuserOnly
from lle_portal.models import School

from . import rules, services
from .forms import SupportNeedAdminForm
from .models import (
    SUGGESTED_REASONS,
    Deployment,
    DeploymentColleague,
    DeploymentQuerySet,
    NetworkMeeting,
    NetworkMeetingAttendance,
    Objective,
    PriorityReason,
    ReimbursementStatement,
    ReminderLog,
    SupportNeed,
    VisitRecord,
)
from .priorities import suggest_reasons

# Where each table sits in the admin's task groups (lle_portal/admin_groups.py).
admin_groups.place(SupportNeed, "brokerage", 10)
admin_groups.place(Deployment, "brokerage", 20)
admin_groups.place(VisitRecord, "brokerage", 30)
admin_groups.place(NetworkMeeting, "brokerage", 40)
admin_groups.place(ReimbursementStatement, "reimbursement", 10)
admin_groups.place(ReminderLog, "system", 50)
# The staff pages of the same tasks, listed beside the tables.
admin_groups.staff_page("brokerage", 5, "Schools the data flags", "deployments:flagged_schools")
admin_groups.staff_page("brokerage", 15, "Match all open needs", "deployments:match_all")
admin_groups.staff_page("brokerage", 25, "Deployments overview", "deployments:overview")
admin_groups.staff_page("reimbursement", 5, "Prepare, check and finalise statements", "deployments:statements")
admin_groups.staff_page("reimbursement", 6, "Claim window for late visits", "deployments:claim_window")


# --------------------------------------------------------------------------
# Support needs
# --------------------------------------------------------------------------


def _prefill(school: School, *, head_appointed_on=None) -> dict:
    """What the support-need form fills in for a school: the reasons the data
    suggests (deployments/priorities.py, the one rule), each with why, and the
    school's confirmed head."""
    suggestions = suggest_reasons(school, head_appointed_on=head_appointed_on)
    head = confirmed_heads(school.pk).first()
    return {
        "school": school.name,
        "suggestions": [{**s.as_dict(), "label": s.label} for s in suggestions],
        "reasons": [s.reason for s in suggestions],
        # The reasons the data can suggest: the form leaves the others as the adviser ticked them.
        "data_reasons": [str(r) for r in SUGGESTED_REASONS],
        "head": {"id": head.pk, "name": head.full_name} if head is not None else None,
        "head_name": head.full_name if head is not None else school.head_name,
    }


@admin.register(SupportNeed)
class SupportNeedAdmin(ScopedToOwnLAs, UrnSearchMixin, admin.ModelAdmin):
    urn_lookup = "client_school__urn"
    form = SupportNeedAdminForm
    list_display = ("school", "head", "priority", "intensity", "status", "find_an_lle")
    list_display_links = ("school",)
    list_filter = ("status", "days_per_week")
    list_select_related = ("client_school", "client_head")
    search_fields = ("client_school__name", "client_head_name", "client_head__full_name")
    autocomplete_fields = ("client_school", "client_head")
    readonly_fields = ("status", "suggested_from_data", "closed_reason", "created_by", "created_at")
    actions = ("close_needs",)
    date_hierarchy = "created_at"

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["client_school", "client_head", "client_head_name", "head_appointed_on"]}),
            ("Why the school is a priority", {"fields": ["reasons", *(["suggested_from_data"] if obj else [])]}),
            ("What it needs", {"fields": ["focus_areas", "days_per_week", "notes"]}),
            *([("Status", {"fields": ["status", "closed_reason", "created_by", "created_at"]})] if obj else []),
        ]

    class Media:
        # Suggests the priority reasons from the data as soon as the school is chosen.
        js = ("js/support-need.js",)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """Opened from "Schools the data flags" (?client_school=<id>): the
        suggested reasons are ticked and the head is filled in, to confirm."""
        initial = super().get_changeform_initial_data(request)
        school = self._school_from(cast(AuthenticatedHttpRequest, request), "client_school")
        if school is not None:
            prefill = _prefill(school)
            initial["reasons"] = prefill["reasons"]
            if prefill["head"] is not None:
                initial["client_head"] = prefill["head"]["id"]
            initial["client_head_name"] = prefill["head_name"]
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # get_form builds a new class on every call, so this is per request.
        for name in ("client_school", "client_head"):
            wrapper = form.base_fields[name].widget
            # A school or an account is not made or edited from a support need.
            wrapper.can_add_related = wrapper.can_change_related = wrapper.can_delete_related = False
            wrapper.can_view_related = False
        school_widget = form.base_fields["client_school"].widget.widget
        school_widget.attrs["data-suggest-url"] = reverse("admin:deployments_supportneed_suggest")
        school = self._school_from(cast(AuthenticatedHttpRequest, request), "client_school") if obj is None else None
        if school is not None:
            evidence = "; ".join(f"{s.label}: {s.evidence}" for s in suggest_reasons(school))
            # A copy: the declared field is shared by every request's form class.
            form.base_fields["reasons"] = copy.deepcopy(form.base_fields["reasons"])
            form.base_fields["reasons"].help_text = (
                f"Suggested from the official data for {school.name} — {evidence}. Confirm or change them."
                if evidence else f"The official data suggests no reason for {school.name}."
            )
        return form

    def _school_from(self, request: AuthenticatedHttpRequest, parameter: str) -> School | None:
        """The school named in the query string, if it is one of the adviser's LAs'."""
        pk = request.GET.get(parameter, "")
        if not pk.isdigit():
            return None
        return School.objects.filter(request.user.in_my_las("local_authority"), pk=pk).first()

    def get_urls(self):
        return [
            path("suggest/", self.admin_site.admin_view(self.suggest_view), name="deployments_supportneed_suggest"),
            *super().get_urls(),
        ]

    def suggest_view(self, request: HttpRequest) -> JsonResponse:
        """What the data suggests for a school of the adviser's LAs (the form's
        script asks when the school is chosen): the reasons, each with why,
        and its confirmed head. Another LA's school is not found."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        school = self._school_from(cast(AuthenticatedHttpRequest, request), "school")
        if school is None:
            raise Http404("No school with that id in your local authorities.")
        try:
            appointed = forms.DateField(required=False).clean(request.GET.get("head_appointed_on", ""))
        except forms.ValidationError:
            appointed = None
        # admin_view marks it never cached (private, no-store).
        return JsonResponse(_prefill(school, head_appointed_on=appointed))

    def save_model(self, request, obj, form, change):
        services.support_need_save(need=obj, by=request.user)

    @admin.display(description="client head")
    def head(self, obj: SupportNeed) -> str:
        return obj.client_head_name or (obj.client_head.full_name if obj.client_head else "")

    @admin.display(description="priority reasons")
    def priority(self, obj: SupportNeed) -> str:
        return obj.short_reasons

    @admin.display(description="client school", ordering="client_school__name")
    def school(self, obj: SupportNeed) -> str:
        return obj.client_school.name

    @admin.display(description="intensity", ordering="days_per_week")
    def intensity(self, obj: SupportNeed) -> str:
        return obj.get_days_per_week_display()

    @admin.display(description="match")
    def find_an_lle(self, obj: SupportNeed) -> str:
        label = "Find an LLE" if obj.status == SupportNeed.Status.OPEN else "Ranked LLEs"
        return format_html('<a href="{}">{}</a>', reverse("deployments:matches", args=[obj.pk]), label)

    @admin.display(description="suggested from the official data when recorded")
    def suggested_from_data(self, obj: SupportNeed) -> str:
        if not obj.suggested_reasons:
            return "No reason suggested by the data."
        return format_html_join(
            "", "<p><strong>{}</strong><br>{}</p>",
            ((PriorityReason(s["reason"]).label, s["evidence"]) for s in obj.suggested_reasons),
        )

    @admin.action(description="Close the selected support needs")
    def close_needs(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
             lambda need: services.support_need_close(need=need, by=request.user, reason="Closed by the adviser."),
                     "{count} support needs closed.", refused_level=messages.ERROR)


# --------------------------------------------------------------------------
# Deployments
# --------------------------------------------------------------------------


class ObjectiveInline(ScopedFormFields, admin.TabularInline):
    model = Objective
    fields = ("position", "title", "measure_of_success", "progress")
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}


class ColleagueInline(ScopedFormFields, admin.TabularInline):
    model = DeploymentColleague
    fields = ("name", "job_title", "email", "user")
    autocomplete_fields = ("user",)
    extra = 0


# The contract terms: fixed once both parties have accepted them.
CONTRACT_FIELDS = ("kind", "days_per_week", "start_date", "end_date", "rate_per_day", "client_head", "client_head_name")


@admin.register(Deployment)
class DeploymentAdmin(ScopedToOwnLAs, UrnSearchMixin, admin.ModelAdmin):
    urn_lookup = "client_school__urn"
    list_display = ("school", "lle_name", "kind", "intensity", "start_date", "end_date", "status", "contract")
    list_display_links = ("school",)
    list_filter = ("status", "kind", "days_per_week")
    list_select_related = ("lle__user", "client_school")
    search_fields = ("client_school__name", "lle__user__full_name", "lle__school__name")
    autocomplete_fields = ("client_head",)
    date_hierarchy = "start_date"
    inlines = (ObjectiveInline, ColleagueInline)
    fieldsets = [
        (None, {"fields": ["lle", "client_school", "need", "status", "page"]}),
        ("Terms (fixed once agreed)", {"fields": list(CONTRACT_FIELDS)}),
        ("Agreement", {"fields": ["lle_accepted_at", "client_accepted_at", "agreed_at", "contract"]}),
        ("Progress", {"fields": ["started_at", "finished_at", "ended_reason"]}),
    ]
    actions = ("start_deployments", "complete_deployments", "regenerate_contracts")

    def get_readonly_fields(self, request, obj=None):
        fixed = ["lle", "client_school", "need", "status", "page", "lle_accepted_at", "client_accepted_at",
                 "agreed_at", "contract", "started_at", "finished_at", "ended_reason"]
        if obj is not None and not rules.can_change_terms(obj):
            fixed += CONTRACT_FIELDS
        return fixed

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Deployments are proposed from the ranked matching list of a support need.
        return False

    @admin.display(description="client school", ordering="client_school__name")
    def school(self, obj: Deployment) -> str:
        return obj.client_school.name

    @admin.display(description="LLE", ordering="lle__user__full_name")
    def lle_name(self, obj: Deployment) -> str:
        return obj.lle.user.full_name

    @admin.display(description="intensity", ordering="days_per_week")
    def intensity(self, obj: Deployment) -> str:
        return "One day" if obj.days_per_week == 1 else "Half a day"

    @admin.display(description="contract agreement")
    def contract(self, obj: Deployment) -> str:
        if not obj.contract_pdf:
            return "—"
        return format_html('<a href="{}">PDF</a>', reverse("deployments:contract", args=[obj.pk]))

    @admin.display(description="page")
    def page(self, obj: Deployment) -> str:
        return format_html('<a href="{}">Open the deployment page</a>', obj.get_absolute_url())

    @admin.action(description="Start the selected agreed deployments")
    def start_deployments(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda d: services.deployment_start(deployment=d, by=request.user),
                     "{count} deployments started.", refused_level=messages.ERROR)

    @admin.action(description="Record the selected deployments as completed")
    def complete_deployments(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda d: services.deployment_complete(deployment=d, by=request.user),
                     "{count} deployments completed.", refused_level=messages.ERROR)

    @admin.action(description="Generate the contract agreement PDF again")
    def regenerate_contracts(self, request: HttpRequest, queryset: DeploymentQuerySet) -> None:
        from .tasks import generate_contract

        ids = list(queryset.contracted().values_list("pk", flat=True))
        for pk in ids:
            generate_contract.delay(pk)
        self.message_user(request, f"{len(ids)} contract agreements are being generated.", messages.SUCCESS)


# --------------------------------------------------------------------------
# Records of visit
# --------------------------------------------------------------------------


class QAFlagFilter(admin.SimpleListFilter):
    title = "quality assurance"
    parameter_name = "qa"

    def lookups(self, request, model_admin):
        return [("flagged", "Flagged"), ("not_flagged", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "flagged":
            return queryset.filter(qa_flagged_at__isnull=False)
        if self.value() == "not_flagged":
            return queryset.filter(qa_flagged_at__isnull=True)
        return queryset


@admin.register(VisitRecord)
class VisitRecordAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    """Records belong to whoever made them; the adviser reads them and flags
    some for quality assurance (the actions)."""

    list_display = ("visit_date", "deployment", "delivered_by", "days", "status", "qa_flagged")
    list_filter = ("status", QAFlagFilter, "days")
    list_select_related = ("deployment__lle__user", "deployment__client_school", "colleague")
    search_fields = ("deployment__client_school__name", "deployment__lle__user__full_name")
    date_hierarchy = "visit_date"
    actions = ("flag_for_qa", "clear_qa_flag")
    exclude = ("objectives",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["objectives_served"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a paid day must keep its record

    @admin.display(description="objectives it served")
    def objectives_served(self, obj: VisitRecord) -> str:
        return ", ".join(o.title for o in obj.objectives.all()) or "—"

    @admin.display(description="QA", boolean=True)
    def qa_flagged(self, obj: VisitRecord) -> bool:
        return obj.qa_flagged_at is not None

    @admin.action(description="Flag for quality assurance")
    def flag_for_qa(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda v: services.visit_flag_for_qa(visit=v, by=request.user),
                     "{count} records of visit flagged for quality assurance.", refused_level=messages.ERROR)

    @admin.action(description="Clear the quality-assurance flag")
    def clear_qa_flag(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda v: services.visit_clear_qa_flag(visit=v, by=request.user),
                     "{count} quality-assurance flags cleared.", refused_level=messages.ERROR)


# --------------------------------------------------------------------------
# Reimbursement, network meetings, reminders
# --------------------------------------------------------------------------


@admin.register(ReimbursementStatement)
class ReimbursementStatementAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    """Read-only: statements are prepared and finalised on the staff pages."""

    list_display = ("__str__", "status", "days", "amount", "finalised_at", "open_page")
    list_filter = ("status", "term", "academic_year")
    list_select_related = ("local_authority",)
    # Its PDF is downloaded from the statement's page (a view that checks who
    # asks): the admin would link the stored file's path, which no URL serves.
    exclude = ("pdf",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_totals()  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a finalised statement never changes; a draft is prepared again, not deleted

    @admin.display(description="days", ordering="total_days")
    def days(self, obj: ReimbursementStatement):
        return obj.total_days or 0  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="amount (£)", ordering="total_amount")
    def amount(self, obj: ReimbursementStatement):
        return obj.total_amount or 0  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="statement")
    def open_page(self, obj: ReimbursementStatement) -> str:
        return format_html('<a href="{}">Open</a>', obj.get_absolute_url())


class AttendanceInline(ScopedFormFields, admin.TabularInline):
    model = NetworkMeetingAttendance
    fields = ("lle", "status")
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lle":
            # The LLE's name and school are in its label: fetch them with it.
            # (ScopedFormFields then keeps the adviser's own LLEs only.)
            kwargs["queryset"] = LLEProfile.objects.select_related("user", "school")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(NetworkMeeting)
class NetworkMeetingAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    list_display = ("title", "held_on", "term", "local_authority", "attended")
    # Only the LAs in the list: not every LA's name offered to every adviser.
    list_filter = (("local_authority", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("local_authority",)
    search_fields = ("title", "location")
    date_hierarchy = "held_on"
    inlines = (AttendanceInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(
            attended_count=Count("attendance", filter=Q(attendance__status=NetworkMeetingAttendance.Status.ATTENDED)),
        )

    @admin.display(description="term")
    def term(self, obj: NetworkMeeting) -> str:
        return obj.term_label

    @admin.display(description="LLEs attending", ordering="attended_count")
    def attended(self, obj: NetworkMeeting) -> int:
        return obj.attended_count  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(ReminderLog)
class ReminderLogAdmin(SuperuserOnly, ScopedToOwnLAs, admin.ModelAdmin):
    """What the reminder jobs sent, and when: each reminder once. An internal
    table: the deployment's page shows what matters to an adviser."""

    list_display = ("sent_at", "kind", "deployment", "key")
    list_filter = ("kind",)
    list_select_related = ("deployment__lle__user", "deployment__client_school")
    date_hierarchy = "sent_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
