"""The adviser's queue of claims to a headship (staff pages).

A head who registered has only claimed their school; the adviser of the
school's LA confirms or rejects each claim here, with what GIAS says about the
school's head beside it. A claim outside the adviser's LAs is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .access import AuthenticatedHttpRequest, role_required
from .models import User

ADVISER = User.Role.ADVISER


def _claim(request: AuthenticatedHttpRequest, pk: int) -> User:
    return get_object_or_404(services.school_link_claims(by=request.user), pk=pk)


@role_required(ADVISER)
def school_links(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A deactivated head still holds the headship until the adviser ends their link.
    confirmed = User.objects.filter(User.confirmed_heads_q(active=False), school=OuterRef("school"))
    claims = (
        services.school_link_claims(by=request.user)
        .annotate(
            current_head_id=Subquery(confirmed.values("pk")[:1]),
            current_head_name=Subquery(confirmed.values("full_name")[:1]),
            current_head_email=Subquery(confirmed.values("email")[:1]),
            rival_claims=Subquery(
                User.objects.filter(role=User.Role.HEADTEACHER, is_active=True, school=OuterRef("school"),
                                    school_confirmed_at__isnull=True)
                .order_by().values("school").annotate(n=Count("pk")).values("n")
            ),
        )
        .order_by("date_joined", "pk")
    )
    return render(request, "accounts/school_links.html", {"claims": list(claims[:200])})


@role_required(ADVISER)
@require_POST
def school_link_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    try:
        services.school_link_confirm(user=claim, by=request.user)
    except services.SchoolLinkError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{claim.full_name} is confirmed as the headteacher of {claim.school.name}.")  # type: ignore[union-attr]  # a claim names its school
    return redirect("school_links")


@role_required(ADVISER)
@require_POST
def school_link_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    school = claim.school
    services.school_link_reject(user=claim, by=request.user, reason=request.POST.get("reason", "")[:500])
    messages.success(request, f"{claim.full_name}'s claim to {school.name} is rejected; they have been told.")  # type: ignore[union-attr]  # a claim names its school
    return redirect("school_links")


@role_required(ADVISER)
@require_POST
def school_link_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        head = services.school_link_end(user=User(pk=pk), by=request.user)
    except User.DoesNotExist as error:
        raise Http404("No such confirmed headteacher in your local authorities.") from error
    messages.success(request, f"{head.full_name} is no longer linked to the school; they have been told.")
    return redirect("school_links")
