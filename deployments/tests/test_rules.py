"""Each page offers exactly the actions the services accept (deployments/rules.py).

For every action, every state the rule may depend on (generated from the
models' enums) and every person (the LLE, the client head, a colleague who
delivers days, the adviser of the school's LA, an adviser of another LA and
another headteacher): the page that offers the action shows it exactly when
calling the service as that person succeeds.
"""

import pytest

from deployments import rules
from deployments.models import ReimbursementLine

from .rules_world import (
    DEPLOYMENT_ACTIONS,
    VISIT_ACTIONS,
    Role,
    approve_action,
    correct_action,
    deployment_states,
    end_report_action,
    line_states,
    make_deployment,
    make_line,
    make_need,
    make_visit,
    mismatches,
    need_states,
    people,
    propose_action,
    visit_states,
)

pytestmark = pytest.mark.django_db

# What each deployment rule depends on besides the status: the dates, or who has accepted.
DEPENDS_ON = {"accept": {"acceptance": True}, "start": {"timing": True}, "complete": {"timing": True}}
DEPLOYMENT_CASES = [
    (name, state)
    for name in [*DEPLOYMENT_ACTIONS, "ask for the end report"]
    for state in deployment_states(**DEPENDS_ON.get(name, {}))
]


@pytest.mark.parametrize(("name", "state"), DEPLOYMENT_CASES, ids=[f"{n}: {s}" for n, s in DEPLOYMENT_CASES])
def test_the_deployment_page_offers_an_action_exactly_when_the_service_accepts_it(client, name, state):
    deployment = make_deployment(state)
    action = DEPLOYMENT_ACTIONS.get(name) or end_report_action(client)
    assert mismatches(client, deployment, people(deployment), deployment.get_absolute_url(), action) == []


VISIT_CASES = [(name, state) for name in VISIT_ACTIONS for state in visit_states()]


@pytest.mark.parametrize(("name", "state"), VISIT_CASES, ids=[f"{n}: {s}" for n, s in VISIT_CASES])
def test_a_record_of_visit_offers_an_action_exactly_when_the_service_accepts_it(client, name, state):
    visit = make_visit(state)
    everyone = people(visit.deployment)
    assert mismatches(client, visit, everyone, visit.deployment.get_absolute_url(), VISIT_ACTIONS[name]) == []


@pytest.mark.parametrize("status", list(need_states()), ids=str)
def test_the_matching_list_offers_a_proposal_exactly_when_the_service_accepts_it(client, status):
    need, everyone = make_need(status)
    action = propose_action(everyone[Role.LLE])
    assert mismatches(client, need, everyone, need.get_absolute_url(), action) == []


# The page offers to correct a visit on the line that pays it; a held visit is
# offered for approval (or waits for its flag to be cleared) instead.
STATEMENT_CASES = [(approve_action(), state) for state in line_states()] + [
    (correct_action(), state) for state in line_states(withdrawn=True) if state.held == ReimbursementLine.Held.NO
]


@pytest.mark.parametrize(("action", "state"), STATEMENT_CASES, ids=[f"{a}: {s}" for a, s in STATEMENT_CASES])
def test_a_statement_offers_an_action_on_a_line_exactly_when_the_service_accepts_it(client, action, state):
    line, everyone = make_line(state)
    assert mismatches(client, line, everyone, line.statement.get_absolute_url(), action) == []


# Which rule each action above reads; the rules no page offers as a button, and why.
TESTED = {
    "accept_refusal", "decline_refusal", "start_refusal", "complete_refusal", "end_early_refusal",
    "add_objective_refusal", "rate_refusal", "record_visit_refusal", "end_report_refusal",
    "confirm_visit_refusal", "query_visit_refusal", "amend_visit_refusal", "flag_visit_refusal",
    "clear_flag_refusal", "propose_refusal", "approve_late_claim_refusal", "correct_visit_refusal",
}
NOT_A_BUTTON = {
    "terms_refusal": "the admin shows the terms read-only once fixed; no service changes them",
    "close_need_refusal": "closing is an admin action over the selected needs, whatever their status",
}


def test_every_rule_is_tested_above():
    public = {name for name in dir(rules) if name.endswith("_refusal") and not name.startswith("_")}
    assert public == TESTED | set(NOT_A_BUTTON)
