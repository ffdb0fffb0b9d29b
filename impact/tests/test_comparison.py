"""The matched comparison (difference-in-differences) finds an answer known in
advance: supported schools each with exact comparison schools whose change is
4 points less, beside schools that must not be chosen (an LLE's school, a
school supported before, one of another phase, one whose measure changed, one
with a missing value) and supported schools that cannot be matched (no match
within the caliper, a suppressed value, a changed measure). And it is stable
for a fixed seed, covers a known effect in simulated data, and runs a fixed
number of queries."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deployments.models import Deployment
from deployments.tests.factories import DeploymentFactory, LLEProfileFactory
from impact import comparison
from impact.analysis import ANALYSIS_MEASURES
from lle_portal.models import KeyStage, School
from lle_portal.tests.factories import LocalAuthorityFactory, SchoolFactory, SchoolResultFactory

from .simulation import simulate

pytestmark = pytest.mark.django_db

D = Decimal
HEADLINE = ANALYSIS_MEASURES["KS2_HEADLINE"]
SUPPORT_START, SUPPORT_END = date(2024, 9, 2), date(2025, 7, 18)


def school(la, *, prior, later, fsm, pupils, phase=School.Phase.PRIMARY, later_measure="PTRWM_EXP", name=""):
    """A school with its KS2 headline in 2024 and 2025 (None: suppressed; False: no row)."""
    s = SchoolFactory(local_authority=la, phase=phase, percentage_fsm=fsm, number_of_pupils=pupils,
                      name=name or f"School {prior}-{later}")
    for year, value, measure in ((2024, prior, "PTRWM_EXP"), (2025, later, later_measure)):
        if value is not False:
            SchoolResultFactory(school=s, key_stage=KeyStage.KS2, measure=measure, year=year,
                                value=value, marker="" if value is not None else "SUPP")
    return s


def deploy(client_school, lle, *, start=SUPPORT_START, end=SUPPORT_END, status=Deployment.Status.COMPLETED):
    now = timezone.now()
    return DeploymentFactory(
        lle=lle, client_school=client_school, need=None, client_head=None, client_head_name="", start_date=start,
        end_date=end, status=status, lle_accepted_at=now, client_accepted_at=now, agreed_at=now, started_at=now,
        finished_at=now if status == Deployment.Status.COMPLETED else None,
    )


# (earlier value, % FSM, pupils, comparison schools' change) of the five matched supported schools.
GROUPS = [(D(40), D(10), 100, D(2)), (D(50), D(20), 150, D(-1)), (D(60), D(30), 200, D("0.5")),
          (D(70), D(35), 250, D(3)), (D(80), D(40), 300, D(-2))]
EFFECT = D(4)


@pytest.fixture
def programme():
    """Norfolk's programme of 2024/25 and the schools of England it is compared with."""
    la = LocalAuthorityFactory(code="926", name="Norfolk")
    suffolk = LocalAuthorityFactory(code="935", name="Suffolk")
    lle = LLEProfileFactory(designated_on=date(2022, 7, 1), user__school=None,
                            school=SchoolFactory(local_authority=la, name="LLE's own school"))
    decoy_change = D(50)  # were any decoy chosen, the estimate would move by far more than rounding

    # Decoys first (lower ids), so that were they in the pool they would win the ties.
    p, f, n, _ = GROUPS[0]
    lle_school = school(suffolk, prior=p, later=p + decoy_change, fsm=f, pupils=n, name="An LLE's school")
    LLEProfileFactory(school=lle_school, user__school=lle_school, designated_on=date(2023, 1, 1))
    p, f, n, _ = GROUPS[1]
    before = school(suffolk, prior=p, later=p + decoy_change, fsm=f, pupils=n, name="Supported in 2022/23")
    deploy(before, lle, start=date(2022, 9, 5), end=date(2023, 7, 14))
    p, f, n, _ = GROUPS[2]
    school(suffolk, prior=p, later=p + decoy_change, fsm=f, pupils=n, phase=School.Phase.SECONDARY,
           name="Another phase")
    p, f, n, _ = GROUPS[3]
    school(suffolk, prior=p, later=p + decoy_change, fsm=f, pupils=n, later_measure="PTREADWRITTAMATX",
           name="Its measure changed")
    p, f, n, _ = GROUPS[4]
    school(suffolk, prior=p, later=None, fsm=f, pupils=n, name="Suppressed in 2025")
    # Known only from a performance file (no % FSM, no size), the same earlier value as the first group:
    # schools known as fully as the supported school come first.
    school(None, prior=GROUPS[0][0], later=GROUPS[0][0] + decoy_change, fsm=None, pupils=None,
           name="Known only from the performance tables")
    # Nearer on the earlier value than the fifth group's matches, but far on % FSM.
    school(suffolk, prior=p, later=p + decoy_change, fsm=D(2), pupils=n, name="Far on FSM")

    supported = []
    for i, (prior, fsm, pupils, change) in enumerate(GROUPS):
        s = school(la, prior=prior, later=prior + change + EFFECT, fsm=fsm, pupils=pupils, name=f"Supported {i}")
        deploy(s, lle)
        supported.append(s)
        # Three comparison schools (Norfolk's own and in another LA) with the same change: exact matches,
        # except the fifth group's, a point higher on the earlier value.
        offset = D(1) if i == 4 else D(0)
        for j in range(3):
            school(la if j == 0 else suffolk, prior=prior + offset, later=prior + offset + change, fsm=fsm,
                   pupils=pupils, name=f"Comparison {i}.{j}")

    # Supported schools that cannot be compared.
    far = school(la, prior=D(2), later=D(30), fsm=D(10), pupils=100, name="No match within the caliper")
    suppressed = school(la, prior=D(55), later=None, fsm=D(20), pupils=150, name="Supported, suppressed")
    changed = school(la, prior=D(65), later=D(70), fsm=D(20), pupils=150, later_measure="PTREADWRITTAMATX",
                     name="Supported, measure changed")
    secondary = SchoolFactory(local_authority=la, phase=School.Phase.SECONDARY, name="Supported, no KS2 results")
    for s in (far, suppressed, changed, secondary):
        deploy(s, lle)
    # A deployment of another LA is not Norfolk's.
    deploy(school(suffolk, prior=D(45), later=D(45), fsm=D(10), pupils=100, name="Suffolk's client"), lle)
    return la, supported


