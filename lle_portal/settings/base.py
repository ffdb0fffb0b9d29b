"""Settings shared by every environment.

Everything that differs between machines comes from environment variables
(django-environ). The defaults need no server: SQLite for the database and
kombu's filesystem transport for Celery, so that a fresh clone runs a real
worker and beat beside the web server.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab

from lle_portal.config import load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py ($LLE_ENV_FILE if set) is read if present; real
# environment variables win. manage.py, Celery and wsgi.py have read it already,
# before choosing the settings; this covers the rest (pytest).
load_env_file()

VAR_DIR = Path(env.str("LLE_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    # Django's admin, with the portal's site (task groups, header, way back).
    "lle_portal.admin_site.LLEAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "axes",
    # Ours. Dependencies point one way: impact -> deployments -> applications -> lle_portal.
    "lle_portal",
    "applications",
    "deployments",
    "impact",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Staff: signed out after 30 minutes idle, then a second factor before any page.
    "lle_portal.middleware.StaffIdleTimeoutMiddleware",
    "lle_portal.middleware.StaffTwoFactorMiddleware",
    # The key pages from the cache while the data has not changed (after the staff rules).
    "lle_portal.page_cache.PageCacheMiddleware",
    # Records the logged-in user as the actor of every audited change (django-auditlog's
    # middleware, without connecting a signal receiver on every request).
    "lle_portal.middleware.AuditActorMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lle_portal.urls"
WSGI_APPLICATION = "lle_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lle_portal.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file: wait for
    # the lock rather than fail at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "lle_portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2id at OWASP's minimum first (lle_portal/hashers.py says why); PBKDF2
# hashes made before verify still and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "lle_portal.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts and sessions (issue 7) ---
# How many reverse proxies of ours stand in front of gunicorn, each appending to
# X-Forwarded-For. 0: the client is REMOTE_ADDR (lle_portal.http.client_ip).
LLE_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# Login throttling (django-axes): 5 wrong passwords for one email address lock
# it for 15 minutes, whether they came from one client address (the pair) or
# from many (the account alone: guessing one person's password from a botnet).
# The account lock lets an attacker pause someone's sign-in, so a password
# reset, which proves the person holds the mailbox, lifts it at once
# (lle_portal.views.PasswordResetConfirmView). An address is never locked on its
# own: a school's staff share one behind its NAT.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "lle_portal.http.client_ip"
AXES_USERNAME_CALLABLE = "lle_portal.http.login_username"
AXES_LOCKOUT_CALLABLE = "lle_portal.views.locked_out"
# Successful sign-ins are not logged (personal data with no use here); failures are.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password"]

# Staff (who can open the admin) sign in with a second factor (TOTP, django-otp)
# and are signed out after 30 minutes idle (lle_portal/middleware.py).
# Production always enforces the second factor (production.py).
LLE_STAFF_2FA = env.bool("LLE_STAFF_2FA", default=True)
LLE_STAFF_IDLE_SECONDS = 30 * 60
OTP_TOTP_ISSUER = "LLE Portal"
# Superusers may remove a lost device in the admin, but never read its secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Headers (production.py adds HSTS and secure cookies) ---
# No 'unsafe-inline' anywhere: templates keep scripts and styles in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# Pages reached by a secret link send "no-referrer" themselves.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The largest file anyone may upload (an import file; the KS2 national file
# is 3.5 MB). Past it, lle_portal.files.UploadSizeLimitHandler drops the bytes
# and the form says how large the file was. National files larger than this
# (the whole GIAS extract) are imported by the operators with manage.py.
LLE_MAX_UPLOAD_BYTES = env.int("LLE_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "lle_portal.files.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# An upload above this goes to a temporary file, and is read from there as a stream.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Redis: when REDIS_URL is set it is the broker, result backend and cache. ---
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # Django's Redis backend, keeping its redis-py client objects (lle_portal/cache.py says why).
    CACHES = {"default": {"BACKEND": "lle_portal.cache.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Redis gives a message that was delivered but never acknowledged (its worker
    # died mid-task) to another worker after this many seconds. It must exceed
    # the longest countdown of a retry (10 minutes: Redis counts a waiting retry
    # as unacknowledged too) and the 30 minutes after which an import whose
    # worker died may be claimed again; the longest task (a national import)
    # takes under a minute. Lost emails are also requeued every 10 minutes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # kombu's filesystem transport: a real broker with no server process.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
    # The transport and the result backend expect their folders to exist.
    for _folder in ("queue", "control", "processed", "results"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)

CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_TRACK_STARTED = True
# Our tasks are idempotent, so a message is acknowledged only once the task has
# finished: a worker that dies mid-task leaves the message to be redelivered
# (lle_portal/tests/test_celery_faults.py kills one to prove it). A pool child
# that dies puts its message back at once; one prefetched message per process
# means no other message waits behind a long task or dies with the worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Periodic jobs, in one place. Each entry says why it runs when it does. Daily
# jobs run in the morning, UK time (CELERY_TIMEZONE), when people read email.
CELERY_BEAT_SCHEDULE: dict = {
    # Emails whose task was lost (a broker restart, a crash before queueing) are
    # picked up again; the send itself is idempotent.
    "requeue-unsent-emails": {
        "task": "lle_portal.tasks.requeue_unsent_emails",
        "schedule": 60 * 10,
    },
    # Reports whose build task was lost (queued or running for 15 minutes) are
    # queued again; the build claims the report, so it is never built twice at once.
    "requeue-stale-reports": {
        "task": "lle_portal.reports.requeue_stale_reports",
        "schedule": 60 * 10,
    },
    # Hourly, so the "1 day before the round closes" reminder lands within an
    # hour of that moment; each head gets each reminder once (ApplicationReminder).
    "recruitment-draft-reminders": {
        "task": "applications.tasks.send_draft_reminders",
        "schedule": 60 * 60,
    },
    # Daily: an assessor is reminded once of assignments unscored for 7 days.
    "recruitment-assessor-reminders": {
        "task": "applications.tasks.send_assessor_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # Daily: sponsors and chairs of governors are reminded 7 and 14 days after
    # the request (never two within 48 hours, each once: LinkRequestChaser) and
    # links past their expiry close, with the head asked to name someone else.
    "recruitment-reference-chasers": {
        "task": "applications.tasks.send_reference_chasers",
        "schedule": crontab(hour=8, minute=45),
    },
    # Daily: decision emails go out once a round's decisions-by date has come
    # (the adviser can also send them from the panel page on that day).
    "recruitment-decision-emails": {
        "task": "applications.tasks.send_due_decisions",
        "schedule": crontab(hour=9, minute=0),
    },
    # Daily: an LLE whose deployment has gone without a record of visit for
    # longer than its intensity implies is reminded, once per gap (ReminderLog).
    "deployment-visit-reminders": {
        "task": "deployments.tasks.send_visit_reminders",
        "schedule": crontab(hour=8, minute=15),
    },
    # Daily: 30 days before a deployment's agreed end point, the adviser and
    # both heads are told once, in time to plan the end or an extension.
    "deployment-ending-reminders": {
        "task": "deployments.tasks.send_ending_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    # Hourly: agreed deployments become active on their start date, so the
    # overdue-visit reminder counts from the right day.
    "deployment-starts": {
        "task": "deployments.tasks.start_due_deployments",
        "schedule": 60 * 60,
    },
    # Daily: people who have not answered an open survey are reminded at most
    # twice, five days apart, each reminder once (SurveyReminder).
    "survey-reminders": {
        "task": "impact.tasks.send_survey_reminders",
        "schedule": crontab(hour=9, minute=15),
    },
    # Daily: the LLE and client head of each deployment that ended while an
    # end-of-deployment survey is open are invited, once (SurveyInvitation).
    "survey-end-of-deployment-invitations": {
        "task": "impact.tasks.send_end_of_deployment_invitations",
        "schedule": crontab(hour=7, minute=30),
    },
    # Daily, just after midnight: surveys whose closing day has passed close.
    "survey-closing": {
        "task": "impact.tasks.close_due_surveys",
        "schedule": crontab(hour=0, minute=15),
    },
}

# --- Email ---
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "emails")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LLE Portal <no-reply@lle-portal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Absolute links in emails are built from this, never from the request's Host header.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "LLE Portal"

# Personal data is erased (anonymised, keeping the programme's statistics) only
# once this many days have passed since the person's last activity
# (lle_portal/privacy.py; `manage.py erase_personal_data`).
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=6 * 365)

# How long the adviser's deployments overview may be served from the cache. Any
# save of a deployment, visit, need or LLE makes it fresh at once; this bounds
# how stale it can be after a bulk update that sends no signals.
DEPLOYMENTS_OVERVIEW_CACHE_SECONDS = env.int("DEPLOYMENTS_OVERVIEW_CACHE_SECONDS", default=60)

# The key pages kept whole in the cache (lle_portal/page_cache.py), by URL name, and
# for how long at most: any save of the portal's data makes them fresh at once;
# this bounds how stale they can be after a bulk update that sends no signals,
# or past a moment a page depends on (a round closing).
LLE_PAGE_CACHE_SECONDS = env.int("LLE_PAGE_CACHE_SECONDS", default=60)
LLE_CACHED_PAGES = frozenset({
    "home", "applications:programme", "applications:task_list", "applications:detail",
    "applications:staff_index", "applications:staff_panel",
    "deployments:list", "deployments:detail", "deployments:overview", "deployments:matches",
    "deployments:statements", "deployments:statement",
    "impact:dashboard", "impact:survey_list", "impact:staff_survey_list",
})

# How long an emailed invitation link stays valid.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)
# How long the link that confirms a headteacher's own registration stays valid.
REGISTRATION_LINK_HOURS = env.int("REGISTRATION_LINK_HOURS", default=48)
# How long a sponsor's (or chair of governors') emailed link stays valid.
REFERENCE_LINK_DAYS = env.int("REFERENCE_LINK_DAYS", default=28)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day
# Emails anyone can make the portal send (password reset, registration): at
# most this many an hour to one address (a person may ask again when the first
# is slow; every link sent stays valid, so a flood by someone else still leaves
# the owner a working one), and at most this many an hour asked for by one
# client address (a school's staff share one behind its NAT). The page answers
# the same either way (lle_portal.services.account_email_permitted).
ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR = env.int("ACCOUNT_EMAILS_PER_ADDRESS_PER_HOUR", default=3)
ACCOUNT_EMAILS_PER_CLIENT_PER_HOUR = env.int("ACCOUNT_EMAILS_PER_CLIENT_PER_HOUR", default=10)

# django-auditlog: keep field history for admin edits with the acting user.
AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # The token of a private link (reference, invitation, registration, password
    # reset) never reaches a log: the loggers that write request paths show a
    # short hash prefix instead (lle_portal/log_filters.py).
    "filters": {"private_links": {"()": "lle_portal.log_filters.RedactPrivateLinks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["private_links"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # "Not Found: /programme/reference/<token>/" and the like.
        "django.request": {"filters": ["private_links"]},
        # runserver's request lines.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False, "filters": ["private_links"]},
        "django.db.backends": {"level": "WARNING"},
        # Every sign-in at INFO is noise; lockouts and repeated failures are WARNING.
        "axes": {"level": "WARNING"},
    },
}
