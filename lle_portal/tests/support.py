"""What the tests share: the production environment, `manage.py` run in a
process of its own with it, and work run by two workers at the same moment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

# The repository.
ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "lle_portal.settings.production",
    "DJANGO_SECRET_KEY": "k7#Qz9!vR2@mW4$xT6^bN8&cL0*pJ3(hF5)dG1-sA7+eY9=uI2?oK4",
    "DJANGO_ALLOWED_HOSTS": "lle.example.gov.uk",
    "SITE_URL": "https://lle.example.gov.uk",
    "DATABASE_URL": "postgres://lle:secret@127.0.0.1:5432/lle",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python manage.py *args` with `env` instead of this process's Django settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )


def at_once(work: Callable[[], T], n: int = 2) -> list[T]:
    """Run `work` in `n` threads released at the same moment (two workers, two
    browser tabs), each on its own database connection; what each returned.
    For a race test: use with transactional_db."""
    barrier = threading.Barrier(n)
    results: list[T] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
