"""Simulated schools with a known programme effect, for the matched
comparison's coverage test and scripts/bench_comparison.py.

Each school has a true level (mean 60, sd 10) and two years of results, each
the level plus noise (sd 5); % FSM falls with the level. The programme picks
schools with low results in the earlier year (so their results would rise
anyway: regression to the mean) and adds `effect` to their later result.
A matched comparison that allows for regression to the mean finds `effect`.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.utils import timezone

from deployments.models import Deployment
from lle_portal.models import KeyStage, LocalAuthority, School, SchoolResult

YEAR_FROM, YEAR_TO = 2024, 2025
_urns = itertools.count(700000)


def simulate(seed: int, *, effect: float = 3.0, supported: int = 30, pool: int = 1000, lle=None) -> LocalAuthority:
    """Build one LA's supported schools and a national pool; returns the LA.
    `lle`: the LLE whose deployments these are (its school joins nothing)."""
    rng = np.random.default_rng(seed)
    la, _ = LocalAuthority.objects.get_or_create(code=f"{100 + seed % 800:03d}", defaults={"name": f"Sim {seed}"})
    n = supported + pool
    level = rng.normal(60, 10, n)
    before = level + rng.normal(0, 5, n)
    after = level + rng.normal(0, 5, n)
    fsm = np.clip(40 - 0.8 * (level - 60) + rng.normal(0, 6, n), 0, 100)
    pupils = rng.integers(80, 420, n)
    # The programme chooses `supported` of the quarter with the lowest earlier results.
    lowest = np.argsort(before)[: n // 4]
    chosen = set(rng.choice(lowest, size=supported, replace=False).tolist())
    after = after + np.array([effect if i in chosen else 0.0 for i in range(n)])
    schools = School.objects.bulk_create([
        School(urn=next(_urns), name=f"Simulated school {i}", phase=School.Phase.PRIMARY,
               local_authority=la if i in chosen else None,
               percentage_fsm=Decimal(f"{fsm[i]:.1f}"), number_of_pupils=int(pupils[i]))
        for i in range(n)
    ])
    if not all(s.pk for s in schools):  # SQLite before returning ids: read them back
        urns = [s.urn for s in schools]
        by_urn = dict(School.objects.filter(urn__in=urns).values_list("urn", "pk"))
        for s in schools:
            s.pk = by_urn[s.urn]
    SchoolResult.objects.bulk_create([
        SchoolResult(school_id=s.pk, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=year,
                     value=Decimal(f"{min(max(value, 0), 100):.2f}"))
        for s, b, a in zip(schools, before, after, strict=True) for year, value in ((YEAR_FROM, b), (YEAR_TO, a))
    ], batch_size=2000)
    now = timezone.now()
    start = date(YEAR_FROM, 9, 2)
    Deployment.objects.bulk_create([
        Deployment(lle=lle, client_school_id=schools[i].pk, start_date=start, end_date=start + timedelta(days=320),
                   rate_per_day=Decimal("350.00"), days_per_week=Decimal("0.5"), status=Deployment.Status.ACTIVE,
                   lle_accepted_at=now, client_accepted_at=now, agreed_at=now, started_at=now)
        for i in sorted(chosen)
    ])
    return la
