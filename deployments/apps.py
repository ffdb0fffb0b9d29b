from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Brokerage and reimbursement"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from lle_portal import privacy, scoping

        from . import models, reports, scopes, signals
        from .privacy import DeploymentProvider

        # Field history of admin edits; status changes are also AuditEvents
        # written by deployments.services.
        auditlog.register(models.SupportNeed)
        auditlog.register(models.Deployment)
        auditlog.register(models.DeploymentColleague)
        auditlog.register(models.Objective)
        auditlog.register(models.VisitRecord, m2m_fields={"objectives"})
        auditlog.register(models.ReimbursementStatement)
        auditlog.register(models.NetworkMeeting)
        auditlog.register(models.NetworkMeetingAttendance)
        # Who sees which rows, by local authority (lle_portal/scoping.py).
        for model, rule in scopes.rules().items():
            scoping.register(model, rule)
        # What it holds about a person, for export and erasure (lle_portal/privacy.py).
        privacy.register(DeploymentProvider())
        # Its documents (contract, statement, end report) for lle_portal/reports.py.
        reports.register()
        # The overview's cache follows the data (deployments/signals.py).
        signals.connect()
