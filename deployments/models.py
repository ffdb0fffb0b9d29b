"""Brokerage and deployment: support needs, deployments of LLEs to client
schools with their objectives, records of visit, reimbursement of the LLE's
school, termly network meetings, and the log of reminders sent.

Status changes go through deployments.services only; these models hold the
data and the integrity rules (docs/programme.md §8, §9, §10).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Range
from django.urls import reverse
from django.utils import timezone

from applications.models import LLEProfile, Specialism
from lle_portal.access import acts_for_school, confirmed_school_id
from lle_portal.files import PrivateUploadTo
from lle_portal.models import LocalAuthority, School

from .terms import Term, term_dates, term_for

# Half a day to one day a week (docs/programme.md §9.2).
HALF_DAY = Decimal("0.5")
ONE_DAY = Decimal("1.0")
INTENSITY_CHOICES = [(HALF_DAY, "Half a day a week"), (ONE_DAY, "One day a week")]
VISIT_LENGTH_CHOICES = [(HALF_DAY, "Half a day"), (ONE_DAY, "A full day")]

# A deployment lasts from 6 months to 3 years (docs/programme.md §9.1). The form checks
# calendar months exactly (services.duration_problem); the database guards
# the same rule in days, which both SQLite and PostgreSQL can compute: 181
# days is the shortest 6 calendar months (1 September to 1 March) and 1,096
# the longest 3 years (one leap day).
MIN_DEPLOYMENT_MONTHS = 6
MAX_DEPLOYMENT_MONTHS = 36
MIN_DEPLOYMENT_DAYS = 181
MAX_DEPLOYMENT_DAYS = 1096


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def duration_problem(start_date: date, end_date: date) -> str:
    """Why these dates are not 6 months to 3 years apart ('' when they are; docs/programme.md §9.1)."""
    if end_date < add_months(start_date, MIN_DEPLOYMENT_MONTHS):
        return (f"The agreed end point must be at least 6 months after the start: "
                f"on or after {add_months(start_date, MIN_DEPLOYMENT_MONTHS):%-d %B %Y}.")
    if end_date > add_months(start_date, MAX_DEPLOYMENT_MONTHS):
        return (f"A deployment lasts at most 3 years: the agreed end point must be on or before "
                f"{add_months(start_date, MAX_DEPLOYMENT_MONTHS):%-d %B %Y}.")
    return ""


class DaysBetween(Func):
    """Whole days from the first date back to the second, in each database's
    own SQL (no Python function registered by Django), so the CHECK below
    holds for any client that writes to the database."""

    arity = 2
    arg_joiner = " - "
    template = "(%(expressions)s)"  # PostgreSQL: date - date is a number of days
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(", **extra,
        )


# --------------------------------------------------------------------------
# Support needs
# --------------------------------------------------------------------------


class PriorityReason(models.TextChoices):
    """Why a school is a priority for support (docs/programme.md §8.2)."""

    BELOW_FLOOR = "below_floor", "Attainment below the floor standard"
    VULNERABLE = "vulnerable", (
        "Vulnerable: latest inspection requires improvement or inadequate, or a category of concern"
    )
    NEW_HEAD = "new_head", "New, first-time headteacher in the first two years (professional partner)"
    PEER_CHALLENGE = "peer_challenge", "The head asks for peer challenge or a fresh perspective"


# A word or two for each, for lists.
SHORT_REASON_LABELS = {
    PriorityReason.BELOW_FLOOR: "Below the floor",
    PriorityReason.VULNERABLE: "Vulnerable",
    PriorityReason.NEW_HEAD: "New head",
    PriorityReason.PEER_CHALLENGE: "Peer challenge",
}

# The reasons the official data can suggest; the adviser confirms them.
SUGGESTED_REASONS = (PriorityReason.BELOW_FLOOR, PriorityReason.VULNERABLE, PriorityReason.NEW_HEAD)


class SupportNeedQuerySet(models.QuerySet):
    def open(self):
        """Not yet matched with an LLE."""
        return self.filter(status=SupportNeed.Status.OPEN)

    def for_adviser(self, user):
        return self.filter(user.in_my_las("client_school__local_authority"))

    def for_list(self):
        return self.select_related("client_school", "client_school__local_authority", "client_head")


class SupportNeed(models.Model):
    """A school identified as needing support, and why (docs/programme.md §8.1)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MATCHED = "matched", "Matched"
        CLOSED = "closed", "Closed"

    client_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="support_needs",
        help_text="The school that needs support: type part of its name, its postcode or its URN. "
        "Only your local authorities' schools are offered.",
    )
    client_head = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="support_needs",
        limit_choices_to={"role": "headteacher"},
        help_text="The client headteacher's account, if they have one (filled in when the school is chosen).",
    )
    client_head_name = models.CharField(
        "client headteacher's name", max_length=150, blank=True,
        help_text="As the school names them; taken from the school's record when the head has no account.",
    )
    head_appointed_on = models.DateField(
        "date the head took up their first headship", null=True, blank=True,
        help_text="A first-time head in their first two years of headship is offered a professional partner.",
    )
    reasons = models.JSONField("priority reasons", default=list, blank=True)
    # What the official data said when the need was recorded:
    # [{"reason": "vulnerable", "evidence": "Inspected 3 May 2019: requires improvement"}].
    suggested_reasons = models.JSONField(default=list, blank=True, editable=False)
    focus_areas = models.JSONField(default=list, blank=True)
    days_per_week = models.DecimalField(
        "intensity wanted", max_digits=2, decimal_places=1, choices=INTENSITY_CHOICES, default=HALF_DAY,
        help_text="How much LLE time the school needs: half a day or one day a week.",
    )
    notes = models.TextField(
        blank=True, help_text="Anything else that helps you match the school with an LLE; shown on the matching page.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True,
        help_text="Open until an LLE is proposed; matched once one is (open again if not taken up); "
        "closed when no longer needed.",
    )
    closed_reason = models.TextField(blank=True, help_text="Why the need was closed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="recorded by", help_text="The adviser who recorded the need.",
    )
    created_at = models.DateTimeField("recorded at", auto_now_add=True, help_text="When the need was recorded.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupportNeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days_per_week__in=[HALF_DAY, ONE_DAY]), name="need_intensity_half_or_one_day"
            ),
        ]

    def __str__(self) -> str:
        return f"Support for {self.client_school.name}"

    def get_absolute_url(self) -> str:
        return reverse("deployments:matches", args=[self.pk])

    @property
    def head_display(self) -> str:
        named = self.client_head_name or (self.client_head.full_name if self.client_head else "")
        return named or self.client_school.head_name

    @property
    def reason_labels(self) -> list[str]:
        return [PriorityReason(r).label for r in self.reasons if r in PriorityReason.values]

    @property
    def short_reasons(self) -> str:
        return ", ".join(SHORT_REASON_LABELS.get(r, r) for r in self.reasons)

    @property
    def focus_labels(self) -> list[str]:
        return [Specialism(s).label for s in self.focus_areas if s in Specialism.values]

    @property
    def is_professional_partner(self) -> bool:
        return PriorityReason.NEW_HEAD in self.reasons


