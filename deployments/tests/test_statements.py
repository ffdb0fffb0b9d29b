"""Statements that add up: the term's visits and, apart, labelled arrears; late
claims beyond the claim window held for the adviser; finalised statements that
never change, corrected by adjustments on the next; CSV and PDF that agree."""

import csv
import io
import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from deployments import reimbursement, reports, services
from deployments.models import ReimbursementLine, ReimbursementStatement
from deployments.services import DeploymentError
from lle_portal.models import AuditEvent

from .factories import DeploymentFactory, VisitRecordFactory, norfolk

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(db):
    # Two years, from the summer term of 2024/25: every boundary below falls inside it.
    return DeploymentFactory(active=True, start_date=date(2025, 4, 1), end_date=date(2027, 3, 31),
                             rate_per_day=Decimal("300"))


def visit(deployment, day, *, confirmed=True, days="1.0", **kwargs):
    return VisitRecordFactory(deployment=deployment, visit_date=day, confirmed=confirmed, days=Decimal(days),
                              **kwargs)


def prepare(users, year, term, who="adviser"):
    return reimbursement.statement_prepare(local_authority=norfolk(), academic_year=year, term=term, by=users[who])


def lines_by_date(statement):
    return {line.visit.visit_date: line for line in statement.lines.select_related("visit")}


# --- the term's visits and arrears, on both sides of each boundary ----------------------------


@pytest.mark.parametrize(("year", "term", "before", "first", "last", "after", "arrears_of"), [
    (2026, "autumn", date(2025, 8, 31), date(2025, 9, 1), date(2025, 12, 31), date(2026, 1, 1),
     "Summer term 2024/25 — arrears"),
    (2026, "spring", date(2025, 12, 31), date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1),
     "Autumn term 2025/26 — arrears"),
    (2026, "summer", date(2026, 3, 31), date(2026, 4, 1), date(2026, 8, 31), date(2026, 9, 1),
     "Spring term 2025/26 — arrears"),
])
def test_a_statement_pays_its_terms_visits_and_apart_the_arrears_each_labelled_with_its_term(
    users, deployment, year, term, before, first, last, after, arrears_of,
):
    for day in (before, first, last, after):
        visit(deployment, day)

    statement = prepare(users, year, term)

    lines = lines_by_date(statement)
    assert set(lines) == {before, first, last}  # the day after the term waits for the next statement
    assert lines[first].kind == lines[last].kind == ReimbursementLine.Kind.PERIOD
    assert lines[before].kind == ReimbursementLine.Kind.ARREARS
    context = reports.statement_context(statement)
    assert [row.visit.visit_date for row in context["period"].rows] == [first, last]
    assert [(row.visit.visit_date, row.label) for row in context["arrears"].rows] == [(before, arrears_of)]
    assert context["total_days"] == Decimal(3) and context["total_amount"] == Decimal(900)


def test_a_visit_confirmed_late_is_paid_on_the_next_statement_as_labelled_arrears(users, deployment):
    on_time = visit(deployment, date(2026, 5, 6))
    late = [visit(deployment, day, confirmed=False, days="0.5")
            for day in (date(2026, 6, 3), date(2026, 6, 10), date(2026, 7, 1))]
    summer = prepare(users, 2026, "summer")
    reimbursement.statement_finalise(statement=summer, by=users["adviser"])
    for record in late:
        services.visit_confirm(visit=record, by=deployment.client_head)

    autumn = prepare(users, 2027, "autumn")

    assert [line.visit for line in summer.lines.all()] == [on_time]
    assert sorted(line.visit.pk for line in autumn.lines.all()) == sorted(v.pk for v in late)
    assert {line.kind for line in autumn.lines.all()} == {ReimbursementLine.Kind.ARREARS}
    context = reports.statement_context(autumn)
    assert [item["summary"] for item in context["arrears_by_period"]] == [
        "3 visits, 1.5 days, from Summer 2025/26 arrears"
    ]
    assert {row.label for row in context["arrears"].rows} == {"Summer term 2025/26 — arrears"}


