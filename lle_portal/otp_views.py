"""Two-factor authentication for staff: set up an authenticator app, and enter
its code after signing in with a password (django-otp, TOTP).

lle_portal.middleware.StaffTwoFactorMiddleware sends staff here before any
other page; these views only do the asking.
"""

from __future__ import annotations

import base64
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import AuthenticatedHttpRequest, staff_required
from .audit import audit_record
from .forms import OTPCodeForm

DEVICE_NAME = "Authenticator app"
WRONG_CODE = "That code is not right. Check the time on your phone, and enter the code the app shows now."
THROTTLED = "Too many wrong codes. Wait a minute, then enter the code the app shows now."


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return "/admin/" if request.user.is_staff else settings.LOGIN_REDIRECT_URL


def _qr_code_data_uri(text: str) -> str:
    # An <img> with a data: URI, so the strict Content-Security-Policy
    # (img-src 'self' data:) allows it without inline SVG.
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _check(form: OTPCodeForm, devices: list[TOTPDevice]) -> TOTPDevice | None:
    """The device that accepts the form's code, or None with the error added to the form.

    django-otp throttles each device: after a wrong code the next try must
    wait 1 s, then 2 s, 4 s... so codes cannot be guessed.
    """
    throttled = False
    for device in devices:
        if not device.verify_is_allowed()[0]:
            throttled = True
        elif device.verify_token(form.cleaned_data["code"]):
            return device
    form.add_error("code", THROTTLED if throttled else WRONG_CODE)
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("code")
@staff_required
def otp_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add an authenticator app: show its secret as a QR code, confirm with a code."""
    if request.user.is_verified():  # type: ignore[attr-defined]  # put there by django_otp's OTPMiddleware
        return redirect(_next_url(request))
    if any(True for _ in devices_for_user(request.user, confirmed=True)):
        # A password alone must never be enough to add a second device.
        return redirect(reverse("otp_verify") + "?" + urlencode({"next": _next_url(request)}))
    device = (TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-pk").first()
              or TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False))

    form = OTPCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _check(form, [device]):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        audit_record(verb="user.two_factor_enabled", target=request.user, actor=request.user,
                     data={"device": device.persistent_id})
        messages.success(request, "Two-factor authentication is set up. You will be asked for a code "
                                  "each time you sign in.")
        return redirect(_next_url(request))
    return render(request, "otp/setup.html", {
        "form": form,
        "qr_code": _qr_code_data_uri(device.config_url),
        "secret": " ".join(b32encode(device.bin_key).decode()[i:i + 4] for i in range(0, 32, 4)).strip(),
        "next": _next_url(request),
    })


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("code")
@staff_required
def otp_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for the code from the staff user's authenticator app."""
    if request.user.is_verified():  # type: ignore[attr-defined]  # put there by django_otp's OTPMiddleware
        return redirect(_next_url(request))
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect("otp_setup")
    form = OTPCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = _check(form, devices)
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
    return render(request, "otp/verify.html", {"form": form, "next": _next_url(request)})
