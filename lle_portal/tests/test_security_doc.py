"""docs/security.md names, for each control, the test that proves it: each must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`([\w/]+\.py)?::(\w+)`")


def test_every_test_the_threat_model_names_exists():
    missing = []
    for line in (ROOT / "docs" / "security.md").read_text().splitlines():
        current = None
        for match in NAMED.finditer(line):
            current = match.group(1) or current
            path = ROOT / current if current else None
            if path is None or not path.exists() or not re.search(rf"def {match.group(2)}\b", path.read_text()):
                missing.append(f"{current}::{match.group(2)}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
