"""Forms of the headteacher's application: one per task-list section, the
sponsor, submission and withdrawal.

Forms validate and normalise; applications.services writes. A section form
works in two modes:
- complete (the default, "Save and continue"): the section's required fields
  (applications.sections) must be answered and Part B is held to its word limits;
- partial ("Save and come back later", autosave, "Find school"): nothing is
  required, and each field that is valid on its own is saved, so nothing the
  head typed is lost because another answer is not finished.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from lle_portal.forms import CheckboxChoices, RadioChoices, SchoolFinderForm
from lle_portal.models import Inspection, ReportCardGrade
from lle_portal.schooldata import (
    MET_STATE,
    NOT_MET_STATE,
    EligibilityRules,
    InspectionRecord,
    SchoolResults,
    performance_outcome,
)

from .approvals import sponsor_email_of, vouching_problems
from .eligibility import OfficialData
from .models import Application, Capacity, Grade, Phase, RefereeNomination, Specialism
from .sections import SECTIONS_BY_KEY, WORD_LIMITS, word_count

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no_field(label: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=lambda value: value == "yes", empty_value=None,
        widget=RadioChoices, **kwargs,
    )


def _yes_no_initial(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _date_field(label: str, **kwargs) -> forms.DateField:
    # A text box, not the browser's date picker: the picker shows US dates in a
    # US-English browser, and GOV.UK research found typing a date easier.
    hint = kwargs.pop("help_text", "")
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"inputmode": "numeric", "class": "input-date"}, format="%d/%m/%Y"),
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
        help_text=f"{hint} For example, 1/9/2021.".strip(),
        error_messages={"invalid": "Enter a real date as day/month/year, for example 1/9/2021."},
        **kwargs,
    )


def _text_area(rows: int = 5, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


def _limited_text(label: str, field: str, help_text: str = "") -> forms.CharField:
    """A Part B answer: its word limit is shown, counted live by static/js/wordcount.js
    and checked by the form (SectionForm.clean) and again on submission."""
    limit = WORD_LIMITS[field]
    hint = f"{help_text} Up to {limit} words." if help_text else f"Up to {limit} words."
    return forms.CharField(label=label, help_text=hint, widget=_text_area(10, **{"data-word-limit": limit}))


class SectionForm(forms.Form):
    """One section of the task list. Subclasses set `section_key` and declare
    the section's fields (names as on Application)."""

    section_key = ""
    # Friendlier words than "This field is required." for each required field.
    required_messages: dict[str, str] = {}

    def __init__(self, *args, application: Application, partial: bool = False, **kwargs):
        self.application = application
        self.partial = partial
        self.section = SECTIONS_BY_KEY[self.section_key]
        kwargs["initial"] = {**self.initial_from(application), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in self.section.fields:
                continue
            field.required = not partial and name in self.section.required
            if name in self.required_messages:
                field.error_messages["required"] = self.required_messages[name]

    def initial_from(self, application: Application) -> dict[str, Any]:
        initial = {}
        for name in self.section.fields:
            value = getattr(application, name)
            if isinstance(self.base_fields.get(name), forms.TypedChoiceField) and isinstance(value, bool | None):
                value = _yes_no_initial(value)
            initial[name] = value
        return initial

    def clean(self):
        cleaned = super().clean()
        if not self.partial:
            for name, limit in WORD_LIMITS.items():
                if name in self.fields and word_count(cleaned.get(name, "")) > limit:
                    words = word_count(cleaned[name])
                    label = self.fields[name].label
                    self.add_error(name, f"Your answer to ‘{label}’ is {words} words. "
                                         f"Cut it to {limit} words or fewer.")
        return cleaned

    def answers(self) -> dict[str, Any]:
        """The section's fields that passed validation, ready for application_save."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned[name] for name in self.section.fields if name in cleaned}

    def over_limit(self) -> dict[str, str]:
        """Part B answers over their word limit: saved as a draft, but the
        section stays in progress until they are cut (sections.section_problems)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: f"Your answer is over {limit} words."
            for name, limit in WORD_LIMITS.items()
            if name in cleaned and word_count(cleaned[name]) > limit
        }


def _not_in_future(value: date | None, what: str) -> date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"The {what} must be today or in the past.")
    return value


