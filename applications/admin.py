"""Admin of recruitment: rounds, applications, assessments, LLE profiles and
training cohorts.

Advisers work here by their role (User.has_perm) and see only the rounds of
their own local authorities and what belongs to them; another LA's record is
a 404. The head's answers are read-only: the adviser verifies them, never
edits them. Every status change is an action that calls a service.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from lle_portal import admin_groups
from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin import ScopedFormFields, ScopedToOwnLAs, UrnSearchMixin
from lle_portal.admin_actions import run_for_each
from lle_portal.admin_scope import SuperuserOnly
from lle_portal.models import AuditEvent, Grade, LocalAuthority, OutgoingEmail, ReportCardGrade, User
from lle_portal.schooldata import EligibilityRules

from . import references, services
from .eligibility import eligibility_for, eligibility_for_many, with_eligibility_data
from .models import (
    Application,
    ApplicationRound,
    Assessment,
    LinkRequest,
    LLEProfile,
    Phase,
    RefereeNomination,
    RoundContact,
    Specialism,
    TrainingCohort,
)
from .rubric import DEFAULT_DESCRIPTORS, RUBRIC, SCORES
from .rubric import descriptor as rubric_descriptor

# Where each table sits in the admin's task groups (lle_portal/admin_groups.py).
admin_groups.place(ApplicationRound, "recruitment", 10)
admin_groups.place(Application, "recruitment", 20)
admin_groups.place(Assessment, "recruitment", 30)
admin_groups.place(LLEProfile, "recruitment", 40, name="LLEs")
admin_groups.place(TrainingCohort, "recruitment", 50)
# Emailed links (references, governors' approvals): resent and cancelled on
# the application's verification page, where staff read them.
admin_groups.place(LinkRequest, "system", 40)
# The staff pages of the same tasks, listed beside the tables.
admin_groups.staff_page("recruitment", 5, "Verify, assign assessors and run the panel", "applications:staff_index")
admin_groups.staff_page("recruitment", 6, "Applications to assess", "applications:staff_assessments",
                        roles=("assessor",))

Status = Application.Status


def _is_adviser(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_adviser


class ScopedAdmin(ScopedToOwnLAs, admin.ModelAdmin):
    """The core's scoping (lle_portal/admin_scope.py): records outside the
    adviser's local authorities do not exist for them, the list leaves them
    out and their pages are a 404; every foreign-key field offers only their
    LAs' objects. Each admin below says in `scope` which rows it lists."""


def _specialisms(values: list[str]) -> str:
    labels = dict(Specialism.choices)
    return ", ".join(labels.get(v, v) for v in values) or "–"


def _phases(values: list[str]) -> str:
    labels = dict(Phase.choices)
    return ", ".join(labels.get(v, v) for v in values) or "–"


# --------------------------------------------------------------------------
# Rounds
# --------------------------------------------------------------------------


def _rubric_field_name(key: str, score: int) -> str:
    return f"rubric_{key}_{score}"


# One text box per competency and score; declared on a plain Form so that the
# ModelForm below inherits them as declared fields (the admin's fieldsets may
# then name them).
RubricDescriptorFields = type("RubricDescriptorFields", (forms.Form,), {
    _rubric_field_name(key, score): forms.CharField(
        label=f"{score} – {label.split(' - ', 1)[-1]}", required=False, max_length=600,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="What this score means for this competency, as the assessors read it beside the score.",
    )
    for key in RUBRIC for score, label in SCORES.items()
})


