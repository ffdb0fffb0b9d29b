"""Forms for signing in, passwords and invitations.

Forms validate and normalise; the writes happen in lle_portal.services.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordMixin,
    UserChangeForm,
)

from . import services
from .models import Invitation, User


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an email address, whatever its case."""

    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        error_messages={"required": "Enter your email address."},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        # Says nothing about whether the address has an account.
        "invalid_login": "Enter a correct email address and password.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # After a failed attempt the error summary takes the focus, not the field.
            self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean_username(self) -> str:
        # Addresses are stored in lower case (User.save).
        return self.cleaned_data["username"].strip().lower()


class EmailPasswordResetForm(PasswordResetForm):
    """Django's reset flow, with the email queued like every other email."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Enter your email address."},
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        # Called only for an address that has an active account; the view
        # shows the same page either way.
        services.user_password_reset_email(user=context["user"], uidb64=context["uid"], token=context["token"])


class InvitationAcceptForm(SetPasswordMixin, forms.Form):
    """Set a password for the account an invitation offers."""

    full_name = forms.CharField(
        label="Your full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name."},
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="Create a password", label2="Confirm your password"
    )

    def __init__(self, *args, invitation: Invitation, **kwargs):
        self.invitation = invitation
        super().__init__(*args, **kwargs)
        self.fields["password1"].error_messages["required"] = "Create a password."
        self.fields["password2"].error_messages["required"] = "Type your password again to confirm it."

    def clean(self):
        self.validate_passwords()
        # The validators compare the password with the person's own details.
        stand_in = User(email=self.invitation.email, full_name=self.cleaned_data.get("full_name", ""))
        self.validate_password_for_user(stand_in)
        return super().clean()


class InvitationAdminForm(forms.ModelForm):
    """The admin's 'add invitation' form. `by` is set by the admin per request."""

    by: User | None = None

    class Meta:
        model = Invitation
        fields = ["email", "full_name", "role", "school", "local_authorities"]
        widgets = {"local_authorities": forms.CheckboxSelectMultiple}
        help_texts = {
            "school": "Required for a governor; a headteacher's own school.",
            "local_authorities": "For an adviser: the local authorities whose data they will see.",
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["email"] = services.invitation_check(
                email=cleaned["email"],
                role=cleaned["role"],
                school=cleaned.get("school"),
                local_authorities=cleaned.get("local_authorities") or (),
                by=self.by,
            )
        return cleaned


class UserAdminChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes = {}


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "school")
