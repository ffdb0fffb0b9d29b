"""Whole-page caching of the key pages, keyed on the data version (issue 17).

A key page (settings.LLE_CACHED_PAGES, by URL name) asked for with GET is kept
in the cache for LLE_PAGE_CACHE_SECONDS under a key made of everything its
answer depends on besides the data: the session (so the person, and nothing
shared between two people), the scheme, host, path and query string, the
CSRF cookie (its token is in the page's forms) and the day. It is kept with
the data's version (lle_portal/data_version.py), which every save or delete of
a portal model bumps, and served only while that version is current: the same
request with nothing changed is answered from the cache; anything saved makes
the next request compute the page again.

The middleware sits after authentication, django-otp and the staff rules, so
a signed-out, idle or unverified person is redirected before any cached page
is looked at. Never cached: a page with messages to show (they are shown
once), an answer other than 200, one that sets a cookie of its own, and one
whose CSRF token was made for a browser that had no CSRF cookie yet.

Writes that send no signal (QuerySet.update, bulk_create of an import) show
within LLE_PAGE_CACHE_SECONDS, as on the deployments overview.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from . import data_version

HIT = "hit"


def _messages_waiting(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        key = getattr(request, "_page_cache_key", None)
        if key is not None and self._keepable(request, response):
            cache.set(key, {
                "version": getattr(request, "_page_cache_version"),  # noqa: B009 (set in process_view)
                "status": response.status_code,
                "headers": list(response.headers.items()),
                "content": response.content,
                "csrf": bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE")),
            }, settings.LLE_PAGE_CACHE_SECONDS)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        seconds = getattr(settings, "LLE_PAGE_CACHE_SECONDS", 0)
        match = request.resolver_match
        if (not seconds or request.method != "GET" or match is None
                or match.view_name not in settings.LLE_CACHED_PAGES or _messages_waiting(request)):
            return None
        session = getattr(request, "session", None)
        parts = [
            match.view_name, str(request.scheme), request.get_host(), request.get_full_path(),
            (session.session_key if session is not None else None) or "",
            request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""), timezone.localdate().isoformat(),
        ]
        key = "lle:page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        # The version and the page in one round trip; the page carries the version it was made under.
        found = cache.get_many([data_version.DATA, key])
        version = found.get(data_version.DATA)
        if version is None:
            version = data_version.current(data_version.DATA)
        kept = found.get(key)
        if kept is None or kept["version"] != version:
            setattr(request, "_page_cache_key", key)  # noqa: B010 (the request carries it to __call__)
            setattr(request, "_page_cache_version", version)  # noqa: B010
            return None
        response = HttpResponse(kept["content"], status=kept["status"])
        for name, value in kept["headers"]:
            response[name] = value
        if kept["csrf"]:
            # As rendering {% csrf_token %} did: the CSRF middleware sends the cookie again. (A page
            # is kept with its token only for a browser whose valid cookie is in the key.)
            if "CSRF_COOKIE" in request.META:
                request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
            else:
                get_token(request)
        setattr(request, "_page_cache", HIT)  # noqa: B010 (the tests read it)
        return response

    @staticmethod
    def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        storage = getattr(request, "_messages", None)
        if storage is not None and (storage.used or getattr(storage, "_queued_messages", None)):
            return False
        # A token made now for a browser without a (valid) CSRF cookie must not be given to the next one.
        return not (request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
                    and request.META.get("CSRF_COOKIE") != request.COOKIES.get(settings.CSRF_COOKIE_NAME))
