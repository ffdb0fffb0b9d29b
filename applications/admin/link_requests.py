"""References and governing-body approvals (emailed links) in the admin: the
text is for staff; resend and cancel are actions; every email about a request
is listed. Advisers work on them on the application's verification page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin_actions import run_for_each
from lle_portal.admin_scope import ScopedToOwnLAs, SuperuserOnly
from lle_portal.models import OutgoingEmail

from .. import references
from ..models import LinkRequest


@admin.register(LinkRequest)
class LinkRequestAdmin(SuperuserOnly, ScopedToOwnLAs, admin.ModelAdmin):
    list_display = ("application", "kind", "recipient_name", "status", "created_at", "reminder_count",
                    "responded_at", "expires_at")
    list_filter = ("kind", "status")
    search_fields = ("application__reference_number", "recipient_name", "recipient_email",
                     "application__applicant__full_name")
    actions = ("resend", "cancel")
    fields = ("application", "kind", "status", "recipient_name", "recipient_email", "created_at", "created_by",
              "sent_at", "expires_at", "reminder_count", "last_reminded_at", "responded_at", "closed_at",
              "answers_text", "decline_reason", "emails_sent")
    readonly_fields = fields

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.for_adviser(request.user).select_related("application")  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by submission, "send request now" or resend

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cancel instead

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.display(description="answers")
    def answers_text(self, obj: LinkRequest):
        if not obj.answers:
            return "–"
        labels = {"recommendation": obj.recommendation_label}
        return format_html_join(
            "", "<p><strong>{}</strong><br>{}</p>",
            ((name.replace("_", " ").capitalize(), labels.get(name, value)) for name, value in obj.answers.items()),
        )

    @admin.display(description="emails sent")
    def emails_sent(self, obj: LinkRequest):
        emails = OutgoingEmail.objects.filter(
            content_type__app_label="applications", content_type__model="linkrequest", object_id=str(obj.pk)
        ).order_by("created_at")
        return format_html_join(
            "", "<p>{} → {}: {} {}</p>",
            ((e.subject, e.to, e.state, e.sent_at.strftime("%-d %b %Y %H:%M") if e.sent_at else "") for e in emails),
        ) or "–"

    @admin.action(description="Resend with a new link (the old link stops working)", permissions=["change"])
    def resend(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
                     lambda obj: references.link_request_resend(link_request=obj, by=request.user),
                     "Resent: {count}.")

    @admin.action(description="Cancel the request", permissions=["change"])
    def cancel(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
                     lambda obj: references.link_request_cancel(link_request=obj, by=request.user),
                     "Cancelled: {count}.")
