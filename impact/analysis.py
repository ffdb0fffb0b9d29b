"""Pupil-performance change in supported schools and LLE schools against the
LA average (docs/programme.md §11.1: "+16.9 points in supported schools
against +1.1 for Norfolk"), computed from the official results the portal imports.

For a measure and a pair of years, each group's figure is the average of its
schools' changes (later value minus earlier value) over the schools that have
a value in both years:

- supported schools: client schools of the LA's deployments that were under
  way at some point in the later academic year (1 September to 31 August);
- LLE schools: the schools of the programme's LLEs that year (`programme_lles`);
- all schools of the LA, computed the same way;
- the published LA and England averages, where the files have them;
- all schools in England computed the same way, shown only when the portal
  holds England's schools for the measure (the national files): schools
  compared in at least NATIONAL_MIN_LAS local authorities. Otherwise the
  schools the portal holds are one LA or a few, and "England" would be them.

A school with a missing value in either year (suppressed, not published, no
row) is left out and counted. Schools are compared only with the same measure:
the KS2 headline changed its definition (L4+ English and maths, then L4+
reading, writing and maths, then the expected standard), so a school whose
headline is a different measure in the two years is left out and counted as
"changed measure". Published averages are compared only when both years
publish the same measure.

Everything here reads; nothing writes. `performance_table` runs a fixed
number of queries (five) whatever the number of schools or deployments, and
its result is cached until the next import of results.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Avg, Count, Q

from applications.models import LLEProfile, LLEProfileQuerySet
from deployments.models import Deployment
from lle_portal.academic_years import academic_year_dates
from lle_portal.models import AreaResult, KeyStage, LocalAuthority, School, SchoolResult
from lle_portal.schooldata import phases_with_key_stage

ONE_DP = Decimal("0.1")


@dataclass(frozen=True)
class AnalysisMeasure:
    """A measure people choose; `family` lists the DfE columns that have carried
    it over the years, newest last. A school is compared only when it has the
    same column in both years."""

    key: str
    label: str
    key_stage: str
    family: tuple[str, ...]
    unit: str = "points"


ANALYSIS_MEASURES: dict[str, AnalysisMeasure] = {
    m.key: m
    for m in (
        AnalysisMeasure(
            "KS2_HEADLINE", "KS2 headline: % at the expected level in English (or reading and writing) and maths",
            KeyStage.KS2, ("PTENGMATX", "PTREADWRITTAMATX", "PTRWM_EXP"), "percentage points",
        ),
        AnalysisMeasure("KS1APS", "KS1 average point score in reading, writing and maths", KeyStage.KS1, ("KS1APS",)),
        AnalysisMeasure("TAPS", "KS2 average point score", KeyStage.KS2, ("TAPS",)),
        AnalysisMeasure("MATPROG", "KS2 maths progress score", KeyStage.KS2, ("MATPROG",)),
        AnalysisMeasure("READPROG", "KS2 reading progress score", KeyStage.KS2, ("READPROG",)),
        AnalysisMeasure("WRITPROG", "KS2 writing progress score", KeyStage.KS2, ("WRITPROG",)),
        AnalysisMeasure("P8MEA", "KS4 Progress 8", KeyStage.KS4, ("P8MEA",)),
        AnalysisMeasure("ATT8SCR", "KS4 Attainment 8", KeyStage.KS4, ("ATT8SCR",)),
        AnalysisMeasure(
            "PTL2BASICS_95", "KS4 % grade 5 or above in English and maths", KeyStage.KS4, ("PTL2BASICS_95",),
            "percentage points",
        ),
    )
}
DEFAULT_MEASURE = "KS2_HEADLINE"

# The phases a person filters by, and the school phases each covers: those
# publishing that key stage (an all-through school is in both).
PHASES: dict[str, tuple[str, ...]] = {
    "primary": phases_with_key_stage(KeyStage.KS2),
    "secondary": phases_with_key_stage(KeyStage.KS4),
}

SUPPORTED, LLE_SCHOOLS, LA_SCHOOLS, LA_PUBLISHED, ENGLAND_SCHOOLS, ENGLAND_PUBLISHED = (
    "supported", "lle", "la", "la_published", "england", "england_published",
)

# England's schools publish results in 150 to 153 local authorities (it varies
# over the years with reorganisations). Schools compared in at least 90% of them
# means the portal holds the national file for the measure, so an England
# figure computed from schools is England's, not the LAs' whose files were loaded.
NATIONAL_MIN_LAS = 135


# The academic year ending in `year` (the one convention, lle_portal.schooldata).
academic_year = academic_year_dates


def _one_dp(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    rounded = value.quantize(ONE_DP, rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)  # never "-0.0"


@dataclass(frozen=True)
class GroupChange:
    key: str
    label: str
    # Schools compared (a value in both years, the same measure); None for a published average.
    schools: int | None
    missing: int = 0            # left out: a value missing in one year or both
    changed_measure: int = 0    # left out: a different measure in the two years
    no_results: int = 0         # in the group but with no result for this measure in either year
    before: Decimal | None = None
    after: Decimal | None = None
    change: Decimal | None = None

    @property
    def published(self) -> bool:
        return self.schools is None

    @property
    def left_out(self) -> int:
        return self.missing + self.changed_measure

    @property
    def change_display(self) -> str:
        if self.change is None:
            return "—"
        return f"{self.change:+.1f}" if self.change else "0.0"


@dataclass(frozen=True)
class PerformanceTable:
    local_authority: LocalAuthority
    measure: AnalysisMeasure
    year_from: int
    year_to: int
    phase: str
    rows: tuple[GroupChange, ...]
    # The DfE columns the years used, e.g. {2011: "PTENGMATX", 2012: "PTENGMATX"}.
    columns: dict[int, list[str]]

    def row(self, key: str) -> GroupChange | None:
        return next((row for row in self.rows if row.key == key), None)

    # England computed from schools is shown only when the portal holds England's schools.
    england_from_schools: bool = False

    @property
    def shown_rows(self) -> tuple[GroupChange, ...]:
        """The rows people see: all but an England computed from the few LAs' schools the portal holds."""
        return tuple(row for row in self.rows if row.key != ENGLAND_SCHOOLS or self.england_from_schools)

    @property
    def comparable(self) -> bool:
        return any(row.change is not None for row in self.shown_rows)

    @property
    def england_note(self) -> str:
        """Where England's figure comes from, when it is not computed from England's schools."""
        if self.england_from_schools:
            return ""
        if self.row(ENGLAND_PUBLISHED) is not None:
            return ("England is the published average: the portal does not hold every school in England's "
                    "results for this measure, so no England figure is computed from schools.")
        return ("No England figure: the published England average for these years is not held, and the portal "
                "does not hold every school in England's results for this measure.")

    @property
    def columns_differ(self) -> bool:
        return set(self.columns.get(self.year_from, [])) != set(self.columns.get(self.year_to, []))