def test_the_matched_estimate_and_its_interval_are_the_known_answer(programme):
    la, supported = programme
    result = comparison.compare(la, HEADLINE, 2024, 2025)

    assert result.matched == 5
    assert result.exact_estimate == Fraction(4)
    assert result.estimate == D("4.0")
    # Every supported school is exactly 4 points above its matches: no resample can differ.
    assert (result.low, result.high) == (D("4.0"), D("4.0"))
    assert result.estimate_display == "+4.0" and result.interval_display == "+4.0 to +4.0"
    # The supported schools' own change and their matches', exact.
    assert result.supported_change == D("4.5")   # (2 - 1 + 0.5 + 3 - 2) / 5 + 4 = 4.5
    assert result.matches_change == D("0.5")
    # Unmatched, with why; the secondary school has no KS2 result and is not counted at all.
    assert (result.supported, result.no_results) == (8, 1)
    assert (result.no_match, result.no_value, result.changed_measure, result.unmatched) == (1, 1, 1, 3)
    # Each supported school got its own three comparison schools, none of the decoys.
    names = dict(School.objects.values_list("pk", "name"))
    for pair in result.pairs:
        i = names[pair.school_id].removeprefix("Supported ")
        assert sorted(names[c] for c in pair.matches) == [f"Comparison {i}.{j}" for j in range(3)]
    assert result.comparison_schools == 15
    assert result.with_fsm_and_size == 15
    assert "regression to the mean" in result.sentence and "not a randomised trial" in result.sentence


