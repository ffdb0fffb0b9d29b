"""Reimbursement: confirmed days × the agreed rate, per LLE's school, each day paid once."""

import csv
import io
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments import reimbursement, reports, services
from deployments.models import ReimbursementStatement
from deployments.services import DeploymentError
from deployments.terms import Term, previous_term, term_dates, term_for

from .factories import DeploymentFactory, VisitRecordFactory, norfolk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "year", "term"),
    [
        # 2025/26 is academic year 2026: named by the year it ends in (lle_portal.schooldata).
        (date(2025, 9, 1), 2026, Term.AUTUMN),
        (date(2025, 12, 31), 2026, Term.AUTUMN),
        (date(2026, 1, 1), 2026, Term.SPRING),
        (date(2026, 3, 31), 2026, Term.SPRING),
        (date(2026, 4, 1), 2026, Term.SUMMER),
        (date(2026, 8, 31), 2026, Term.SUMMER),
    ],
)
def test_every_day_belongs_to_one_of_the_three_terms(day, year, term):
    dates = term_for(day)
    assert (dates.academic_year, dates.term) == (year, term)
    assert day in dates


def test_the_previous_term_is_the_one_before_today():
    assert previous_term(date(2026, 1, 10)) == term_dates(2026, Term.AUTUMN)
    assert previous_term(date(2025, 10, 1)) == term_dates(2025, Term.SUMMER)
    assert term_dates(2026, "spring").label == "Spring term 2025/26"


def autumn_visit(deployment, day, **kwargs):
    return VisitRecordFactory(deployment=deployment, visit_date=day, **kwargs)


@pytest.fixture
def deployments_in_autumn(db):
    start = date(2025, 9, 1)
    first = DeploymentFactory(active=True, start_date=start, end_date=date(2026, 7, 20), rate_per_day=Decimal("300"))
    second = DeploymentFactory(active=True, start_date=start, end_date=date(2026, 7, 20), rate_per_day=Decimal("400"))
    return first, second


def test_a_statement_pays_confirmed_days_times_the_rate_per_lles_school(users, deployments_in_autumn):
    first, second = deployments_in_autumn
    autumn_visit(first, date(2025, 9, 10), confirmed=True, days=Decimal("1.0"))
    autumn_visit(first, date(2025, 10, 8), confirmed=True, days=Decimal("0.5"))
    autumn_visit(first, date(2025, 11, 5), days=Decimal("1.0"))  # awaiting confirmation: not paid
    autumn_visit(first, date(2025, 11, 12), days=Decimal("1.0"), status="queried", query_reason="?")
    autumn_visit(second, date(2025, 12, 1), confirmed=True, days=Decimal("1.0"))
    autumn_visit(second, date(2026, 1, 14), confirmed=True, days=Decimal("1.0"))  # spring

    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])
    context = reports.statement_context(statement)
    assert context["total_days"] == Decimal("2.5")
    assert context["total_amount"] == Decimal("1.5") * 300 + 400
    by_school = {g["school"]: (g["days"], g["amount"]) for g in context["schools"]}
    assert by_school == {
        first.lle.school: (Decimal("1.5"), Decimal("450.00")),
        second.lle.school: (Decimal("1.0"), Decimal("400.00")),
    }


def test_a_day_is_paid_once_across_statements(users, deployments_in_autumn):
    first, _ = deployments_in_autumn
    paid = autumn_visit(first, date(2025, 10, 8), confirmed=True)
    late = autumn_visit(first, date(2025, 12, 3))  # confirmed after the autumn statement
    la = norfolk()
    autumn = reimbursement.statement_prepare(local_authority=la, academic_year=2026, term="autumn", by=users["adviser"])
    reimbursement.statement_finalise(statement=autumn, by=users["adviser"])
    services.visit_confirm(visit=late, by=first.client_head)

    spring = reimbursement.statement_prepare(local_authority=la, academic_year=2026, term="spring", by=users["adviser"])
    assert [line.visit for line in spring.lines.all()] == [late]  # the late day, on the next statement
    assert [line.visit for line in autumn.lines.all()] == [paid]
    # Preparing again changes nothing already paid.
    spring = reimbursement.statement_prepare(local_authority=la, academic_year=2026, term="spring", by=users["adviser"])
    assert spring.lines.count() == 1


def test_a_finalised_statement_never_changes(users, deployments_in_autumn):
    first, _ = deployments_in_autumn
    autumn_visit(first, date(2025, 10, 8), confirmed=True)
    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])
    reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    with pytest.raises(DeploymentError, match="finalised"):
        reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                        by=users["adviser"])
    with pytest.raises(DeploymentError, match="already finalised"):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])


def test_an_empty_statement_cannot_be_finalised(users):
    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])
    with pytest.raises(DeploymentError, match="no confirmed days"):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])


def test_the_csv_has_a_row_per_paid_day(users, deployments_in_autumn):
    first, _ = deployments_in_autumn
    autumn_visit(first, date(2025, 10, 8), confirmed=True, days=Decimal("0.5"))
    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])
    rows = list(csv.reader(io.StringIO(reports.statement_csv(statement))))
    assert rows[0] == reports.CSV_HEADER
    assert rows[1][1:10] == [
        first.lle.school.name, first.lle.user.full_name, str(first.client_school.urn), first.client_school.name,
        "2025-10-08", first.lle.user.full_name, "0.5", "300.00", "150.00",
    ]
    assert rows[1][10:] == ["This term", "Autumn term 2025/26", ""]


def test_finalising_makes_the_statement_pdf_in_the_background(users, deployments_in_autumn, tmp_path,
                                                              django_capture_on_commit_callbacks):
    first, second = deployments_in_autumn
    autumn_visit(first, date(2025, 10, 8), confirmed=True)
    autumn_visit(second, date(2025, 11, 8), confirmed=True)
    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])
    with django_capture_on_commit_callbacks(execute=True):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    statement = ReimbursementStatement.objects.get(pk=statement.pk)
    data = statement.pdf.read()
    assert data.startswith(b"%PDF")
    target = tmp_path / "statement.pdf"
    target.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(target), str(tmp_path / "page")],
                   check=True)
    assert list(tmp_path.glob("page*.png"))
    assert statement.pdf_generated_at <= timezone.now()


def test_it_moves_stored_statement_years_to_the_year_they_end_in(db):
    # The data migration's function, run on today's models (same fields), inside
    # the test's transaction: no schema migration back and forth.
    import importlib

    from django.apps import apps as registry

    from deployments.models import ReimbursementStatement

    migration = importlib.import_module("deployments.migrations.0006_reimbursement_years_by_their_end")
    la = norfolk()
    # Two consecutive years of one term: moved without ever colliding.
    for year in (2024, 2025):
        ReimbursementStatement.objects.create(local_authority=la, academic_year=year, term="autumn")
    migration.forwards(registry, None)
    assert sorted(ReimbursementStatement.objects.values_list("academic_year", flat=True)) == [2025, 2026]
    migration.backwards(registry, None)
    assert sorted(ReimbursementStatement.objects.values_list("academic_year", flat=True)) == [2024, 2025]
