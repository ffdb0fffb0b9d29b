"""Matching: each reason for a score, each hard exclusion, the ranking, and
the assignment of all open needs within every LLE's capacity."""

from decimal import Decimal

import pytest

from deployments import matching
from deployments.matching import (
    CAPACITY_POINTS,
    DISTANCE_POINTS,
    PHASE_POINTS,
    RELATED_PHASE_POINTS,
    SPECIALISM_CAP,
    SPECIALISM_POINTS,
)
from lle_portal.models import School
from lle_portal.tests.factories import SchoolFactory

from .factories import ClientSchoolFactory, DeploymentFactory, LLEProfileFactory, SupportNeedFactory, norfolk

pytestmark = pytest.mark.django_db


def scored(need, lle):
    """The candidate as the ranked list scores it (committed days loaded the same way)."""
    return next(c for c in matching.rank_candidates(need) if c.lle.pk == lle.pk)


def reason(candidate, kind):
    return next(r for r in candidate.reasons if r.kind == kind)


# --- reasons ---------------------------------------------------------------------


def test_the_same_phase_scores_full_phase_points():
    candidate = scored(SupportNeedFactory(), LLEProfileFactory(phase="primary"))
    assert reason(candidate, "phase").points == PHASE_POINTS
    assert reason(candidate, "phase").label == "Same phase (primary)"


def test_an_all_through_lle_scores_half_for_a_primary_school():
    candidate = scored(SupportNeedFactory(), LLEProfileFactory(phase="all_through"))
    assert reason(candidate, "phase").points == RELATED_PHASE_POINTS


def test_a_different_phase_scores_nothing_and_says_so():
    need = SupportNeedFactory(client_school=ClientSchoolFactory(phase=School.Phase.SECONDARY))
    candidate = scored(need, LLEProfileFactory(phase="primary"))
    assert reason(candidate, "phase").points == 0
    assert reason(candidate, "phase").label == "Different phase (primary, client secondary)"


def test_a_special_school_needs_an_lle_from_a_special_school():
    need = SupportNeedFactory(client_school=ClientSchoolFactory(is_special=True))
    assert reason(scored(need, LLEProfileFactory(phase="special")), "phase").points == PHASE_POINTS


def test_distance_is_the_haversine_km_between_the_schools_and_nearer_scores_more():
    # Norwich to Great Yarmouth: about 29 km as the crow flies.
    assert matching.haversine_km(52.6309, 1.2974, 52.6083, 1.7305) == pytest.approx(29.3, abs=0.3)
    need = SupportNeedFactory(client_school=ClientSchoolFactory(latitude=Decimal("52.6309"),
                                                                longitude=Decimal("1.2974")))
    near = LLEProfileFactory(school=SchoolFactory(local_authority=norfolk(), latitude=Decimal("52.6309"),
                                                  longitude=Decimal("1.3200")))
    far = LLEProfileFactory(school=SchoolFactory(local_authority=norfolk(), latitude=Decimal("52.6083"),
                                                 longitude=Decimal("1.7305")))
    beyond = LLEProfileFactory(school=SchoolFactory(local_authority=norfolk(), latitude=Decimal("52.2"),
                                                    longitude=Decimal("0.1")))
    near_c, far_c, beyond_c = scored(need, near), scored(need, far), scored(need, beyond)
    assert near_c.distance_km == pytest.approx(1.5, abs=0.1)
    assert reason(near_c, "distance").points == pytest.approx(DISTANCE_POINTS * (1 - near_c.distance_km / 40), abs=0.1)
    assert reason(near_c, "distance").points > reason(far_c, "distance").points > 0
    assert reason(beyond_c, "distance").points == 0
    assert reason(far_c, "distance").label == f"{far_c.distance_km:.1f} km between the schools"


def test_a_school_without_coordinates_has_an_unknown_distance():
    need = SupportNeedFactory(client_school=ClientSchoolFactory(latitude=None, longitude=None))
    candidate = scored(need, LLEProfileFactory())
    assert candidate.distance_km is None
    assert reason(candidate, "distance").points == 0
    assert "not known" in reason(candidate, "distance").label


