"""Dates and lists in words, as the pages and emails write them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.utils import timezone


def uk_datetime(value: datetime) -> str:
    """'Friday 6 January 2027 at 17:00', in UK time whatever the season (GMT or BST)."""
    local = timezone.localtime(value)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def uk_date(value: date | None, missing: str = "To be confirmed") -> str:
    """'Friday 6 January 2027', or `missing`."""
    if value is None:
        return missing
    return f"{value:%A} {value.day} {value:%B %Y}"


def join_words(items: Sequence[object]) -> str:
    """'a', 'a and b', 'a, b and c' (at least one item)."""
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