class RoundAdminForm(RubricDescriptorFields, forms.ModelForm):  # type: ignore[valid-type, misc]  # built by type()
    priority_phases = forms.MultipleChoiceField(
        choices=Phase.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The phases the LA most wants (for example “particularly from secondary schools”). "
        "The panel ranks these applicants first among equal scores.",
    )
    priority_specialisms = forms.MultipleChoiceField(
        choices=Specialism.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Specialisms the LA most needs; the next tie-break on the panel list.",
    )
    default_referee_role = forms.ChoiceField(
        choices=[("", "---------"), *RefereeNomination.Role.choices], required=False, label="Default referee's role",
        help_text="The referee's role as the application form names it.",
    )

    # What counts for eligibility in this round (stored in eligibility_rules;
    # the defaults are lle_portal.schooldata.EligibilityRules).
    good_leadership_grades = forms.TypedMultipleChoiceField(
        choices=Grade.choices, coerce=int, widget=forms.CheckboxSelectMultiple, label="Good leadership (graded)",
        help_text="Leadership and management grades that count as good leadership in a graded inspection "
        "(to November 2025). An ungraded inspection carries the previous grade.",
    )
    report_card_leadership_at_least = forms.TypedChoiceField(
        choices=ReportCardGrade.choices, coerce=int, label="Good leadership (report card)",
        help_text="The lowest leadership and governance grade of a report card that counts as good leadership.",
    )
    high_performance = forms.BooleanField(
        required=False, label="High performance counts",
        help_text="A headline measure at or above the England average in the latest published year meets the "
        "performance criterion.",
    )
    improving_years = forms.IntegerField(
        min_value=2, max_value=5, label="Years of continued improvement",
        help_text="Results rising in each of this many latest published years meet the performance criterion.",
    )
    RULE_FIELDS = ("good_leadership_grades", "report_card_leadership_at_least", "high_performance", "improving_years")

    # The request's user, set by ApplicationRoundAdmin.get_form.
    user: User | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rules = EligibilityRules.from_data(self.instance.eligibility_rules).as_data()
        for name in self.RULE_FIELDS:
            self.fields[name].initial = rules[name]
        # The boxes start with what the assessors see now: this round's wording or the default.
        for key in RUBRIC:
            for score in SCORES:
                self.fields[_rubric_field_name(key, score)].initial = rubric_descriptor(self.instance, key, score)

    def save(self, commit=True):
        self.instance.eligibility_rules = EligibilityRules.from_data(
            {name: self.cleaned_data[name] for name in self.RULE_FIELDS}
        ).as_data()
        return super().save(commit)

    class Meta:
        model = ApplicationRound
        fields = (
            "name", "local_authorities", "opens_at", "closes_at", "decisions_by", "induction_date", "training_starts",
            "places", "priority_phases", "priority_specialisms", "priority_notes", "default_referee_name",
            "default_referee_email", "default_referee_role", "default_referee_organisation",
        )
        widgets = {"local_authorities": forms.CheckboxSelectMultiple}

    def clean_local_authorities(self):
        chosen = self.cleaned_data["local_authorities"]
        if self.user is None or self.user.is_superuser or self.instance.pk is None:
            return chosen
        # The adviser sees only their own LAs as choices; LAs of another
        # adviser that the round already covers stay on it.
        others = self.instance.local_authorities.exclude(pk__in=self.user.local_authorities.all())
        return LocalAuthority.objects.filter(Q(pk__in=chosen) | Q(pk__in=others))

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        # Only wording that differs from the default is kept, so a round left
        # alone follows any later improvement of the defaults.
        descriptors: dict[str, dict[str, str]] = {}
        for key in RUBRIC:
            for score in SCORES:
                text = " ".join((cleaned.get(_rubric_field_name(key, score)) or "").split())
                if text and text != DEFAULT_DESCRIPTORS[key][score]:
                    descriptors.setdefault(key, {})[str(score)] = text
        self.instance.rubric_descriptors = descriptors
        opens, closes, decisions = cleaned.get("opens_at"), cleaned.get("closes_at"), cleaned.get("decisions_by")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "The round must close after it opens.")
        if closes and decisions and decisions < timezone.localtime(closes).date():
            self.add_error("decisions_by", "Decisions cannot be due before the round closes.")
        training = cleaned.get("training_starts")
        if training and decisions and training < decisions:
            self.add_error("training_starts", "Training follows the decisions: it cannot start before them.")
        referee = [cleaned.get(f"default_referee_{f}") for f in ("name", "email", "role", "organisation")]
        if any(referee) and not all(referee[:3]):
            self.add_error(
                "default_referee_name", "Give the default referee's name, email address and role, or none of them."
            )
        return cleaned


class RoundStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "upcoming":
                return queryset.filter(opens_at__gt=now)
            case "open":
                return queryset.open(now)
            case "closed":
                return queryset.filter(closes_at__lte=now)
        return queryset


class RoundContactInline(admin.TabularInline):
    model = RoundContact
    extra = 1
    fields = ("name", "role", "phone", "email", "order")
    verbose_name = "contact for applicants"
    verbose_name_plural = "Contacts for applicants (shown on the programme page and in the footer)"


