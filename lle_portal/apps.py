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
        from . import data_version, middleware  # middleware stamps a staff session at sign-in (user_logged_in)

        # The request's actor on audit log entries; the security policy built once.
        middleware.connect_audit_actor()
        middleware.keep_csp_policy()
        # Saves and deletes of the portal's models bump the data version (lle_portal/page_cache.py).
        data_version.connect()