def test_the_draft_page_says_the_arrears_by_term_and_offers_its_pdf_and_csv(client, users, deployment,
                                                                            django_capture_on_commit_callbacks):
    for day in (date(2026, 6, 3), date(2026, 6, 10), date(2026, 7, 1)):
        visit(deployment, day, days="0.5")
    visit(deployment, date(2026, 10, 7))
    statement = prepare(users, 2027, "autumn")
    client.force_login(users["adviser"])

    page = client.get(statement.get_absolute_url()).content.decode()

    assert "3 visits, 1.5 days, from Summer 2025/26 arrears" in page
    assert "This term: 1 visit, 1 day, £300.00" in page
    assert "Make the PDF" in page and "Download CSV" in page
    with django_capture_on_commit_callbacks(execute=True):  # built at once (eager Celery)
        client.post(reverse("deployments:statement_make_pdf", args=[statement.pk]))
    page = client.get(statement.get_absolute_url()).content.decode()
    assert "Download PDF" in page
    pdf = client.get(reverse("deployments:statement_pdf", args=[statement.pk]))
    data = b"".join(pdf.streaming_content)
    assert data.startswith(b"%PDF")
    csv_response = client.get(reverse("deployments:statement_csv", args=[statement.pk]))
    stem = "reimbursement-norfolk-autumn-2026-27-v1-draft"
    assert f'filename="{stem}.csv"' in csv_response["Content-Disposition"]
    assert f'filename="{stem}.pdf"' in pdf["Content-Disposition"]


def test_a_new_version_of_a_draft_asks_for_its_own_pdf(client, users, deployment,
                                                        django_capture_on_commit_callbacks):
    visit(deployment, date(2026, 10, 7))
    statement = prepare(users, 2027, "autumn")
    with django_capture_on_commit_callbacks(execute=True):
        reports.statement_pdf_request(statement=statement, by=users["adviser"])
    statement.refresh_from_db()
    assert reports.statement_pdf_current(statement)

    visit(deployment, date(2026, 10, 14))
    statement = prepare(users, 2027, "autumn")

    assert statement.version == 2 and not reports.statement_pdf_current(statement)
    client.force_login(users["adviser"])
    assert client.get(reverse("deployments:statement_pdf", args=[statement.pk])).status_code == 404


# --- the claim window -----------------------------------------------------------------------


@pytest.fixture
def old_arrears(users, deployment):
    """A visit of Autumn 2025/26 confirmed only now: on the Autumn 2026/27
    statement it is more than 12 months old."""
    old = visit(deployment, date(2025, 11, 5))
    recent = visit(deployment, date(2026, 2, 4))
    statement = prepare(users, 2027, "autumn")
    return statement, old, recent


def test_arrears_older_than_the_claim_window_are_held_with_the_reason_never_paid_silently(users, old_arrears):
    statement, old, recent = old_arrears

    lines = lines_by_date(statement)
    assert lines[old.visit_date].held == ReimbursementLine.Held.CLAIM_WINDOW
    assert lines[recent.visit_date].held == ""
    context = reports.statement_context(statement)
    assert context["total_amount"] == Decimal(300)  # the recent one only
    assert [row.note for row in context["held"].rows] == [
        "Older than the 12-month claim window: held for the adviser's approval"
    ]
    rows = list(csv.reader(io.StringIO(reports.statement_csv(statement))))
    held = [row for row in rows if row[10] == "Held, not paid"]
    assert len(held) == 1 and held[0][5] == "2025-11-05" and held[0][9] == ""  # no amount: not paid


def test_the_list_of_statements_totals_what_each_pays_never_what_it_holds(client, users, old_arrears):
    statement, old, recent = old_arrears
    client.force_login(users["adviser"])

    listed = client.get(reverse("deployments:statements")).context["page"].object_list
    row = next(s for s in listed if s.pk == statement.pk)

    assert (row.total_days, row.total_amount) == (Decimal("1.0"), Decimal("300.00"))  # the recent visit alone
    assert reports.statement_context(statement)["total_amount"] == row.total_amount


