"""The shared core: people and roles, local authorities, schools and their
official data, imports, outgoing email and the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from . import private_links
from .academic_years import academic_year_dates, academic_year_label
from .files import PrivateUploadTo

# --------------------------------------------------------------------------
# People and roles
# --------------------------------------------------------------------------


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.ADVISER)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Logs in by email address.

    Referees have no account: they answer through an emailed link.
    """

    class Role(models.TextChoices):
        HEADTEACHER = "headteacher", "Headteacher"
        ADVISER = "adviser", "LA lead adviser"
        ASSESSOR = "assessor", "Assessor"
        GOVERNOR = "governor", "Governor"

    # Roles that work in the staff pages and the Django admin.
    STAFF_ROLES = (Role.ADVISER, Role.ASSESSOR)

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.HEADTEACHER)
    # A headteacher's own school, a governor's school. For a head who
    # registered it is only a claim until the adviser of the school's LA
    # confirms it (docs/programme.md §12.1); an invitation is the
    # adviser's grant, so it is confirmed on acceptance. Whether a person may
    # act for a school is decided in one place: lle_portal.access.acts_for_school.
    school = models.ForeignKey(
        "School", null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    school_confirmed_at = models.DateTimeField("school link confirmed at", null=True, blank=True, editable=False)
    school_confirmed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False,
        verbose_name="school link confirmed by",
    )
    # The local authorities an adviser works for; they see only these LAs' data.
    local_authorities: models.ManyToManyField[LocalAuthority, models.Model] = models.ManyToManyField(
        "LocalAuthority", blank=True, related_name="advisers"
    )
    job_title = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        "staff status", default=False, help_text="Can log into the admin site."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            # Staff roles go with staff status; a governor or head never gets
            # the admin by accident.
            models.CheckConstraint(
                condition=Q(is_superuser=True)
                | Q(role__in=["adviser", "assessor"], is_staff=True)
                | Q(role__in=["headteacher", "governor"], is_staff=False),
                name="user_staff_matches_role",
            ),
            # One confirmed headteacher per school: a second person may claim
            # the headship (the claim waits, flagged, in the adviser's queue)
            # but is never confirmed while another head is.
            models.UniqueConstraint(
                fields=["school"],
                condition=Q(role="headteacher", school_confirmed_at__isnull=False),
                name="one_confirmed_head_per_school",
            ),
            models.CheckConstraint(
                condition=Q(school_confirmed_at__isnull=True) | Q(school__isnull=False),
                name="user_confirmed_link_has_school",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the confirmation was given for (see save()); a deferred field is not read.
        instance._loaded_link = (instance.__dict__.get("school_id"), instance.__dict__.get("role"))
        return instance

    def refresh_from_db(self, using=None, fields=None, **kwargs):
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        if fields is None or {"school", "school_id", "role"} & set(fields):
            self._loaded_link = (self.__dict__.get("school_id"), self.__dict__.get("role"))

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        if not self.is_superuser:
            self.is_staff = self.role in self.STAFF_ROLES
        # A confirmation is given for one school and one role: whoever moves
        # the person to another school or role (the admin, a script) leaves a
        # new claim, never a link nobody granted.
        loaded = getattr(self, "_loaded_link", None)
        moved = loaded is not None and loaded != (self.school_id, self.role)
        if self.school_confirmed_at and (moved or self.school_id is None):
            self.school_confirmed_at, self.school_confirmed_by = None, None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "school_confirmed_at", "school_confirmed_by"}
        super().save(*args, **kwargs)
        self._loaded_link = (self.school_id, self.role)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    # The adviser runs the programme in the admin: every model of the portal's
    # own apps. Assessors are given their pages by the recruitment app; the
    # admin shows them nothing by default. Superusers keep Django's rules.
    ADVISER_APPS = frozenset({"lle_portal", "applications", "deployments", "impact"})
    ADVISER_READ_ONLY_APPS = frozenset({"auditlog"})

    def _role_allows(self, app_label: str, action: str = "") -> bool:
        if not (self.is_active and self.role == self.Role.ADVISER):
            return False
        if app_label in self.ADVISER_APPS:
            return True
        return app_label in self.ADVISER_READ_ONLY_APPS and action in ("", "view")

    def has_perm(self, perm: str, obj=None) -> bool:
        app_label, _, codename = perm.partition(".")
        if self._role_allows(app_label, codename.split("_", 1)[0]):
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self._role_allows(app_label) or super().has_module_perms(app_label)

    @property
    def is_adviser(self) -> bool:
        return self.role == self.Role.ADVISER or self.is_superuser

    def advises(self, local_authority_id: int | None) -> bool:
        """An active adviser working for that LA (a superuser works for every LA). One query."""
        if not (self.is_active and self.is_adviser) or local_authority_id is None:
            return False
        return self.is_superuser or self.local_authorities.filter(pk=local_authority_id).exists()

    def in_my_las(self, lookup: str) -> Q:
        """A filter for rows whose `lookup` LA is one of the adviser's (a subquery, no join).
        The one way to write "in my LAs": every LA for a superuser."""
        if self.is_superuser:
            return Q()
        return Q(**{f"{lookup}__in": self.local_authorities.all()})

    def my_las(self) -> models.QuerySet:
        """The LAs the adviser works for (every LA for a superuser), by name."""
        return LocalAuthority.objects.filter(self.in_my_las("pk"))

    @property
    def school_link_confirmed(self) -> bool:
        """The school link was granted (by an adviser's confirmation or invitation), not only claimed."""
        return self.school_id is not None and self.school_confirmed_at is not None

    @staticmethod
    def confirmed_heads_q(prefix: str = "", *, active: bool = True) -> Q:
        """A filter for active headteachers whose link to their school is confirmed;
        `prefix` reaches the user through a relation, e.g. "client_head__".
        `active=False` also finds a deactivated head who still holds the
        headship in the database (one_confirmed_head_per_school)."""
        q = Q(**{f"{prefix}role": User.Role.HEADTEACHER, f"{prefix}school_confirmed_at__isnull": False})
        return q & Q(**{f"{prefix}is_active": True}) if active else q

    @property
    def is_assessor(self) -> bool:
        return self.role == self.Role.ASSESSOR

    @property
    def is_headteacher(self) -> bool:
        return self.role == self.Role.HEADTEACHER

    @property
    def is_governor(self) -> bool:
        return self.role == self.Role.GOVERNOR


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An emailed link by which an adviser lets a governor or head make an account.

    Only a hash of the token is stored: a copy of the database gives no working link.
    """

    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=User.Role.choices)
    school = models.ForeignKey("School", null=True, blank=True, on_delete=models.SET_NULL)
    local_authorities: models.ManyToManyField[LocalAuthority, models.Model] = models.ManyToManyField(
        "LocalAuthority", blank=True
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    # A headteacher's own registration (services.headteacher_register), not an
    # adviser's invitation: the same emailed, hashed, single-use link, but it is
    # confirmed with the password chosen when registering (`password`, a hash
    # as in User.password, emptied once used), and only at its own URL.
    self_registered = models.BooleanField(default=False, editable=False)
    password = models.CharField(max_length=128, blank=True, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.get_role_display()})"

    def new_token(self, *, valid_for: timedelta | None = None) -> str:
        """Give the invitation a fresh token and expiry date; returns the token.

        The token is derived with the server's secret key from the address and
        the expiry (lle_portal.private_links), like Django's password-reset
        tokens, so the email can be given its link at send time while the
        database keeps only the hash.
        """
        self.expires_at = private_links.expires_after(valid_for or timedelta(days=settings.INVITATION_VALID_DAYS))
        token = self.link_token()
        self.token_hash = private_links.hash_token(token)
        return token

    @property
    def link_kind(self) -> private_links.LinkKind:
        return private_links.REGISTRATION if self.self_registered else private_links.INVITATION

    def link_token(self) -> str:
        """The token of the current link (the one whose hash is stored, unless re-issued)."""
        return self.link_kind.token(self.email.lower(), self.expires_at)

    def link_url(self) -> str | None:
        """The working link, made again (for its email, at send time); None once it no longer works."""
        token = self.link_token()
        if self.state != "pending" or not private_links.token_matches(token, self.token_hash):
            return None
        return self.link_kind.url(token)

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class EmailChangeQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(confirmed_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=timezone.now())


class EmailChange(models.Model):
    """A person's request to sign in with a new email address.

    The address changes only when its owner opens the link emailed to it (so
    no one can move an account to an address they do not hold, nor lose
    theirs to a typo), and the old address is told. Like an invitation, only
    a hash of the link's token is stored, and the token is derived from the
    account's current address: a link made before the address changed some
    other way stops working.
    """

    VALID_FOR = timedelta(hours=24)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # A newer request, a change made by a superuser, or the address taken meanwhile.
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = EmailChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Email change for {self.user_id} to {self.new_email}"

    def new_token(self) -> str:
        """Give the request its expiry date and token hash; returns the token."""
        self.expires_at = private_links.expires_after(self.VALID_FOR)
        token = self.link_token()
        self.token_hash = private_links.hash_token(token)
        return token

    def link_token(self) -> str:
        return private_links.EMAIL_CHANGE.token(self.user_id, self.user.email.lower(), self.new_email.lower(),
                                                self.expires_at)

    def token_is_current(self) -> bool:
        """Whether the stored hash is still that of the token derived from the
        account as it is now: a link made before the address changed some other
        way stops working."""
        return private_links.token_matches(self.link_token(), self.token_hash)

    def link_url(self) -> str | None:
        """The working link, made again (for its email, at send time); None once it no longer works."""
        if self.state != "pending" or not self.token_is_current():
            return None
        return private_links.EMAIL_CHANGE.url(self.link_token())

    @property
    def state(self) -> str:
        if self.confirmed_at:
            return "confirmed"
        if self.cancelled_at:
            return "cancelled"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


# --------------------------------------------------------------------------
# Local authorities and schools
# --------------------------------------------------------------------------


class LocalAuthority(models.Model):
    code = models.CharField("LA code", max_length=3, unique=True, help_text="DfE three-digit LA code, e.g. 926.")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------
# The LA's school calendar (lle_portal/school_calendar.py reads it)
# --------------------------------------------------------------------------


class SchoolTermName(models.TextChoices):
    AUTUMN = "autumn", "Autumn term"
    SPRING = "spring", "Spring term"
    SUMMER = "summer", "Summer term"


class SchoolYearCalendar(models.Model):
    """An LA's term dates and bank holidays for one academic year, as the LA
    published them. A year the LA has not entered follows England's usual
    pattern (lle_portal.school_calendar); an entered year's bank holidays are
    the ones listed here, and a term not entered follows the usual pattern."""

    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.CASCADE, related_name="school_calendars",
        help_text="The local authority whose schools keep these term dates.",
    )
    academic_year = models.PositiveSmallIntegerField(
        "academic year",
        help_text="The year the academic year ends in: 2027 for 2026/27.",
    )
    notes = models.TextField(blank=True, help_text="Anything the schools should know, e.g. where the dates come from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["local_authority__name", "-academic_year"]
        verbose_name = "school year's term dates"
        verbose_name_plural = "term dates"
        constraints = [
            models.UniqueConstraint(fields=["local_authority", "academic_year"], name="one_calendar_per_la_year"),
            models.CheckConstraint(condition=Q(academic_year__gte=2000, academic_year__lte=2100),
                                   name="calendar_year_is_plausible"),
        ]

    def __str__(self) -> str:
        return f"{self.local_authority}: {academic_year_label(self.academic_year)}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.academic_year is not None and not 2000 <= self.academic_year <= 2100:
            raise ValidationError({"academic_year": "Give the year the academic year ends in, e.g. 2027 for 2026/27."})


def _within_academic_year(calendar: SchoolYearCalendar | None, days: Mapping[str, date | None]) -> dict[str, str]:
    if calendar is None or calendar.academic_year is None:
        return {}
    first, last = academic_year_dates(calendar.academic_year)
    return {
        name: f"This date is not in {academic_year_label(calendar.academic_year)} "
              f"({first:%-d %B %Y} to {last:%-d %B %Y})."
        for name, day in days.items() if day is not None and not first <= day <= last
    }


class SchoolTerm(models.Model):
    """One term of an LA's school year, with its half-term holiday."""

    calendar = models.ForeignKey(SchoolYearCalendar, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=6, choices=SchoolTermName.choices)
    starts_on = models.DateField("first day", help_text="The first day of the term (staff training days count).")
    ends_on = models.DateField("last day", help_text="The last day before the holiday.")
    half_term_starts_on = models.DateField(
        "half-term: first day off", help_text="The first weekday of the half-term holiday.",
    )
    half_term_ends_on = models.DateField(
        "half-term: last day off", help_text="The last weekday of the half-term holiday.",
    )

    class Meta:
        ordering = ["calendar", "starts_on"]
        verbose_name = "term"
        constraints = [
            models.UniqueConstraint(fields=["calendar", "term"], name="one_of_each_term_per_calendar"),
            models.CheckConstraint(
                condition=Q(starts_on__lt=models.F("half_term_starts_on"))
                & Q(half_term_starts_on__lte=models.F("half_term_ends_on"))
                & Q(half_term_ends_on__lt=models.F("ends_on")),
                name="term_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_term_display()}: {self.starts_on:%-d %b %Y} to {self.ends_on:%-d %b %Y}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        days = {"starts_on": self.starts_on, "half_term_starts_on": self.half_term_starts_on,
                "half_term_ends_on": self.half_term_ends_on, "ends_on": self.ends_on}
        errors = _within_academic_year(self._calendar_or_none(), days)
        if not errors and None not in days.values():
            if not self.starts_on < self.half_term_starts_on:
                errors["half_term_starts_on"] = "The half-term starts after the first day of the term."
            elif not self.half_term_starts_on <= self.half_term_ends_on:
                errors["half_term_ends_on"] = "The half-term's last day off is on or after its first."
            elif not self.half_term_ends_on < self.ends_on:
                errors["ends_on"] = "The term ends after its half-term."
        if errors:
            raise ValidationError(errors)

    def _calendar_or_none(self) -> SchoolYearCalendar | None:
        try:
            return self.calendar
        except SchoolYearCalendar.DoesNotExist:
            return None


class BankHoliday(models.Model):
    """A day every school of the LA is closed: a bank holiday, or another
    closure the LA announces (a one-off national holiday)."""

    calendar = models.ForeignKey(SchoolYearCalendar, on_delete=models.CASCADE, related_name="bank_holidays")
    day = models.DateField("date")
    name = models.CharField(max_length=100, help_text="E.g. Early May bank holiday.")

    class Meta:
        ordering = ["calendar", "day"]
        verbose_name = "bank holiday"
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="one_bank_holiday_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.day:%-d %b %Y})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            calendar = self.calendar
        except SchoolYearCalendar.DoesNotExist:
            return
        errors = _within_academic_year(calendar, {"day": self.day})
        if errors:
            raise ValidationError(errors)


class SchoolQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=School.Status.CLOSED)

    def for_list(self):
        return self.select_related("local_authority")


