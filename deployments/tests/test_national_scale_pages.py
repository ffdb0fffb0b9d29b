"""The adviser's pages when the adviser covers the whole country: long lists
are shown a page (or a top few) at a time, their totals still cover every row."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments import matching, reimbursement
from deployments.models import Deployment
from deployments.views import CAPACITY_ROWS, MATCHES_SHOWN, OVERVIEW_ROWS, STATEMENT_LINES

from .factories import DeploymentFactory, LLEProfileFactory, SupportNeedFactory, VisitRecordFactory, norfolk

pytestmark = pytest.mark.django_db
OVERVIEW = "/deployments/staff/"


@pytest.fixture
def adviser_client(client, users):
    client.force_login(users["adviser"])
    return client


def capacity_rows(page: str) -> list[str]:
    table = page[page.index('id="capacity"'):]
    return re.findall(r'<tr>\s*<th scope="row">([^<]+?)\s*(?:<span|</th>)', table)


# --- the overview --------------------------------------------------------------------


def test_the_overview_shows_the_lle_capacity_a_page_at_a_time_and_sums_up_every_lle(adviser_client):
    lles = [LLEProfileFactory(days_per_week=Decimal("1.0")) for _ in range(CAPACITY_ROWS + 3)]
    DeploymentFactory(lle=lles[0], days_per_week=Decimal("1.0"), active=True)
    DeploymentFactory(lle=lles[1], days_per_week=Decimal("0.5"), active=True)
    DeploymentFactory(lle=lles[1], days_per_week=Decimal("0.5"), status=Deployment.Status.COMPLETED,
                      lle_accepted_at=timezone.now(), client_accepted_at=timezone.now())
    by_name = sorted(lles, key=lambda lle: (lle.user.full_name, lle.pk))

    first = adviser_client.get(OVERVIEW).content.decode()
    second = adviser_client.get(OVERVIEW, {"capacity": 2}).content.decode()

    assert capacity_rows(first) == [lle.user.full_name for lle in by_name[:CAPACITY_ROWS]]
    assert capacity_rows(second) == [lle.user.full_name for lle in by_name[CAPACITY_ROWS:]]
    assert f"{CAPACITY_ROWS + 3} LLEs; the active ones offer {CAPACITY_ROWS + 3} days a week, 1.5 committed" in first
    assert "1 has no day to spare" in first
    assert "1.5 / 28</span> days a week of LLE time committed" in first
    assert "?capacity=2#capacity" in first


def test_the_capacity_totals_leave_out_inactive_lles_and_finished_deployments():
    active = LLEProfileFactory(days_per_week=Decimal("1.0"))
    resting = LLEProfileFactory(days_per_week=Decimal("1.0"), is_active=False)
    DeploymentFactory(lle=active, days_per_week=Decimal("0.5"))  # proposed: counts
    DeploymentFactory(lle=resting, days_per_week=Decimal("1.0"), active=True)
    DeploymentFactory(lle=active, days_per_week=Decimal("1.0"), status=Deployment.Status.WITHDRAWN)

    totals = matching.capacity_totals(type(active).objects.all())

    assert totals == {"lle_count": 2, "offered": Decimal("1.0"), "committed": Decimal("0.5"), "full": 0}
    assert {lle.pk: lle.committed_days for lle in matching.load_lles()} == {
        active.pk: Decimal("0.5"), resting.pk: Decimal("1.0"),
    }


def test_the_overview_lists_the_most_overdue_deployments_first_and_counts_them_all(adviser_client):
    today = timezone.localdate()
    overdue = []
    for i in range(OVERVIEW_ROWS + 2):
        deployment = DeploymentFactory(active=True, start_date=today - timedelta(days=200))
        VisitRecordFactory(deployment=deployment, visit_date=today - timedelta(days=40 + i))
        overdue.append(deployment)
    recent = DeploymentFactory(active=True, start_date=today - timedelta(days=200))
    VisitRecordFactory(deployment=recent, visit_date=today - timedelta(days=60))
    VisitRecordFactory(deployment=recent, visit_date=today - timedelta(days=3))

    page = adviser_client.get(OVERVIEW).content.decode()
    section = page[page.index('id="overdue"'):page.index('id="queried"')]

    assert f"{OVERVIEW_ROWS + 2}</span> overdue records of visit" in page
    shown = re.findall(r'href="/deployments/(\d+)/"', section)
    most_overdue_first = sorted(overdue, key=lambda d: d.visits.get().visit_date)
    assert shown == [str(d.pk) for d in most_overdue_first[:OVERVIEW_ROWS]]
    assert str(recent.pk) not in shown


def test_a_full_day_deployment_is_overdue_sooner_than_a_half_day_one():
    today = timezone.localdate()
    half = DeploymentFactory(active=True, days_per_week=Decimal("0.5"), start_date=today - timedelta(days=100))
    full = DeploymentFactory(active=True, days_per_week=Decimal("1.0"), start_date=today - timedelta(days=100))
    for deployment in (half, full):
        VisitRecordFactory(deployment=deployment, visit_date=today - timedelta(days=25))
    never_visited = DeploymentFactory(active=True, days_per_week=Decimal("1.0"), start_date=today - timedelta(days=22))
    just_started = DeploymentFactory(active=True, days_per_week=Decimal("1.0"), start_date=today - timedelta(days=5))

    overdue = list(Deployment.objects.overdue_for_visit(today).order_by("last_seen"))

    assert overdue == [full, never_visited]  # the longest without a visit first
    assert overdue[1].last_seen == never_visited.start_date and just_started not in overdue and half not in overdue


# --- the matching list -----------------------------------------------------------------


def test_the_matching_list_shows_the_best_candidates_and_every_one_on_request(adviser_client):
    need = SupportNeedFactory()
    for _ in range(MATCHES_SHOWN + 2):
        LLEProfileFactory()
    untrained = LLEProfileFactory(trained_on=None)
    url = f"/deployments/staff/needs/{need.pk}/matches/"
    ranked = [c for c in matching.rank_candidates(need) if c.proposable]

    top = adviser_client.get(url).content.decode()
    every = adviser_client.get(url, {"all": "1"}).content.decode()

    assert top.count('class="candidate"') == MATCHES_SHOWN
    assert every.count('class="candidate"') == MATCHES_SHOWN + 2
    assert f"{MATCHES_SHOWN + 2} LLEs can be proposed" in top
    assert ranked[0].lle.user.full_name in top and ranked[-1].lle.user.full_name not in top
    assert "?all=1#candidates" in top
    # The excluded LLE: summed up by reason, and named with why.
    assert "The LLE has not completed training: 1 LLE" in top
    assert untrained.user.full_name in top and untrained.user.full_name in every


def test_any_ranked_lle_can_be_proposed_even_when_not_in_the_top_few(adviser_client):
    need = SupportNeedFactory()
    for _ in range(MATCHES_SHOWN + 1):
        LLEProfileFactory()
    last = [c for c in matching.rank_candidates(need) if c.proposable][-1].lle
    start = timezone.localdate()

    response = adviser_client.post(f"/deployments/staff/needs/{need.pk}/matches/", {
        "lle": last.pk, "start_date": start.isoformat(), "end_date": start.replace(year=start.year + 1).isoformat(),
        "days_per_week": "0.5", "rate_per_day": "325.00", "kind": "lle_support",
    })

    assert response.status_code == 302
    assert Deployment.objects.get(need=need).lle == last


# --- reimbursement statements ----------------------------------------------------------


@pytest.fixture
def long_statement(users):
    """An autumn statement of STATEMENT_LINES + 10 lines to two LLE schools."""
    start = date(2025, 9, 1)
    first = DeploymentFactory(active=True, start_date=start, end_date=date(2026, 7, 20), rate_per_day=Decimal("300"))
    second = DeploymentFactory(active=True, start_date=start, end_date=date(2026, 7, 20), rate_per_day=Decimal("400"))
    days = [start + timedelta(days=i) for i in range(STATEMENT_LINES + 10)]
    for i, day in enumerate(days):
        VisitRecordFactory(deployment=first if i % 2 else second, visit_date=day, confirmed=True, days=Decimal("1.0"))
    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])
    return statement, first, second


def test_a_long_statement_shows_its_lines_a_page_at_a_time_with_the_totals_of_every_line(adviser_client,
                                                                                        long_statement):
    statement, first, second = long_statement
    n = STATEMENT_LINES + 10
    url = statement.get_absolute_url()

    page_one = adviser_client.get(url).content.decode()
    page_two = adviser_client.get(url, {"page": 2}).content.decode()

    total = Decimal(n // 2 * 300 + (n - n // 2) * 400)
    for page in (page_one, page_two):
        assert f"{n} days</strong>, <strong>£{total:,.2f}</strong> to 2 schools." in page
    assert page_one.count('<td class="text-nowrap">') == STATEMENT_LINES
    assert page_two.count('<td class="text-nowrap">') == 10
    # Each school's subtotal is of all its lines, wherever they are shown.
    assert f"£{Decimal(n // 2 * 300):,.2f}" in page_one + page_two
    assert "some of its lines are on other pages" in page_one + page_two


def test_the_statements_list_shows_each_statements_totals(adviser_client, long_statement):
    statement, _, _ = long_statement
    n = STATEMENT_LINES + 10

    listed = adviser_client.get("/deployments/staff/statements/").content.decode()

    row = listed[listed.index(statement.get_absolute_url()):]
    amount = n // 2 * 300 + (n - n // 2) * 400
    assert re.search(rf'<td class="text-end">{n}</td>\s*<td class="text-end">£{amount:,}\.00</td>', row)
