"""Who is on the other end of a request: the client's address behind our proxies.

In production gunicorn sits behind a reverse proxy (or two) that terminate TLS
and append the address they received the request from to X-Forwarded-For.
Only the entries our own proxies appended can be trusted: anything to their
left was sent by the client and may be forged. So with N trusted proxies the
client is the N-th entry from the right; with none (the default) it is
REMOTE_ADDR, and the header is ignored.

Login throttling (django-axes), the reference links' rate limit and the limits
on password-reset and registration emails all key on `client_ip`, so a forged
header can neither dodge a limit nor make someone else's requests count.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, as far as our trusted proxies vouch for it;
    None when there is none (a request made in code, as force_login does)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "") or "")
    proxies = getattr(settings, "LLE_TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # Fewer entries than proxies: the request did not come through all of
        # them (someone reached the server directly), so the header is not ours.
        return remote
    return _valid_ip(hops[-proxies]) or remote


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The sign-in name django-axes counts failures under: the email address in
    lower case, as the sign-in form compares it (AXES_USERNAME_CALLABLE)."""
    username = (credentials or {}).get("username") or (credentials or {}).get("email")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return str(username or "").strip().lower()
