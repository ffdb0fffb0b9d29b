"""What brokerage and deployment hold about a person (lle_portal/privacy.py):
an LLE's deployments and records of visit, a client head's support needs and
deployments, a colleague who delivers days, the termly network meetings.

Erasure keeps every deployment, record of visit and reimbursement line (the
programme's statistics and the LA's accounts); it replaces the person's name
and email wherever they were written, and their name fields with a pseudonym.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from lle_portal.privacy import Activity, Erasure, Person, Provider, activities_of, as_datetime, ongoing, rows

from .models import (
    Deployment,
    DeploymentColleague,
    NetworkMeeting,
    NetworkMeetingAttendance,
    Objective,
    ReminderLog,
    SupportNeed,
    VisitRecord,
)

# Free text that people write about a placement: it may name the person.
VISIT_TEXT = ("summary", "progress", "next_steps", "query_reason", "qa_note", "non_school_day_reason")
DEPLOYMENT_TEXT = ("client_head_name", "ended_reason")
NEED_TEXT = ("client_head_name", "notes", "closed_reason")


class DeploymentProvider(Provider):
    label = "deployments"

    def _deployments(self, person: Person):
        """Deployments in which the person took part: as the LLE, the client head, or a colleague."""
        q = Q(colleagues__email__iexact=person.email)
        if person.user is not None:
            q |= Q(lle__user=person.user) | Q(client_head=person.user) | Q(colleagues__user=person.user)
        return Deployment.objects.filter(pk__in=Deployment.objects.filter(q).values("pk"))

    def _colleague_roles(self, person: Person):
        q = Q(email__iexact=person.email)
        if person.user is not None:
            q |= Q(user=person.user)
        return DeploymentColleague.objects.filter(q)

    def _needs(self, person: Person):
        return SupportNeed.objects.filter(client_head=person.user) if person.user else SupportNeed.objects.none()

    def names(self, person: Person) -> set[str]:
        names = set(self._colleague_roles(person).values_list("name", flat=True))
        if person.user is not None:
            names |= set(Deployment.objects.filter(client_head=person.user).values_list("client_head_name", flat=True))
        return names

    def export(self, person: Person) -> dict[str, Any]:
        deployments = self._deployments(person).order_by("start_date", "pk")
        visits = VisitRecord.objects.filter(deployment__in=deployments).order_by("visit_date", "pk")
        data: dict[str, Any] = {
            "deployments": rows(deployments, exclude=("contract_pdf",), extra={
                "lle": "lle__user__full_name", "lle_school": "lle__school__name",
                "client_school": "client_school__name"}),
            "objectives": rows(Objective.objects.filter(deployment__in=deployments)),
            "records_of_visit": rows(visits, extra={"delivered_by_colleague": "colleague__name"}),
            "visit_objectives": list(VisitRecord.objectives.through.objects.filter(visitrecord__in=visits)
                                     .values("visitrecord_id", "objective_id")),
            "colleague_roles": rows(self._colleague_roles(person)),
            "support_needs_as_client_head": rows(self._needs(person), extra={"client_school": "client_school__name"}),
            "reminders": list(ReminderLog.objects.filter(deployment__in=deployments).values(
                "deployment_id", "kind", "sent_at")),
        }
        if person.user is not None:
            attendance = NetworkMeetingAttendance.objects.filter(lle__user=person.user)
            data["network_meetings"] = list(attendance.values(
                "meeting__title", "meeting__held_on", "meeting__location", "status"))
        return data

    def activity(self, person: Person) -> list[Activity]:
        found: list[Activity] = []
        for deployment in self._deployments(person):
            if deployment.status in (Deployment.Status.PROPOSED, Deployment.Status.AGREED, Deployment.Status.ACTIVE):
                found.append(ongoing(f"the deployment {deployment.pk} has not ended"))
            found += activities_of([(deployment.finished_at or as_datetime(deployment.end_date),
                                     f"deployment {deployment.pk} ended")])
        for need in self._needs(person):
            if need.status == SupportNeed.Status.OPEN:
                found.append(ongoing("a support need for their school is open"))
            found += activities_of([(need.updated_at, "support need for their school")])
        visits = VisitRecord.objects.filter(deployment__in=self._deployments(person)).order_by("-updated_at").first()
        if visits is not None:
            found += activities_of([(visits.updated_at, "a record of visit")])
        if person.user is not None:
            last_meeting = NetworkMeeting.objects.filter(attendance__lle__user=person.user).order_by("-held_on").first()
            if last_meeting is not None:
                found += activities_of([(as_datetime(last_meeting.held_on), "a network meeting")])
        return found

    def erase(self, person: Person, erasure: Erasure) -> None:
        deployments = self._deployments(person)
        if person.user is not None:
            # The client head's name, as typed by the adviser.
            erasure.replace(Deployment.objects.filter(client_head=person.user), client_head_name=erasure.pseudonym)
            erasure.replace(self._needs(person), client_head_name=erasure.pseudonym)
        roles = self._colleague_roles(person)
        erasure.touch(roles, ["name", "email"])
        erasure.replace(roles, name=erasure.pseudonym, email=erasure.pseudonym_email)

        # What was written about the placements the person took part in.
        erasure.touch(deployments)
        erasure.touch(self._needs(person))
        erasure.scrub_rows(Deployment.objects.all(), DEPLOYMENT_TEXT)
        erasure.scrub_rows(SupportNeed.objects.all(), NEED_TEXT)
        visits = VisitRecord.objects.filter(deployment__in=deployments)
        erasure.touch(visits)
        erasure.scrub_rows(VisitRecord.objects.all(), VISIT_TEXT)
        erasure.scrub_rows(Objective.objects.filter(deployment__in=deployments), ["title", "measure_of_success"])
        erasure.scrub_rows(NetworkMeeting.objects.all(), ["title", "location", "notes"])
