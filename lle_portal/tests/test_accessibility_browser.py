"""axe-core on the pages each signed-in person reaches from the navigation:
the applicant, an LLE, a client head, a governor (and their deployments'
pages), in Debian's Chromium. No serious or critical violation anywhere.

The journeys themselves (visitor, headteacher, referee, assessor) check every
page they pass through: applications/tests/test_journeys_browser.py.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from lle_portal.tests.access_matrix_world import build_world
from lle_portal.tests.axe import axe_violations, describe
from lle_portal.tests.browser import sign_in

pytestmark = pytest.mark.browser

@pytest.fixture
def world(transactional_db):
    cache.clear()
    return build_world()


def _sign_in(page, user) -> None:
    page.context.clear_cookies()
    sign_in(page, user)


def _pages_reached(page) -> list[str]:
    """The home page, every page of the main navigation, and the pages their
    main content links to inside the same part of the site (one level)."""
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    urls = ["/"] + [link.get_attribute("href") for link in nav.get_by_role("link").all()]
    urls = [u for u in dict.fromkeys(urls) if u and not u.startswith("/admin/")]
    found = list(urls)
    for url in urls[1:]:
        page.goto(url)
        for link in page.get_by_role("main").get_by_role("link").all():
            href = link.get_attribute("href") or ""
            if href.startswith(url) and href != url and not href.endswith(".pdf") and "/download" not in href:
                found.append(href)
    return list(dict.fromkeys(found))[:20]


@pytest.mark.parametrize("person", ["headteacher", "lle", "client_head", "governor"])
def test_it_has_no_serious_accessibility_violation_on_the_pages_a_person_reaches(world, page, person):
    page.emulate_media(reduced_motion="reduce")
    _sign_in(page, world.people[person])
    problems, checked = [], []
    for url in _pages_reached(page):
        response = page.goto(url)
        if response is None or response.status >= 400 or "html" not in response.headers.get("content-type", ""):
            continue
        checked.append(url)
        violations = axe_violations(page)
        if violations:
            problems.append(f"{url}:\n{describe(violations)}")
    assert len(checked) >= 2, checked  # the home page and at least one page of their own
    assert not problems, "\n".join(problems)
