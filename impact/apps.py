from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "impact"
    verbose_name = "Surveys and impact"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from lle_portal import privacy, scoping

        from . import models, reports, scopes
        from .privacy import ImpactProvider

        # Field history of the surveys advisers build in the admin. Invitations
        # and answers are people's own words: they are not copied into a log.
        auditlog.register(models.Survey)
        auditlog.register(models.Question)
        # Who sees which rows, by local authority (lle_portal/scoping.py).
        for model, rule in scopes.rules().items():
            scoping.register(model, rule)
        # What it holds about a person, for export and erasure (lle_portal/privacy.py).
        privacy.register(ImpactProvider())
        # The annual impact report for lle_portal/reports.py.
        reports.register()
