"""Why a school may need support, suggested from the imported official data.

Three of the priority reasons can be read from data (seeds 000, 003): results
below the floor standard, a vulnerable school (latest inspection requires
improvement or inadequate, or a category of concern), and a new first-time
head in the first two years of headship. The adviser confirms them; the
fourth (peer challenge, seed 001) only the head can ask for.

The floor standard is data (applications.models.FloorStandard, DESIGN.md §3):
a school is above the floor when its attainment measure reaches the minimum,
or when every progress measure does. A year with no standard recorded is
never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from applications.models import FloorStandard
from lle_portal.models import Inspection, School, SchoolResult

from .models import PriorityReason

# Professional partners mentor new heads "in their first two years of headship" (seed 000).
NEW_HEAD_YEARS = 2
CONCERN_GRADES = (Inspection.Grade.REQUIRES_IMPROVEMENT, Inspection.Grade.INADEQUATE)

KEY_STAGE_OF_PHASE = {
    School.Phase.PRIMARY: "KS2",
    School.Phase.MIDDLE_PRIMARY: "KS2",
    School.Phase.SECONDARY: "KS4",
    School.Phase.MIDDLE_SECONDARY: "KS4",
}


@dataclass(frozen=True)
class Suggestion:
    reason: str
    evidence: str

    @property
    def label(self) -> str:
        return PriorityReason(self.reason).label

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "evidence": self.evidence}


def below_floor(standard: FloorStandard, values: dict[str, Decimal | None]) -> bool | None:
    """True below the floor, False above, None when the data cannot say."""
    attainment = values.get(standard.attainment_measure) if standard.attainment_measure else None
    if attainment is not None and standard.attainment_min is not None and attainment >= standard.attainment_min:
        return False
    progress = {m: values.get(m) for m in standard.progress_minimums}
    if progress and all(v is not None for v in progress.values()):
        return any(progress[m] < Decimal(str(minimum)) for m, minimum in standard.progress_minimums.items())
    if attainment is not None and not standard.progress_minimums and standard.attainment_min is not None:
        return True
    return None


def _floor_suggestion(school: School, results: list[SchoolResult], standards: dict) -> Suggestion | None:
    key_stage = KEY_STAGE_OF_PHASE.get(school.phase)
    if key_stage is None:
        return None
    by_year: dict[int, dict[str, Decimal | None]] = defaultdict(dict)
    for result in results:
        if result.key_stage == key_stage:
            by_year[result.year][result.measure] = result.value
    if not by_year:
        return None
    year = max(by_year)
    standard = standards.get((key_stage, year))
    if standard is None or not below_floor(standard, by_year[year]):
        return None
    shown = ", ".join(
        f"{measure} {value.normalize():f}" for measure, value in sorted(by_year[year].items())
        if value is not None and (measure == standard.attainment_measure or measure in standard.progress_minimums)
    )
    evidence = f"{key_stage} {year}: {shown} (floor: {standard.description})"
    if standard.fail_needs_verification:
        evidence += "; part of that year's rule is not in the data, so check it"
    return Suggestion(PriorityReason.BELOW_FLOOR, evidence)


def _inspection_suggestion(latest: Inspection | None) -> Suggestion | None:
    if latest is None:
        return None
    if latest.category_of_concern:
        return Suggestion(
            PriorityReason.VULNERABLE,
            f"Inspected {latest.inspection_date:%-d %B %Y}: {latest.get_category_of_concern_display().lower()}",
        )
    if latest.overall_effectiveness in CONCERN_GRADES:
        return Suggestion(
            PriorityReason.VULNERABLE,
            f"Inspected {latest.inspection_date:%-d %B %Y}: overall effectiveness {latest.overall_label.lower()}",
        )
    return None


def new_head_suggestion(head_appointed_on: date | None, today: date | None = None) -> Suggestion | None:
    if head_appointed_on is None:
        return None
    today = today or timezone.localdate()
    try:
        two_years_on = head_appointed_on.replace(year=head_appointed_on.year + NEW_HEAD_YEARS)
    except ValueError:  # appointed on 29 February
        two_years_on = head_appointed_on.replace(year=head_appointed_on.year + NEW_HEAD_YEARS, day=28)
    if head_appointed_on <= today < two_years_on:
        return Suggestion(
            PriorityReason.NEW_HEAD,
            f"First headship since {head_appointed_on:%-d %B %Y}: in the first two years, a professional partner",
        )
    return None


def suggestions_for_schools(schools: Iterable[School]) -> dict[int, list[Suggestion]]:
    """Suggested reasons (from data) for many schools, in three queries."""
    schools = list(schools)
    ids = [s.pk for s in schools]
    latest: dict[int, Inspection] = {}
    for inspection in Inspection.objects.filter(school_id__in=ids).order_by("school_id", "inspection_date"):
        latest[inspection.school_id] = inspection  # ordered, so the last one wins
    results: dict[int, list[SchoolResult]] = defaultdict(list)
    for result in SchoolResult.objects.filter(school_id__in=ids, key_stage__in=["KS2", "KS4"]):
        results[result.school_id].append(result)
    standards = {(f.key_stage, f.year): f for f in FloorStandard.objects.all()}
    found: dict[int, list[Suggestion]] = {}
    for school in schools:
        found[school.pk] = [
            s for s in (_floor_suggestion(school, results[school.pk], standards),
                        _inspection_suggestion(latest.get(school.pk))) if s
        ]
    return found


def suggest_reasons(school: School, *, head_appointed_on: date | None = None) -> list[Suggestion]:
    """The reasons the data suggests for one school (and its head's start date)."""
    suggestions = suggestions_for_schools([school])[school.pk]
    new_head = new_head_suggestion(head_appointed_on)
    return suggestions + ([new_head] if new_head else [])
