"""Throughput at saturation: wrk with 10 connections on each key page, each with
its persona's session, against gunicorn with the production settings, and the
bare Django view (scripts/bench/bare.py) served by a second gunicorn with the
same options, measured before each page and after the last in the same run:
on a machine shared with other work the bare view's req/s moves by half within
minutes, so each page is divided by the mean of the bare runs either side of it.

    python -m scripts.bench.saturation      (environment set by scripts/bench/run.sh)

Writes saturation.json in $BENCH_DIR: req/s, p50 and p99 per page, and the
ratio of each page's req/s to the bare view's (the mean of its two runs).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request

from .loadtest import BENCH_DIR, BIN, ROOT, drain, wait_for

PORT = int(os.environ.get("BENCH_PORT", "8765"))
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT", "8766"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "10"))
THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
SECONDS = int(os.environ.get("BENCH_SATURATION_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_SATURATION_WORKERS", "4"))
BARE = "bare Django view"
BARE_SECONDS = int(os.environ.get("BENCH_BARE_SECONDS", "5"))

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """Requests/sec, the 50% and 99% latencies and the errors from `wrk --latency`."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]  # wrk prints it
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]  # wrk prints it
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": round(rps, 1), "p50_ms": round(_ms(latency["50"]), 1), "p99_ms": round(_ms(latency["99"]), 1),
        "requests": requests,
        "failures": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
    }


def _headers(plan: dict, who: str) -> dict[str, str]:
    headers = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy says
    cookies = "; ".join(f"{name}={value}" for name, value in (
        ([(plan["session_cookie"], plan["sessions"][who])] if who in plan["sessions"] else [])
        + ([(plan["csrf_cookie"], plan["csrf"][who])] if who in plan.get("csrf", {}) else [])))
    if cookies:
        headers["Cookie"] = cookies
    return headers


def status_of(url: str, headers: dict[str, str]) -> int:
    """The page's status for its persona, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wrk(url: str, headers: dict[str, str], seconds: int = SECONDS) -> dict:
    # Warm up: every worker compiles the page's templates before it is timed.
    # wrk's default timeout (2 s) would count a slow page's answers as socket errors.
    command = [shutil.which("wrk") or "wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "--latency",
               "--timeout", "30s",
               *[part for name, value in headers.items() for part in ("-H", f"{name}: {value}")]]
    subprocess.run([*command, "-d", "2s", url], capture_output=True, text=True, check=False)  # noqa: S603
    done = subprocess.run([*command, "-d", f"{seconds}s", url],  # noqa: S603 (our own command line)
                          capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse_wrk(done.stdout)


def _gunicorn(app: str, port: int, log) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own command line)
        [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
         "--timeout", "30", "--forwarded-allow-ips", "127.0.0.1"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `make bench` installs it (Debian package wrk).")
    plan = json.loads((BENCH_DIR / "plan.json").read_text())
    log = open(BENCH_DIR / "gunicorn_saturation.log", "w")  # noqa: SIM115
    portal = _gunicorn("lle_portal.wsgi:application", PORT, log)
    bare = _gunicorn("scripts.bench.bare:application", BARE_PORT, log)
    results: dict[str, dict] = {}
    bare_runs = []
    load_before = os.getloadavg()[0]
    try:
        wait_for(f"http://127.0.0.1:{PORT}/healthz")
        wait_for(f"http://127.0.0.1:{BARE_PORT}/")
        print(f"  gunicorn: {WORKERS} sync workers each; wrk: {THREADS} threads, {CONNECTIONS} connections, "
              f"{SECONDS} s a page")
        # Both servers' workers settled (imports done on first requests) before anything is timed.
        for url in (f"http://127.0.0.1:{BARE_PORT}/", f"http://127.0.0.1:{PORT}/healthz"):
            wrk(url, {"X-Forwarded-Proto": "https"}, BARE_SECONDS)
        for page in plan["pages"]:
            url, headers = f"http://127.0.0.1:{PORT}{page['url']}", _headers(plan, page["who"])
            status = status_of(url, headers)
            if status != 200:
                results[page["name"]] = {"skipped": f"HTTP {status}"}
                print(f"  {page['name']:<32} skipped (HTTP {status})")
                continue
            drain()
            bare_runs.append(wrk(f"http://127.0.0.1:{BARE_PORT}/", {}, BARE_SECONDS))
            results[page["name"]] = figures = wrk(url, headers)
            figures["bare_before"] = len(bare_runs) - 1
            print(f"  {page['name']:<32} {figures['rps']:>8.1f} req/s  p50 {figures['p50_ms']:>6.1f} ms  "
                  f"p99 {figures['p99_ms']:>6.1f} ms  failures {figures['failures']}  "
                  f"(bare view just before: {bare_runs[-1]['rps']:.0f} req/s)")
        bare_runs.append(wrk(f"http://127.0.0.1:{BARE_PORT}/", {}, BARE_SECONDS))
    finally:
        for server in (portal, bare):
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.close()
    bare_rps = statistics.mean(run["rps"] for run in bare_runs)
    for figures in results.values():
        if "rps" in figures:
            index = figures.pop("bare_before")
            figures["bare_rps"] = round(statistics.mean(run["rps"] for run in bare_runs[index:index + 2]), 1)
            figures["ratio"] = round(figures["rps"] / figures["bare_rps"], 3)
    (BENCH_DIR / "saturation.json").write_text(json.dumps({
        "workers": WORKERS, "connections": CONNECTIONS, "threads": THREADS, "seconds": SECONDS,
        "bare": {"runs": bare_runs, "rps": round(bare_rps, 1)}, "pages": results,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
    }, indent=2))


if __name__ == "__main__":
    main()
