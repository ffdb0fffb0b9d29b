"""The admin grouped by the adviser's tasks (lle_portal/admin_groups.py): every
registered model is in a group; the index and the sidebar show the groups;
internal tables are hidden from advisers and refused to them; every admin page
carries the portal's name and a way back to the staff pages, and no text that
names the programme's source documents."""

from __future__ import annotations

import contextlib
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from lle_portal import admin_groups
from lle_portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADVISER_GROUPS = ["Recruitment", "Brokerage", "Reimbursement", "Surveys", "School data", "People", "Records"]
INTERNAL_NAMES = ["Reminder logs", "Link requests", "Outgoing emails", "Access attempts", "Access logs", "Groups",
                  "TOTP devices", "Log entries", "Field history", "Reports"]
# Text no user may read: references to the programme's source files and design notes.
SOURCE_REFERENCES = re.compile(r"seeds? 0\d\d|DESIGN\.md|STYLE\.md|\b\w+/\w+\.py\b")


def _label(model) -> str:
    return model._meta.label


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _visible_to(user) -> list:
    request = type("Request", (), {"user": user})()
    return [model for model, model_admin in admin.site._registry.items() if model_admin.has_module_permission(request)
            and any(model_admin.get_model_perms(request).values())]


@pytest.fixture
def superuser(la):
    return UserFactory(role="adviser", is_staff=True, is_superuser=True, local_authorities=[la])


def test_every_model_in_the_admin_is_in_a_task_group():
    missing = sorted(_label(model) for model in admin.site._registry if admin_groups.placement(model) is None)
    assert not missing, (
        f"These admin models are in no task group: {', '.join(missing)}. Place each, next to where its admin is "
        "registered: lle_portal.admin_groups.place(<model>, <group>, <order>) -- groups: "
        f"{', '.join(g.key for g in admin_groups.GROUPS)} (\"system\" for internal tables, superuser-only)."
    )


def test_every_model_an_adviser_sees_is_in_an_advisers_group_and_no_internal_table_is(users):
    visible = _visible_to(users["adviser"])
    assert visible
    for model in visible:
        placed = admin_groups.placement(model)
        assert placed is not None, f"{_label(model)} is shown to advisers but in no task group"
        assert placed.group != "system", f"{_label(model)} is an internal table but advisers see it"
    internal = [m for m in admin.site._registry if admin_groups.placement(m)
                and admin_groups.placement(m).group == "system"]
    assert {_label(m) for m in internal} >= {"deployments.ReminderLog", "applications.LinkRequest",
                                             "lle_portal.OutgoingEmail", "auditlog.LogEntry", "axes.AccessAttempt"}


def test_placing_a_model_in_no_such_group_fails_at_once():
    with pytest.raises(ValueError, match="No admin group"):
        admin_groups.place("deployments.SupportNeed", "brokrage")


def _captions(html: str) -> list[str]:
    return re.findall(r"<caption>\s*(.*?)\s*</caption>", html)


def test_the_advisers_index_is_grouped_by_task(client, users):
    client.force_login(users["adviser"])
    html = client.get(reverse("admin:index")).content.decode()
    assert _captions(html) == ADVISER_GROUPS
    for name in ("Support needs", "Deployments", "Records of visit", "Reimbursement statements", "Surveys",
                 "Schools", "Application rounds", "LLEs"):
        assert f">{name}</a>" in html, name
    for name in INTERNAL_NAMES:
        assert f">{name}</a>" not in html, name
    # Each group says what it is for.
    assert "Schools&#x27; support needs, the deployments agreed with LLEs" in html


def test_the_sidebar_shows_the_same_groups(client, users):
    client.force_login(users["adviser"])
    html = client.get(reverse("admin:deployments_supportneed_changelist")).content.decode()
    sidebar = html[html.index('id="nav-sidebar"'):html.index("</nav>", html.index('id="nav-sidebar"'))]
    assert _captions(sidebar) == ADVISER_GROUPS
    assert "Reminder logs" not in sidebar and "Link requests" not in sidebar


def test_a_superuser_finds_the_internal_tables_at_the_end(client, superuser):
    client.force_login(superuser)
    captions = _captions(client.get(reverse("admin:index")).content.decode())
    assert captions[:len(ADVISER_GROUPS)] == ADVISER_GROUPS
    assert captions[-1] == "System (superusers only)"


def test_internal_tables_are_refused_to_an_adviser_and_open_to_a_superuser(client, users, superuser):
    internal = [m for m in admin.site._registry if admin_groups.placement(m).group == "system"]
    client.force_login(users["adviser"])
    for model in internal:
        assert client.get(_changelist(model)).status_code == 403, _label(model)
    client.force_login(superuser)
    for model in internal:
        assert client.get(_changelist(model)).status_code == 200, _label(model)


def _adviser_pages(user) -> list[str]:
    urls = [reverse("admin:index")]
    for model in _visible_to(user):
        urls.append(_changelist(model))
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
    return list(dict.fromkeys(urls))


def test_every_admin_page_names_the_portal_and_leads_back_to_the_staff_pages(client, users):
    client.force_login(users["adviser"])
    checked = 0
    for url in _adviser_pages(users["adviser"]):
        response = client.get(url)
        if response.status_code != 200:
            continue
        html = response.content.decode()
        checked += 1
        assert f'<a href="{reverse("home")}">Back to staff pages</a>' in html, url
        assert '<div id="site-name"><a href="/admin/">LLE Portal</a></div>' in html, url
        found = SOURCE_REFERENCES.search(html)
        assert not found, f"{url} shows {found.group(0)!r}"
    assert checked > 20


def test_no_field_of_any_model_names_a_source_file():
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for text in (getattr(field, "help_text", ""), getattr(field, "verbose_name", "")):
                if text and SOURCE_REFERENCES.search(str(text)):
                    found.append(f"{_label(model)}.{field.name}: {text}")
            for _value, label in getattr(field, "flatchoices", None) or []:
                if SOURCE_REFERENCES.search(str(label)):
                    found.append(f"{_label(model)}.{field.name} choice: {label}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("url_name", [
    "admin:deployments_supportneed_add",
    "admin:deployments_networkmeeting_add",
    "admin:impact_survey_add",
    "admin:applications_trainingcohort_add",
    "admin:applications_applicationround_add",
])
def test_every_field_of_the_advisers_add_forms_says_what_it_is_for(client, users, url_name):
    client.force_login(users["adviser"])
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    form = response.context["adminform"].form
    missing = [name for name, field in form.fields.items() if not field.help_text]
    assert not missing, f"{url_name}: fields without a help text: {missing}"
