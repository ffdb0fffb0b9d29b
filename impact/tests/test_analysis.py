"""The performance analysis reproduces a table whose answer is known: the
Norfolk figures (docs/programme.md §11.1) for 2010 to 2011 (KS2 % Level 4+ in English and maths: LLE
schools +7, supported schools +16.9, the LA +1.1; KS1 average point score:
supported +0.3 against the LA's +0.1), built school by school, with missing
values and a school whose measure changed."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments.models import Deployment
from deployments.tests.factories import DeploymentFactory, LLEProfileFactory
from impact import analysis
from lle_portal.models import AreaResult, KeyStage, School
from lle_portal.tests.factories import LocalAuthorityFactory, SchoolFactory, SchoolResultFactory

pytestmark = pytest.mark.django_db

D = Decimal


def ks2(school, y2010, y2011, *, measure_2011="PTENGMATX"):
    """A school's KS2 headline in 2010 and 2011; None = a suppressed value (SUPP)."""
    for year, value, measure in ((2010, y2010, "PTENGMATX"), (2011, y2011, measure_2011)):
        if value is False:  # no row at all that year
            continue
        SchoolResultFactory(school=school, key_stage=KeyStage.KS2, measure=measure, year=year,
                            value=value, marker="" if value is not None else "SUPP")


def deploy(school, lle, *, start=date(2010, 9, 6), end=date(2011, 7, 20), status=Deployment.Status.ACTIVE,
           finished=None):
    now = timezone.now()
    return DeploymentFactory(
        lle=lle, client_school=school, need=None, client_head=None, client_head_name="", start_date=start,
        end_date=end, status=status,
        lle_accepted_at=now, client_accepted_at=now, agreed_at=now, started_at=now, finished_at=finished,
        ended_reason="The head left." if status == Deployment.Status.ENDED_EARLY else "",
    )


@pytest.fixture
def norfolk_2011():
    """Norfolk in 2010/11: the schools, their results, LLEs and deployments."""
    la = LocalAuthorityFactory(code="926", name="Norfolk")
    other_la = LocalAuthorityFactory(code="935", name="Suffolk")
    school = lambda name, **kw: SchoolFactory(local_authority=la, name=name, **kw)  # noqa: E731

    # LLE schools: +5 and +9 → +7.0.
    lle_a = LLEProfileFactory(school=school("LLE school A"), designated_on=date(2010, 3, 1),
                              user__school=None)
    lle_b = LLEProfileFactory(school=school("LLE school B"), designated_on=date(2010, 9, 1),
                              user__school=None)
    ks2(lle_a.school, D("80"), D("85"))
    ks2(lle_b.school, D("70"), D("79"))
    # An LLE designated after the year is not an LLE school for 2011.
    late = LLEProfileFactory(school=school("Designated later"), designated_on=date(2011, 10, 1), user__school=None)
    ks2(late.school, D("60"), D("50"))

    # Supported schools: +20 and +13.8 → +16.9 ...
    s1, s2 = school("Supported 1"), school("Supported 2")
    ks2(s1, D("50"), D("70"))
    ks2(s2, D("60"), D("73.8"))
    deploy(s1, lle_a)
    # ... one whose deployment ended early in the spring still counts ...
    deploy(s2, lle_b, start=date(2010, 1, 4), end=date(2011, 1, 3), status=Deployment.Status.ENDED_EARLY,
           finished=timezone.make_aware(datetime(2011, 3, 1)))
    # ... one with its 2011 value suppressed: left out, counted as missing ...
    s3 = school("Supported, suppressed")
    ks2(s3, D("55"), None)
    deploy(s3, lle_a)
    # ... one with no 2010 result at all (new school): missing ...
    s4 = school("Supported, new")
    ks2(s4, False, D("40"))
    deploy(s4, lle_b)
    # ... one whose headline is another measure in 2011: changed measure ...
    s5 = school("Supported, changed measure")
    ks2(s5, D("30"), D("90"), measure_2011="PTRWM_EXP")
    deploy(s5, lle_a)
    # ... and a secondary school with no KS2 results at all.
    s6 = school("Supported secondary", phase=School.Phase.SECONDARY)
    deploy(s6, lle_b)

    # Not supported in 2010/11: finished before the year, only proposed, or in another LA.
    gone = school("Support ended 2010")
    ks2(gone, D("10"), D("90"))
    deploy(gone, lle_a, start=date(2009, 9, 1), end=date(2010, 7, 1), status=Deployment.Status.COMPLETED,
           finished=timezone.make_aware(datetime(2010, 7, 1)))
    proposed = school("Only proposed")
    ks2(proposed, D("10"), D("90"))
    DeploymentFactory(lle=lle_a, client_school=proposed, need=None, client_head=None, client_head_name="",
                      start_date=date(2010, 9, 1), end_date=date(2011, 8, 1))

    # The rest of Norfolk: -20, -10, -5, -4, plus the ones above (gone +80,
    # proposed +80, late -10). LA: 20 + 13.8 + 5 + 9 - 20 - 10 - 5 - 4 + 80 + 80 - 10 = 158.8 over 11 → +14.4.
    for name, before, after in (("O1", 60, 40), ("O2", 50, 40), ("O3", 45, 40), ("O4", 44, 40)):
        ks2(school(name), D(before), D(after))

    # England: one Suffolk school +2 besides Norfolk's → (158.8 + 2) / 12 = 13.4.
    ks2(SchoolFactory(local_authority=other_la, name="Suffolk school"), D("50"), D("52"))

    # Published averages: Norfolk 55.0 → 56.1 (+1.1); England only one year has it.
    for year, value in ((2010, D("55.0")), (2011, D("56.1"))):
        AreaResult.objects.create(area_code="926", local_authority=la, key_stage=KeyStage.KS2, measure="PTENGMATX",
                                  year=year, value=value)
    AreaResult.objects.create(area_code=AreaResult.ENGLAND, key_stage=KeyStage.KS2, measure="PTENGMATX",
                              year=2011, value=D("74"))
    return la


