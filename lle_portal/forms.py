"""Forms for signing in, passwords, invitations and headteachers' registration.

Forms validate and normalise; the writes happen in lle_portal.services.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordMixin,
    UserChangeForm,
)
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import QueryDict

from . import services
from .models import Invitation, School, User


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


class RefusesLockedFields:
    """A form (the admin's) that refuses a posted value for a field it does not
    offer: the admin drops read-only fields from the form, which would save the
    rest and quietly ignore a value added to the request. `locked_fields` is set
    per request by the admin (get_form builds a new class each time)."""

    locked_fields: frozenset[str] = frozenset()
    LOCKED_MESSAGE = ("You cannot change {labels} here: only a superuser changes roles, local authorities and "
                      "other people's email addresses, and no one changes their own local authorities.")

    def clean(self):
        cleaned = super().clean()
        posted = sorted(name for name in self.locked_fields
                        if name not in self.fields and any(key == name or key.startswith(f"{name}_")
                                                           for key in self.data))
        if posted:
            labels = ", ".join(str(self._meta.model._meta.get_field(name).verbose_name) for name in posted)
            raise forms.ValidationError(self.LOCKED_MESSAGE.format(labels=labels), code="locked")
        return cleaned


class InvitationAdminForm(RefusesLockedFields, forms.ModelForm):
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


class UserAdminChangeForm(RefusesLockedFields, UserChangeForm):
    """The admin's change form of a person. The admin offers `by` only the
    fields lle_portal.services.user_changeable_fields allows; the admin's
    save_model calls services.user_update, which checks them again."""

    by: User | None = None

    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # the stubs omit UserChangeForm.Meta
        model = User
        fields = "__all__"
        field_classes: dict[str, Any] = {}

    def clean_email(self) -> str:
        # Stored in lower case (User.save): compare in lower case for the unique check.
        return BaseUserManager.normalize_email(self.cleaned_data["email"].strip()).lower()

    def clean(self):
        cleaned = super().clean()
        if self.by is not None and self.instance.pk and not self.errors:
            try:
                services.user_check_changes(person=self.instance, fields=self.changed_data, by=self.by)
            except PermissionDenied as error:
                raise forms.ValidationError(str(error), code="locked") from error
        return cleaned


class EmailChangeForm(forms.Form):
    """A signed-in person asks to sign in with a new address (services.email_change_request)."""

    # Wrong passwords allowed per person per hour: the form checks the password,
    # so without a limit it would be a way round the sign-in lockout.
    PASSWORD_ATTEMPTS = 5

    new_email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your new email address.",
            "invalid": "Enter an email address like name@school.org.uk.",
        },
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="So that we know it is you.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_email(self) -> str:
        return BaseUserManager.normalize_email(self.cleaned_data["new_email"].strip()).lower()

    def clean_password(self) -> str:
        return current_password_check(self.user, self.cleaned_data["password"])


def current_password_check(user: User, password: str) -> str:
    """Check the password a signed-in person types to confirm a change (their
    email, their password). Wrong ones are counted per person, across these
    forms, so that a borrowed session is no way round the sign-in lockout:
    after EmailChangeForm.PASSWORD_ATTEMPTS in an hour even the right one is refused."""
    key = f"email-change-password-failures:{user.pk}"
    failures = cache.get(key, 0)
    if failures >= EmailChangeForm.PASSWORD_ATTEMPTS:
        raise forms.ValidationError("Too many wrong passwords. Wait an hour, then try again.")
    if not user.check_password(password):
        cache.set(key, failures + 1, 3600)
        raise forms.ValidationError("Your password is not right. Enter the password you sign in with.")
    return password


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the current password's guesses limited (current_password_check)."""

    def clean_old_password(self) -> str:
        return current_password_check(self.user, self.cleaned_data["old_password"])


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "school")


# --- Choosing a school from the imported list, without JavaScript ---------------------

SCHOOL_SEARCH_LIMIT = 20


def schools_matching(query: str, *, limit: int = SCHOOL_SEARCH_LIMIT) -> list[School]:
    """Open schools whose URN is `query`, or whose name contains every word of it."""
    # At most the search box's 100 characters: a longer posted query would chain a
    # filter per word. PostgreSQL refuses NUL in text; isdecimal(), as int("²") fails.
    words = query[:100].replace("\x00", " ").split()
    if not words:
        return []
    schools = School.objects.open().select_related("local_authority").order_by("name", "urn")
    if len(words) == 1 and words[0].isdecimal():
        return list(schools.filter(urn=int(words[0]))[:limit])
    for word in words:
        schools = schools.filter(name__icontains=word)
    return list(schools[:limit])


