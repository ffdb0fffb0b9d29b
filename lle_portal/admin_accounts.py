"""Admin for users and invitations: the adviser's tool for managing accounts.

Accounts are made by invitation (the invitation's add form calls
`invitation_create`), so the user admin mainly lists, searches and edits.
Advisers work here without Django model permissions being granted to them:
access follows the role, like the rest of the portal.

What each person may change is decided by lle_portal.services
(`user_changeable_fields`, `invitation_check`): an adviser invites
headteachers, governors and assessors to their own LAs' schools and may
deactivate them; roles, LAs, superuser status, groups, permissions and another
person's email are a superuser's; no one edits their own LAs. The forms offer
only those fields, refuse a value posted for any other, and the save goes
through the services, which check again.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from . import admin_groups, privacy, services
from .access import AuthenticatedHttpRequest
from .admin_scope import ScopedToOwnLAs
from .forms import InvitationAdminForm, UserAdminChangeForm, UserAdminCreationForm
from .models import Invitation, LocalAuthority, User

# Where each table sits in the admin's task groups (lle_portal/admin_groups.py).
admin_groups.place(User, "people", 10, name="People")
admin_groups.place(Invitation, "people", 20)
admin_groups.staff_page("people", 5, "School links to confirm", "school_links")


def _is_adviser(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_adviser


def _scope_to_adviser(request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
    """An adviser sees people tied to their own LAs, and people tied to no LA
    at all (assessors, for instance); a superuser sees everyone."""
    return services.people_visible_to(queryset, by=request.user)


class LocalAuthorityFilter(admin.SimpleListFilter):
    """An adviser's own LAs, or the LA of a head's or governor's school."""

    title = "local authority"
    parameter_name = "la"

    def lookups(self, request, model_admin):
        las = LocalAuthority.objects.all()
        if not request.user.is_superuser:
            las = las.filter(advisers=request.user)
        return [(str(la.pk), la.name) for la in las]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Q(local_authorities__pk=self.value()) | Q(school__local_authority__pk=self.value())
            ).distinct()
        return queryset


