"""The respondent's form: one field per question of the survey, and their
consent to publishing their comments. It validates and normalises; the
service (impact.surveys.answers_submit) does the writing."""

from __future__ import annotations

from django import forms

from .models import Answer, Question, Scale, SurveyInvitation

YES_NO_CHOICES = [("yes", "Yes"), ("no", "No")]


def field_name(question: Question) -> str:
    return f"q{question.pk}"


class SurveyAnswerForm(forms.Form):
    consent_to_publish = forms.BooleanField(
        label="You may publish my comments, without my name or my school's", required=False,
        help_text="The adviser may then quote what you wrote in the free-text answers in the programme's "
                  "impact report. You can change your mind until the survey closes.",
    )

    def __init__(self, *args, invitation: SurveyInvitation, questions: list[Question], answers: list[Answer],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        given = {a.question_id: a for a in answers}
        consent = self.fields.pop("consent_to_publish")
        for question in questions:
            self.fields[field_name(question)] = self._field(question)
            answer = given.get(question.pk)
            if answer is not None:
                self.initial[field_name(question)] = self._initial(question, answer)
        if any(q.kind == Question.Kind.TEXT for q in questions):
            self.fields["consent_to_publish"] = consent
            self.initial["consent_to_publish"] = invitation.consent_to_publish

    @staticmethod
    def _field(question: Question) -> forms.Field:
        label, required = question.text, question.required
        if question.kind == Question.Kind.SCALE:
            return forms.TypedChoiceField(label=label, required=required, coerce=int, empty_value=None,
                                          choices=Scale.choices, widget=forms.RadioSelect)
        if question.kind == Question.Kind.YES_NO:
            return forms.TypedChoiceField(label=label, required=required, coerce=lambda v: v == "yes",
                                          empty_value=None, choices=YES_NO_CHOICES, widget=forms.RadioSelect)
        return forms.CharField(label=label, required=required, max_length=5000, strip=True,
                               widget=forms.Textarea(attrs={"rows": 4}))

    @staticmethod
    def _initial(question: Question, answer: Answer):
        if question.kind == Question.Kind.SCALE:
            return answer.scale
        if question.kind == Question.Kind.YES_NO:
            return "yes" if answer.yes else "no"
        return answer.text

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(field_name(q)) for q in self.questions]
        if not self.errors and all(v in (None, "") for v in values):
            raise forms.ValidationError("Answer at least one question before sending your answers.")
        return cleaned

    def answers(self) -> dict[int, object]:
        """{question id: value} for the service: None or "" for a question left blank."""
        return {q.pk: self.cleaned_data.get(field_name(q)) for q in self.questions}
