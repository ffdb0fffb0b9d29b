"""The impact dashboard: what a governor sees of their school and the
programme, who may see it, the filters, and a bounded number of queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from applications.models import LLEProfile
from deployments.models import Deployment, Objective
from lle_portal.models import Report, School, SchoolResult
from lle_portal.tests.factories import GovernorFactory, SchoolFactory

pytestmark = pytest.mark.django_db

URL = reverse("impact:dashboard")
THIS_YEAR = 2019


def test_a_governor_sees_their_school_and_the_programme(client, users, governed):
    client.force_login(users["governor"])
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    # Their school's deployment, objectives and their progress, days delivered.
    assert "Cromer Junior School" in html
    assert governed.lle.user.full_name in html
    assert "Raise attainment in reading" in html and "Achieved" in html
    assert "Some progress" in html
    assert "<strong>3</strong> days delivered and confirmed (4 recorded)" in " ".join(html.split())
    # Results against the LA average: a chart, and its numbers in a table.
    assert html.count('src="data:image/svg+xml;base64,') >= 2
    assert "and the LA average by year" in html
    assert "<th scope=\"row\">2019</th>" in html
    # The programme: supported schools +16.0 (55 → 71) against the LA.
    assert "Supported schools" in html and "+16.0" in html
    assert "Request the impact report" in html


def test_the_charts_are_svg_with_their_numbers_in_words(client, users, governed):
    import base64
    import re

    client.force_login(users["governor"])
    html = client.get(URL).content.decode()
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    svg = base64.b64decode(uris[0]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg
    assert "results and the LA average by year. 2017: school 52.0, LA 56.0; 2018: school 55.0" in html


@pytest.mark.parametrize("role, status", [
    ("headteacher", 403), ("assessor", 403), ("governor", 200), ("adviser", 200), ("other_adviser", 200),
])
def test_who_may_see_the_dashboard(client, users, role, status):
    client.force_login(users[role])
    assert client.get(URL).status_code == status


def test_anonymous_people_are_asked_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response.url


def test_an_adviser_sees_only_their_las(client, users, governed):
    client.force_login(users["other_adviser"])
    assert client.get(URL, {"la": "926"}).status_code == 404
    assert "Cromer" not in client.get(URL).content.decode()
    client.force_login(users["adviser"])
    page = client.get(URL, {"la": "926"})
    assert page.status_code == 200 and "The programme in Norfolk" in page.content.decode()
    # An adviser has no school section.
    assert "days delivered and confirmed" not in page.content.decode()


def test_a_governor_of_another_la_sees_only_their_own(client, users, governed):
    stranger = GovernorFactory()  # a school in another LA
    client.force_login(stranger)
    html = client.get(URL).content.decode()
    assert "Cromer Junior School" not in html
    assert "Norfolk" not in html
    assert client.get(URL, {"la": "926"}).status_code == 404


def test_filters_for_year_phase_and_measure(client, users, governed):
    client.force_login(users["governor"])
    html = client.get(URL, {"year": "2018", "phase": "primary", "measure": "KS2_HEADLINE"}).content.decode()
    # 2017 → 2018: the deployment had not begun (nobody supported); the LA's two schools +3 and +2.
    assert "+2.5" in html
    html = client.get(URL, {"phase": "secondary"}).content.decode()
    assert "There are no comparable" in html
    # A year that has no results is refused with a message, and the page still shows.
    page = client.get(URL, {"year": "1999", "measure": "nonsense"})
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()


def test_a_governor_without_a_school_is_told_why_the_page_is_empty(client):
    governor = GovernorFactory(school=None)
    client.force_login(governor)
    html = client.get(URL).content.decode()
    assert "not linked to a school" in html


def test_requesting_the_impact_report_joins_one_already_being_built(client, users, governed,
                                                                    django_capture_on_commit_callbacks):
    from unittest import mock

    from lle_portal import reports

    client.force_login(users["governor"])
    with mock.patch.object(reports.build_report, "delay") as delay, django_capture_on_commit_callbacks(
            execute=True
    ):
        first = client.post(reverse("impact:request_report"), {"la": "926", "year": THIS_YEAR})
        second = client.post(reverse("impact:request_report"), {"la": "926", "year": THIS_YEAR})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert delay.call_count == 1
    report = Report.objects.get()
    assert report.subject == "la:926:2019" and report.params == {"la": governed.client_school.local_authority_id,
                                                                 "year": 2019}
    assert "already being built" in client.get(second.url).content.decode()
    # The dashboard shows it is being built, with no second button.
    html = client.get(URL).content.decode()
    assert "Queued" in html and "Request the impact report" not in html


def test_report_requests_are_checked(client, users, governed):
    client.force_login(users["governor"])
    assert client.post(reverse("impact:request_report"), {"la": "935", "year": THIS_YEAR}).status_code == 404
    response = client.post(reverse("impact:request_report"), {"year": "nonsense"}, follow=True)
    assert "Choose a year that has results" in response.content.decode()
    assert Report.objects.count() == 0
    client.force_login(users["headteacher"])
    assert client.post(reverse("impact:request_report"), {"year": THIS_YEAR}).status_code == 403


def _many_deployments(la, n: int) -> None:
    """n more deployments in the governor's LA, each with a client school, results and an objective."""
    lle = LLEProfile.objects.first()
    now = timezone.now()
    schools = School.objects.bulk_create(
        SchoolFactory.build(local_authority=la, urn=700000 + School.objects.count() + i) for i in range(n)
    )
    deployments = Deployment.objects.bulk_create(
        Deployment(lle=lle, client_school=s, start_date=date(2018, 9, 1), end_date=date(2019, 8, 1),
                   rate_per_day=Decimal("300"), status="completed", lle_accepted_at=now, client_accepted_at=now,
                   agreed_at=now, started_at=now, finished_at=now - timedelta(days=1))
        for s in schools
    )
    Objective.objects.bulk_create(Objective(deployment=d, title="Objective", measure_of_success="x")
                                  for d in deployments)
    SchoolResult.objects.bulk_create(
        SchoolResult(school=s, key_stage="KS2", measure="PTRWM_EXP", year=year, value=50 + i % 30)
        for i, s in enumerate(schools) for year in (2018, 2019)
    )


def _count_queries(client, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_runs_the_same_queries_for_10_and_1000_deployments(
    client, users, governed, la, django_assert_max_num_queries
):
    client.force_login(users["governor"])
    _many_deployments(la, 9)
    # 29 before the matched comparison, which adds three (impact/comparison.py).
    with django_assert_max_num_queries(32):
        assert client.get(URL).status_code == 200
    few = _count_queries(client, django_assert_max_num_queries)
    _many_deployments(la, 990)
    many = _count_queries(client, django_assert_max_num_queries)
    assert Deployment.objects.count() == 1000
    assert many == few
    # And the adviser's view of the same LA.
    client.force_login(users["adviser"])
    with django_assert_max_num_queries(few + 2):
        assert client.get(URL).status_code == 200