class SchoolSectionForm(SchoolFinderForm, SectionForm):
    section_key = "school"

    appointed_head_on = _date_field(
        "When were you appointed headteacher of this school?",
        help_text="The date you started as headteacher or principal here.",
    )
    previous_headship_years = forms.DecimalField(
        label="Years as a headteacher at other schools, if any",
        max_digits=4, decimal_places=1, min_value=0, max_value=40, required=False,
        help_text="In years, for example 2 or 1.5. Leave empty or enter 0 if this is your first headship.",
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal", "class": "input-narrow"}),
        error_messages={"invalid": "Enter a number of years, for example 2 or 1.5."},
    )
    previous_headships = forms.CharField(
        label="Your previous headships", required=False, widget=_text_area(3),
        help_text="The schools and the years you were headteacher there.",
    )
    required_messages = {
        "appointed_head_on": "Enter the date you were appointed headteacher of this school.",
    }

    field_order = ["school_query", "school", "appointed_head_on", "previous_headship_years", "previous_headships"]

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, application=application, current_school=application.school, **kwargs)
        self.fields["school"].label = "The school you lead"

    def initial_from(self, application: Application) -> dict[str, Any]:
        initial = super().initial_from(application)
        initial["school"] = application.school_id
        return initial

    def clean_appointed_head_on(self) -> date | None:
        return _not_in_future(self.cleaned_data.get("appointed_head_on"), "date you were appointed")


GRADE_CHOICES = [(g.value, g.label) for g in Grade]
REPORT_CARD_CHOICES = [(g.value, g.label) for g in ReportCardGrade]
FROM_OFSTED = "This is what Ofsted’s data says — correct it if it is wrong."
FROM_RESULTS = "This is what the published results say — correct it if it is wrong."


class PerformanceSectionForm(SectionForm):
    """The latest inspection and results, pre-filled from the official data
    (issue 12): the head confirms or corrects what the files say, and
    applications.eligibility flags a correction for the adviser. A report-card
    school answers on the report card's scale, not the 1-4 grade."""

    section_key = "performance"

    declared_inspection_date = _date_field("Date of your school's most recent Ofsted inspection")
    declared_overall_effectiveness = forms.TypedChoiceField(
        label="Overall effectiveness at that inspection", choices=GRADE_CHOICES, coerce=int, empty_value=None,
        widget=RadioChoices, required=False,
    )
    declared_leadership = forms.TypedChoiceField(
        label="Leadership and management at that inspection", choices=GRADE_CHOICES, coerce=int, empty_value=None,
        widget=RadioChoices, required=False,
    )
    declared_report_card_leadership = forms.TypedChoiceField(
        label="Leadership and governance at that report card", choices=REPORT_CARD_CHOICES, coerce=int,
        empty_value=None, widget=RadioChoices, required=False,
    )
    declared_results_good = _yes_no_field(
        "Have your pupils' results been high, or improving, over the last three years?", required=False,
    )
    declared_above_floor = forms.ChoiceField(
        label="Has your school been above the floor standard in each of the last three years?",
        choices=Application.YesNoUnsure.choices, widget=RadioChoices,
        help_text="The minimum standard for pupils' attainment and progress the DfE set each year up to 2019 "
        "results; none has been set since. If none of your last three years had one, choose “Not sure”: "
        "the official data decides, and the performance question above is what counts.",
    )
    performance_summary = forms.CharField(
        label="Pupil performance over the last three years",
        widget=_text_area(6),
        help_text="Your headline results and the trend: high performance, or continued improvement.",
    )
    required_messages = {
        "declared_inspection_date": "Enter the date of your most recent inspection.",
        "declared_leadership": "Choose the leadership and management grade of your most recent inspection.",
        "declared_report_card_leadership": "Choose the leadership and governance grade of your report card.",
        "declared_above_floor": "Say whether your school has been above the floor standard.",
        "performance_summary": "Describe your pupils' performance over the last three years.",
    }

    def __init__(self, *args, application: Application, official: OfficialData | None = None, **kwargs):
        # The view passes the data it already loaded for the page (flat query counts).
        self.official = official or OfficialData.for_schools([application.school_id])
        record = self.official.records.get(application.school_id) or InspectionRecord()  # type: ignore[arg-type]
        self.record = record
        self.report_card = record.judged is not None and record.judged.inspection_type == Inspection.Type.REPORT_CARD
        self.prefilled: set[str] = set()
        self.results_figures = ""
        super().__init__(*args, application=application, **kwargs)
        # Only the scale of the school's framework is asked, unless the head already answered on the other.
        if not self.report_card and application.declared_report_card_leadership is None:
            del self.fields["declared_report_card_leadership"]
        if self.report_card and application.declared_leadership is None:
            del self.fields["declared_leadership"]
            if application.declared_overall_effectiveness is None:
                del self.fields["declared_overall_effectiveness"]
        leadership = "declared_report_card_leadership" if self.report_card else "declared_leadership"
        self.fields[leadership].required = not self.partial
        for name in self.prefilled & set(self.fields):
            field = self.fields[name]
            words = FROM_RESULTS if name == "declared_results_good" else FROM_OFSTED
            field.help_text = f"{words} {field.help_text}".strip()
        if self.results_figures:
            field = self.fields["declared_results_good"]
            field.help_text = f"{field.help_text} The official figures: {self.results_figures}.".strip()

    def initial_from(self, application: Application) -> dict[str, Any]:
        """The head's answers; where there is none yet, what the official data says."""
        initial = super().initial_from(application)
        for name, value in self._official_answers(application).items():
            if initial.get(name) is None and value is not None:
                initial[name] = value
                self.prefilled.add(name)
        return initial

    def _official_answers(self, application: Application) -> dict[str, Any]:
        if application.school_id is None:
            return {}
        latest, judged = self.record.latest, self.record.judged
        answers: dict[str, Any] = {"declared_inspection_date": latest.inspection_date if latest else None}
        if judged is not None and self.report_card:
            answers["declared_report_card_leadership"] = judged.evaluation_areas.get("leadership_and_governance")
        elif judged is not None:
            answers["declared_leadership"] = judged.leadership_and_management
            answers["declared_overall_effectiveness"] = judged.overall_effectiveness
        rules = EligibilityRules.from_data(application.round.eligibility_rules if application.round_id else None)
        outcome = performance_outcome(application.school, self.official.results.get(application.school_id,
                                      SchoolResults()), self.official.averages, rules)
        if outcome.figures and outcome.figures != "No results on record":
            self.results_figures = outcome.figures
        if outcome.state in (MET_STATE, NOT_MET_STATE):
            answers["declared_results_good"] = _yes_no_initial(outcome.state == MET_STATE)
        return answers

    def clean_declared_inspection_date(self) -> date | None:
        return _not_in_future(self.cleaned_data.get("declared_inspection_date"), "inspection date")


