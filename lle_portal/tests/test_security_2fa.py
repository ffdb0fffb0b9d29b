"""Two-factor authentication for staff (django-otp, TOTP), enforced on every page
by lle_portal.middleware.StaffTwoFactorMiddleware. The rest of the suite runs
with it off (settings/test.py); these tests turn it on, as production always has it."""

import base64
from urllib.parse import quote

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from lle_portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
STAFF_PAGE = reverse("deployments:overview")


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    settings.LLE_STAFF_2FA = True


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def _wrong_code(device: TOTPDevice) -> str:
    right = {_code(device, offset=n) for n in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def _device(user, *, confirmed=True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


# --- Staff with no device: set one up -------------------------------------------------------


@pytest.mark.parametrize("role", ["adviser", "assessor"])
def test_staff_without_a_device_are_sent_to_set_one_up_from_any_page(client, users, role):
    client.force_login(users[role])
    for url in ("/admin/", STAFF_PAGE, "/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('otp_setup')}?next={quote(url, safe='')}"


def test_setting_up_shows_a_qr_code_and_the_key_then_a_right_code_confirms_it(client, users):
    adviser = users["adviser"]
    client.force_login(adviser)

    page = client.get(reverse("otp_setup"), {"next": "/admin/"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=adviser)
    assert not device.confirmed
    secret = base64.b32encode(device.bin_key).decode()
    assert page.context["secret"].replace(" ", "") == secret
    # An SVG image, drawn as one path (no inline style for the CSP to block).
    qr = base64.b64decode(html.split('src="data:image/svg+xml;base64,')[1].split('"')[0])
    assert qr.startswith(b"<svg") and b"<path" in qr and b"style=" not in qr

    wrong = client.post(reverse("otp_setup"), {"code": _wrong_code(device), "next": "/admin/"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").status_code == 302

    device.throttle_reset()  # the wrong code made the next try wait; see the throttling test
    right = client.post(reverse("otp_setup"), {"code": _code(device), "next": "/admin/"})
    assert right.status_code == 302
    assert right.url == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(verb="user.two_factor_enabled")
    assert (event.target, event.actor) == (adviser, adviser)


def test_a_password_alone_cannot_add_a_second_device(client, users):
    adviser = users["adviser"]
    _device(adviser)
    client.force_login(adviser)
    response = client.get(reverse("otp_setup"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_verify"))
    assert TOTPDevice.objects.filter(user=adviser).count() == 1


# --- Staff with a device: a code after the password -----------------------------------------


def test_signing_in_with_the_password_then_asks_for_the_code_before_any_page(client, users):
    adviser = users["adviser"]
    device = _device(adviser)
    response = client.post(reverse("login"), {"username": adviser.email, "password": PASSWORD, "next": STAFF_PAGE})
    assert response.status_code == 302
    assert response.url == STAFF_PAGE

    asked = client.get(STAFF_PAGE)
    assert asked.status_code == 302
    assert asked.url == f"{reverse('otp_verify')}?next={quote(STAFF_PAGE, safe='')}"
    assert client.get("/admin/").url.startswith(reverse("otp_verify"))
    assert client.post(reverse("admin:index")).status_code == 302

    code_page = client.get(asked.url)
    assert code_page.status_code == 200
    assert "Enter your security code" in code_page.content.decode()

    wrong = client.post(reverse("otp_verify"), {"code": _wrong_code(device), "next": STAFF_PAGE})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert client.get(STAFF_PAGE).status_code == 302

    device.throttle_reset()
    right = client.post(reverse("otp_verify"), {"code": _code(device), "next": STAFF_PAGE})
    assert right.status_code == 302
    assert right.url == STAFF_PAGE
    assert client.get(STAFF_PAGE).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_after_a_wrong_code_the_next_try_must_wait(client, users):
    device = _device(users["adviser"])
    client.force_login(users["adviser"])
    client.post(reverse("otp_verify"), {"code": _wrong_code(device)})

    # Even the right code is refused at once: guessing all million codes is not possible.
    response = client.post(reverse("otp_verify"), {"code": _code(device)})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_code_cannot_be_used_twice(client, users, django_user_model):
    adviser = users["adviser"]
    device = _device(adviser)
    client.force_login(adviser)
    code = _code(device)
    assert client.post(reverse("otp_verify"), {"code": code}).status_code == 302

    client.post(reverse("logout"))
    client.force_login(adviser)
    again = client.post(reverse("otp_verify"), {"code": code})
    assert again.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_it_refuses_to_follow_next_to_another_site(client, users):
    device = _device(users["adviser"])
    client.force_login(users["adviser"])
    response = client.post(reverse("otp_verify"), {"code": _code(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == "/admin/"


def test_a_letter_in_the_code_gets_a_clear_message(client, users):
    _device(users["adviser"])
    client.force_login(users["adviser"])
    response = client.post(reverse("otp_verify"), {"code": "12a456"})
    assert "Enter the 6 digits the app shows" in response.content.decode()


def test_signing_out_and_the_code_pages_are_open_before_the_code(client, users):
    _device(users["adviser"])
    client.force_login(users["adviser"])
    assert client.get(reverse("otp_verify")).status_code == 200
    assert client.get(reverse("login")).status_code == 302  # already signed in: goes on, to be asked
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_verified_login_fixture_opens_the_admin(client, users, verified_login):
    verified_login(client, users["adviser"])
    assert client.get("/admin/").status_code == 200
    assert client.get(STAFF_PAGE).status_code == 200


def test_the_admin_index_needs_the_code(client, users):
    _device(users["adviser"])
    client.force_login(users["adviser"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_verify"))


# --- Everyone else ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["headteacher", "governor"])
def test_headteachers_and_governors_are_never_asked(client, users, role):
    client.force_login(users[role])
    assert client.get("/").status_code == 200
    assert client.get(reverse("password_change")).status_code == 200
    # The two-factor pages are for staff only.
    assert client.get(reverse("otp_verify")).status_code == 403
    assert client.get(reverse("otp_setup")).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_a_visitor_is_sent_to_sign_in_from_the_code_pages(client):
    response = client.get(reverse("otp_verify"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_with_the_setting_off_staff_are_not_asked(client, users, settings):
    settings.LLE_STAFF_2FA = False
    client.force_login(users["adviser"])
    assert client.get("/admin/").status_code == 200


# --- Devices in the admin ---------------------------------------------------------------


def test_an_adviser_cannot_open_anyones_authenticator_in_the_admin(client, users, verified_login):
    device = _device(users["other_adviser"])
    verified_login(client, users["adviser"])
    assert client.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 403
    assert client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).status_code == 403


def test_a_superuser_may_remove_a_lost_device_but_never_sees_its_secret(client, users, verified_login):
    root = User.objects.create_superuser(email="root@la.example", password=PASSWORD, full_name="Root")
    device = _device(users["adviser"])
    verified_login(client, root)

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert base64.b32encode(device.bin_key).decode() not in page.content.decode()

    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    # The adviser is asked to set up a new app at their next sign-in.
    client.force_login(users["adviser"])
    assert client.get("/admin/").url.startswith(reverse("otp_setup"))