@admin.register(ApplicationRound)
class ApplicationRoundAdmin(ScopedAdmin):
    form = RoundAdminForm
    inlines = (RoundContactInline,)
    list_display = (
        "name", "covers", "state_tag", "key_dates", "drafts", "submitted", "designated_of_places", "panel_link",
    )
    list_filter = (RoundStateFilter,)
    search_fields = ("name",)
    readonly_fields = ("staff_links",)
    fieldsets = (
        (None, {"fields": ("name", "local_authorities", "staff_links")}),
        ("Key dates (UK time)", {
            "fields": ("opens_at", "closes_at", "decisions_by", "induction_date", "training_starts"),
            "description": "Times are in UK time (Europe/London, GMT or BST). Submissions are refused "
            "from the closing second; decision emails go out on or after the decisions-by date.",
        }),
        ("Places and local priorities", {
            "fields": ("places", "priority_phases", "priority_specialisms", "priority_notes"),
        }),
        ("Eligibility rules", {
            "fields": RoundAdminForm.RULE_FIELDS,
            "description": "What counts in this round's eligibility check. Floor standards apply only to the "
            "years that had one (to 2019); later years are judged by the performance criterion.",
        }),
        ("Default LA referee", {
            "fields": (
                "default_referee_name", "default_referee_email", "default_referee_role",
                "default_referee_organisation",
            ),
            "description": "Optional. Applicants are asked to name this person as their local authority referee.",
        }),
        *(  # type: ignore[arg-type]  # mypy does not infer the stubs' TypedDict through a generator
            (f"Rubric: {title}", {
                "fields": tuple(_rubric_field_name(key, score) for score in SCORES),
                "classes": ("collapse",),
                "description": "What each score means for this competency. Assessors read these words beside "
                "each score. Clear a box to go back to the default wording.",
            })
            for key, title in RUBRIC.items()
        ),
    )

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.for_adviser(request.user).prefetch_related("local_authorities").annotate(  # type: ignore[attr-defined]
            draft_count=Count("applications", filter=Q(applications__status=Status.DRAFT)),
            submitted_count=Count(
                "applications", filter=Q(applications__status__in=[
                    Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED, *Application.Decision.values,
                ]),
            ),
            designated_count=Count("applications", filter=Q(applications__decision=Application.Decision.DESIGNATED)),
        )

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # get_form builds a new class on every call, so this is per request.
        form.user = request.user  # type: ignore[attr-defined]
        # Local authorities are not made from a round's page.
        form.base_fields["local_authorities"].widget.can_add_related = False
        return form

    @admin.display(description="local authorities")
    def covers(self, obj: ApplicationRound) -> str:
        return ", ".join(la.name for la in obj.local_authorities.all())

    @admin.display(description="state")
    def state_tag(self, obj: ApplicationRound) -> str:
        return obj.state.capitalize()

    @admin.display(description="open (UK time)", ordering="opens_at")
    def key_dates(self, obj: ApplicationRound) -> str:
        opens, closes = timezone.localtime(obj.opens_at), timezone.localtime(obj.closes_at)
        return f"{opens:%-d %b %Y} to {closes:%-d %b %Y, %H:%M}; decisions by {obj.decisions_by:%-d %b %Y}"

    @admin.display(description="drafts", ordering="draft_count")
    def drafts(self, obj: ApplicationRound) -> int:
        return obj.draft_count  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="submitted", ordering="submitted_count")
    def submitted(self, obj: ApplicationRound) -> int:
        return obj.submitted_count  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="designated / places")
    def designated_of_places(self, obj: ApplicationRound) -> str:
        return f"{obj.designated_count} / {obj.places}"  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="panel")
    def panel_link(self, obj: ApplicationRound) -> str:
        return format_html('<a href="{}">Panel</a>', reverse("applications:staff_panel", args=[obj.pk]))

    @admin.display(description="staff pages")
    def staff_links(self, obj: ApplicationRound) -> str:
        if obj.pk is None:
            return "The panel page appears here once the round is saved."
        applications = reverse("admin:applications_application_changelist") + f"?round={obj.pk}"
        return format_html(
            '<a href="{}">Designation panel</a> · <a href="{}">Applications in this round</a>',
            reverse("applications:staff_panel", args=[obj.pk]), applications,
        )


# --------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------


