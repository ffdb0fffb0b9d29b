"""The one CSV writer (lle_portal/csvs.py): a cell typed by a person never
runs as a formula in the spreadsheet that opens the file, and every CSV the
site produces goes through it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from deployments import reimbursement, reports
from deployments.tests.factories import DeploymentFactory, VisitRecordFactory, norfolk
from lle_portal import csvs

ROOT = Path(__file__).resolve().parents[2]
HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+44 1603 000000", "'+44 1603 000000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("-12.50", "'-12.50"),  # text that looks like a number is still text
        ("Riverside Primary", "Riverside Primary"),
        ("O'Brien = head", "O'Brien = head"),
        ("", ""),
    ],
)
def test_it_neutralises_text_that_a_spreadsheet_would_run(typed, written):
    out = io.StringIO()
    csvs.writer(out).writerow([typed])

    assert next(csv.reader(io.StringIO(out.getvalue()))) == [written]


def test_numbers_given_as_numbers_stay_readable_numbers():
    out = io.StringIO()
    csvs.writer(out).writerow([Decimal("-12.50"), -3, 0.5, None, True])

    assert out.getvalue() == "-12.50,-3,0.5,,True\r\n"


def test_the_dict_writer_neutralises_the_header_and_the_cells():
    out = io.StringIO()
    writer = csvs.dict_writer(out, fieldnames=["name", "=cmd"])
    writer.writeheader()
    writer.writerow({"name": HYPERLINK, "=cmd": Decimal("-1")})

    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["name", "'=cmd"], ["'" + HYPERLINK, "-1"]]


@pytest.mark.django_db
def test_an_lle_named_as_a_formula_is_inert_in_the_reimbursement_statement(users):
    deployment = DeploymentFactory(active=True, start_date=date(2025, 9, 1), end_date=date(2026, 7, 20),
                                   rate_per_day=Decimal("300"))
    lle = deployment.lle.user
    lle.full_name = HYPERLINK
    lle.save()
    school = deployment.lle.school
    school.name = "@SUM(1+1)"
    school.save()
    VisitRecordFactory(deployment=deployment, visit_date=date(2025, 10, 8), confirmed=True, days=Decimal("0.5"))
    statement = reimbursement.statement_prepare(local_authority=norfolk(), academic_year=2026, term="autumn",
                                                by=users["adviser"])

    rows = list(csv.reader(io.StringIO(reports.statement_csv(statement))))

    assert rows[1][1:3] == ["'@SUM(1+1)", "'" + HYPERLINK]
    assert rows[1][6] == "'" + HYPERLINK  # delivered by
    assert rows[1][7:10] == ["0.5", "300.00", "150.00"]  # amounts stay numbers
    assert not any(cell.startswith(csvs.FORMULA_STARTS) for row in rows for cell in row)


# The demo's own data files are built from DfE's files, not from what people type.
ALLOWED = {"lle_portal/csvs.py", "lle_portal/demo.py", "scripts/make_demo_gias.py"}


def test_no_module_of_the_site_writes_csv_but_through_the_one_writer():
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "var/")) or "/tests/" in relative or relative in ALLOWED:
            continue
        if writers.search(path.read_text(encoding="utf-8")):
            offenders.append(relative)
    assert not offenders, f"Write CSV through lle_portal.csvs (writer/dict_writer), not csv directly: {offenders}"
