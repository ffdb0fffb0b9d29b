"""The matched comparison (difference-in-differences) beside the comparison
table (docs/programme.md §11.3, §11.1).

Schools are chosen for support because their results were low, and low
results tend to rise anyway (regression to the mean), so "supported schools
+16.9 against the LA's +1.1" flatters the programme. The matched comparison
sets each supported school beside schools that started from the same place:

- for each supported school (a client school of the LA's deployments under
  way in the later year, as in the table), the `K` nearest comparison
  schools, with replacement, among every school the portal holds (national
  files included) that is of the same phase, has the same measure column in
  both years, was never supported by the programme (any LA, any deployment
  started by the end of the later year) and is not an LLE's school (any LA,
  designated by then);
- "nearest" is the root mean square of the standardised differences
  (each covariate divided by its spread over the phase's schools) in the
  measure's value in the earlier year, % FSM and number of pupils; % FSM and
  size count where both schools have them (GIAS gives them; a school known
  only from a performance file has neither), the earlier value always;
  schools known as fully as the supported school come first, and the others
  only make up the number;
- a comparison school further than `CALIPER` is no match, and a supported
  school with no match within it is counted unmatched, as are those with no
  value in either year or whose measure changed between the years;
- the estimate is the supported schools' mean change minus their matches'
  mean change (exact, with fractions); its 95% interval comes from a
  seeded bootstrap over the supported schools (each resampled with its
  matches), so the same data give the same interval.

Three queries whatever the number of schools or deployments (four with a
phase chosen); the result is cached until results are imported again, like
the table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from django.core.cache import cache

from applications.models import LLEProfile
from deployments.models import Deployment
from lle_portal.models import LocalAuthority, School, SchoolResult

from .analysis import (
    ANALYSIS_MEASURES,
    PHASES,
    AnalysisMeasure,
    academic_year,
    newest_in_family,
    results_version,
    supported_school_ids,
)

K = 3                 # comparison schools per supported school (with replacement)
CALIPER = 0.5         # the furthest a match may be, in standard deviations (root mean square)
RESAMPLES = 2000      # bootstrap resamples
SEED = 14             # the bootstrap's seed: the same data give the same interval
MIN_FOR_INTERVAL = 5  # fewer matched schools than this: no interval is given
ONE_DP = Decimal("0.1")


def _one_dp(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = Decimal(str(value)).quantize(ONE_DP, rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)  # never "-0.0"


def _signed(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:+.1f}"


@dataclass(frozen=True)
class Match:
    """One supported school and its comparison schools (ids), for the tests and a look inside."""

    school_id: int
    change: Fraction
    matches: tuple[int, ...]
    matches_change: Fraction
    distance: float  # the furthest of its matches


@dataclass(frozen=True)
class MatchedComparison:
    la_name: str
    measure: AnalysisMeasure
    year_from: int
    year_to: int
    phase: str
    supported: int                  # supported schools with results for the measure (of the phase, if chosen)
    matched: int
    no_results: int = 0             # supported schools with no result for the measure in either year (not counted)
    no_value: int = 0               # no value in the earlier or the later year (or no results)
    changed_measure: int = 0        # a different column in the two years
    no_match: int = 0               # no comparison school within the caliper
    comparison_schools: int = 0     # distinct comparison schools used
    pool: int = 0                   # schools of the measure's phases that could be matched
    supported_change: Decimal | None = None
    matches_change: Decimal | None = None
    estimate: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    with_fsm_and_size: int = 0      # matches for which % FSM and size both counted
    pairs: tuple[Match, ...] = field(default=(), repr=False)
    # Unrounded, for the tests and the benchmark.
    exact_estimate: Fraction | None = field(default=None, repr=False)
    raw_low: float | None = field(default=None, repr=False)
    raw_high: float | None = field(default=None, repr=False)

    @property
    def unmatched(self) -> int:
        return self.no_value + self.changed_measure + self.no_match

    @property
    def matched_pairs(self) -> int:
        """Matches in all (a comparison school may serve more than one supported school)."""
        return sum(len(p.matches) for p in self.pairs)

    @property
    def has_interval(self) -> bool:
        return self.low is not None

    @property
    def estimate_display(self) -> str:
        return _signed(self.estimate)

    @property
    def interval_display(self) -> str:
        if not self.has_interval:
            return ""
        return f"{_signed(self.low)} to {_signed(self.high)}"

    @property
    def unit(self) -> str:
        return self.measure.unit

    @property
    def sentence(self) -> str:
        """What the comparison does and does not show, in one sentence."""
        small = (f"; with {self.matched} supported schools matched the range is wide"
                 if self.matched < 30 else "")
        return (
            f"Each supported school is compared with up to {K} schools never supported that had similar results "
            f"in {self.year_from}, a similar share of pupils eligible for free school meals and a similar number "
            "of pupils, which allows for low results tending to rise anyway (regression to the mean) and for the "
            "programme choosing schools with low results; it does not rule out other differences between the "
            f"schools, and it is not a randomised trial{small}."
        )


def matched_comparison(
    *, local_authority: LocalAuthority, measure: str, year_from: int, year_to: int, phase: str = "",
) -> MatchedComparison:
    """The matched estimate for one LA, measure and pair of years (cached until results change)."""
    key = (f"impact:matched:{results_version()}:{local_authority.pk}:{measure}:{year_from}:{year_to}:{phase}:"
           f"{K}:{CALIPER}:{RESAMPLES}:{SEED}")
    found = cache.get(key)
    if found is None:
        found = compare(local_authority, ANALYSIS_MEASURES[measure], year_from, year_to, phase)
        cache.set(key, found, 60 * 60)
    return found


def programme_comparison(
    local_authority: LocalAuthority, year: int, measures, phase: str = "",
) -> MatchedComparison | None:
    """The comparison the dashboard and the report show for the academic year
    ending in `year`: the first of `measures` with a matched supported school,
    else the first measure's (which says why none matched); None when the
    year had no supported school."""
    first = None
    for measure in measures:
        found = matched_comparison(local_authority=local_authority, measure=measure, year_from=year - 1,
                                   year_to=year, phase=phase)
        if found.matched:
            return found
        first = first or found
    return first if first is not None and first.supported else None


def compare(
    local_authority: LocalAuthority, measure: AnalysisMeasure, year_from: int, year_to: int, phase: str = "",
    *, k: int = K, caliper: float = CALIPER, resamples: int = RESAMPLES, seed: int = SEED,
) -> MatchedComparison:
    years = (year_from, year_to)
    _, end = academic_year(year_to)

    # 1. Every school's values of the family in the two years, with its phase, % FSM and size.
    found: dict[int, dict[int, dict[str, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
    about: dict[int, tuple[str, float, float]] = {}
    for school_id, column, year, value, school_phase, fsm, pupils in (
        SchoolResult.objects.filter(key_stage=measure.key_stage, measure__in=measure.family, year__in=years)
        .values_list("school_id", "measure", "year", "value", "school__phase", "school__percentage_fsm",
                     "school__number_of_pupils")
        .iterator(chunk_size=5000)
    ):
        found[school_id][year][column] = value
        about[school_id] = (school_phase, np.nan if fsm is None else float(fsm),
                            np.nan if pupils is None else float(pupils))

    # 2. The supported schools of the later year (3. of the phase, when one is chosen).
    supported = supported_school_ids(local_authority, year_to)
    if PHASES.get(phase):
        supported = set(School.objects.filter(pk__in=supported, phase__in=PHASES[phase]).values_list("pk", flat=True))
    # 4. Never supported and not an LLE's school, anywhere, by the end of the later year (one query).
    excluded = set(
        Deployment.objects.delivered().filter(start_date__lte=end).order_by()
        .values_list("client_school_id", flat=True)
        .union(LLEProfile.objects.filter(designated_on__lte=end).order_by().values_list("school_id", flat=True))
    )

    # Each school's (earlier, later) values when it has the same column in both years.
    both: dict[int, tuple[Decimal, Decimal]] = {}
    no_value = changed = 0
    for school_id, by_year in found.items():
        earlier_values, later_values = by_year.get(year_from), by_year.get(year_to)
        earlier = newest_in_family(earlier_values, measure.family) if earlier_values else None
        later = newest_in_family(later_values, measure.family) if later_values else None
        if earlier and later and earlier[0] != later[0]:
            if school_id in supported:
                changed += 1
        elif earlier is None or later is None or earlier[1] is None or later[1] is None:
            if school_id in supported:
                no_value += 1
        else:
            both[school_id] = (earlier[1], later[1])
    no_results = len(supported - found.keys())

    # The pool, phase by phase: arrays of ids, covariates and changes.
    treated = sorted(pk for pk in supported if pk in both)
    pool_ids: dict[str, list[int]] = defaultdict(list)
    for school_id in sorted(both):
        if school_id not in excluded:
            pool_ids[about[school_id][0]].append(school_id)
    pairs: list[Match] = []
    no_match = full = 0
    for school_phase in sorted({about[pk][0] for pk in treated}):
        candidates = pool_ids.get(school_phase, [])
        mine = [pk for pk in treated if about[pk][0] == school_phase]
        if not candidates:
            no_match += len(mine)
            continue
        everyone = candidates + mine
        covariates = np.array([[float(both[pk][0]), about[pk][1], about[pk][2]] for pk in everyone])
        z = _standardised(covariates)
        pool_z = z[: len(candidates)]
        columns: list[tuple[Any, ...]] = [
            (np.nan_to_num(pool_z[:, j]), ~np.isnan(pool_z[:, j])) for j in range(pool_z.shape[1])
        ]
        columns = [(values, known, bool(known.all())) for values, known in columns]
        pool = np.array(candidates)
        for i, pk in enumerate(mine):
            own = z[len(candidates) + i]
            # The mean square of the standardised differences over the covariates both schools have.
            total, count = np.zeros(len(pool)), np.zeros(len(pool))
            partial = np.zeros(len(pool), dtype=bool)  # lacks a covariate this school has
            for (values, known, complete), mine_j in zip(columns, own, strict=True):
                if np.isnan(mine_j):
                    continue
                square = (values - mine_j) ** 2
                if complete:
                    total += square
                    count += 1
                else:
                    total += np.where(known, square, 0)
                    count += known
                    partial |= ~known
            distance = np.sqrt(total / count)  # the earlier value is always there: count >= 1
            order = _nearest(distance, partial, caliper, k)
            if not len(order):
                no_match += 1
                continue
            full += int((count[order] == len(columns)).sum())
            chosen = tuple(int(c) for c in pool[order])
            before, after = both[pk]
            pairs.append(Match(
                school_id=pk, change=Fraction(after - before), matches=chosen,
                matches_change=sum((Fraction(both[c][1] - both[c][0]) for c in chosen), Fraction(0)) / len(chosen),
                distance=float(distance[order].max()),
            ))

    result: dict[str, Any] = {
        "la_name": local_authority.name, "measure": measure, "year_from": year_from, "year_to": year_to,
        "phase": phase, "supported": len(supported) - no_results, "no_results": no_results,
        "matched": len(pairs), "no_value": no_value,
        "changed_measure": changed, "no_match": no_match, "with_fsm_and_size": full,
        "pool": sum(len(ids) for ids in pool_ids.values()),
        "comparison_schools": len({c for p in pairs for c in p.matches}), "pairs": tuple(pairs),
    }
    if not pairs:
        return MatchedComparison(**result)
    n = len(pairs)
    supported_change = sum((p.change for p in pairs), Fraction(0)) / n
    matches_change = sum((p.matches_change for p in pairs), Fraction(0)) / n
    estimate = supported_change - matches_change
    result.update(supported_change=_one_dp(supported_change), matches_change=_one_dp(matches_change),
                  estimate=_one_dp(estimate), exact_estimate=estimate)
    if n >= MIN_FOR_INTERVAL:
        low, high = bootstrap_interval([float(p.change - p.matches_change) for p in pairs], resamples, seed)
        result.update(low=_one_dp(round(low, 9)), high=_one_dp(round(high, 9)), raw_low=low, raw_high=high)
    return MatchedComparison(**result)


def _nearest(distance: np.ndarray, partial: np.ndarray, caliper: float, k: int) -> np.ndarray:
    """The indexes of up to `k` schools within the caliper: schools known as
    fully as the supported school first, then the rest; nearest first within
    each; ties in index order (the pool is sorted by id), so always the same."""
    key = np.where(distance <= caliper, distance + partial * (caliper + 1), np.inf)
    wanted = min(k, int(np.isfinite(key).sum()))
    if not wanted:
        return np.array([], dtype=int)
    threshold = key[np.argpartition(key, wanted - 1)[:wanted]].max()
    below = np.flatnonzero(key < threshold)
    chosen = np.concatenate([below, np.flatnonzero(key == threshold)[: wanted - len(below)]])
    return chosen[np.lexsort((chosen, key[chosen]))]


def _standardised(covariates: np.ndarray) -> np.ndarray:
    """Each column minus its mean over its values, divided by its standard
    deviation; missing stays missing, and a column without spread is 0 for
    every school (it tells no school apart)."""
    z = np.full(covariates.shape, np.nan)
    for j in range(covariates.shape[1]):
        column = covariates[:, j]
        known = ~np.isnan(column)
        spread = column[known].std() if known.any() else 0
        z[known, j] = (column[known] - column[known].mean()) / spread if spread > 0 else 0
    return z


def bootstrap_interval(differences, resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """The 95% percentile interval of the mean difference, resampling schools
    (each with its matches) with a seeded generator."""
    values = np.asarray(differences, dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)
