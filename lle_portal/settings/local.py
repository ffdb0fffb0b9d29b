"""Development: `make run`. Emails are written to var/emails/ as .log files."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Staff two-factor authentication is always on in production; on a developer's
# machine the demo adviser would otherwise need an authenticator app before
# seeing anything. LLE_STAFF_2FA=true turns it on here too.
LLE_STAFF_2FA = env.bool("LLE_STAFF_2FA", default=False)

# A developer editing a template sees it on the next request: the key pages are
# not kept whole in the cache here unless asked for (lle_portal/page_cache.py).
LLE_PAGE_CACHE_SECONDS = env.int("LLE_PAGE_CACHE_SECONDS", default=0)
