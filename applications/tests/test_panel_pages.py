"""The designation panel at national scale: ranked by the database, shown a
page at a time with the round's rank numbers, a decision returning to its page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import panel, services
from applications.models import Application, Assessment
from applications.rubric import RUBRIC
from applications.staff_views import PANEL_PAGE_SIZE
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import assess, assessed_application, bulk_applications, submitted_application, verify
from lle_portal.tests.factories import AssessorFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def adviser_client(client, users):
    client.force_login(users["adviser"])
    return client


def scores_totalling(total: int) -> dict[str, int]:
    """Marks of 1 to 4 for every competency, adding up to `total`."""
    marks = dict.fromkeys(RUBRIC, 1)
    left = total - len(marks)
    for key in marks:
        marks[key] += min(3, left)
        left -= marks[key] - 1
    assert left == 0
    return marks


def test_the_ranking_averages_every_assessors_total_to_one_decimal_place(users):
    round = ApplicationRoundFactory()
    two = verify(submitted_application(round), users["adviser"])
    first, second = AssessorFactory(), AssessorFactory()
    for assessor, total in ((first, 12), (second, 9)):
        assessment = services.assessment_assign(application=two, assessor=assessor, by=users["adviser"])
        services.assessment_submit(assessment=assessment, scores=scores_totalling(total), comments="Fine.",
                                   by=assessor)
    ten = assessed_application(users["adviser"], round, scores=scores_totalling(10))

    ranking = panel.panel_ranking(round=round)
    assert [e.application for e in ranking] == [two, ten]
    assert (ranking[0].average, sorted(ranking[0].totals)) == (Decimal("10.5"), [9, 12])
    assert (ranking[1].average, ranking[1].totals) == (Decimal("10.0"), [10])


def test_at_the_same_score_the_priority_phase_then_more_priority_specialisms_come_first(users):
    round = ApplicationRoundFactory(priority_phases=["secondary"], priority_specialisms=["maths", "send"])
    adviser = users["adviser"]
    none = assessed_application(adviser, round, phase_offered="primary", specialisms=["leadership"])
    one = assessed_application(adviser, round, phase_offered="primary", specialisms=["maths"])
    two = assessed_application(adviser, round, phase_offered="primary", specialisms=["maths", "send"])
    secondary = assessed_application(adviser, round, phase_offered="secondary", specialisms=["leadership"])

    ranking = panel.panel_ranking(round=round)
    assert [e.application for e in ranking] == [secondary, two, one, none]
    assert [e.rank for e in ranking] == [1, 2, 3, 4]
    assert ranking[1].priority_specialisms == ["maths", "send"] and not ranking[1].priority_phase


def test_an_application_still_being_scored_is_not_on_the_panel(users):
    round = ApplicationRoundFactory()
    scored = assessed_application(users["adviser"], round)
    waiting = verify(submitted_application(round), users["adviser"])
    services.assessment_assign(application=waiting, assessor=AssessorFactory(), by=users["adviser"])

    assert [e.application for e in panel.panel_ranking(round=round)] == [scored]
    assert not Assessment.objects.filter(application=waiting, submitted_at__isnull=False).exists()


def ranks_on(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="text-body-secondary">(\d+)\.</span>', page)]


def test_the_panel_is_shown_a_page_at_a_time_with_the_rounds_rank_numbers(adviser_client):
    round = ApplicationRoundFactory(places=100)
    bulk_applications(round, PANEL_PAGE_SIZE + 5, assessed=True)
    ranking = panel.panel_ranking(round=round)
    url = reverse("applications:staff_panel", args=[round.pk])

    first = adviser_client.get(url).content.decode()
    second = adviser_client.get(url, {"page": 2}).content.decode()

    assert ranks_on(first) == list(range(1, PANEL_PAGE_SIZE + 1))
    assert ranks_on(second) == list(range(PANEL_PAGE_SIZE + 1, PANEL_PAGE_SIZE + 6))
    assert ranking[PANEL_PAGE_SIZE].application.reference_number in second
    assert ranking[PANEL_PAGE_SIZE].application.reference_number not in first
    assert f"{PANEL_PAGE_SIZE + 5} applications awaiting a decision" in first


def test_a_filtered_panel_keeps_the_rank_each_application_has_in_the_round(adviser_client):
    round = ApplicationRoundFactory(places=100)
    bulk_applications(round, 12, assessed=True)
    ranking = panel.panel_ranking(round=round)
    wanted = [e for e in ranking if e.application.phase_offered == "secondary"]

    page = adviser_client.get(reverse("applications:staff_panel", args=[round.pk]),
                              {"phase_offered": "secondary"}).content.decode()

    assert ranks_on(page) == [e.rank for e in wanted]
    assert ranks_on(page) != list(range(1, len(wanted) + 1))


def test_a_decision_returns_the_adviser_to_the_panel_page_of_that_application(adviser_client):
    round = ApplicationRoundFactory(places=100)
    bulk_applications(round, PANEL_PAGE_SIZE + 3, assessed=True)
    on_page_two = panel.panel_ranking(round=round)[PANEL_PAGE_SIZE + 1].application

    response = adviser_client.post(reverse("applications:staff_decide", args=[on_page_two.pk]), {
        f"app-{on_page_two.pk}-decision": "deferred", f"app-{on_page_two.pk}-reasons": "Next round.",
    })

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("applications:staff_panel", args=[round.pk]) + f"?page=2#app-{on_page_two.pk}"
    )
    on_page_two.refresh_from_db()
    assert on_page_two.decision == Application.Decision.DEFERRED


def test_a_refused_decision_is_shown_with_its_application_on_its_page(adviser_client):
    round = ApplicationRoundFactory(places=100)
    bulk_applications(round, PANEL_PAGE_SIZE + 3, assessed=True)
    on_page_two = panel.panel_ranking(round=round)[PANEL_PAGE_SIZE + 2].application

    response = adviser_client.post(reverse("applications:staff_decide", args=[on_page_two.pk]), {
        f"app-{on_page_two.pk}-decision": "designated", f"app-{on_page_two.pk}-reasons": "",
    })

    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="app-{on_page_two.pk}"' in page
    assert "Give the panel&#x27;s reasons." in page
    assert 'aria-invalid="true"' in page
    on_page_two.refresh_from_db()
    assert on_page_two.decision == ""


def test_the_decision_form_keeps_what_the_adviser_typed_when_it_is_refused(adviser_client, users):
    round = ApplicationRoundFactory()
    application = assessed_application(users["adviser"], round)

    response = adviser_client.post(reverse("applications:staff_decide", args=[application.pk]), {
        f"app-{application.pk}-reasons": "Strong evidence of impact.",
    })

    page = response.content.decode()
    assert response.status_code == 400
    assert "Strong evidence of impact.</textarea>" in page
    assert "Choose designated, not designated or deferred." in page
    assert f'href="#id_app-{application.pk}-decision_0"' in page and f'id="id_app-{application.pk}-decision_0"' in page


def test_the_staff_home_lists_the_oldest_applications_to_verify_and_links_to_all(adviser_client):
    round = ApplicationRoundFactory()
    applications = bulk_applications(round, 30)
    oldest_first = sorted(applications, key=lambda a: a.submitted_at)

    page = adviser_client.get(reverse("applications:staff_index")).content.decode()

    assert oldest_first[0].reference_number in page and oldest_first[24].reference_number in page
    assert oldest_first[25].reference_number not in page
    assert f"{reverse('admin:applications_application_changelist')}?status__exact=submitted" in page


def test_the_average_of_a_single_assessment_is_its_total(users):
    # The database's average of the stored totals is Assessment.total.
    round = ApplicationRoundFactory()
    application = assess(verify(submitted_application(round), users["adviser"]), users["adviser"],
                         scores=scores_totalling(7))
    assessment = application.assessments.get()
    assert panel.panel_ranking(round=round)[0].average == Decimal(assessment.total)
