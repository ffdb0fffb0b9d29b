"""Version numbers of the data, kept in the cache, for caches keyed on them.

A cached page or fragment is stored under the version current when it was
computed; a write bumps the version (DATA at once, the deployments overview's
once its transaction commits), so the next request computes afresh and
nothing needs deleting. Writes that send no signal
(QuerySet.update, bulk_create) do not bump: every cache keyed on a version
also has a short timeout, which bounds how stale it can be.

deployments/signals.py keeps the overview's version with these helpers;
lle_portal/page_cache.py keys the key pages on DATA.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

# Every model of the portal's own apps.
DATA = "lle:data-version"
PORTAL_APPS = frozenset({"lle_portal", "applications", "deployments", "impact"})
# Rows written while pages are only read, or that no page shows: they must not
# throw every cached page away.
UNVERSIONED_MODELS = frozenset({"lle_portal.outgoingemail", "lle_portal.auditevent"})


def current(key: str) -> int:
    """The version under `key`, started at 1 when the cache does not have it."""
    version = cache.get(key)
    if version is None:
        cache.add(key, 1, None)
        version = cache.get(key, 1)
    return version


def bump_now(key: str) -> None:
    """A new version under `key` at once. A cache that does not answer does not
    stop the save that called this (what it keeps expires on its own)."""
    try:
        try:
            cache.incr(key)
        except ValueError:  # not there (evicted, or a new cache): start it
            cache.add(key, 1, None)
    except Exception:  # noqa: BLE001 - the cache server's own errors differ by backend
        logger.warning("Could not bump the data version %s in the cache", key, exc_info=True)


def bump(key: str) -> None:
    """A new version under `key` once the current transaction commits: a page
    computed before the commit must not be kept under the new version."""
    transaction.on_commit(lambda: bump_now(key))


def _bump_data(sender, action: str | None = None, **kwargs) -> None:
    if action is not None and not action.startswith("post_"):  # m2m_changed: once, after the change
        return
    meta = sender._meta
    if meta.app_label in PORTAL_APPS and meta.label_lower not in UNVERSIONED_MODELS:
        # At once, not on commit: every save would add a commit callback. A page asked
        # for while the saving transaction is still open may be kept with the data
        # before it, under the new version: until the next save or LLE_PAGE_CACHE_SECONDS.
        bump_now(DATA)


def connect() -> None:
    """Every save, delete and many-to-many change of a portal model bumps DATA
    (m2m_changed's sender is the through model, of the same app)."""
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_bump_data, dispatch_uid=f"lle-data-version-{signal is post_save}-{signal is post_delete}")
    # Checked here so that a typo in PORTAL_APPS shows at start-up.
    for label in PORTAL_APPS:
        apps.get_app_config(label)
