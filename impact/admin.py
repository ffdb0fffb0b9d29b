"""The adviser's admin for surveys.

The adviser builds a survey here with its questions (an inline), then opens
it (which invites everyone of its audience by email) and closes it with the
actions, which call impact.surveys. Questions are fixed once the survey is
open, so every answer is to the question as it was asked. Each survey links
to its results page (figures only once it has closed); answers themselves are
never listed here: nobody reads one person's answers.

Scoped to the adviser's local authorities, with the related rows fetched with
the page, so the changelist runs the same number of queries at any size.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from lle_portal import admin_groups
from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin import ScopedFormFields, ScopedToOwnLAs
from lle_portal.admin_actions import run_for_each

from . import surveys
from .models import Question, Survey
from .survey_results import ResponseRate

# Where the table sits in the admin's task groups (lle_portal/admin_groups.py).
admin_groups.place(Survey, "surveys", 10)
admin_groups.staff_page("surveys", 5, "Results and comments to publish", "impact:staff_survey_list")


class QuestionInline(ScopedFormFields, admin.TabularInline):
    model = Question
    fields = ("position", "text", "kind", "theme", "required")
    extra = 3

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return surveys.questions_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return surveys.questions_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return surveys.questions_editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Survey)
class SurveyAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    list_display = ("title", "local_authority", "audience", "kind", "opens_on", "closes_on", "status", "responses",
                    "results")
    list_filter = ("status", "audience", "kind")
    list_select_related = ("local_authority",)
    search_fields = ("title",)
    date_hierarchy = "closes_on"
    inlines = (QuestionInline,)
    actions = ("open_surveys", "close_surveys")
    fields = ("local_authority", "title", "introduction", "audience", "kind", "opens_on", "closes_on", "status",
              "opened_at", "closed_at", "results")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(
            invited=Count("invitations", distinct=True),
            responded=Count("invitations", filter=Q(invitations__responded_at__isnull=False), distinct=True),
        )

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "opened_at", "closed_at", "results"]
        if not surveys.questions_editable(obj):
            # Who is asked, and how, is settled once the invitations are out.
            fixed += ["local_authority", "audience", "kind", "opens_on"]
        return fixed

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return surveys.can_delete(obj) and super().has_delete_permission(request, obj)

    @admin.display(description="responses")
    def responses(self, obj: Survey) -> str:
        if not getattr(obj, "invited", 0):
            return "—"
        rate = ResponseRate(invited=obj.invited, responded=obj.responded)  # type: ignore[attr-defined]  # annotated by get_queryset
        return f"{rate.responded} of {rate.invited} ({rate.percent}%)"

    @admin.display(description="results")
    def results(self, obj: Survey) -> str:
        if obj.pk is None:
            return "—"
        # Until it closes the page shows the response rate only (surveys.results_shown).
        label = "Results page" if surveys.results_shown(obj) else "Response rate (results once closed)"
        return format_html('<a href="{}">{}</a>', reverse("impact:survey_results", args=[obj.pk]), label)

    @admin.action(description="Open and send invitations")
    def open_surveys(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda s: surveys.survey_open(survey=s, by=request.user),
                     "{count} surveys opened and invitations sent.", refused_level=messages.ERROR)

    @admin.action(description="Close")
    def close_surveys(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda s: surveys.survey_close(survey=s, by=request.user),
                     "{count} surveys closed.", refused_level=messages.ERROR)
