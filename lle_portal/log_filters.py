"""Keeping the secret in a private link's URL out of the logs.

A sponsor's reference link, an invitation, a registration confirmation, an
email-change confirmation and a password-reset link each carry their
credential in the path. Django logs the
path of every 4xx and 5xx answer as a warning ("Not Found: /programme/
reference/<token>/"), runserver logs every request line, and log files travel
further than the database (support tickets, log services). So the filter
below replaces the token in any such path with a short prefix of its SHA-256
hash: enough to match a log line with a stored token hash, useless as a link.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable

# The URL prefixes under which the next path segment is a secret. Settings may
# pass others (LOGGING["filters"]["private_links"]["prefixes"]).
PRIVATE_LINK_PREFIXES = (
    "/programme/reference/",
    "/accounts/invitation/",
    "/accounts/register/confirm/",
    "/accounts/email/confirm/",  # an email change, confirmed from the new address
    "/accounts/password/reset/<uidb64>/",
)
HASH_PREFIX_LENGTH = 8


def token_label(token: str) -> str:
    """What a log line shows instead of `token`: a short prefix of its hash."""
    return f"[token {hashlib.sha256(token.encode()).hexdigest()[:HASH_PREFIX_LENGTH]}]"


def _pattern(prefixes: Iterable[str]) -> re.Pattern:
    parts = [re.escape(prefix).replace(re.escape("<uidb64>"), r"[^/\s]+") for prefix in prefixes]
    # "[" is never part of a token, so a line redacted once is left as it is.
    return re.compile(rf"((?:{'|'.join(parts)}))([^/?#\s\"'\[\]]+)")


def redact_private_links(text: str, pattern: re.Pattern | None = None) -> str:
    pattern = pattern or _DEFAULT_PATTERN
    return pattern.sub(lambda match: match.group(1) + token_label(match.group(2)), text)


_DEFAULT_PATTERN = _pattern(PRIVATE_LINK_PREFIXES)


class RedactPrivateLinks(logging.Filter):
    """A logging filter: the record's message, with private-link tokens replaced.

    Put it on the loggers that write request paths (django.request,
    django.server, gunicorn.access): a logger's filters run before any handler,
    so no handler (console, file, pytest's caplog) ever sees the token.
    """

    def __init__(self, prefixes: Iterable[str] = PRIVATE_LINK_PREFIXES, name: str = "") -> None:
        super().__init__(name)
        self.pattern = _pattern(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_private_links(message, self.pattern)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
