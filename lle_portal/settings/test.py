"""Settings for pytest. DATABASE_URL and REDIS_URL, when set, still apply."""

from .base import *  # noqa: F403
from .base import BASE_DIR, VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "http://testserver"

# Tasks run in the test process unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Hundreds of tests sign staff in with force_login; the second factor is
# proven on its own in lle_portal/tests/test_security_2fa.py, which turns it on.
LLE_STAFF_2FA = False
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests

# Tests see the overview as the data is; its cache has a test of its own.
DEPLOYMENTS_OVERVIEW_CACHE_SECONDS = 0
LLE_PAGE_CACHE_SECONDS = 0
