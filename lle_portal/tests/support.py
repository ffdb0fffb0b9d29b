"""What the core's tests share: the production environment, and
`manage.py` run in a process of its own with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