def test_the_term_offered_to_prepare_is_the_last_one_ended_until_it_is_finalised(users, deployment):
    from deployments.reimbursement import term_to_prepare
    from lle_portal.models import LocalAuthority

    las = LocalAuthority.objects.filter(pk=norfolk().pk)
    december = date(2026, 12, 5)
    assert (term_to_prepare(las, december).academic_year, term_to_prepare(las, december).term) == (2026, "summer")
    visit(deployment, date(2026, 6, 3))
    reimbursement.statement_finalise(statement=prepare(users, 2026, "summer"), by=users["adviser"])
    assert (term_to_prepare(las, december).academic_year, term_to_prepare(las, december).term) == (2027, "autumn")


def test_finalising_leaves_held_arrears_unpaid_for_the_next_statement(users, old_arrears):
    statement, old, _ = old_arrears
    reimbursement.statement_finalise(statement=statement, by=users["adviser"])

    spring = prepare(users, 2027, "spring")

    assert lines_by_date(spring)[old.visit_date].held == ReimbursementLine.Held.CLAIM_WINDOW
    assert not ReimbursementLine.objects.filter(visit=old, held="").exists()


def test_the_adviser_approves_a_held_late_claim_audited_and_it_stays_approved_when_prepared_again(
    client, users, old_arrears,
):
    statement, old, _ = old_arrears
    line = statement.lines.get(visit=old)
    client.force_login(users["adviser"])

    client.post(reverse("deployments:statement_approve", args=[statement.pk]), {"line": line.pk})

    line.refresh_from_db()
    assert line.held == "" and line.approved_by == users["adviser"]
    assert AuditEvent.objects.filter(verb="statement.late_claim_approved", actor=users["adviser"]).exists()
    statement = prepare(users, 2027, "autumn")
    assert statement.lines.get(visit=old).held == ""
    assert reports.statement_context(statement)["total_amount"] == Decimal(600)


@pytest.mark.parametrize("who", ["other_adviser", "lle", "client_head", "headteacher"])
def test_no_one_else_can_approve_a_held_late_claim(client, users, deployment, old_arrears, who):
    statement, old, _ = old_arrears
    line = statement.lines.get(visit=old)
    person = {**users, "lle": deployment.lle.user, "client_head": deployment.client_head}[who]

    with pytest.raises(DeploymentError):
        reimbursement.late_claim_approve(line=line, by=person)
    client.force_login(person)
    response = client.post(reverse("deployments:statement_approve", args=[statement.pk]), {"line": line.pk})

    assert response.status_code in (403, 404)
    line.refresh_from_db()
    assert line.held == ReimbursementLine.Held.CLAIM_WINDOW


def test_the_adviser_sets_their_las_claim_window_and_no_one_else_can(client, users, deployment):
    visit(deployment, date(2025, 11, 5))
    with pytest.raises(DeploymentError):
        reimbursement.claim_window_set(local_authority=norfolk(), months=24, by=users["other_adviser"])
    client.force_login(users["other_adviser"])
    response = client.post(reverse("deployments:claim_window"), {"local_authority": norfolk().pk, "months": 24})
    assert "Select a valid choice" in response.content.decode()  # Norfolk is not offered to Suffolk's adviser
    assert reimbursement.claim_window_months(norfolk()) == 12

    client.force_login(users["adviser"])
    client.post(reverse("deployments:claim_window"), {"local_authority": norfolk().pk, "months": 24})

    assert reimbursement.claim_window_months(norfolk()) == 24
    assert AuditEvent.objects.filter(verb="reimbursement.claim_window_set", actor=users["adviser"]).exists()
    assert prepare(users, 2027, "autumn").lines.get().held == ""  # 13 months old: inside 24


