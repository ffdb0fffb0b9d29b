"""Read-only admin for what the system records: domain audit events, sent email,
the field history (django-auditlog) and the PDF reports built in the background;
and the other packages' admins, which are superuser-only.

Who sees which row, per model:
- AuditEvent: scoped by what the row is about (its generic key): an adviser
  sees a row whose object they may see under lle_portal/scoping.py; a row about
  nothing, or about a model with no rule (a report, an import, a survey
  invitation...), is for superusers only.
- OutgoingEmail, auditlog LogEntry: internal tables, superuser-only (the
  pages an adviser works on show the emails and history that matter there);
  still scoped the same way, should they ever be opened to advisers.
- Report: superuser-only (reports can be about any LA).
- auth Group, TOTP devices, django-axes' sign-in records: superuser-only; they
  belong to no LA, and advisers need none of them.
"""

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import admin_groups, reports, scoping
from .access import AuthenticatedHttpRequest
from .admin_scope import ScopedToOwnLAs, SuperuserOnly, superuser_only
from .models import AuditEvent, OutgoingEmail, Report

# Where each table sits in the admin's task groups (lle_portal/admin_groups.py):
# the domain's audit trail for advisers; the rest are internal tables, for superusers.
admin_groups.place(AuditEvent, "records", 10, name="Who did what (audit trail)")
admin_groups.place(OutgoingEmail, "system", 10)
admin_groups.place(LogEntry, "system", 20, name="Field history")
admin_groups.place(Report, "system", 30)
admin_groups.place(Group, "system", 60)
admin_groups.place(TOTPDevice, "system", 70)
admin_groups.place(AccessAttempt, "system", 80)
admin_groups.place(AccessLog, "system", 81)
admin_groups.place(AccessFailureLog, "system", 82)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The record of what happened is never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AboutScopedAdmin(ScopedToOwnLAs, ReadOnlyAdmin):
    """Rows about an object (content type and id): shown when the object is."""

    about_content_type_field = "content_type"
    about_id_field = "object_id"

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(scoping.about_visible(
            request.user, content_type_field=self.about_content_type_field, id_field=self.about_id_field,
        ))


@admin.register(AuditEvent)
class AuditEventAdmin(AboutScopedAdmin):
    list_display = ["created_at", "verb", "target_repr", "actor", "actor_label"]
    list_filter = ["verb", ("content_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["verb", "target_repr", "actor__email", "actor_label"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(SuperuserOnly, AboutScopedAdmin):
    list_display = ["created_at", "to", "subject", "template", "state", "sent_at", "attempts"]
    list_filter = ["template", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ["to", "subject", "template", "created_at", "sent_at", "failed_at", "attempts", "last_error", "body_text"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Every PDF asked for, with why a failed one failed. Reports can be about
    any LA, so only superusers see this list; people reach their own reports
    from the pages they asked on."""

    list_display = ["requested_at", "title", "kind", "status", "attempts", "requested_by", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "subject"]
    list_select_related = ["requested_by"]
    date_hierarchy = "requested_at"
    # The file through its download view: no URL serves a stored file by its path.
    fields = ["title", "kind", "subject", "params", "status", "download", "requested_by", "requested_at",
              "started_at", "finished_at", "attempts", "error"]
    actions = ["build_again"]

    @admin.display(description="file")
    def download(self, obj: Report) -> str:
        if obj.status != Report.Status.READY or not obj.file:
            return "-"
        return format_html('<a href="{}">Download</a>', reverse("reports:download", args=[obj.pk]))

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="Build the selected reports again")
    def build_again(self, request, queryset) -> None:
        for report in queryset:
            reports.report_retry(report, user=request.user)
        self.message_user(request, f"{queryset.count()} report(s) queued (joined where one was already being built).")


# --------------------------------------------------------------------------
# Field history (django-auditlog)
# --------------------------------------------------------------------------

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(SuperuserOnly, AboutScopedAdmin, AuditlogLogEntryAdmin):
    """django-auditlog's history list, scoped like the audit events. Its search
    named `actor__first_name`, which our User has not: every search was a 500."""

    about_id_field = "object_pk"
    search_fields = ["object_repr", "actor__full_name", "actor__email"]
    search_help_text = "The record's name, or the name or email of who changed it."
    show_full_result_count = False

    # auditlog's own rule: deleted only along with what it is about.
    has_delete_permission = AuditlogLogEntryAdmin.has_delete_permission

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # auditlog's columns read the request (its correlation-id links).
        self.request = request
        return super().get_queryset(request)


# --------------------------------------------------------------------------
# Other packages' admins: nothing of an LA in them, superuser-only.
# --------------------------------------------------------------------------

for _model, _admin_class in (
    (Group, GroupAdmin),
    (TOTPDevice, TOTPDeviceAdmin),
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, superuser_only(_admin_class))
