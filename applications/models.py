"""Recruitment: application rounds, applications (Part A, Part B, approvals,
sponsor), eligibility rules as data, assessment, the panel and designation."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lle_portal.models import Grade as CoreGrade
from lle_portal.models import KeyStage, LocalAuthority, ReportCardGrade, School
from lle_portal.schooldata import PhaseGroup


class Specialism(models.TextChoices):
    """What an LLE offers and what a client school needs (the same list)."""

    LEADERSHIP = "leadership", "Leadership and management"
    TEACHING = "teaching", "Quality of teaching and learning"
    LITERACY = "literacy", "English and literacy"
    MATHS = "maths", "Mathematics"
    SEND = "send", "Special educational needs and disabilities"
    EARLY_YEARS = "early_years", "Early years"
    BEHAVIOUR = "behaviour", "Behaviour and attendance"
    DATA = "data", "Assessment and use of data"
    GOVERNANCE = "governance", "Governance"
    FINANCE = "finance", "School finance and business"
    CURRICULUM = "curriculum", "Curriculum"
    NEW_HEADS = "new_heads", "Mentoring new headteachers"


# The programme's phases (what an LLE offers) are the core's phase groups.
Phase = PhaseGroup


class Capacity(models.TextChoices):
    HALF_DAY = "0.5", "Half a day a week"
    ONE_DAY = "1.0", "One day a week"


# One grade vocabulary for inspections and for what applicants declare.
Grade = CoreGrade


class FloorStandard(models.Model):
    """The DfE floor standard for one key stage and one year, kept as data.

    A school is above the floor when its attainment measure reaches
    `attainment_min`, OR every progress measure reaches its minimum.
    A year with no row here is "to be verified" (docs/programme.md §3.6).
    """

    key_stage = models.CharField(max_length=3, choices=KeyStage.choices)
    year = models.PositiveSmallIntegerField()
    attainment_measure = models.CharField(max_length=30, blank=True)
    attainment_min = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # {"READPROG": -5, "MATPROG": -5, "WRITPROG": -7}
    progress_minimums = models.JSONField(default=dict, blank=True)
    # Part of some years' rule is not in the published files (KS2 to 2015: the
    # share making expected progress against the England median; KS4: whether
    # Progress 8's confidence interval is wholly below zero). For those years a
    # school that fails the part in the data is "to be verified", not "not met".
    fail_needs_verification = models.BooleanField(default=False)
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["key_stage", "-year"]
        constraints = [models.UniqueConstraint(fields=["key_stage", "year"], name="one_floor_standard_per_year")]

    def __str__(self) -> str:
        return f"{self.key_stage} {self.year}: {self.description}"


class RoundQuerySet(models.QuerySet):
    def open(self, at=None):
        at = at or timezone.now()
        return self.filter(opens_at__lte=at, closes_at__gt=at)

    def featured(self, at=None) -> list[ApplicationRound]:
        """The rounds a visitor is told about first: every open round, soonest
        closing first; if none is open, the next one to open."""
        at = at or timezone.now()
        rounds = list(self.open(at).order_by("closes_at", "pk"))
        if not rounds:
            upcoming = self.filter(opens_at__gt=at).order_by("opens_at", "pk").first()
            rounds = [upcoming] if upcoming else []
        return rounds

    def for_adviser(self, user):
        if user.is_superuser:
            return self
        # A subquery rather than a join + DISTINCT: counts annotated on the
        # result (the admin's drafts/submitted/designated) are not multiplied.
        mine = ApplicationRound.objects.filter(user.in_my_las("local_authorities"))
        return self.filter(pk__in=mine.values("pk"))

    def decisions_due(self, today=None):
        """Rounds whose decisions-by date has come (the daily decision-email job)."""
        return self.filter(decisions_by__lte=today or timezone.localdate())


class ApplicationRound(models.Model):
    name = models.CharField(max_length=200, help_text="As applicants see it, for example “LLE recruitment 2027”.")
    local_authorities = models.ManyToManyField(
        LocalAuthority, related_name="rounds",
        help_text="The local authorities whose headteachers may apply; you see the rounds of your own.",
    )
    opens_at = models.DateTimeField(help_text="UK time.")
    closes_at = models.DateTimeField(help_text="UK time. Submissions are refused from this second.")
    decisions_by = models.DateField(help_text="Applicants are told the panel's decision by this day.")
    induction_date = models.DateField(
        null=True, blank=True, help_text="Shown on the programme page; “to be confirmed” while empty.",
    )
    training_starts = models.DateField(
        null=True, blank=True,
        help_text="Training follows designation within 6 to 8 weeks; shown on the programme page.",
    )
    places = models.PositiveSmallIntegerField(help_text="How many LLEs the round designates at most.")
    priority_phases = models.JSONField(default=list, blank=True, help_text="Phases the LA most wants.")
    priority_specialisms = models.JSONField(default=list, blank=True)
    priority_notes = models.TextField(blank=True, help_text="Anything else the LA wants from this round's LLEs.")
    # What counts for this round's eligibility, over the defaults of
    # lle_portal.schooldata.EligibilityRules, e.g. {"good_leadership_grades": [1, 2],
    # "report_card_leadership_at_least": 3, "high_performance": true, "improving_years": 3}.
    eligibility_rules = models.JSONField(
        default=dict, blank=True,
        help_text="What counts for eligibility in this round; empty for the defaults (see the adviser's guide).",
    )
    default_referee_name = models.CharField(max_length=150, blank=True, help_text="Filled in for each applicant.")
    default_referee_email = models.EmailField(
        blank=True, help_text="The reference is requested here by an emailed link.",
    )
    default_referee_role = models.CharField(max_length=30, blank=True)
    default_referee_organisation = models.CharField(
        max_length=200, blank=True, help_text="Usually the local authority.",
    )
    # What each score means for each competency, as the adviser worded it for
    # this round: {"impact_on_outcomes": {"1": "...", ..., "4": "..."}, ...}.
    # A descriptor left out falls back to applications.rubric.DEFAULT_DESCRIPTORS.
    rubric_descriptors = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at

    @property
    def state(self) -> str:
        now = timezone.now()
        if now < self.opens_at:
            return "upcoming"
        if now < self.closes_at:
            return "open"
        return "closed"


class RoundContact(models.Model):
    """A person applicants may call or email about a round (docs/programme.md §2.4:
    Norfolk listed three named contacts with phone numbers). Shown on the programme page and in the footer."""

    round = models.ForeignKey(ApplicationRound, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=200, blank=True, help_text="For example: LA lead adviser for LLEs.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Contacts are listed from the lowest number.")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class ApplicationQuerySet(models.QuerySet):
    def submitted(self):
        return self.exclude(status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])

    def drafts(self):
        return self.filter(status=Application.Status.DRAFT)

    def for_adviser(self, user):
        if user.is_superuser:
            return self
        # A subquery, not a join: no duplicates, so no DISTINCT over the list.
        rounds = ApplicationRound.objects.filter(user.in_my_las("local_authorities"))
        return self.filter(round__in=rounds.values("pk"))

    def for_assessor(self, user):
        return self.filter(assessments__assessor=user)

    def for_list(self):
        return self.select_related("round", "applicant", "school", "school__local_authority")


class Application(models.Model):
    """A headteacher's application in one round.

    Part A (eligibility), Part B (evidence), approvals and the sponsor
    nomination are fields here (or the one-to-one RefereeNomination) so that a
    draft saves as the head goes. Status changes only through services.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        VERIFIED = "verified", "Part A verified"
        ASSESSED = "assessed", "Part B assessed"
        DESIGNATED = "designated", "Designated"
        NOT_DESIGNATED = "not_designated", "Not designated"
        DEFERRED = "deferred", "Deferred"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Decision(models.TextChoices):
        DESIGNATED = "designated", "Designated"
        NOT_DESIGNATED = "not_designated", "Not designated"
        DEFERRED = "deferred", "Deferred"

    class YesNoUnsure(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNSURE = "unsure", "Not sure"

    round = models.ForeignKey(ApplicationRound, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    reference_number = models.CharField(max_length=20, unique=True, null=True, blank=True)

    # --- Part A: the school and the headship ---
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.PROTECT, related_name="applications")
    appointed_head_on = models.DateField("date appointed as headteacher of this school", null=True, blank=True)
    previous_headship_years = models.DecimalField(
        "years as a headteacher elsewhere", max_digits=4, decimal_places=1, null=True, blank=True
    )
    previous_headships = models.TextField("previous headships (school and years)", blank=True)
    declared_inspection_date = models.DateField("date of the most recent Ofsted inspection", null=True, blank=True)
    declared_overall_effectiveness = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)
    declared_leadership = models.PositiveSmallIntegerField(
        "leadership and management grade", choices=Grade.choices, null=True, blank=True
    )
    # A report card (from November 2025) grades leadership and governance on
    # its own five-point scale, which the 1-4 grade above cannot hold.
    declared_report_card_leadership = models.PositiveSmallIntegerField(
        "leadership and governance (report card)", choices=ReportCardGrade.choices, null=True, blank=True
    )
    declared_results_good = models.BooleanField(
        "results high or improving over the last three years", null=True, blank=True
    )
    declared_above_floor = models.CharField(
        "above the floor standard in each of the last three years", max_length=10, choices=YesNoUnsure.choices,
        blank=True,
    )
    performance_summary = models.TextField("pupil performance over the last three years", blank=True)
    slt_can_cover = models.BooleanField("senior leadership team able to cover your absence", null=True, blank=True)
    slt_details = models.TextField("how the senior team will lead the school while you are away", blank=True)
    phase_offered = models.CharField(max_length=20, choices=Phase.choices, blank=True)
    specialisms = models.JSONField(default=list, blank=True)

    # --- Part B: the evidence (word limits in applications.forms.PART_B_WORD_LIMITS) ---
    impact_on_outcomes = models.TextField("impact of your leadership on pupil outcomes", blank=True)
    school_improvement = models.TextField("school-improvement track record", blank=True)
    supporting_others = models.TextField("coaching, mentoring or supporting other schools", blank=True)
    capacity = models.CharField("time you can give", max_length=4, choices=Capacity.choices, blank=True)
    capacity_notes = models.TextField(blank=True)

    # --- Approvals ---
    chair_of_governors_name = models.CharField(max_length=150, blank=True)
    chair_of_governors_email = models.EmailField(blank=True)
    # The head's word that they have asked their chair, nothing more: the
    # governing body's approval is the chair's answer through their link
    # (applications.approvals.chair_approval).
    governors_approved = models.BooleanField("head says they have asked the chair of governors", null=True,
                                             blank=True)
    slt_approved = models.BooleanField("senior leadership team has agreed", null=True, blank=True)
    la_approved_at = models.DateTimeField(null=True, blank=True)
    la_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    working_towards_eligibility = models.BooleanField(default=False)
    working_towards_notes = models.TextField(blank=True)

    # --- Panel ---
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_emailed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency for autosave from two tabs: each save bumps it.
    version = models.PositiveIntegerField(default=0)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "applicant"], name="one_application_per_head_per_round"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="withdrawn", submitted_at__isnull=True)
                | Q(submitted_at__isnull=False, reference_number__isnull=False),
                name="submitted_application_has_reference",
            ),
        ]
        indexes = [
            # The round-closing reminder job reads drafts of one round.
            models.Index(fields=["round", "status"], name="application_round_status"),
        ]

    def __str__(self) -> str:
        return self.reference_number or f"Draft application #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.pk])

    # The head changes their answers only in a draft (applications.rules.can_change_answers).
    EDITABLE = (Status.DRAFT,)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    # Statuses in which a declined or expired reference can still be replaced
    # by a new sponsor (docs/programme.md §5.4, §5.1: every applicant needs a sponsor's reference).
    SPONSOR_REPLACEABLE = (Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED)

    def can_replace_sponsor(self) -> bool:
        """After submission the head may name another sponsor only when the
        latest reference request was declined or has expired."""
        if self.status not in self.SPONSOR_REPLACEABLE:
            return False
        latest = self.link_requests.filter(kind="reference").order_by("-created_at", "-pk").first()
        return latest is not None and latest.status in ("declined", "expired")

    @property
    def years_as_head(self) -> Decimal | None:
        """Years as a serving head: here (from the appointment date) plus elsewhere."""
        if not self.appointed_head_on:
            return None
        days = (timezone.localdate() - self.appointed_head_on).days
        return Decimal(days / 365.25).quantize(Decimal("0.1")) + (self.previous_headship_years or 0)


