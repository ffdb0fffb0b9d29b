"""The navigation offers each person only what they can use: for every role
(applicant, LLE, client head, governor, assessor, adviser) the links it lists,
each followed as that person to a page that answers 200 and is about them."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory, ApplicationRoundFactory
from deployments.models import VisitRecord
from deployments.tests.factories import DeploymentFactory, LLEProfileFactory, VisitRecordFactory
from lle_portal.tests.factories import AdviserFactory, AssessorFactory, GovernorFactory

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> list[tuple[str, str]]:
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    return [(label, href) for href, label in re.findall(r'class="nav-link[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', nav)]


@pytest.fixture
def world(db):
    """One person of each role, in one story: an applicant in the open round; an
    LLE (designated in an earlier round) supporting a client head's school, with a
    record of visit awaiting the client head; that school's governor; an
    assessor; the LA's adviser."""
    open_round = ApplicationRoundFactory()
    applicant = ApplicationFactory(round=open_round).applicant
    deployment = DeploymentFactory(active=True)
    lle = deployment.lle.user
    designated = ApplicationFactory(
        round=ApplicationRoundFactory(closed=True), applicant=lle, status=Application.Status.DESIGNATED,
        decision="designated", submitted_at=timezone.now(), reference_number="LLE-2025-00001",
        decided_at=timezone.now(), decision_emailed_at=timezone.now())
    deployment.lle.application = designated
    deployment.lle.save(update_fields=["application"])
    VisitRecordFactory(deployment=deployment)  # submitted: the client head's to confirm
    governor = GovernorFactory(school=deployment.client_school)
    return {
        "applicant": applicant, "lle": lle, "client head": deployment.client_head, "governor": governor,
        "assessor": AssessorFactory(), "adviser": AdviserFactory(local_authorities=[deployment.client_school
                                                                                    .local_authority]),
        "deployment": deployment,
    }


# What each person's navigation lists, and a phrase each page must show them.
EXPECTED = {
    "applicant": {"Home": "Signed in as", "My application": "Your application"},
    "lle": {"Home": "Signed in as", "My application": "completed your training on", "My deployments": "My deployments"},
    "client head": {"Home": "Signed in as", "Apply to be an LLE": "Local Leaders of Education",
                    "My deployments": "My deployments"},
    "governor": {"Home": "Signed in as", "Dashboard": "Dashboard", "My deployments": "My deployments"},
    "assessor": {"Home": "Signed in as", "Recruitment": "assigned to you", "Admin": "logout"},
    "adviser": {"Home": "Signed in as", "Dashboard": "Dashboard", "Recruitment": "Recruitment",
                "Deployments": "Deployments", "Surveys": "Surveys", "School links": "School links",
                "Admin": "logout"},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_navigation_link_is_usable_by_the_person_it_is_shown_to(client, world, role):
    client.force_login(world[role])
    links = nav_links(client.get("/").content.decode())
    assert [label for label, _ in links] == list(EXPECTED[role])
    for label, href in links:
        response = client.get(href, follow=True)
        assert response.status_code == 200, (label, href)
        page = response.content.decode()
        assert "/accounts/login/" not in response.request["PATH_INFO"], (label, href)
        assert EXPECTED[role][label] in page, (label, href, response.redirect_chain)


def test_the_lle_is_told_what_waits_for_the_client_head_and_the_client_head_what_is_theirs(client, world):
    deployment = world["deployment"]
    client.force_login(world["lle"])
    page = client.get(reverse("deployments:list")).content.decode()
    assert deployment.client_school.name in page
    assert "1 record of visit awaiting the client head&rsquo;s confirmation" in page
    assert "to confirm" not in page.split('id="main-content"', 1)[1]

    client.force_login(world["client head"])
    page = client.get(reverse("deployments:list")).content.decode()
    assert "1 record of visit to confirm" in page
    assert VisitRecord.objects.filter(deployment=deployment, status=VisitRecord.Status.SUBMITTED).count() == 1


def test_a_serving_lle_is_not_offered_an_application_to_become_one(client, world):
    client.force_login(world["lle"])
    for url in ("/", reverse("applications:programme")):
        page = client.get(url).content.decode()
        assert "Start your application" not in page, url
        assert "You are already a Local Leader of Education" in page, url
    # An LLE with no application on record (designated before the portal) is not asked either.
    client.force_login(LLEProfileFactory().user)
    html = client.get("/").content.decode()
    assert "Apply to be an LLE" not in [label for label, _ in nav_links(html)]
    assert "Start your application" not in html
