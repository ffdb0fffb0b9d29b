"""Who may open a page. Views of every app use these instead of ad-hoc checks.

The rule is the same everywhere: someone who is not signed in is sent to the
sign-in page (and back afterwards); someone signed in with the wrong role gets
403. Object-level scoping ("only your own application") is the view's job:
look the object up through the user so another person's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view sees behind role_required, staff_required or
    login_required: its user is signed in, so `request.user` is a User (never
    AnonymousUser). An annotation for mypy only (django-stubs' own advice);
    Django builds a plain HttpRequest."""

    user: User


def has_role(user, *roles: str) -> bool:
    """True when `user` is signed in, active and has one of `roles`.

    A superuser counts as an adviser (as `User.is_adviser` says), so the person
    who installed the site can run it before any adviser account exists.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.role in roles:
        return True
    return user.is_superuser and User.Role.ADVISER in roles


# The roles whose school link lets them act for (or, governors, read) a school.
SCHOOL_ROLES = (User.Role.HEADTEACHER, User.Role.GOVERNOR)


def acts_for_school(user, school_id: int | None, *, role: str | None = None) -> bool:
    """May `user` act for the school `school_id`?

    The one answer to that question, for every view, service, admin and task:
    an active headteacher (or governor) whose link to that very school was
    granted, by the adviser confirming the claim or through an adviser's
    invitation. A claim made at registration gives nothing of the school.
    `role` narrows it, e.g. to the headteacher. No query.
    """
    if school_id is None or not (user.is_authenticated and user.is_active):
        return False
    if user.role not in SCHOOL_ROLES or (role is not None and user.role != role):
        return False
    return user.school_id == school_id and user.school_confirmed_at is not None


def confirmed_school_id(user, *, role: str | None = None) -> int | None:
    """The school `user` acts for (see acts_for_school), or None: for filters such
    as "deployments of my school"."""
    school_id = getattr(user, "school_id", None)
    return school_id if acts_for_school(user, school_id, role=role) else None


def confirmed_heads(school_id: int | None):
    """The confirmed, active headteacher of a school, as a queryset (at most one
    row: the database holds one confirmed head per school)."""
    # school_id=None is Django's IS NULL (no row); the stubs do not allow None.
    return User.objects.filter(User.confirmed_heads_q(), school_id=school_id)  # type: ignore[misc]


def is_staff_member(user) -> bool:
    """Advisers, assessors and superusers: the people who work in staff pages."""
    return user.is_authenticated and user.is_active and user.is_staff


def _check(request: HttpRequest, allowed: Callable[[object], bool]) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not allowed(request.user):
        raise PermissionDenied
    return None


def role_required(*roles: str):
    """Decorate a function view: only signed-in users with one of `roles`.

    @role_required(User.Role.HEADTEACHER)
    def task_list(request): ...
    """
    if not roles:
        raise ValueError("role_required needs at least one role.")
    unknown = set(roles) - set(User.Role.values)
    if unknown:
        # A typo here would lock everybody out of a page; fail at import time instead.
        raise ValueError(f"Unknown role(s): {', '.join(sorted(unknown))}")

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            refusal = _check(request, lambda user: has_role(user, *roles))
            return refusal or view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_required(view):
    """Decorate a function view: only advisers, assessors and superusers."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        refusal = _check(request, is_staff_member)
        return refusal or view(request, *args, **kwargs)

    return wrapper
