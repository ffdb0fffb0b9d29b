"""Filters of the deployment list pages (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from .models import Deployment


class DeploymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=Deployment.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(label="Kind", choices=Deployment.Kind.choices, empty_label="Any kind")
    q = django_filters.CharFilter(label="School or LLE", method="filter_q")

    class Meta:
        model = Deployment
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select" if hasattr(field, "choices") else "form-control"

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(client_school__name__icontains=value) | Q(lle__user__full_name__icontains=value))
