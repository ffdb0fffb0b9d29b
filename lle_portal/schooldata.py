"""The rules about official school data, in one place.

Eligibility (applications), support-need priorities and matching
(deployments) and the impact analysis all read schools' official data. The
answers to "which key stage is this school judged on", "what is its latest
inspection", "is it above the floor standard", "which academic year is this"
and "what does grade 3 mean" are given here, once, so those apps cannot
drift apart again (issue 12: the floor rule and the phase mapping had
already diverged between copies).

Conventions:

- **Academic year**: named by the calendar year it *ends* in, as the DfE
  names results (2019 is 2018/19, 1 September 2018 to 31 August 2019).
- **Key stages**: a school is judged on the key stages its phase ends with;
  an all-through school on both KS2 and KS4, and a year is below the floor
  when either key stage with results is below it.
- **Grades**: `Grade` (lle_portal.models), 1 outstanding to 4 inadequate,
  for inspections and for what applicants declare.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.db import models

from .models import Grade, Inspection, KeyStage, School, SchoolResult

# --------------------------------------------------------------------------
# Academic years (named by the year they end in)
# --------------------------------------------------------------------------


def academic_year_of(day: date) -> int:
    """The academic year a day falls in, named by the year it ends in."""
    return day.year + 1 if day.month >= 9 else day.year


def academic_year_dates(year: int) -> tuple[date, date]:
    """1 September of year-1 to 31 August of `year`: the academic year ending in `year`."""
    return date(year - 1, 9, 1), date(year, 8, 31)


def academic_year_label(year: int) -> str:
    """2019 -> "2018/19"."""
    return f"{year - 1}/{str(year)[-2:]}"


# --------------------------------------------------------------------------
# Phases and key stages
# --------------------------------------------------------------------------


class PhaseGroup(models.TextChoices):
    """The phases the programme speaks of: what an LLE offers, what a client
    school is, what an analysis filters by."""

    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    SPECIAL = "special", "Special"
    ALL_THROUGH = "all_through", "All-through"
    NURSERY = "nursery", "Nursery"


# The key stages whose results a school of each GIAS phase publishes.
KEY_STAGES_OF_PHASE: dict[str, tuple[str, ...]] = {
    School.Phase.PRIMARY: (KeyStage.KS2,),
    School.Phase.MIDDLE_PRIMARY: (KeyStage.KS2,),
    School.Phase.SECONDARY: (KeyStage.KS4,),
    School.Phase.MIDDLE_SECONDARY: (KeyStage.KS4,),
    School.Phase.ALL_THROUGH: (KeyStage.KS2, KeyStage.KS4),
}

PHASE_GROUP_OF_PHASE: dict[str, str] = {
    School.Phase.PRIMARY: PhaseGroup.PRIMARY,
    School.Phase.MIDDLE_PRIMARY: PhaseGroup.PRIMARY,
    School.Phase.SECONDARY: PhaseGroup.SECONDARY,
    School.Phase.MIDDLE_SECONDARY: PhaseGroup.SECONDARY,
    School.Phase.SIXTEEN_PLUS: PhaseGroup.SECONDARY,
    School.Phase.ALL_THROUGH: PhaseGroup.ALL_THROUGH,
    School.Phase.NURSERY: PhaseGroup.NURSERY,
}


def key_stages(school: School | None) -> tuple[str, ...]:
    """The key stages a school's results are judged on (both for an all-through school)."""
    if school is None:
        return ()
    return KEY_STAGES_OF_PHASE.get(school.phase, ())


def phase_group(school: School) -> str:
    """The school's phase in the programme's words; "" when not known. A special
    school is special whatever its phase."""
    if school.is_special:
        return PhaseGroup.SPECIAL
    return PHASE_GROUP_OF_PHASE.get(school.phase, "")


