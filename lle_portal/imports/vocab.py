"""The words official files use, mapped to the portal's choices.

Matching ignores case, spaces, hyphens and underscores: files write
"All-through", "All through" and "ALL_THROUGH" over the years.
"""

from __future__ import annotations

import re
from datetime import date

from ..models import Inspection, ReportCardGrade, School


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).casefold()


# GIAS "PhaseOfEducation (name)" and the performance tables' PHASE column.
PHASES: dict[str, str] = {
    _key(word): phase
    for word, phase in [
        ("Nursery", School.Phase.NURSERY),
        ("Primary", School.Phase.PRIMARY),
        ("Middle deemed primary", School.Phase.MIDDLE_PRIMARY),
        ("Middle deemed secondary", School.Phase.MIDDLE_SECONDARY),
        ("Secondary", School.Phase.SECONDARY),
        ("All-through", School.Phase.ALL_THROUGH),
        ("All through", School.Phase.ALL_THROUGH),
        ("16 plus", School.Phase.SIXTEEN_PLUS),
        ("16 Plus", School.Phase.SIXTEEN_PLUS),
        ("Not applicable", School.Phase.NOT_APPLICABLE),
    ]
}


def phase_from(text: str) -> str:
    """A phase choice; "" (unknown) for an empty or unfamiliar word."""
    return PHASES.get(_key(text), School.Phase.UNKNOWN)


# GIAS "EstablishmentStatus (name)".
STATUSES: dict[str, str] = {
    _key("Open"): School.Status.OPEN,
    _key("Closed"): School.Status.CLOSED,
    _key("Open, but proposed to close"): School.Status.PROPOSED_TO_CLOSE,
    _key("Proposed to open"): School.Status.PROPOSED_TO_OPEN,
}


def status_from(text: str) -> str:
    return STATUSES.get(_key(text), School.Status.UNKNOWN)


GRADE_WORDS: dict[str, int] = {
    _key("Outstanding"): Inspection.Grade.OUTSTANDING,
    _key("Good"): Inspection.Grade.GOOD,
    _key("Requires improvement"): Inspection.Grade.REQUIRES_IMPROVEMENT,
    # The word for grade 3 until September 2012.
    _key("Satisfactory"): Inspection.Grade.REQUIRES_IMPROVEMENT,
    _key("Inadequate"): Inspection.Grade.INADEQUATE,
    _key("Serious weaknesses"): Inspection.Grade.INADEQUATE,
    _key("Special measures"): Inspection.Grade.INADEQUATE,
}
# Ofsted writes 9 (or NULL, or nothing) where a judgement was not made.
NOT_GRADED = {"", "9", "null", "na", "n/a", "notjudged", "notapplicable", "notgraded"}

# "Requires improvement" replaced "Satisfactory" for inspections from this day.
REQUIRES_IMPROVEMENT_FROM = date(2012, 9, 1)


def grade_from(text: str, column: str) -> int | None:
    """An Ofsted grade 1-4 from a digit or a word; None when not graded.
    Raises ValueError for anything else."""
    key = _key(text)
    if key in NOT_GRADED:
        return None
    if key in {"1", "2", "3", "4"}:
        return int(key)
    if key in GRADE_WORDS:
        return GRADE_WORDS[key]
    raise ValueError(f"{column} {text!r} is not an Ofsted grade (1 to 4, or a word such as Good)")


def grade_label(text: str, grade: int | None, inspection_date: date | None) -> str:
    """The rating exactly as published when the file gives it in words (e.g.
    "Satisfactory"); for a digit, "Satisfactory" when a 3 was given before
    September 2012, as the report then said, else ""."""
    if _key(text) in GRADE_WORDS:
        return text.strip()
    before_2012 = inspection_date is not None and inspection_date < REQUIRES_IMPROVEMENT_FROM
    if grade == Inspection.Grade.REQUIRES_IMPROVEMENT and before_2012:
        return "Satisfactory"
    return ""


CONCERNS: dict[str, str] = {
    _key("Special measures"): Inspection.Concern.SPECIAL_MEASURES,
    _key("SM"): Inspection.Concern.SPECIAL_MEASURES,
    _key("Serious weaknesses"): Inspection.Concern.SERIOUS_WEAKNESSES,
    _key("SWK"): Inspection.Concern.SERIOUS_WEAKNESSES,
    _key("Notice to improve"): Inspection.Concern.NOTICE_TO_IMPROVE,
    _key("NTI"): Inspection.Concern.NOTICE_TO_IMPROVE,
}
NO_CONCERN = {"", "null", "none", "na", "n/a", "notapplicable", "9"}


