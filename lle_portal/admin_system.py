"""Read-only admin for what the system records: domain audit events, sent email
and the PDF reports built in the background."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from . import reports
from .models import AuditEvent, OutgoingEmail, Report


class ReadOnlyAdmin(admin.ModelAdmin):
    """The record of what happened is never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "verb", "target_repr", "actor", "actor_label"]
    list_filter = ["verb", "content_type"]
    search_fields = ["verb", "target_repr", "actor__email", "actor_label"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
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
