"""Rounds in the admin: dates, places and local priorities, eligibility rules,
the rubric's wording and the contacts for applicants; and the filter of the
adviser's own rounds that the other lists share."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from lle_portal.access import AuthenticatedHttpRequest
from lle_portal.admin_scope import ScopedToOwnLAs
from lle_portal.models import Grade, LocalAuthority, ReportCardGrade, User
from lle_portal.schooldata import EligibilityRules

from ..models import Application, ApplicationRound, Phase, RefereeNomination, RoundContact, Specialism
from ..rubric import DEFAULT_DESCRIPTORS, RUBRIC, SCORES
from ..rubric import descriptor as rubric_descriptor

Status = Application.Status


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
class ApplicationRoundAdmin(ScopedToOwnLAs, admin.ModelAdmin):
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


class RoundFilter(admin.SimpleListFilter):
    """The adviser's own rounds only (not every round in the database)."""

    title = "round"
    parameter_name = "round"

    def lookups(self, request, model_admin):
        return [(str(r.pk), r.name) for r in ApplicationRound.objects.for_adviser(request.user)]

    def queryset(self, request, queryset):
        return queryset.filter(round_id=self.value()) if self.value() else queryset