def concern_from(text: str, column: str) -> str:
    key = _key(text)
    if key in NO_CONCERN:
        return Inspection.Concern.NONE
    if key in CONCERNS:
        return CONCERNS[key]
    raise ValueError(
        f"{column} {text!r} is not a category of concern "
        "(Special measures, Serious weaknesses or Notice to improve)"
    )


# GIAS writes these where a name field does not apply to the establishment.
NOT_APPLICABLE = {"notapplicable", "doesnotapply", "none", "null", "notavailable", "n/a"}


def blank_if_not_applicable(text: str) -> str:
    return "" if _key(text) in NOT_APPLICABLE else text


# --- Ofsted frameworks -------------------------------------------------------------

# The first day of inspections without an overall grade, and of report cards.
NO_OVERALL_GRADE_FROM = date(2024, 9, 1)
REPORT_CARDS_FROM = date(2025, 11, 10)


def framework_on(day: date) -> str:
    """The framework an inspection on that day was made under."""
    if day >= REPORT_CARDS_FROM:
        return Inspection.Framework.REPORT_CARD
    if day >= NO_OVERALL_GRADE_FROM:
        return Inspection.Framework.NO_OVERALL_GRADE
    return Inspection.Framework.GRADED


REPORT_CARD_WORDS: dict[str, int] = {
    _key(word): grade
    for word, grade in [
        ("Exceptional", ReportCardGrade.EXCEPTIONAL),
        ("Strong standard", ReportCardGrade.STRONG),
        ("Strong", ReportCardGrade.STRONG),
        ("Expected standard", ReportCardGrade.EXPECTED),
        ("Expected", ReportCardGrade.EXPECTED),
        ("Needs attention", ReportCardGrade.NEEDS_ATTENTION),
        ("Urgent improvement", ReportCardGrade.URGENT_IMPROVEMENT),
    ]
}


def report_card_grade_from(text: str, column: str) -> int | None:
    """A report-card evaluation area, 1 exceptional to 5 urgent improvement;
    None when not evaluated (an area that does not apply). Raises ValueError.

    The words are the published scale. A digit 1-5 is read in the scale's
    order (1 exceptional): an assumption, as no management-information file
    with report-card rows was at hand to confirm how Ofsted encodes them.
    """
    key = _key(text)
    if key in NOT_GRADED:
        return None
    if key in {"1", "2", "3", "4", "5"}:
        return int(key)
    if key in REPORT_CARD_WORDS:
        return REPORT_CARD_WORDS[key]
    raise ValueError(
        f"{column} {text!r} is not a report-card grade (exceptional, strong standard, expected standard, "
        "needs attention or urgent improvement)"
    )


SAFEGUARDING_WORDS: dict[str, str] = {
    _key("Met"): Inspection.Safeguarding.MET,
    _key("Not met"): Inspection.Safeguarding.NOT_MET,
    # Graded inspections asked "Is safeguarding effective?".
    _key("Yes"): Inspection.Safeguarding.MET,
    _key("No"): Inspection.Safeguarding.NOT_MET,
    _key("Effective"): Inspection.Safeguarding.MET,
    _key("Not effective"): Inspection.Safeguarding.NOT_MET,
}


def safeguarding_from(text: str, column: str) -> str:
    key = _key(text)
    if key in NOT_GRADED:
        return Inspection.Safeguarding.UNKNOWN
    if key in SAFEGUARDING_WORDS:
        return SAFEGUARDING_WORDS[key]
    raise ValueError(f"{column} {text!r} is not a safeguarding outcome (met or not met, yes or no)")


# Words in an ungraded inspection's outcome that question the previous grade
# (e.g. "some aspects may not be as strong", "standards may have declined").
UNGRADED_DOUBTS = ("notasstrong", "declined", "concern", "notbeasstrong", "mayhavedeclined", "deteriorat")


def ungraded_questions_grade(outcome: str) -> bool:
    key = _key(outcome)
    return any(word in key for word in UNGRADED_DOUBTS)
