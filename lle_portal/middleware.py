"""Rules for staff sessions, applied to every request in one place.

Staff (advisers, assessors, superusers) can open the Django admin and see
every LA's applicants, so their sessions are held to more than other people's:

- `StaffIdleTimeoutMiddleware`: a staff session ends after 30 minutes without
  a request (LLE_STAFF_IDLE_SECONDS). Headteachers and governors keep the
  normal session age.
- `StaffTwoFactorMiddleware`: a staff user must have confirmed a TOTP device
  and entered a code from it in this session before any page but signing in
  and out and the two-factor pages themselves. Enforced here rather than in
  each staff view, so a new staff page (or the admin) cannot forget it.
"""

from __future__ import annotations

import time
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Session key: when the staff user last made a request (seconds since the epoch).
LAST_SEEN_KEY = "lle_staff_last_seen"
# The stamp is rewritten at most this often, so an active staff user does not
# cost a session write on every request.
LAST_SEEN_RESOLUTION = 60


def _is_staff(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    if session is not None and session.session_key is None:
        # No session cookie: nobody is signed in, and the user need not be looked up.
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _stamp(session, now: int) -> None:
    session[LAST_SEEN_KEY] = now
    # The session row and cookie expire too, in case no request ever comes
    # back to be checked by the middleware.
    session.set_expiry(settings.LLE_STAFF_IDLE_SECONDS + LAST_SEEN_RESOLUTION)


@receiver(user_logged_in)
def _stamp_staff_sign_in(sender, request, user, **kwargs) -> None:
    # Stamped here, where the session is written anyway, so that the first
    # pages after signing in cost no extra session write.
    if user.is_staff and request is not None and hasattr(request, "session"):
        _stamp(request.session, int(time.time()))


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_staff(request):
            idle = settings.LLE_STAFF_IDLE_SECONDS
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - int(last_seen) > idle:
                logout(request)
                messages.info(
                    request, f"You were signed out after {idle // 60} minutes without activity. Sign in again."
                )
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - int(last_seen) >= LAST_SEEN_RESOLUTION:
                _stamp(request.session, now)
        return self.get_response(request)


# URL names a staff user may open before the second factor.
OTP_EXEMPT_URL_NAMES = ("login", "logout", "otp_setup", "otp_verify", "admin:logout")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths: tuple[str, ...] | None = None

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = tuple(reverse(name) for name in OTP_EXEMPT_URL_NAMES)
        # Static files only: no URL serves MEDIA_ROOT (private files go through views).
        prefixes = tuple(p for p in (settings.STATIC_URL,) if p)
        prefixes = tuple("/" + p.lstrip("/") for p in prefixes)
        return path in self._exempt_paths or path.startswith(prefixes) or path == "/favicon.ico"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # is_verified: django_otp's OTPMiddleware puts it on request.user; the types cannot know.
        if (settings.LLE_STAFF_2FA and _is_staff(request) and not request.user.is_verified()  # type: ignore[union-attr]
                and not self._exempt(request.path)):
            return self._second_factor(request)
        return self.get_response(request)

    def _second_factor(self, request: HttpRequest) -> HttpResponse:
        from django_otp import devices_for_user

        has_device = any(True for _ in devices_for_user(request.user, confirmed=True))
        url = reverse("otp_verify" if has_device else "otp_setup")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class AuditActorMiddleware:
    """django-auditlog's AuditlogMiddleware, without its cost on every request.

    Theirs connects a pre_save receiver for LogEntry at the start of each
    request and disconnects it at the end, which also empties the signal's
    receiver cache for every model on every request. This sets the same context
    (actor, remote address and port, correlation id) for the request and
    resets it after, and one receiver connected once (audit.register_models)
    reads it when a LogEntry is saved: the same entries, the same actor.
    """

    def __init__(self, get_response):
        from auditlog.cid import correlation_id
        from auditlog.context import auditlog_value
        from auditlog.middleware import AuditlogMiddleware

        self.get_response = get_response
        self._auditlog = AuditlogMiddleware(get_response)
        # Imported and looked up once here, not on every request.
        self._correlation_id, self._value = correlation_id, auditlog_value
        header = settings.AUDITLOG_CID_HEADER
        self._cid_header = None if settings.AUDITLOG_CID_GETTER or not header else header
        self._cid_meta = header and "HTTP_" + header.upper().replace("-", "_")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._cid_header:
            # auditlog.cid.set_cid, read from META: request.headers (built for this alone) costs more.
            meta = request.META
            cid_token = self._correlation_id.set(meta.get(self._cid_meta, meta.get(self._cid_header)))
        context = {
            # Callables, which auditlog calls when it writes a LogEntry: the address and port
            # are read from the request only if an audited row is saved.
            "remote_addr": partial(self._auditlog._get_remote_addr, request),
            "remote_port": partial(self._auditlog._get_remote_port, request),
            # The user as the request has it, looked up only if an audited row is saved:
            # auditlog names it the actor only if it is a signed-in user.
            "actor": getattr(request, "user", None),
            "signal_duid": REQUEST_AUDIT_DUID,
        }
        token = self._value.set(context)
        try:
            return self.get_response(request)
        finally:
            self._value.reset(token)
            if self._cid_header:
                self._correlation_id.reset(cid_token)


# The dispatch id of the one receiver that gives a request's LogEntry rows their actor.
REQUEST_AUDIT_DUID = ("lle_portal.middleware.AuditActorMiddleware", 0)


def connect_audit_actor() -> None:
    from auditlog import get_logentry_model
    from auditlog.context import _set_extra_data
    from django.db.models.signals import pre_save

    pre_save.connect(partial(_set_extra_data, signal_duid=REQUEST_AUDIT_DUID), sender=get_logentry_model(),
                     dispatch_uid=REQUEST_AUDIT_DUID, weak=False)


# django-csp builds the Content-Security-Policy string from the settings on
# every response, twice (the policy and the report-only one). Built from the
# settings alone (no per-view decorator, no nonce) it is the same string every
# time: it is kept, and built again when a test overrides the settings. Its
# middleware also deep-copies the response's policy parts (dataclasses.asdict)
# twice a response to pass them on; build_policy copies what it uses and
# changes none of them, so they are passed as they are.
_csp_policies: dict[bool, str] = {}


def keep_csp_policy() -> None:
    import dataclasses

    import csp.middleware
    from csp.utils import build_policy
    from django.core.signals import setting_changed

    def kept_build_policy(config=None, update=None, replace=None, nonce=None, report_only=False) -> str:
        if config is None and update is None and replace is None and nonce is None:
            policy = _csp_policies.get(report_only)
            if policy is None:
                policy = _csp_policies[report_only] = build_policy(report_only=report_only)
            return policy
        return build_policy(config=config, update=update, replace=replace, nonce=nonce, report_only=report_only)

    def forget(setting, **kwargs) -> None:
        if setting.startswith("CONTENT_SECURITY_POLICY"):
            _csp_policies.clear()

    def parts_as_arguments(parts) -> dict:
        return {field.name: getattr(parts, field.name) for field in dataclasses.fields(parts)}

    csp.middleware.build_policy = kept_build_policy
    csp.middleware.asdict = parts_as_arguments  # type: ignore[assignment]  # the module's own name for asdict
    setting_changed.connect(forget, dispatch_uid="lle-portal-csp-policy", weak=False)