def deployments_under_way(local_authority: LocalAuthority, year: int):
    """The LA's deployments under way at some point of the academic year ending in `year`."""
    start, end = academic_year(year)
    return (
        Deployment.objects.delivered().filter(
            client_school__local_authority=local_authority,
            start_date__lte=end,
        )
        .filter(Q(finished_at__isnull=True, end_date__gte=start) | Q(finished_at__date__gte=start))
    )


def supported_school_ids(local_authority: LocalAuthority, year: int) -> set[int]:
    """Client schools of deployments under way during the academic year ending in `year`."""
    return set(deployments_under_way(local_authority, year).values_list("client_school_id", flat=True))


def programme_lles(local_authority: LocalAuthority, year: int):
    """The programme's LLEs in the LA in the academic year ending in `year`: the
    LLEs of its schools designated by the end of the year and not stood down
    before it began (LLEProfile.serving_during), and any LLE who supported one of
    its schools that year. The one rule for "LLEs" on the dashboard, in the
    report and for the "LLE schools" of the performance table."""
    start, end = academic_year(year)
    return LLEProfile.objects.filter(
        (Q(school__local_authority=local_authority) & LLEProfileQuerySet.serving_q(start, end))
        | Q(pk__in=deployments_under_way(local_authority, year).values("lle_id"))
    )


def lle_school_ids(local_authority: LocalAuthority, year: int) -> set[int]:
    """Schools of the programme's LLEs in the academic year ending in `year`."""
    return set(programme_lles(local_authority, year).values_list("school_id", flat=True))


