"""Who sees which brokerage rows (lle_portal/scoping.py): a support need and a
deployment belong to the client school's LA, and everything of a deployment
with it; statements and network meetings to their LA."""

from __future__ import annotations

from . import models


def rules() -> dict:
    by_deployment = "deployment__client_school__local_authority"
    return {
        models.SupportNeed: "client_school__local_authority",
        models.Deployment: "client_school__local_authority",
        models.DeploymentColleague: by_deployment,
        models.Objective: by_deployment,
        models.VisitRecord: by_deployment,
        models.ReminderLog: by_deployment,
        models.ReimbursementStatement: "local_authority",
        models.ReimbursementLine: "statement__local_authority",
        models.ReimbursementPolicy: "local_authority",
        models.NetworkMeeting: "local_authority",
        models.NetworkMeetingAttendance: "meeting__local_authority",
    }
