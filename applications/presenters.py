"""What the head's pages say: an application's answers, status, stages and
timeline, and a round's dates and priorities, in plain words.

Readers only: the views (applications.views) look the application up, check
access and render; what may be done is applications.rules, and every change
is a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lle_portal.formatting import join_words, uk_date, uk_datetime
from lle_portal.forms import school_label
from lle_portal.imports.measures import MEASURES, measure_label
from lle_portal.models import AuditEvent, OutgoingEmail

from .eligibility import OfficialData
from .forms import SECTION_FORMS, RefereeForm
from .models import Application, ApplicationRound, Grade, LinkRequest, LLEProfile, Phase, RefereeNomination, Specialism
from .rules import DECIDED
from .sections import SECTIONS, Section, section_status

Status = Application.Status

# --- words and dates ---------------------------------------------------------------


def round_state(round: ApplicationRound, now: datetime | None = None) -> str:
    """The round's state in plain words (docs/programme.md §2.1: "closed, the next round will be announced here")."""
    now = now or timezone.now()
    if now < round.opens_at:
        return f"Opens on {uk_datetime(round.opens_at)} — closes on {uk_datetime(round.closes_at)}"
    if now < round.closes_at:
        # The badge beside it already says "Open": this line says until when.
        return f"Closes on {uk_datetime(round.closes_at)}"
    return "Closed — the next round will be announced here"


def round_priorities(round: ApplicationRound) -> list[str]:
    """What the LA most wants this round (docs/programme.md §2.3: Norfolk wants secondary heads)."""
    names = [la.name for la in round.local_authorities.all()]
    who = join_words(names) if names else "The local authority"
    wants = "particularly want" if len(names) > 1 else "particularly wants"
    lines = []
    phases = [Phase(p).label.lower() for p in round.priority_phases if p in Phase.values]
    if phases:
        lines.append(f"{who} {wants} {join_words(phases)} headteachers.")
    specialisms = [Specialism(s).label.lower() for s in round.priority_specialisms if s in Specialism.values]
    if specialisms:
        lines.append(f"Headteachers who offer {join_words(specialisms)} are especially welcome.")
    if round.priority_notes.strip():
        lines.append(round.priority_notes.strip())
    return lines


def serving_lle(user) -> LLEProfile | None:
    """The head's own LLE profile while they serve: a designated LLE is not
    offered an application to become one."""
    return LLEProfile.objects.filter(user=user, is_active=True).first()


# --- the answers, for Check your answers and read-only sections ---------------------


def answer_text(application: Application, name: str) -> str:
    value = getattr(application, name)
    if name == "school":
        return school_label(application.school) if application.school else ""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, Decimal):
        return f"{value.normalize():f} year{'s' if value != 1 else ''}"
    if name == "specialisms":
        return ", ".join(Specialism(v).label for v in value if v in Specialism.values)
    if name in ("declared_overall_effectiveness", "declared_leadership"):
        return Grade(value).label
    display = getattr(application, f"get_{name}_display", None)
    return str(display()) if display else str(value)


def answer_rows(application: Application, section: Section) -> list[dict[str, Any]]:
    """Each question of a section with the head's answer in words."""
    if section.key == "referee":
        nomination = getattr(application, "referee", None) if has_referee(application) else None
        labels = RefereeForm.base_fields
        return [
            {"label": labels[name].label, "value": "" if nomination is None else (
                nomination.get_role_display() if name == "role" else getattr(nomination, name)), "field": name}
            for name in RefereeForm.FIELDS
        ]
    form_class = SECTION_FORMS[section.key]
    return [
        {"label": form_class.base_fields[name].label, "value": answer_text(application, name), "field": name}
        for name in section.fields if not _other_scale(application, name)
    ]


def _other_scale(application: Application, name: str) -> bool:
    """A leadership question on the scale the head did not answer on (a
    report card's, or the 1-4 grade's): not asked, so not listed."""
    if name == "declared_report_card_leadership":
        return application.declared_report_card_leadership is None
    if name in ("declared_overall_effectiveness", "declared_leadership"):
        return application.declared_report_card_leadership is not None and getattr(application, name) is None
    return False


def has_referee(application: Application) -> bool:
    try:
        return application.referee is not None
    except RefereeNomination.DoesNotExist:
        return False


def answers_summary(application: Application) -> list[dict[str, Any]]:
    return [
        {
            "section": s,
            "status": section_status(application, s),
            "rows": answer_rows(application, s),
            "change_url": reverse("applications:section", args=[application.pk, s.key]) + "?return=check",
        }
        for s in SECTIONS
    ]


