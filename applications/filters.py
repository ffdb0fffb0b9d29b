"""Filters of the staff list pages (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from .models import Application, Assessment, Phase


class AssignmentFilter(django_filters.FilterSet):
    """The assessor's list: what is still to score, or everything."""

    state = django_filters.ChoiceFilter(
        label="Show", method="filter_state", empty_label="All assignments",
        choices=[("to_score", "Still to score"), ("scored", "Scored")],
    )

    class Meta:
        model = Assessment
        fields: list[str] = []

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(submitted_at__isnull=value == "to_score")


class PanelFilter(django_filters.FilterSet):
    """Narrow the panel's ranked list; the ranks stay those of the whole round."""

    status = django_filters.ChoiceFilter(
        label="Decision", empty_label="All complete applications",
        choices=[
            (Application.Status.ASSESSED, "Awaiting a decision"),
            (Application.Status.DESIGNATED, "Designated"),
            (Application.Status.NOT_DESIGNATED, "Not designated"),
            (Application.Status.DEFERRED, "Deferred"),
        ],
    )
    phase_offered = django_filters.ChoiceFilter(label="Phase offered", choices=Phase.choices, empty_label="Any phase")
    working_towards = django_filters.ChoiceFilter(
        label="Working towards eligibility", empty_label="Either", method="filter_working_towards",
        choices=[("yes", "Yes"), ("no", "No")],
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def filter_working_towards(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(working_towards_eligibility=value == "yes")
