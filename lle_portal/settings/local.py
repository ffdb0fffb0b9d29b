"""Development: `make run`. Emails are written to var/emails/ as .log files."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
