"""What recruitment holds about a person (lle_portal/privacy.py): an applicant's
applications, an assessor's scoring, an LLE's profile, and, for people with no
account, the sponsors' references and the chairs of governors' approvals.

An applicant's export says whether their reference arrived, never what it
says: a reference is given in confidence (the sponsor's own export has it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from lle_portal.privacy import (
    ERASED,
    Activity,
    Erasure,
    Person,
    Provider,
    activities_of,
    as_datetime,
    ongoing,
    rows,
)

from .models import (
    Application,
    ApplicationReminder,
    ApplicationRound,
    Assessment,
    LinkRequest,
    LLEProfile,
    RefereeNomination,
    Verification,
)

Status = Application.Status

# What an applicant typed about themselves and their school, and what the panel wrote about them.
APPLICATION_FREE_TEXT = (
    "previous_headships", "performance_summary", "slt_details", "impact_on_outcomes", "school_improvement",
    "supporting_others", "capacity_notes", "working_towards_notes", "decision_reasons",
)
# The choices in a reference or approval are the programme's statistics; the rest is free text.
KEPT_ANSWERS = frozenset({"recommendation", "commits_to_deploy", "safeguarding_concerns", "approve"})


def _application_is_open(application: Application) -> bool:
    if application.status in (Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED):
        return True
    return application.status == Status.DRAFT and application.round.is_open()


def _application_activity(application: Application, role: str) -> Activity | None:
    if _application_is_open(application):
        return ongoing(f"{role} of application {application} which is still open")
    found = activities_of([(max(filter(None, [application.updated_at, application.decided_at,
                                               application.withdrawn_at])), f"{role} of application {application}")])
    return found[0] if found else None


def _erase_answers(answers: dict) -> dict:
    return {key: (value if key in KEPT_ANSWERS or not isinstance(value, str) or not value else ERASED)
            for key, value in (answers or {}).items()}


class RecruitmentProvider(Provider):
    label = "applications"

    def _as_referee(self, person: Person):
        return (RefereeNomination.objects.filter(email__iexact=person.email),
                LinkRequest.objects.filter(recipient_email__iexact=person.email),
                Application.objects.filter(chair_of_governors_email__iexact=person.email),
                ApplicationRound.objects.filter(default_referee_email__iexact=person.email))

    def names(self, person: Person) -> set[str]:
        nominations, requests, chaired, rounds = self._as_referee(person)
        return {*nominations.values_list("name", flat=True), *requests.values_list("recipient_name", flat=True),
                *chaired.values_list("chair_of_governors_name", flat=True),
                *rounds.values_list("default_referee_name", flat=True)}

    def export(self, person: Person) -> dict[str, Any]:
        user = person.user
        nominations, requests, chaired, rounds = self._as_referee(person)
        data: dict[str, Any] = {
            "references_and_approvals_given": rows(
                requests.order_by("created_at"), exclude=("draft",),
                extra={"application_reference": "application__reference_number",
                       "applicant": "application__applicant__full_name"}),
            "nominated_as_sponsor": rows(nominations, extra={"application_reference": "application__reference_number"}),
            "named_as_chair_of_governors": list(chaired.values(
                "reference_number", "chair_of_governors_name", "chair_of_governors_email", "governors_approved")),
            "default_sponsor_of_rounds": list(rounds.values(
                "name", "default_referee_name", "default_referee_email", "default_referee_role",
                "default_referee_organisation")),
        }
        if user is None:
            return data
        applications = Application.objects.filter(applicant=user).order_by("created_at")
        data["applications"] = [
            {
                **row,
                "round": application.round.name,
                "school": application.school.name if application.school_id else "",
                "sponsor": rows(RefereeNomination.objects.filter(application=application)),
                # The state of each reference or approval request, never its text.
                "references": [{"kind": r.get_kind_display(), "from": r.recipient_name, "status": r.head_status,
                                "requested_at": r.created_at, "responded_at": r.responded_at}
                               for r in application.link_requests.order_by("created_at")],
                "verification": rows(Verification.objects.filter(application=application),
                                     exclude=("verified_by", "application")),
                "assessments": list(application.assessments.values("scores", "comments", "submitted_at")),
                "reminders": list(ApplicationReminder.objects.filter(application=application).values("kind",
                                                                                                     "sent_at")),
            }
            for application, row in zip(
                applications.select_related("round", "school"),
                rows(applications, exclude=("applicant",)),
                strict=True,
            )
        ]
        data["assessments_made"] = list(Assessment.objects.filter(assessor=user).values(
            "application__reference_number", "scores", "comments", "assigned_at", "submitted_at"))
        data["lle_profile"] = rows(LLEProfile.objects.filter(user=user),
                                   extra={"school": "school__name", "cohort_name": "cohort__name"})
        return data

    def activity(self, person: Person) -> list[Activity]:
        found: list[Activity | None] = []
        user = person.user
        nominations, requests, chaired, rounds = self._as_referee(person)
        if user is not None:
            for application in Application.objects.filter(applicant=user).select_related("round"):
                found.append(_application_activity(application, "applicant"))
            for assessment in Assessment.objects.filter(assessor=user):
                if assessment.submitted_at is None:
                    found.append(ongoing("an assessment assigned to them is not yet scored"))
                found += activities_of([(assessment.submitted_at or assessment.assigned_at, "assessed an application")])
            for profile in LLEProfile.objects.filter(user=user):
                if profile.is_active:
                    found.append(ongoing("they are an active LLE"))
                found += activities_of([(as_datetime(profile.trained_on or profile.designated_on), "designated LLE")])
        for request in requests:
            if request.status == LinkRequest.Status.REQUESTED:
                found.append(ongoing("a reference or approval request to them is open"))
            found += activities_of([(request.responded_at or request.closed_at or request.created_at,
                                     "asked for a reference or approval")])
        for application in Application.objects.filter(
            Q(pk__in=nominations.values("application")) | Q(pk__in=chaired.values("pk"))
        ).select_related("round"):
            found.append(_application_activity(application, "sponsor or chair of governors"))
        for round in rounds:
            if round.state != "closed":
                found.append(ongoing(f"they are the default sponsor of the round {round}, not yet closed"))
            found += activities_of([(round.closes_at, f"default sponsor of the round {round}")])
        return [activity for activity in found if activity]

    def erase(self, person: Person, erasure: Erasure) -> None:
        user = person.user
        if user is not None:
            applications = Application.objects.filter(applicant=user)
            erasure.touch(applications, [*APPLICATION_FREE_TEXT, "chair_of_governors_name",
                                         "chair_of_governors_email"])
            for name in APPLICATION_FREE_TEXT:
                erasure.replace(applications.exclude(**{name: ""}), label="applications.Application",
                                **{name: ERASED})
            erasure.replace(applications, label="applications.Application", chair_of_governors_name="",
                            chair_of_governors_email="")
            # What the sponsor and the chair wrote about the applicant.
            their_nominations = RefereeNomination.objects.filter(application__in=applications)
            erasure.touch(their_nominations, ["relationship"])
            erasure.replace(their_nominations, relationship=ERASED)
            self._erase_requests(LinkRequest.objects.filter(application__in=applications), erasure)
            erasure.scrub_rows(Verification.objects.filter(application__in=applications), ["note"])
            erasure.scrub_rows(Assessment.objects.filter(application__in=applications), ["comments"])
            erasure.touch(Verification.objects.filter(application__in=applications))
            erasure.touch(Assessment.objects.filter(application__in=applications))
            erasure.touch(LLEProfile.objects.filter(user=user))

        nominations, requests, chaired, rounds = self._as_referee(person)
        erasure.touch(nominations, ["name", "email", "relationship"])
        erasure.replace(nominations, name=erasure.pseudonym, email=erasure.pseudonym_email, relationship=ERASED)
        self._erase_requests(requests, erasure)
        erasure.replace(requests, recipient_name=erasure.pseudonym, recipient_email=erasure.pseudonym_email)
        erasure.touch(chaired, ["chair_of_governors_name", "chair_of_governors_email"])
        erasure.replace(chaired, chair_of_governors_name=erasure.pseudonym,
                        chair_of_governors_email=erasure.pseudonym_email)
        erasure.touch(rounds, ["default_referee_name", "default_referee_email"])
        erasure.replace(rounds, default_referee_name=erasure.pseudonym, default_referee_email=erasure.pseudonym_email)
        erasure.scrub_rows(ApplicationRound.objects.all(), ["priority_notes"])

    @staticmethod
    def _erase_requests(requests, erasure: Erasure) -> None:
        """A reference's or approval's free text goes; its choices (the recommendation) stay."""
        erasure.touch(requests, ["recipient_name", "recipient_email", "answers", "draft", "decline_reason"])
        for request in requests.only("pk", "answers", "decline_reason"):
            erasure.replace(LinkRequest.objects.filter(pk=request.pk), answers=_erase_answers(request.answers),
                            draft={}, decline_reason=ERASED if request.decline_reason else "")