# --------------------------------------------------------------------------
# Deployments
# --------------------------------------------------------------------------


class DeploymentQuerySet(models.QuerySet):
    # Deployments that take up the LLE's time: counted against their capacity.
    COMMITTING = ("proposed", "agreed", "active")

    def proposed(self):
        return self.filter(status=Deployment.Status.PROPOSED)

    def agreed(self):
        return self.filter(status=Deployment.Status.AGREED)

    def active(self):
        return self.filter(status=Deployment.Status.ACTIVE)

    def committing(self):
        return self.filter(status__in=self.COMMITTING)

    def live(self):
        """Agreed or active: the support is being given (Deployment.is_live)."""
        return self.filter(status__in=Deployment.LIVE)

    def finished(self):
        """Completed or ended early: over, with an end report (Deployment.is_finished)."""
        return self.filter(status__in=Deployment.FINISHED)

    def delivered(self):
        """Active, completed or ended early: support was given (the impact
        figures count these; a proposal or an agreement not yet started gave none)."""
        return self.filter(status__in=Deployment.DELIVERED)

    def contracted(self):
        """Accepted by both parties (agreed, and every state after): each has a contract agreement."""
        return self.filter(status__in=Deployment.CONTRACTED)

    def ending_within(self, days: int, today: date | None = None):
        today = today or timezone.localdate()
        return self.live().filter(end_date__gte=today, end_date__lte=today + timedelta(days=days))

    def with_last_visit(self):
        return self.annotate(last_visit_on=Max("visits__visit_date"))

    def overdue_for_visit(self, today: date | None = None):
        """Active deployments with no record of visit for longer than their
        intensity implies (see Deployment.visit_overdue_after)."""
        today = today or timezone.localdate()
        # The last visit through a correlated subquery rather than a join and
        # GROUP BY: each active deployment reads its own visits by the index on
        # deployment_id, instead of every record of visit being aggregated on each
        # view of the overview (make bench: 20,000 records, national scale).
        last_visit = VisitRecord.objects.filter(deployment=OuterRef("pk")).order_by("-visit_date").values("visit_date")
        since = Coalesce(Subquery(last_visit[:1]), F("start_date"))
        # One cut-off date per row (by intensity), so the last visit is read once
        # in the WHERE clause rather than once for each intensity.
        cutoff = Case(
            *[When(days_per_week=days_per_week, then=Value(today - Deployment.visit_gap_allowed(days_per_week)))
              for days_per_week, _ in INTENSITY_CHOICES],
            output_field=DateField(),
        )
        return self.active().filter(start_date__lt=today).annotate(last_seen=since).filter(last_seen__lt=cutoff)

    def for_adviser(self, user):
        return self.filter(user.in_my_las("client_school__local_authority"))

    def visible_to(self, user):
        """Who sees which deployment: the LLE (and colleagues who deliver days),
        the client school's head, governors of either school, the adviser of the
        client school's LA. Anyone else sees none."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.is_adviser:
            return self.for_adviser(user)
        # A school link counts only once granted (lle_portal.access.acts_for_school).
        school_id = confirmed_school_id(user)
        # Each way of taking part is its own indexed subquery, joined by UNION: an OR
        # of them made PostgreSQL expect half the table and join every school of
        # England before the LIMIT ("LLE: deployments", issue 17: 24 ms -> 3 ms).
        if user.is_headteacher:
            ways = [
                Deployment.objects.filter(lle__user=user),
                Deployment.objects.filter(pk__in=DeploymentColleague.objects.filter(user=user).values("deployment")),
            ]
            if school_id:
                # The client head is the person named on the deployment, while
                # still the confirmed head of the client school.
                ways.append(Deployment.objects.filter(client_head=user, client_school=school_id))
            return self._any_of(ways)
        if user.is_governor and school_id:
            return self._any_of([Deployment.objects.filter(client_school=school_id),
                                 Deployment.objects.filter(lle__school=school_id)])
        return self.none()

    def _any_of(self, querysets):
        first, *rest = [queryset.order_by().values("pk") for queryset in querysets]
        return self.filter(pk__in=first.union(*rest))

    def for_list(self):
        return self.select_related(
            "lle", "lle__user", "lle__school", "client_school", "client_school__local_authority", "client_head"
        )


class Deployment(models.Model):
    """An agreed placement of an LLE with a client school (docs/programme.md §8.5, §9)."""

    class Kind(models.TextChoices):
        LLE_SUPPORT = "lle_support", "LLE support"
        PROFESSIONAL_PARTNER = "professional_partner", "Professional partner for a new head"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        AGREED = "agreed", "Agreed"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        ENDED_EARLY = "ended_early", "Ended early"
        WITHDRAWN = "withdrawn", "Not taken up"

    # The states that count for each rule, once (the QuerySet methods of the same names read them).
    COMMITTING = DeploymentQuerySet.COMMITTING  # take up the LLE's time: proposed, agreed, active
    LIVE = (Status.AGREED, Status.ACTIVE)
    FINISHED = (Status.COMPLETED, Status.ENDED_EARLY)
    DELIVERED = (Status.ACTIVE, *FINISHED)
    CONTRACTED = (*LIVE, *FINISHED)

    need = models.ForeignKey(
        SupportNeed, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments",
        verbose_name="support need", help_text="The school's support need this deployment answers.",
    )
    lle = models.ForeignKey(
        LLEProfile, on_delete=models.PROTECT, related_name="deployments", verbose_name="LLE",
        help_text="The Local Leader of Education who gives the support.",
    )
    client_school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="client_deployments",
        help_text="The school the LLE supports.",
    )
    client_head = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="client_deployments",
        limit_choices_to={"role": "headteacher"},
        help_text="The client headteacher's account: they accept the terms and confirm each record of visit.",
    )
    client_head_name = models.CharField(
        "client headteacher's name", max_length=150, blank=True,
        help_text="As named on the contract agreement.",
    )
    kind = models.CharField(
        max_length=25, choices=Kind.choices, default=Kind.LLE_SUPPORT,
        help_text="LLE support for a school that needs it, or a professional partner for a new head.",
    )
    days_per_week = models.DecimalField(
        "intensity", max_digits=2, decimal_places=1, choices=INTENSITY_CHOICES, default=HALF_DAY,
        help_text="Half a day or one day a week.",
    )
    start_date = models.DateField(help_text="The first day of support.")
    end_date = models.DateField(
        "agreed end point", help_text="From 6 months to 3 years after the start.",
    )
    rate_per_day = models.DecimalField(
        "reimbursement rate per day (£)", max_digits=7, decimal_places=2,
        help_text="What the local authority pays the LLE's school for each day delivered.",
    )
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.PROPOSED, db_index=True,
        help_text="Proposed, agreed once the LLE and the client head have both accepted, then active and completed.",
    )

    lle_accepted_at = models.DateTimeField(
        "LLE accepted at", null=True, blank=True, help_text="When the LLE accepted the terms.",
    )
    client_accepted_at = models.DateTimeField(
        "client head accepted at", null=True, blank=True, help_text="When the client head accepted the terms.",
    )
    agreed_at = models.DateTimeField(null=True, blank=True, help_text="When both had accepted.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the support started.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was completed or ended early.")
    ended_reason = models.TextField(blank=True, help_text="Why it ended early, if it did.")

    contract_pdf = models.FileField(upload_to=PrivateUploadTo("deployments/contracts"), blank=True)
    contract_generated_at = models.DateTimeField(null=True, blank=True)

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Range(
                    DaysBetween(F("end_date"), F("start_date")), (MIN_DEPLOYMENT_DAYS, MAX_DEPLOYMENT_DAYS)
                ),
                name="deployment_lasts_6_months_to_3_years",
            ),
            models.CheckConstraint(
                condition=Q(days_per_week__in=[HALF_DAY, ONE_DAY]), name="deployment_intensity_half_or_one_day"
            ),
            models.CheckConstraint(condition=Q(rate_per_day__gte=0), name="deployment_rate_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="ended_early") | ~Q(ended_reason=""), name="deployment_ended_early_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "withdrawn"])
                | Q(lle_accepted_at__isnull=False, client_accepted_at__isnull=False),
                name="deployment_agreed_by_both",
            ),
        ]
        indexes = [
            # The ending-soon reminder and the overview read deployments by end date.
            models.Index(fields=["end_date"], name="deployment_end_date",
                         condition=Q(status__in=["agreed", "active"])),
            # An LLE's committed days (matching.with_committed_days, on the
            # matching list and the overview's capacity): read from the index alone.
            models.Index(fields=["lle", "days_per_week"], name="deployment_committing_lle",
                         condition=Q(status__in=["proposed", "agreed", "active"])),
        ]

    def __str__(self) -> str:
        return f"{self.lle.user} with {self.client_school.name}"

    def get_absolute_url(self) -> str:
        return reverse("deployments:detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.client_head_id and self.client_school_id and not acts_for_school(
            self.client_head, self.client_school_id, role="headteacher"
        ):
            raise ValidationError({"client_head": "Name the client school's confirmed headteacher: this person's "
                                                  "link to the school is not confirmed."})
        if self.start_date and self.end_date:
            problem = duration_problem(self.start_date, self.end_date)
            if problem:
                raise ValidationError({"end_date": problem})

    @staticmethod
    def visit_gap_allowed(days_per_week: Decimal) -> timedelta:
        """How long an active deployment may go without a record of visit.

        One day a week means a visit each week; half a day a week is often
        taken as a full day each fortnight. Two weeks' grace on top covers a
        school holiday (Christmas and Easter last two weeks).
        """
        every = timedelta(days=int(7 / Decimal(days_per_week)))
        return every + timedelta(days=14)

    @property
    def visit_overdue_after(self) -> timedelta:
        return self.visit_gap_allowed(self.days_per_week)

    @property
    def head_display(self) -> str:
        return self.client_head_name or (self.client_head.full_name if self.client_head else "")

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_contracted(self) -> bool:
        return self.status in self.CONTRACTED

    @property
    def status_tone(self) -> str:
        return {  # type: ignore[call-overload]  # a status is its value
            self.Status.PROPOSED: "warning", self.Status.AGREED: "info", self.Status.ACTIVE: "success",
            self.Status.ENDED_EARLY: "danger",
        }.get(self.status, "")


class DeploymentColleague(models.Model):
    """A member of the LLE's school staff who delivers some of the contracted
    days, e.g. the deputy with the client school's deputy (docs/programme.md §9.4)."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="colleagues")
    name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, help_text="e.g. Deputy headteacher")
    email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="colleague_roles",
        help_text="Their portal account, so they can record their own visits.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "name"], name="one_colleague_name_per_deployment"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.job_title})"


