"""Applications in the admin: read-only (the head's answers are theirs), with
Part A beside the official data; LA approval and withdrawal are actions that
call the services."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin import UrnSearchMixin
from lle_portal.admin_actions import run_for_each
from lle_portal.admin_scope import ScopedToOwnLAs
from lle_portal.models import AuditEvent

from .. import rules, services
from ..eligibility import eligibility_for, eligibility_for_many, with_eligibility_data
from ..models import Application, Specialism
from ..rubric import RUBRIC
from .rounds import RoundFilter

Status = Application.Status


def specialisms_text(values: list[str]) -> str:
    """The specialisms by their labels, for a column or a read-only field."""
    labels = dict(Specialism.choices)
    return ", ".join(labels.get(v, v) for v in values) or "–"


class ApplicationChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Eligibility of the page's applications in one go: a fixed number of
        # queries however many are listed, rather than several per row.
        page = list(self.result_list)  # evaluates and caches the page's queryset
        eligibility = eligibility_for_many(page)
        for application in page:
            application.eligibility = eligibility[application.pk]


@admin.register(Application)
class ApplicationAdmin(UrnSearchMixin, ScopedToOwnLAs, admin.ModelAdmin):
    urn_lookup = "school__urn"
    list_display = (
        # The round last: on a narrow screen it is the column to scroll to (the filter names it too).
        "reference", "applicant_name", "school_name", "status", "eligibility_summary", "working_towards",
        "next_step", "round",
    )
    list_filter = (RoundFilter, "status", "working_towards_eligibility")
    search_fields = ("reference_number", "applicant__full_name", "applicant__email", "school__name")
    search_help_text = "Reference, applicant's name or email, school name or URN."
    actions = ("record_la_approval", "withdraw")
    fieldsets = (
        ("Application", {"fields": (
            "reference_number", "round", "applicant", "school", "status", "submitted_at", "withdrawn_at",
            "working_towards_eligibility", "working_towards_notes",
        )}),
        ("Part A: the school and the headship", {"fields": (
            "appointed_head_on", "previous_headship_years", "previous_headships", "years_as_head",
            "declared_inspection_date", "declared_overall_effectiveness", "declared_leadership",
            "declared_report_card_leadership", "declared_results_good",
            "declared_above_floor", "performance_summary", "slt_can_cover", "slt_details", "phase_offered",
            "specialisms_offered",
        )}),
        ("Part B: the evidence", {"fields": (
            "impact_on_outcomes", "school_improvement", "supporting_others", "capacity", "capacity_notes",
        )}),
        ("Approvals", {"fields": (
            "chair_of_governors_name", "chair_of_governors_email", "governors_approved", "slt_approved",
            "la_approved_at", "la_approved_by",
        )}),
        ("The panel's decision", {"fields": (
            "decision", "decision_reasons", "decided_at", "decided_by", "decision_emailed_at",
        )}),
    )

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return with_eligibility_data(queryset.for_adviser(request.user).for_list())  # type: ignore[attr-defined]

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ApplicationChangeList

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Everything: the head's answers are theirs; changes go through actions and staff pages.
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # heads apply on the web

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # withdraw instead: the record and its audit trail stay

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The list (for its actions) counts as "change"; one application's page is read-only.
        return obj is None and super().has_change_permission(request)

    # --- columns ---

    @admin.display(description="reference", ordering="reference_number")
    def reference(self, obj: Application) -> str:
        return str(obj)

    @admin.display(description="applicant", ordering="applicant__full_name")
    def applicant_name(self, obj: Application) -> str:
        return obj.applicant.full_name

    @admin.display(description="school", ordering="school__name")
    def school_name(self, obj: Application) -> str:
        return obj.school.name if obj.school else "–"

    @admin.display(description="eligibility")
    def eligibility_summary(self, obj: Application) -> str:
        # Set for the whole page by ApplicationChangeList; computed alone elsewhere.
        eligibility = getattr(obj, "eligibility", None) or eligibility_for(obj)
        return eligibility.summary

    @admin.display(description="working towards", boolean=True, ordering="working_towards_eligibility")
    def working_towards(self, obj: Application) -> bool:
        return obj.working_towards_eligibility

    @admin.display(description="next step")
    def next_step(self, obj: Application) -> str:
        # The step open now (applications.rules), linked to the staff page that takes it.
        if rules.can_decide(obj):
            label, name, pk = "Panel", "applications:staff_panel", obj.round_id
        elif rules.can_verify(obj):
            label, name, pk = "Verify Part A", "applications:staff_verify", obj.pk
        elif rules.can_assign_assessors(obj):
            label, name, pk = "Assessors", "applications:staff_assign", obj.pk
        else:
            return "–"
        return format_html('<a href="{}">{}</a>', reverse(name, args=[pk]), label)

    @admin.display(description="years as a headteacher")
    def years_as_head(self, obj: Application) -> str:
        years = obj.years_as_head
        return f"{years}" if years is not None else "–"

    @admin.display(description="specialisms offered")
    def specialisms_offered(self, obj: Application) -> str:
        return specialisms_text(obj.specialisms)

    # --- the change page: Part A beside the official data, and the rest ---

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        application = self.get_object(request, object_id)
        assessments = list(application.assessments.select_related("assessor").order_by("assigned_at"))
        extra_context = {
            **(extra_context or {}),
            "eligibility": eligibility_for(application),
            "verifications": {v.criterion: v for v in application.verifications.select_related("verified_by")},
            "referee": getattr(application, "referee", None),
            "rubric": RUBRIC,
            "assessments": [
                (a, [a.scores.get(key) for key in RUBRIC]) for a in assessments
            ],
            "events": AuditEvent.objects.filter(
                content_type__app_label="applications", content_type__model="application",
                object_id=str(application.pk),
            ).select_related("actor")[:50],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- actions ---

    @admin.action(description="Record the LA's approval", permissions=["change"])
    def record_la_approval(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
                     lambda a: services.application_la_approve(application=a, by=request.user),
                     "LA approval recorded: {count}.")

    @admin.action(description="Withdraw the application", permissions=["change"])
    def withdraw(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda a: services.application_withdraw(
            application=a, by=request.user, reason="Withdrawn by the LA lead adviser."),
                     "Withdrawn: {count}.")
