"""The README's demo logins, read from its table, so that the tests that use
them (the demo's story, the browser journey with the printed logins) stay in
step with what the README tells a reader."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

README = Path(settings.BASE_DIR) / "README.md"


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, name, email) of each row of the README's "Demo logins" table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Demo logins", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and "@" in cells[2]:
            rows.append((cells[0], cells[1], cells[2]))
        elif rows and not line.startswith("|"):
            break  # the table has ended
    return rows


def demo_login(role: str) -> tuple[str, str]:
    """(name, email) of the README's login for a role, e.g. "Headteacher (LLE)"."""
    found = [(name, email) for r, name, email in demo_logins() if r == role]
    assert len(found) == 1, f"the README's demo logins name {len(found)} {role!r}"
    return found[0]


def printed_logins(output: str) -> list[tuple[str, ...]]:
    """(role, name, email) of each login `seed_demo` printed (two or more spaces between columns)."""
    block = output.split("Demo logins", 1)[1]
    return [tuple(re.split(r"\s{2,}", line.strip())) for line in block.splitlines()[1:] if "@" in line]
