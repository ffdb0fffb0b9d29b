"""axe-core on the adviser's admin, in Debian's Chromium: the task-grouped
index, each table's list (plain and filtered), the add forms, and the change
forms of the adviser's own records (brokerage and reimbursement among them).
No serious or critical violation anywhere (WCAG 2.2 AA, lle_portal/tests/axe.py)."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from lle_portal.tests.access_matrix_world import build_world
from lle_portal.tests.axe import axe_violations, describe
from lle_portal.tests.browser import sign_in as _sign_in

pytestmark = pytest.mark.browser

@pytest.fixture
def world(transactional_db):
    cache.clear()
    return build_world()


def _open(page, url: str):
    """Open a page; once more if the page before interrupted it (an import's
    progress page reloads itself)."""
    try:
        return page.goto(url)
    except PlaywrightError:
        page.wait_for_timeout(500)
        return page.goto(url)


def _admin_pages(world) -> list[str]:
    user = world.people["adviser"]
    request = type("Request", (), {"user": user})()
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_module_permission(request) and any(model_admin.get_model_perms(request).values())):
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{prefix}_add"))
        own = world.admin_own.get(model._meta.label_lower)
        if own is not None:
            urls.append(reverse(f"{prefix}_change", args=[own.pk]))
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
    return list(dict.fromkeys(urls))


def test_the_advisers_admin_has_no_serious_accessibility_violation(world, page):
    page.emulate_media(reduced_motion="reduce")
    _sign_in(page, world.people["adviser"])
    problems, checked, filtered = [], [], 0
    for url in _admin_pages(world):
        response = _open(page, url)
        if response is None or response.status >= 400:
            continue
        checked.append(url)
        # Every admin page: the way back to the staff pages.
        assert page.get_by_role("link", name="Back to staff pages").count() == 1, url
        violations = axe_violations(page)
        if violations:
            problems.append(f"{url}:\n{describe(violations)}")
        # The list again with its first filter applied.
        filters = page.locator("#changelist-filter li:not(.selected) a")
        if filters.count():
            filters.first.click()
            page.wait_for_load_state()
            filtered += 1
            violations = axe_violations(page)
            if violations:
                problems.append(f"{page.url} (filtered):\n{describe(violations)}")
    assert len(checked) >= 30, checked
    assert filtered >= 10
    for needed in ("/admin/deployments/supportneed/add/", "/admin/deployments/deployment/",
                   "/admin/deployments/reimbursementstatement/", "/admin/deployments/visitrecord/"):
        assert needed in checked
    assert any(re.match(r"/admin/deployments/(deployment|supportneed|reimbursementstatement)/\d+/change/", u)
               for u in checked)
    assert not problems, "\n".join(problems)


def test_the_support_need_form_with_its_suggestions_has_no_serious_violation(world, page):
    school = world.own.need.client_school
    _sign_in(page, world.people["adviser"])
    page.goto(reverse("admin:deployments_supportneed_add"))
    page.get_by_role("combobox", name=re.compile("Client school")).click()
    page.get_by_role("searchbox", name=re.compile("Search")).fill(school.name[:8])
    page.locator(".select2-results__option", has_text=school.name).first.click()
    page.locator("#reason-suggestions").wait_for()
    assert school.name in page.locator("#reason-suggestions").inner_text()
    assert not axe_violations(page), describe(axe_violations(page))
