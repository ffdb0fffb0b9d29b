"""One way for a view to call a service and tell the person what happened.

    if attempt(request, lambda: services.withdraw(application, by=request.user),
               success="Your application has been withdrawn."):
        ...

A refusal (`DomainError`) becomes an error message and `attempt` returns False;
success adds `success` (when given) and returns True. Views that show the
refusal inside a form instead use `add_to_form`.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from .errors import DomainError


def attempt(request: HttpRequest, call: Callable[[], object], *, success: str | None = None) -> bool:
    """Run `call`; put its refusal or `success` in the messages; True when done."""
    try:
        call()
    except DomainError as error:
        messages.error(request, str(error))
        return False
    if success:
        messages.success(request, success)
    return True


def add_to_form(form: forms.BaseForm, call: Callable[[], object]) -> bool:
    """Run `call`; a refusal goes on the form (on its field when it names one)."""
    try:
        call()
    except DomainError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error))
        return False
    return True
