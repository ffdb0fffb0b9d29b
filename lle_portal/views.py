"""Pages of the shared core: home, sign-in, invitations, registration and email changes."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import services
from .access import AuthenticatedHttpRequest
from .forms import (
    EmailAuthenticationForm,
    EmailChangeForm,
    EmailPasswordResetForm,
    HeadteacherRegistrationForm,
    InvitationAcceptForm,
    RegistrationConfirmForm,
    SchoolFinderForm,
)
from .http import client_ip
from .models import EmailChange, School, User


def home(request: HttpRequest) -> HttpResponse:
    """What the programme is, for visitors; a short role-aware landing, for people signed in."""
    context = {}
    if request.user.is_authenticated:
        context["role_summary"] = _role_summary(request.user)
    return render(request, "home.html", context)


def _role_summary(user: User) -> str:
    school = user.school.name if user.school else ""
    if user.is_headteacher:
        if school and not user.school_link_confirmed:
            return f"headteacher (your link to {school} waits for the LA adviser's confirmation)"
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

    def form_valid(self, form):
        if services.account_email_permitted(purpose="password_reset", email=form.cleaned_data["email"],
                                            client_ip=client_ip(self.request)):
            return super().form_valid(form)
        # Over the limit: the same "check your email" page, and no email.
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever used the emailed link holds the mailbox: a sign-in lockout on
        # the account (perhaps an attacker's doing) no longer protects anything.
        services.user_sign_in_lock_lift(user=form.user)
        return response


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
        data = form.cleaned_data
        # Over the hourly limit of emails to this address or from this client,
        # nothing is sent; the answer is the same "check your email" page.
        if services.account_email_permitted(purpose="registration", email=data["email"],
                                            client_ip=client_ip(request)):
            try:
                services.headteacher_register(email=data["email"], full_name=data["full_name"],
                                              password=data["password1"], school=data["school"])
            except ValidationError as error:
                form.add_error(None, error)
                return render(request, "accounts/register.html", {"form": form})
        return redirect("register_sent")
    return render(request, "accounts/register.html", {"form": form})


def register_sent(request: HttpRequest) -> HttpResponse:
    """After registering: the same words whether or not the address had an account."""
    return render(request, "accounts/register_sent.html")


def _registration_unusable(request: HttpRequest) -> HttpResponse:
    # One page for an unknown, expired, used or replaced link (see _invitation_unusable).
    return render(request, "accounts/registration_invalid.html", status=404)


@_private_link
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
def register_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed registration link: with the password chosen when
    registering, it makes the account and signs the head in."""
    registration = services.registration_find_pending(token=token)
    if registration is None:
        return _registration_unusable(request)
    form = RegistrationConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.registration_confirm(token=token, password=form.cleaned_data["password"])
        except services.InvitationInvalid:
            return _registration_unusable(request)
        except services.RegistrationPasswordWrong:
            form.add_error("password", "This is not the password chosen when the account was asked for.")
        else:
            # login() gives a new session key, so whoever had this browser before is signed out.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your account is ready. You are now signed in. Your link to "
                                      f"{user.school.name} will be confirmed by the LA lead adviser; you can "  # type: ignore[union-attr]  # registration names a school
                                      "start your application now.")
            return redirect("applications:programme")
    return render(request, "accounts/register_confirm.html", {"form": form, "registration": registration})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
def email_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A signed-in person asks to sign in with a new address: a link goes to it."""
    form = EmailChangeForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["new_email"]
        try:
            services.email_change_request(user=request.user, new_email=new_email, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The same words whether or not the address has an account (see the service).
            hours = int(EmailChange.VALID_FOR.total_seconds() // 3600)
            messages.success(
                request,
                f"We have emailed a link to {new_email}. Open it within {hours} hours to confirm your new address; "
                "until then you sign in with your current one.",
            )
            return redirect("home")
    return render(request, "accounts/email_change.html", {"form": form})


def _email_change_unusable(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/email_change_invalid.html", status=404)


@_private_link
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link emailed to the new address. Opening it (as a mail scanner
    does) changes nothing; the button does."""
    change = services.email_change_find_pending(token=token)
    if change is None:
        return _email_change_unusable(request)
    if request.method == "POST":
        try:
            user = services.email_change_confirm(token=token)
        except services.EmailChangeInvalid:
            return _email_change_unusable(request)
        return render(request, "accounts/email_change_done.html", {"email": user.email})
    return render(request, "accounts/email_change_confirm.html", {"change": change})


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
    out, from this client address or from everywhere (AXES_LOCKOUT_CALLABLE)."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
