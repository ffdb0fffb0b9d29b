"""The links of a paginated list (templates/includes/pagination.html)."""

from __future__ import annotations

from django import template
from django.template.defaulttags import querystring

register = template.Library()


@register.simple_tag(takes_context=True)
def page_querystring(context, name: str, number: int) -> str:
    """Django's {% querystring %} with `name`=number, for a parameter named
    at run time ("page", or "capacity" for a page's second list): the other
    parameters (the list's filters) are kept."""
    return querystring(context, None, **{name: number})
