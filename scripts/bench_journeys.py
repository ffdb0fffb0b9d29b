#!/usr/bin/env python
"""Benchmark: the three steps of the headteacher's journey that felt slow
(issue 15): creating an account, starting an application and checking answers.
Each should answer in under 300 ms. A figure for the note, not a timed test.

    .venv/bin/python scripts/bench_journeys.py                       # make run's settings, a throwaway SQLite file
    DJANGO_SETTINGS_MODULE=lle_portal.settings.test .venv/bin/python scripts/bench_journeys.py

Requests go through Django's test client: routing, middleware, the queries,
password hashing and the templates, as a browser's request would.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
RUNS = 5


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lle_portal.settings.local")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp(prefix='lle-bench-')) / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from applications.models import Application, ApplicationRound
    from lle_portal.models import LocalAuthority, School

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    la, _ = LocalAuthority.objects.get_or_create(code="926", defaults={"name": "Norfolk"})
    school, _ = School.objects.get_or_create(
        urn=121234, defaults={"name": "Avenue Junior School", "local_authority": la})
    round = ApplicationRound.objects.create(
        name="Bench round", opens_at=timezone.now() - timedelta(days=1), closes_at=timezone.now() + timedelta(days=9),
        decisions_by=timezone.localdate() + timedelta(days=40), places=6)
    round.local_authorities.add(la)

    timings: dict[str, list[float]] = {"create an account": [], "start an application": [], "check answers": []}
    for n in range(RUNS):
        client = Client()
        started = time.perf_counter()
        response = client.post("/accounts/register/", {
            "full_name": "Amira Patel", "email": f"head{n}@avenue.example", "school_query": "121234",
            "school": school.pk, "password1": "a long and memorable passphrase",
            "password2": "a long and memorable passphrase", "action": "register"})
        timings["create an account"].append(time.perf_counter() - started)
        assert response.status_code == 302, response.content[:500]
        started = time.perf_counter()
        response = client.post(f"/programme/rounds/{round.pk}/start/")
        timings["start an application"].append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
        application = Application.objects.filter(applicant__email=f"head{n}@avenue.example").get()
        started = time.perf_counter()
        response = client.get(f"/programme/my-application/{application.pk}/check/")
        timings["check answers"].append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code

    print(f"settings: {os.environ['DJANGO_SETTINGS_MODULE']}; hasher: {settings.PASSWORD_HASHERS[0]}; "
          f"database: {settings.DATABASES['default']['ENGINE']}; {RUNS} runs")
    for step, values in timings.items():
        print(f"{step:22} median {statistics.median(values) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
