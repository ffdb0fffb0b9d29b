"""Template context for every page: the site name and the role-aware navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from .access import confirmed_school_id, has_role, is_staff_member
from .models import User


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool = False


def _signed_in(user) -> bool:
    return True


def _roles(*roles: str) -> Callable[[object], bool]:
    return lambda user: has_role(user, *roles)


def _taking_part(user) -> dict[str, bool]:
    """Whether a head or governor takes part in deployments (heads who are LLEs,
    deliver days as a colleague or lead a client school; governors of a school
    that supports or is supported) and whether a head has survey invitations.
    One query for both, remembered on the user for the rest of the request,
    through reverse relations by name: the core imports nothing from the apps
    to its right."""
    found = getattr(user, "_nav_taking_part", None)
    if found is not None:
        return found
    counts: dict[str, Count] = {}
    school_id = confirmed_school_id(user)
    if has_role(user, User.Role.HEADTEACHER):
        taking_part = Q(lle_profile__isnull=False) | Q(colleague_roles__isnull=False)
        if school_id:
            # The client head is the person named on the deployment (docs/programme.md §12.3).
            taking_part |= Q(client_deployments__client_school=school_id)
        counts = {"deployments": Count("pk", filter=taking_part), "surveys": Count("survey_invitations"),
                  "applications": Count("applications", distinct=True),
                  "lle": Count("lle_profile", filter=Q(lle_profile__is_active=True))}
    elif has_role(user, User.Role.GOVERNOR) and school_id:
        taking_part = Q(school__client_deployments__isnull=False) | Q(school__lles__deployments__isnull=False)
        counts = {"deployments": Count("pk", filter=taking_part)}
    row = User.objects.filter(pk=user.pk).aggregate(**counts) if counts else {}
    found = {key: bool(row.get(key)) for key in ("deployments", "surveys", "applications", "lle")}
    user._nav_taking_part = found
    return found


def _has_applied(user) -> bool:
    return has_role(user, User.Role.HEADTEACHER) and _taking_part(user)["applications"]


def _has_not_applied(user) -> bool:
    # A client head (or any head) with no application is offered the
    # programme page under its own name, not a "My application" that is not there;
    # a serving LLE is not asked to apply to become one.
    found = _taking_part(user) if has_role(user, User.Role.HEADTEACHER) else {}
    return bool(found) and not found["applications"] and not found["lle"]


def _takes_part_in_deployments(user) -> bool:
    return _taking_part(user)["deployments"]


def _has_survey_invitations(user) -> bool:
    """Heads invited to a survey (impact app)."""
    return _taking_part(user)["surveys"]


# The main navigation, in one place: (label, URL name, who sees it).
# Later apps add their pages here. An entry whose URL name does not resolve
# yet (its app has not added the route) is left out rather than breaking the
# page, so a name listed ahead of time appears as soon as its route exists.
SIGNED_IN_NAV: tuple[tuple[str, str, Callable[[object], bool]], ...] = (
    ("Home", "home", _signed_in),
    ("My application", "applications:mine", _has_applied),
    ("Apply to be an LLE", "applications:programme", _has_not_applied),
    ("Dashboard", "impact:dashboard", _roles(User.Role.GOVERNOR, User.Role.ADVISER)),
    ("Recruitment", "applications:staff_index", is_staff_member),
    ("My deployments", "deployments:list", _takes_part_in_deployments),
    ("Deployments", "deployments:overview", _roles(User.Role.ADVISER)),
    ("Surveys", "impact:survey_list", _has_survey_invitations),
    ("Surveys", "impact:staff_survey_list", _roles(User.Role.ADVISER)),
    ("School links", "school_links", _roles(User.Role.ADVISER)),
    ("Admin", "admin:index", is_staff_member),
)
ANONYMOUS_NAV: tuple[tuple[str, str], ...] = (
    ("About the programme", "applications:programme"),
    ("Sign in", "login"),
)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _is_current(url: str, path: str) -> bool:
    # The home page would otherwise be "current" everywhere.
    return path == url if url == "/" else path.startswith(url)


def nav_items(request: HttpRequest) -> list[NavItem]:
    """The navigation links for the person making `request`."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        entries = [(label, name) for label, name, visible in SIGNED_IN_NAV if visible(user)]
    else:
        entries = list(ANONYMOUS_NAV)
    items = []
    for label, name in entries:
        url = _url(name)
        if url is not None:
            items.append(NavItem(label=label, url=url, current=_is_current(url, request.path)))
    return items


def site(request: HttpRequest) -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        # Lazy: admin pages and partial renders that never show the nav pay nothing.
        "nav_items": SimpleLazyObject(lambda: nav_items(request)),
    }
