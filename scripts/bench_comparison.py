#!/usr/bin/env python
"""Benchmark of the matched comparison (impact/comparison.py):

1. Coverage: 100 seeded simulations of an LA whose programme picks schools
   with low results and adds a known effect (+3 points) to their later
   results (impact/tests/simulation.py). The 95% interval must cover the
   true effect in at least 90 of them. Prints the coverage, the mean matched
   estimate and the mean naive change (inflated by regression to the mean).
2. Time: the annual impact report (PDF) of an LA of 300 schools among 20,000
   in England (the data of scripts/bench_impact_report.py, with % FSM and
   size), the matched comparison included, cold: must be under 30 seconds.

    .venv/bin/python scripts/bench_comparison.py                # a throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1/lle_bench_cmp .venv/bin/python scripts/bench_comparison.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "scripts"))

import bench_impact_report as report_bench  # noqa: E402

RUNS = 100
EFFECT = 3.0
NEEDED = 90


def coverage() -> bool:
    from django.db import transaction

    from applications.models import LLEProfile
    from impact import comparison
    from impact.analysis import ANALYSIS_MEASURES
    from impact.tests.simulation import YEAR_FROM, YEAR_TO, simulate

    lle = LLEProfile.objects.order_by("pk").first()
    covered, estimates, naive, matched, widths = 0, [], [], [], []
    started = time.perf_counter()
    for seed in range(RUNS):
        with transaction.atomic():
            la = simulate(seed, effect=EFFECT, lle=lle)
            result = comparison.compare(la, ANALYSIS_MEASURES["KS2_HEADLINE"], YEAR_FROM, YEAR_TO)
            transaction.set_rollback(True)
        # The simulated LA always has enough matched pairs for an interval.
        assert result.raw_low is not None and result.raw_high is not None
        assert result.exact_estimate is not None and result.supported_change is not None
        covered += result.raw_low <= EFFECT <= result.raw_high
        estimates.append(float(result.exact_estimate))
        naive.append(float(result.supported_change))
        matched.append(result.matched)
        widths.append(result.raw_high - result.raw_low)
    print(f"Coverage: the 95% interval covered the true effect (+{EFFECT}) in {covered} of {RUNS} simulations "
          f"(needed: {NEEDED}); {time.perf_counter() - started:.1f} s")
    print(f"  matched estimate: mean {statistics.mean(estimates):+.2f} (sd {statistics.stdev(estimates):.2f}); "
          f"naive change of the supported schools: mean {statistics.mean(naive):+.2f}; "
          f"schools matched: mean {statistics.mean(matched):.1f} of 30; interval width: mean "
          f"{statistics.mean(widths):.2f}")
    return covered >= NEEDED


def report_time() -> bool:
    from django.core.cache import cache
    from django.db.models import F

    from impact import comparison
    from impact.reports import render_impact_report
    from lle_portal.models import School

    la = report_bench.build(random.Random(2026))
    # The bench's schools as GIAS would give them: % FSM and size.
    School.objects.filter(percentage_fsm__isnull=True).update(
        percentage_fsm=F("urn") % 47, number_of_pupils=90 + F("urn") % 331)
    cache.clear()
    found = comparison.programme_comparison(la, 2019, ["KS2_HEADLINE"])
    assert found is not None  # the bench LA has the measure
    print(f"Comparison for the bench LA, 2019: {found.matched} of {found.supported} supported schools matched, "
          f"estimate {found.estimate_display} ({found.interval_display}), pool {found.pool}")
    timings = []
    for _ in range(report_bench.RUNS):
        cache.clear()
        t0 = time.perf_counter()
        pdf = render_impact_report(la, 2019)
        timings.append(time.perf_counter() - t0)
        assert pdf.startswith(b"%PDF")
    cache.clear()
    t0 = time.perf_counter()
    comparison.programme_comparison(la, 2019, ["KS2_HEADLINE"])
    alone = time.perf_counter() - t0
    median = statistics.median(timings)
    print(f"Impact report with the matched comparison, {report_bench.LA_SCHOOLS}-school LA among "
          f"{report_bench.ENGLAND_SCHOOLS:,} schools: median {median:.2f} s, max {max(timings):.2f} s over "
          f"{report_bench.RUNS} cold runs (limit {report_bench.LIMIT_SECONDS:.0f} s); the comparison alone "
          f"{alone:.2f} s")
    return max(timings) < report_bench.LIMIT_SECONDS


def main() -> int:
    url = report_bench.setup_django()
    print(f"Database: {url.split('@')[-1]}")
    timed = report_time()  # builds (and migrates) the data first
    covers = coverage()
    return 0 if timed and covers else 1


if __name__ == "__main__":
    raise SystemExit(main())
