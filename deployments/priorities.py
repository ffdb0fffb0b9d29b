"""Why a school may need support, suggested from the imported official data.

Three of the priority reasons can be read from data (docs/programme.md §8.2): results
below the floor standard, a vulnerable school (latest inspection requires
improvement or inadequate, or a category of concern), and a new first-time
head in the first two years of headship. The adviser confirms them; the
fourth (peer challenge) only the head can ask for.

The floor standard is data (applications.models.FloorStandard, docs/programme.md §3.6):
a school is above the floor when its attainment measure reaches the minimum,
or when every progress measure does. A year with no standard recorded is
never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from applications.models import FloorStandard
from lle_portal.models import Inspection, School
from lle_portal.schooldata import (
    BELOW,
    SchoolResults,
    floor_by_year,
    inspection_concern,
    inspection_records,
    results_for_schools,
)

from .models import PriorityReason

# Professional partners mentor new heads "in their first two years of headship" (docs/programme.md §7.4).
NEW_HEAD_YEARS = 2


@dataclass(frozen=True)
class Suggestion:
    reason: str
    evidence: str

    @property
    def label(self) -> str:
        return PriorityReason(self.reason).label

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "evidence": self.evidence}


def _floor_suggestion(school: School, results: SchoolResults, standards: dict) -> Suggestion | None:
    """Below the floor in the latest year of results (the rule is
    lle_portal.schooldata.floor_outcome, the one eligibility uses)."""
    by_year = floor_by_year(school, results, standards)
    if not by_year:
        return None
    year = max(by_year)
    key_stage, outcome = by_year[year]
    if outcome.state != BELOW:
        return None
    standard_text = "; ".join(
        standards[(ks, year)].description for ks in key_stage.split(" and ") if (ks, year) in standards
    )
    evidence = f"{key_stage} {year}: {outcome.figures} (floor: {standard_text})"
    if outcome.needs_check:
        evidence += "; part of that year's rule is not in the data, so check it"
    return Suggestion(PriorityReason.BELOW_FLOOR, evidence)


def _inspection_suggestion(latest_judged: Inspection | None) -> Suggestion | None:
    """Vulnerable: the latest judged inspection (graded or report card; an
    ungraded one carries it) shows a concern, read under its framework."""
    concern = inspection_concern(latest_judged)
    return Suggestion(PriorityReason.VULNERABLE, concern) if concern else None


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
    records = inspection_records(ids)
    results = results_for_schools(ids)
    standards = {(f.key_stage, f.year): f for f in FloorStandard.objects.all()}
    found: dict[int, list[Suggestion]] = {}
    for school in schools:
        found[school.pk] = [
            s for s in (_floor_suggestion(school, results[school.pk], standards),
                        _inspection_suggestion(records[school.pk].judged)) if s
        ]
    return found


def suggest_reasons(school: School, *, head_appointed_on: date | None = None) -> list[Suggestion]:
    """The reasons the data suggests for one school (and its head's start date)."""
    suggestions = suggestions_for_schools([school])[school.pk]
    new_head = new_head_suggestion(head_appointed_on)
    return suggestions + ([new_head] if new_head else [])
