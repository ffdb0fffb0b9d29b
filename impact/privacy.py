"""What the impact app holds about a person (lle_portal/privacy.py): their
survey invitations, reminders and answers. Answers, reminders and when they
answered are exported only in a subject-access export (Person.subject_access,
a superuser's or the command line's), never in an adviser's.

Erasure keeps every invitation and every scale and yes/no answer (the survey
counts and percentages stay true); it replaces the person's free-text answers,
published or not, because a comment can identify its writer.
"""

from __future__ import annotations

from typing import Any

from lle_portal.privacy import ERASED, Activity, Erasure, Person, Provider, activities_of, ongoing, rows

from .models import Answer, Survey, SurveyInvitation, SurveyReminder


class ImpactProvider(Provider):
    label = "impact"
    # Sent only to those who had not answered: an adviser's export would say whether they have.
    subject_access_emails = frozenset({"survey_reminder"})

    def _invitations(self, person: Person):
        if person.user is None:
            return SurveyInvitation.objects.none()
        return SurveyInvitation.objects.filter(user=person.user)

    def export(self, person: Person) -> dict[str, Any]:
        invitations = self._invitations(person).order_by("invited_at", "pk")
        if not person.subject_access:
            # An adviser's export: that they were asked, not whether, when or
            # what they answered (surveys are anonymous).
            return {
                "survey_invitations": rows(invitations, extra={"survey": "survey__title"},
                                           exclude=("responded_at", "updated_at", "consent_to_publish")),
                "survey_answers_withheld": "Survey answers are anonymous: only a superuser's subject-access "
                                           "export includes them.",
            }
        return {
            "survey_invitations": rows(invitations, extra={"survey": "survey__title"}),
            "survey_reminders": rows(SurveyReminder.objects.filter(invitation__in=invitations)),
            "survey_answers": rows(Answer.objects.filter(invitation__in=invitations).order_by("invitation", "pk"),
                                   extra={"question": "question__text"}),
        }

    def activity(self, person: Person) -> list[Activity]:
        found: list[Activity] = []
        for invitation in self._invitations(person).select_related("survey"):
            if invitation.survey.status == Survey.Status.OPEN:
                found.append(ongoing(f"the survey {invitation.survey_id} is still open"))
            found += activities_of([(invitation.updated_at or invitation.responded_at or invitation.invited_at,
                                     f"survey {invitation.survey_id}")])
        return found

    def erase(self, person: Person, erasure: Erasure) -> None:
        invitations = self._invitations(person)
        erasure.touch(invitations)
        comments = Answer.objects.filter(invitation__in=invitations).exclude(text="")
        erasure.touch(comments, ["text"])
        erasure.replace(comments, label="survey comments", text=ERASED)
