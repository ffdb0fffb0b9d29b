import io

import pytest
from django.apps import apps
from django.core.management import call_command

from lle_portal.models import AreaResult, School, SchoolResult, User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
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
    # Three years of results, and the LA's average for each.
    years = set(SchoolResult.objects.filter(school__local_authority__code="926").values_list("year", flat=True))
    assert years == {2017, 2018, 2019}
    assert AreaResult.objects.filter(area_code="926", measure="READPROG").count() == 3


def test_running_it_twice_duplicates_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    first = row_counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert row_counts() == first
