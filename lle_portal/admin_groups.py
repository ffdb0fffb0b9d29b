"""The admin's index and sidebar grouped by the adviser's tasks, in one place.

The groups are the programme's jobs (recruitment, brokerage, reimbursement,
surveys, school data...), not the code's apps. Each app says where its
admin's models go, next to where it registers them (its admin.py):

    admin_groups.place(SupportNeed, "brokerage", 10)

and the core collects them: `grouped()` turns the admin's list of apps into
the list of groups the index (admin/index.html) and the sidebar
(admin/nav_sidebar.html) both show. The core imports no app: models are named
by their label ("deployments.SupportNeed"), or passed in by the app itself.

Internal tables (what the reminder jobs sent, emailed links, sent email, the
field history, sign-in records) go in the "system" group: their admins are
superuser-only (lle_portal.admin_scope.SuperuserOnly), so an adviser never
sees them; a superuser finds them at the end of the index.

A registered model with no group is shown under "Other" and fails
lle_portal/tests/test_admin_groups.py, which names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.urls import reverse


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    description: str


# In the order the index shows them.
GROUPS: tuple[Group, ...] = (
    Group("recruitment", "Recruitment",
          "Application rounds, applications and their assessments, the LLEs designated and their training."),
    Group("brokerage", "Brokerage",
          "Schools' support needs, the deployments agreed with LLEs, their records of visit, and network meetings."),
    Group("reimbursement", "Reimbursement",
          "The termly statements of the days delivered that the local authority pays for."),
    Group("surveys", "Surveys", "Surveys of LLEs and client headteachers, and their results."),
    Group("school_data", "School data",
          "Schools, their inspections and results, and the official data files imported."),
    Group("people", "People", "Accounts and the invitations that grant them."),
    Group("records", "Records", "Who did what in the portal, and when."),
    Group("system", "System (superusers only)",
          "Internal tables kept for the site's owners: reminders sent, emailed links, sent email, field history, "
          "sign-in records."),
)
OTHER = Group("other", "Other", "Not yet placed in a group.")
_BY_KEY = {group.key: group for group in GROUPS}


@dataclass(frozen=True)
class Placement:
    group: str
    order: int
    name: str | None = None  # the model's name in the index, when its plural name is not the programme's


_placements: dict[str, Placement] = {}


@dataclass(frozen=True)
class StaffPage:
    """A staff page listed in a group beside its tables (the matching list, the statements...)."""

    group: str
    order: int
    name: str
    url_name: str
    roles: tuple[str, ...]


_staff_pages: list[StaffPage] = []


def _label(model: type[models.Model] | str) -> str:
    return (model if isinstance(model, str) else model._meta.label).lower()


def place(model: type[models.Model] | str, group: str, order: int = 100, *, name: str | None = None) -> None:
    """Put a model's admin in a group, at `order` within it (smaller first)."""
    if group not in _BY_KEY:
        raise ValueError(f"No admin group {group!r}; the groups are {', '.join(_BY_KEY)}.")
    _placements[_label(model)] = Placement(group, order, name)


def staff_page(group: str, order: int, name: str, url_name: str, *, roles: tuple[str, ...] = ("adviser",)) -> None:
    """List a staff page (by URL name) in a group, for the given roles (and superusers)."""
    if group not in _BY_KEY:
        raise ValueError(f"No admin group {group!r}; the groups are {', '.join(_BY_KEY)}.")
    if all(page.url_name != url_name for page in _staff_pages):
        _staff_pages.append(StaffPage(group, order, name, url_name, roles))


def placement(model: type[models.Model] | str) -> Placement | None:
    return _placements.get(_label(model))


def group(key: str) -> Group:
    return _BY_KEY[key]


def grouped(app_dict: dict[str, dict], user=None) -> list[dict]:
    """The admin's apps (AdminSite._build_app_dict) as task groups, each shaped
    like an app for the admin's templates, with its models in their order, and
    the group's staff pages (for `user`) beside them. A group with no table
    the user may open is not shown."""
    buckets: dict[str, list[tuple[int, str, dict]]] = {}
    for app in app_dict.values():
        for model in app["models"]:
            found = placement(model["model"])
            key = found.group if found else OTHER.key
            entry = dict(model)
            if found and found.name:
                entry["name"] = found.name
            buckets.setdefault(key, []).append((found.order if found else 1000, str(entry["name"]), entry))
    for page in _staff_pages:
        if page.group not in buckets or user is None:
            continue
        if not (user.is_superuser or getattr(user, "role", None) in page.roles):
            continue
        entry = {"name": page.name, "object_name": f"staffpage-{page.url_name.replace(':', '-')}",
                 "admin_url": reverse(page.url_name), "add_url": None, "view_only": True, "staff_page": True}
        buckets[page.group].append((page.order, page.name, entry))
    index = reverse("admin:index")
    result = []
    for grp in (*GROUPS, OTHER):
        if grp.key not in buckets:
            continue
        result.append({
            "name": grp.title,
            "description": grp.description,
            "app_label": grp.key,
            "app_url": f"{index}#group-{grp.key}",
            "has_module_perms": True,
            "models": [entry for _order, _name, entry in sorted(buckets[grp.key], key=lambda row: row[:2])],
        })
    return result
