"""Property-based tests of the three importers and of the admin's upload form:
random and hostile CSV files never raise anything but ImportFileError; every
bad row is reported with its line and a reason while the good rows load; a
file without a required column loads nothing and names the column."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from lle_portal.imports import GiasImporter, ImportFileError, OfstedImporter, PerformanceImporter
from lle_portal.imports.base import parse_urn
from lle_portal.imports.measures import measures_for
from lle_portal.models import ImportJob, Inspection, KeyStage, School, SchoolResult
from lle_portal.tests.factories import SchoolFactory, UserFactory
from lle_portal.tests.fuzz import fuzz, hostile_text, rolled_back, table_counts

pytestmark = pytest.mark.django_db

KNOWN_URNS = (100001, 100002, 100003, 100004, 100005)
YEAR = 2019
MARKERS = ["SUPP", "NE", "NP", "LOWCOV", "x", "NEW", "NA", "DNS", "NEWSCH"]
cells = st.one_of(hostile_text, st.sampled_from(MARKERS), st.sampled_from(["1", "2", "3", "4", "9", "64%", "-0.3"]))
names = st.from_regex(r"[A-Z][a-z]{2,12}( [A-Z][a-z]{2,12}){0,3}", fullmatch=True)


@dataclass
class Spec:
    """What one importer needs of a file, and how to tell its rows loaded."""

    kind: str
    required: list[tuple[str, ...]]  # each: a column's alternative names
    optional: list[str]
    make: Callable[..., Any]
    good_row: Callable[..., Any]  # draw -> (cells, check) where check() says the row loaded
    loaded: Callable[..., Any]  # cells -> bool, for a hostile row the importer accepted
    # Whether a good row still loads with bad optional cells ("the rest of the
    # row was imported"); Ofsted's leadership grade is part of the row's record.
    tolerates_bad_cells: bool = True
    # Columns whose absence alone refuses the file (a performance file needs
    # one measure column, any of them).
    droppable: list[tuple[str, ...]] | None = None


def _gias_good(draw, used: set):
    urn = draw(st.integers(500_000, 599_999).filter(lambda u: u not in used))
    used.add(urn)
    name = draw(names)
    row = {"URN": str(urn), "EstablishmentName": name, "LA (code)": "926", "LA (name)": "Norfolk"}
    return row, lambda: School.objects.filter(urn=urn, name=name).exists()


def _school_loaded(row: dict) -> bool:
    try:
        urn = parse_urn(row.get("URN", "").strip())
    except ValueError:
        return False
    return School.objects.filter(urn=urn).exists() if urn < 2**31 else False


def _ofsted_good(draw, used: set):
    key = draw(
        # Overall grades were given until August 2024: a later one is a fault in the file.
        st.tuples(st.sampled_from(KNOWN_URNS), st.dates(date(2005, 1, 1), date(2024, 8, 31))).filter(
            lambda k: k not in used
        )
    )
    used.add(key)
    urn, day = key
    grade = draw(st.sampled_from(["1", "2", "3", "4", "Good", "Outstanding"]))
    fmt = draw(st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"]))
    row = {"URN": str(urn), "Inspection end date": day.strftime(fmt), "Overall effectiveness": grade}
    return row, lambda: Inspection.objects.filter(school__urn=urn, inspection_date=day).exists()


def _ofsted_loaded(row: dict) -> bool:
    return _school_loaded(row) and Inspection.objects.filter(school__urn=int(row["URN"].strip())).exists()


def _performance_good(draw, used: set):
    urn = draw(st.integers(600_000, 699_999).filter(lambda u: u not in used))
    used.add(urn)
    value = draw(st.integers(0, 100))
    row = {"RECTYPE": "1", "URN": str(urn), "SCHNAME": draw(names), "PTRWM_EXP": f"{value}%"}
    return row, lambda: SchoolResult.objects.filter(
        school__urn=urn, measure="PTRWM_EXP", year=YEAR, value=Decimal(value)
    ).exists()


SPECS = {
    "gias": Spec(
        kind="gias",
        required=[("URN",), ("EstablishmentName",), ("LA (code)",), ("LA (name)",)],
        optional=[
            "EstablishmentNumber", "TypeOfEstablishment (name)", "EstablishmentTypeGroup (name)",
            "EstablishmentStatus (name)", "OpenDate", "CloseDate", "PhaseOfEducation (name)", "NumberOfPupils",
            "PercentageFSM", "Trusts (name)", "Town", "Postcode", "SchoolWebsite", "HeadFirstName", "Easting",
            "Northing",
        ],
        make=lambda: GiasImporter(),
        good_row=_gias_good,
        loaded=_school_loaded,
    ),
    "ofsted": Spec(
        kind="ofsted",
        required=[("URN",), ("Inspection end date", "Inspection date"), ("Overall effectiveness",)],
        optional=["Publication date", "Effectiveness of leadership and management", "Category of concern",
                  "School name"],
        # "Overall effectiveness" is no longer required on its own (no overall
        # grades since September 2024): a file with the leadership column is usable.
        droppable=[("URN",), ("Inspection end date", "Inspection date")],
        make=lambda: OfstedImporter(),
        good_row=_ofsted_good,
        loaded=_ofsted_loaded,
        tolerates_bad_cells=False,
    ),
    "performance": Spec(
        kind="performance",
        required=[("URN",), ("SCHNAME",), ("PTRWM_EXP",)],
        optional=["RECTYPE", "LEA", *[m for m in measures_for(KeyStage.KS2) if m != "PTRWM_EXP"][:4],
                  "LATITUDE", "LONGITUDE", "OFSTEDRATING", "INSPECTIONDT", "PCODE", "PHASE"],
        make=lambda: PerformanceImporter(year=YEAR),
        good_row=_performance_good,
        loaded=_school_loaded,
        droppable=[("URN",), ("SCHNAME",)],
    ),
}


@pytest.fixture
def known_schools(db):
    return [SchoolFactory(urn=urn) for urn in KNOWN_URNS]


def _spelling(column: str):
    """Columns are matched ignoring case and spaces."""
    return st.sampled_from([column, column.upper(), column.lower(), f" {column} ", column.replace(" ", "  ")])


@dataclass
class CsvFile:
    data: bytes
    header: list[str]
    good: list[tuple[int, Callable[..., Any]]]  # (line, check)
    hostile: list[tuple[int, dict]]  # (line, cells by canonical column)
    lines: set[int]


def _encode(draw, text: str) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def csv_files(draw, spec: Spec, *, drop: tuple[str, ...] = ()) -> CsvFile:
    """A file of the spec's kind: its required columns (less `drop`) in any
    spelling and order, some optional ones, good rows and hostile rows mixed,
    ragged hostile rows, either line ending, and an encoding of UTF-8 (with or
    without a byte order mark), Windows-1252 or Latin-1."""
    columns = [alternatives[0] for alternatives in spec.required if alternatives[0] not in drop]
    columns += draw(st.lists(st.sampled_from(spec.optional), unique=True, max_size=5))
    columns = draw(st.permutations(columns))
    header = [draw(_spelling(c)) for c in columns]
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    out = io.StringIO(newline="")
    # With "\n" line ends, a lone "\r" in a value would start a new line unless quoted.
    writer = csv.writer(out, lineterminator=newline, quoting=csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL)
    writer.writerow(header)
    used: set = set()
    good, hostile, lines = [], [], set()
    for is_good in draw(st.lists(st.booleans(), max_size=8)):
        line = len(io.StringIO(out.getvalue(), newline="").readlines()) + 1
        if is_good:
            row, check = spec.good_row(draw, used)
            # A NUL anywhere skips the row (test_a_nul_byte_in_a_cell_...).
            filler = cells.filter(lambda c: "\x00" not in c) if spec.tolerates_bad_cells else st.just("")
            values = [row.get(c, draw(filler)) for c in columns]
            good.append((line, check))
        else:
            values = [draw(cells) for _ in columns]
            ragged = draw(st.integers(-2, 2))
            values = values[: len(values) + ragged] if ragged < 0 else values + [draw(cells)] * ragged
            row = dict(zip(columns, values, strict=False))
            if any(v.strip() for v in values):
                hostile.append((line, row))
        lines.add(line)
        writer.writerow(values)
    return CsvFile(_encode(draw, out.getvalue()), header, good, hostile, lines)


def _run(spec: Spec, data: bytes):
    return spec.make().run(data, file_name="fuzz.csv")


# --- any bytes at all ----------------------------------------------------------------


@pytest.mark.parametrize("kind", SPECS)
@fuzz
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.lists(st.lists(hostile_text, max_size=6), max_size=6).map(
            lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", errors="replace")
        ),
        st.sampled_from([b"", b"\xef\xbb\xbf", b"\n\n", b"PK\x03\x04rest", b'URN,"unclosed\n1,2',
                         b"URN\x00,SCHNAME\n1,a", "URN,Café\n".encode("cp1252") + b"\x81\x8d\n"]),
    )
)
@example(data=b"URN,EstablishmentName,LA (code),LA (name)\n\x81,\x8d,\x90,\x9d\n")
def test_no_file_makes_an_importer_fail_with_anything_but_a_clear_error(kind, data, known_schools):
    spec = SPECS[kind]
    with rolled_back():
        before = table_counts()
        try:
            result = _run(spec, data)
        except ImportFileError as error:
            assert str(error).strip()
            assert table_counts() == before, "a refused file must load nothing"
        else:
            assert all(e.line >= 2 and e.reason for e in result.errors)


# --- good rows load, bad rows are reported by line -----------------------------------


def _check_file(spec: Spec, file: CsvFile) -> None:
    result = _run(spec, file.data)
    by_line: dict[int, list[str]] = {}
    for error in result.errors:
        by_line.setdefault(error.line, []).append(error.reason)
    assert set(by_line) <= file.lines, f"errors on lines that hold no row: {sorted(set(by_line) - file.lines)}"
    for line, check in file.good:
        assert check(), f"the good row on line {line} did not load: {by_line.get(line)}"
        assert not any("row was skipped" in reason for reason in by_line.get(line, [])), by_line[line]
    # The performance importer reports average rows it cannot place (no LEA
    # column) once, from the first such line on, rather than row by row.
    unplaced_from = min((e.line for e in result.errors if "average rows (from this line on)" in e.reason
                         or "average row (from this line on)" in e.reason), default=None)
    for line, row in file.hostile:
        unplaced = unplaced_from is not None and line >= unplaced_from and not row.get("URN", "").strip()
        assert line in by_line or unplaced or spec.loaded(row), (
            f"the bad row on line {line} was neither loaded nor reported"
        )


@pytest.mark.parametrize("kind", SPECS)
@fuzz
@given(data=st.data())
def test_good_rows_load_and_every_bad_row_is_reported_with_its_line(kind, data, known_schools):
    spec = SPECS[kind]
    file = data.draw(csv_files(spec))
    with rolled_back():
        _check_file(spec, file)


def test_a_nul_byte_in_a_cell_is_reported_and_the_rest_of_the_file_loads(known_schools):
    text = "URN,EstablishmentName,LA (code),LA (name),Town\n500001,Good School,926,Norfolk,Diss\n" \
           "500002,Bad\x00School,926,Norfolk,Diss\n500003,Other School,926,Norfolk,Wy\x00mondham\n"
    result = GiasImporter().run(text.encode())
    assert set(School.objects.filter(urn__gte=500000).values_list("urn", flat=True)) == {500001}
    assert [e.line for e in result.errors] == [3, 4]
    assert all("NUL" in e.reason for e in result.errors)


def test_numbers_too_large_for_the_database_are_reported_and_the_good_rows_load(known_schools):
    gias = ("URN,EstablishmentName,LA (code),LA (name),NumberOfPupils\n"
            "500001,Good School,926,Norfolk,210\n"
            "99999999999,Huge URN School,926,Norfolk,210\n"
            "500002,Huge Roll School,926,Norfolk,99999999999999\n"
            "500003,Endless School,926,Norfolk,Infinity\n"
            "500004,Exponent School,926,Norfolk,1e999999\n")
    result = GiasImporter().run(gias.encode())
    assert set(School.objects.filter(urn__gte=500000).values_list("urn", flat=True)) == {500001, 500002, 500003,
                                                                                          500004}
    assert {e.line: e.reason.split(";")[0] for e in result.errors} == {
        3: "the URN '99999999999' is too large to be a URN",
        4: "NumberOfPupils '99999999999999' is too large",
        5: "NumberOfPupils 'Infinity' is not a whole number",
        6: "NumberOfPupils '1e999999' is too large",
    }

    ks2 = "URN,SCHNAME,PTRWM_EXP\n600001,Good School,64%\n600002,Huge School," + "9" * 40 + "\n"
    result = PerformanceImporter(year=YEAR).run(ks2.encode())
    assert SchoolResult.objects.get(school__urn=600001).value == 64
    assert [(e.line, "too large to be a result" in e.reason) for e in result.errors] == [(3, True)]


# --- a missing required column --------------------------------------------------------


@pytest.mark.parametrize("kind", SPECS)
@fuzz
@given(data=st.data())
def test_a_file_without_a_required_column_loads_nothing_and_names_it(kind, data, known_schools):
    spec = SPECS[kind]
    missing = data.draw(st.sampled_from(spec.droppable or spec.required))
    file = data.draw(csv_files(spec, drop=missing))
    with rolled_back():
        before = table_counts()
        with pytest.raises(ImportFileError) as refused:
            _run(spec, file.data)
        assert f'"{missing[0]}"' in str(refused.value)
        assert "Nothing was imported" in str(refused.value)
        assert table_counts() == before


# --- the admin's upload form ---------------------------------------------------------


@pytest.fixture
def admin(client, db):
    user = UserFactory(role="adviser", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


upload_names = st.one_of(st.just("file.csv"), st.sampled_from(["a.xlsx", "noext", ".csv", "x" * 300 + ".csv",
                                                                 "..\\..\\evil.csv", "<b>.csv", "é\u202e.csv"]))


@fuzz
@given(
    kind=st.one_of(st.sampled_from(["gias", "ofsted", "performance"]), hostile_text),
    year=st.one_of(st.just(""), st.sampled_from(["2019", "1989", "2101", "-1", "99999", "1e3"]), hostile_text),
    name=upload_names,
    data=st.data(),
)
@example(kind="gias", year="", name="nul\x00.csv", data=b"URN,EstablishmentName,LA (code),LA (name)\n1\x00,\x00,a,b\n")
@example(kind="ofsted", year="", name="file.csv", data=b"URN\x00,Name\x00\n1,2\n")
def test_the_admin_upload_never_fails_and_a_refused_upload_queues_nothing(
    kind, year, name, data, admin, known_schools, django_capture_on_commit_callbacks
):
    if isinstance(data, bytes):
        content = data
    else:
        spec = SPECS.get(kind, SPECS["gias"])
        content = data.draw(st.one_of(csv_files(spec).map(lambda f: f.data), st.binary(max_size=200),
                                      csv_files(spec, drop=spec.required[0]).map(lambda f: f.data)))
    with rolled_back():
        jobs = ImportJob.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                reverse("admin:lle_portal_importjob_add"),
                {"kind": kind, "year": year, "file": SimpleUploadedFile(name, content, "text/csv")},
            )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert "errornote" in response.content.decode()
            assert ImportJob.objects.count() == jobs
        else:
            job = ImportJob.objects.latest("pk")
            # The queued job ran (on commit, eagerly) and ended in a state the page can show.
            assert job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED)
            assert job.message
            assert all(e["line"] >= 2 and e["reason"] for e in job.errors)