# --- a section's official data ------------------------------------------------------


def official_results(official: OfficialData, school_id: int | None) -> list[dict[str, Any]]:
    """The school's published results for the last three years, one table per key stage."""
    school_results = official.results.get(school_id) if school_id else None
    if school_results is None:
        return []
    tables = []
    for stage, by_year in sorted(school_results.by_key_stage.items()):
        years = sorted(by_year)[-3:]
        measures = {m for values in by_year.values() for m in values}
        order = [m for m in MEASURES if m in measures] + sorted(m for m in measures if m not in MEASURES)
        rows = []
        for measure in order:
            cells = []
            for year in years:
                value = by_year[year].get(measure)
                marker = school_results.marker(stage, year, measure)
                if value is None:
                    cells.append(f"Not published ({marker})" if marker else "Not published")
                else:
                    suffix = "%" if MEASURES.get(measure) and MEASURES[measure].is_percentage else ""
                    cells.append(f"{value.normalize():f}{suffix}")
            rows.append({"label": measure_label(measure), "cells": cells})
        tables.append({"key_stage": stage, "years": years, "rows": rows})
    return tables


# --- the status page ----------------------------------------------------------------------


@dataclass
class TimelineEntry:
    when: datetime
    text: str

    @property
    def when_text(self) -> str:
        local = timezone.localtime(self.when)
        return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def _event_text(event: AuditEvent, application: Application) -> str | None:
    """What an audit event means to the applicant; None for what is not theirs to see."""
    verb, data = event.verb, event.data or {}
    by_someone_else = event.actor_id is not None and event.actor_id != application.applicant_id
    texts = {
        "application.started": "You started your application.",
        "application.submitted": "You submitted your application"
                                 + (f" (reference {application.reference_number})." if application.reference_number
                                    else "."),
        "referee.nominated": f"You named {data.get('referee', 'your sponsor')} as your sponsor.",
        "referee.changed": f"You changed your sponsor to {data.get('referee', 'someone else')}.",
        "application.la_approved": "The local authority approved your application.",
        "application.verified": "The adviser verified Part A of your application against official data.",
        "application.assessed": "Part B of your application was assessed.",
        "application.decision_emailed": "The designation panel's decision was sent to you.",
        "application.withdrawn": ("The adviser withdrew your application." if by_someone_else
                                  else "You withdrew your application."),
        # The reference's own text is for staff only: the head sees that it happened, never what it says.
        "reference.requested": "We asked your sponsor for their reference.",
        "reference.received": "Your sponsor gave their reference.",
        "reference.given": "Your sponsor gave their reference.",
        "reference.declined": "Your sponsor declined to give a reference.",
        "reference.expired": "Your sponsor's link to give a reference expired.",
        "approval.requested": "We asked your chair of governors for the governing body's approval.",
        "approval.received": "Your chair of governors answered for the governing body.",
        "approval.declined": "Your chair of governors did not give the governing body's approval.",
        "approval.expired": "Your chair of governors' link to give the approval expired.",
    }
    return texts.get(verb)


EMAIL_TEXTS = {
    "application_submitted": "We emailed you a confirmation with your reference number.",
    "application_decision": "We emailed you the designation panel's decision.",
}


def timeline(application: Application) -> list[TimelineEntry]:
    """What has happened, from the audit trail and the emails sent to the head (3 queries at most)."""
    application_type = ContentType.objects.get_for_model(Application)
    about = Q(content_type=application_type, object_id=str(application.pk))
    if has_referee(application):
        about |= Q(content_type=ContentType.objects.get_for_model(RefereeNomination),
                   object_id=str(application.referee.pk))
    entries = []
    for event in AuditEvent.objects.filter(about).order_by("created_at", "pk"):
        text = _event_text(event, application)
        if text:
            entries.append(TimelineEntry(event.created_at, text))
    emails = OutgoingEmail.objects.filter(
        content_type=application_type, object_id=str(application.pk), to__iexact=application.applicant.email
    ).order_by("created_at")
    for email in emails:
        text = EMAIL_TEXTS.get(email.template, f"We emailed you: {email.subject}.")
        entries.append(TimelineEntry(email.sent_at or email.created_at, text))
    return sorted(entries, key=lambda e: e.when)


def decision_told(application: Application) -> bool:
    return application.status in DECIDED and application.decision_emailed_at is not None