def _compare(
    key: str, label: str, members, values: dict[int, dict[int, tuple[str, Decimal | None]]],
    year_from: int, year_to: int,
) -> GroupChange:
    """The average change over `members` (school ids); `values[school][year]` is
    (column, value or None) for the family's column the school has that year."""
    compared: list[tuple[Decimal, Decimal]] = []
    missing = changed = no_results = 0
    for school_id in members:
        years = values.get(school_id)
        if not years:
            no_results += 1
            continue
        earlier, later = years.get(year_from), years.get(year_to)
        if earlier and later and earlier[0] != later[0]:
            changed += 1
        elif earlier is None or later is None or earlier[1] is None or later[1] is None:
            missing += 1
        else:
            compared.append((earlier[1], later[1]))
    if not compared:
        return GroupChange(key, label, 0, missing, changed, no_results)
    n = len(compared)
    before = sum((e for e, _ in compared), Decimal(0)) / n
    after = sum((lt for _, lt in compared), Decimal(0)) / n
    change = sum((lt - e for e, lt in compared), Decimal(0)) / n
    return GroupChange(key, label, n, missing, changed, no_results, _one_dp(before), _one_dp(after), _one_dp(change))


def _published(key: str, label: str, rows: dict[int, tuple[str, Decimal | None]], year_from: int, year_to: int):
    earlier, later = rows.get(year_from), rows.get(year_to)
    if not earlier or not later or earlier[0] != later[0] or earlier[1] is None or later[1] is None:
        return None
    return GroupChange(key, label, None, before=_one_dp(earlier[1]), after=_one_dp(later[1]),
                       change=_one_dp(later[1] - earlier[1]))


def newest_in_family(found: dict[str, Decimal | None], family: tuple[str, ...]) -> tuple[str, Decimal | None]:
    """A school (or area) normally has one column of the family in a year; if a
    file had two, the newest definition wins."""
    column = next(c for c in reversed(family) if c in found)
    return column, found[column]


def performance_table(
    *, local_authority: LocalAuthority, measure: str = DEFAULT_MEASURE, year_from: int, year_to: int,
    phase: str = "",
) -> PerformanceTable:
    """The comparison table (docs/programme.md §11.1) for one LA, measure and pair
    of years (cached until results are imported again)."""
    key = f"impact:table:{results_version()}:{local_authority.pk}:{measure}:{year_from}:{year_to}:{phase}"
    table = cache.get(key)
    if table is None:
        table = _performance_table(local_authority, ANALYSIS_MEASURES[measure], year_from, year_to, phase)
        cache.set(key, table, 60 * 60)
    return table


