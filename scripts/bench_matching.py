#!/usr/bin/env python
"""Benchmark: the ranked matching page for one support need, with 300 LLEs
among 20,000 schools. It must answer in under a second.

    .venv/bin/python scripts/bench_matching.py                 # a throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1/bench .venv/bin/python scripts/bench_matching.py

The schools are the real ones already imported (if the database has 20,000),
else made up across England's bounding box with phases, trusts and
federations like GIAS's. Each LLE has some deployments in hand, so capacity is
computed over real rows. The page is requested through Django's test client,
signed in as the adviser: URL routing, the queries, scoring and the template.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SCHOOLS = 20_000
LLES = 300
LIMIT_SECONDS = 1.0


def setup_django(database_url: str | None) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lle_portal.settings.test")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    elif "DATABASE_URL" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="lle-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    return os.environ["DATABASE_URL"]


def build(rng: random.Random):
    from django.core.management import call_command
    from django.db import transaction

    from applications.models import LLEProfile
    from deployments.models import Deployment, SupportNeed
    from lle_portal.models import LocalAuthority, School, User

    call_command("migrate", verbosity=0)
    la, _ = LocalAuthority.objects.get_or_create(code="926", defaults={"name": "Norfolk"})
    existing = School.objects.exclude(latitude=None).count()
    with transaction.atomic():
        if existing < SCHOOLS:
            phases = [School.Phase.PRIMARY] * 8 + [School.Phase.SECONDARY] * 2 + [School.Phase.ALL_THROUGH]
            School.objects.bulk_create(
                [
                    School(
                        urn=800_000 + i, name=f"Bench School {i}", local_authority=la, phase=rng.choice(phases),
                        latitude=Decimal(f"{rng.uniform(50.2, 55.8):.6f}"),
                        longitude=Decimal(f"{rng.uniform(-5.5, 1.7):.6f}"),
                        trust=f"Trust {rng.randrange(800)}" if rng.random() < 0.4 else "",
                        federation=f"Federation {rng.randrange(300)}" if rng.random() < 0.05 else "",
                    )
                    for i in range(SCHOOLS - existing)
                ],
                batch_size=2000,
            )
        schools = list(School.objects.exclude(latitude=None).order_by("pk").values_list("pk", flat=True))
        adviser, _ = User.objects.get_or_create(
            email="bench.adviser@example.org", defaults={"full_name": "Bench Adviser", "role": User.Role.ADVISER}
        )
        adviser.local_authorities.add(la)
        lle_schools = rng.sample(schools, LLES)
        heads = User.objects.bulk_create(
            [User(email=f"bench.lle{i}@example.org", full_name=f"LLE {i:03d}", role=User.Role.HEADTEACHER,
                  school_id=pk) for i, pk in enumerate(lle_schools)],
            ignore_conflicts=True,
        )
        heads = list(User.objects.filter(email__startswith="bench.lle").order_by("email"))
        specialisms = ["leadership", "teaching", "literacy", "maths", "send", "early_years", "behaviour", "data",
                       "governance", "finance", "curriculum", "new_heads"]
        LLEProfile.objects.bulk_create(
            [
                LLEProfile(  # type: ignore[misc]  # bench heads have schools
                    user=head, school_id=head.school_id, phase=rng.choice(["primary", "primary", "secondary"]),
                    specialisms=rng.sample(specialisms, 3), days_per_week=Decimal(rng.choice(["0.5", "1.0"])),
                    designated_on=date(2024, 1, 1), trained_on=date(2024, 3, 1) if rng.random() < 0.95 else None,
                    is_active=rng.random() < 0.97,
                )
                for head in heads
            ],
            ignore_conflicts=True,
        )
        lles = list(LLEProfile.objects.order_by("pk"))
        if not Deployment.objects.exists():
            start = date.today() - timedelta(days=100)
            Deployment.objects.bulk_create(
                [
                    Deployment(
                        lle=lle, client_school_id=rng.choice(schools), days_per_week=Decimal("0.5"),
                        start_date=start, end_date=start + timedelta(days=365), rate_per_day=Decimal("350"),
                        status=rng.choice(["proposed", "active", "completed"]),
                        lle_accepted_at="2025-01-01T00:00Z", client_accepted_at="2025-01-01T00:00Z",
                    )
                    for lle in lles for _ in range(rng.choice([0, 1, 1, 2]))
                ],
                batch_size=2000,
            )
        client = School.objects.filter(phase=School.Phase.PRIMARY).order_by("pk").first()
        need, _ = SupportNeed.objects.get_or_create(
            client_school=client, status="open",
            defaults={"reasons": ["vulnerable"], "focus_areas": ["maths", "literacy"], "days_per_week": Decimal("0.5")},
        )
    return adviser, need


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL, else a throwaway SQLite file")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = setup_django(args.database_url)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import LLEProfile
    from lle_portal.models import School

    # No setup_test_environment(): it instruments every template render for
    # the test client's assertions, which is not what production pays.
    started = time.perf_counter()
    adviser, need = build(random.Random(2026))
    print(f"Database: {connection.vendor} ({url.split('@')[-1]}); built in {time.perf_counter() - started:.1f} s")
    print(f"Schools: {School.objects.count():,}; LLEs: {LLEProfile.objects.count():,}")

    client = Client()
    client.force_login(adviser)
    page = f"/deployments/staff/needs/{need.pk}/matches/"
    response = client.get(page)  # warm up: templates compiled, caches filled
    assert response.status_code == 200, response.status_code
    assert response.content.count(b'name="lle"') > 0

    timings = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(page)
            timings.append(time.perf_counter() - started)
    candidates = response.content.count(b'class="candidate"')
    median, worst = statistics.median(timings), max(timings)
    print(f"Matching page for one need: median {median * 1000:.0f} ms, slowest {worst * 1000:.0f} ms "
          f"over {args.runs} runs; {len(queries)} queries; {candidates} proposable candidates ranked, "
          f"{len(response.content) // 1024} KB of HTML.")
    if worst >= LIMIT_SECONDS:
        print(f"FAIL: slower than {LIMIT_SECONDS:.0f} s")
        return 1
    print(f"OK: under {LIMIT_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
