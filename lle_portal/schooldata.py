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
  for inspections and for what applicants declare; report cards use
  `ReportCardGrade`, 1 exceptional to 5 urgent improvement.

Also here: each school's inspections as the rules read them (the latest
judged one, carried by a later ungraded one: `inspection_records`), good
leadership under each framework (`leadership_outcome`), why an inspection
makes a school vulnerable (`inspection_concern`), the floor standard
(`floor_outcome`, `floor_by_year`), the performance criterion
(`performance_outcome`) and the per-round rules they follow (`EligibilityRules`).
Every bulk read runs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db import models

from .formatting import join_words
from .imports.vocab import ungraded_questions_grade
from .models import Grade, Inspection, KeyStage, ReportCardGrade, School, SchoolResult

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
    school_ids: Iterable[int], stages: Iterable[str] = (KeyStage.KS2, KeyStage.KS4)
) -> dict[int, SchoolResults]:
    """Every school's results for the key stages, in one query."""
    ids = {pk for pk in school_ids if pk}
    found: dict[int, SchoolResults] = {pk: SchoolResults() for pk in ids}
    if not ids:
        return found
    rows = SchoolResult.objects.filter(school_id__in=ids, key_stage__in=list(stages)).values_list(
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
    data per key stage and year, docs/programme.md §3.6)."""

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
    known = {m: v for m, v in progress.items() if v is not None}  # all of progress when progress_known
    shown = [f"{standard.attainment_measure} {_fmt(attainment)}"] if attainment is not None else []
    shown += [f"{m} {_fmt(v)}" for m, v in progress.items() if v is not None]
    figures = ", ".join(shown)

    if attainment is not None and standard.attainment_min is not None and attainment >= standard.attainment_min:
        return FloorOutcome(
            ABOVE, f"{_fmt(attainment)}% met the standard (floor {_fmt(standard.attainment_min)}%)", figures=figures
        )
    if progress_known and all(known[m] >= Decimal(str(v)) for m, v in standard.progress_minimums.items()):
        return FloorOutcome(ABOVE, "progress scores at or above the floor", figures=figures)
    attainment_fails = not has_attainment or attainment is not None
    progress_fails = not progress or progress_known
    if attainment_fails and progress_fails:
        minimums = standard.progress_minimums
        # Here every progress measure is known (or there are none), and so is the attainment if it is used.
        failed = [f"{m} {_fmt(known[m])}" for m in progress if known[m] < Decimal(str(minimums[m]))]
        if has_attainment and attainment is not None:
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


# --------------------------------------------------------------------------
# Inspections across frameworks
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionRecord:
    """A school's inspections as the rules read them: the latest of any kind,
    the latest that set its grades (graded or report card), and an ungraded
    inspection since then, which carries those grades forward."""

    latest: Inspection | None = None
    judged: Inspection | None = None
    ungraded_since: Inspection | None = None


def inspection_records(school_ids: Iterable[int]) -> dict[int, InspectionRecord]:
    """Every school's InspectionRecord, in one query."""
    ids = {pk for pk in school_ids if pk}
    by_school: dict[int, list[Inspection]] = {pk: [] for pk in ids}
    if ids:
        for inspection in Inspection.objects.filter(school_id__in=ids).order_by("school_id", "-inspection_date"):
            by_school[inspection.school_id].append(inspection)
    return {pk: _record(inspections) for pk, inspections in by_school.items()}


def _record(newest_first: list[Inspection]) -> InspectionRecord:
    if not newest_first:
        return InspectionRecord()
    judged = next((i for i in newest_first if i.is_judged), None)
    ungraded = newest_first[0] if not newest_first[0].is_judged else None
    if ungraded and judged and ungraded.inspection_date < judged.inspection_date:
        ungraded = None
    return InspectionRecord(latest=newest_first[0], judged=judged, ungraded_since=ungraded)


