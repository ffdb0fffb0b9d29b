"""Production: gunicorn behind a TLS-terminating proxy, PostgreSQL, Redis.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL,
SITE_URL. Missing any of them stops the process at start-up.
"""

from django.core.exceptions import ImproperlyConfigured

from lle_portal.config import secret_key_problem

from .base import *  # noqa: F403
from .base import env

DEBUG = False

# No defaults: a production process without these must not start.
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SITE_URL = env.str("SITE_URL").rstrip("/")
# The example from .env.example, a placeholder or a short key would let anyone
# forge sessions and emailed links (lle_portal/config.py says what is refused).
# Generate one with: python -c "import secrets; print(secrets.token_urlsafe(64))"
if problem := secret_key_problem(SECRET_KEY):
    raise ImproperlyConfigured(problem)
for name in ("DATABASE_URL", "REDIS_URL"):
    if not env.str(name, default=""):
        raise ImproperlyConfigured(f"Set the {name} environment variable.")

# Staff always sign in with a second factor in production.
if not env.bool("LLE_STAFF_2FA", default=True):
    raise ImproperlyConfigured("LLE_STAFF_2FA cannot be turned off in production.")
LLE_STAFF_2FA = True

# Sessions read from Redis, written to the database too (they survive a Redis
# restart): a signed-in page costs no session query. django-otp keeps its
# verified device and django-axes its attempts elsewhere; neither needs the
# database backend.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind a proxy that terminates TLS and sets X-Forwarded-Proto. Set
# DJANGO_TRUSTED_PROXY_COUNT to the number of our proxies in front of gunicorn
# (usually 1), or every client looks like the proxy to the login lockout.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# A load balancer may probe the health check over plain HTTP, straight at gunicorn.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

LOGGING["root"]["level"] = env.str("DJANGO_LOG_LEVEL", default="WARNING")  # noqa: F405
