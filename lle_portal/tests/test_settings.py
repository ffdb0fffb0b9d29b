"""The production settings: refuse to start without secrets; pass `check --deploy`."""

import os
import subprocess
import sys

import pytest

from lle_portal.config import secret_key_problem

from .support import PRODUCTION_ENV, ROOT, manage


def test_it_passes_the_deployment_checklist_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_it_refuses_a_weak_secret_key():
    result = manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def _example_value(name: str) -> str:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not in .env.example")


def test_it_refuses_the_example_secret_key_from_env_example():
    # The attack: copy .env.example to .env and deploy. The example key is 69
    # characters long, so a length check alone let it through.
    example = _example_value("DJANGO_SECRET_KEY")
    assert len(example) >= 50
    result = manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": example})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", [
    "x" * 64,  # long but one character
    "0123456789" * 6,  # long but ten characters
    "change-me-please-to-something-long-and-random-abcdefghijklmnopq",
    "django-insecure-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
    "dev-only-insecure-key-change-me-" + "abcdefghijklmnopqrstuvwxyz",
    "test-only-secret-key-not-for-production-0123456789",
])
def test_it_refuses_obviously_weak_secret_keys(key):
    assert secret_key_problem(key) is not None


@pytest.mark.parametrize("key", [
    "k7#Qz9!vR2@mW4$xT6^bN8&cL0*pJ3(hF5)dG1-sA7+eY9=uI2?oK4",
    "3f9a1c0e7b2d48a6f5c1e09b7d3a2c4e8f6b1a0d9c7e5f3a2b4c6d8e0f1a3b5c",  # 64 hex characters
])
def test_it_accepts_random_secret_keys(key):
    assert secret_key_problem(key) is None


def test_a_key_from_djangos_generator_is_accepted():
    from django.core.management.utils import get_random_secret_key

    assert all(secret_key_problem(get_random_secret_key()) is None for _ in range(20))


# --- .env means the same to manage.py, Celery and gunicorn (wsgi) ---------------------

PRINT_SETTINGS = "from django.conf import settings; print('settings:', settings.SETTINGS_MODULE)"
ENTRY_POINTS = {
    # manage.py defaults to local settings, wsgi to production: a .env naming
    # the test settings must win over both defaults.
    "manage.py": ["manage.py", "shell", "-c", PRINT_SETTINGS],
    "celery": ["-c", f"import lle_portal.celery; {PRINT_SETTINGS}"],
    "wsgi": ["-c", f"import lle_portal.wsgi; {PRINT_SETTINGS}"],
}


def _run_with_env_file(tmp_path, argv, *, lines, env=None) -> subprocess.CompletedProcess:
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "LLE_ENV_FILE"))}
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**base, "LLE_ENV_FILE": str(env_file), **(env or {})})


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_it_obeys_the_settings_module_named_in_the_env_file(tmp_path, entry_point):
    result = _run_with_env_file(tmp_path, ENTRY_POINTS[entry_point],
                                lines=["# as .env.example has it", "DJANGO_SETTINGS_MODULE=lle_portal.settings.test"])
    assert result.returncode == 0, result.stderr
    assert "settings: lle_portal.settings.test" in result.stdout


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_a_real_environment_variable_wins_over_the_env_file(tmp_path, entry_point):
    result = _run_with_env_file(tmp_path, ENTRY_POINTS[entry_point],
                                lines=["DJANGO_SETTINGS_MODULE=lle_portal.settings.production"],
                                env={"DJANGO_SETTINGS_MODULE": "lle_portal.settings.test"})
    assert result.returncode == 0, result.stderr
    assert "settings: lle_portal.settings.test" in result.stdout


def test_the_loader_sets_what_is_missing_and_keeps_what_is_set(tmp_path, monkeypatch):
    from lle_portal.config import load_env_file

    env_file = tmp_path / ".env"
    env_file.write_text("LLE_TEST_FROM_FILE=file\nLLE_TEST_ALREADY_SET=file\n")
    monkeypatch.setenv("LLE_TEST_ALREADY_SET", "process")
    monkeypatch.delenv("LLE_TEST_FROM_FILE", raising=False)
    try:
        assert load_env_file(env_file) == env_file
        assert os.environ["LLE_TEST_FROM_FILE"] == "file"
        assert os.environ["LLE_TEST_ALREADY_SET"] == "process"
    finally:
        os.environ.pop("LLE_TEST_FROM_FILE", None)
    assert load_env_file(tmp_path / "missing.env") is None


def test_gunicorn_without_a_settings_module_runs_the_production_settings(tmp_path):
    # lle_portal/__init__.py imports the Celery app, whose default (local
    # settings, DEBUG on) used to be set before wsgi.py's own default.
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = _run_with_env_file(tmp_path, ENTRY_POINTS["wsgi"], lines=["# nothing"], env=env)
    assert result.returncode == 0, result.stderr
    assert "settings: lle_portal.settings.production" in result.stdout
