"""Abuse limits and secrets in logs: the password-reset throttle, and private
links' tokens never written to a log."""

import pytest
from django.core.cache import cache

from lle_portal.log_filters import redact_private_links, token_label

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The throttles count in the cache, which outlives one test.
    cache.clear()
    yield
    cache.clear()


# --- private links in logs --------------------------------------------------------------


def test_it_never_logs_an_invitation_token(client, caplog):
    token = "an-invitation-token-that-does-not-exist-0123"
    caplog.set_level("INFO")
    assert client.get(f"/accounts/invitation/{token}/").status_code == 404
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Not Found: /accounts/invitation/" in logged
    assert token not in logged and token_label(token) in logged


@pytest.mark.parametrize("path", [
    "/programme/reference/{t}/", "/programme/reference/{t}/draft/", "/accounts/invitation/{t}/",
    "/accounts/register/confirm/{t}/", "/accounts/password/reset/MQ/{t}/",
])
def test_the_filter_replaces_each_kind_of_private_link_token(path):
    token = "cbr2x5-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    line = f'"GET {path.format(t=token)} HTTP/1.1" 404 1234'
    redacted = redact_private_links(line)
    assert token not in redacted
    assert redacted == f'"GET {path.format(t=token_label(token))} HTTP/1.1" 404 1234'


def test_the_filter_leaves_a_redacted_line_as_it_is():
    once = redact_private_links("Not Found: /programme/reference/abcdefghijklmnop/")
    assert redact_private_links(once) == once