@dataclass(frozen=True)
class EligibilityRules:
    """What counts, per application round (ApplicationRound.eligibility_rules
    overrides these defaults; docs/programme.md §3.3, §3.5).

    - good leadership: in a graded inspection (to November 2025) leadership
      and management among `good_leadership_grades`; in a report card,
      leadership and governance at `report_card_leadership_at_least` or better
      (the scale runs 1 exceptional to 5 urgent improvement); an ungraded
      inspection carries the previous judgement.
    - performance, for years without a floor standard: the headline measure
      at or above the England average in the latest published year, or
      rising in each of the last `improving_years` published years.
    """

    good_leadership_grades: tuple[int, ...] = (Grade.OUTSTANDING, Grade.GOOD)
    report_card_leadership_at_least: int = 3  # expected standard
    high_performance: bool = True
    improving_years: int = 3

    @classmethod
    def from_data(cls, data: Mapping | None) -> EligibilityRules:
        """The rules a round stored; a value that is missing or not one the
        rules allow keeps its default (the check never fails on a bad round)."""
        data = data if isinstance(data, Mapping) else {}
        defaults = cls()

        def pick(key: str, convert, allowed):
            try:
                value = convert(data[key])
            except (KeyError, TypeError, ValueError):
                return getattr(defaults, key)
            return value if allowed(value) else getattr(defaults, key)

        return cls(
            good_leadership_grades=pick("good_leadership_grades", lambda v: tuple(sorted({int(g) for g in v})),
                                        lambda v: bool(v) and set(v) <= set(Grade.values)),
            report_card_leadership_at_least=pick("report_card_leadership_at_least", int,
                                                 lambda v: v in ReportCardGrade.values),
            high_performance=pick("high_performance", lambda v: v if isinstance(v, bool) else None,
                                  lambda v: v is not None),
            improving_years=pick("improving_years", int, lambda v: 2 <= v <= 5),
        )

    def as_data(self) -> dict:
        return {
            "good_leadership_grades": list(self.good_leadership_grades),
            "report_card_leadership_at_least": self.report_card_leadership_at_least,
            "high_performance": self.high_performance,
            "improving_years": self.improving_years,
        }


GOOD, NOT_GOOD = "good", "not_good"


@dataclass(frozen=True)
class LeadershipOutcome:
    """good, not_good or unknown, with the reason a head would read and the figures."""

    state: str
    why: str
    figures: str = ""


def _on(inspection: Inspection) -> str:
    return f"{inspection.inspection_date:%-d %B %Y}"


def leadership_outcome(record: InspectionRecord, rules: EligibilityRules | None = None) -> LeadershipOutcome:
    """Whether the latest judged inspection shows good leadership, under its framework."""
    rules = rules or EligibilityRules()
    judged = record.judged
    if judged is None:
        if record.latest is not None:
            return LeadershipOutcome(UNKNOWN, "the portal holds only an ungraded inspection, with no grade to carry",
                                     f"Ungraded inspection {_on(record.latest)}")
        return LeadershipOutcome(UNKNOWN, "the portal holds no inspection for your school", "No inspection on record")
    if judged.inspection_type == Inspection.Type.REPORT_CARD:
        area = judged.evaluation_areas.get("leadership_and_governance")
        area_label = judged.evaluation_area_label("leadership_and_governance").lower()
        figures = f"Report card {_on(judged)}: leadership and governance {area_label}"
        if judged.safeguarding == Inspection.Safeguarding.NOT_MET:
            return LeadershipOutcome(NOT_GOOD, "safeguarding was not met at the latest inspection", figures +
                                     "; safeguarding not met")
        if area is None:
            return LeadershipOutcome(UNKNOWN, "the report card's leadership and governance grade is not in the data",
                                     figures)
        wanted = ReportCardGrade(rules.report_card_leadership_at_least).label.lower()
        if area <= rules.report_card_leadership_at_least:
            outcome = LeadershipOutcome(GOOD, f"leadership and governance was {ReportCardGrade(area).label.lower()} "
                                        f"(the round asks for {wanted} or better)", figures)
        else:
            outcome = LeadershipOutcome(NOT_GOOD, f"leadership and governance was "
                                        f"{ReportCardGrade(area).label.lower()}; the round asks for {wanted} or better",
                                        figures)
    else:
        grade = judged.leadership_and_management
        figures = f"Inspected {_on(judged)}: " + (
            f"leadership and management {grade_words(grade)}" if grade
            else f"overall effectiveness {judged.overall_label.lower()} (leadership grade not in the data)"
        )
        if grade is None:
            return LeadershipOutcome(UNKNOWN, "the official record gives the overall grade only", figures)
        wanted = " or ".join(grade_words(g) for g in sorted(rules.good_leadership_grades, reverse=True))
        if grade in rules.good_leadership_grades:
            outcome = LeadershipOutcome(GOOD, f"leadership and management was {grade_words(grade)}", figures)
        else:
            outcome = LeadershipOutcome(NOT_GOOD, f"leadership and management was {grade_words(grade)}; "
                                        f"it must be {wanted}", figures)
    ungraded = record.ungraded_since
    if ungraded is not None:
        outcome_text = ungraded.ungraded_outcome or "outcome not in the data"
        figures = f"{outcome.figures}; ungraded inspection {_on(ungraded)}: {outcome_text}"
        if ungraded_questions_grade(ungraded.ungraded_outcome):
            return LeadershipOutcome(UNKNOWN, f"an ungraded inspection on {_on(ungraded)} questioned the previous "
                                     f"grade ({outcome_text})", figures)
        return LeadershipOutcome(outcome.state, f"{outcome.why}, carried by the ungraded inspection of "
                                 f"{_on(ungraded)}", figures)
    return outcome