class RoundFilter(admin.SimpleListFilter):
    """The adviser's own rounds only (not every round in the database)."""

    title = "round"
    parameter_name = "round"

    def lookups(self, request, model_admin):
        return [(str(r.pk), r.name) for r in ApplicationRound.objects.for_adviser(request.user)]

    def queryset(self, request, queryset):
        return queryset.filter(round_id=self.value()) if self.value() else queryset


class ApplicationChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Eligibility of the page's applications in one go: a fixed number of
        # queries however many are listed, rather than several per row.
        page = list(self.result_list)  # evaluates and caches the page's queryset
        eligibility = eligibility_for_many(page)
        for application in page:
            application.eligibility = eligibility[application.pk]


@admin.register(Application)
class ApplicationAdmin(UrnSearchMixin, ScopedAdmin):
    urn_lookup = "school__urn"
    list_display = (
        # The round last: on a narrow screen it is the column to scroll to (the filter names it too).
        "reference", "applicant_name", "school_name", "status", "eligibility_summary", "working_towards",
        "next_step", "round",
    )
    list_filter = (RoundFilter, "status", "working_towards_eligibility")
    search_fields = ("reference_number", "applicant__full_name", "applicant__email", "school__name")
    search_help_text = "Reference, applicant's name or email, school name or URN."
    actions = ("record_la_approval", "withdraw")
    fieldsets = (
        ("Application", {"fields": (
            "reference_number", "round", "applicant", "school", "status", "submitted_at", "withdrawn_at",
            "working_towards_eligibility", "working_towards_notes",
        )}),
        ("Part A: the school and the headship", {"fields": (
            "appointed_head_on", "previous_headship_years", "previous_headships", "years_as_head",
            "declared_inspection_date", "declared_overall_effectiveness", "declared_leadership",
            "declared_report_card_leadership", "declared_results_good",
            "declared_above_floor", "performance_summary", "slt_can_cover", "slt_details", "phase_offered",
            "specialisms_offered",
        )}),
        ("Part B: the evidence", {"fields": (
            "impact_on_outcomes", "school_improvement", "supporting_others", "capacity", "capacity_notes",
        )}),
        ("Approvals", {"fields": (
            "chair_of_governors_name", "chair_of_governors_email", "governors_approved", "slt_approved",
            "la_approved_at", "la_approved_by",
        )}),
        ("The panel's decision", {"fields": (
            "decision", "decision_reasons", "decided_at", "decided_by", "decision_emailed_at",
        )}),
    )

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return with_eligibility_data(queryset.for_adviser(request.user).for_list())  # type: ignore[attr-defined]

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ApplicationChangeList

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Everything: the head's answers are theirs; changes go through actions and staff pages.
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # heads apply on the web

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # withdraw instead: the record and its audit trail stay

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The list (for its actions) counts as "change"; one application's page is read-only.
        return obj is None and super().has_change_permission(request)

    # --- columns ---

    @admin.display(description="reference", ordering="reference_number")
    def reference(self, obj: Application) -> str:
        return str(obj)

    @admin.display(description="applicant", ordering="applicant__full_name")
    def applicant_name(self, obj: Application) -> str:
        return obj.applicant.full_name

    @admin.display(description="school", ordering="school__name")
    def school_name(self, obj: Application) -> str:
        return obj.school.name if obj.school else "–"

    @admin.display(description="eligibility")
    def eligibility_summary(self, obj: Application) -> str:
        # Set for the whole page by ApplicationChangeList; computed alone elsewhere.
        eligibility = getattr(obj, "eligibility", None) or eligibility_for(obj)
        return eligibility.summary

    @admin.display(description="working towards", boolean=True, ordering="working_towards_eligibility")
    def working_towards(self, obj: Application) -> bool:
        return obj.working_towards_eligibility

    @admin.display(description="next step")
    def next_step(self, obj: Application) -> str:
        steps: dict[str, tuple[str, str, int]] = {
            Status.SUBMITTED: ("Verify Part A", "applications:staff_verify", obj.pk),
            Status.VERIFIED: ("Assessors", "applications:staff_assign", obj.pk),
            Status.ASSESSED: ("Panel", "applications:staff_panel", obj.round_id),
        }
        if obj.status not in steps:
            return "–"
        label, name, pk = steps[obj.status]
        return format_html('<a href="{}">{}</a>', reverse(name, args=[pk]), label)

    @admin.display(description="years as a headteacher")
    def years_as_head(self, obj: Application) -> str:
        years = obj.years_as_head
        return f"{years}" if years is not None else "–"

    @admin.display(description="specialisms offered")
    def specialisms_offered(self, obj: Application) -> str:
        return _specialisms(obj.specialisms)

    # --- the change page: Part A beside the official data, and the rest ---

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        application = self.get_object(request, object_id)
        assessments = list(application.assessments.select_related("assessor").order_by("assigned_at"))
        extra_context = {
            **(extra_context or {}),
            "eligibility": eligibility_for(application),
            "verifications": {v.criterion: v for v in application.verifications.select_related("verified_by")},
            "referee": getattr(application, "referee", None),
            "rubric": RUBRIC,
            "assessments": [
                (a, [a.scores.get(key) for key in RUBRIC]) for a in assessments
            ],
            "events": AuditEvent.objects.filter(
                content_type__app_label="applications", content_type__model="application",
                object_id=str(application.pk),
            ).select_related("actor")[:50],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- actions ---

    @admin.action(description="Record the LA's approval", permissions=["change"])
    def record_la_approval(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
                     lambda a: services.application_la_approve(application=a, by=request.user),
                     "LA approval recorded: {count}.")

    @admin.action(description="Withdraw the application", permissions=["change"])
    def withdraw(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset, lambda a: services.application_withdraw(
            application=a, by=request.user, reason="Withdrawn by the LA lead adviser."),
                     "Withdrawn: {count}.")


# --------------------------------------------------------------------------
# Assessments: advisers see their LAs'; assessors see their own, with a link
# to score (the admin is where an assessor lands after signing in).
# --------------------------------------------------------------------------


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin):
    list_display = ("application", "round", "assessor", "assigned_at", "submitted_at", "total_score")
    list_filter = (("submitted_at", admin.EmptyFieldListFilter),)
    search_fields = ("application__reference_number", "assessor__full_name")
    fields = ("application", "assessor", "assigned_at", "assigned_by", "scores_by_competency", "total_score",
              "comments", "submitted_at", "reminded_at")
    readonly_fields = fields

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("application__round", "assessor", "assigned_by")
        if request.user.is_assessor:
            return queryset.filter(assessor=request.user)
        return queryset.filter(application__in=Application.objects.for_adviser(request.user).values("pk"))

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_adviser or user.is_assessor)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # assigned on the staff page, which checks conflicts of interest

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # scored on the staff page

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="round")
    def round(self, obj: Assessment) -> str:
        return obj.application.round.name

    @admin.display(description="total")
    def total_score(self, obj: Assessment) -> str:
        return f"{obj.total} of {4 * len(RUBRIC)}" if obj.total is not None else "–"

    @admin.display(description="scores")
    def scores_by_competency(self, obj: Assessment) -> str:
        return "; ".join(f"{title}: {obj.scores.get(key, '–')}" for key, title in RUBRIC.items())

    def get_list_display(self, request: AuthenticatedHttpRequest):  # type: ignore[override]  # the admin's user is signed in
        # The scoring page is the assessor's own (it is a 404 for anyone else).
        if request.user.is_assessor:
            return (*self.list_display, "score_link")
        return self.list_display

    @admin.display(description="scoring page")
    def score_link(self, obj: Assessment) -> str:
        return format_html('<a href="{}">{}</a>', reverse("applications:staff_assess", args=[obj.pk]),
                           "See your scores" if obj.submitted_at else "Score")


