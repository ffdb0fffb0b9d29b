"""Where one key page spends its time: cProfile over many requests through the
WSGI handler (the middleware included, as gunicorn calls it), and each of its
queries with its time and, with --explain, PostgreSQL's EXPLAIN ANALYZE.

    python -m scripts.bench.profile "panel" [--runs 20] [--explain] [--top 30]
    python -m scripts.bench.profile all        (time and queries of every page)

Reads plan.json (pages and sessions) from $BENCH_DIR; run it with the
environment of scripts/bench/run.sh against the loaded database, after
`run.sh saturation` or `run.sh queries` has made the sessions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lle_portal.settings.production")
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402

BENCH_DIR = Path(os.environ.get("BENCH_DIR", Path(__file__).resolve().parents[2] / "var" / "bench"))


def _environ(plan: dict, page: dict) -> dict:
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": page["url"], "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
    }
    from .pages import cookie_header

    if cookie := cookie_header(plan, page["who"]):
        environ["HTTP_COOKIE"] = cookie
    return environ


def request(handler: WSGIHandler, plan: dict, page: dict) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        status.append(line)
        return lambda data: None

    body = b"".join(handler(_environ(plan, page), start_response))
    return status[0], body


class Queries:
    """Every query of the requests made inside it, with its time (Django's own
    query log is emptied when a request starts)."""

    def __enter__(self):
        self.captured: list[dict] = []
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured.append({"sql": sql, "params": params, "ms": (time.perf_counter() - start) * 1000})

    def __len__(self):
        return len(self.captured)


def timed(handler, plan, page, runs: int) -> tuple[float, float]:
    """Milliseconds a request: wall-clock, and CPU time of this process (what
    the other work on a shared machine changes least)."""
    request(handler, plan, page)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        request(handler, plan, page)
    return (time.perf_counter() - start) / runs * 1000, (time.process_time() - cpu) / runs * 1000


def profile(handler, plan, page, runs: int, top: int, explain: bool) -> None:
    status, body = request(handler, plan, page)
    print(f"== {page['name']} ({page['who']}) {page['url']}: {status}, {len(body):,} bytes, "
          "{:.1f} ms a request, {:.1f} ms CPU (mean of {})".format(*timed(handler, plan, page, runs), runs))
    with Queries() as captured:
        request(handler, plan, page)
    for query in captured.captured:
        print(f"  {query['ms']:7.1f} ms  {query['sql'][:400]}")
        if explain and query["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"], query["params"])
                for (line,) in cursor.fetchall():
                    print("      " + line)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        request(handler, plan, page)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    plan = json.loads((BENCH_DIR / "plan.json").read_text())
    handler = WSGIHandler()
    if args.page == "all":
        for page in plan["pages"]:
            with Queries() as captured:
                status, _ = request(handler, plan, page)
            ms, cpu = timed(handler, plan, page, args.runs)
            print(f"  {page['name']:<32} {status:<10} {len(captured):>3} queries {ms:>8.1f} ms {cpu:>8.1f} ms CPU")
        return
    pages = [page for page in plan["pages"] if page["name"] == args.page]
    if not pages:
        raise SystemExit(f"No page {args.page!r}; pages: {', '.join(p['name'] for p in plan['pages'])}")
    profile(handler, plan, pages[0], args.runs, args.top, args.explain)


if __name__ == "__main__":
    main(sys.argv[1:])