def phases_with_key_stage(key_stage: str) -> tuple[str, ...]:
    """The GIAS phases whose schools publish results for a key stage (an
    analysis filtered to "primary" keeps all-through schools)."""
    return tuple(phase for phase, stages in KEY_STAGES_OF_PHASE.items() if key_stage in stages)


# --------------------------------------------------------------------------
# Grades
# --------------------------------------------------------------------------

GOOD_OR_BETTER = (Grade.OUTSTANDING, Grade.GOOD)
CONCERN_GRADES = (Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE)


def grade_words(value: int | None) -> str:
    """A grade in a sentence: "good", "requires improvement"; "not given" for none."""
    return Grade(value).label.lower() if value else "not given"


# --------------------------------------------------------------------------
# Bulk reads: latest inspection, last N years of results
# --------------------------------------------------------------------------


def latest_inspections(school_ids: Iterable[int]) -> dict[int, Inspection | None]:
    """Each school's latest inspection (None if it has none), in one query."""
    ids = {pk for pk in school_ids if pk}
    latest: dict[int, Inspection | None] = dict.fromkeys(ids)
    if ids:
        rows = Inspection.objects.filter(school_id__in=ids).order_by("school_id", "-inspection_date").distinct(
            "school_id"
        )
        latest.update((inspection.school_id, inspection) for inspection in rows)
    return latest


YearValues = dict[str, Decimal | None]  # measure -> value (None: suppressed or missing)


@dataclass
class SchoolResults:
    """One school's published results: key stage -> year -> measure -> value."""

    by_key_stage: dict[str, dict[int, YearValues]] = field(default_factory=dict)
    # key stage -> year -> measure -> the published marker of a missing value (SUPP, NE…)
    markers: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)

    def years(self, key_stage: str) -> dict[int, YearValues]:
        return self.by_key_stage.get(key_stage, {})

    def marker(self, key_stage: str, year: int, measure: str) -> str:
        return self.markers.get(key_stage, {}).get(year, {}).get(measure, "")

    def all_years(self) -> list[int]:
        return sorted({year for years in self.by_key_stage.values() for year in years})

    def last_years(self, n: int) -> list[int]:
        """The last n years with any published row (a school with no 2020 or
        2021 results, when none were published, has 2019 before 2022)."""
        return self.all_years()[-n:]


def results_for_schools(
    school_ids: Iterable[int], key_stages: Iterable[str] = (KeyStage.KS2, KeyStage.KS4)
) -> dict[int, SchoolResults]:
    """Every school's results for the key stages, in one query."""
    ids = {pk for pk in school_ids if pk}
    found: dict[int, SchoolResults] = {pk: SchoolResults() for pk in ids}
    if not ids:
        return found
    rows = SchoolResult.objects.filter(school_id__in=ids, key_stage__in=list(key_stages)).values_list(
        "school_id", "key_stage", "year", "measure", "value", "marker"
    )
    for school_id, key_stage, year, measure, value, marker in rows.order_by("year"):
        school = found[school_id]
        school.by_key_stage.setdefault(key_stage, {}).setdefault(year, {})[measure] = value
        if marker:
            school.markers.setdefault(key_stage, {}).setdefault(year, {})[measure] = marker
    return found


# --------------------------------------------------------------------------
# The floor standard
# --------------------------------------------------------------------------


class FloorRule(Protocol):
    """What a floor standard says (applications.models.FloorStandard; kept as
    data per key stage and year, DESIGN.md §3)."""

    key_stage: str
    year: int
    attainment_measure: str
    attainment_min: Decimal | None
    progress_minimums: dict
    fail_needs_verification: bool
    description: str


ABOVE, BELOW, UNKNOWN = "above", "below", "unknown"


@dataclass(frozen=True)
class FloorOutcome:
    """One year's results against its floor standard.

    `state` is above, below or unknown. Below with `needs_check` means the part
    of that year's rule in the data fails and the rest (not published) must be
    checked before anyone says "below the floor".
    """

    state: str
    why: str
    needs_check: bool = False
    figures: str = ""


