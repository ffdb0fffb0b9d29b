"""Integrity rules held by the database itself, whatever writes to it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from deployments.models import Deployment, ReimbursementLine, ReimbursementStatement, add_months, duration_problem

from .factories import DeploymentFactory, VisitRecordFactory, norfolk

pytestmark = pytest.mark.django_db

START = date(2025, 9, 1)


def create(**dates):
    with transaction.atomic():
        return DeploymentFactory(**dates)


@pytest.mark.parametrize(
    "end",
    [
        START,  # no length at all
        date(2026, 2, 28),  # 180 days: a day short of 6 months
        date(2028, 9, 2),  # 3 years and a day
        date(2025, 8, 1),  # before the start
    ],
)
def test_the_database_refuses_a_deployment_shorter_than_6_months_or_longer_than_3_years(end):
    with pytest.raises(IntegrityError):
        create(start_date=START, end_date=end)


@pytest.mark.parametrize("end", [date(2026, 3, 1), date(2028, 9, 1), date(2026, 9, 1)])
def test_the_database_accepts_6_months_to_3_years(end):
    assert create(start_date=START, end_date=end).pk


def test_the_constraint_is_plain_sql_on_this_database():
    # Not a Python function Django registers: any client writing to the
    # database is held to it (SQLite's julianday, PostgreSQL's date arithmetic).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'deployments_deployment'")
            sql = cursor.fetchone()[0]
            assert "julianday" in sql and "django_" not in sql.split("deployment_lasts_6_months_to_3_years")[1]
        else:
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                ["deployment_lasts_6_months_to_3_years"],
            )
            assert "end_date - start_date" in cursor.fetchone()[0]


def test_an_update_cannot_stretch_a_deployment_past_3_years():
    deployment = create(start_date=START, end_date=date(2026, 9, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.filter(pk=deployment.pk).update(end_date=date(2029, 1, 1))


def test_the_form_rule_is_calendar_months():
    assert duration_problem(date(2025, 8, 31), date(2026, 2, 28)) == ""  # 31 Aug + 6 months
    assert "at least 6 months" in duration_problem(date(2025, 8, 1), date(2026, 1, 31))
    assert duration_problem(date(2024, 2, 29), date(2027, 2, 28)) == ""
    assert "at most 3 years" in duration_problem(date(2024, 2, 29), date(2027, 3, 1))
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)


def test_model_validation_says_why_the_dates_are_wrong():
    deployment = Deployment(start_date=START, end_date=START + timedelta(days=30))
    with pytest.raises(ValidationError) as error:
        deployment.clean()
    assert "at least 6 months" in error.value.message_dict["end_date"][0]


def test_an_intensity_other_than_half_or_one_day_is_refused():
    with pytest.raises(IntegrityError):
        create(days_per_week=Decimal("2.0"))


def test_an_agreed_deployment_must_have_both_acceptances():
    with pytest.raises(IntegrityError):
        create(status="agreed", lle_accepted_at=None)


def test_ending_early_needs_a_reason():
    with pytest.raises(IntegrityError):
        create(active=True, status="ended_early", ended_reason="")


def test_a_day_is_recorded_once_per_person():
    visit = VisitRecordFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitRecordFactory(deployment=visit.deployment, visit_date=visit.visit_date)


def test_a_queried_visit_has_its_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitRecordFactory(status="queried", query_reason="")


def test_a_visit_is_on_one_statement_line_only():
    visit = VisitRecordFactory(confirmed=True)
    la = norfolk()
    autumn = ReimbursementStatement.objects.create(local_authority=la, academic_year=2026, term="autumn")
    spring = ReimbursementStatement.objects.create(local_authority=la, academic_year=2026, term="spring")
    line = {"visit": visit, "lle_school": visit.deployment.lle.school, "days": 1, "rate_per_day": 300, "amount": 300}
    ReimbursementLine.objects.create(statement=autumn, **line)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReimbursementLine.objects.create(statement=spring, **line)