class School(models.Model):
    """An establishment as published in GIAS (the master list) or, for a school
    GIAS has not given us yet, as far as a performance-table file describes it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        PROPOSED_TO_CLOSE = "proposed_to_close", "Open, but proposed to close"
        PROPOSED_TO_OPEN = "proposed_to_open", "Proposed to open"
        UNKNOWN = "unknown", "Unknown"

    class Phase(models.TextChoices):
        NURSERY = "nursery", "Nursery"
        PRIMARY = "primary", "Primary"
        MIDDLE_PRIMARY = "middle_primary", "Middle deemed primary"
        MIDDLE_SECONDARY = "middle_secondary", "Middle deemed secondary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SIXTEEN_PLUS = "16_plus", "16 plus"
        NOT_APPLICABLE = "not_applicable", "Not applicable"
        UNKNOWN = "", "Unknown"

    class Source(models.TextChoices):
        GIAS = "gias", "GIAS"
        PERFORMANCE = "performance", "Performance tables"
        MANUAL = "manual", "Entered by hand"

    urn = models.PositiveIntegerField("URN", unique=True)
    name = models.CharField(max_length=200)
    local_authority = models.ForeignKey(
        LocalAuthority, null=True, blank=True, on_delete=models.PROTECT, related_name="schools"
    )
    establishment_number = models.CharField(max_length=10, blank=True)
    phase = models.CharField(max_length=20, choices=Phase.choices, blank=True, db_index=True)
    type_name = models.CharField("type of establishment", max_length=100, blank=True)
    type_group = models.CharField("establishment type group", max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    is_special = models.BooleanField(default=False)
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    street = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True, db_index=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    website = models.CharField(max_length=255, blank=True)
    head_name = models.CharField("headteacher's name", max_length=200, blank=True)
    head_job_title = models.CharField(max_length=100, blank=True)
    trust = models.CharField("trust", max_length=200, blank=True, db_index=True)
    federation = models.CharField("federation", max_length=200, blank=True, db_index=True)
    religious_character = models.CharField(max_length=100, blank=True)
    diocese = models.CharField(max_length=100, blank=True)
    number_of_pupils = models.PositiveIntegerField(null=True, blank=True)
    percentage_fsm = models.DecimalField("% FSM", max_digits=5, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.GIAS)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage_fsm__isnull=True) | Q(percentage_fsm__gte=0, percentage_fsm__lte=100),
                name="school_fsm_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    def get_absolute_url(self) -> str:
        return reverse("admin:lle_portal_school_change", args=[self.pk])


class Grade(models.IntegerChoices):
    """The one Ofsted grade vocabulary (graded inspections, and what applicants
    declare): grade 3 was called "satisfactory" before September 2012."""

    OUTSTANDING = 1, "Outstanding"
    GOOD = 2, "Good"
    REQUIRES_IMPROVEMENT = 3, "Requires improvement"
    INADEQUATE = 4, "Inadequate"


class ReportCardGrade(models.IntegerChoices):
    """The five-point scale of each evaluation area of an Ofsted report card
    (inspections from 10 November 2025)."""

    EXCEPTIONAL = 1, "Exceptional"
    STRONG = 2, "Strong standard"
    EXPECTED = 3, "Expected standard"
    NEEDS_ATTENTION = 4, "Needs attention"
    URGENT_IMPROVEMENT = 5, "Urgent improvement"


class Inspection(models.Model):
    """An Ofsted inspection, under one of three frameworks:

    - graded inspections with an overall grade (to August 2024): each
      judgement 1 outstanding, 2 good, 3 requires improvement (satisfactory
      before September 2012), 4 inadequate;
    - September 2024 to November 2025: the same sub-judgements, no overall grade;
    - report cards (from 10 November 2025): each evaluation area on the
      five-point ReportCardGrade scale, and safeguarding met or not met.

    An ungraded inspection only confirms or questions the previous grade.
    """

    Grade = Grade
    ReportCardGrade = ReportCardGrade

    class Framework(models.TextChoices):
        GRADED = "graded", "Graded, with an overall grade (to August 2024)"
        NO_OVERALL_GRADE = "no_overall_grade", "Sub-judgements, no overall grade (September 2024 to November 2025)"
        REPORT_CARD = "report_card", "Report card (from November 2025)"

    class Type(models.TextChoices):
        GRADED = "graded", "Graded inspection"
        UNGRADED = "ungraded", "Ungraded inspection"
        REPORT_CARD = "report_card", "Report card inspection"

    class Safeguarding(models.TextChoices):
        UNKNOWN = "", "Not in the data"
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"

    # Graded sub-judgements (keys of `judgements`, each 1-4) and report-card
    # evaluation areas (keys of `evaluation_areas`, each 1-5), as people read them.
    JUDGEMENTS = {
        "quality_of_education": "Quality of education",
        "behaviour_and_attitudes": "Behaviour and attitudes",
        "personal_development": "Personal development",
        "early_years": "Early years provision",
        "sixth_form": "Sixth form provision",
        # The common inspection framework (to August 2019).
        "teaching_learning_assessment": "Quality of teaching, learning and assessment",
        "personal_development_behaviour_welfare": "Personal development, behaviour and welfare",
        "outcomes_for_pupils": "Outcomes for pupils",
    }
    EVALUATION_AREAS = {
        "inclusion": "Inclusion",
        "curriculum_and_teaching": "Curriculum and teaching",
        "achievement": "Achievement",
        "attendance_and_behaviour": "Attendance and behaviour",
        "personal_development_and_wellbeing": "Personal development and well-being",
        "leadership_and_governance": "Leadership and governance",
        "early_years": "Early years",
        "post_16": "Post-16 provision",
    }

    class Concern(models.TextChoices):
        NONE = "", "None"
        SPECIAL_MEASURES = "special_measures", "Special measures"
        SERIOUS_WEAKNESSES = "serious_weaknesses", "Serious weaknesses"
        NOTICE_TO_IMPROVE = "notice_to_improve", "Notice to improve"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="inspections")
    inspection_date = models.DateField()
    publication_date = models.DateField(null=True, blank=True)
    overall_effectiveness = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)
    # The rating exactly as published, e.g. "Satisfactory" (the pre-2012 word for grade 3).
    overall_effectiveness_label = models.CharField(max_length=50, blank=True)
    leadership_and_management = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)
    category_of_concern = models.CharField(max_length=30, choices=Concern.choices, blank=True)
    framework = models.CharField(max_length=20, choices=Framework.choices, default=Framework.GRADED)
    inspection_type = models.CharField(max_length=20, choices=Type.choices, default=Type.GRADED)
    # {"quality_of_education": 2, ...}: graded sub-judgements, 1-4.
    judgements = models.JSONField(default=dict, blank=True)
    # {"inclusion": 3, "leadership_and_governance": 2, ...}: report-card areas, 1-5.
    evaluation_areas = models.JSONField(default=dict, blank=True)
    safeguarding = models.CharField(max_length=10, choices=Safeguarding.choices, blank=True)
    # An ungraded inspection's outcome as published (it confirms or questions the previous grade).
    ungraded_outcome = models.CharField(max_length=200, blank=True)
    # What the file said, column by column, exactly as published.
    verbatim = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="The file it was imported from.")

    class Meta:
        ordering = ["-inspection_date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "inspection_date"], name="one_inspection_per_school_per_day"),
            models.CheckConstraint(
                condition=Q(overall_effectiveness__isnull=True) | Q(overall_effectiveness__range=(1, 4)),
                name="inspection_overall_grade_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(leadership_and_management__isnull=True) | Q(leadership_and_management__range=(1, 4)),
                name="inspection_leadership_grade_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school.name}: {self.inspection_date:%d %b %Y}"

    @property
    def overall_label(self) -> str:
        if self.framework != self.Framework.GRADED and not self.overall_effectiveness:
            return "No overall grade (not given since September 2024)"
        return self.overall_effectiveness_label or (
            self.get_overall_effectiveness_display() if self.overall_effectiveness else "Not graded"
        )

    @property
    def is_judged(self) -> bool:
        """A graded inspection or a report card: one that sets the school's grades
        (an ungraded inspection carries the previous ones)."""
        return self.inspection_type != self.Type.UNGRADED

    def evaluation_area_label(self, key: str) -> str:
        value = self.evaluation_areas.get(key)
        return ReportCardGrade(value).label if value else "Not in the data"

    def evaluation_area_rows(self) -> list[tuple[str, str]]:
        return [(label, ReportCardGrade(self.evaluation_areas[key]).label)
                for key, label in self.EVALUATION_AREAS.items() if self.evaluation_areas.get(key)]


class KeyStage(models.TextChoices):
    KS1 = "KS1", "Key stage 1"
    KS2 = "KS2", "Key stage 2"
    KS4 = "KS4", "Key stage 4"


class ResultBase(models.Model):
    """One published value of one measure for one year. A suppressed or missing
    value is stored as value NULL with the published marker (SUPP, LOWCOV, NE…),
    never as zero."""

    key_stage = models.CharField(max_length=3, choices=KeyStage.choices)
    measure = models.CharField(max_length=30, help_text="The DfE column name, e.g. PTRWM_EXP or P8MEA.")
    year = models.PositiveSmallIntegerField(help_text="The year the academic year ends, e.g. 2019 for 2018/19.")
    value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    marker = models.CharField(
        max_length=10, blank=True, help_text="Why the value is missing, as published (SUPP, LOWCOV, NE, NP, empty)."
    )

    class Meta:
        abstract = True


class SchoolResult(ResultBase):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="results")

    class Meta:
        ordering = ["school", "key_stage", "measure", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "key_stage", "measure", "year"], name="one_result_per_school_measure_year"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False, marker="") | Q(value__isnull=True),
                name="school_result_value_or_marker",
            ),
        ]
        indexes = [
            # The impact analysis reads one measure for one year across many schools.
            models.Index(fields=["key_stage", "measure", "year"], name="schoolresult_measure_year"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.measure} {self.year}: {self.value if self.value is not None else self.marker}"


class AreaResult(ResultBase):
    """The published average for a local authority, or for England (no LA)."""

    ENGLAND = "england"

    area_code = models.CharField(max_length=10, help_text="The LA code, or 'england'.")
    local_authority = models.ForeignKey(
        LocalAuthority, null=True, blank=True, on_delete=models.CASCADE, related_name="results"
    )

    class Meta:
        ordering = ["area_code", "key_stage", "measure", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["area_code", "key_stage", "measure", "year"], name="one_result_per_area_measure_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.measure} {self.year}"


# --------------------------------------------------------------------------
# Imports of official data files
# --------------------------------------------------------------------------


class ImportJob(models.Model):
    """An upload from the admin, imported in the background by a Celery task.
    The page shows its progress and outcome from these fields."""

    class Kind(models.TextChoices):
        GIAS = "gias", "GIAS establishments"
        OFSTED = "ofsted", "Ofsted inspection outcomes"
        PERFORMANCE = "performance", "DfE performance tables"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=PrivateUploadTo("imports"))
    original_name = models.CharField(max_length=255, blank=True)
    # A superuser's upload: every school in the file, in whatever LA it names.
    # Anyone else's reaches only the schools of the LAs its uploader advises.
    national = models.BooleanField(default=False)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Performance tables only: the year the academic year ends, e.g. 2019."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"line": 12, "reason": "URN 'abc' is not a number"}, ...]; capped, see imports.base.
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="performance") | Q(year__isnull=False), name="performance_import_has_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


# --------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------


class OutgoingEmailQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)


class OutgoingEmail(models.Model):
    """Every email the portal sends, rendered when queued and sent by a Celery task.

    The row is the idempotency key: the task sends only while `sent_at` is empty,
    so a retried or duplicated task never sends twice. Staff can see when each
    email went out.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    template = models.CharField(max_length=100, help_text="The template it was rendered from.")
    # What the email is about, for the timelines of applications, references…
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=40, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Used by the requeue-unsent-emails beat job.
            models.Index(fields=["created_at"], name="email_unsent_idx", condition=Q(sent_at__isnull=True)),
            models.Index(fields=["content_type", "object_id"], name="email_about_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "queued"


# --------------------------------------------------------------------------
# Audit trail: domain events written by services. Field-level history of
# admin edits is kept by django-auditlog (see lle_portal/audit.py).
# --------------------------------------------------------------------------


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when there is no account: "referee link", "celery", "import".
    actor_label = models.CharField(max_length=100, blank=True)
    verb = models.CharField(max_length=100, help_text="What happened, e.g. application.submitted.")
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=40, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    target_repr = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        who = self.actor or self.actor_label or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who}: {self.verb} {self.target_repr}"