def inspection_concern(inspection: Inspection | None) -> str:
    """Why the latest judged inspection makes a school vulnerable (docs/programme.md §8.2), or ""."""
    if inspection is None:
        return ""
    on = f"Inspected {_on(inspection)}"
    if inspection.category_of_concern:
        return f"{on}: {inspection.get_category_of_concern_display().lower()}"
    if inspection.safeguarding == Inspection.Safeguarding.NOT_MET:
        return f"{on}: safeguarding not met"
    if inspection.overall_effectiveness in CONCERN_GRADES:
        return f"{on}: overall effectiveness {inspection.overall_label.lower()}"
    # Leadership below good is a concern under any graded framework (and the
    # reason eligibility finds leadership not good: the two always agree).
    weak = ["leadership and management"] if inspection.leadership_and_management in CONCERN_GRADES else []
    if inspection.framework == Inspection.Framework.NO_OVERALL_GRADE:
        weak += [label.lower() for key, label in Inspection.JUDGEMENTS.items()
                 if inspection.judgements.get(key) in CONCERN_GRADES]
    if weak:
        return f"{on}: {', '.join(weak)} below good"
    weak_areas = [label.lower() for key, label in Inspection.EVALUATION_AREAS.items()
                  if (inspection.evaluation_areas.get(key) or 0) >= ReportCardGrade.NEEDS_ATTENTION]
    if weak_areas:
        return f"{on}: {', '.join(weak_areas)} needs attention or urgent improvement"
    return ""


# --------------------------------------------------------------------------
# Performance: high, or continued improvement (years without a floor standard)
# --------------------------------------------------------------------------

# The headline measure of each key stage, judged every year it is published.
HEADLINE_MEASURES: dict[str, str] = {KeyStage.KS2: "PTRWM_EXP", KeyStage.KS4: "ATT8SCR"}
MET_STATE, NOT_MET_STATE = "met", "not_met"


@dataclass(frozen=True)
class PerformanceOutcome:
    state: str  # met, not_met or unknown
    why: str
    figures: str = ""


def england_averages() -> dict[tuple[str, str, int], Decimal | None]:
    """(key stage, measure, year) -> the published England average of the
    headline measures, every year (a few dozen rows), in one query."""
    from .models import AreaResult

    rows = AreaResult.objects.filter(
        area_code=AreaResult.ENGLAND, measure__in=list(HEADLINE_MEASURES.values())
    ).values_list("key_stage", "measure", "year", "value")
    return {(ks, m, y): v for ks, m, y, v in rows}