def _performance_table(
    local_authority: LocalAuthority, measure: AnalysisMeasure, year_from: int, year_to: int, phase: str
) -> PerformanceTable:
    years = (year_from, year_to)
    phases = PHASES.get(phase)

    # 1. Every school's values for the family in the two years, across England.
    results = SchoolResult.objects.filter(key_stage=measure.key_stage, measure__in=measure.family, year__in=years)
    if phases:
        results = results.filter(school__phase__in=phases)
    found: dict[int, dict[int, dict[str, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
    la_ids: set[int] = set()
    la_of: dict[int, int | None] = {}
    columns: dict[int, set[str]] = defaultdict(set)
    for school_id, la_id, column, year, value in results.values_list(
        "school_id", "school__local_authority_id", "measure", "year", "value"
    ).iterator(chunk_size=5000):
        found[school_id][year][column] = value
        la_of[school_id] = la_id
        columns[year].add(column)
        if la_id == local_authority.pk:
            la_ids.add(school_id)
    values = {
        school_id: {year: newest_in_family(cols, measure.family) for year, cols in by_year.items()}
        for school_id, by_year in found.items()
    }

    # 2-3. The groups (their members may have no results: counted as such).
    supported = supported_school_ids(local_authority, year_to)
    lles = lle_school_ids(local_authority, year_to)
    if phases:
        # Members of another phase drop out; one query for both groups.
        in_phase = set(School.objects.filter(pk__in=supported | lles, phase__in=phases).values_list("pk", flat=True))
        supported &= in_phase
        lles &= in_phase

    # 4-5. Published averages of the LA and England.
    published: dict[str, dict[int, dict[str, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
    for area, column, year, value in AreaResult.objects.filter(
        area_code__in=[local_authority.code, AreaResult.ENGLAND], key_stage=measure.key_stage,
        measure__in=measure.family, year__in=years,
    ).values_list("area_code", "measure", "year", "value"):
        published[area][year][column] = value
    area_rows = {
        area: {year: newest_in_family(cols, measure.family) for year, cols in by_year.items()}
        for area, by_year in published.items()
    }

    rows = [
        _compare(SUPPORTED, "Supported schools", supported, values, year_from, year_to),
        _compare(LLE_SCHOOLS, "LLE schools", lles, values, year_from, year_to),
        _compare(LA_SCHOOLS, f"All schools in {local_authority.name}", la_ids, values, year_from, year_to),
    ]
    la_published = _published(LA_PUBLISHED, f"{local_authority.name} average (published)",
                              area_rows.get(local_authority.code, {}), year_from, year_to)
    if la_published:
        rows.append(la_published)
    england = _compare(ENGLAND_SCHOOLS, "All schools in England", values.keys(), values, year_from, year_to)
    england_las = {la_of[school_id] for school_id in _compared(values, year_from, year_to)} - {None}
    if england.schools:
        england = replace(england, label=f"England, computed from {england.schools:,} schools")
    rows.append(england)
    england_published = _published(ENGLAND_PUBLISHED, "England (published average)",
                                   area_rows.get(AreaResult.ENGLAND, {}), year_from, year_to)
    if england_published:
        rows.append(england_published)
    return PerformanceTable(
        local_authority=local_authority, measure=measure, year_from=year_from, year_to=year_to, phase=phase,
        rows=tuple(rows), columns={year: sorted(cols) for year, cols in columns.items()},
        england_from_schools=len(england_las) >= NATIONAL_MIN_LAS,
    )


def _compared(values: dict[int, dict[int, tuple[str, Decimal | None]]], year_from: int, year_to: int):
    """The schools `_compare` compares: a value in both years, the same column."""
    for school_id, years in values.items():
        earlier, later = years.get(year_from), years.get(year_to)
        if earlier and later and earlier[0] == later[0] and earlier[1] is not None and later[1] is not None:
            yield school_id


def results_version() -> int:
    """Changes whenever results are imported, so cached tables are not served stale."""
    from lle_portal.models import ImportJob

    version = cache.get("impact:results-version")
    if version is None:
        version = ImportJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        version = f"{version}:{SchoolResult.objects.count()}"
        cache.set("impact:results-version", version, 60)
    return version


@dataclass(frozen=True)
class TrendPoint:
    year: int
    column: str
    school: Decimal | None
    school_marker: str
    la_average: Decimal | None       # mean over the LA's schools with a value that year
    la_schools: int
    la_published: Decimal | None


def school_trend(school: School, measure: str = DEFAULT_MEASURE) -> list[TrendPoint]:
    """A school's results for a measure over the years beside the LA average of
    the same column that year. One query, and two more when the LA's averages
    are not cached."""
    m = ANALYSIS_MEASURES[measure]
    own = {
        (year, column): (value, marker)
        for column, year, value, marker in SchoolResult.objects.filter(
            school=school, key_stage=m.key_stage, measure__in=m.family
        ).values_list("measure", "year", "value", "marker")
    }
    la_means, la_published = _la_averages(school.local_authority_id, m) if school.local_authority_id else ({}, {})
    points = []
    for year, column in sorted(own):
        value, marker = own[(year, column)]
        mean, n = la_means.get((year, column), (None, 0))
        points.append(TrendPoint(
            year=year, column=column, school=_one_dp(value), school_marker=marker,
            la_average=_one_dp(Decimal(str(mean))) if mean is not None else None, la_schools=n,
            la_published=_one_dp(la_published.get((year, column))),
        ))
    return points


def _la_averages(la_id: int, m: AnalysisMeasure) -> tuple[dict, dict]:
    """The LA's mean of its schools' values and its published average, by (year,
    column): the same for every school of the LA, so cached until results change."""
    key = f"impact:la-averages:{results_version()}:{la_id}:{m.key}"
    found = cache.get(key)
    if found is None:
        la_means: dict[tuple[int, str], tuple[Decimal | None, int]] = {}
        la_published: dict[tuple[int, str], Decimal | None] = {}
        for row in (
            SchoolResult.objects.filter(school__local_authority_id=la_id, key_stage=m.key_stage,
                                        measure__in=m.family, value__isnull=False)
            .order_by().values("year", "measure").annotate(mean=Avg("value"), n=Count("pk"))
        ):
            la_means[(row["year"], row["measure"])] = (row["mean"], row["n"])
        for column, year, value in AreaResult.objects.filter(
            local_authority_id=la_id, key_stage=m.key_stage, measure__in=m.family
        ).values_list("measure", "year", "value"):
            la_published[(year, column)] = value
        found = (la_means, la_published)
        cache.set(key, found, 60 * 60)
    return found


def _years_by_column() -> dict[str, set[int]]:
    """Every DfE column with results, and its years (one query, cached until results change)."""
    key = f"impact:columns:{results_version()}"
    found = cache.get(key)
    if found is None:
        found = defaultdict(set)
        # order_by(): the model's default ordering would join schools into the DISTINCT.
        for column, year in SchoolResult.objects.order_by().values_list("measure", "year").distinct():
            found[column].add(year)
        found = dict(found)
        cache.set(key, found, 60 * 60)
    return found


def comparable_years() -> dict[str, list[int]]:
    """The measures that can be compared, each with its years, newest first: a
    year is offered when the measure has results in it and in the year before,
    under the same DfE column. Measures with no such year are left out."""
    by_column = _years_by_column()
    found: dict[str, list[int]] = {}
    for key, m in ANALYSIS_MEASURES.items():
        years = {
            year for column in m.family for year in by_column.get(column, ())
            if year - 1 in by_column.get(column, ())
        }
        if years:
            found[key] = sorted(years, reverse=True)
    return found


def supported_with_results(local_authority: LocalAuthority, year: int,
                           supported: set[int] | None = None) -> dict[str, int]:
    """For each measure, how many of the year's supported schools (`supported`,
    found if not given) have results to compare (a value in the year and the one
    before, under the same column). Two queries, or one."""
    supported = supported_school_ids(local_authority, year) if supported is None else supported
    if not supported:
        return {}
    columns = {column for m in ANALYSIS_MEASURES.values() for column in m.family}
    found: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for school_id, column, result_year in SchoolResult.objects.filter(
        school_id__in=supported, year__in=(year - 1, year), measure__in=columns, value__isnull=False
    ).order_by().values_list("school_id", "measure", "year"):
        found[school_id][result_year].add(column)
    counts: dict[str, int] = {}
    for key, m in ANALYSIS_MEASURES.items():
        family = set(m.family)
        n = sum(1 for years in found.values() if years[year - 1] & years[year] & family)
        if n:
            counts[key] = n
    return counts


def leading_measures(local_authority: LocalAuthority | None, year: int | None,
                     available: dict[str, list[int]] | None = None,
                     supported: set[int] | None = None) -> list[tuple[str, int]]:
    """The measures comparable in `year`, those where most of the year's supported
    schools have results first (the measures that show what changed), then the
    rest in their usual order (the KS2 headline first); each with its number of
    supported schools with results. Two queries (one if `supported` is given)."""
    available = comparable_years() if available is None else available
    keys = [key for key, years in available.items() if year in years]
    counts = supported_with_results(local_authority, year, supported) if local_authority and year and keys else {}
    order = list(ANALYSIS_MEASURES)
    keys.sort(key=lambda key: (-counts.get(key, 0), order.index(key)))
    return [(key, counts.get(key, 0)) for key in keys]


def all_years() -> set[int]:
    """Every year with any result (cached until results change)."""
    key = f"impact:all-years:{results_version()}"
    years = cache.get(key)
    if years is None:
        years = set(SchoolResult.objects.order_by().values_list("year", flat=True).distinct())
        cache.set(key, years, 60 * 60)
    return years


def default_measure() -> str:
    """The KS2 headline if it can be compared in some year, otherwise the first
    measure that can (the real national file of the demo publishes only
    progress scores for KS2)."""
    available = comparable_years()
    return DEFAULT_MEASURE if DEFAULT_MEASURE in available or not available else next(iter(available))
