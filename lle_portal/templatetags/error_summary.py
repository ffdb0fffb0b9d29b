"""The error summary's words (templates/partials/error_summary.html)."""

from __future__ import annotations

import re

from django import template

register = template.Library()


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")))


@register.filter
def naming_the_question(error: str, field) -> str:
    """The error as the summary lists it: it names its question, so that a
    list of several errors says which answer each is about ("Your answer is
    520 words" alone does not). A message that already names it is left as it is."""
    label = str(field.label or "").strip()
    if not label:
        return str(error)
    core = _words(label)
    # "Enter your sponsor's full name." names "Your sponsor's full name" already.
    core_without_article = re.sub(r"^(the|your|a) ", "", core)
    if core_without_article and core_without_article in _words(str(error)):
        return str(error)
    return f"{label}: {error}"