class Objective(models.Model):
    """A negotiated objective for improvement, with how success is measured."""

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        SOME = "some", "Some progress"
        GOOD = "good", "Good progress"
        ACHIEVED = "achieved", "Achieved"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField("objective", max_length=300)
    measure_of_success = models.TextField()
    progress = models.CharField(max_length=15, choices=Progress.choices, default=Progress.NOT_STARTED)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def progress_tone(self) -> str:
        return {self.Progress.ACHIEVED: "success", self.Progress.GOOD: "info", self.Progress.SOME: "warning"}.get(  # type: ignore[call-overload]
            self.progress, ""
        )


# --------------------------------------------------------------------------
# Records of visit
# --------------------------------------------------------------------------


class Activity(models.TextChoices):
    """Typical work on a support day (docs/programme.md §9.6)."""

    NEGOTIATING_OBJECTIVES = "objectives", "Negotiating objectives for improvement"
    COACHING_HEAD = "coaching", "Coaching and mentoring the headteacher"
    STAFF_TRAINING = "training", "Supporting or arranging coaching or training for staff"
    REVIEW = "review", "Reviewing progress against the objectives"
    OTHER = "other", "Other school-improvement work"


class VisitRecordQuerySet(models.QuerySet):
    def awaiting_confirmation(self):
        return self.filter(status=VisitRecord.Status.SUBMITTED)

    def confirmed(self):
        return self.filter(status=VisitRecord.Status.CONFIRMED)

    def queried(self):
        return self.filter(status=VisitRecord.Status.QUERIED)

    def flagged_for_qa(self):
        return self.filter(qa_flagged_at__isnull=False)

    def unclaimed(self):
        """Not paid by any statement and not on a draft: still to be paid. (A visit
        held on a finalised statement was not paid: the next statement takes it.)"""
        return self.filter(~Exists(ReimbursementLine.objects.filter(
            Q(held="") | Q(statement__status=ReimbursementStatement.Status.DRAFT),
            visit=OuterRef("pk"), adjusts__isnull=True,
        )))

    def for_adviser(self, user):
        return self.filter(user.in_my_las("deployment__client_school__local_authority"))

    def for_list(self):
        return self.select_related(
            "deployment", "deployment__lle__user", "deployment__client_school", "colleague", "recorded_by"
        )


