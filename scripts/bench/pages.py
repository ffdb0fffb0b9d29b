"""Who looks at which key page, and signed-in sessions for them.

The sessions are made the way django.contrib.auth.login() leaves them (the
user's id, backend and session hash), plus django-otp's verified-device key
for staff when the site requires two-factor authentication, so the load never
goes through the sign-in form (nor its throttling).
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import NoReverseMatch, reverse

from applications.models import Application, ApplicationRound, LLEProfile
from deployments.models import Deployment, ReimbursementStatement, SupportNeed
from lle_portal.models import User

from .dataset import DOMAIN

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _backend() -> str:
    backends = list(settings.AUTHENTICATION_BACKENDS)
    return MODEL_BACKEND if MODEL_BACKEND in backends else backends[-1]


def _otp_verify(user: User, session) -> None:
    """Mark the session as verified with a confirmed device, as django-otp's
    login does, when django-otp is installed (staff must use a second factor)."""
    if "django_otp" not in settings.INSTALLED_APPS or not user.is_staff:
        return
    from django_otp import DEVICE_ID_SESSION_KEY

    device = None
    if "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    elif "django_otp.plugins.otp_static" in settings.INSTALLED_APPS:
        from django_otp.plugins.otp_static.models import StaticDevice

        device, _ = StaticDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    if device is None:
        raise RuntimeError("django-otp is installed with no TOTP or static device plugin: add one to the bench.")
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id


def session_for(user: User) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = _backend()
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    _otp_verify(user, store)
    store.create()
    return store.session_key


def csrf_cookie() -> str:
    from django.middleware.csrf import _get_new_csrf_string

    return _get_new_csrf_string()


def cookies(plan: dict, who: str) -> dict[str, str]:
    """The cookies a persona's browser sends: its session (if signed in) and its CSRF cookie."""
    found = {}
    if who in plan["sessions"]:
        found[plan["session_cookie"]] = plan["sessions"][who]
    if who in plan.get("csrf", {}):
        found[plan["csrf_cookie"]] = plan["csrf"][who]
    return found


def cookie_header(plan: dict, who: str) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies(plan, who).items())


def personas() -> dict[str, User | None]:
    lle = LLEProfile.objects.select_related("user").order_by("pk").first()
    open_round = ApplicationRound.objects.get(name="National LLE recruitment (open)")
    deployment = (Deployment.objects.filter(lle=lle, status=Deployment.Status.ACTIVE, client_head__isnull=False)
                  .order_by("pk").first())
    draft = Application.objects.filter(round=open_round, status="draft").order_by("pk").first()
    submitted = Application.objects.filter(round=open_round, status="submitted").order_by("pk").first()
    # The base data set has each of these (scripts/bench/dataset.py).
    assert lle is not None and deployment is not None and draft is not None and submitted is not None
    return {
        "anonymous": None,
        "head (draft)": draft.applicant,
        "head (submitted)": submitted.applicant,
        "LLE": lle.user,
        "client head": deployment.client_head,
        "adviser": User.objects.get(email=f"adviser@{DOMAIN}"),
        "governor": User.objects.get(email=f"governor@{DOMAIN}"),
    }


def _maybe(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def key_pages(people: dict[str, User | None]) -> list[dict]:
    """(name, who, url) of every key page. The objects are chosen from the base
    data set, so the same pages are asked for at 1x and at 10x."""
    lle = people["LLE"].lle_profile  # type: ignore[union-attr]  # personas() has an LLE
    deployment = (Deployment.objects.filter(lle=lle, status=Deployment.Status.ACTIVE, client_head__isnull=False)
                  .order_by("pk").first())
    open_round = ApplicationRound.objects.get(name="National LLE recruitment (open)")
    draft = Application.objects.get(round=open_round, applicant=people["head (draft)"])
    submitted = Application.objects.get(round=open_round, applicant=people["head (submitted)"])
    need = SupportNeed.objects.open().order_by("pk").first()
    statement = ReimbursementStatement.objects.filter(status="draft").order_by("pk").first()
    assert deployment is not None and need is not None and statement is not None  # the base data set has them
    pages = [
        ("healthz (bare Django view)", "anonymous", reverse("healthz")),
        ("home", "anonymous", reverse("home")),
        ("programme page", "anonymous", reverse("applications:programme")),
        ("application task list", "head (draft)", reverse("applications:task_list", args=[draft.pk])),
        ("application status", "head (submitted)", reverse("applications:detail", args=[submitted.pk])),
        ("LLE: deployments", "LLE", reverse("deployments:list")),
        ("LLE: deployment", "LLE", reverse("deployments:detail", args=[deployment.pk])),
        ("client head: deployment", "client head", reverse("deployments:detail", args=[deployment.pk])),
        ("recruitment index", "adviser", reverse("applications:staff_index")),
        ("panel", "adviser", reverse("applications:staff_panel", args=[open_round.pk])),
        ("deployments overview", "adviser", reverse("deployments:overview")),
        ("matching (one need)", "adviser", reverse("deployments:matches", args=[need.pk])),
        ("statements", "adviser", reverse("deployments:statements")),
        ("statement (records of visit)", "adviser", reverse("deployments:statement", args=[statement.pk])),
    ]
    # The impact app is being written: its pages are measured once they exist.
    for name, who, url_name in [
        ("governor dashboard", "governor", "impact:dashboard"),
        ("adviser dashboard", "adviser", "impact:dashboard"),
        ("surveys to answer", "client head", "impact:survey_list"),
        ("surveys (staff list)", "adviser", "impact:staff_survey_list"),
    ]:
        url = _maybe(url_name)
        if url:
            pages.append((name, who, url))
    return [{"name": name, "who": who, "url": url} for name, who, url in pages]