@admin.register(User)
class UserAdmin(ScopedToOwnLAs, DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ("full_name", "email", "role", "school", "is_active", "last_login")
    list_filter = ("role", LocalAuthorityFilter, "is_active")
    list_select_related = ("school",)
    search_fields = ("full_name", "email", "school__name", "school__urn")
    ordering = ("full_name", "email")
    raw_id_fields = ("school",)
    filter_horizontal = ("local_authorities", "groups", "user_permissions")
    readonly_fields = ("is_staff", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "job_title")}),
        ("Role", {"fields": ("role", "school", "local_authorities")}),
        (
            "Access",
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": "Staff status follows the role: advisers and assessors have it.",
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "school", "usable_password", "password1", "password2"),
            },
        ),
    )

    actions = ["deactivate_accounts", "export_personal_data", "erase_personal_data"]

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return _scope_to_adviser(request, queryset)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.pk == request.user.pk:
            (name, options), *rest = fieldsets
            url = reverse("email_change")
            options = {**options, "description": format_html(
                'To change your own email address, use <a href="{}">Change your email address</a>: '
                "a link is sent to the new address. No one changes their own local authorities.", url)}
            return ((name, options), *rest)
        return fieldsets

    def _locked_fields(self, request, obj) -> set[str]:
        """The form's fields that `request.user` may not change for `obj`. A
        field added to the fieldsets is locked until the services say who may
        change it."""
        shown = set(flatten_fieldsets(self.get_fieldsets(request, obj))) - {"password"}
        return shown - services.user_changeable_fields(person=obj, by=request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields  # the add form: a superuser's only
        return fields + sorted(self._locked_fields(request, obj) - set(fields))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # get_form builds a new class on every call, so this is per request.
        form.by = request.user
        if obj is not None:
            form.locked_fields = frozenset(self._locked_fields(request, obj))
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # The service checks again what `request.user` may change, and tells
        # the old address of an email set here.
        services.user_update(
            person=obj, changes={name: form.cleaned_data[name] for name in form.changed_data}, by=request.user
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # On change, user_update has set the many-to-many fields.
        if not change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Deactivate the selected accounts", permissions=["change"])
    def deactivate_accounts(self, request, queryset):
        """The person can no longer sign in; what they did stays, under their name."""
        done = 0
        for person in queryset.filter(is_active=True):
            try:
                services.user_update(person=person, changes={"is_active": False}, by=request.user)
            except PermissionDenied:
                self.message_user(request, f"{person}: only a superuser can deactivate this account.",
                                  messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, f"Accounts deactivated: {done}.", messages.SUCCESS)

    @admin.action(description="Export personal data", permissions=["view"])
    def export_personal_data(self, request, queryset):
        """Everything held about one person, as a JSON file (a subject access request)."""
        people = list(queryset[:2])
        if len(people) != 1:
            self.message_user(request, "Select one person to export their data.", messages.WARNING)
            return None
        try:
            data = privacy.person_export(email=people[0].email, by=request.user)
        except PermissionDenied as error:
            self.message_user(request, f"{people[0]}: {error}", messages.WARNING)
            return None
        response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="personal-data-{people[0].pk}.json"'
        return response

    @admin.action(description="Erase personal data", permissions=["change"])
    def erase_personal_data(self, request, queryset):
        """Asks for confirmation first; only a superuser may erase before the retention period has passed."""
        # Erasing an account is managing it: an adviser never erases another adviser's,
        # nor the data of anyone beyond their LAs (privacy.may_handle).
        people = [user for user in queryset if services.user_may_manage(person=user, by=request.user)
                  and privacy.may_handle(user=user, by=request.user)]
        can_force = request.user.is_superuser
        if request.POST.get("confirm") == "yes":
            force = can_force and request.POST.get("force") == "yes"
            erased = 0
            for user in people:
                try:
                    privacy.person_erase(email=user.email, by=request.user, force=force)
                except privacy.PrivacyError as error:
                    self.message_user(request, f"{user}: {error}", messages.WARNING)
                else:
                    erased += 1
            if erased:
                self.message_user(request, f"Personal data erased: {erased}.", messages.SUCCESS)
            return None
        rows = [(user, privacy.person_retention(privacy.person_find(user.email))) for user in people]
        return TemplateResponse(request, "admin/lle_portal/user/erase_personal_data.html", {
            **self.admin_site.each_context(request),
            "title": "Erase personal data",
            "opts": self.model._meta,
            "rows": rows,
            "can_force": can_force,
            "retention_days": privacy.retention_days(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    def has_module_permission(self, request):
        return _is_adviser(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return _is_adviser(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if not (_is_adviser(request) or super().has_change_permission(request)):
            return False
        # Nothing they may change (another adviser, a superuser): the page is read-only.
        return obj is None or bool(services.user_changeable_fields(person=obj, by=request.user))

    def has_add_permission(self, request):
        # People get accounts by invitation; only a superuser adds one directly.
        return request.user.is_superuser

    def user_change_password(self, request, id, form_url=""):
        """Only a superuser sets someone else's password: an adviser who could
        would be able to sign in as any head or governor of their LAs. People
        who have lost theirs use "Forgotten your password?" (an emailed link)."""
        if not request.user.is_superuser and str(request.user.pk) != str(id) and self.has_change_permission(request):
            if not self.get_queryset(request).filter(pk=id).exists():
                raise Http404("No such person.")  # not one of theirs: as if it did not exist
            raise PermissionDenied
        if str(request.user.pk) == str(id):
            # Their own: through the page that asks for the current password
            # (this form does not), so a borrowed session cannot set a new one.
            return redirect("password_change")
        return super().user_change_password(request, id, form_url)

    def has_delete_permission(self, request, obj=None):
        # Deactivate instead: the audit trail and applications refer to the person.
        return request.user.is_superuser


class InvitationStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("accepted", "Accepted"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        match self.value():
            case "pending":
                return queryset.filter(open_, expires_at__gt=now)
            case "accepted":
                return queryset.filter(accepted_at__isnull=False)
            case "expired":
                return queryset.filter(open_, expires_at__lte=now)
            case "revoked":
                return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    form = InvitationAdminForm
    list_display = ("email", "full_name", "role", "school", "state_display", "created_at", "expires_at", "created_by")
    list_filter = (InvitationStateFilter, "role")
    list_select_related = ("school", "created_by")
    search_fields = ("email", "full_name", "school__name")
    ordering = ("-created_at",)
    raw_id_fields = ("school",)
    actions = ["resend_invitations", "revoke_invitations"]
    detail_fields = (
        "email",
        "full_name",
        "role",
        "school",
        "local_authorities",
        "state_display",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
        "user",
    )

    @admin.display(description="state")
    def state_display(self, obj: Invitation) -> str:
        return obj.state.capitalize()

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return _scope_to_adviser(request, queryset)

    def get_fields(self, request, obj=None):
        if obj is None:
            if request.user.is_superuser:
                return InvitationAdminForm.Meta.fields
            # Only an adviser has LAs, and only a superuser invites an adviser.
            return [name for name in InvitationAdminForm.Meta.fields if name != "local_authorities"]
        return self.detail_fields

    def get_readonly_fields(self, request, obj=None):
        # An invitation changes only through its actions (resend, revoke).
        return self.detail_fields if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # get_form builds a new class on every call, so this is per request.
        form.by = request.user
        if not request.user.is_superuser:
            form.locked_fields = frozenset({"local_authorities"})
        return form

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [("", "---------")] + [
                (value, label) for value, label in User.Role.choices if value in services.ADVISER_GRANTABLE_ROLES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "local_authorities" and not request.user.is_superuser:
            kwargs["queryset"] = request.user.my_las()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return services.invitation_create(
            email=data["email"],
            full_name=data["full_name"],
            role=data["role"],
            school=data.get("school"),
            local_authorities=data.get("local_authorities") or (),
            by=request.user,
        )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # invitation_create has saved it and queued the email.
        self.message_user(request, f"We have emailed an invitation link to {obj.email}.", messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        # On add, invitation_create has set the local authorities.
        if change:
            super().save_related(request, form, formsets, change)

    def has_module_permission(self, request):
        return _is_adviser(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return _is_adviser(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return _is_adviser(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        # Only the list (for its actions) counts as "change"; a single
        # invitation's page is read-only.
        return obj is None and (_is_adviser(request) or super().has_change_permission(request))

    def has_delete_permission(self, request, obj=None):
        # Revoke instead, so the history of who was invited stays.
        return False

    def _run(self, request, queryset, service, done: str) -> None:
        count = 0
        for invitation in queryset:
            try:
                service(invitation=invitation, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{invitation.email}: {' '.join(error.messages)}", messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done}: {count}.", messages.SUCCESS)

    @admin.action(description="Resend invitation (with a new link)", permissions=["change"])
    def resend_invitations(self, request, queryset):
        self._run(request, queryset, services.invitation_resend, "Invitations sent again")

    @admin.action(description="Revoke invitation", permissions=["change"])
    def revoke_invitations(self, request, queryset):
        self._run(request, queryset, services.invitation_revoke, "Invitations revoked")
