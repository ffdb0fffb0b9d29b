"""Forms of brokerage and deployment. They validate and normalise; the
services in deployments.services do the writing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone

from applications.models import Specialism
from lle_portal.academic_years import academic_year_label
from lle_portal.access import acts_for_school
from lle_portal.models import LocalAuthority, User

from .models import (
    INTENSITY_CHOICES,
    MAX_CLAIM_WINDOW_MONTHS,
    VISIT_LENGTH_CHOICES,
    Activity,
    Deployment,
    Objective,
    PriorityReason,
    SupportNeed,
    duration_problem,
)
from .terms import Term, term_for


def _decimal_choices(choices) -> list[tuple[str, str]]:
    return [(f"{value:.1f}", label) for value, label in choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SupportNeedAdminForm(forms.ModelForm):
    """The adviser's form for a support need, in the admin."""

    reasons = forms.MultipleChoiceField(
        label="Priority reasons", choices=PriorityReason.choices, widget=forms.CheckboxSelectMultiple,
        help_text="The first three are suggested from the official data when you choose the school; confirm them.",
    )
    focus_areas = forms.MultipleChoiceField(
        label="Focus areas", choices=Specialism.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="What the school needs help with; matched with the specialisms LLEs offer.",
    )

    class Meta:
        model = SupportNeed
        fields = [
            "client_school", "client_head", "client_head_name", "head_appointed_on", "reasons", "focus_areas",
            "days_per_week", "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        school, head = cleaned.get("client_school"), cleaned.get("client_head")
        if school and head and not acts_for_school(head, school.pk, role=User.Role.HEADTEACHER):
            self.add_error("client_head", f"{head} is not the confirmed headteacher of {school.name}.")
        return cleaned


class ProposalForm(forms.Form):
    """The terms the adviser proposes the deployment on (one click per LLE)."""

    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(label="Agreed end point", widget=DateInput(),
                               help_text="From 6 months to 3 years after the start.")
    days_per_week = forms.TypedChoiceField(label="Intensity", choices=_decimal_choices(INTENSITY_CHOICES),
                                           coerce=Decimal)
    rate_per_day = forms.DecimalField(label="Rate per day (£)", min_value=0, max_digits=7,
                                      decimal_places=2)
    kind = forms.ChoiceField(choices=Deployment.Kind.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Laid out by hand in a row above the ranked list, so styled here.
        for name, field in self.fields.items():
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs["class"] = css + (" is-invalid" if self.is_bound and name in self.errors else "")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end:
            problem = duration_problem(start, end)
            if problem:
                self.add_error("end_date", problem)
        return cleaned


class MatchAllProposalForm(forms.Form):
    """One row's "Propose" button on the match-all page: ids and an intensity,
    checked before any lookup (a hand-made post once made them a 500)."""

    need = forms.IntegerField(min_value=1)
    lle = forms.IntegerField(min_value=1)
    # Which intensities are allowed is the service's rule (deployment_propose).
    days_per_week = forms.DecimalField(max_digits=3, decimal_places=1, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, label: str = "Reason", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text


class ObjectiveForm(forms.Form):
    title = forms.CharField(label="Objective", max_length=300)
    measure_of_success = forms.CharField(label="How success will be measured", widget=forms.Textarea(attrs={"rows": 2}))


class ObjectiveProgressForm(forms.Form):
    progress = forms.ChoiceField(choices=Objective.Progress.choices)


class VisitRecordForm(forms.Form):
    """A record of visit (docs/programme.md §9.6). The colleague field is for the LLE, who
    may record a visit a colleague delivered."""

    visit_date = forms.DateField(label="Date of the visit", widget=DateInput())
    days = forms.TypedChoiceField(label="Length", choices=_decimal_choices(VISIT_LENGTH_CHOICES), coerce=Decimal,
                                  widget=forms.RadioSelect)
    colleague: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Who delivered it", queryset=None, required=False, empty_label="The LLE",
    )
    activities = forms.MultipleChoiceField(label="What was done", choices=Activity.choices,
                                           widget=forms.CheckboxSelectMultiple)
    objectives: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label="Objectives it served", queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 4}))
    progress = forms.CharField(label="Progress made", widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(label="Next steps", widget=forms.Textarea(attrs={"rows": 3}))
    non_school_day_reason = forms.CharField(
        label="If the visit was not on a school day, why", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only for a visit at a weekend, on a bank holiday, in a half-term or in the school holidays, "
                  "e.g. a governors' training day the school asked for. The adviser checks these records.",
    )

    def __init__(self, *args, deployment: Deployment, may_choose_colleague: bool, amending: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objectives"].queryset = deployment.objectives.all()  # type: ignore[attr-defined]
        if not self.fields["objectives"].queryset.exists():  # type: ignore[attr-defined]
            del self.fields["objectives"]
        if may_choose_colleague and not amending and deployment.colleagues.exists():
            self.fields["colleague"].queryset = deployment.colleagues.all()  # type: ignore[attr-defined]
        else:
            del self.fields["colleague"]
        if amending:
            del self.fields["visit_date"]

    def clean_visit_date(self) -> date:
        day = self.cleaned_data["visit_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date of the visit cannot be in the future.")
        return day


class QAFlagForm(forms.Form):
    note = forms.CharField(label="Note for quality assurance", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StatementPrepareForm(forms.Form):
    local_authority = forms.ModelChoiceField(queryset=LocalAuthority.objects.none(), empty_label=None)
    academic_year = forms.TypedChoiceField(label="Academic year", coerce=int)
    term = forms.ChoiceField(choices=Term.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = user.my_las()
        this_year = term_for(timezone.localdate()).academic_year
        self.fields["academic_year"].choices = [
            (year, academic_year_label(year)) for year in range(this_year, this_year - 4, -1)
        ]


class ClaimWindowForm(forms.Form):
    """The LA's claim window (deployments.reimbursement.claim_window_set)."""

    local_authority = forms.ModelChoiceField(queryset=LocalAuthority.objects.none(), empty_label=None,
                                             label="Local authority")
    months = forms.IntegerField(
        label="Claim window (months)", min_value=1, max_value=MAX_CLAIM_WINDOW_MONTHS,
        help_text="Visits confirmed late are paid as arrears while they are dated no more than this many months "
                  "before the end of the statement's term; older ones are held until you approve them.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = user.my_las()


class VisitCorrectionForm(forms.Form):
    """The adviser corrects a confirmed record of visit found wrong."""

    CHANGE_CHOICES = [("0.5", "It was half a day"), ("1.0", "It was a full day"),
                      ("withdraw", "It should not be paid: withdraw it")]
    change = forms.ChoiceField(label="What is right", choices=CHANGE_CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 3}), max_length=250,
        help_text="Shown on the next statement beside the adjustment, for the finance team.",
    )
