"""The steps of `make bench` that run inside Django (scripts/bench/run.sh calls them).

    python -m scripts.bench.bench load          national data set (1x), sessions, the list of pages
    python -m scripts.bench.bench plan          sessions made again and the list of pages (a loaded database)
    python -m scripts.bench.bench queries 1x    query count and time of every page (Django's test client)
    python -m scripts.bench.bench impact        the impact report against WeasyPrint alone
    python -m scripts.bench.bench grow 9        9 more units of programme data (10x)
    python -m scripts.bench.bench report        the table, on stdout and in docs/performance.md

Results are JSON files in $BENCH_DIR (var/bench by default).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lle_portal.settings.production")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from lle_portal.models import LocalAuthority  # noqa: E402

from . import dataset, pages  # noqa: E402

BENCH_DIR = Path(os.environ.get("BENCH_DIR", Path(settings.BASE_DIR) / "var" / "bench"))
PLAN = BENCH_DIR / "plan.json"


def _save(name: str, data) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / name).write_text(json.dumps(data, indent=2, default=str))


def _read(name: str):
    path = BENCH_DIR / name
    return json.loads(path.read_text()) if path.exists() else None


def load() -> None:
    started = time.perf_counter()
    dataset.build_base()
    plan(load_seconds=round(time.perf_counter() - started, 1))


def plan(load_seconds: float | None = None) -> None:
    """Sessions for the people and the list of key pages, in plan.json."""
    if load_seconds is None:  # made again on a loaded database: keep how long loading took
        load_seconds = (_read("plan.json") or {}).get("load_seconds")
    people = pages.personas()
    sessions = {who: pages.session_for(user) for who, user in people.items() if user is not None}
    result = {
        "pages": pages.key_pages(people),
        "sessions": sessions,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        # Each persona's browser has its CSRF cookie, as after its first page.
        "csrf": {who: pages.csrf_cookie() for who in people},
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "counts": counts(),
        "load_seconds": load_seconds,
    }
    _save("plan.json", result)
    print(f"  loaded in {load_seconds} s: {result['counts']}")


def counts() -> dict[str, int]:
    from applications.models import Application, LLEProfile
    from deployments.models import Deployment, VisitRecord
    from lle_portal.models import School, SchoolResult

    return {
        "schools": School.objects.count(), "results": SchoolResult.objects.count(),
        "LLEs": LLEProfile.objects.count(), "applications": Application.objects.count(),
        "deployments": Deployment.objects.count(), "records of visit": VisitRecord.objects.count(),
    }


def grow(units: int) -> None:
    dataset.add_units(units)
    print(f"  now: {counts()}")


def client_for(planned: dict, who: str) -> Client:
    client = Client(raise_request_exception=False)
    for name, value in pages.cookies(planned, who).items():
        client.cookies[name] = value
    return client


TIMED_RUNS = int(os.environ.get("BENCH_TIMED_RUNS", "5"))


def queries(label: str) -> None:
    """Each page asked for once to warm caches, once counted, then timed
    (the median of TIMED_RUNS requests, without the query capture's cost)."""
    planned = json.loads(PLAN.read_text())
    results = {}
    for page in planned["pages"]:
        client = client_for(planned, page["who"])
        client.get(page["url"], secure=True)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page["url"], secure=True)
        # Counted now: the capture reads Django's query log, which the next request empties.
        count = len(captured)
        times = []
        for _ in range(TIMED_RUNS):
            start = time.perf_counter()
            client.get(page["url"], secure=True)
            times.append(time.perf_counter() - start)
        ms = round(statistics.median(times) * 1000, 1)
        results[page["name"]] = {"status": response.status_code, "queries": count, "ms": ms}
        print(f"  {page['name']:<32} {response.status_code}  {count:>3} queries  {ms:>7.1f} ms")
    _save(f"queries_{label}.json", {"counts": counts(), "pages": results})


def impact() -> None:
    """render_impact_report for Norfolk against WeasyPrint alone on the same
    HTML saved to a file: what the report adds on top of the PDF engine."""
    try:
        from impact import reports

        render, html_of = reports.render_impact_report, reports.impact_report_html
    except (ImportError, AttributeError):
        print("  impact report: not available yet")
        _save("impact.json", {"available": False})
        return
    from weasyprint import HTML

    from lle_portal.pdf import static_root

    norfolk = LocalAuthority.objects.get(code="926")
    year = dataset.LATEST_YEAR

    def timed(call, runs: int = 3) -> tuple[float, Any]:
        times, result = [], None
        for _ in range(runs):
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
        return statistics.median(times), result

    report_s, pdf = timed(lambda: render(norfolk, year))
    html = html_of(norfolk, year)
    saved = BENCH_DIR / "impact_report.html"
    saved.write_text(html)
    weasy_s, plain_pdf = timed(lambda: HTML(string=saved.read_text(), base_url=str(static_root())).write_pdf())
    result = {
        "available": True, "report_s": round(report_s, 3), "weasyprint_s": round(weasy_s, 3),
        "report_bytes": len(pdf), "weasyprint_bytes": len(plain_pdf), "html_bytes": len(html),
    }
    _save("impact.json", result)
    print(f"  impact report (Norfolk, {year}): {report_s:.2f} s; WeasyPrint on the saved HTML: {weasy_s:.2f} s")


def main(argv: list[str]) -> None:
    step, *args = argv
    if step == "load":
        load()
    elif step == "plan":
        plan()
    elif step == "grow":
        grow(int(args[0]))
    elif step == "queries":
        queries(args[0])
    elif step == "impact":
        impact()
    elif step == "report":
        from .report import write_report

        write_report(BENCH_DIR)
    else:
        raise SystemExit(f"Unknown step {step!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