def test_a_school_known_only_from_the_performance_tables_makes_up_a_match_on_results_alone(programme):
    la, _ = programme
    # The far school (2 in 2024, 30 in 2025: +28) has no match; one with no % FSM or size and the same 2024
    # result, +24, becomes its match (on results alone), and the estimate stays 4.
    school(None, prior=D(2), later=D(26), fsm=None, pupils=None, name="National, low")
    result = comparison.compare(la, HEADLINE, 2024, 2025)
    assert (result.matched, result.no_match) == (6, 0)
    assert result.exact_estimate == Fraction(4)
    assert (result.with_fsm_and_size, result.matched_pairs) == (15, 16)


def test_the_caliper_and_k_are_what_decide_a_match(programme):
    la, _ = programme
    # With no caliper to speak of, the far school is matched too (with the nearest, the first group's).
    loose = comparison.compare(la, HEADLINE, 2024, 2025, caliper=100)
    assert (loose.matched, loose.no_match) == (6, 0)
    # One comparison school each: the estimate is still exactly 4 for the five.
    one = comparison.compare(la, HEADLINE, 2024, 2025, k=1)
    assert one.exact_estimate == Fraction(4) and all(len(p.matches) == 1 for p in one.pairs)


def test_the_estimate_is_the_same_for_a_fixed_seed_and_the_interval_moves_only_with_it(programme):
    la, supported = programme
    # Make the differences unequal, so that the interval is not a point.
    for s, extra in zip(supported, (D(6), D("1.3"), D("-2.1")), strict=False):
        later = s.results.get(year=2025)
        later.value += extra
        later.save()
    a = comparison.compare(la, HEADLINE, 2024, 2025)
    b = comparison.compare(la, HEADLINE, 2024, 2025)
    assert a == b
    assert a.exact_estimate == Fraction(4) + Fraction(52, 50)  # 4 + (6 + 1.3 - 2.1) / 5
    assert a.estimate == D("5.0")
    assert a.low < a.estimate < a.high
    other = comparison.compare(la, HEADLINE, 2024, 2025, seed=comparison.SEED + 1)
    assert other.exact_estimate == a.exact_estimate
    assert (other.raw_low, other.raw_high) != (a.raw_low, a.raw_high)


def test_fewer_than_five_matched_schools_get_no_interval(programme):
    la, supported = programme
    Deployment.objects.filter(client_school__in=supported[2:]).delete()
    result = comparison.compare(la, HEADLINE, 2024, 2025)
    assert result.matched == 2 and result.estimate == D("4.0")
    assert not result.has_interval and result.interval_display == ""


def test_a_year_without_supported_schools_has_nothing_to_compare(programme):
    la, _ = programme
    result = comparison.compare(la, HEADLINE, 2023, 2024)
    assert (result.supported, result.matched, result.estimate) == (0, 0, None)
    assert comparison.programme_comparison(la, 2024, ["KS2_HEADLINE"]) is None
    assert comparison.programme_comparison(la, 2025, ["P8MEA", "KS2_HEADLINE"]).measure.key == "KS2_HEADLINE"


def test_it_runs_a_fixed_number_of_queries(programme, django_assert_max_num_queries):
    la, _ = programme
    with CaptureQueriesContext(connection) as few:
        comparison.compare(la, HEADLINE, 2024, 2025)
    lle = LLEProfileFactory(designated_on=date(2022, 7, 1))
    for i in range(40):
        s = school(la, prior=D(40 + i % 30), later=D(45), fsm=D(20), pupils=200)
        deploy(s, lle)
    with CaptureQueriesContext(connection) as many:
        result = comparison.compare(la, HEADLINE, 2024, 2025)
    assert result.supported == 48
    assert len(few.captured_queries) == len(many.captured_queries) == 3


def test_the_cached_result_is_served_until_results_change(programme, django_assert_num_queries):
    la, _ = programme
    first = comparison.matched_comparison(local_authority=la, measure="KS2_HEADLINE", year_from=2024, year_to=2025)
    with django_assert_num_queries(0):
        again = comparison.matched_comparison(local_authority=la, measure="KS2_HEADLINE", year_from=2024,
                                              year_to=2025)
    assert again == first