# --------------------------------------------------------------------------
# PDF reports built in the background (lle_portal/reports.py)
# --------------------------------------------------------------------------


class ReportQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(status__in=Report.IN_PROGRESS)


class Report(models.Model):
    """One PDF document built by a Celery task: an impact report, a deployment's
    contract or end report, a reimbursement statement.

    `kind` names a builder registered in lle_portal/reports.py by the app that
    owns the document; `subject` says what it is about ("la:926:2011",
    "deployment:12"), so that a second request for the same document while one
    is queued or running joins it instead of starting another job (a partial
    unique constraint makes that hold under concurrent requests too).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=100, help_text="What the report is about, e.g. la:926:2011.")
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    file = models.FileField(upload_to=PrivateUploadTo("reports"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_requested"
    )
    # Everyone who asked for it while it was being built: each is told once when it is ready.
    waiting = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="reports_awaited")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the last attempt failed (for staff).")

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=Q(status__in=["queued", "running"]),
                name="one_report_in_progress",
            ),
            models.CheckConstraint(condition=~Q(status="ready") | ~Q(file=""), name="ready_report_has_file"),
        ]
        indexes = [models.Index(fields=["kind", "subject", "-requested_at"], name="report_latest_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])

    @property
    def is_in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    @property
    def status_tone(self) -> str:
        return {"ready": "success", "failed": "danger", "running": "info"}.get(self.status, "")


@receiver(pre_delete, sender=School)
def _school_links_end_with_the_school(sender, instance: School, **kwargs) -> None:
    # User.school is SET_NULL: a confirmed link must end first, or the
    # "a confirmed link has a school" constraint refuses the delete.
    User.objects.filter(school=instance).update(school_confirmed_at=None, school_confirmed_by=None)
