"""Assessments in the admin: advisers see their LAs'; assessors see their own,
with a link to score (the admin is where an assessor lands after signing in)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin_scope import ScopedToOwnLAs

from ..models import Application, Assessment
from ..rubric import RUBRIC


@admin.register(Assessment)
class AssessmentAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    list_display = ("application", "round", "assessor", "assigned_at", "submitted_at", "total_score")
    list_filter = (("submitted_at", admin.EmptyFieldListFilter),)
    search_fields = ("application__reference_number", "assessor__full_name")
    fields = ("application", "assessor", "assigned_at", "assigned_by", "scores_by_competency", "total_score",
              "comments", "submitted_at", "reminded_at")
    readonly_fields = fields

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("application__round", "assessor", "assigned_by")
        if request.user.is_assessor:
            return queryset.filter(assessor=request.user)
        return queryset.filter(application__in=Application.objects.for_adviser(request.user).values("pk"))

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_adviser or user.is_assessor)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # assigned on the staff page, which checks conflicts of interest

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # scored on the staff page

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="round")
    def round(self, obj: Assessment) -> str:
        return obj.application.round.name

    @admin.display(description="total")
    def total_score(self, obj: Assessment) -> str:
        return f"{obj.total} of {4 * len(RUBRIC)}" if obj.total is not None else "–"

    @admin.display(description="scores")
    def scores_by_competency(self, obj: Assessment) -> str:
        return "; ".join(f"{title}: {obj.scores.get(key, '–')}" for key, title in RUBRIC.items())

    def get_list_display(self, request: AuthenticatedHttpRequest):  # type: ignore[override]  # the admin's user is signed in
        # The scoring page is the assessor's own (it is a 404 for anyone else).
        if request.user.is_assessor:
            return (*self.list_display, "score_link")
        return self.list_display

    @admin.display(description="scoring page")
    def score_link(self, obj: Assessment) -> str:
        return format_html('<a href="{}">{}</a>', reverse("applications:staff_assess", args=[obj.pk]),
                           "See your scores" if obj.submitted_at else "Score")
