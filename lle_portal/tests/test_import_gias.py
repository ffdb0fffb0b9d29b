import csv
from decimal import Decimal
from pathlib import Path

import pytest

from lle_portal.imports import GiasImporter, ImportFileError
from lle_portal.models import AuditEvent, LocalAuthority, School
from lle_portal.tests.factories import SchoolFactory

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "data"

pytestmark = pytest.mark.django_db


def errors_by_line(result) -> dict[int, str]:
    return {e.line: e.reason for e in result.errors}


def test_it_creates_schools_and_local_authorities_from_a_file_with_bom_and_odd_header_case():
    result = GiasImporter().run(DATA / "gias_small.csv")

    assert result.created == 4
    assert set(School.objects.values_list("urn", flat=True)) == {100001, 100002, 100003, 100005}
    assert dict(LocalAuthority.objects.values_list("code", "name")) == {"926": "Norfolk", "935": "Suffolk"}
    assert School.objects.get(urn=100002).local_authority.code == "935"
    assert set(School.objects.values_list("source", flat=True)) == {"gias"}


def test_it_maps_gias_names_to_the_portals_fields():
    GiasImporter().run(DATA / "gias_small.csv")

    riverside = School.objects.get(urn=100001)
    assert riverside.name == "Riverside Primary School"
    assert riverside.phase == School.Phase.PRIMARY
    assert riverside.status == School.Status.OPEN
    assert riverside.trust == "Yare Schools Trust"
    assert riverside.federation == ""
    assert riverside.diocese == ""  # "Not applicable"
    assert riverside.head_name == "Mrs Jane Palmer"
    assert riverside.head_job_title == "Headteacher"
    assert riverside.number_of_pupils == 210
    assert riverside.percentage_fsm == Decimal("18.50")
    assert riverside.open_date.isoformat() == "2012-09-01"
    assert (riverside.street, riverside.town, riverside.postcode) == ("St Peters Street", "Norwich", "NR2 1NH")
    assert riverside.type_group == "Academies"

    lowestoft = School.objects.get(urn=100002)
    assert lowestoft.phase == School.Phase.SECONDARY
    assert lowestoft.trust == ""  # "Not applicable"
    assert lowestoft.federation == "The Waveney Federation"
    assert lowestoft.diocese == "Diocese of St Edmundsbury and Ipswich"

    special = School.objects.get(urn=100005)
    assert special.is_special
    assert special.status == School.Status.PROPOSED_TO_CLOSE
    assert special.phase == School.Phase.NOT_APPLICABLE
    assert special.latitude is None


def test_it_converts_the_british_national_grid_to_latitude_and_longitude():
    GiasImporter().run(DATA / "gias_small.csv")

    riverside = School.objects.get(urn=100001)
    # Norwich City Hall is at about 52.628 N, 1.292 E.
    assert abs(riverside.latitude - Decimal("52.6285")) < Decimal("0.002")
    assert abs(riverside.longitude - Decimal("1.2920")) < Decimal("0.002")


def test_it_reports_bad_rows_by_line_and_loads_the_good_ones():
    result = GiasImporter().run(DATA / "gias_small.csv")

    errors = errors_by_line(result)
    assert "'abc' is not a number" in errors[4]
    assert "NumberOfPupils 'lots' is not a whole number" in errors[5]
    assert "has no EstablishmentName" in errors[6]
    assert "appears again (first on line 2)" in errors[7]
    assert "CloseDate '31-02-2024' is not a date" in errors[8]
    assert result.error_count == 5
    # The row with the bad pupil number still loaded, without the number.
    hillside = School.objects.get(urn=100003)
    assert hillside.number_of_pupils is None
    assert hillside.percentage_fsm == Decimal("9.90")
    # The repeated URN did not overwrite the first row.
    assert School.objects.get(urn=100001).name == "Riverside Primary School"


