"""Template tags of the programme that core templates (home.html, base.html)
load by name, so that lle_portal's Python never imports the applications app."""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..models import ApplicationRound, RoundContact

register = template.Library()

# First words of a label that stay capitalised mid-sentence ("Change Ofsted ...").
PROPER_NOUNS = {"Ofsted", "LA", "LLE", "URN", "SLT", "Part", "English", "DfE", "KS2", "KS4"}


@register.filter
def lower_first(label: str) -> str:
    """A label as it reads inside a sentence: "Date of your school's most
    recent Ofsted inspection" → "date of your school's most recent Ofsted
    inspection". Only the first letter changes, and not for a proper noun or
    an acronym, so names keep their case (|lower turned "Ofsted" into "ofsted")."""
    text = str(label)
    first = text.split(" ", 1)[0]
    if not text or first in PROPER_NOUNS or (len(first) > 1 and first[1:2].isupper()):
        return text
    return text[0].lower() + text[1:]


def featured_contacts(now=None) -> list[RoundContact]:
    """The contacts of the rounds a visitor is told about: the open rounds, or
    else the next one to open. One query, as it runs on every page's footer."""
    now = now or timezone.now()
    contacts = list(
        RoundContact.objects.filter(round__closes_at__gt=now).select_related("round")
        .order_by("round__opens_at", "round_id", "order", "pk")
    )
    open_now = [c for c in contacts if c.round.opens_at <= now]
    if open_now:
        return open_now
    return [c for c in contacts if c.round_id == contacts[0].round_id] if contacts else []


@register.inclusion_tag("applications/_footer_contacts.html")
def footer_contacts() -> dict:
    return {"contacts": featured_contacts()}


@register.inclusion_tag("applications/_featured_round.html", takes_context=True)
def featured_round(context) -> dict:
    """The open round (or the next one) with its closing date and one call to action."""
    from ..presenters import round_state  # the programme page's words, for the same round

    request = context.get("request")
    user = getattr(request, "user", None)
    now = timezone.now()
    rounds = ApplicationRound.objects.prefetch_related("local_authorities").featured(now)
    from ..presenters import serving_lle

    mine = {}
    is_head = bool(user and user.is_authenticated and user.is_headteacher)
    lle = None
    if is_head and rounds:
        mine = {a.round_id: a for a in user.applications.filter(round__in=rounds)}  # type: ignore[union-attr]
        lle = serving_lle(user)
    return {
        "items": [
            {"round": r, "open": r.is_open(now), "state_text": round_state(r, now), "application": mine.get(r.pk)}
            for r in rounds
        ],
        "user": user,
        "is_head": is_head,
        "lle": lle,
        "csrf_token": context.get("csrf_token"),
    }
