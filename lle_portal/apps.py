from django.apps import AppConfig


class LlePortalConfig(AppConfig):
    name = "lle_portal"
    # The breadcrumb over schools, people and the audit trail in the admin.
    verbose_name = "School data, people and records"

    def ready(self) -> None:
        from . import audit, emails, reports, scoping  # noqa: F401 - registers the report-building task

        audit.register_models()
        # The emails that carry a private link (lle_portal.private_links).
        emails.register_private_link_emails()
        # Who sees which rows, by local authority (the admin's lists and fields).
        scoping.register_core()
        from . import middleware  # noqa: F401 - stamps a staff session at sign-in (user_logged_in)
