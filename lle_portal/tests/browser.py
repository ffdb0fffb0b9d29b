"""Helpers of the browser tests (Playwright on Debian's Chromium): sign in and
out through the forms, find the main navigation, take a screenshot, draw a
PDF's pages as PNGs.

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


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / name), full_page=full_page)


def pdf_to_png(data: bytes, name: str, resolution: int = 60) -> list[Path]:
    """Save the PDF as SCREENS/name.pdf and draw its pages as name-N.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    source = SCREENS / f"{name}.pdf"
    source.write_bytes(data)
    for old in SCREENS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(source), str(SCREENS / name)], check=True)
    return sorted(SCREENS.glob(f"{name}-*.png"))


def sign_in(page, user, *, password: str = PASSWORD) -> None:
    """Sign in through the form as `user` (a User or an email address), from a
    fresh browser session."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user if isinstance(user, str) else user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))


def nav(page):
    """The site's main navigation."""
    return page.get_by_role("navigation", name="Main")