def test_it_refuses_a_file_missing_a_required_column_and_loads_nothing():
    with pytest.raises(ImportFileError, match='lacks the column "EstablishmentName"'):
        GiasImporter().run(DATA / "gias_missing_column.csv")

    assert not School.objects.exists()
    assert not LocalAuthority.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_updates_schools_in_place_when_imported_again():
    GiasImporter().run(DATA / "gias_small.csv")
    first_ids = dict(School.objects.values_list("urn", "pk"))

    again = GiasImporter().run(DATA / "gias_small.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    result = GiasImporter().run(DATA / "gias_small_updated.csv")
    assert (result.created, result.updated) == (0, 2)
    assert School.objects.count() == 4
    assert dict(School.objects.values_list("urn", "pk")) == first_ids
    riverside = School.objects.get(urn=100001)
    assert riverside.head_name == "Mrs Joanna Price"
    assert riverside.number_of_pupils == 225
    lowestoft = School.objects.get(urn=100002)
    assert lowestoft.status == School.Status.CLOSED
    assert lowestoft.close_date.isoformat() == "2023-08-31"


def test_it_takes_over_a_school_first_known_from_performance_tables():
    SchoolFactory(urn=100001, name="RIVERSIDE PRIMARY", source=School.Source.PERFORMANCE, local_authority=None)

    GiasImporter().run(DATA / "gias_small.csv")

    school = School.objects.get(urn=100001)
    assert school.name == "Riverside Primary School"
    assert school.source == School.Source.GIAS
    assert school.local_authority.code == "926"


def test_it_takes_the_official_la_name_from_gias():
    LocalAuthority.objects.create(code="926", name="LA 926")

    GiasImporter().run(DATA / "gias_small.csv")

    assert LocalAuthority.objects.get(code="926").name == "Norfolk"


def test_it_writes_one_audit_event_per_import():
    GiasImporter().run(DATA / "gias_small.csv", actor_label="test")

    event = AuditEvent.objects.get()
    assert event.verb == "import.finished"
    assert event.data["file"] == "gias_small.csv"
    assert event.data["created"] == 4
    assert event.data["errors"] == 5


def test_it_reads_a_windows_1252_file(tmp_path):
    path = tmp_path / "gias.csv"
    path.write_bytes(
        '"URN","LA (code)","LA (name)","EstablishmentName"\r\n"100009","926","Norfolk","École Française"\r\n'.encode(
            "cp1252"
        )
    )

    GiasImporter().run(path)

    assert School.objects.get(urn=100009).name == "École Française"


def test_it_reports_progress_by_chunk(monkeypatch):
    monkeypatch.setattr(GiasImporter, "chunk_size", 2)
    calls = []

    GiasImporter(progress=lambda done, total: calls.append((done, total))).run(DATA / "gias_small.csv")

    assert calls == [(0, 7), (2, 7), (4, 7), (6, 7), (7, 7)]


def test_it_imports_the_demo_norfolk_file():
    result = GiasImporter().run(SHIPPED / "gias_norfolk.csv")

    assert result.error_count == 0
    assert result.created == School.objects.count() == 313
    with (SHIPPED / "gias_norfolk.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lowestoft = [r for r in rows if r["Postcode"].split()[0] in {"NR32", "NR33", "NR34", "NR35"}]
    assert School.objects.filter(local_authority__code="935").count() == len(lowestoft) > 0
    assert School.objects.filter(local_authority__code="926").count() == 313 - len(lowestoft)
    assert not School.objects.filter(latitude__isnull=True).exists()
    assert School.objects.exclude(trust="").exists()
    assert School.objects.exclude(federation="").exists()
    assert School.objects.filter(diocese="Diocese of Norwich").exists()
    assert not School.objects.filter(head_name="").exists()


def test_the_demo_file_places_schools_where_the_performance_tables_do():
    # Easting/Northing in the demo file were computed from the performance
    # tables' latitude/longitude: the round trip must land on the same spot.
    GiasImporter().run(SHIPPED / "gias_norfolk.csv")
    with (SHIPPED / "england_ks2final.csv").open(encoding="utf-8-sig") as f:
        published = {int(r["URN"]): r for r in csv.DictReader(f) if r["PCODE"].startswith("NR")}

    for school in School.objects.filter(urn__in=published):
        row = published[school.urn]
        assert abs(school.latitude - Decimal(row["LATITUDE"])) < Decimal("0.0001"), school
        assert abs(school.longitude - Decimal(row["LONGITUDE"])) < Decimal("0.0001"), school


def test_it_refuses_a_file_that_is_not_csv_and_loads_nothing():
    with pytest.raises(ImportFileError, match="Excel workbook"):
        GiasImporter().run(b"PK\x03\x04 rest of an xlsx file")
    # A stray quote: the value runs on past the csv module's 128 KB limit.
    runaway = b'URN,LA (code),LA (name),EstablishmentName\n1,926,Norfolk,A\n2,926,Norfolk,"B\n' + b"x,y\n" * 40_000
    with pytest.raises(ImportFileError, match="cannot be read as CSV near line"):
        GiasImporter().run(runaway)
    with pytest.raises(ImportFileError, match="empty"):
        GiasImporter().run(b"")

    assert not School.objects.exists()
