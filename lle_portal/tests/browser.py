"""Helpers of the browser tests (Playwright on Debian's Chromium): sign in
through the form, take a screenshot, draw a PDF's pages as PNGs.

Screenshots and PNGs go to /tmp/lle-screens: look at them.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

SCREENS = Path(tempfile.gettempdir()) / "lle-screens"
# The factories' password (lle_portal/tests/factories.py).
PASSWORD = "correct horse battery staple"


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / name), full_page=True)


def pdf_to_png(data: bytes, name: str, resolution: int = 60) -> list[Path]:
    """Save the PDF as SCREENS/name.pdf and draw its pages as name-N.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    source = SCREENS / f"{name}.pdf"
    source.write_bytes(data)
    for old in SCREENS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(source), str(SCREENS / name)], check=True)
    return sorted(SCREENS.glob(f"{name}-*.png"))


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
