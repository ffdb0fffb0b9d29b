"""Property-based tests of every add form of the Django admin of the project's
apps (the adviser's main tool): hostile input never gets a server error, and a
refused form says so and saves nothing. The fields and their plausible values
are read from each add page's own form, so a new admin is covered without
touching this file."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from lle_portal.models import User
from lle_portal.tests.factories import SchoolFactory, UserFactory
from lle_portal.tests.fuzz import form_data, fuzz, post_form, rolled_back, table_counts

pytestmark = pytest.mark.django_db

APPS = ("lle_portal", "applications", "deployments")


def _addable(model_admin: admin.ModelAdmin) -> bool:
    request = RequestFactory().get("/")
    # Unsaved: an active superuser's permissions need no query.
    request.user = User(role=User.Role.ADVISER, is_superuser=True, is_staff=True, is_active=True)
    return model_admin.has_add_permission(request)


ADD_PAGES = sorted(
    f"admin:{model._meta.app_label}_{model._meta.model_name}_add"
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in APPS and _addable(model_admin)
)
# Tables an admin request writes whatever its outcome.
NOT_COUNTED = ("django_session",)


@pytest.fixture
def superuser(client, la):
    SchoolFactory(local_authority=la)
    user = UserFactory(role="adviser", is_staff=True, is_superuser=True, local_authorities=[la])
    client.force_login(user)
    return client


def _plausible(field: forms.Field) -> list[str]:
    if isinstance(field, forms.ModelChoiceField | forms.ChoiceField):
        return [str(value) for value, _label in list(field.choices)[:5] if str(value)] or [""]  # type: ignore[arg-type]
    if isinstance(field, forms.BooleanField):
        return ["on", ""]
    if isinstance(field, forms.DateTimeField | forms.DateField):
        return ["2026-09-01", "01/09/2026"]
    if isinstance(field, forms.IntegerField | forms.DecimalField):
        return ["1", "2019", "0.5"]
    if isinstance(field, forms.EmailField):
        return ["new.person@school.example"]
    return ["Plain words"]


def _fields(form: forms.BaseForm) -> dict[str, list[str]]:
    """Posted names and plausible values; a split date-time posts two names."""
    fields = {}
    for name, field in form.fields.items():
        values = _plausible(field)
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            for i, _ in enumerate(widget.widgets):
                fields[f"{name}_{i}"] = ["2026-09-01", "09:00"] if i == 0 else ["09:00", "25:61"]
        else:
            fields[name] = values
    return fields


def _counts() -> dict[str, int]:
    return {table: n for table, n in table_counts().items() if table not in NOT_COUNTED}


@pytest.mark.parametrize("page", ADD_PAGES)
@settings(fuzz, max_examples=20)
@given(data=st.data())
def test_an_admin_add_form_refuses_hostile_input_and_saves_nothing(page, data, superuser):
    url = reverse(page)
    form = superuser.get(url).context["adminform"].form
    posted = data.draw(form_data(_fields(form)))
    with rolled_back():
        before = _counts()
        response = post_form(superuser, url, posted)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            assert "errornote" in response.content.decode(), "a refused admin form says so"
            assert _counts() == before