class RefereeNomination(models.Model):
    """The sponsor / referee the head nominates (docs/programme.md §5.1). The
    emailed-link reference itself is sent by applications.references."""

    class Role(models.TextChoices):
        LA_OFFICER = "la_officer", "Director of children's services or second-tier officer of the LA"
        DIOCESE = "diocese", "Senior representative of the diocese"
        TEACHING_SCHOOL = "teaching_school", "Headteacher of a teaching school"
        TSA_PARTNER = "tsa_partner", (
            "Headteacher of a teaching-school-alliance strategic partner responsible for school-to-school support"
        )

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="referee")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.CharField(max_length=200)
    relationship = models.TextField("how they know the applicant")
    is_round_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Verification(models.Model):
    """The adviser's check of one Part A criterion against official data."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        NOT_MET = "not_met", "Not met"
        QUERY = "query", "Query with the applicant"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="verifications")
    criterion = models.CharField(max_length=30)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    verified_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="one_verification_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.criterion} {self.get_outcome_display().lower()}"


class Assessment(models.Model):
    """An assessor's scoring of Part B against the rubric."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assessments")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    # {"impact_on_outcomes": 3, ...}: 1 (weak) to 4 (strong), keys from applications.rubric.
    scores = models.JSONField(default=dict, blank=True)
    # The sum of the scores, stored when the assessment is submitted
    # (services.assessment_submit); empty until then. The panel ranks by it.
    total = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    comments = models.TextField(blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "assessor"], name="one_assessment_per_assessor"),
        ]
        indexes = [
            # Used by the assessor-reminder job: unscored, not yet reminded, by assignment date.
            models.Index(
                fields=["assigned_at"], name="assessment_reminder_due",
                condition=Q(submitted_at__isnull=True, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Assessment of {self.application} by {self.assessor}"


class ApplicationReminder(models.Model):
    """One reminder email sent about one application, at most once per kind.

    The row is the claim: the reminder job creates it (in the same transaction
    as the email) before queueing, so a re-run or a second worker finds it and
    sends nothing (docs/programme.md §13.1: "running one twice sends no second email").
    """

    class Kind(models.TextChoices):
        CLOSING_7_DAYS = "closing_7d", "Round closes in 7 days"
        CLOSING_1_DAY = "closing_1d", "Round closes in 1 day"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="one_reminder_per_application_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.application}"


class TrainingCohort(models.Model):
    """Training follows designation within 6-8 weeks (docs/programme.md §7.2)."""

    round = models.ForeignKey(
        ApplicationRound, on_delete=models.PROTECT, related_name="cohorts",
        help_text="The round whose designated LLEs this cohort trains.",
    )
    name = models.CharField(max_length=150, help_text="For example “Autumn 2026 cohort”.")
    starts_on = models.DateField(help_text="The first day of training.")
    ends_on = models.DateField(help_text="The last day: within 8 weeks of each member's designation.")

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="cohort_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class LLEProfileQuerySet(models.QuerySet):
    def deployable(self):
        """Only trained, active LLEs can be deployed (LLEProfile.not_deployable_because, for one)."""
        return self.filter(is_active=True, trained_on__isnull=False)

    def serving_during(self, start, end):
        """LLEs for some of the period `start`..`end`: designated by its end and not
        stood down before its start. An inactive LLE with no date recorded counts
        for no period (when they stopped is unknown)."""
        return self.filter(self.serving_q(start, end))

    @staticmethod
    def serving_q(start, end, prefix: str = "") -> Q:
        return Q(**{f"{prefix}designated_on__lte": end}) & (
            Q(**{f"{prefix}stood_down_on__gte": start})
            | Q(**{f"{prefix}stood_down_on__isnull": True, f"{prefix}is_active": True})
        )


class LLEProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lle_profile")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="lles")
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="lle_profile"
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    specialisms = models.JSONField(default=list, blank=True)
    days_per_week = models.DecimalField(
        "days a week offered", max_digits=2, decimal_places=1,
        choices=[(Decimal("0.5"), "Half a day a week"), (Decimal("1.0"), "One day a week")],
    )
    designated_on = models.DateField()
    is_active = models.BooleanField(default=True)
    # The day an LLE stepped back or was de-designated (set when is_active is
    # cleared): the programme's figures count them for the years before it.
    stood_down_on = models.DateField("stood down on", null=True, blank=True)
    cohort = models.ForeignKey(
        TrainingCohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    trained_on = models.DateField(null=True, blank=True)

    objects = LLEProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = "LLE profile"

    def __str__(self) -> str:
        return f"{self.user} (LLE, {self.school.name})"

    def not_deployable_because(self) -> list[str]:
        """Why this LLE cannot be deployed, one reason per condition of
        `LLEProfileQuerySet.deployable` it lacks (none: deployable)."""
        reasons = []
        if not self.is_active:
            reasons.append("The LLE is not active")
        if self.trained_on is None:
            reasons.append("The LLE has not completed training")
        return reasons

    @property
    def is_deployable(self) -> bool:
        return not self.not_deployable_because()


class LinkRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=LinkRequest.Status.REQUESTED)

    def expired_due(self, at=None):
        """Open requests whose link has run out (the daily chaser job)."""
        return self.open().filter(expires_at__lte=at or timezone.now())

    def for_adviser(self, user):
        return self.filter(application__in=Application.objects.for_adviser(user).values("pk"))


class LinkRequest(models.Model):
    """A question put to someone without an account through an emailed link:
    the sponsor's reference or the chair of governors' approval (docs/programme.md
    §5.4, §5.5).

    The link's token is never stored. It is derived from a random `nonce` with
    the server's secret key (so a reminder can carry the same link), and only
    its SHA-256 is kept for the lookup: a copy of the database opens nothing.
    Resending makes a new row (and a new nonce) and cancels this one.
    """

    class Kind(models.TextChoices):
        REFERENCE = "reference", "Sponsor's reference"
        GOVERNORS_APPROVAL = "governors_approval", "Governing body's approval"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        RECEIVED = "received", "Received"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    class Recommendation(models.TextChoices):
        STRONGLY = "strongly", "Strongly recommend"
        RECOMMEND = "recommend", "Recommend"
        RESERVATIONS = "reservations", "Recommend with reservations"
        NOT = "not", "Do not recommend"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="link_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    recipient_name = models.CharField(max_length=150)
    recipient_email = models.EmailField()
    nonce = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    # Set by the task that sent the request email, in the same transaction.
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Expired or cancelled at.")
    # What the recipient typed so far (autosave), and what they submitted.
    draft = models.JSONField(default=dict, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    decline_reason = models.TextField(blank=True)

    objects = LinkRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live link per application and kind: resend cancels the old row first.
            models.UniqueConstraint(
                fields=["application", "kind"], condition=Q(status="requested"), name="one_open_link_request",
            ),
        ]
        indexes = [
            # Used by the daily chaser job (reminders and expiry of open requests).
            models.Index(fields=["created_at"], name="link_request_open_idx", condition=Q(status="requested")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.recipient_name} for {self.application}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.REQUESTED and self.expires_at > timezone.now()

    @property
    def recommendation_label(self) -> str:
        value = self.answers.get("recommendation", "")
        return dict(self.Recommendation.choices).get(value, value)

    @property
    def head_status(self) -> str:
        """What the applicant may know: the state, never the text."""
        if self.status == self.Status.REQUESTED:
            return "Reminded" if self.reminder_count else "Requested"
        return self.get_status_display()


class LinkRequestChaser(models.Model):
    """One chaser about one request, at most once per kind.

    The row is the claim (made under the request's row lock, in the same
    transaction as the email), so a re-run of the job sends nothing twice.
    """

    class Kind(models.TextChoices):
        REMINDER_7 = "reminder_7d", "Reminder after 7 days"
        REMINDER_14 = "reminder_14d", "Reminder after 14 days"
        HEAD_ASKED = "head_asked", "Applicant asked to nominate someone else"

    request = models.ForeignKey(LinkRequest, on_delete=models.CASCADE, related_name="chasers")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_chaser_per_request_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.request}"
