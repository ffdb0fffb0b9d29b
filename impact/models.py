"""Impact: surveys of LLEs and client headteachers (docs/programme.md §11.5:
"Both Local Leaders of Education and client school heads were surveyed in June
2011").

A survey belongs to one local authority and asks one audience (its LLEs, or
the heads of its client schools). Status changes, invitations, reminders and
the publishing of comments go through impact.surveys only; these models hold
the data and the integrity rules.

Answers are personal: nobody reads one person's answers. Results are shown
in aggregate, never for a group of fewer than five people (impact.survey_results;
docs/programme.md §11.6).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from deployments.models import Deployment
from lle_portal.models import LocalAuthority


class Theme(models.TextChoices):
    """What the Norfolk surveys measured (docs/programme.md §11.5): "happy with
    the service provided; convinced that the relationship was collaborative
    and that it met their expectations"; the perceived "impact on school
    improvement"."""

    SATISFACTION = "satisfaction", "Satisfied with the service"
    COLLABORATION = "collaboration", "The relationship was collaborative"
    EXPECTATIONS = "expectations", "Met expectations"
    IMPACT = "impact", "Impact on school improvement"


class SurveyQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Survey.Status.OPEN)

    def for_adviser(self, user):
        return self.filter(user.in_my_las("local_authority"))


class Survey(models.Model):
    class Audience(models.TextChoices):
        LLES = "lles", "LLEs"
        CLIENT_HEADS = "client_heads", "Client headteachers"

    class Kind(models.TextChoices):
        ANNUAL = "annual", "Annual"
        END_OF_DEPLOYMENT = "end_of_deployment", "At the end of each deployment"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="surveys",
        help_text="The local authority whose LLEs or client headteachers are asked.",
    )
    title = models.CharField(max_length=200, help_text="As the people asked see it, in the invitation and the form.")
    introduction = models.TextField(blank=True, help_text="Shown above the questions.")
    audience = models.CharField(
        max_length=20, choices=Audience.choices, help_text="Who is invited: the LLEs, or the client headteachers.",
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.ANNUAL,
        help_text="An end-of-deployment survey invites the people of each deployment that ends while it is open.",
    )
    opens_on = models.DateField(help_text="The first day answers are taken.")
    closes_on = models.DateField(help_text="Answers can be changed until the survey closes, at the end of this day.")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True,
        help_text="A draft until opened (the actions on the list), which emails the invitations; then open, closed.",
    )
    opened_at = models.DateTimeField(null=True, blank=True, help_text="When it was opened and the invitations sent.")
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it closed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-closes_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="survey_closes_after_it_opens",
                violation_error_message="A survey closes on or after the day it opens.",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opened_at__isnull=False), name="open_survey_has_opened_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="closed_survey_has_closed_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.local_authority})"

    def get_absolute_url(self) -> str:
        return reverse("impact:survey_results", args=[self.pk])

    @property
    def accepts_answers(self) -> bool:
        """Open, and its closing day not yet past (the daily job closes it soon after)."""
        return self.accepts_answers_on(timezone.localdate())

    def accepts_answers_on(self, day: date) -> bool:
        return self.status == self.Status.OPEN and day <= self.closes_on

    @staticmethod
    def accepting_answers_q(day: date, prefix: str = "") -> Q:
        """accepts_answers_on(day) as a filter; `prefix` reaches the survey, e.g. "survey__"."""
        return Q(**{f"{prefix}status": Survey.Status.OPEN, f"{prefix}closes_on__gte": day})

    @property
    def status_tone(self) -> str:
        return {self.Status.OPEN: "success", self.Status.DRAFT: "warning"}.get(self.status, "")  # type: ignore[call-overload]


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", "Agree–disagree (5 points)"
        YES_NO = "yes_no", "Yes or no"
        TEXT = "text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField("question", max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SCALE)
    theme = models.CharField(
        max_length=20, choices=Theme.choices, blank=True,
        help_text="The results group agree–disagree and yes/no questions by theme, LLEs and client heads side by side.",
    )
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Scale(models.IntegerChoices):
    """The agree–disagree scale; 4 and 5 count as agreeing."""

    STRONGLY_AGREE = 5, "Strongly agree"
    AGREE = 4, "Agree"
    NEITHER = 3, "Neither agree nor disagree"
    DISAGREE = 2, "Disagree"
    STRONGLY_DISAGREE = 1, "Strongly disagree"


AGREEING = (Scale.AGREE, Scale.STRONGLY_AGREE)


# Not "InvitationQuerySet": the core has one, and the mypy plugin mixes up two
# querysets of the same name (their generated managers share one).
class SurveyInvitationQuerySet(models.QuerySet):
    def responded(self):
        return self.filter(responded_at__isnull=False)

    def awaiting_response(self):
        return self.filter(responded_at__isnull=True)


class SurveyInvitation(models.Model):
    """One person asked to answer one survey; for an end-of-deployment survey,
    about one deployment."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations")
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True, help_text="When they first sent their answers.")
    updated_at = models.DateTimeField(null=True, blank=True)
    consent_to_publish = models.BooleanField(
        default=False, help_text="They agree that their comments may be published, without their name."
    )

    objects = SurveyInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-invited_at", "-pk"]
        constraints = [
            # Invitations are created by jobs that may run twice: the database
            # keeps one per person per survey (per deployment at the end of each).
            models.UniqueConstraint(
                fields=["survey", "user"], condition=Q(deployment__isnull=True), name="one_invitation_per_survey"
            ),
            models.UniqueConstraint(
                fields=["survey", "user", "deployment"], condition=Q(deployment__isnull=False),
                name="one_invitation_per_survey_and_deployment",
            ),
        ]
        indexes = [
            # Used by the daily reminder job: open invitations not yet answered.
            models.Index(
                fields=["invited_at"], name="invitation_unanswered_idx", condition=Q(responded_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.title}: {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("impact:survey_answer", args=[self.pk])


class SurveyReminder(models.Model):
    """A reminder sent to someone who has not answered: at most two.

    The row is the claim: the reminder job creates it before queueing the
    email, in the same transaction, so a re-run or a second worker hits the
    unique constraint and sends nothing.
    """

    MAX = 2

    invitation = models.ForeignKey(SurveyInvitation, on_delete=models.CASCADE, related_name="reminders")
    number = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invitation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "number"], name="one_survey_reminder_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=2), name="at_most_two_survey_reminders"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.number}: {self.invitation}"


class Answer(models.Model):
    invitation = models.ForeignKey(SurveyInvitation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    scale = models.PositiveSmallIntegerField(choices=Scale.choices, null=True, blank=True)
    yes = models.BooleanField(null=True, blank=True)
    text = models.TextField(blank=True)
    # A free-text answer the adviser chose to publish (only with consent).
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["question__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "question"], name="one_answer_per_question"),
            models.CheckConstraint(
                condition=Q(scale__isnull=True) | Q(scale__range=(1, 5)), name="answer_scale_1_to_5"
            ),
            # Exactly one kind of value: a scale point, a yes/no, or some text.
            models.CheckConstraint(
                condition=Q(scale__isnull=False, yes__isnull=True, text="")
                | Q(scale__isnull=True, yes__isnull=False, text="")
                | (Q(scale__isnull=True, yes__isnull=True) & ~Q(text="")),
                name="answer_has_one_value",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | ~Q(text=""), name="only_comments_are_published"
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
