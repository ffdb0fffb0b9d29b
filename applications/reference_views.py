"""The pages a sponsor (or a chair of governors) opens from an emailed link.

No account and no session: the unguessable, single-use token in the URL is
the only credential, and it opens one request only. A wrong, expired, used-up
(cancelled or replaced) or tampered token gets the same page and the same
status, so a visitor learns nothing about which tokens exist. Only the holder
of a token that matches an answered request is told "already submitted".

CSRF: these views are exempt. CSRF protects a session's ambient credential
(a cookie) from being used by another site; here there is no cookie to ride
on -- the credential is the token in the URL, which another site cannot know.
And the pages must send `Referrer-Policy: no-referrer` (so the token never
leaks to another site), under which Chromium posts forms with `Origin: null`,
which Django's CSRF origin check refuses.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lle_portal.http import client_ip
from lle_portal.throttle import throttle_count, throttle_hit

from . import references
from .models import LinkRequest
from .reference_forms import FORMS, DeclineForm

Status = LinkRequest.Status
logger = logging.getLogger(__name__)

# Bad tokens: a fixed window per client address in Django's cache (Redis in
# production, so the count is shared by every worker). Only tokens that match
# no request count, and only they are refused once the limit is reached: a
# school's staff share one address behind its NAT, and a neighbour's mistyped
# links must never lock a sponsor out of their own. Guessing is defeated by the
# token's 256 bits, not by this limit, which bounds the noise one address makes
# and flags it in the log (with the address, never a token).
BAD_TOKEN_LIMIT = 10
BAD_TOKEN_WINDOW = 15 * 60
BAD_TOKEN_SCOPE = "reference-link-bad"  # noqa: S105 - a cache key scope, not a secret


def _client_address(request: HttpRequest) -> str:
    # Behind the production proxies REMOTE_ADDR is the proxy: see lle_portal.http.
    return client_ip(request) or "unknown"


def _limit() -> int:
    return getattr(settings, "REFERENCE_BAD_TOKEN_LIMIT", BAD_TOKEN_LIMIT)


def _rate_limited(request: HttpRequest) -> bool:
    return throttle_count(BAD_TOKEN_SCOPE, _client_address(request), window=BAD_TOKEN_WINDOW) >= _limit()


def _count_bad_token(request: HttpRequest) -> None:
    count = throttle_hit(BAD_TOKEN_SCOPE, _client_address(request), window=BAD_TOKEN_WINDOW)
    if count == _limit():
        logger.warning("Reference links: %s reached %s unknown tokens in %s minutes; further unknown tokens "
                       "from it get 429.", _client_address(request), count, BAD_TOKEN_WINDOW // 60)


def private_link(view):
    """Never cached, never sent on as a Referer, no CSRF cookie check (see the
    module's docstring). Finds the request the token opens and passes it to
    the view; a token that opens none is refused while its address is over
    the bad-token limit."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
        link_request = references.link_request_find(token=token)
        if link_request is None and _rate_limited(request):
            response = render(request, "applications/reference/too_many.html", status=429)
        else:
            response = view(request, token, link_request, *args, **kwargs)
        # "Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private".
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _unusable(request: HttpRequest, link_request: LinkRequest | None) -> HttpResponse:
    # The same page for a made-up token and a real one that is closed; only a
    # made-up one counts towards the limit.
    if link_request is None:
        _count_bad_token(request)
    return render(request, "applications/reference/invalid.html", status=404)


def _answered(request: HttpRequest, link_request: LinkRequest) -> HttpResponse:
    application = link_request.application
    return render(request, "applications/reference/done.html", {
        "link_request": link_request,
        # Just sent (the redirect after this holder's own submission) or opened again later.
        "just_sent": request.GET.get("sent") == "1",
        "is_reference": link_request.kind == LinkRequest.Kind.REFERENCE,
        "applicant_name": application.applicant.get_full_name(),
        "school_name": application.school.name if application.school else "",
    })


def _sent(token: str) -> HttpResponse:
    response = redirect("applications:reference_respond", token=token)
    response["Location"] += "?sent=1"
    return response


@private_link
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str, link_request: LinkRequest | None) -> HttpResponse:
    if link_request is None:
        return _unusable(request, None)
    if link_request.status in (Status.RECEIVED, Status.DECLINED):
        return _answered(request, link_request)
    if not link_request.is_open:
        return _unusable(request, link_request)

    form_class = FORMS[link_request.kind]
    action = request.POST.get("action", "submit") if request.method == "POST" else None
    form = form_class(request.POST if action == "submit" else None, initial=link_request.draft)
    decline_form = DeclineForm(request.POST if action == "decline" else None)
    draft_saved_at = None
    try:
        if action == "submit" and form.is_valid():
            references.link_request_submit(link_request=link_request, answers=form.cleaned_data)
            return _sent(token)
        if action == "decline" and decline_form.is_valid():
            references.link_request_decline(link_request=link_request, reason=decline_form.cleaned_data["reason"])
            return _sent(token)
        if action in ("submit", "draft"):
            # Keep what they typed even though it is not complete.
            link_request = references.link_request_save_draft(link_request=link_request, data=request.POST)
        if action == "draft":
            # "Save draft": nothing is checked yet; the page comes back with what was typed.
            form = form_class(initial=link_request.draft)
            draft_saved_at = timezone.localtime()
    except references.ReferenceError:
        # Answered, expired or cancelled between the page load and the post (or a replay).
        return redirect("applications:reference_respond", token=token)
    application = link_request.application
    return render(request, "applications/reference/respond.html", {
        "link_request": link_request,
        "applicant_name": application.applicant.get_full_name(),
        "school_name": application.school.name if application.school else "",
        "form": form,
        "decline_form": decline_form,
        "is_reference": link_request.kind == LinkRequest.Kind.REFERENCE,
        "errors_in": "decline" if decline_form.errors else ("submit" if form.errors else ""),
        "draft_saved_at": draft_saved_at,
    })


@private_link
@require_POST
def draft(request: HttpRequest, token: str, link_request: LinkRequest | None) -> JsonResponse:
    """Called by static/js/autosave.js as the sponsor types."""
    if link_request is None or not link_request.is_open:
        if link_request is None:
            _count_bad_token(request)
        return JsonResponse({"error": "This link can no longer be used."}, status=404)
    try:
        references.link_request_save_draft(link_request=link_request, data=request.POST)
    except references.ReferenceError as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse({"saved_at": timezone.localtime().strftime("%H:%M"), "errors": {}})