def test_only_an_adviser_of_the_la_prepares_or_finalises_its_statements(users, deployment):
    visit(deployment, date(2026, 10, 7))
    with pytest.raises(DeploymentError):
        prepare(users, 2027, "autumn", who="other_adviser")
    statement = prepare(users, 2027, "autumn")
    with pytest.raises(DeploymentError):
        reimbursement.statement_finalise(statement=statement, by=users["other_adviser"])


def test_a_visit_flagged_for_quality_assurance_is_held_until_the_flag_is_cleared(users, deployment):
    record = visit(deployment, date(2026, 10, 7))
    services.visit_flag_for_qa(visit=record, by=users["adviser"])
    assert prepare(users, 2027, "autumn").lines.get().held == ReimbursementLine.Held.QA
    services.visit_clear_qa_flag(visit=record, by=users["adviser"])
    assert prepare(users, 2027, "autumn").lines.get().held == ""


# --- a finalised statement never changes ----------------------------------------------------------


@pytest.fixture
def finalised(users, deployment):
    paid = visit(deployment, date(2026, 10, 7))
    statement = prepare(users, 2027, "autumn")
    reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    return statement, paid


def test_a_finalised_statement_refuses_every_service(users, finalised):
    statement, _ = finalised
    with pytest.raises(DeploymentError, match="finalised"):
        prepare(users, 2027, "autumn")
    with pytest.raises(DeploymentError, match="already finalised"):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])


def test_the_database_refuses_any_change_to_a_finalised_statement_or_its_lines(finalised, deployment):
    statement, paid = finalised
    line = statement.lines.get()
    changes = [
        lambda: ReimbursementLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00")),
        lambda: ReimbursementLine.objects.filter(pk=line.pk).update(held="qa"),
        lambda: ReimbursementLine.objects.filter(pk=line.pk).delete(),
        lambda: ReimbursementLine.objects.create(
            statement=statement, visit=visit(deployment, date(2026, 10, 14)), lle_school=line.lle_school,
            days=1, rate_per_day=300, amount=300),
        lambda: ReimbursementStatement.objects.filter(pk=statement.pk).update(term="spring"),
        lambda: ReimbursementStatement.objects.filter(pk=statement.pk).update(status="draft"),
        lambda: ReimbursementStatement.objects.filter(pk=statement.pk).update(version=9),
        lambda: ReimbursementStatement.objects.filter(pk=statement.pk).delete(),
    ]
    for change in changes:
        with pytest.raises(IntegrityError, match="never changes"), transaction.atomic():
            change()
    line.refresh_from_db()
    assert (line.amount, line.held) == (Decimal("300.00"), "")
    # Its PDF may still be made (the worker attaches it).
    ReimbursementStatement.objects.filter(pk=statement.pk).update(pdf_version=statement.version)


