"""Project-wide pytest fixtures.

Server-backed tests (marked `redis`, `postgres`) run when their server answers.
When it does not, they are skipped with the reason -- unless LLE_REQUIRE_SERVICES=1
(set by .ci/run), in which case they fail: CI must never pass by skipping them.
Browser tests likewise need Debian's Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from hypothesis import settings as hypothesis_settings

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("LLE_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("LLE_CHROMIUM", "/usr/bin/chromium")

# Property-based tests (test_fuzz_*.py). "ci", the default: the same examples on
# every run, few enough to keep the suite fast. HYPOTHESIS_PROFILE=explore to hunt.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, max_examples=30, deadline=None)
hypothesis_settings.register_profile("explore", max_examples=500, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (LLE_REQUIRE_SERVICES=1: a required server is missing)", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = os.environ.get("REDIS_URL") or "not set (Redis tests will be skipped)"
    return [f"LLE Portal: database={engine}, REDIS_URL={redis}, require services={REQUIRE_SERVICES}"]


def pytest_sessionstart(session) -> None:
    if REQUIRE_SERVICES:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("LLE_REQUIRE_SERVICES=1 but DATABASE_URL does not point at PostgreSQL.")
        if not os.environ.get("REDIS_URL"):
            raise pytest.UsageError("LLE_REQUIRE_SERVICES=1 but REDIS_URL is not set.")


def pytest_runtest_setup(item) -> None:
    if item.get_closest_marker("postgres"):
        from django.conf import settings

        if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
            _missing("needs PostgreSQL: set DATABASE_URL")
    if item.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL", "")
        if not url:
            _missing("needs Redis: set REDIS_URL")
        elif not _reachable(url, 6379):
            _missing(f"Redis at {url} does not answer")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _missing(f"needs Chromium at {CHROMIUM} (make test installs it with apt-get)")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttles (password reset, registration, reference links) count in the
    # cache, which outlives a test: one test's requests must not use up another's.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded and generated files of one test never leak into another.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def la(db):
    from lle_portal.tests.factories import LocalAuthorityFactory

    return LocalAuthorityFactory(code="926", name="Norfolk")


@pytest.fixture
def users(db, la):
    """One user of each role; the adviser works for Norfolk, another adviser for Suffolk."""
    from lle_portal.tests.factories import (
        AdviserFactory,
        AssessorFactory,
        GovernorFactory,
        HeadteacherFactory,
        LocalAuthorityFactory,
        SchoolFactory,
    )

    school = SchoolFactory(local_authority=la)
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    return {
        "headteacher": HeadteacherFactory(school=school),
        "adviser": AdviserFactory(local_authorities=[la]),
        "other_adviser": AdviserFactory(local_authorities=[suffolk]),
        "assessor": AssessorFactory(),
        "governor": GovernorFactory(school=school),
    }


@pytest.fixture
def verified_login(db):
    """Sign a staff user in as if they had entered their authenticator code:
    `verified_login(client, users["adviser"])`. For tests that turn on
    settings.LLE_STAFF_2FA (it is off for the rest of the suite)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(client, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=True
        )
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return login
