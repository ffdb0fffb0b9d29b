"""Pages of the shared core: home, sign-in, invitations and registration."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import services
from .forms import (
    EmailAuthenticationForm,
    EmailPasswordResetForm,
    HeadteacherRegistrationForm,
    InvitationAcceptForm,
    SchoolFinderForm,
)
from .models import School, User


def home(request: HttpRequest) -> HttpResponse:
    """What the programme is, for visitors; a short role-aware landing, for people signed in."""
    context = {}
    if request.user.is_authenticated:
        context["role_summary"] = _role_summary(request.user)
    return render(request, "home.html", context)


def _role_summary(user: User) -> str:
    school = user.school.name if user.school_id else ""
    if user.is_headteacher:
        return f"headteacher of {school}" if school else "headteacher"
    if user.is_governor:
        return f"governor of {school}" if school else "governor"
    if user.is_adviser:
        las = ", ".join(la.name for la in user.local_authorities.all())
        return f"LA lead adviser for {las}" if las else "LA lead adviser"
    return user.get_role_display().lower()


class LoginView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    # A signed-in person who follows a sign-in link just goes on.
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = EmailPasswordResetForm


def _private_link(view):
    """For pages whose URL is a secret: never cached, and the URL never sent
    to another site as a Referer."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # never_cache sends "Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private".
        response = never_cache(view)(request, *args, **kwargs)
        # Not "no-referrer": under it Chromium posts the page's form with
        # "Origin: null", which Django's CSRF check rightly refuses. The page
        # loads nothing from other sites, so "same-origin" keeps the token here.
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper


def _invitation_unusable(request: HttpRequest) -> HttpResponse:
    # The same page, with the same status, for an unknown, expired, used or
    # revoked token: it must not tell a visitor which tokens exist.
    return render(request, "accounts/invitation_invalid.html", status=404)


@_private_link
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password1", "password2")
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed invitation link: set a password and start a session."""
    invitation = services.invitation_find_pending(token=token)
    if invitation is None:
        return _invitation_unusable(request)

    data = request.POST if request.method == "POST" else None
    form = InvitationAcceptForm(data, invitation=invitation, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"], full_name=form.cleaned_data["full_name"]
            )
        except services.InvitationInvalid:
            return _invitation_unusable(request)
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            # login() gives a new session key, so whoever had this browser before is signed out.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your account is ready. You are now signed in.")
            return redirect("home")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password1", "password2")
def register(request: HttpRequest) -> HttpResponse:
    """A headteacher makes their own account, to apply to the programme."""
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST" and request.POST.get("action") == HeadteacherRegistrationForm.FIND:
        # "Find school" lists the matches; nothing is checked or saved yet.
        form = HeadteacherRegistrationForm.keeping_typed_values(request.POST)
        # Without JavaScript the page comes back; a password is never sent back into a page.
        passwords_dropped = bool(request.POST.get("password1") or request.POST.get("password2"))
        return render(request, "accounts/register.html", {"form": form, "passwords_dropped": passwords_dropped})

    form = HeadteacherRegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.headteacher_register(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                school=form.cleaned_data["school"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your account is ready. You are now signed in.")
            return redirect("applications:programme")
    return render(request, "accounts/register.html", {"form": form})


# The school finder's question, as each page asks it.
SCHOOL_FINDER_LABELS = {"register": "The school where you are headteacher", "section": "The school you lead"}


@require_http_methods(["GET"])
def school_search(request: HttpRequest) -> HttpResponse:
    """The schools matching a URN or name, as the radios of a school finder
    (static/js/school-finder.js puts them in the page without reloading it).
    Open schools' names and URNs are public data (GIAS), as on the register page."""
    query = request.GET.get("q", "")[:100]
    chosen = request.GET.get("chosen", "")
    current = School.objects.filter(pk=int(chosen)).first() if chosen.isdecimal() and len(chosen) < 10 else None
    form = SchoolFinderForm(school_search=query, current_school=current,
                            initial={"school_query": query, "school": current.pk if current else None})
    form.fields["school"].label = SCHOOL_FINDER_LABELS.get(request.GET.get("for", ""), SCHOOL_FINDER_LABELS["section"])
    return render(request, "applications/_school_finder_results.html", {"form": form})


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a sign-in attempt while the email address is locked
    out from this client address (AXES_LOCKOUT_CALLABLE)."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
