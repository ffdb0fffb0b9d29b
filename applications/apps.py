from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Recruitment"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from lle_portal import privacy, scoping

        from . import models, scopes
        from .privacy import RecruitmentProvider

        # Field history of admin edits; status changes are also AuditEvents
        # written by applications.services.
        auditlog.register(models.ApplicationRound, m2m_fields={"local_authorities"})
        auditlog.register(models.Application)
        auditlog.register(models.RefereeNomination)
        auditlog.register(models.Verification)
        auditlog.register(models.Assessment)
        auditlog.register(models.TrainingCohort)
        auditlog.register(models.LLEProfile)
        auditlog.register(models.FloorStandard)
        # Never the token's hash or nonce (the log is readable by staff), nor the
        # answers, which save as the sponsor types: services log each response.
        # Nor the sponsor's autosaved draft and decline reason, which hold
        # safeguarding answers and words meant for the panel alone.
        auditlog.register(
            models.LinkRequest, exclude_fields=["token_hash", "nonce", "answers", "draft", "decline_reason"]
        )
        # Who sees which rows: recruitment belongs to the LAs of its round.
        for model, rule in scopes.rules().items():
            scoping.register(model, rule)
        # What it holds about a person, for export and erasure (lle_portal/privacy.py).
        privacy.register(RecruitmentProvider())
        # The emails that carry a reference or approval link (lle_portal.private_links).
        from .references import register_link_emails

        register_link_emails()