def test_each_specialism_meeting_a_focus_area_scores_up_to_a_cap():
    need = SupportNeedFactory(focus_areas=["maths", "literacy", "send", "data"])
    one = scored(need, LLEProfileFactory(specialisms=["maths", "governance"]))
    assert reason(one, "specialisms").points == SPECIALISM_POINTS
    assert reason(one, "specialisms").label == "Specialisms meet 1 of 4 focus areas: Mathematics"
    four = scored(need, LLEProfileFactory(specialisms=["maths", "literacy", "send", "data"]))
    assert reason(four, "specialisms").points == SPECIALISM_CAP
    none = scored(need, LLEProfileFactory(specialisms=["finance"]))
    assert reason(none, "specialisms").points == 0


def test_a_new_heads_need_is_met_by_an_lle_who_mentors_new_heads():
    need = SupportNeedFactory(reasons=["new_head"], focus_areas=[])
    partner = scored(need, LLEProfileFactory(specialisms=["new_heads"]))
    assert reason(partner, "specialisms").points == SPECIALISM_POINTS


def test_spare_capacity_is_days_offered_minus_days_committed():
    lle = LLEProfileFactory(days_per_week=Decimal("1.0"))
    DeploymentFactory(lle=lle, days_per_week=Decimal("0.5"))  # proposed: committed
    DeploymentFactory(lle=lle, active=True, days_per_week=Decimal("0.5"), status="completed")  # not committed
    need = SupportNeedFactory(days_per_week=Decimal("0.5"))
    candidate = scored(need, lle)
    assert candidate.spare_days == Decimal("0.5")
    assert reason(candidate, "capacity").points == CAPACITY_POINTS
    wants_a_day = scored(SupportNeedFactory(days_per_week=Decimal("1.0")), lle)
    assert reason(wants_a_day, "capacity").points == 0
    assert reason(wants_a_day, "capacity").label == "Some spare capacity: half a day a week free, one day wanted"
    assert wants_a_day.proposable and wants_a_day.offer_days == Decimal("0.5")


def test_the_score_is_the_sum_of_its_reasons():
    candidate = scored(SupportNeedFactory(focus_areas=["maths"]), LLEProfileFactory(specialisms=["maths"]))
    assert candidate.score == pytest.approx(sum(r.points for r in candidate.reasons), abs=0.1)
    assert [r.kind for r in candidate.reasons] == ["phase", "distance", "specialisms", "capacity"]


# --- hard exclusions ----------------------------------------------------------------


def excluded(need, lle) -> list[str]:
    return scored(need, lle).exclusions


def test_the_lles_own_school_is_excluded():
    lle = LLEProfileFactory()
    need = SupportNeedFactory(client_school=lle.school, client_head=None)
    assert excluded(need, lle) == ["This is the LLE's own school"]


def test_a_school_of_the_same_trust_is_excluded():
    lle = LLEProfileFactory(school=SchoolFactory(local_authority=norfolk(), trust="Broadland Learning Trust"))
    need = SupportNeedFactory(client_school=ClientSchoolFactory(trust="Broadland Learning Trust"))
    assert excluded(need, lle) == ["Same trust (Broadland Learning Trust)"]
    other = SupportNeedFactory(client_school=ClientSchoolFactory(trust="Another Trust"))
    assert excluded(other, lle) == []


def test_a_school_of_the_same_federation_is_excluded():
    lle = LLEProfileFactory(school=SchoolFactory(local_authority=norfolk(), federation="Wensum Federation"))
    need = SupportNeedFactory(client_school=ClientSchoolFactory(federation="Wensum Federation"))
    assert excluded(need, lle) == ["Same federation (Wensum Federation)"]


def test_blank_trusts_are_not_the_same_trust():
    lle = LLEProfileFactory(school=SchoolFactory(local_authority=norfolk(), trust="", federation=""))
    need = SupportNeedFactory(client_school=ClientSchoolFactory(trust="", federation=""))
    assert excluded(need, lle) == []


def test_an_lle_not_trained_or_not_active_is_excluded():
    need = SupportNeedFactory()
    assert excluded(need, LLEProfileFactory(trained_on=None)) == ["The LLE has not completed training"]
    assert excluded(need, LLEProfileFactory(is_active=False)) == ["The LLE is not active"]


