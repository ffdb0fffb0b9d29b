"""The strict Content-Security-Policy in Debian's Chromium: walk the demo
programme's pages as each kind of user and collect every CSP violation the
browser reports. Our pages must have none; the Django admin's own are listed
(and must not grow)."""

from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from lle_portal.demo import DEMO_DOMAIN, DEMO_PASSWORD
from lle_portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Listens before any of the page's own code runs; Playwright injects it outside the page's CSP.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
SKIP = re.compile(r"logout|\.pdf$|\.csv$|/reference/|/invitation/|/password/reset/.+/|/delete/|/history/")
PAGES_PER_ROLE = 30


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _walk(page, start: list[str], limit: int = PAGES_PER_ROLE) -> dict[str, list[str]]:
    """Visit `start` and the same-site links found on them, breadth first;
    returns the violations seen on each path."""
    seen: dict[str, list[str]] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or SKIP.search(path):
            continue
        response = page.goto(path)
        page.wait_for_load_state("load")
        seen[path] = page.evaluate("window.__csp || []") if response else []
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            parsed = urlparse(href)
            if parsed.netloc or not parsed.path.startswith("/") or parsed.path.startswith("/static/"):
                continue
            if parsed.path not in seen and parsed.path not in queue:
                queue.append(parsed.path)
    return seen


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def csp_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(RECORD_VIOLATIONS)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def test_no_page_breaks_the_content_security_policy(demo, csp_page):
    # One test (the demo programme takes a while to build): our pages, then the admin's.
    head = User.objects.filter(role=User.Role.HEADTEACHER, email__endswith=DEMO_DOMAIN).order_by("pk").first()
    visits: dict[str, dict[str, list[str]]] = {
        "visitor": _walk(csp_page, ["/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/",
                                    "/programme/", "/no-such-page/"]),
    }
    for role, email, start in [
        ("headteacher", head.email, ["/", "/programme/", "/programme/my-application/", "/deployments/"]),
        ("governor", f"governor@{DEMO_DOMAIN}", ["/", "/impact/"]),
        ("assessor", f"assessor@{DEMO_DOMAIN}", ["/programme/staff/assessments/"]),
        ("adviser", f"adviser@{DEMO_DOMAIN}", ["/programme/staff/", "/deployments/staff/", "/deployments/",
                                               "/impact/", "/accounts/two-factor/setup/",
                                               "/accounts/password/change/"]),
    ]:
        csp_page.context.clear_cookies()
        _sign_in(csp_page, email)
        visits[role] = _walk(csp_page, start)
    # Still the adviser: the Django admin.
    admin = _walk(csp_page, ["/admin/", "/admin/lle_portal/user/", "/admin/lle_portal/invitation/add/",
                             "/admin/applications/application/", "/admin/deployments/deployment/"], limit=40)

    print("\nPages walked under the CSP:", {role: len(pages) for role, pages in visits.items()}, "admin:", len(admin))
    assert sum(len(pages) for pages in visits.values()) >= 40
    assert len(admin) >= 20
    ours = {f"{role} {path}": found for role, pages in visits.items() for path, found in pages.items()
            if found and not path.startswith("/admin/")}
    assert ours == {}
    admin_violations = sorted({v for found in admin.values() for v in found})
    assert admin_violations == []

    # The recorder does see a violation: an inline style attribute is refused.
    csp_page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    csp_page.wait_for_function("window.__csp.length > 0")
    assert "style-src" in csp_page.evaluate("window.__csp[0]")
