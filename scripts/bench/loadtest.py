"""Start gunicorn with the production settings, run locust headless on each
key page in turn (10 users, a fixed time each), stop gunicorn, save the figures.

    python -m scripts.bench.loadtest          (environment set by scripts/bench/run.sh)
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
USERS = int(os.environ.get("BENCH_USERS", "10"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
# Seconds each user waits between two requests (0: always one in flight).
WAIT = os.environ.get("BENCH_WAIT", "1")
# 2 x cores + 1, gunicorn's rule of thumb: while one worker waits for
# PostgreSQL another uses the core. PostgreSQL and locust share the cores here.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
BIN = Path(sys.executable).parent


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own loopback server)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def drain(seconds: float = 40) -> None:
    """Wait until the requests of the page before have finished (the bare view
    answers at once again), so that a slow page does not slow the next one."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        wait_for(f"http://127.0.0.1:{PORT}/healthz")
        if time.monotonic() - start < 0.05:
            return
        time.sleep(0.5)


def warm_up(plan: dict, page: dict) -> None:
    """A few requests at once before measuring, so that every gunicorn worker
    has compiled the page's templates (a worker does it once, on first use)."""
    headers = {"X-Forwarded-Proto": "https"}
    cookies = ([f"{plan['session_cookie']}={plan['sessions'][page['who']]}"] if page["who"] in plan["sessions"]
               else []) + ([f"{plan['csrf_cookie']}={plan['csrf'][page['who']]}"] if page["who"] in plan.get("csrf", {})
                           else [])
    if cookies:
        headers["Cookie"] = "; ".join(cookies)

    def get(_):
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}{page['url']}", headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own loopback server)
            response.read()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(get, range(WORKERS * 3)))


def locust(index: int, page: dict) -> dict:
    prefix = BENCH_DIR / f"locust_{index:02d}"
    env = {**os.environ, "BENCH_PLAN": str(BENCH_DIR / "plan.json"), "BENCH_PAGE": str(index), "BENCH_WAIT": WAIT}
    subprocess.run(  # noqa: S603 (our own command line)
        [str(BIN / "locust"), "-f", str(ROOT / "scripts" / "bench" / "locustfile.py"), "--headless",
         "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s", "--host", f"http://127.0.0.1:{PORT}",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"],
        env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=SECONDS + 60,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == page["name"])
    return {
        "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]), "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
    }


def main() -> None:
    plan = json.loads((BENCH_DIR / "plan.json").read_text())
    answered = json.loads((BENCH_DIR / "queries_1x.json").read_text())["pages"]
    log = open(BENCH_DIR / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [str(BIN / "gunicorn"), "lle_portal.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(WORKERS), "--timeout", "30", "--forwarded-allow-ips", "127.0.0.1"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    results = {}
    load_before = os.getloadavg()[0]
    try:
        wait_for(f"http://127.0.0.1:{PORT}/healthz")
        print(f"  gunicorn: {WORKERS} workers; locust: {USERS} users, {WAIT} s between requests, {SECONDS} s a page")
        for index, page in enumerate(plan["pages"]):
            status = answered.get(page["name"], {}).get("status")
            if status != 200:
                results[page["name"]] = {"skipped": f"HTTP {status} from the test client"}
                print(f"  {page['name']:<32} skipped (HTTP {status})")
                continue
            warm_up(plan, page)
            drain()
            results[page["name"]] = figures = locust(index, page)
            print(f"  {page['name']:<32} {figures['rps']:>7.1f} req/s  p50 {figures['p50_ms']:>5.0f} ms  "
                  f"p95 {figures['p95_ms']:>5.0f} ms  failures {figures['failures']}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    (BENCH_DIR / "load.json").write_text(json.dumps(
        {"workers": WORKERS, "users": USERS, "seconds": SECONDS, "wait": float(WAIT), "pages": results,
         # Other work on the machine slows every page: the 1-minute load average
         # before and after the load test says how busy it was.
         "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)]}, indent=2
    ))


if __name__ == "__main__":
    main()