def _fmt(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():f}"


def floor_outcome(standard: FloorRule | None, values: Mapping[str, Decimal | None]) -> FloorOutcome:
    """A school is above the floor when its attainment measure reaches the
    minimum, OR every progress measure does; below only when the data shows
    every published part of the rule failing."""
    if standard is None:
        return FloorOutcome(UNKNOWN, "no floor standard is recorded for that year")
    has_attainment = bool(standard.attainment_measure) and standard.attainment_min is not None
    if not has_attainment and not standard.progress_minimums:
        return FloorOutcome(UNKNOWN, "that year's floor standard names no measure")
    attainment = values.get(standard.attainment_measure) if has_attainment else None
    progress = {m: values.get(m) for m in standard.progress_minimums}
    progress_known = bool(progress) and all(v is not None for v in progress.values())
    shown = [f"{standard.attainment_measure} {_fmt(attainment)}"] if attainment is not None else []
    shown += [f"{m} {_fmt(v)}" for m, v in progress.items() if v is not None]
    figures = ", ".join(shown)

    if has_attainment and attainment is not None and attainment >= standard.attainment_min:
        return FloorOutcome(
            ABOVE, f"{_fmt(attainment)}% met the standard (floor {_fmt(standard.attainment_min)}%)", figures=figures
        )
    if progress_known and all(progress[m] >= Decimal(str(v)) for m, v in standard.progress_minimums.items()):
        return FloorOutcome(ABOVE, "progress scores at or above the floor", figures=figures)
    attainment_fails = not has_attainment or attainment is not None
    progress_fails = not progress or progress_known
    if attainment_fails and progress_fails:
        minimums = standard.progress_minimums
        failed = [f"{m} {_fmt(progress[m])}" for m in progress if progress[m] < Decimal(str(minimums[m]))]
        if has_attainment:
            failed.insert(0, f"{standard.attainment_measure} {_fmt(attainment)}")
        if standard.fail_needs_verification:
            return FloorOutcome(
                BELOW, f"{', '.join(failed)} is below the floor, and the rest of that year's rule is not in the data",
                needs_check=True, figures=figures,
            )
        return FloorOutcome(BELOW, f"below the floor ({', '.join(failed)})", figures=figures)
    if attainment is None and not any(v is not None for v in progress.values()):
        return FloorOutcome(UNKNOWN, "the results are not published (suppressed or missing)", figures=figures)
    return FloorOutcome(UNKNOWN, "some of the results are not published", figures=figures)


def floor_by_year(
    school: School | None, results: SchoolResults, standards: Mapping[tuple[str, int], FloorRule]
) -> dict[int, tuple[str, FloorOutcome]]:
    """year -> (key stages, outcome) for every year the school has results for
    a key stage it is judged on. For an all-through school, a year is below
    when either key stage is, unknown when either cannot be read."""
    per_year: dict[int, list[tuple[str, FloorOutcome]]] = defaultdict(list)
    for key_stage in key_stages(school):
        for year, values in results.years(key_stage).items():
            per_year[year].append((key_stage, floor_outcome(standards.get((key_stage, year)), values)))
    combined = {}
    for year in sorted(per_year):
        outcomes = per_year[year]
        if len(outcomes) == 1:
            combined[year] = outcomes[0]
            continue
        label = " and ".join(ks for ks, _ in outcomes)
        for state in (BELOW, UNKNOWN, ABOVE):
            picked = [(ks, o) for ks, o in outcomes if o.state == state]
            if picked:
                why = "; ".join(f"{ks}: {o.why}" for ks, o in outcomes)
                figures = "; ".join(f"{ks}: {o.figures}" for ks, o in outcomes if o.figures)
                needs_check = state == BELOW and all(o.needs_check for _, o in picked)
                combined[year] = (label, FloorOutcome(state, why, needs_check, figures))
                break
    return combined
