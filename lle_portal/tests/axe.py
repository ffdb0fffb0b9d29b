"""axe-core in the browser tests: the engine's axe.min.js comes from the
axe-playwright-python package (requirements-dev.txt), so a fresh machine gets
it from the project's own files, and no page of the portal ever loads it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Serious and critical violations fail a test; moderate and minor ones are
# left to a person's review (axe-core's own impact levels).
FAILING_IMPACTS = ("serious", "critical")


@cache
def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol, so the page's Content-Security-Policy does not apply.
        page.evaluate(_axe_source())
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
            resultTypes: ["violations"],
        })"""
    )
    return [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
        lines.append("  " + (violation["nodes"][0].get("failureSummary") or "").replace("\n", " "))
    return "\n".join(lines)


def assert_no_serious_violations(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"