def test_supported_and_lle_schools_against_the_la(norfolk_2011, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        table = analysis.performance_table(local_authority=norfolk_2011, measure="KS2_HEADLINE",
                                           year_from=2010, year_to=2011)

    supported = table.row(analysis.SUPPORTED)
    assert (supported.schools, supported.change, supported.change_display) == (2, D("16.9"), "+16.9")
    assert (supported.before, supported.after) == (D("55.0"), D("71.9"))
    assert supported.missing == 2           # suppressed in 2011; no 2010 row
    assert supported.changed_measure == 1   # PTENGMATX in 2010, PTRWM_EXP in 2011
    assert supported.no_results == 1        # the secondary school
    assert supported.left_out == 3

    lle = table.row(analysis.LLE_SCHOOLS)
    assert (lle.schools, lle.change, lle.left_out) == (2, D("7.0"), 0)

    la = table.row(analysis.LA_SCHOOLS)
    assert (la.schools, la.change, la.missing, la.changed_measure) == (11, D("14.4"), 2, 1)

    published = table.row(analysis.LA_PUBLISHED)
    assert published.published and published.change == D("1.1")
    assert (published.before, published.after) == (D("55.0"), D("56.1"))

    england = table.row(analysis.ENGLAND_SCHOOLS)
    assert (england.schools, england.change) == (12, D("13.4"))
    # England published only 2011: no published England change.
    assert table.row(analysis.ENGLAND_PUBLISHED) is None
    assert table.columns == {2010: ["PTENGMATX"], 2011: ["PTENGMATX", "PTRWM_EXP"]}


def test_a_year_pair_across_the_measure_change_compares_nobody(norfolk_2011):
    """2011 to 2012 with PTENGMATX in 2011 and PTRWM_EXP in 2012: every school changed measure."""
    s = School.objects.get(name="O1")
    SchoolResultFactory(school=s, key_stage=KeyStage.KS2, measure="PTRWM_EXP", year=2012, value=D("65"))
    table = analysis.performance_table(local_authority=norfolk_2011, measure="KS2_HEADLINE", year_from=2011,
                                       year_to=2012)
    la = table.row(analysis.LA_SCHOOLS)
    assert la.schools == 0 and la.change is None and la.changed_measure == 1
    assert table.row(analysis.LA_PUBLISHED) is None


def test_phase_filter_keeps_only_schools_of_that_phase(norfolk_2011):
    table = analysis.performance_table(local_authority=norfolk_2011, measure="KS2_HEADLINE", year_from=2010,
                                       year_to=2011, phase="secondary")
    supported = table.row(analysis.SUPPORTED)
    # Only the secondary supported school is left, and it has no KS2 results.
    assert (supported.schools, supported.no_results) == (0, 1)
    assert table.row(analysis.LA_SCHOOLS).schools == 0


def test_ks1_average_point_score(norfolk_2011):
    """docs/programme.md §11.1: KS1 APS up 0.3 in supported schools against the LA's 0.1."""
    values = {
        "Supported 1": (D("15.2"), D("15.6")), "Supported 2": (D("14.8"), D("15.0")),  # +0.4, +0.2 → +0.3
        "O1": (D("15.0"), D("15.0")), "O2": (D("15.5"), D("15.3")),                    # 0, -0.2
    }
    for name, (before, after) in values.items():
        s = School.objects.get(name=name)
        SchoolResultFactory(school=s, key_stage=KeyStage.KS1, measure="KS1APS", year=2010, value=before)
        SchoolResultFactory(school=s, key_stage=KeyStage.KS1, measure="KS1APS", year=2011, value=after)
    table = analysis.performance_table(local_authority=norfolk_2011, measure="KS1APS", year_from=2010, year_to=2011)
    assert table.row(analysis.SUPPORTED).change == D("0.3")
    # (0.4 + 0.2 + 0 - 0.2) / 4 = 0.1
    assert table.row(analysis.LA_SCHOOLS).change == D("0.1")
    assert table.row(analysis.LA_SCHOOLS).schools == 4


def test_the_table_is_cached_until_results_change(norfolk_2011, django_assert_num_queries):
    analysis.performance_table(local_authority=norfolk_2011, measure="KS2_HEADLINE", year_from=2010, year_to=2011)
    with django_assert_num_queries(0):
        analysis.performance_table(local_authority=norfolk_2011, measure="KS2_HEADLINE", year_from=2010,
                                   year_to=2011)


def test_school_trend_against_the_la(norfolk_2011):
    school = School.objects.get(name="Supported 1")
    points = analysis.school_trend(school, "KS2_HEADLINE")
    assert [(p.year, p.column, p.school) for p in points] == [(2010, "PTENGMATX", D("50.0")),
                                                              (2011, "PTENGMATX", D("70.0"))]
    assert points[0].la_published == D("55.0")
    assert points[1].la_published == D("56.1")
    assert points[0].la_schools == 13  # every Norfolk school with a 2010 value
