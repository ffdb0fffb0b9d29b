"""Counting events per key in fixed time windows, in Django's cache.

In production the cache is Redis, so every gunicorn worker on every machine
shares the counts; a key's count lives only as long as its window. Used by the
reference links' bad-token limit and by the limits on account emails (password
reset, registration).
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone


def _key(scope: str, subject: str, window: int) -> str:
    # Hashed: a subject may be an email address, and cache keys show in Redis.
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}:{int(timezone.now().timestamp()) // window}"


def throttle_count(scope: str, subject: str, *, window: int) -> int:
    """The number of events counted for `subject` in the current window."""
    return cache.get(_key(scope, subject, window)) or 0


def throttle_hit(scope: str, subject: str, *, window: int) -> int:
    """Count one event for `subject`; return the count, this one included."""
    key = _key(scope, subject, window)
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, window)
        return 1
