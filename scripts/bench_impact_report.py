#!/usr/bin/env python
"""Benchmark: the annual impact report (PDF) for an LA of 300 schools must
render in under 30 seconds.

    .venv/bin/python scripts/bench_impact_report.py                # a throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1/lle_bench_report .venv/bin/python scripts/bench_impact_report.py

The LA has 300 schools (240 primary, 60 secondary) with five years of results
(KS2 headline, KS1 average point score, Progress 8, Attainment 8), among
20,000 schools in England with the same measures, 60 LLEs, 150 deployments
under way with objectives and 3,000 records of visit, and two closed surveys
of 60 LLEs and 150 client heads with comments. The timing is the whole report
as the Celery task builds it, cold (no cached analysis): the queries, the
analysis over every school in England, the charts and WeasyPrint.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

LA_SCHOOLS = 300
ENGLAND_SCHOOLS = 20_000
YEARS = (2015, 2016, 2017, 2018, 2019)
LIMIT_SECONDS = 30.0
RUNS = 3


def setup_django() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lle_portal.settings.test")
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="lle-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    return os.environ["DATABASE_URL"]


def _ks2_column(year: int) -> str:
    return "PTREADWRITTAMATX" if year <= 2015 else "PTRWM_EXP"


def build(rng: random.Random):
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from applications.models import LLEProfile
    from deployments.models import Deployment, Objective, VisitRecord
    from impact.models import Answer, Question, Survey, SurveyInvitation
    from lle_portal.models import AreaResult, LocalAuthority, School, SchoolResult, User

    call_command("migrate", verbosity=0)
    la, _ = LocalAuthority.objects.get_or_create(code="926", defaults={"name": "Norfolk"})
    if School.objects.filter(local_authority=la).count() >= LA_SCHOOLS:
        return la
    elsewhere, _ = LocalAuthority.objects.get_or_create(code="999", defaults={"name": "Elsewhere"})
    now = timezone.now()
    with transaction.atomic():
        schools = School.objects.bulk_create(
            [
                School(
                    urn=500_000 + i, name=f"Bench School {i}", local_authority=la if i < LA_SCHOOLS else elsewhere,
                    phase=School.Phase.SECONDARY if i % 5 == 4 else School.Phase.PRIMARY,
                )
                for i in range(ENGLAND_SCHOOLS)
            ],
            batch_size=2000,
        )
        results = []
        for school in schools:
            base = rng.uniform(40, 80)
            for year in YEARS:
                drift = (year - YEARS[0]) * rng.uniform(-1.5, 2.5)
                missing = rng.random() < 0.04
                if school.phase == School.Phase.PRIMARY:
                    value = None if missing else Decimal(f"{min(100, max(0, base + drift)):.0f}")
                    results.append(SchoolResult(school=school, key_stage="KS2", measure=_ks2_column(year), year=year,
                                                value=value, marker="SUPP" if missing else ""))
                    results.append(SchoolResult(school=school, key_stage="KS1", measure="KS1APS", year=year,
                                                value=Decimal(f"{14 + base / 40 + drift / 20:.1f}")))
                else:
                    results.append(SchoolResult(school=school, key_stage="KS4", measure="P8MEA", year=year,
                                                value=None if missing else Decimal(f"{rng.uniform(-1, 1):.2f}"),
                                                marker="NE" if missing else ""))
                    results.append(SchoolResult(school=school, key_stage="KS4", measure="ATT8SCR", year=year,
                                                value=Decimal(f"{base / 1.6 + drift / 3:.1f}")))
        SchoolResult.objects.bulk_create(results, batch_size=5000)
        AreaResult.objects.bulk_create(
            AreaResult(area_code=code, local_authority=area, key_stage="KS2", measure=_ks2_column(year), year=year,
                       value=Decimal(f"{60 + (year - 2015) * 1.1:.1f}"))
            for code, area in (("926", la), (AreaResult.ENGLAND, None)) for year in YEARS
        )

        local = [s for s in schools if s.local_authority_id == la.pk]
        heads = User.objects.bulk_create(
            User(email=f"bench.head{i}@example.org", full_name=f"Bench Head {i}", role=User.Role.HEADTEACHER,
                 school=school)
            for i, school in enumerate(local)
        )
        lles = LLEProfile.objects.bulk_create(
            LLEProfile(user=heads[i], school=local[i], phase="primary", days_per_week=Decimal("1.0"),
                       designated_on=date(2016, 1, 1), trained_on=date(2016, 3, 1))
            for i in range(60)
        )
        deployments = Deployment.objects.bulk_create(
            Deployment(
                lle=lles[i % 60], client_school=local[60 + i], client_head=heads[60 + i],
                start_date=date(2018, 9, 3), end_date=date(2019, 7, 19), rate_per_day=Decimal("350"),
                status=Deployment.Status.COMPLETED, lle_accepted_at=now, client_accepted_at=now, agreed_at=now,
                started_at=now, finished_at=timezone.make_aware(datetime(2019, 7, 19)),
            )
            for i in range(150)
        )
        Objective.objects.bulk_create(
            Objective(deployment=d, title=f"Objective {j}", measure_of_success="Agreed measure",
                      progress=rng.choice(["some", "good", "achieved"]), position=j)
            for d in deployments for j in range(3)
        )
        VisitRecord.objects.bulk_create(
            VisitRecord(deployment=d, visit_date=date(2018, 9, 10 + j % 15).replace(month=9 + j // 15 % 4),
                        days=Decimal("1.0"), activities=["coaching"], summary="Coaching.", progress="Progress.",
                        next_steps="Next.", recorded_by=d.lle.user, status="confirmed", confirmed_at=now)
            for d in deployments for j in range(20)
        )
        for audience, people in ((Survey.Audience.LLES, [lle.user for lle in lles]),
                                 (Survey.Audience.CLIENT_HEADS, heads[60:210])):
            survey = Survey.objects.create(local_authority=la, title=f"Survey of {audience}", audience=audience,
                                           opens_on=date(2019, 6, 1), closes_on=date(2019, 6, 30),
                                           status=Survey.Status.CLOSED, opened_at=now, closed_at=now)
            questions = Question.objects.bulk_create(
                [Question(survey=survey, position=i, text=f"Question about {theme}", kind="scale", theme=theme)
                 for i, theme in enumerate(("satisfaction", "collaboration", "expectations", "impact"))]
                + [Question(survey=survey, position=9, text="Comments", kind="text")]
            )
            invitations = SurveyInvitation.objects.bulk_create(
                SurveyInvitation(survey=survey, user=person, responded_at=now if i % 4 else None,
                                 consent_to_publish=i % 3 == 0)
                for i, person in enumerate(people)
            )
            Answer.objects.bulk_create(
                [Answer(invitation=inv, question=q, scale=rng.choice([3, 4, 4, 5, 5]))
                 for inv in invitations if inv.responded_at for q in questions[:4]]
                + [Answer(invitation=inv, question=questions[4], text="An invaluable partnership.",
                          published_at=now if inv.consent_to_publish else None)
                   for inv in invitations[:20] if inv.responded_at]
            )
    return la


def main() -> int:
    url = setup_django()
    from django.core.cache import cache

    from impact.reports import impact_report_html, render_impact_report

    rng = random.Random(2011)
    started = time.perf_counter()
    la = build(rng)
    print(f"Database: {url.split('@')[-1]}; data ready in {time.perf_counter() - started:.1f} s")

    timings = []
    for _ in range(RUNS):
        cache.clear()
        t0 = time.perf_counter()
        pdf = render_impact_report(la, 2019)
        timings.append(time.perf_counter() - t0)
    cache.clear()
    t0 = time.perf_counter()
    html = impact_report_html(la, 2019)
    html_seconds = time.perf_counter() - t0
    out = Path(tempfile.gettempdir()) / "lle-bench-impact-report.pdf"
    out.write_bytes(pdf)
    median = statistics.median(timings)
    print(f"Impact report for {LA_SCHOOLS} schools (England {ENGLAND_SCHOOLS:,}), {len(pdf):,} bytes -> {out}")
    print(f"  render (cold): median {median:.2f} s, max {max(timings):.2f} s over {RUNS} runs; "
          f"the HTML alone {html_seconds:.2f} s ({len(html):,} characters)")
    ok = max(timings) < LIMIT_SECONDS
    print(f"  {'OK' if ok else 'TOO SLOW'}: limit {LIMIT_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