# --------------------------------------------------------------------------
# LLE profiles and training
# --------------------------------------------------------------------------


class LLEProfileForm(forms.ModelForm):
    specialisms = forms.MultipleChoiceField(
        choices=Specialism.choices, required=False, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LLEProfile
        fields = ("phase", "specialisms", "days_per_week", "is_active", "stood_down_on")
        help_texts = {"stood_down_on": "Filled in with today's date when “Is active” is cleared, if left blank; "
                                       "the impact figures count the LLE for the years before it."}

    def clean(self):
        data = super().clean()
        if data.get("is_active"):
            data["stood_down_on"] = None  # active again
        elif not data.get("stood_down_on"):
            data["stood_down_on"] = timezone.localdate()
        return data


class CohortChoiceForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=TrainingCohort.objects.none(), label="Training cohort")

    def __init__(self, *args, cohorts: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts  # type: ignore[attr-defined]  # a ModelChoiceField


class TrainingDateForm(forms.Form):
    trained_on = forms.DateField(
        label="Training completed on", initial=timezone.localdate, widget=admin.widgets.AdminDateWidget,
    )


class TrainedFilter(admin.SimpleListFilter):
    title = "trained"
    parameter_name = "trained"

    def lookups(self, request, model_admin):
        return [("yes", "Trained"), ("no", "Not yet trained"), ("deployable", "Deployable (trained and active)")]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(trained_on__isnull=False)
            case "no":
                return queryset.filter(trained_on__isnull=True)
            case "deployable":
                return queryset.deployable()
        return queryset


def _cohorts_for(request: HttpRequest) -> QuerySet:
    return TrainingCohort.objects.filter(
        round__in=ApplicationRound.objects.for_adviser(request.user).values("pk")
    ).select_related("round")


class CohortFilter(admin.SimpleListFilter):
    """The cohorts of the adviser's own rounds only."""

    title = "training cohort"
    parameter_name = "cohort"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name) for c in _cohorts_for(request)]

    def queryset(self, request, queryset):
        return queryset.filter(cohort_id=self.value()) if self.value() else queryset


