"""Which rows a staff member may see, by local authority: one rule per model.

Every app registers a rule for each of its models that belongs to an LA
(`register(School, "local_authority")`, or a function of the user giving a
`Q` when the link is not one chain of foreign keys). The admin uses the rules
for its lists, its change pages, and the choices of every foreign-key and
many-to-many field (`lle_portal.admin_scope`); the tables that point at any
object through a generic key (audit events, sent email, field history) show a
row only when its object's rule lets the user see the object.

A model with no rule belongs to no LA: only a superuser sees its rows, and a
field pointing at it offers an adviser nothing. So a new model is hidden until
someone decides who may see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Cast

if TYPE_CHECKING:
    from .models import User

Rule = Callable[["User"], Q]

_rules: dict[type[models.Model], Rule] = {}


def register(model: type[models.Model], rule: str | Rule) -> None:
    """`rule`: the lookup from the model to its LA ("school__local_authority"),
    or a function of the user returning the rows' filter (superusers are never
    filtered, so a rule need not think of them)."""
    if isinstance(rule, str):
        lookup = rule
        _rules[model] = lambda user: user.in_my_las(lookup)
    else:
        _rules[model] = rule


def is_registered(model: type[models.Model]) -> bool:
    return model in _rules


def restrict(user: User, queryset: QuerySet) -> QuerySet:
    """`queryset` cut to the rows the user may see: all for a superuser,
    none for someone inactive or for a model with no rule."""
    if user.is_active and user.is_superuser:
        return queryset
    rule = _rules.get(queryset.model)
    if rule is None or not (user.is_active and user.is_staff):
        return queryset.none()
    return queryset.filter(rule(user))


def visible(user: User, model: type[models.Model]) -> QuerySet:
    return restrict(user, model._default_manager.all())


def about_visible(user: User, *, content_type_field: str = "content_type", id_field: str = "object_id") -> Q:
    """A filter for rows that point (by content type and id, the id kept as text)
    at an object the user may see. A row about nothing, or about an object of a
    model with no rule, is for superusers only."""
    from django.contrib.contenttypes.models import ContentType

    if user.is_active and user.is_superuser:
        return Q()
    if not (user.is_active and user.is_staff):
        return Q(pk__in=[])
    types = ContentType.objects.get_for_models(*_rules)
    allowed = Q(pk__in=[])
    for model, content_type in types.items():
        # A subquery per model: the ids the user may see, as text to match the generic key.
        ids = visible(user, model).order_by().annotate(_scoping_id=Cast("pk", models.CharField())).values(
            "_scoping_id"
        )
        allowed |= Q(**{content_type_field: content_type, f"{id_field}__in": ids})
    return allowed


# --------------------------------------------------------------------------
# The core's models
# --------------------------------------------------------------------------


def _people_of_my_las(user: User) -> Q:
    from .models import User as UserModel

    # A subquery, so that a person linked to two of the adviser's LAs is one row.
    people = UserModel.objects.filter(user.in_my_las("school__local_authority") | user.in_my_las("local_authorities"))
    return Q(pk__in=people.values("pk"))


def _invitations_of_my_las(user: User) -> Q:
    from .models import Invitation

    invitations = Invitation.objects.filter(user.in_my_las("school__local_authority")
                                            | user.in_my_las("local_authorities"))
    return Q(pk__in=invitations.values("pk"))


def _area_results(user: User) -> Q:
    from .models import AreaResult

    # Their own LAs' averages, and England's to compare with (published national figures).
    return user.in_my_las("local_authority") | Q(area_code=AreaResult.ENGLAND)


def register_core() -> None:
    """The core's rules. Not here, so superuser-only: Report (about any LA, reached
    from the pages that asked for it), ImportJob (h4: national files), AuditEvent
    and OutgoingEmail themselves (scoped through what they are about)."""
    from . import models as core

    register(core.LocalAuthority, "pk")
    register(core.School, "local_authority")
    register(core.Inspection, "school__local_authority")
    register(core.SchoolResult, "school__local_authority")
    register(core.AreaResult, _area_results)
    # The LA's term dates: its advisers keep them.
    register(core.SchoolYearCalendar, "local_authority")
    register(core.SchoolTerm, "calendar__local_authority")
    register(core.BankHoliday, "calendar__local_authority")
    # People and invitations tied to the adviser's LAs (their own LAs, or their
    # school's): the choices of a "client head" or "colleague" field, and the
    # history and emails about them. Someone tied to no LA (an assessor) is not here.
    register(core.User, _people_of_my_las)
    register(core.Invitation, _invitations_of_my_las)