class OfferSectionForm(SectionForm):
    section_key = "offer"

    slt_can_cover = _yes_no_field("Can your senior leadership team lead the school while you are away?")
    slt_details = forms.CharField(
        label="How your senior team will lead the school while you are away", required=False,
        widget=_text_area(4), help_text="Who steps up, and how the school's own improvement stays on track.",
    )
    phase_offered = forms.ChoiceField(
        label="The phase you would support", choices=Phase.choices, widget=RadioChoices,
    )
    specialisms = forms.MultipleChoiceField(
        label="Your specialisms", choices=Specialism.choices, widget=CheckboxChoices,
        help_text="Choose all that apply.",
    )
    required_messages = {
        "slt_can_cover": "Say whether your senior team can lead the school while you are away.",
        "phase_offered": "Choose the phase you would support.",
        "specialisms": "Choose at least one specialism.",
    }

    def clean(self):
        cleaned = super().clean()
        # The same rule as sections.section_problems, so a saved section is complete.
        if not self.partial and cleaned.get("slt_can_cover") and not cleaned.get("slt_details", "").strip():
            self.add_error("slt_details", "Say how your senior team will lead the school while you are away.")
        return cleaned


class EvidenceSectionForm(SectionForm):
    section_key = "evidence"

    impact_on_outcomes = _limited_text(
        "The impact of your leadership on pupil outcomes", "impact_on_outcomes",
        "What changed for pupils because of what you did, with the evidence.",
    )
    school_improvement = _limited_text(
        "Your school-improvement track record", "school_improvement",
        "How you have improved your school, and how the improvement has been sustained.",
    )
    supporting_others = _limited_text(
        "Coaching, mentoring or supporting other schools", "supporting_others",
        "Your experience of working with other headteachers and schools.",
    )
    capacity = forms.ChoiceField(
        label="How much time could you give to supporting other schools?",
        choices=Capacity.choices, widget=RadioChoices,
        help_text="LLEs usually give half a day or one day a week.",
    )
    capacity_notes = forms.CharField(
        label="Anything we should know about your availability", required=False,
        help_text=f"Optional. Up to {WORD_LIMITS['capacity_notes']} words.",
        widget=_text_area(3, **{"data-word-limit": WORD_LIMITS["capacity_notes"]}),
    )
    required_messages = {
        "impact_on_outcomes": "Describe the impact of your leadership on pupil outcomes.",
        "school_improvement": "Describe your school-improvement track record.",
        "supporting_others": "Describe your experience of supporting other schools.",
        "capacity": "Choose how much time you could give.",
    }