@admin.register(LLEProfile)
class LLEProfileAdmin(ScopedAdmin):
    form = LLEProfileForm
    list_display = (
        "user", "school_name", "phase", "days_per_week", "designated_on", "trained_on", "is_active", "deployable",
    )
    list_filter = ("phase", "is_active", TrainedFilter, CohortFilter)
    search_fields = ("user__full_name", "user__email", "school__name")
    readonly_fields = ("user", "school", "application", "designated_on", "cohort", "trained_on")
    fieldsets = (
        (None, {"fields": ("user", "school", "application", "designated_on")}),
        ("What they offer", {"fields": ("phase", "specialisms", "days_per_week", "is_active", "stood_down_on")}),
        ("Training", {
            "fields": ("cohort", "trained_on"),
            "description": "Set by the actions “Add to a training cohort” and “Mark training complete” "
            "on the list: the cohort must finish within 8 weeks of designation.",
        }),
    )
    actions = ("add_to_cohort", "mark_training_complete")

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("user", "school", "cohort")
        if request.user.is_superuser:
            return queryset
        # LLEs whose school is in the adviser's LAs, or whom the adviser's own round designated.
        return queryset.filter(
            Q(school__local_authority__in=request.user.local_authorities.all())
            | Q(application__round__in=ApplicationRound.objects.for_adviser(request.user).values("pk"))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by the panel's designation (services.lle_designate)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser  # deactivate instead

    @admin.display(description="specialisms")
    def specialisms_offered(self, obj: LLEProfile) -> str:
        return _specialisms(obj.specialisms)

    @admin.display(description="school", ordering="school__name")
    def school_name(self, obj: LLEProfile) -> str:
        return obj.school.name

    @admin.display(description="deployable", boolean=True)
    def deployable(self, obj: LLEProfile) -> bool:
        return obj.is_active and obj.trained_on is not None

    def _ask(self, request: HttpRequest, queryset: QuerySet, *, form: forms.Form, action: str, title: str,
             intro: str, button: str) -> TemplateResponse:
        """The intermediate page of an action that needs a value (like Django's delete confirmation)."""
        return TemplateResponse(request, "admin/applications/lleprofile/action_form.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": intro,
            "button": button,
            "form": form,
            "action": action,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Add to a training cohort", permissions=["change"])
    def add_to_cohort(self, request: AuthenticatedHttpRequest, queryset: QuerySet):
        cohorts = _cohorts_for(request)
        form = CohortChoiceForm(request.POST if "apply" in request.POST else None, cohorts=cohorts)
        if form.is_bound and form.is_valid():
            cohort = form.cleaned_data["cohort"]
            run_for_each(self, request, queryset,
                         lambda p: services.cohort_join(profile=p, cohort=cohort, by=request.user),
                         f"Added to {cohort}: {{count}}.")
            return None
        return self._ask(
            request, queryset, form=form, action="add_to_cohort", title="Add to a training cohort",
            intro="Training follows designation within 6 to 8 weeks: the cohort must finish within 8 weeks. "
            "Each LLE is emailed the cohort's dates.",
            button="Add to the cohort",
        )

    @admin.action(description="Mark training complete", permissions=["change"])
    def mark_training_complete(self, request: AuthenticatedHttpRequest, queryset: QuerySet):
        form = TrainingDateForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            on: date = form.cleaned_data["trained_on"]
            run_for_each(self, request, queryset,
                         lambda p: services.training_complete(profile=p, on=on, by=request.user),
                         "Training recorded: {count}.")
            return None
        return self._ask(
            request, queryset, form=form, action="mark_training_complete", title="Mark training complete",
            intro="From this date the LLEs can be deployed (if active).", button="Mark training complete",
        )


class CohortMemberInline(ScopedFormFields, admin.TabularInline):
    model = LLEProfile
    fk_name = "cohort"
    fields = ("user", "school", "phase", "designated_on", "trained_on", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "member"
    verbose_name_plural = "members (add them with the LLE profiles' action “Add to a training cohort”)"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cohort_join checks the 8-week rule

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "school")


@admin.register(TrainingCohort)
class TrainingCohortAdmin(ScopedAdmin):
    list_display = ("name", "round", "starts_on", "ends_on", "member_count", "trained_count")
    list_filter = (RoundFilter,)
    search_fields = ("name",)
    inlines = (CohortMemberInline,)

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        if not request.user.is_superuser:
            queryset = queryset.filter(round__in=ApplicationRound.objects.for_adviser(request.user).values("pk"))
        return queryset.select_related("round").annotate(
            members_n=Count("members"), trained_n=Count("members", filter=Q(members__trained_on__isnull=False)),
        )

    @admin.display(description="members", ordering="members_n")
    def member_count(self, obj: TrainingCohort) -> int:
        return obj.members_n  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="trained", ordering="trained_n")
    def trained_count(self, obj: TrainingCohort) -> int:
        return obj.trained_n  # type: ignore[attr-defined]  # annotated by get_queryset


# --------------------------------------------------------------------------
# References and governing-body approvals (emailed links): the text is for
# staff; resend and cancel are actions; every email about a request is listed.
# --------------------------------------------------------------------------


@admin.register(LinkRequest)
class LinkRequestAdmin(SuperuserOnly, ScopedAdmin):
    list_display = ("application", "kind", "recipient_name", "status", "created_at", "reminder_count",
                    "responded_at", "expires_at")
    list_filter = ("kind", "status")
    search_fields = ("application__reference_number", "recipient_name", "recipient_email",
                     "application__applicant__full_name")
    actions = ("resend", "cancel")
    fields = ("application", "kind", "status", "recipient_name", "recipient_email", "created_at", "created_by",
              "sent_at", "expires_at", "reminder_count", "last_reminded_at", "responded_at", "closed_at",
              "answers_text", "decline_reason", "emails_sent")
    readonly_fields = fields

    def scope(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.for_adviser(request.user).select_related("application")  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by submission, "send request now" or resend

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cancel instead

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.display(description="answers")
    def answers_text(self, obj: LinkRequest):
        if not obj.answers:
            return "–"
        labels = {"recommendation": obj.recommendation_label}
        return format_html_join(
            "", "<p><strong>{}</strong><br>{}</p>",
            ((name.replace("_", " ").capitalize(), labels.get(name, value)) for name, value in obj.answers.items()),
        )

    @admin.display(description="emails sent")
    def emails_sent(self, obj: LinkRequest):
        emails = OutgoingEmail.objects.filter(
            content_type__app_label="applications", content_type__model="linkrequest", object_id=str(obj.pk)
        ).order_by("created_at")
        return format_html_join(
            "", "<p>{} → {}: {} {}</p>",
            ((e.subject, e.to, e.state, e.sent_at.strftime("%-d %b %Y %H:%M") if e.sent_at else "") for e in emails),
        ) or "–"

    @admin.action(description="Resend with a new link (the old link stops working)", permissions=["change"])
    def resend(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
                     lambda obj: references.link_request_resend(link_request=obj, by=request.user),
                     "Resent: {count}.")

    @admin.action(description="Cancel the request", permissions=["change"])
    def cancel(self, request: AuthenticatedHttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset,
                     lambda obj: references.link_request_cancel(link_request=obj, by=request.user),
                     "Cancelled: {count}.")
