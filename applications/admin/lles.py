"""LLE profiles and training cohorts in the admin: joining a cohort and
completing training are actions that call the services."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin_actions import run_for_each
from lle_portal.admin_scope import ScopedFormFields, ScopedToOwnLAs

from .. import services
from ..models import ApplicationRound, LLEProfile, Specialism, TrainingCohort
from .applications import specialisms_text
from .rounds import RoundFilter


class LLEProfileForm(forms.ModelForm):
    specialisms = forms.MultipleChoiceField(
        choices=Specialism.choices, required=False, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LLEProfile
        fields = ("phase", "specialisms", "days_per_week", "is_active", "stood_down_on")
        help_texts = {"stood_down_on": "Filled in with today's date when “Is active” is cleared, if left blank; "
                                       "the impact figures count the LLE for the years before it."}

    def clean(self):
        data = super().clean()
        if data.get("is_active"):
            data["stood_down_on"] = None  # active again
        elif not data.get("stood_down_on"):
            data["stood_down_on"] = timezone.localdate()
        return data


class CohortChoiceForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=TrainingCohort.objects.none(), label="Training cohort")

    def __init__(self, *args, cohorts: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts  # type: ignore[attr-defined]  # a ModelChoiceField


class TrainingDateForm(forms.Form):
    trained_on = forms.DateField(
        label="Training completed on", initial=timezone.localdate, widget=admin.widgets.AdminDateWidget,
    )


class TrainedFilter(admin.SimpleListFilter):
    title = "trained"
    parameter_name = "trained"

    def lookups(self, request, model_admin):
        return [("yes", "Trained"), ("no", "Not yet trained"), ("deployable", "Deployable (trained and active)")]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(trained_on__isnull=False)
            case "no":
                return queryset.filter(trained_on__isnull=True)
            case "deployable":
                return queryset.deployable()
        return queryset


def _cohorts_for(request: HttpRequest) -> QuerySet:
    return TrainingCohort.objects.filter(
        round__in=ApplicationRound.objects.for_adviser(request.user).values("pk")
    ).select_related("round")


class CohortFilter(admin.SimpleListFilter):
    """The cohorts of the adviser's own rounds only."""

    title = "training cohort"
    parameter_name = "cohort"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name) for c in _cohorts_for(request)]

    def queryset(self, request, queryset):
        return queryset.filter(cohort_id=self.value()) if self.value() else queryset


@admin.register(LLEProfile)
class LLEProfileAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    form = LLEProfileForm
    list_display = (
        "user", "school_name", "phase", "days_per_week", "designated_on", "trained_on", "is_active", "deployable",
    )
    list_filter = ("phase", "is_active", TrainedFilter, CohortFilter)
    search_fields = ("user__full_name", "user__email", "school__name")
    readonly_fields = ("user", "school", "application", "designated_on", "cohort", "trained_on")
    fieldsets = (
        (None, {"fields": ("user", "school", "application", "designated_on")}),
        ("What they offer", {"fields": ("phase", "specialisms", "days_per_week", "is_active", "stood_down_on")}),
        ("Training", {
            "fields": ("cohort", "trained_on"),
            "description": "Set by the actions “Add to a training cohort” and “Mark training complete” "
            "on the list: the cohort must finish within 8 weeks of designation.",
        }),
    )
    actions = ("add_to_cohort", "mark_training_complete")

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("user", "school", "cohort")
        if request.user.is_superuser:
            return queryset
        # LLEs whose school is in the adviser's LAs, or whom the adviser's own round designated.
        return queryset.filter(
            request.user.in_my_las("school__local_authority")
            | Q(application__round__in=ApplicationRound.objects.for_adviser(request.user).values("pk"))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by the panel's designation (services.lle_designate)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser  # deactivate instead

    @admin.display(description="specialisms")
    def specialisms_offered(self, obj: LLEProfile) -> str:
        return specialisms_text(obj.specialisms)

    @admin.display(description="school", ordering="school__name")
    def school_name(self, obj: LLEProfile) -> str:
        return obj.school.name

    @admin.display(description="deployable", boolean=True)
    def deployable(self, obj: LLEProfile) -> bool:
        return obj.is_deployable

    def _ask(self, request: HttpRequest, queryset: QuerySet, *, form: forms.Form, action: str, title: str,
             intro: str, button: str) -> TemplateResponse:
        """The intermediate page of an action that needs a value (like Django's delete confirmation)."""
        return TemplateResponse(request, "admin/applications/lleprofile/action_form.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": intro,
            "button": button,
            "form": form,
            "action": action,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Add to a training cohort", permissions=["change"])
    def add_to_cohort(self, request: AuthenticatedHttpRequest, queryset: QuerySet):
        cohorts = _cohorts_for(request)
        form = CohortChoiceForm(request.POST if "apply" in request.POST else None, cohorts=cohorts)
        if form.is_bound and form.is_valid():
            cohort = form.cleaned_data["cohort"]
            run_for_each(self, request, queryset,
                         lambda p: services.cohort_join(profile=p, cohort=cohort, by=request.user),
                         f"Added to {cohort}: {{count}}.")
            return None
        return self._ask(
            request, queryset, form=form, action="add_to_cohort", title="Add to a training cohort",
            intro="Training follows designation within 6 to 8 weeks: the cohort must finish within 8 weeks. "
            "Each LLE is emailed the cohort's dates.",
            button="Add to the cohort",
        )

    @admin.action(description="Mark training complete", permissions=["change"])
    def mark_training_complete(self, request: AuthenticatedHttpRequest, queryset: QuerySet):
        form = TrainingDateForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            on: date = form.cleaned_data["trained_on"]
            run_for_each(self, request, queryset,
                         lambda p: services.training_complete(profile=p, on=on, by=request.user),
                         "Training recorded: {count}.")
            return None
        return self._ask(
            request, queryset, form=form, action="mark_training_complete", title="Mark training complete",
            intro="From this date the LLEs can be deployed (if active).", button="Mark training complete",
        )


class CohortMemberInline(ScopedFormFields, admin.TabularInline):
    model = LLEProfile
    fk_name = "cohort"
    fields = ("user", "school", "phase", "designated_on", "trained_on", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "member"
    verbose_name_plural = "members (add them with the LLE profiles' action “Add to a training cohort”)"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cohort_join checks the 8-week rule

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "school")


@admin.register(TrainingCohort)
class TrainingCohortAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    list_display = ("name", "round", "starts_on", "ends_on", "member_count", "trained_count")
    list_filter = (RoundFilter,)
    search_fields = ("name",)
    inlines = (CohortMemberInline,)

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        if not request.user.is_superuser:
            queryset = queryset.filter(round__in=ApplicationRound.objects.for_adviser(request.user).values("pk"))
        return queryset.select_related("round").annotate(
            members_n=Count("members"), trained_n=Count("members", filter=Q(members__trained_on__isnull=False)),
        )

    @admin.display(description="members", ordering="members_n")
    def member_count(self, obj: TrainingCohort) -> int:
        return obj.members_n  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="trained", ordering="trained_n")
    def trained_count(self, obj: TrainingCohort) -> int:
        return obj.trained_n  # type: ignore[attr-defined]  # annotated by get_queryset
