"""The health check for load balancers and the benchmark's bare view."""

from django.http import HttpRequest, HttpResponse

# What django.views.decorators.cache.never_cache writes, as one constant header
# (never_cache formats the time and parses and rewrites the header on every call).
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def healthz(request: HttpRequest) -> HttpResponse:
    """"ok", with no database query and no session: it answers while the
    process can serve requests, so a load balancer checking it every few
    seconds costs nothing and does not take a connection from the pool. (Django's
    middleware still runs, so the benchmark compares pages against the cost of
    the framework itself.)"""
    response = HttpResponse("ok", content_type="text/plain")
    response["Cache-Control"] = NEVER_CACHE
    return response
