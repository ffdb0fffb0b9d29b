"""What the adviser and the assessor do on the staff pages, through the pages."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import panel, services
from applications.models import Application, Assessment, Verification
from applications.rubric import RUBRIC
from applications.tests.factories import ApplicationRoundFactory
from applications.tests.states import assessed_application, submitted_application, verify
from lle_portal.models import OutgoingEmail
from lle_portal.tests.factories import AssessorFactory, InspectionFactory, SchoolFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def adviser_client(client, users):
    client.force_login(users["adviser"])
    return client


# --- the staff home --------------------------------------------------------------


def test_the_staff_home_lists_the_advisers_rounds_and_what_waits_for_them(adviser_client, users):
    application = submitted_application()
    response = adviser_client.get(reverse("applications:staff_index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert application.round.name in page
    assert application.reference_number in page
    assert reverse("applications:staff_verify", args=[application.pk]) in page


def test_an_assessor_is_sent_from_the_staff_home_to_their_list(client, users):
    client.force_login(users["assessor"])
    response = client.get(reverse("applications:staff_index"))
    assert response.status_code == 302
    assert response.url == reverse("applications:staff_assessments")


# --- verification ----------------------------------------------------------------


def test_the_verification_page_shows_the_official_data_beside_the_answer_and_flags_a_disagreement(adviser_client):
    application = submitted_application(declared_leadership=1)  # says outstanding
    InspectionFactory(school=application.school, inspection_date=date(2019, 3, 12), leadership_and_management=2)

    response = adviser_client.get(reverse("applications:staff_verify", args=[application.pk]))

    page = response.content.decode()
    assert "Leadership and management outstanding" in page  # the applicant's answer
    assert "leadership and management good" in page  # the official record
    assert "Answer disagrees with official data" in page
    assert "Dr Helen Price" in page  # the sponsor nomination, for staff


def test_the_adviser_records_outcomes_and_a_note_is_required_for_a_query(adviser_client):
    application = submitted_application()
    url = reverse("applications:staff_verify", args=[application.pk])

    response = adviser_client.post(url, {"headship_outcome": "query", "headship_note": ""})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not application.verifications.exists()

    response = adviser_client.post(url, {
        "headship_outcome": "confirmed", "inspection_outcome": "query",
        "inspection_note": "Please send the 2019 report.",
    })
    assert response.status_code == 302
    outcomes = dict(application.verifications.values_list("criterion", "outcome"))
    assert outcomes == {"headship": "confirmed", "inspection": "query"}


def test_marking_part_a_verified_too_early_says_what_is_missing_and_keeps_the_outcomes(adviser_client):
    application = submitted_application()
    url = reverse("applications:staff_verify", args=[application.pk])

    response = adviser_client.post(url, {"headship_outcome": "confirmed", "mark_verified": "1"}, follow=True)

    page = response.content.decode()
    assert "Verify every criterion first" in page
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.verifications.get().outcome == Verification.Outcome.CONFIRMED


def test_marking_part_a_verified_moves_on_to_the_assessors(adviser_client):
    application = submitted_application()
    data = {f"{key}_outcome": "confirmed"
            for key in ("headship", "inspection", "performance", "floor_standard", "senior_team")}
    response = adviser_client.post(reverse("applications:staff_verify", args=[application.pk]),
                                   {**data, "mark_verified": "1"})
    assert response.url == reverse("applications:staff_assign", args=[application.pk])
    application.refresh_from_db()
    assert application.status == Status.VERIFIED


def test_the_la_approval_button_records_the_approval(adviser_client, users):
    application = submitted_application()
    adviser_client.post(reverse("applications:staff_la_approve", args=[application.pk]))
    application.refresh_from_db()
    assert application.la_approved_by == users["adviser"]


# --- assessors ------------------------------------------------------------------


def test_an_assessor_with_a_conflict_is_shown_and_refused(adviser_client, users):
    application = verify(submitted_application(), users["adviser"])
    application.school.federation = "Wensum Federation"
    application.school.save()
    conflicted = AssessorFactory(full_name="Dana Conflicted", school=SchoolFactory(federation="Wensum Federation"))
    free = AssessorFactory(full_name="Evan Free")
    url = reverse("applications:staff_assign", args=[application.pk])

    page = adviser_client.get(url).content.decode()
    assert "Dana Conflicted" in page and "same federation" in page

    response = adviser_client.post(url, {"assessors": [conflicted.pk, free.pk]})
    assert response.status_code == 200
    assert "same federation" in response.content.decode()
    assert not Assessment.objects.exists()

    response = adviser_client.post(url, {"assessors": [free.pk]})
    assert response.status_code == 302
    assert list(application.assessments.values_list("assessor", flat=True)) == [free.pk]
    assert OutgoingEmail.objects.filter(template="assessment_assigned", to=free.email).exists()


def test_assessors_cannot_be_assigned_before_verification(adviser_client):
    application = submitted_application()
    response = adviser_client.post(reverse("applications:staff_assign", args=[application.pk]),
                                   {"assessors": [AssessorFactory().pk]}, follow=True)
    assert "Verify Part A" in response.content.decode()
    assert not Assessment.objects.exists()


# --- scoring ---------------------------------------------------------------------


@pytest.fixture
def assignment(users) -> Assessment:
    application = verify(submitted_application(), users["adviser"])
    return services.assessment_assign(application=application, assessor=users["assessor"], by=users["adviser"])


def test_the_assessor_sees_part_b_only_and_scores_it_then_it_is_read_only(client, users, assignment):
    client.force_login(users["assessor"])
    application = assignment.application
    url = reverse("applications:staff_assess", args=[assignment.pk])

    page = client.get(url).content.decode()
    assert application.impact_on_outcomes in page
    assert "Dr Helen Price" not in page  # no sponsor or reference
    assert application.applicant.full_name not in page

    response = client.post(url, {"impact_on_outcomes": "4", "comments": ""})
    assert response.status_code == 200
    assert "Give a score for" in response.content.decode()

    scores = dict.fromkeys(RUBRIC, "3")
    response = client.post(url, {**scores, "comments": "Convincing evidence of impact."})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.total == 12

    page = client.get(url).content.decode()
    assert "12 of 16" in page
    assert "Submit scores" not in page
    client.post(url, {**dict.fromkeys(RUBRIC, "1"), "comments": "Changed my mind."})
    assignment.refresh_from_db()
    assert assignment.total == 12


def test_the_assessors_list_shows_what_is_still_to_score(client, users, assignment):
    client.force_login(users["assessor"])
    page = client.get(reverse("applications:staff_assessments")).content.decode()
    assert assignment.application.reference_number in page


# --- the panel -------------------------------------------------------------------


def test_the_panel_ranks_by_average_score_then_by_the_rounds_priority_phase(adviser_client, users):
    round = ApplicationRoundFactory(priority_phases=["secondary"])
    adviser = users["adviser"]
    low = assessed_application(adviser, round, scores=dict.fromkeys(RUBRIC, 2))
    primary = assessed_application(adviser, round, phase_offered="primary")
    secondary = assessed_application(adviser, round, phase_offered="secondary")

    ranking = panel.panel_ranking(round=round)
    assert [e.application for e in ranking] == [secondary, primary, low]
    assert ranking[0].priority_phase and ranking[0].average == 12

    page = adviser_client.get(reverse("applications:staff_panel", args=[round.pk])).content.decode()
    assert page.index(secondary.reference_number) < page.index(primary.reference_number) < page.index(
        low.reference_number)
    assert "Local priority" in page
    assert "<strong>10</strong> of 10 places left" in page


def test_the_panel_records_a_decision_and_refuses_one_beyond_the_places(adviser_client, users):
    round = ApplicationRoundFactory(places=1)
    first, second = (assessed_application(users["adviser"], round) for _ in range(2))

    response = adviser_client.post(reverse("applications:staff_decide", args=[first.pk]), {
        f"app-{first.pk}-decision": "designated", f"app-{first.pk}-reasons": "The strongest evidence.",
    })
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == Status.DESIGNATED

    response = adviser_client.post(reverse("applications:staff_decide", args=[second.pk]), {
        f"app-{second.pk}-decision": "designated", f"app-{second.pk}-reasons": "Also strong.",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "All 1 places" in page
    assert "Every place is taken" in page
    assert "Also strong." in page  # what the panel typed is kept
    second.refresh_from_db()
    assert second.status == Status.ASSESSED


def test_a_decision_needs_reasons(adviser_client, users):
    application = assessed_application(users["adviser"])
    response = adviser_client.post(reverse("applications:staff_decide", args=[application.pk]), {
        f"app-{application.pk}-decision": "deferred",
    })
    assert response.status_code == 400
    assert "Give the panel&#x27;s reasons." in response.content.decode()


def test_the_send_button_says_it_sends_nothing_before_the_decisions_by_date(adviser_client, users):
    round = ApplicationRoundFactory(decisions_by=timezone.localdate() + timedelta(days=3))
    application = assessed_application(users["adviser"], round)
    services.panel_decide(application=application, decision="designated", reasons="Strong.", by=users["adviser"])

    response = adviser_client.post(reverse("applications:staff_send_decisions", args=[round.pk]), follow=True)

    assert "Nothing was sent" in response.content.decode()
    assert not OutgoingEmail.objects.filter(template="application_decision").exists()

    round.decisions_by = timezone.localdate()
    round.save()
    response = adviser_client.post(reverse("applications:staff_send_decisions", args=[round.pk]), follow=True)
    assert "1 decision email queued" in response.content.decode()
    assert OutgoingEmail.objects.filter(template="application_decision").count() == 1
