"""One way for an admin action to run a service over the selected rows.

Each row is tried on its own: a refusal (`DomainError`) is reported with the
row's name and the others go on; the count of rows done is reported once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from .errors import DomainError


def run_for_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    call: Callable[[Any], object],
    done: str,
    *,
    refused_level: int = messages.WARNING,
) -> int:
    """Call `call(obj)` for each object; report each refusal, then `done` with
    `{count}` filled in (e.g. "{count} surveys closed." or "Resent: {count}.")."""
    count = 0
    for obj in objects:
        try:
            call(obj)
        except DomainError as error:
            model_admin.message_user(request, f"{obj}: {error}", refused_level)
        else:
            count += 1
    if count:
        model_admin.message_user(request, done.replace("{count}", str(count)), messages.SUCCESS)
    return count