def status_in_words(application: Application) -> tuple[str, str]:
    """(headline, explanation) of where the application is."""
    round = application.round
    decisions_by = uk_date(round.decisions_by)
    if application.status == Status.DRAFT:
        if round.is_open():
            return "Not submitted", f"You can change your answers and submit until {uk_datetime(round.closes_at)}."
        closed = uk_datetime(round.closes_at)
        return "Not submitted", f"The round closed on {closed}; this draft can no longer be submitted."
    if application.status == Status.SUBMITTED:
        return "Submitted", "The adviser is checking Part A of your application against official data."
    if application.status == Status.VERIFIED:
        return "Part A verified", "Part B of your application is being assessed."
    if application.status == Status.ASSESSED:
        return "Part B assessed", f"Your application goes to the designation panel. You will hear by {decisions_by}."
    if application.status in DECIDED and not decision_told(application):
        return "With the designation panel", f"You will hear the panel's decision by {decisions_by}."
    if application.status == Status.DESIGNATED:
        profile = LLEProfile.objects.filter(application=application).first()
        if profile is not None and profile.trained_on:
            # Said as it stands now, not as the decision email said it a year ago.
            return "Designated", (f"You were designated a Local Leader of Education on "
                                  f"{uk_date(profile.designated_on)} and completed your training on "
                                  f"{uk_date(profile.trained_on)}.")
        return "Designated", ("You have been designated as a Local Leader of Education. "
                              "Training follows within 6 to 8 weeks.")
    if application.status == Status.NOT_DESIGNATED:
        return "Not designated", "The panel did not designate you this round. Its reasons are in the email we sent you."
    if application.status == Status.DEFERRED:
        return "Deferred", "The panel deferred its decision. The email we sent you says what happens next."
    when = timezone.localtime(application.withdrawn_at) if application.withdrawn_at else None
    return "Withdrawn", f"This application was withdrawn{f' on {when.day} {when:%B %Y}' if when else ''}."


STAGE_ORDER: list[str] = [Status.DRAFT, Status.SUBMITTED, Status.VERIFIED, Status.ASSESSED]


def stages(application: Application) -> list[dict[str, str]]:
    """The assessment stages and training (docs/programme.md §6.1, §7.2), with the round's dates."""
    round = application.round
    status = application.status
    reached = STAGE_ORDER.index(status) if status in STAGE_ORDER else (4 if status in DECIDED else -1)
    told = decision_told(application)
    steps = [
        ("Submit your application",
         f"Submitted on {uk_datetime(application.submitted_at)}." if application.submitted_at
         else f"By {uk_datetime(round.closes_at)}.", reached >= 1),
        ("Verification of Part A", "The adviser checks your answers against official school data.", reached >= 2),
        ("Assessment of Part B", "Experienced professionals in school-to-school support assess your evidence.",
         reached >= 3),
        ("Review of your reference", "Your sponsor's reference is read by staff only.", reached >= 3),
        ("Designation panel", f"Decisions by {uk_date(round.decisions_by)}.", told),
    ]
    profile = LLEProfile.objects.filter(application=application).first() if status == Status.DESIGNATED else None
    if profile is not None and profile.trained_on:
        # Training is recorded by staff on the LLE profile: once it is, it is done.
        steps.append(("Induction and training", f"Training completed on {uk_date(profile.trained_on)}.", True))
    elif not (told and status != Status.DESIGNATED):
        # Training is recorded by staff on the LLE profile; here it is only what comes next.
        steps.append((
            "Induction and training",
            f"Induction: {uk_date(round.induction_date)}. Training starts: {uk_date(round.training_starts)}. "
            "Training is completed within 6 to 8 weeks of the decision.",
            False,
        ))
    result = []
    current_found = False
    for title, detail, done in steps:
        if done:
            state = "Done"
        elif not current_found and status != Status.WITHDRAWN:
            state, current_found = "Now", True
        else:
            state = "To come"
        result.append({"title": title, "detail": detail, "state": state})
    return result


def link_request_rows(application: Application) -> list[dict[str, Any]]:
    """The sponsor's and the chair's requests as the head may see them: the state, never the answers."""
    latest: dict[str, LinkRequest] = {}
    for link_request in application.link_requests.only(
        "kind", "status", "reminder_count", "recipient_name", "created_at", "responded_at", "application_id",
    ).order_by("created_at", "pk"):
        latest[link_request.kind] = link_request
    rows = []
    for kind, label in LinkRequest.Kind.choices:
        link_request = latest.get(kind)
        if link_request is not None and link_request.status == LinkRequest.Status.CANCELLED:
            link_request = None
        rows.append({
            # `latest`, cancelled or not, is what rules.can_send_request reads.
            "kind": kind, "label": label, "request": link_request, "latest": latest.get(kind),
            "status": link_request.head_status if link_request else "Not requested yet",
        })
    return rows