def performance_outcome(
    school: School | None,
    results: SchoolResults,
    averages: Mapping[tuple[str, str, int], Decimal | None],
    rules: EligibilityRules | None = None,
) -> PerformanceOutcome:
    """High performance (the headline measure at or above the England average
    in the latest published year) OR continued improvement (rising in each
    of the last N published years). Suppressed years are never read as zero:
    what they hide is "to be verified"."""
    rules = rules or EligibilityRules()
    outcomes = []
    for key_stage in key_stages(school):
        measure = HEADLINE_MEASURES[key_stage]
        years = [y for y, values in results.years(key_stage).items() if measure in values]
        if years:
            outcomes.append((key_stage, _performance_one(key_stage, measure, results, years, averages, rules)))
    if not outcomes:
        return PerformanceOutcome(UNKNOWN, "the portal holds no published headline results for your school",
                                  "No results on record")
    if len(outcomes) == 1:
        return outcomes[0][1]
    for state in (NOT_MET_STATE, UNKNOWN, MET_STATE):
        if any(o.state == state for _, o in outcomes):
            return PerformanceOutcome(state, "; ".join(f"{ks}: {o.why}" for ks, o in outcomes),
                                      "; ".join(f"{ks}: {o.figures}" for ks, o in outcomes))
    raise AssertionError("unreachable")


def _performance_one(key_stage, measure, results, years, averages, rules) -> PerformanceOutcome:
    label = "% reaching the expected standard in reading, writing and maths" if key_stage == KeyStage.KS2 \
        else "Attainment 8"
    unit = "%" if key_stage == KeyStage.KS2 else ""
    window = sorted(years)[-rules.improving_years:]
    values = [results.years(key_stage)[y].get(measure) for y in window]
    figures = f"{label}: " + ", ".join(
        f"{y} {_fmt(v)}{unit}" if v is not None
        else f"{y} not published ({results.marker(key_stage, y, measure) or 'missing'})"
        for y, v in zip(window, values, strict=True)
    )
    latest_year, latest = window[-1], values[-1]
    average = averages.get((key_stage, measure, latest_year))
    if average is not None:
        figures += f"; England {latest_year} {_fmt(average)}{unit}"

    high: bool | None = None
    if rules.high_performance:
        high = None if latest is None or average is None else latest >= average
    if len(window) < rules.improving_years or any(v is None for v in values):
        improving: bool | None = None
    else:
        improving = all(b > a for a, b in zip(values, values[1:], strict=False))

    # The reason names its measure: "2025: 72%" alone does not say of what.
    result = "" if latest is None else (
        f"{_fmt(latest)}% reaching the expected standard in reading, writing and maths"
        if key_stage == KeyStage.KS2 else f"Attainment 8 score {_fmt(latest)}")
    if high:
        return PerformanceOutcome(MET_STATE, f"{latest_year}: {result}, at or above the England "
                                  f"average of {_fmt(average)}{unit}", figures)
    if improving:
        return PerformanceOutcome(MET_STATE, f"results rose in each of the last {len(window)} published years "
                                  f"({join_words(window)})", figures)
    if high is False and improving is False:
        return PerformanceOutcome(NOT_MET_STATE, f"{latest_year}: {result}, below the England average "
                                  f"of {_fmt(average)}{unit}, and results did not rise in each of "
                                  f"{join_words(window)}", figures)
    if not rules.high_performance and improving is False:
        return PerformanceOutcome(NOT_MET_STATE, f"results did not rise in each of {join_words(window)}", figures)
    missing = []
    if high is None and rules.high_performance:
        missing.append(f"the {latest_year} result or its England average is not published")
    if improving is None:
        missing.append(f"fewer than {rules.improving_years} published years to show improvement"
                       if len(window) < rules.improving_years or all(v is not None for v in values)
                       else "a year in the window is not published (suppressed or missing)")
    return PerformanceOutcome(UNKNOWN, "; ".join(missing), figures)
