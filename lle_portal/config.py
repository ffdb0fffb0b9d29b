"""Configuration read before Django starts: the project's `.env` file, and the
production check of the secret key.

Nothing here imports Django's settings: `load_env_file` runs in manage.py,
lle_portal/celery.py and lle_portal/wsgi.py *before* DJANGO_SETTINGS_MODULE is
chosen, so that a `.env` that names the settings module means the same to the
web server, the Celery worker and beat, and every management command.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

# Words that only a placeholder contains: .env.example's "change-me-...",
# Django's "django-insecure-..." from startproject, our own development and
# test keys. A real key is random and contains none of them.
PLACEHOLDER_WORDS = ("change-me", "changeme", "example", "insecure", "dev-only", "test-only",
                     "not-for-production", "secret-key", "placeholder")
SECRET_KEY_MIN_LENGTH = 50
# 64 hexadecimal characters (16 distinct) is a good key; "0123456789" * 6 is not.
SECRET_KEY_MIN_DISTINCT = 12


def env_file_path() -> Path:
    """The `.env` file: $LLE_ENV_FILE if set, else `.env` beside manage.py."""
    return Path(os.environ.get("LLE_ENV_FILE") or BASE_DIR / ".env")


def load_env_file(path: str | os.PathLike | None = None) -> Path | None:
    """Put the KEY=value lines of the `.env` file into os.environ, never
    replacing a variable the process was started with (real environment
    variables win). Returns the file read, or None when there is none.

    Called by manage.py, lle_portal/celery.py and lle_portal/wsgi.py before
    they choose DJANGO_SETTINGS_MODULE, and again by the settings (harmless:
    nothing is replaced), so a `DJANGO_SETTINGS_MODULE=` line in `.env` is
    obeyed by every process, not only by the ones that happen to read it late.
    """
    path = Path(path) if path is not None else env_file_path()
    if not path.is_file():
        return None
    environ.Env.read_env(path, overwrite=False)
    return path


# The value settings_module_choose set as a default (not one the environment or
# .env named), so that a later, more specific entry point may replace it.
_defaulted: str | None = None


def settings_module_choose(default: str) -> str:
    """Read `.env`, then set DJANGO_SETTINGS_MODULE to `default` unless the
    environment or `.env` names one. Returns the module chosen.

    lle_portal/__init__.py imports the Celery app, so celery.py runs before
    wsgi.py: its default (local settings) must not stick when gunicorn loads
    wsgi.py, whose default is production. A default is therefore replaced by a
    later default; a value the environment or `.env` gave never is.
    """
    global _defaulted
    load_env_file()
    current = os.environ.get("DJANGO_SETTINGS_MODULE")
    if not current or current == _defaulted:
        os.environ["DJANGO_SETTINGS_MODULE"] = default
        _defaulted = default
    return os.environ["DJANGO_SETTINGS_MODULE"]


def _example_secret_key() -> str | None:
    example = BASE_DIR / ".env.example"
    if not example.is_file():
        return None
    for line in example.read_text(encoding="utf-8").splitlines():
        if line.startswith("DJANGO_SECRET_KEY="):
            return line.split("=", 1)[1].strip().strip("'\"")
    return None


def secret_key_problem(key: str) -> str | None:
    """What is wrong with `key` as a production secret key, or None.

    Sessions, password-reset, invitation and reference links are all signed
    with it: a key anyone can read (the example in .env.example, a placeholder)
    lets anyone forge them.
    """
    if key == _example_secret_key():
        return "DJANGO_SECRET_KEY is the example from .env.example: generate a random one."
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"DJANGO_SECRET_KEY must be a random string of at least {SECRET_KEY_MIN_LENGTH} characters."
    lowered = key.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return "DJANGO_SECRET_KEY looks like a placeholder, not a random string: generate a random one."
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        return "DJANGO_SECRET_KEY repeats too few characters to be random: generate a random one."
    return None
