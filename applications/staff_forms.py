"""Forms of the staff pages: verification of Part A, assigning assessors,
scoring Part B, the panel's decision. They validate; the services write."""

from __future__ import annotations

from django import forms

from lle_portal.models import User

from .eligibility import CRITERIA, Eligibility, for_staff
from .models import Application, Verification
from .rubric import RUBRIC, rubric_for
from .services import assessor_conflict

# The LA's approval is its own button, not a verification outcome.
VERIFIED_CRITERIA = tuple(key for key in CRITERIA if key != "approvals")
NEEDS_A_NOTE = (Verification.Outcome.NOT_MET, Verification.Outcome.QUERY)


class LinkableRadioSelect(forms.RadioSelect):
    """Radios whose field id is the first option's, so that the error
    summary's link (#id_<field>) lands on a real control."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_{index or 0}" if id_ else ""


class LinkableCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes as above; options listed in `disabled_values` are shown but
    cannot be ticked (an assessor with a conflict of interest)."""

    disabled_values: frozenset[str] = frozenset()

    def id_for_label(self, id_, index=None):
        return f"{id_}_{index or 0}" if id_ else ""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class VerificationForm(forms.Form):
    """The adviser's outcome and note for each Part A criterion."""

    def __init__(self, *args, eligibility: Eligibility, verifications: dict[str, Verification], **kwargs):
        super().__init__(*args, **kwargs)
        self.verifications = verifications
        for key in VERIFIED_CRITERIA:
            existing = verifications.get(key)
            self.fields[f"{key}_outcome"] = forms.ChoiceField(
                label="Your outcome", choices=Verification.Outcome.choices, required=False,
                widget=LinkableRadioSelect, initial=existing.outcome if existing else None,
            )
            self.fields[f"{key}_note"] = forms.CharField(
                label="Note", required=False, initial=existing.note if existing else "",
                help_text="Required for 'not met' and 'query': the applicant and the panel will read why.",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        # For the page: each criterion's check, its two fields and the outcome recorded so far.
        self.criteria = [
            (eligibility[key], self[f"{key}_outcome"], self[f"{key}_note"], verifications.get(key))
            for key in VERIFIED_CRITERIA
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        for key in VERIFIED_CRITERIA:
            outcome, note = cleaned.get(f"{key}_outcome"), cleaned.get(f"{key}_note", "").strip()
            if outcome in NEEDS_A_NOTE and not note:
                self.add_error(f"{key}_note",
                               f"{for_staff(CRITERIA[key])}: say why it is not met or what you are querying.")
            if not outcome and note:
                self.add_error(f"{key}_outcome", f"{for_staff(CRITERIA[key])}: choose an outcome for your note.")
        return cleaned

    def changes(self) -> list[tuple[str, str, str]]:
        """(criterion, outcome, note) for each outcome that is new or changed."""
        changed = []
        for key in VERIFIED_CRITERIA:
            outcome, note = self.cleaned_data[f"{key}_outcome"], self.cleaned_data[f"{key}_note"].strip()
            existing = self.verifications.get(key)
            if outcome and (existing is None or (existing.outcome, existing.note) != (outcome, note)):
                changed.append((key, outcome, note))
        return changed


class AssignAssessorsForm(forms.Form):
    assessors = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), widget=LinkableCheckboxes, label="Assessors to assign",
        help_text="Never someone from the applicant's school, trust or federation.",
    )

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = (
            User.objects.filter(role=User.Role.ASSESSOR, is_active=True)
            .exclude(assessments__application=application)
            .select_related("school")
            .order_by("full_name")
        )
        self.conflicts = {user.pk: assessor_conflict(application, user) for user in candidates}
        field = self.fields["assessors"]
        field.queryset = candidates  # type: ignore[attr-defined]  # a ModelMultipleChoiceField
        field.label_from_instance = self._label  # type: ignore[attr-defined]
        field.widget.disabled_values = frozenset(str(pk) for pk, why in self.conflicts.items() if why)

    def _label(self, user: User) -> str:
        label = f"{user.full_name}" + (f", {user.school.name}" if user.school else "")
        conflict = self.conflicts.get(user.pk)
        return f"{label}: cannot assess. {conflict}" if conflict else label

    def clean_assessors(self):
        chosen = self.cleaned_data["assessors"]
        refused = [self.conflicts[user.pk] for user in chosen if self.conflicts.get(user.pk)]
        if refused:
            raise forms.ValidationError(" ".join(refused))
        return chosen


class AssessmentForm(forms.Form):
    """A score from 1 to 4 for each competency of the rubric, and comments."""

    comments = forms.CharField(
        label="Comments for the panel", widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The evidence behind your scores: strengths, gaps, anything the panel should probe.",
        error_messages={"required": "Add your comments for the panel."},
    )

    def __init__(self, *args, round=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Each score is labelled with what it means for this competency in this
        # round, so the assessor reads the rubric where they choose the score.
        scores = {
            competency.key: forms.TypedChoiceField(
                label=competency.title,
                choices=[(score, f"{score} – {label}: {text}") for score, label, text in competency.levels],
                coerce=int, widget=LinkableRadioSelect,
                error_messages={"required": f"Give a score for '{competency.title}'."},
            )
            for competency in rubric_for(round)
        }
        # The scores first, then the comments.
        self.fields = {**scores, "comments": self.fields["comments"]}

    def scores(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key in RUBRIC}


class DecisionForm(forms.Form):
    """The panel's decision on one application (prefixed by the application)."""

    decision = forms.ChoiceField(
        label="Decision", choices=Application.Decision.choices, widget=LinkableRadioSelect,
        error_messages={"required": "Choose designated, not designated or deferred."},
    )
    reasons = forms.CharField(
        label="The panel's reasons", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The applicant reads these in the decision email.",
        error_messages={"required": "Give the panel's reasons."},
    )
