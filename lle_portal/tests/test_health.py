"""The health check that load balancers (and the benchmark) call."""

import json
import re

import pytest
from django.urls import reverse

from .support import PRODUCTION_ENV, manage


@pytest.mark.django_db
def test_it_answers_ok_without_a_database_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    # A proxy must never serve a stale "ok" for a process that has died.
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_sets_no_session_cookie(client):
    assert not client.get("/healthz").cookies


@pytest.mark.django_db
def test_a_plain_http_probe_is_not_redirected_to_https_in_production(client, settings):
    # A load balancer probes gunicorn directly, without X-Forwarded-Proto: the
    # production settings exempt the health check, and only it, from the redirect.
    code = "from django.conf import settings; import json; print(json.dumps(settings.SECURE_REDIRECT_EXEMPT))"
    result = manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    exempt = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(re.search(pattern, "healthz") for pattern in exempt)

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = exempt
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301