class ApprovalsSectionForm(SectionForm):
    section_key = "approvals"

    chair_of_governors_name = forms.CharField(
        label="Your chair of governors' full name", max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    chair_of_governors_email = forms.EmailField(
        label="Your chair of governors' email address",
        error_messages={"invalid": "Enter an email address like chair@school.org.uk."},
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    # Only "I have asked": the governing body's approval is the chair's answer
    # through the emailed link (applications.approvals.chair_approval).
    governors_approved = _yes_no_field(
        "Have you asked your chair of governors for the governing body's approval?",
        help_text="When you submit, we email your chair a link to give the governing body's approval. "
                  "Only the chair's answer through that link counts as the approval.",
    )
    slt_approved = _yes_no_field("Has your senior leadership team agreed to your application?")
    required_messages = {
        "chair_of_governors_name": "Enter your chair of governors' name.",
        "chair_of_governors_email": "Enter your chair of governors' email address.",
        "governors_approved": "Say whether you have asked your chair of governors.",
        "slt_approved": "Say whether your senior leadership team has agreed.",
    }

    def clean_chair_of_governors_email(self) -> str:
        email = self.cleaned_data.get("chair_of_governors_email", "").strip()
        problem = vouching_problems(applicant_email=self.application.applicant.email, chair_email=email,
                                    sponsor_email=sponsor_email_of(self.application)).get("chair")
        if problem:
            raise forms.ValidationError(problem)
        return email


SECTION_FORMS: dict[str, type[SectionForm]] = {
    form.section_key: form
    for form in (SchoolSectionForm, PerformanceSectionForm, OfferSectionForm, EvidenceSectionForm,
                 ApprovalsSectionForm)
}


class RefereeForm(forms.Form):
    """The sponsor: saved whole by services.referee_nominate, never field by field."""

    name = forms.CharField(label="Your sponsor's full name", max_length=150,
                           error_messages={"required": "Enter your sponsor's full name."})
    email = forms.EmailField(
        label="Your sponsor's email address",
        help_text="We will email them a link to give their reference.",
        error_messages={"required": "Enter your sponsor's email address.",
                        "invalid": "Enter an email address like name@norfolk.gov.uk."},
    )
    role = forms.ChoiceField(
        label="Your sponsor's role", choices=RefereeNomination.Role.choices, widget=RadioChoices,
        error_messages={"required": "Choose your sponsor's role."},
    )
    organisation = forms.CharField(label="Their organisation", max_length=200,
                                   error_messages={"required": "Enter your sponsor's organisation."})
    relationship = forms.CharField(
        label="How do they know you and your work?", widget=_text_area(4),
        error_messages={"required": "Say how your sponsor knows you and your work."},
    )

    FIELDS = ("name", "email", "role", "organisation", "relationship")

    def __init__(self, *args, application: Application | None = None, **kwargs):
        # The application, to refuse the applicant's own address or the chair's.
        self.application = application
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_from(nomination: RefereeNomination | None) -> dict[str, str]:
        if nomination is None:
            return {}
        return {name: getattr(nomination, name) for name in RefereeForm.FIELDS}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.application is not None:
            problem = vouching_problems(applicant_email=self.application.applicant.email, sponsor_email=email,
                                        chair_email=self.application.chair_of_governors_email).get("sponsor")
            if problem:
                raise forms.ValidationError(problem)
        return email


class SubmitForm(forms.Form):
    """The declaration and, when a criterion is not met, "working towards
    eligibility" (docs/programme.md §2.2: such heads may still apply, saying so)."""

    working_towards = forms.BooleanField(
        label="I am applying as working towards eligibility", required=False,
        help_text="Tick this if you do not yet meet every criterion above.",
    )
    working_towards_notes = forms.CharField(
        label="How you are working towards eligibility", required=False, widget=_text_area(4),
        help_text="For example: when you will have been a headteacher for three years.",
    )
    declaration = forms.BooleanField(
        label="I confirm that my answers are true and complete, and that my governing body and senior "
              "leadership team know I am applying.",
        error_messages={"required": "Confirm that your answers are true and complete."},
    )

    def __init__(self, *args, needs_working_towards: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_working_towards = needs_working_towards
        if needs_working_towards:
            field = self.fields["working_towards"]
            field.required = True
            field.help_text = "You do not yet meet every criterion, so tick this to apply now."
            field.error_messages["required"] = (
                "You do not yet meet every criterion: tick 'I am applying as working towards eligibility' "
                "to apply now."
            )
        else:
            del self.fields["working_towards"]
            del self.fields["working_towards_notes"]

    def clean_working_towards_notes(self) -> str:
        return self.cleaned_data.get("working_towards_notes", "").strip()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing? (optional)", required=False, widget=_text_area(3),
        help_text="This helps the local authority plan future rounds.",
    )
