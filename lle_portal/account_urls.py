"""Signing in and out, passwords, email changes, invitation links and
headteachers' registration (all under /accounts/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import otp_views, views
from .forms import LimitedPasswordChangeForm

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # POST only (Django 5): the sign-out button in the header is a form.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(form_class=LimitedPasswordChangeForm),
         name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("register/", views.register, name="register"),
    path("register/sent/", views.register_sent, name="register_sent"),
    path("register/confirm/<str:token>/", views.register_confirm, name="register_confirm"),
    path("email/", views.email_change, name="email_change"),
    path("email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("schools/", views.school_search, name="school_search"),
    # Staff: the second factor (lle_portal.middleware.StaffTwoFactorMiddleware sends them here).
    path("two-factor/", otp_views.otp_verify, name="otp_verify"),
    path("two-factor/setup/", otp_views.otp_setup, name="otp_setup"),
]