def test_the_admin_offers_no_change_and_no_delete_of_a_statement(client, users, finalised):
    statement, _ = finalised
    client.force_login(users["adviser"])
    change = reverse("admin:deployments_reimbursementstatement_change", args=[statement.pk])

    assert client.post(change, {"term": "spring", "academic_year": 2020}).status_code == 403
    listing = reverse("admin:deployments_reimbursementstatement_changelist")
    response = client.post(listing, {"action": "delete_selected", "_selected_action": [statement.pk], "post": "yes"})
    assert response.status_code in (200, 302, 403)
    delete = reverse("admin:deployments_reimbursementstatement_delete", args=[statement.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    statement.refresh_from_db()
    assert statement.is_final and statement.term == "autumn" and statement.lines.count() == 1


def test_a_paid_visit_corrected_after_finalising_is_put_right_on_the_next_statement(users, finalised, deployment):
    statement, paid = finalised
    reimbursement.visit_correct(visit=paid, by=users["adviser"], days=Decimal("0.5"), reason="The head left at noon.")

    assert statement.lines.get().amount == Decimal("300.00")  # the finalised statement is as it was
    spring = prepare(users, 2027, "spring")
    adjustment = spring.lines.get()
    assert adjustment.kind == ReimbursementLine.Kind.ADJUSTMENT
    assert (adjustment.days, adjustment.amount, adjustment.adjusts.statement) == (
        Decimal("-0.5"), Decimal("-150.00"), statement)
    row = reports.statement_context(spring)["adjustments"].rows[0]
    assert row.label == "Adjustment to the Autumn term 2026/27 statement"
    assert "paid on the Autumn term 2026/27 statement (version 1)" in row.note
    assert "The head left at noon." in row.note

    # Withdrawn after that statement too: the rest comes off the one after.
    reimbursement.statement_finalise(statement=spring, by=users["adviser"])
    reimbursement.visit_correct(visit=paid, by=users["adviser"], withdraw=True, reason="Not delivered.")
    summer = prepare(users, 2027, "summer")
    assert summer.lines.get().amount == Decimal("-150.00")
    # And nothing more after that.
    reimbursement.statement_finalise(statement=summer, by=users["adviser"])
    assert not prepare(users, 2028, "autumn").lines.exists()


@pytest.mark.parametrize("who", ["other_adviser", "lle", "client_head"])
def test_no_one_but_the_adviser_corrects_a_confirmed_visit(client, users, finalised, deployment, who):
    _, paid = finalised
    person = {**users, "lle": deployment.lle.user, "client_head": deployment.client_head}[who]
    with pytest.raises(DeploymentError):
        reimbursement.visit_correct(visit=paid, by=person, withdraw=True, reason="x")
    client.force_login(person)
    response = client.post(reverse("deployments:visit_correct", args=[paid.pk]),
                           {"change": "withdraw", "reason": "x"})
    assert response.status_code in (403, 404)
    paid.refresh_from_db()
    assert paid.withdrawn_at is None


# --- the CSV and the PDF agree ------------------------------------------------------------------


def _money(cell: str) -> Decimal:
    return Decimal(cell) if cell else Decimal(0)


def test_the_csv_and_the_pdf_state_the_same_lines_and_totals(client, users, deployment, tmp_path,
                                                             django_capture_on_commit_callbacks):
    # Paid on a finalised summer statement, then corrected: an adjustment on autumn's.
    corrected = visit(deployment, date(2026, 5, 6))
    reimbursement.statement_finalise(statement=prepare(users, 2026, "summer"), by=users["adviser"])
    reimbursement.visit_correct(visit=corrected, by=users["adviser"], days=Decimal("0.5"), reason="Half a day.")
    other = DeploymentFactory(active=True, start_date=date(2025, 4, 1), end_date=date(2027, 3, 31),
                              rate_per_day=Decimal("400"))
    visit(deployment, date(2026, 10, 7))
    visit(other, date(2026, 11, 4), days="0.5")
    visit(deployment, date(2026, 6, 3))  # arrears
    visit(other, date(2025, 10, 1))  # held: beyond the claim window
    statement = prepare(users, 2027, "autumn")
    context = reports.statement_context(statement)
    client.force_login(users["adviser"])

    rows = list(csv.reader(io.StringIO(client.get(reverse("deployments:statement_csv",
                                                          args=[statement.pk])).content.decode())))[1:]

    # The lines: the same, in the same order, as the context's sections then its held list.
    stated = [row for section in context["sections"] for row in section.rows] + context["held"].rows
    lines = [row for row in rows if row[10] not in ("Total for the LLE's school", "Total")]
    assert [(r[5], r[10], _money(r[9])) for r in lines] == [
        (row.visit.visit_date.isoformat(), row.section, row.line.amount if not row.line.held else Decimal(0))
        for row in stated
    ]
    assert {r[10] for r in lines} == {"This term", "Arrears", "Adjustment", "Held, not paid"}
    # The totals: per school and overall, as the context's.
    school_totals = {r[1]: _money(r[9]) for r in rows if r[10] == "Total for the LLE's school"}
    assert school_totals == {g["school"].name: g["amount"] for g in context["schools"]}
    (total,) = [r for r in rows if r[10] == "Total"]
    assert _money(total[9]) == context["total_amount"] == Decimal("300") + 200 + 300 - 150
    assert sum(_money(r[9]) for r in lines) == context["total_amount"]  # held lines carry no amount

    # The PDF, as text: the same amounts, the total and the held visit.
    with django_capture_on_commit_callbacks(execute=True):
        reports.statement_pdf_request(statement=statement, by=users["adviser"])
    statement.refresh_from_db()
    target = tmp_path / "statement.pdf"
    target.write_bytes(statement.pdf.read())
    text = " ".join(subprocess.run(["pdftotext", str(target), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())  # a cell's words, wrapped or not
    for row in stated:
        assert reimbursement.money(row.line.amount) in text
    assert "£650.00" in text and "-£150.00" in text
    assert "Summer term 2025/26 — arrears" in text
    assert "Older than the 12-month claim window" in text
    assert re.search(r"reimbursement-norfolk-autumn-2026-27-v1-draft\.pdf", text)


def test_the_adviser_corrects_a_paid_visit_on_its_page(client, users, finalised):
    statement, paid = finalised
    client.force_login(users["adviser"])
    url = reverse("deployments:visit_correct", args=[paid.pk])
    assert "On the Autumn term 2026/27 statement (finalised" in client.get(url).content.decode()

    response = client.post(url, {"change": "withdraw", "reason": "Not delivered: the school was closed."})

    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.withdrawn_at and paid.correction_reason == "Not delivered: the school was closed."
    assert AuditEvent.objects.filter(verb="visit.corrected", actor=users["adviser"]).exists()
    assert prepare(users, 2027, "spring").lines.get().amount == Decimal("-300.00")


def test_the_migration_labels_stored_lines_of_earlier_terms_as_arrears(users, deployment):
    # The data migration's function, run on today's models inside the test's transaction.
    import importlib

    from django.apps import apps as registry

    migration = importlib.import_module("deployments.migrations.0009_finalised_statements_never_change")
    march, april = visit(deployment, date(2026, 3, 10)), visit(deployment, date(2026, 4, 8))
    statement = prepare(users, 2026, "summer")
    ReimbursementLine.objects.filter(statement=statement).update(kind="period")  # as stored before
    ReimbursementStatement.objects.filter(pk=statement.pk).update(version=0)

    migration.label_arrears(registry, None)

    assert statement.lines.get(visit=march).kind == "arrears"
    assert statement.lines.get(visit=april).kind == "period"
    statement.refresh_from_db()
    assert statement.version == 1


def test_a_draft_whose_records_changed_since_it_was_prepared_is_not_finalised_until_prepared_again(users, deployment):
    record = visit(deployment, date(2026, 10, 7))
    statement = prepare(users, 2027, "autumn")
    services.visit_flag_for_qa(visit=record, by=users["adviser"])

    with pytest.raises(DeploymentError, match="Prepare the statement again"):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    services.visit_clear_qa_flag(visit=record, by=users["adviser"])
    reimbursement.visit_correct(visit=record, by=users["adviser"], days=Decimal("0.5"), reason="Half a day.")
    with pytest.raises(DeploymentError, match="Prepare the statement again"):
        reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    statement = prepare(users, 2027, "autumn")
    reimbursement.statement_finalise(statement=statement, by=users["adviser"])
    assert statement.lines.get().amount == Decimal("150.00")


def test_a_held_claim_keeps_the_window_it_was_held_under(users, old_arrears):
    statement, old, _ = old_arrears
    reimbursement.claim_window_set(local_authority=norfolk(), months=6, by=users["adviser"])
    row = reports.statement_context(statement)["held"].rows[0]
    assert row.note == "Older than the 12-month claim window: held for the adviser's approval"