def school_label(school: School) -> str:
    place = ", ".join(part for part in (school.town, school.postcode) if part)
    return f"{school.name} (URN {school.urn})" + (f", {place}" if place else "")


class RadioChoices(forms.RadioSelect):
    """Radios whose field id is the first radio's, so that the error summary's
    link (#id_<field>_0) takes the keyboard to the first choice (GOV.UK)."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, "0" if index is None else index)


class CheckboxChoices(forms.CheckboxSelectMultiple):
    """Checkboxes whose field id is the first box's (see RadioChoices)."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, "0" if index is None else index)


class SchoolFinderForm(forms.Form):
    """A school found by URN or name: a text box and a "Find school" button
    (name="action", value=FIND) list the matches as radios to choose from.

    The choices are the matches of the search, the school already chosen and
    the one posted, so a choice made from an earlier search still validates.
    """

    FIND = "find_school"

    school_query = forms.CharField(
        label="Find a school by URN or name",
        required=False,
        max_length=100,
        help_text="For example 121234, or part of the school's name.",
    )
    school = forms.ModelChoiceField(
        label="Your school",
        queryset=School.objects.none(),
        widget=RadioChoices,
        empty_label=None,
        error_messages={
            "required": "Choose your school: find it by its URN or name, then select it.",
            "invalid_choice": "Choose a school from the list.",
        },
    )

    def __init__(self, *args, current_school: School | None = None, school_search: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if school_search is None:
            school_search = self.data.get(self.add_prefix("school_query"), "") if self.is_bound else ""
        self.school_searched = bool(school_search.strip())
        self.school_matches = schools_matching(school_search)
        ids = {school.pk for school in self.school_matches}
        if current_school is not None:
            ids.add(current_school.pk)
        posted = self.data.get(self.add_prefix("school"), "") if self.is_bound else self.initial.get("school")
        if str(posted or "").isdecimal():
            ids.add(int(str(posted)))
        field = cast(forms.ModelChoiceField, self.fields["school"])
        field.queryset = School.objects.filter(pk__in=ids).select_related("local_authority").order_by("name")
        field.label_from_instance = school_label  # type: ignore[method-assign, assignment]  # Django's documented hook

    @classmethod
    def keeping_typed_values(cls, data: QueryDict, **kwargs):
        """An unbound copy of the form showing what was typed, for a page that
        lists schools found rather than errors. Passwords are never shown again."""
        probe = cls(**kwargs)
        typed = {}
        for name, field in probe.fields.items():
            key = probe.add_prefix(name)
            if key in data:
                multiple = getattr(field.widget, "allow_multiple_selected", False)
                typed[name] = data.getlist(key) if multiple else data.get(key)
        kwargs["initial"] = {**kwargs.get("initial", {}), **typed}
        return cls(school_search=data.get(probe.add_prefix("school_query"), ""), **kwargs)


class HeadteacherRegistrationForm(SetPasswordMixin, SchoolFinderForm):
    """A headteacher makes an account to apply (lle_portal.services.headteacher_register)."""

    full_name = forms.CharField(
        label="Your full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name."},
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="Your school email address. You will sign in with it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@school.org.uk.",
        },
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="Create a password", label2="Confirm your password"
    )

    field_order = ["full_name", "email", "school_query", "school", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].label = "The school where you are headteacher"
        self.fields["password1"].error_messages["required"] = "Create a password."
        self.fields["password2"].error_messages["required"] = "Type your password again to confirm it."

    def clean_email(self) -> str:
        # Never "there is already an account": the form must not tell anyone
        # which addresses have one (services.headteacher_register emails the holder).
        return BaseUserManager.normalize_email(self.cleaned_data["email"].strip()).lower()

    def clean(self):
        self.validate_passwords()
        stand_in = User(email=self.cleaned_data.get("email", ""), full_name=self.cleaned_data.get("full_name", ""))
        self.validate_password_for_user(stand_in)
        return super().clean()


class RegistrationConfirmForm(forms.Form):
    """The emailed registration link: the password chosen when registering."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="The password you chose when you asked for the account.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": "Enter the password you chose when you asked for the account."},
    )


class OTPCodeForm(forms.Form):
    """The six-digit code from an authenticator app (staff two-factor pages)."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        help_text="The 6-digit code the app shows now, for example 123456.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits the app shows, with no letters.")
        return code
