"""The table of `make bench`: printed, and written into docs/performance.md
between the markers, so the prose around it is kept."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
P95_LIMIT_MS = 300
BARE = "healthz (bare Django view)"


def _read(bench_dir: Path, name: str):
    path = bench_dir / name
    return json.loads(path.read_text()) if path.exists() else None


def _run(*command: str) -> str:
    try:
        return subprocess.run(  # noqa: S603 (fixed commands: nproc, free, git)
            command, capture_output=True, text=True, check=False, cwd=ROOT
        ).stdout.strip()
    except OSError:
        return ""


def machine() -> str:
    memory = next((line.split()[1] for line in _run("free", "-h").splitlines() if line.startswith("Mem:")), "?")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    return f"{_run('nproc')} cores ({cpu}), {memory} memory; load average {load:.1f} when the table was written"


def _counts(counts: dict | None) -> str:
    return ", ".join(f"{n:,} {what}" for what, n in counts.items()) if counts else "not measured"


def _ms(answer: dict) -> str:
    """A page's time for one request in the test client (median), if measured."""
    return f"{answer['ms']:.0f}" if answer.get("ms") is not None else ""


def table(bench_dir: Path) -> tuple[str, list[str]]:
    """The markdown table and the list of problems (p95 over the limit, growing query counts)."""
    plan = _read(bench_dir, "plan.json") or {"pages": []}
    load = _read(bench_dir, "load.json") or {"pages": {}}
    q1 = (_read(bench_dir, "queries_1x.json") or {"pages": {}})
    q10 = (_read(bench_dir, "queries_10x.json") or {"pages": {}})
    bare = load["pages"].get(BARE, {})
    problems = []
    rows = [
        "| page | who | req/s | p50 ms | p95 ms | p50 ÷ bare view | queries 1× | queries 10× | ms 1× | ms 10× |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in plan["pages"]:
        name = page["name"]
        figures = load["pages"].get(name, {})
        one, ten = q1["pages"].get(name, {}), q10["pages"].get(name, {})
        queries_1, queries_10 = one.get("queries"), ten.get("queries")
        flags = []
        if "skipped" in figures or not figures:
            speed = [f"not measured ({figures.get('skipped', 'no figures')})", "", "", ""]
        else:
            ratio = figures["p50_ms"] / bare["p50_ms"] if bare.get("p50_ms") else 0
            speed = [f"{figures['rps']:.1f}", f"{figures['p50_ms']:.0f}", f"{figures['p95_ms']:.0f}", f"{ratio:.1f}×"]
            if figures["p95_ms"] >= P95_LIMIT_MS:
                flags.append(f"p95 {figures['p95_ms']:.0f} ms ≥ {P95_LIMIT_MS} ms")
            if figures["failures"]:
                flags.append(f"{figures['failures']} failed requests")
        if queries_1 is not None and queries_10 is not None and queries_10 > queries_1:
            flags.append(f"queries grow {queries_1} → {queries_10}")
        for label, answer in (("1×", one), ("10×", ten)):
            if answer and answer.get("status") != 200:
                flags.append(f"HTTP {answer.get('status')} at {label}")
        problems += [f"{name}: {flag}" for flag in flags]
        mark = " ⚠" if flags else ""
        rows.append(f"| {name}{mark} | {page['who']} | " + " | ".join(speed)
                    + f" | {'' if queries_1 is None else queries_1} | {'' if queries_10 is None else queries_10}"
                    + f" | {_ms(one)} | {_ms(ten)} |")
    return "\n".join(rows), problems


# The targets of throughput at saturation (req/s of a page over the bare view's).
HEALTHZ_MIN_RATIO, MEDIAN_MIN_RATIO, PAGE_MIN_RATIO, P99_LIMIT_MS = 0.8, 0.15, 0.05, 300
HEALTHZ = "healthz (bare Django view)"


def saturation_table(bench_dir: Path) -> tuple[str, list[str]]:
    """Req/s, ratio to the bare Django view, p50 and p99 of every page at
    saturation, the median ratio of the key pages, and what misses a target."""
    plan = _read(bench_dir, "plan.json") or {"pages": []}
    saturation = _read(bench_dir, "saturation.json")
    if not saturation:
        return "Throughput at saturation: not measured.", []
    # A saturation.json kept from an earlier run (saturation_before.json), shown beside.
    before = _read(bench_dir, "saturation_before.json")
    problems = []
    rows = [
        f"Bare Django view (no database, the standard middleware): {saturation['bare']['rps']:,.0f} req/s, the mean "
        f"of {len(saturation['bare']['runs'])} runs ({min(run['rps'] for run in saturation['bare']['runs']):,.0f}–"
        f"{max(run['rps'] for run in saturation['bare']['runs']):,.0f}); each page's ratio is to the bare runs "
        "either side of it.",
    ]
    if before:
        rows.append(f"Before (the run of {before.get('measured_at', '?')}): bare view {before['bare']['rps']:,.0f} "
                    f"req/s, 1-minute load average {before.get('load_average')} (before, after).")
    rows += [
        "",
        "| page | who | req/s | ÷ bare | p50 ms | p99 ms |" + (" before: req/s | ÷ bare | p50 ms |" if before else ""),
        "|---|---|---:|---:|---:|---:|" + ("---:|---:|---:|" if before else ""),
    ]
    key_ratios, key_before = [], []
    for page in plan["pages"]:
        name = page["name"]
        figures = saturation["pages"].get(name, {})
        then = (before or {"pages": {}})["pages"].get(name, {})
        earlier = ""
        if before:
            earlier = (f" {then['rps']:,.1f} | {then['ratio']:.3f} | {then['p50_ms']:.1f} |" if "rps" in then
                       else " | | |")
            if "rps" in then and name != HEALTHZ:
                key_before.append(then["ratio"])
        if "rps" not in figures:
            rows.append(f"| {name} | {page['who']} | not measured ({figures.get('skipped', 'no figures')}) | | | |"
                        + earlier)
            continue
        flags = []
        if name == HEALTHZ:
            if figures["ratio"] < HEALTHZ_MIN_RATIO:
                flags.append(f"{figures['ratio']:.2f}× the bare view < {HEALTHZ_MIN_RATIO}×")
        else:
            key_ratios.append(figures["ratio"])
            if figures["ratio"] < PAGE_MIN_RATIO:
                flags.append(f"{figures['ratio']:.3f}× the bare view < {PAGE_MIN_RATIO}×")
            if figures["p99_ms"] > P99_LIMIT_MS:
                flags.append(f"p99 {figures['p99_ms']:.0f} ms > {P99_LIMIT_MS} ms")
        if figures.get("failures"):
            flags.append(f"{figures['failures']} failed requests")
        problems += [f"{name} (saturation): {flag}" for flag in flags]
        rows.append(f"| {name}{' ⚠' if flags else ''} | {page['who']} | {figures['rps']:,.1f} | "
                    f"{figures['ratio']:.3f} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} |" + earlier)
    if key_ratios:
        median = statistics.median(key_ratios)
        rows += ["", f"Median key page: {median:.3f}× the bare view (target ≥ {MEDIAN_MIN_RATIO}×)"
                 + (f"; before: {statistics.median(key_before):.3f}×." if key_before else ".")]
        if median < MEDIAN_MIN_RATIO:
            problems.append(f"median key page {median:.3f}× the bare view < {MEDIAN_MIN_RATIO}×")
    rows.append(
        f"wrk: {saturation['threads']} threads, {saturation['connections']} connections, "
        f"{saturation['seconds']} s a page; gunicorn: {saturation['workers']} sync workers for each of the portal "
        f"and the bare view; 1-minute load average {saturation['load_average']} (before, after)."
    )
    return "\n".join(rows), problems


def impact_line(bench_dir: Path) -> str:
    impact = _read(bench_dir, "impact.json")
    if not impact or not impact.get("available"):
        return "Impact report: not available yet (impact.reports.render_impact_report is not there)."
    return (
        f"Impact report (Norfolk, PDF of {impact['report_bytes']:,} bytes): render_impact_report "
        f"{impact['report_s']:.2f} s; WeasyPrint alone on the same HTML saved to a file "
        f"{impact['weasyprint_s']:.2f} s (median of 3)."
    )


def write_report(bench_dir: Path) -> None:
    plan = _read(bench_dir, "plan.json") or {}
    load = _read(bench_dir, "load.json") or {}
    q10 = _read(bench_dir, "queries_10x.json") or {}
    body, problems = table(bench_dir)
    saturated, saturation_problems = saturation_table(bench_dir)
    problems += saturation_problems
    commit = _run("git", "rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if _run("git", "status", "--porcelain", "--untracked-files=no") else ""
    section = "\n".join([
        BEGIN,
        f"Run on {datetime.now():%Y-%m-%d %H:%M}, commit {commit}{dirty}.",
        f"Machine: {machine()}.",
        f"Data at 1×: {_counts(plan.get('counts'))} (loaded in {plan.get('load_seconds')} s); "
        f"at 10×: {_counts(q10.get('counts'))}.",
        f"Load: gunicorn with {load.get('workers')} sync workers, the production settings; locust with "
        f"{load.get('users')} users, {load.get('wait')} s between a user's requests on average, "
        f"{load.get('seconds')} s a page; 1-minute load average {load.get('load_average')} (before, after).",
        "",
        "### Throughput at saturation",
        "",
        saturated,
        "",
        "### Latency under a paced load",
        "",
        body,
        "",
        impact_line(bench_dir),
        "",
        "Problems: " + ("none." if not problems else ""),
        *[f"- {problem}" for problem in problems],
        END,
    ])
    print()
    print(section.replace(BEGIN + "\n", "").replace("\n" + END, ""))
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text += "\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)
    print(f"\nWritten to {DOC.relative_to(ROOT)}.")
