import io

import pytest
from django.apps import apps
from django.core.management import call_command

from applications.eligibility import eligibility_for
from applications.tests.factories import ApplicationFactory
from lle_portal.models import AreaResult, Inspection, School, SchoolResult, User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()  # type: ignore[attr-defined]
        for config in apps.get_app_configs()
        if config.name in ("lle_portal", "applications", "deployments", "impact")
        for model in config.get_models()
        if model._meta.label not in ("lle_portal.AuditEvent", "auditlog.LogEntry")
    }


def test_it_builds_a_norfolk_programme_and_prints_the_logins():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()

    assert "adviser@demo.lle-portal.example" in output
    assert "governor@demo.lle-portal.example" in output
    adviser = User.objects.get(email="adviser@demo.lle-portal.example")
    assert adviser.check_password("lle-demo-password")
    assert [la.name for la in adviser.local_authorities.all()] == ["Norfolk"]
    norfolk = School.objects.filter(local_authority__code="926")
    assert norfolk.count() > 200
    assert User.objects.filter(role=User.Role.HEADTEACHER).count() >= 20
    # Three years of results, and the LA's average for each; and the illustrative 2023-2025.
    years = set(SchoolResult.objects.filter(school__local_authority__code="926").values_list("year", flat=True))
    assert years == {2017, 2018, 2019, 2023, 2024, 2025}
    assert AreaResult.objects.filter(area_code="926", measure="READPROG").count() == 4  # 2017-2019 and 2023
    # Inspections under every framework.
    frameworks = set(Inspection.objects.filter(school__local_authority__code="926").values_list("framework",
                                                                                               "inspection_type"))
    assert frameworks >= {("graded", "graded"), ("no_overall_grade", "graded"), ("report_card", "report_card"),
                          ("no_overall_grade", "ungraded")}
    # The demo's first head sees every data criterion met with its figures; the
    # second, whose results fall, sees the performance criterion not met.
    first, second = User.objects.filter(role=User.Role.HEADTEACHER).order_by("pk")[:2]
    good = eligibility_for(ApplicationFactory(complete=True, applicant=first, school=first.school,
                                              declared_leadership=None, declared_inspection_date=None))
    for key in ("inspection", "performance", "floor_standard"):
        assert good[key].status == "met", (key, good[key].reason)
    assert "Report card 3 February 2026" in good["inspection"].official
    assert "2023 66%, 2024 69%, 2025 72%" in good["performance"].official
    falling = eligibility_for(ApplicationFactory(complete=True, applicant=second, school=second.school))
    assert falling["performance"].status == "not_met"
    assert "below the England average of 62%" in falling["performance"].reason


def test_running_it_twice_duplicates_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    first = row_counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert row_counts() == first


def test_every_demo_inspection_falls_on_a_school_day():
    """Ofsted inspects when the school is open: no illustrative inspection at a
    weekend or in the holidays."""
    from lle_portal.demo import is_school_day

    call_command("seed_demo", stdout=io.StringIO())
    dates = list(Inspection.objects.filter(source="demo").values_list("inspection_date", flat=True))
    assert len(dates) > 100
    assert [day for day in dates if not is_school_day(day)] == []
