"""Query budgets: the panel list and the admin's application list run the same
number of queries for 10 applications as for 500 (eligibility included)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import bulk_applications

pytestmark = pytest.mark.django_db
Status = Application.Status

# The budgets: a fixed number whatever the size of the round.
# The panel's +2: the chairs' links and the sponsors, for the governing body's approval (issue 11);
# +1 for the England averages the performance criterion compares with (issue 12).
PANEL_BUDGET = 15
ADMIN_LIST_BUDGET = 14  # +1: the England averages of the performance criterion


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_panel_runs_a_fixed_number_of_queries_for_10_or_500_applications(
    client, users, django_assert_max_num_queries
):
    round = ApplicationRoundFactory(places=300, priority_phases=["secondary"])
    bulk_applications(round, 10, assessed=True)
    client.force_login(users["adviser"])
    url = reverse("applications:staff_panel", args=[round.pk])

    small = queries_for(client, url)
    bulk_applications(round, 490, assessed=True)
    with django_assert_max_num_queries(PANEL_BUDGET):
        response = client.get(url)
    large = queries_for(client, url)

    assert small == large <= PANEL_BUDGET, (small, large)
    assert "Working towards eligibility" in response.content.decode()
    print(f"panel: {small} queries for 10 applications, {large} for 500")


def test_the_admin_list_runs_a_fixed_number_of_queries_for_10_or_500_applications(
    client, users, django_assert_max_num_queries
):
    round = ApplicationRoundFactory()
    bulk_applications(round, 10)
    client.force_login(users["adviser"])
    url = reverse("admin:applications_application_changelist")

    small = queries_for(client, url)
    bulk_applications(round, 490)
    with django_assert_max_num_queries(ADMIN_LIST_BUDGET):
        response = client.get(url)
    large = queries_for(client, url)

    assert small == large <= ADMIN_LIST_BUDGET, (small, large)
    # The eligibility summary is in the list (computed once for the page).
    assert "to be verified" in response.content.decode()
    print(f"admin list: {small} queries for 10 applications, {large} for 500")


def test_the_admin_rounds_list_runs_a_fixed_number_of_queries(client, users, django_assert_max_num_queries):
    client.force_login(users["adviser"])
    url = reverse("admin:applications_applicationround_changelist")
    for _ in range(3):
        bulk_applications(ApplicationRoundFactory(), 5)
    small = queries_for(client, url)
    for _ in range(20):
        bulk_applications(ApplicationRoundFactory(), 5)
    assert queries_for(client, url) == small
