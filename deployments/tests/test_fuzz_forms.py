"""Property-based tests of every form of brokerage and deployment: declining
and ending early, objectives, records of visit and their queries and QA flags,
proposing a match (one by one and all at once), and reimbursement statements.
Hostile input never gets a server error; a refused form shows its errors (or,
for a one-button form, a message) and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from deployments.models import INTENSITY_CHOICES, VISIT_LENGTH_CHOICES, Activity, Deployment, Objective, VisitRecord
from deployments.terms import Term, term_for
from lle_portal.tests.fuzz import (
    assert_answered,
    assert_shows_errors,
    form_data,
    fuzz,
    post_form,
    rolled_back,
    row_values,
    table_counts,
)

from .factories import DeploymentFactory, LLEProfileFactory, ObjectiveFactory, SupportNeedFactory, VisitRecordFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DATES = [f"{TODAY - timedelta(days=3):%Y-%m-%d}", f"{TODAY + timedelta(days=3):%Y-%m-%d}", "0001-01-01",
         "9999-12-31", "2024-02-29"]
REASON = {"reason": ["", "The school has federated with another."]}


@pytest.fixture
def world(users):
    lle = LLEProfileFactory()
    need = SupportNeedFactory()
    active = DeploymentFactory(active=True, lle=lle, need=need)
    return {
        "lle": lle,
        "client_head": need.client_head,
        "open_need": SupportNeedFactory(),
        "proposed": DeploymentFactory(lle=lle, need=need),
        "agreed": DeploymentFactory(agreed=True, lle=lle, need=need),
        "active": active,
        "objective": ObjectiveFactory(deployment=active),
        "visit": VisitRecordFactory(deployment=active, visit_date=TODAY - timedelta(days=2)),
    }


def _as(client, user):
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _check_form_page(response, before: dict, watched=()) -> None:
    """200: the form came back with its errors and nothing changed. 302: accepted."""
    assert_answered(response)
    if response.status_code == 200:
        assert_shows_errors(response)
        assert table_counts() == before["counts"]
        assert row_values(*watched) == before["rows"]


def _snapshot(*watched) -> dict:
    return {"counts": table_counts(), "rows": row_values(*watched)}


# --- reason pages ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["decline_by_head", "decline_by_adviser", "end_early", "visit_query"])
@fuzz
@given(posted=form_data(REASON))
@example(posted={"reason": "\x00"})
def test_a_reason_page_acts_only_on_a_valid_reason(page, posted, client, users, world):
    user, url, target = {
        "decline_by_head": (world["client_head"], reverse("deployments:decline", args=[world["proposed"].pk]),
                            world["proposed"]),
        "decline_by_adviser": (users["adviser"], reverse("deployments:decline", args=[world["proposed"].pk]),
                               world["proposed"]),
        "end_early": (users["adviser"], reverse("deployments:end_early", args=[world["active"].pk]),
                      world["active"]),
        "visit_query": (world["client_head"], reverse("deployments:visit_query", args=[world["visit"].pk]),
                        world["visit"]),
    }[page]
    _as(client, user)
    with rolled_back():
        before = _snapshot(target)
        response = post_form(client, url, posted)
        _check_form_page(response, before, [target])
        if response.status_code == 302:
            assert row_values(target) != before["rows"]


# --- objectives (forms on the deployment page: refused with a message) -------------------


@fuzz
@given(posted=form_data({"title": ["Reading up"], "measure_of_success": ["Attainment +10 points"]}))
@example(posted={"title": "Reading\x00", "measure_of_success": "x"})
@example(posted={"title": "x" * 301, "measure_of_success": "x"})
def test_an_objective_is_added_only_when_valid(posted, client, world):
    _as(client, world["lle"].user)
    url = reverse("deployments:objective_add", args=[world["active"].pk])
    with rolled_back():
        objectives = Objective.objects.count()
        response = post_form(client, url, posted)
        assert_answered(response, (302,))
        if Objective.objects.count() == objectives:
            assert any("objective" in m.lower() for m in _messages(response))
        else:
            assert Objective.objects.count() == objectives + 1


@fuzz
@given(posted=form_data({"progress": [value for value, _ in Objective.Progress.choices]}))
def test_an_objective_rating_is_saved_only_when_valid(posted, client, world):
    _as(client, world["client_head"])
    objective = world["objective"]
    url = reverse("deployments:objective_rate", args=[world["active"].pk, objective.pk])
    with rolled_back():
        response = post_form(client, url, posted)
        assert_answered(response, (302,))
        objective.refresh_from_db()
        valid = posted.get("progress") in Objective.Progress.values
        assert (objective.progress == posted["progress"]) if valid else any(
            "Choose a progress rating" in m for m in _messages(response))


# --- records of visit ---------------------------------------------------------------------


VISIT_FIELDS = {
    "visit_date": DATES,
    "days": [f"{value:.1f}" for value, _ in VISIT_LENGTH_CHOICES],
    "activities": [value for value, _ in Activity.choices],
    "summary": ["Coaching with the head."], "progress": ["Plan drafted."], "next_steps": ["Learning walk."],
}


@fuzz
@given(data=st.data())
@example(data=None)
def test_a_record_of_visit_is_saved_only_when_valid(data, client, world):
    fields = {**VISIT_FIELDS, "objectives": [str(world["objective"].pk), "²", "9" * 30]}
    posted = data.draw(form_data(fields)) if data else {**{k: v[0] for k, v in VISIT_FIELDS.items()},
                                                        "visit_date": "0001-01-01", "summary": "a\x00"}
    _as(client, world["lle"].user)
    with rolled_back():
        before = _snapshot()
        response = post_form(client, reverse("deployments:visit_new", args=[world["active"].pk]), posted)
        _check_form_page(response, before)
        if response.status_code == 302:
            assert VisitRecord.objects.count() == before["counts"]["deployments_visitrecord"] + 1


@fuzz
@given(posted=form_data({k: v for k, v in VISIT_FIELDS.items() if k != "visit_date"}))
def test_amending_a_record_of_visit_changes_it_only_when_valid(posted, client, world):
    _as(client, world["lle"].user)
    visit = world["visit"]
    with rolled_back():
        before = _snapshot(visit)
        response = post_form(client, reverse("deployments:visit_amend", args=[visit.pk]), posted)
        _check_form_page(response, before, [visit])


@fuzz
@given(posted=form_data({"note": ["", "Check the dates."]}))
@example(posted={"note": "\x00"})
def test_a_qa_flag_never_stores_a_refused_note(posted, client, users, world):
    _as(client, users["adviser"])
    visit = world["visit"]
    with rolled_back():
        response = post_form(client, reverse("deployments:visit_flag", args=[visit.pk]), posted)
        assert_answered(response, (302,))
        visit.refresh_from_db()
        assert visit.qa_flagged_at is not None
        assert "\x00" not in visit.qa_note


# --- the adviser's matching ----------------------------------------------------------------


def _proposal_fields(world) -> dict:
    return {
        "lle": [str(world["lle"].pk), "", "²", "9" * 30],
        "start_date": DATES, "end_date": [f"{TODAY + timedelta(days=400):%Y-%m-%d}", *DATES],
        "days_per_week": [f"{value:.1f}" for value, _ in INTENSITY_CHOICES],
        "rate_per_day": ["350", "0", "-1", "99999.99", "1e10"],
        "kind": [value for value, _ in Deployment.Kind.choices],
    }


@fuzz
@given(data=st.data())
def test_a_proposal_is_made_only_from_valid_terms(data, client, users, world):
    posted = data.draw(form_data(_proposal_fields(world)))
    _as(client, users["adviser"])
    need = world["open_need"]
    with rolled_back():
        before = _snapshot(need)
        response = post_form(client, reverse("deployments:matches", args=[need.pk]), posted)
        _check_form_page(response, before, [need])


@fuzz
@given(data=st.data())
@example(data=None)
def test_proposing_from_the_match_all_page_never_fails_on_hostile_ids(data, client, users, world):
    fields = {
        "need": [str(world["open_need"].pk), "", "abc", "²", "9" * 30, "-1"],
        "lle": [str(world["lle"].pk), "", "abc", "9" * 30],
        "days_per_week": ["0.5", "1.0", "", "abc", "NaN", "-1", "1e10"],
    }
    posted = data.draw(form_data(fields)) if data else {"need": "abc", "lle": "\x00", "days_per_week": "NaN"}
    _as(client, users["adviser"])
    with rolled_back():
        deployments = Deployment.objects.count()
        response = post_form(client, reverse("deployments:match_all"), posted)
        assert_answered(response, (302, 404))
        if Deployment.objects.count() == deployments and response.status_code == 302:
            assert _messages(response), "a refused proposal says why"


# --- reimbursement statements --------------------------------------------------------------


@fuzz
@given(data=st.data())
def test_a_statement_is_prepared_only_from_a_valid_choice(data, client, users):
    this_year = term_for(TODAY).academic_year
    posted = data.draw(form_data({
        "local_authority": [str(la.pk) for la in users["adviser"].local_authorities.all()] + ["9" * 30],
        "academic_year": [str(this_year - 1), str(this_year), "1900", "99999"],
        "term": [value for value, _ in Term.choices],
    }))
    _as(client, users["adviser"])
    with rolled_back():
        before = _snapshot()
        response = post_form(client, reverse("deployments:statements"), posted)
        _check_form_page(response, before)


# --- buttons: hostile bodies are ignored -------------------------------------------------------


@pytest.mark.parametrize("button", ["accept", "start", "complete", "visit_confirm"])
@fuzz
@given(posted=form_data({"confirm": ["yes"]}))
def test_one_button_actions_ignore_hostile_bodies(button, posted, client, users, world):
    user, url = {
        "accept": (world["client_head"], reverse("deployments:accept", args=[world["proposed"].pk])),
        "start": (users["adviser"], reverse("deployments:start", args=[world["agreed"].pk])),
        "complete": (users["adviser"], reverse("deployments:complete", args=[world["active"].pk])),
        "visit_confirm": (world["client_head"], reverse("deployments:visit_confirm", args=[world["visit"].pk])),
    }[button]
    _as(client, user)
    with rolled_back():
        response = post_form(client, url, posted)
        assert_answered(response, (302,))
