"""Forms of the emailed-link pages: the sponsor's reference, the chair of
governors' approval, and declining. They validate; applications.references writes."""

from __future__ import annotations

from typing import Any

from django import forms

from lle_portal.forms import RadioChoices

from .models import LinkRequest

YES_NO = [("yes", "Yes"), ("no", "No")]


def _text(label: str, help_text: str = "", required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 5}))


def _yes_no(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=YES_NO, widget=RadioChoices)


class ReferenceForm(forms.Form):
    """What a sponsor says (docs/programme.md §5.2: ability to take on the role,
    and whether they commit to deploying the applicant)."""

    ability = _text("The applicant's ability to take on the role of a Local Leader of Education")
    impact = _text("Evidence of the impact of their leadership")
    senior_team = _text("Can the senior leadership team sustain the school while the headteacher is away?",
                        help_text="Say who would lead and why you are confident (or not).")
    commits_to_deploy = _yes_no("Do you commit to deploying the applicant as an LLE, should they be designated?")
    safeguarding_concerns = _yes_no("Do you have any safeguarding concerns about the applicant?")
    safeguarding_details = _text("Details of the safeguarding concerns", required=False)
    recommendation = forms.ChoiceField(label="Your recommendation", choices=LinkRequest.Recommendation.choices,
                                       widget=RadioChoices)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if data.get("safeguarding_concerns") == "yes" and not data.get("safeguarding_details", "").strip():
            self.add_error("safeguarding_details", "Describe the safeguarding concerns.")
        return data


class GovernorsApprovalForm(forms.Form):
    approve = forms.ChoiceField(
        label="Does the governing body approve the headteacher's application to become an LLE?",
        choices=[("yes", "Yes, the governing body approves"), ("no", "No, the governing body does not approve")],
        widget=RadioChoices,
    )
    comment = _text("Comment", help_text="Optional if you approve; say why if you do not.", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if data.get("approve") == "no" and not data.get("comment", "").strip():
            self.add_error("comment", "Say why the governing body does not approve.")
        return data


FORMS: dict[str, type[forms.Form]] = {
    LinkRequest.Kind.REFERENCE: ReferenceForm, LinkRequest.Kind.GOVERNORS_APPROVAL: GovernorsApprovalForm,
}


class DeclineForm(forms.Form):
    reason = forms.CharField(label="Why you cannot give a reference", max_length=5_000,
                             widget=forms.Textarea(attrs={"rows": 3}))
