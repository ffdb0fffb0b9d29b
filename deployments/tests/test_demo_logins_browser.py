"""The LLE → client head journey in Debian's Chromium, with exactly the
logins the README prints (read from its table, so the two stay in step): the
demo's LLE signs in, finds the deployment they share with the demo's client
head, and records a visit; the client head signs in, sees it waiting for them,
and confirms it.

Screenshots go to /tmp/lle-screens (demo-*.png): look at them.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from deployments.models import Deployment, VisitRecord
from lle_portal.demo import DEMO_PASSWORD, school_day_on_or_before
from lle_portal.tests.browser import screenshot, sign_in, sign_out
from lle_portal.tests.readme import README, demo_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]



def readme_password() -> str:
    """The password the README gives for every demo login."""
    found = re.search(r"all use the password\s+`([^`]+)`", README.read_text(encoding="utf-8"))
    assert found, "the README states the demo password"
    return found.group(1)








@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def test_the_readmes_lle_records_a_visit_and_the_readmes_client_head_confirms_it(demo, page):
    assert readme_password() == DEMO_PASSWORD
    lle_name, lle_email = demo_login("Headteacher (LLE)")
    head_name, head_email = demo_login("Headteacher (client head)")
    deployment = Deployment.objects.get(lle__user__email=lle_email, client_head__email=head_email,
                                        status=Deployment.Status.ACTIVE)
    school = deployment.client_school.name
    recorded = set(deployment.visits.values_list("visit_date", flat=True))
    visit_day = school_day_on_or_before(timezone.localdate())
    while visit_day in recorded:
        visit_day = school_day_on_or_before(visit_day - timedelta(days=1))

    # --- The LLE records a visit. ---
    sign_in(page, lle_email, password=readme_password())
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My deployments").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=school))
    assert "awaiting the client head\u2019s confirmation" in row.inner_text()
    screenshot(page, "demo-lle-deployments.png")
    row.get_by_role("link", name=school).click()
    page.get_by_role("link", name="Record a visit").click()
    page.get_by_label("Date of the visit").fill(visit_day.isoformat())
    page.get_by_label("A full day").check()
    page.get_by_label("Coaching and mentoring the headteacher").check()
    page.get_by_label("What happened").fill("Joint learning walk with the head, focused on reading in Year 4.")
    page.get_by_label("Progress made").fill("The head leads the monitoring cycle; feedback to staff is sharper.")
    page.get_by_label("Next steps").fill("Review the reading data with the English lead.")
    page.get_by_role("button", name="Save the record of visit").click()
    page.get_by_text("The record of visit is saved").wait_for()
    screenshot(page, "demo-lle-recorded.png")
    visit = VisitRecord.objects.get(deployment=deployment, visit_date=visit_day)
    assert visit.status == VisitRecord.Status.SUBMITTED and visit.recorded_by.email == lle_email
    sign_out(page)

    # --- The client head sees it waiting for them and confirms it. ---
    sign_in(page, head_email, password=readme_password())
    assert head_name in page.get_by_role("navigation", name="Main").inner_text()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My deployments").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=school))
    assert re.search(r"\d+ records? of visit to confirm", row.inner_text())
    assert lle_name in row.inner_text()
    row.get_by_role("link", name=school).click()
    when = f"{visit_day.day} {visit_day:%B %Y}"
    page.get_by_role("button", name=f"Confirm the visit on {when}").click()
    page.get_by_text("You have confirmed the visit").wait_for()
    screenshot(page, "demo-client-head-confirmed.png")
    visit.refresh_from_db()
    assert visit.status == VisitRecord.Status.CONFIRMED and visit.confirmed_by.email == head_email
