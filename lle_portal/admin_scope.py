"""One mechanism that keeps an adviser inside their local authorities in the admin.

`ScopedToOwnLAs` on a ModelAdmin: its list, search, raw-id popup, autocomplete
answers (Django asks the target admin's `get_queryset`), actions (they act on
the list's queryset) and exports show only the rows of the adviser's LAs; the
change, delete and history pages of any other row are a 404. Its forms, and
those of its inlines (`ScopedFormFields`), offer and accept in every
foreign-key and many-to-many field only objects the adviser may see: a posted
id of another LA's school is "not one of the available choices", nothing saved.

Which rows: `scope()` if the admin defines one, else the model's rule in
lle_portal.scoping (or `la_lookup`, a shortcut for a rule). A superuser is never
filtered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from . import scoping
from .access import AuthenticatedHttpRequest

if TYPE_CHECKING:
    # The mixins below go before a ModelAdmin (or an inline) in a class's bases.
    AdminMixinBase = admin.ModelAdmin
else:
    AdminMixinBase = object


class ScopedFormFields(AdminMixinBase):
    """Foreign-key and many-to-many choices cut to what the user may see, for a
    ModelAdmin or an inline. A queryset an admin passes in is cut too."""

    def _scoped_choices(self, db_field, request: AuthenticatedHttpRequest, kwargs: dict) -> dict:
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.all()
        kwargs["queryset"] = scoping.restrict(request.user, queryset)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if not request.user.is_superuser:
            kwargs = self._scoped_choices(db_field, cast(AuthenticatedHttpRequest, request), kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if not request.user.is_superuser:
            kwargs = self._scoped_choices(db_field, cast(AuthenticatedHttpRequest, request), kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedToOwnLAs(ScopedFormFields):
    """An adviser sees the records of the local authorities they work for; any
    other record does not exist for them (a 404, not the admin's "perhaps it
    was deleted?" redirect)."""

    # Set to the lookup from the model to its LA when the admin's rows follow
    # another chain than the model's registered rule; None: the model's rule.
    la_lookup: str | None = None

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        if request.user.is_active and request.user.is_superuser:
            return queryset
        if self.la_lookup is not None:
            # A subquery, not a list: no extra query per page.
            return queryset.filter(request.user.in_my_las(self.la_lookup))
        return scoping.restrict(request.user, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The admin's pages are for signed-in staff only.
        return self.scope(cast(AuthenticatedHttpRequest, request), super().get_queryset(request))

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        # Someone with no business here at all (an assessor) is refused, not told "not found".
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with that id in your local authorities.")
        return obj


class SuperuserOnly(AdminMixinBase):
    """For models that belong to no LA: only a superuser sees or changes them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return request.user.is_active and request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser and super().has_delete_permission(request, obj)


def superuser_only(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """A third-party admin made superuser-only, keeping its pages as they are."""
    return type(f"SuperuserOnly{admin_class.__name__}", (SuperuserOnly, admin_class), {"__doc__": admin_class.__doc__})