def test_an_lle_with_no_spare_capacity_is_excluded():
    lle = LLEProfileFactory(days_per_week=Decimal("0.5"))
    DeploymentFactory(lle=lle, active=True)
    assert excluded(SupportNeedFactory(), lle) == ["No spare capacity"]


def test_excluded_lles_are_listed_last_whatever_their_score():
    need = SupportNeedFactory(focus_areas=["maths"])
    best_but_untrained = LLEProfileFactory(trained_on=None, specialisms=["maths"])
    weaker = LLEProfileFactory(phase="secondary", specialisms=[])
    ranked = matching.rank_candidates(need)
    assert [c.lle for c in ranked] == [weaker, best_but_untrained]
    assert ranked[1].score > ranked[0].score
    assert [c.proposable for c in ranked] == [True, False]


def test_the_ranked_list_loads_every_candidate_in_a_fixed_number_of_queries(django_assert_num_queries):
    need = SupportNeedFactory()
    for _ in range(3):
        DeploymentFactory(lle=LLEProfileFactory())
    with django_assert_num_queries(2):  # the LLEs with their committed days; the busy pairs
        few = matching.rank_candidates(need)
    for _ in range(12):
        DeploymentFactory(lle=LLEProfileFactory())
    with django_assert_num_queries(2):
        many = matching.rank_candidates(need)
    assert len(many) == len(few) + 12


# --- all open needs at once -----------------------------------------------------------


def test_it_assigns_every_need_the_best_total_within_capacity():
    maths_lle = LLEProfileFactory(specialisms=["maths"], days_per_week=Decimal("0.5"))
    send_lle = LLEProfileFactory(specialisms=["send"], days_per_week=Decimal("0.5"))
    maths = SupportNeedFactory(focus_areas=["maths"])
    send = SupportNeedFactory(focus_areas=["send"])
    assignments = {a.need: a for a in matching.assign_all([maths, send])}
    assert assignments[maths].candidate.lle == maths_lle
    assert assignments[send].candidate.lle == send_lle


def test_no_lle_is_given_more_than_their_spare_capacity():
    one_day = LLEProfileFactory(specialisms=["maths"], days_per_week=Decimal("1.0"))
    half_day = LLEProfileFactory(specialisms=[], days_per_week=Decimal("0.5"))
    needs = [SupportNeedFactory(focus_areas=["maths"], days_per_week=Decimal("1.0")) for _ in range(4)]
    assignments = matching.assign_all(needs)

    given: dict[int, Decimal] = {}
    for assignment in assignments:
        if assignment.candidate:
            lle = assignment.candidate.lle.pk
            given[lle] = given.get(lle, Decimal(0)) + assignment.days_per_week
            assert assignment.days_per_week >= Decimal("0.5")
    assert given[one_day.pk] <= Decimal("1.0")
    assert given[half_day.pk] <= Decimal("0.5")
    # Three half-day slots in all (two of the one-day LLE's, one of the other): one need waits.
    assert sum(1 for a in assignments if a.candidate) == 3
    assert sum(1 for a in assignments if a.candidate is None) == 1


def test_committed_days_count_against_capacity_in_the_assignment():
    busy = LLEProfileFactory(days_per_week=Decimal("1.0"))
    DeploymentFactory(lle=busy, active=True, days_per_week=Decimal("1.0"))
    free = LLEProfileFactory(days_per_week=Decimal("0.5"), phase="secondary")
    [assignment] = matching.assign_all([SupportNeedFactory()])
    assert assignment.candidate.lle == free


def test_an_excluded_pair_is_never_assigned_even_when_nothing_else_is_left():
    lle = LLEProfileFactory()
    need = SupportNeedFactory(client_school=lle.school, client_head=None)
    [assignment] = matching.assign_all([need])
    assert assignment.candidate is None


def test_a_full_day_need_is_given_the_whole_day_when_the_lle_has_it():
    lle = LLEProfileFactory(days_per_week=Decimal("1.0"))
    [assignment] = matching.assign_all([SupportNeedFactory(days_per_week=Decimal("1.0"))])
    assert assignment.candidate.lle == lle and assignment.days_per_week == Decimal("1.0")
