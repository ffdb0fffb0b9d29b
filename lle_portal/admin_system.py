"""Read-only admin for what the system records: domain audit events and sent email."""

from django.contrib import admin

from .models import AuditEvent, OutgoingEmail


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
