"""The sections of the application's task list, what each needs to be
complete, and the word limits of Part B. One place, used by the forms, the
task list, *Check your answers* and the submit service."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Application

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"
STATUS_TONES = {NOT_STARTED: "secondary", IN_PROGRESS: "info", COMPLETED: "success"}

# Part B answers: word limits (the portal's own; docs/programme.md §4.1).
WORD_LIMITS = {
    "impact_on_outcomes": 500,
    "school_improvement": 500,
    "supporting_others": 400,
    "capacity_notes": 150,
}


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text or ""))


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    part: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    hint: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "school", "Your school and headship", "Part A",
        ("school", "appointed_head_on", "previous_headship_years", "previous_headships"),
        ("school", "appointed_head_on"),
        "The school you lead and how long you have been a headteacher.",
    ),
    Section(
        "performance", "Inspection and pupil performance", "Part A",
        ("declared_inspection_date", "declared_overall_effectiveness", "declared_leadership",
         "declared_report_card_leadership", "declared_results_good", "declared_above_floor", "performance_summary"),
        # The leadership grade is required on the scale of the school's framework (section_problems).
        ("declared_inspection_date", "declared_above_floor", "performance_summary"),
        "Your latest Ofsted inspection and results over the last three years.",
    ),
    Section(
        "offer", "Your senior team and what you offer", "Part A",
        ("slt_can_cover", "slt_details", "phase_offered", "specialisms"),
        ("slt_can_cover", "phase_offered", "specialisms"),
        "Who leads the school while you are away; the phase and specialisms you offer.",
    ),
    Section(
        "evidence", "Evidence of your leadership", "Part B",
        ("impact_on_outcomes", "school_improvement", "supporting_others", "capacity", "capacity_notes"),
        ("impact_on_outcomes", "school_improvement", "supporting_others", "capacity"),
        "Impact on outcomes, school improvement, supporting other schools, and your capacity.",
    ),
    Section(
        "approvals", "Approvals", "Approvals",
        ("chair_of_governors_name", "chair_of_governors_email", "governors_approved", "slt_approved"),
        ("chair_of_governors_name", "chair_of_governors_email", "governors_approved", "slt_approved"),
        "Your chair of governors and senior team. The LA gives its approval after you apply.",
    ),
    Section(
        "referee", "Your sponsor", "Sponsor",
        (), (),
        "The person who will give your reference and commit to deploying you.",
    ),
)
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


def _filled(application: Application, field: str) -> bool:
    value = getattr(application, field if field != "school" else "school_id")
    if value is None:
        return False
    if isinstance(value, str | list):
        return bool(value) if isinstance(value, list) else bool(value.strip())
    return True


def section_status(application: Application, section: Section) -> str:
    if section.key == "referee":
        # The nomination is its own row; callers select_related("referee") to avoid a query.
        return COMPLETED if _has_referee(application) else NOT_STARTED
    filled = [f for f in section.fields if _filled(application, f)]
    if not filled:
        return NOT_STARTED
    if all(_filled(application, f) for f in section.required) and not section_problems(application, section):
        return COMPLETED
    return IN_PROGRESS


def section_problems(application: Application, section: Section) -> list[str]:
    """What stops a section being complete, beyond empty required fields."""
    problems = []
    for field in section.fields:
        limit = WORD_LIMITS.get(field)
        if limit and word_count(getattr(application, field)) > limit:
            label = Application._meta.get_field(field).verbose_name  # type: ignore[union-attr]  # a concrete Field
            problems.append(f"Your answer to '{label}' is over {limit} words.")
    if (section.key == "performance" and application.declared_leadership is None
            and application.declared_report_card_leadership is None):
        problems.append("Give the leadership grade of your latest inspection.")
    if section.key == "offer" and application.slt_can_cover and not application.slt_details.strip():
        problems.append("Say how your senior team will lead the school while you are away.")
    return problems


def _has_referee(application: Application) -> bool:
    try:
        return application.referee is not None
    except Application.referee.RelatedObjectDoesNotExist:
        return False


def task_list(application: Application) -> list[dict]:
    return [
        {"key": s.key, "title": s.title, "part": s.part, "hint": s.hint, "status": section_status(application, s)}
        for s in SECTIONS
    ]


def incomplete_sections(application: Application) -> list[Section]:
    return [s for s in SECTIONS if section_status(application, s) != COMPLETED]
