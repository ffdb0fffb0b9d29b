"""The health check for load balancers and the benchmark's bare view."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """"ok", with no database query and no session: it answers while the
    process can serve requests, so a load balancer checking it every few
    seconds costs nothing and does not take a connection from the pool. (Django's
    middleware still runs, so the benchmark compares pages against the cost of
    the framework itself.)"""
    return HttpResponse("ok", content_type="text/plain")