class VisitRecord(models.Model):
    """What happened on one support day (docs/programme.md §9.6, §9.7), recorded
    by the LLE or the colleague who went, confirmed or queried by the client head."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        QUERIED = "queried", "Queried"

    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="visits")
    visit_date = models.DateField()
    days = models.DecimalField("length", max_digits=2, decimal_places=1, choices=VISIT_LENGTH_CHOICES)
    # Empty when the LLE went themselves.
    colleague = models.ForeignKey(
        DeploymentColleague, null=True, blank=True, on_delete=models.PROTECT, related_name="visits",
        verbose_name="delivered by (colleague)",
    )
    activities = models.JSONField("what was done", default=list)
    summary = models.TextField("what was done, in a few words")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="visits")
    progress = models.TextField("progress made")
    next_steps = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query_reason = models.TextField(blank=True)
    queried_at = models.DateTimeField(null=True, blank=True)
    # A visit on a day that is not a school day of the client school's LA
    # (lle_portal.school_calendar) is recorded only with a reason, and is then
    # flagged for quality assurance; empty for a visit on a school day.
    non_school_day_reason = models.TextField("why the visit was not on a school day", blank=True)
    qa_flagged_at = models.DateTimeField("flagged for quality assurance", null=True, blank=True)
    qa_flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    qa_note = models.TextField("quality-assurance note", blank=True)
    # The adviser's correction of a confirmed record (deployments.reimbursement.visit_correct):
    # its length, or withdrawn from payment. A day already paid is put right by an
    # adjustment on the next statement; the finalised statement never changes.
    withdrawn_at = models.DateTimeField("withdrawn from payment", null=True, blank=True)
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    correction_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "record of visit"
        verbose_name_plural = "records of visit"
        ordering = ["-visit_date", "-pk"]
        constraints = [
            # One record per person per day: the same day recorded twice would be paid twice.
            models.UniqueConstraint(
                fields=["deployment", "visit_date"], condition=Q(colleague__isnull=True),
                name="one_lle_visit_per_day",
            ),
            models.UniqueConstraint(
                fields=["deployment", "visit_date", "colleague"], condition=Q(colleague__isnull=False),
                name="one_colleague_visit_per_day",
            ),
            models.CheckConstraint(condition=Q(days__in=[HALF_DAY, ONE_DAY]), name="visit_half_or_full_day"),
            models.CheckConstraint(
                condition=~Q(status="queried") | ~Q(query_reason=""), name="queried_visit_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False), name="confirmed_visit_has_time"
            ),
        ]
        indexes = [
            # The overview's overdue list reads each active deployment's latest
            # visit (DeploymentQuerySet.overdue_for_visit): one index probe each.
            models.Index(fields=["deployment", "-visit_date"], name="visit_deployment_latest"),
            # The overview's queried and quality-assurance lists: a few rows
            # among all records of visit, so partial indexes.
            models.Index(fields=["queried_at"], name="visit_queried", condition=Q(status="queried")),
            models.Index(fields=["-qa_flagged_at"], name="visit_qa_flagged", condition=Q(qa_flagged_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"Visit on {self.visit_date:%-d %b %Y} ({self.deployment.client_school.name})"

    def get_absolute_url(self) -> str:
        return reverse("deployments:detail", args=[self.deployment_id]) + f"#visit-{self.pk}"

    @property
    def delivered_by(self) -> str:
        return str(self.colleague) if self.colleague_id else str(self.deployment.lle.user)

    @property
    def activity_labels(self) -> list[str]:
        return [Activity(a).label for a in self.activities if a in Activity.values]

    @property
    def status_tone(self) -> str:
        return {self.Status.CONFIRMED: "success", self.Status.QUERIED: "danger", self.Status.SUBMITTED: "warning"}[
            self.status  # type: ignore[index]  # a status is its value
        ]


# --------------------------------------------------------------------------
# Reimbursement
# --------------------------------------------------------------------------


class ReimbursementStatementQuerySet(models.QuerySet):
    def for_adviser(self, user):
        return self.filter(user.in_my_las("local_authority"))

    def with_totals(self):
        """Each statement's days and amount: a subquery each, computed for the
        rows shown (a page), not a join and GROUP BY over every line there is."""
        lines = (ReimbursementLine.objects.filter(PAID_LINE, statement=OuterRef("pk"))
                 .order_by().values("statement"))
        return self.annotate(
            total_days=Subquery(lines.annotate(days_sum=Sum("days")).values("days_sum")),
            total_amount=Subquery(lines.annotate(amount_sum=Sum("amount")).values("amount_sum")),
        )


class ReimbursementStatement(models.Model):
    """What one LA pays LLEs' schools for one term: the confirmed days of
    visit not paid before, times each deployment's agreed rate (docs/programme.md §10.3, §10.1)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALISED = "finalised", "Finalised"

    local_authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="statements")
    academic_year = models.PositiveSmallIntegerField(
        help_text="The year the academic year ends, e.g. 2026 for 2025/26."
    )
    term = models.CharField(max_length=10, choices=Term.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    prepared_at = models.DateTimeField(null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Each preparation (and each late claim approved) makes a new version of a
    # draft; its CSV and PDF carry the number in their names.
    version = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to=PrivateUploadTo("deployments/statements"), blank=True)
    pdf_generated_at = models.DateTimeField(null=True, blank=True)
    # The version the stored PDF shows: a draft's PDF is offered only while it is current.
    pdf_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReimbursementStatementQuerySet.as_manager()

    class Meta:
        ordering = ["-academic_year", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["local_authority", "academic_year", "term"], name="one_statement_per_la_and_term"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(finalised_at__isnull=False), name="finalised_statement_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.local_authority}: {self.dates.label}"

    def get_absolute_url(self) -> str:
        return reverse("deployments:statement", args=[self.pk])

    @property
    def dates(self):
        return term_dates(self.academic_year, self.term)

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINALISED


# The lines a statement pays (and totals): every line not held.
PAID_LINE = Q(held="")


class ReimbursementLine(models.Model):
    """One record of visit on one statement.

    - a period line pays a visit of the statement's own term;
    - an arrears line pays a visit of an earlier term confirmed (or cleared) late;
    - a held line is listed, not paid: arrears older than the LA's claim window
      (until the adviser approves them) or a visit flagged for quality assurance;
    - an adjustment puts right a visit paid on a finalised statement and
      corrected since (the difference, negative or positive; `adjusts` is the
      line that paid it).

    A visit is paid at most once, ever (the first constraint); a finalised
    statement's lines never change (the database refuses: the triggers of the migration
    finalised_statements_never_change).
    """

    class Kind(models.TextChoices):
        PERIOD = "period", "This term"
        ARREARS = "arrears", "Arrears"
        ADJUSTMENT = "adjustment", "Adjustment"

    class Held(models.TextChoices):
        NO = "", "Paid"
        CLAIM_WINDOW = "claim_window", "Older than the claim window: held for the adviser's approval"
        QA = "qa", "Flagged for quality assurance: paid once the flag is cleared"

    statement = models.ForeignKey(ReimbursementStatement, on_delete=models.CASCADE, related_name="lines")
    visit = models.ForeignKey(VisitRecord, on_delete=models.PROTECT, related_name="reimbursement_lines")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERIOD)
    held = models.CharField(max_length=12, choices=Held.choices, default=Held.NO, blank=True)
    adjusts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments",
        help_text="The line of a finalised statement that this adjustment corrects.",
    )
    note = models.CharField(max_length=300, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The payee and the terms as they were when the statement was prepared.
    lle_school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name="LLE's school")
    days = models.DecimalField(max_digits=3, decimal_places=1)
    rate_per_day = models.DecimalField(max_digits=7, decimal_places=2)
    amount = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["lle_school__name", "visit__visit_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"], condition=Q(held="", adjusts__isnull=True), name="a_visit_is_paid_once"
            ),
            models.UniqueConstraint(
                fields=["statement", "visit"], condition=Q(adjusts__isnull=True), name="a_visit_once_per_statement"
            ),
            models.CheckConstraint(
                condition=Q(kind="adjustment", adjusts__isnull=False, held="")
                | (~Q(kind="adjustment") & Q(adjusts__isnull=True)),
                name="an_adjustment_names_its_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit}: £{self.amount}"

    @property
    def is_paid(self) -> bool:
        return not self.held

    @property
    def period(self):
        """The term of the visit (an arrears line names it)."""
        return term_for(self.visit.visit_date)


# Arrears older than this are held for the adviser's approval, unless the LA sets its own.
DEFAULT_CLAIM_WINDOW_MONTHS = 12
MAX_CLAIM_WINDOW_MONTHS = 72


class ReimbursementPolicy(models.Model):
    """An LA's claim window: a visit confirmed late is paid as arrears without
    question while it is no older than this; an older one waits for the adviser."""

    local_authority = models.OneToOneField(
        LocalAuthority, on_delete=models.CASCADE, related_name="reimbursement_policy"
    )
    claim_window_months = models.PositiveSmallIntegerField(
        "claim window (months)", default=DEFAULT_CLAIM_WINDOW_MONTHS,
        help_text="Arrears more than this many months before the end of the statement's term are held "
                  "until you approve them.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "reimbursement policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(claim_window_months__gte=1, claim_window_months__lte=MAX_CLAIM_WINDOW_MONTHS),
                name="claim_window_1_to_72_months",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.local_authority}: claim window {self.claim_window_months} months"


# --------------------------------------------------------------------------
# Network meetings
# --------------------------------------------------------------------------


class NetworkMeeting(models.Model):
    """The termly network meeting of the LA's LLEs (docs/programme.md §9.9)."""

    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="network_meetings",
        help_text="The local authority whose LLEs meet.",
    )
    held_on = models.DateField(help_text="The day of the meeting: one a term, one a day for each local authority.")
    title = models.CharField(max_length=200, help_text="For example “Autumn network meeting”.")
    location = models.CharField(max_length=200, blank=True, help_text="Where it is held, or how to join it.")
    notes = models.TextField(
        "agenda and notes", blank=True, help_text="The agenda beforehand; what was shared and agreed afterwards.",
    )

    class Meta:
        ordering = ["-held_on"]
        constraints = [
            models.UniqueConstraint(fields=["local_authority", "held_on"], name="one_network_meeting_per_la_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%-d %b %Y})"

    @property
    def term_label(self) -> str:
        return term_for(self.held_on).label


class NetworkMeetingAttendance(models.Model):
    class Status(models.TextChoices):
        ATTENDED = "attended", "Attended"
        APOLOGIES = "apologies", "Sent apologies"
        ABSENT = "absent", "Absent"

    meeting = models.ForeignKey(NetworkMeeting, on_delete=models.CASCADE, related_name="attendance")
    lle = models.ForeignKey(LLEProfile, on_delete=models.CASCADE, related_name="network_attendance", verbose_name="LLE")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ATTENDED)

    class Meta:
        ordering = ["lle__user__full_name"]
        verbose_name_plural = "attendance"
        constraints = [models.UniqueConstraint(fields=["meeting", "lle"], name="one_attendance_per_lle_per_meeting")]

    def __str__(self) -> str:
        return f"{self.lle.user}: {self.get_status_display()}"


# --------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------


class ReminderLog(models.Model):
    """One reminder about one deployment, sent once.

    The reminder job creates this row (the claim) in the same transaction as
    queueing the emails; a second run, or a second worker, hits the unique
    constraint and sends nothing. `key` separates reminders of the same kind
    that are due again: for an overdue record of visit, the date of the last
    visit (a new gap after a new visit is a new reminder).
    """

    class Kind(models.TextChoices):
        VISIT_OVERDUE = "visit_overdue", "No record of visit for too long"
        ENDING_SOON = "ending_soon", "Agreed end point in 30 days"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=40, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "kind", "key"], name="one_reminder_per_deployment_kind_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.deployment}"
