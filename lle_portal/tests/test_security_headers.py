"""Security headers and cookies: Content-Security-Policy without 'unsafe-inline',
HSTS, nosniff, Referrer-Policy, frame denial, secure cookies."""

import json

import pytest
from django.urls import reverse

from lle_portal.tests.factories import GovernorFactory
from lle_portal.tests.support import PRODUCTION_ENV, manage

PASSWORD = "correct horse battery staple"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@pytest.fixture
def production_like(settings):
    # What production.py sets; SSL redirect off as the test client speaks to Django directly.
    settings.SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def _directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_a_page_sends_every_security_header(client, production_like):
    response = client.get(reverse("login"), secure=True)

    assert response.status_code == 200
    assert _directives(response["Content-Security-Policy"]) == _directives(CSP)
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


@pytest.mark.django_db
def test_the_session_cookie_is_secure_http_only_and_same_site_lax(client, production_like):
    GovernorFactory(email="chair@school.example")
    response = client.post(reverse("login"), {"username": "chair@school.example", "password": PASSWORD},
                           secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


@pytest.mark.django_db
def test_the_admin_and_error_pages_send_the_policy_too(client, production_like):
    for url in (reverse("admin:login"), "/no-such-page/"):
        response = client.get(url, secure=True)
        assert _directives(response["Content-Security-Policy"]) == _directives(CSP), url
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_reference_link_pages_send_no_referrer(client):
    response = client.get(reverse("applications:reference_respond", args=["some-token"]))
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" in response


# --- The production settings themselves ----------------------------------------------------

PRINT_SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE",
    "LLE_STAFF_2FA", "LLE_TRUSTED_PROXY_COUNT", "AXES_FAILURE_LIMIT", "AXES_LOCKOUT_PARAMETERS",
    "CONTENT_SECURITY_POLICY", "MIDDLEWARE", "AUTHENTICATION_BACKENDS"]}, default=str))
"""


def test_the_production_settings_turn_every_protection_on():
    result = manage("shell", "-c", PRINT_SETTINGS, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])

    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["LLE_STAFF_2FA"] is True
    assert values["LLE_TRUSTED_PROXY_COUNT"] == 0
    assert values["AXES_FAILURE_LIMIT"] == 5
    # Per (address, client) and per account: guessing from many addresses locks it too.
    assert values["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"], "username"]
    directives = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)
    for middleware in ("csp.middleware.CSPMiddleware", "django_otp.middleware.OTPMiddleware",
                       "lle_portal.middleware.StaffIdleTimeoutMiddleware",
                       "lle_portal.middleware.StaffTwoFactorMiddleware", "axes.middleware.AxesMiddleware"):
        assert middleware in values["MIDDLEWARE"]
    assert values["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"


def test_production_refuses_to_turn_off_two_factor_for_staff():
    result = manage("check", env={**PRODUCTION_ENV, "LLE_STAFF_2FA": "false"})
    assert result.returncode != 0
    assert "LLE_STAFF_2FA cannot be turned off in production" in result.stderr


def test_production_reads_the_number_of_trusted_proxies():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.LLE_TRUSTED_PROXY_COUNT)",
                    env={**PRODUCTION_ENV, "DJANGO_TRUSTED_PROXY_COUNT": "2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2"