# Coverage: the interval covers the true effect in simulated data. The test runs a few seeded
# simulations; scripts/bench_comparison.py runs 100 and prints the coverage (at least 90 needed).
COVERAGE_SEEDS = range(4)


def _one_simulation(seed: int, lle) -> comparison.MatchedComparison:
    with transaction.atomic():
        la = simulate(seed, lle=lle)
        result = comparison.compare(la, HEADLINE, 2024, 2025)
        transaction.set_rollback(True)
    return result


def test_the_interval_covers_a_known_effect_in_simulated_data():
    lle = LLEProfileFactory(designated_on=date(2026, 1, 1))
    covered, naive = 0, []
    for seed in COVERAGE_SEEDS:
        result = _one_simulation(seed, lle)
        assert result.matched >= 25  # a school at the very bottom may have no match within the caliper
        covered += result.raw_low <= 3.0 <= result.raw_high
        naive.append(float(result.supported_change))
    assert covered >= len(COVERAGE_SEEDS) - 1
    # The naive change is inflated by regression to the mean; the matched estimate is not.
    assert np.mean(naive) > 4.5


def test_a_phase_filter_keeps_the_supported_schools_of_that_phase(programme):
    la, _ = programme
    primary = comparison.compare(la, HEADLINE, 2024, 2025, phase="primary")
    assert (primary.supported, primary.matched, primary.no_results) == (8, 5, 0)
    assert primary.exact_estimate == Fraction(4)
    secondary = comparison.compare(la, HEADLINE, 2024, 2025, phase="secondary")
    assert (secondary.supported, secondary.matched, secondary.no_results) == (0, 0, 1)


# --- where people see it -----------------------------------------------------------------

HEADLINE_TEXT = "Matched estimate: +4.0 percentage points (95% interval +4.0 to +4.0)"


def _flat(response) -> str:
    """The page's words, without tags or line breaks."""
    from django.utils.html import strip_tags

    html = response if isinstance(response, str) else response.content.decode()
    return " ".join(strip_tags(html).split())


def test_norfolks_adviser_sees_the_matched_estimate_once_beside_the_table(client, users, programme):
    client.force_login(users["adviser"])
    html = _flat(client.get("/impact/", {"measure": "KS2_HEADLINE", "year": 2025}))
    assert html.count(HEADLINE_TEXT) == 1
    assert html.index("Supported schools") < html.index(HEADLINE_TEXT)
    assert "5 of 8 supported schools matched; not matched: 1 without a published value in 2024 or 2025, 1 whose " \
           "measure changed, 1 with no similar school close enough." in html
    assert "regression to the mean" in html


def test_another_las_adviser_sees_their_own_programme_not_norfolks(client, users, programme):
    client.force_login(users["other_adviser"])
    html = _flat(client.get("/impact/", {"measure": "KS2_HEADLINE", "year": 2025}))
    assert "The programme in Suffolk" in html
    assert "+4.0" not in html and "Supported 0" not in html
    # Suffolk's one supported school: too few for an interval.
    assert "Too few schools were matched for an interval." in html or "could be matched" in html
    assert client.get("/impact/", {"la": "926", "year": 2025}).status_code == 404


def test_a_governor_of_another_la_sees_nothing_of_norfolks_comparison(client, programme):
    from lle_portal.tests.factories import GovernorFactory, LocalAuthorityFactory

    elsewhere = SchoolFactory(local_authority=LocalAuthorityFactory(code="936", name="Surrey"))
    client.force_login(GovernorFactory(school=elsewhere))
    html = _flat(client.get("/impact/", {"measure": "KS2_HEADLINE", "year": 2025}))
    assert "Matched estimate" not in html and "Compared with similar schools" not in html


def test_the_impact_report_has_the_matched_comparison_once_after_the_tables(programme):
    from impact.reports import impact_report_html

    la, _ = programme
    html = _flat(impact_report_html(la, 2025))
    assert html.count(HEADLINE_TEXT) == 1
    assert html.index("Supported schools") < html.index(HEADLINE_TEXT)
    assert "not a randomised trial" in html
