from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lle_portal.imports import GiasImporter, ImportFileError, PerformanceImporter
from lle_portal.imports.measures import MEASURES, measures_for
from lle_portal.models import AreaResult, AuditEvent, Inspection, LocalAuthority, School, SchoolResult

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "data"

pytestmark = pytest.mark.django_db


def result(urn: int, measure: str, year: int = 2019, key_stage: str = "KS2") -> SchoolResult:
    return SchoolResult.objects.get(school__urn=urn, measure=measure, year=year, key_stage=key_stage)


def test_it_stores_percentages_and_scores_as_numbers():
    PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")

    assert result(100001, "PTRWM_EXP").value == Decimal("64")  # published as "64%"
    assert result(200002, "PTRWM_EXP").value == Decimal("71")  # published as "71"
    assert result(100001, "WRITPROG").value == Decimal("-0.3")
    assert result(100001, "TAPS").value == Decimal("28.5")


def test_it_stores_suppressed_and_missing_values_as_null_with_their_marker_never_zero():
    PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")

    oak = {r.measure: (r.value, r.marker) for r in SchoolResult.objects.filter(school__urn=200001)}
    assert oak == {
        "PTRWM_EXP": (None, "SUPP"),
        "READPROG": (None, "LOWCOV"),
        "WRITPROG": (None, ""),
        "MATPROG": (None, "NP"),
        "TAPS": (None, "x"),
    }
    birch = {r.measure: (r.value, r.marker) for r in SchoolResult.objects.filter(school__urn=200004)}
    assert birch["PTRWM_EXP"] == (None, "NE")
    assert birch["READPROG"] == (None, "NEW")
    assert birch["WRITPROG"] == (None, "NA")
    assert not SchoolResult.objects.filter(value=0).exists()


def test_it_reports_unreadable_cells_and_bad_rows_by_line_and_loads_the_rest():
    imported = PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")

    errors = {e.line: e.reason for e in imported.errors}
    assert errors == {
        4: "READPROG 'lots' is not a number; the rest of the row was imported",
        8: "the URN 'x12' is not a number; the row was skipped",
    }
    elm = {r.measure for r in SchoolResult.objects.filter(school__urn=200002)}
    assert elm == {"PTRWM_EXP", "WRITPROG", "MATPROG", "TAPS"}


def test_it_creates_schools_it_does_not_know_with_their_latest_inspection():
    PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")

    oak = School.objects.get(urn=200001)
    assert oak.name == "Oak Special School"
    assert (oak.postcode, oak.town) == ("NR5 5AA", "Norwich")
    assert oak.phase == School.Phase.PRIMARY
    assert oak.type_name == "Special school"
    assert oak.is_special
    assert oak.source == School.Source.PERFORMANCE
    assert oak.latitude == Decimal("52.64")
    assert oak.website == ""  # "Not Available"
    assert oak.local_authority.code == "926"
    latest = oak.inspections.get()
    assert (latest.inspection_date, latest.overall_effectiveness) == (date(2018, 3, 1), 1)
    assert latest.leadership_and_management is None

    ash = School.objects.get(urn=200003)
    assert ash.latitude is None
    old = ash.inspections.get()
    assert old.overall_effectiveness == Inspection.Grade.REQUIRES_IMPROVEMENT
    assert old.overall_effectiveness_label == "Satisfactory"
    assert old.overall_label == "Satisfactory"
    assert not School.objects.get(urn=200004).inspections.exists()
    assert School.objects.get(urn=200002).inspections.get().overall_effectiveness == 3


def test_it_does_not_overwrite_what_gias_says_about_a_school():
    GiasImporter().run(DATA / "gias_small.csv")
    School.objects.filter(urn=100001).update(latitude=None, longitude=None, religious_character="")
    before = School.objects.get(urn=100001)

    PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")

    after = School.objects.get(urn=100001)
    assert after.name == before.name == "Riverside Primary School"
    assert after.postcode == "NR2 1NH"
    assert after.town == "Norwich"
    assert after.website == "https://riverside.example"
    assert after.type_name == "Academy converter"
    assert after.source == School.Source.GIAS
    # Only the blanks are filled.
    assert after.latitude == Decimal("52.1")
    assert after.religious_character == "Church of England"
    assert result(100001, "PTRWM_EXP").value == 64


def test_it_stores_la_and_england_averages_as_area_results():
    PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")

    norfolk = AreaResult.objects.get(area_code="926", measure="PTRWM_EXP", year=2019)
    assert norfolk.value == 60
    assert norfolk.local_authority == LocalAuthority.objects.get(code="926")
    england = AreaResult.objects.get(area_code=AreaResult.ENGLAND, measure="PTRWM_EXP")
    assert england.value == 65
    assert england.local_authority is None
    assert AreaResult.objects.count() == 10
    assert not School.objects.filter(name__icontains="average").exists()


def test_it_reports_average_rows_once_when_the_file_has_no_lea_column():
    imported = PerformanceImporter(year=2019).run(DATA / "ks2_no_lea.csv")

    assert [str(e) for e in imported.errors] == [
        "line 4: 2 average rows (from this line on) could not be stored: the file has no LEA column "
        "to say which local authority they belong to"
    ]
    assert not AreaResult.objects.exists()
    assert School.objects.count() == 2


def test_it_is_idempotent_and_updates_changed_values_when_imported_again():
    first = PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")
    count = SchoolResult.objects.count()

    again = PerformanceImporter(year=2019).run(DATA / "ks2_small.csv")
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == first.created

    updated = PerformanceImporter(year=2019).run(DATA / "ks2_small_updated.csv")
    assert (updated.created, updated.updated) == (0, 2)
    assert SchoolResult.objects.count() == count
    assert School.objects.count() == 5
    assert Inspection.objects.count() == 4
    oak = result(200001, "PTRWM_EXP")
    assert (oak.value, oak.marker) == (Decimal("20"), "")
    assert result(100001, "READPROG").value == Decimal("1.7")


def test_it_keeps_years_apart():
    PerformanceImporter(year=2018).run(DATA / "ks2_small.csv")
    PerformanceImporter(year=2019).run(DATA / "ks2_small_updated.csv")

    assert result(100001, "READPROG", year=2018).value == Decimal("1.5")
    assert result(100001, "READPROG", year=2019).value == Decimal("1.7")


def test_it_detects_key_stage_4_from_its_columns():
    PerformanceImporter(year=2019).run(DATA / "ks4_small.csv")

    assert set(SchoolResult.objects.values_list("key_stage", flat=True)) == {"KS4"}
    # The 2019 file has no PTL2BASICS_94 column (added to the registry for later years).
    assert set(SchoolResult.objects.values_list("measure", flat=True)) == set(measures_for("KS4")) - {"PTL2BASICS_94"}
    cathedral = result(300001, "P8MEA", key_stage="KS4")
    assert cathedral.value == Decimal("0.25")
    coast = result(300002, "PTL2BASICS_95", key_stage="KS4")
    assert coast.value == 0  # a real 0%, not a missing value
    assert result(300002, "P8MEA", key_stage="KS4").marker == "NP"
    assert School.objects.get(urn=300001).phase == School.Phase.SECONDARY


def test_the_key_stage_can_be_given():
    PerformanceImporter(year=2019, key_stage="KS2").run(DATA / "ks2_small.csv")

    assert set(SchoolResult.objects.values_list("key_stage", flat=True)) == {"KS2"}
    with pytest.raises(ImportFileError, match="none of the KS4 measure columns"):
        PerformanceImporter(year=2019, key_stage="KS4").run(DATA / "ks2_small.csv")


def test_it_refuses_a_file_without_measures_and_loads_nothing():
    with pytest.raises(ImportFileError, match="none of the measure columns"):
        PerformanceImporter(year=2019).run(DATA / "performance_no_measures.csv")

    assert not School.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_file_without_urns_and_loads_nothing():
    with pytest.raises(ImportFileError, match='lacks the column "URN"'):
        PerformanceImporter(year=2019).run(b"SCHNAME,PTRWM_EXP\r\nA school,50\r\n")

    assert not School.objects.exists()


def test_it_refuses_an_impossible_year():
    with pytest.raises(ImportFileError, match="not a year"):
        PerformanceImporter(year=19)


def test_every_measure_in_the_registry_has_a_key_stage_and_label():
    assert all(m.key_stage in {"KS1", "KS2", "KS4"} and m.label for m in MEASURES.values())
    assert {"PTRWM_EXP", "READPROG", "WRITPROG", "MATPROG", "TKS1APS"} <= set(measures_for("KS2"))
    assert {"P8MEA", "ATT8SCR", "PTL2BASICS_95"} <= set(measures_for("KS4"))


@pytest.mark.slow
def test_it_imports_the_real_national_ks2_file():
    imported = PerformanceImporter(year=2019).run(SHIPPED / "england_ks2final.csv")

    assert imported.error_count == 0
    assert School.objects.count() == 16_355
    assert imported.created == SchoolResult.objects.count() == 16_355 * 3
    assert imported.details["inspections created"] == 13_684
    # Newbold Church of England Primary School: every measure suppressed.
    newbold = result(120149, "READPROG")
    assert (newbold.value, newbold.marker) == (None, "SUPP")
    assert result(141108, "MATPROG").marker == "LOWCOV"  # Steiner Academy Bristol
    fossebrook = result(142410, "READPROG")
    assert (fossebrook.value, fossebrook.marker) == (None, "")
    assert result(141279, "READPROG").value == Decimal("2.6")  # Bringhurst Primary School
    assert School.objects.get(urn=120149).inspections.get().inspection_date == date(2013, 4, 18)
    assert School.objects.filter(is_special=True).count() == 747


@pytest.mark.slow
def test_it_imports_the_real_national_ks4_file():
    imported = PerformanceImporter(year=2019).run(SHIPPED / "england_ks4final.csv")

    assert imported.error_count == 0
    assert School.objects.count() == 5_516
    assert SchoolResult.objects.filter(key_stage="KS4").count() == 5_516 * 5
    girls = result(100001, "P8MEA", key_stage="KS4")  # City of London School for Girls
    assert (girls.value, girls.marker) == (None, "NP")
    assert result(100001, "ATT8SCR", key_stage="KS4").value == Decimal("57.9")
    cats = School.objects.get(urn=131411).inspections.get()  # CATS Canterbury, 2008
    assert (cats.overall_effectiveness, cats.overall_label) == (3, "Satisfactory")


# --- results after 2019: KS2 2023-2025, KS4 2024-2025; ranges and markers ----------


def errors_of(imported) -> list[tuple[int, str]]:
    return [(e.line, e.reason) for e in imported.errors]


def test_it_reports_a_percentage_out_of_range_by_line_and_never_stores_it():
    imported = PerformanceImporter(year=2023).run(DATA / "ks2_2023.csv")

    assert errors_of(imported) == [
        (4, "PTRWM_EXP '170%' is out of range for a percentage (0 to 100); it was not stored; "
            "the rest of the row was imported"),
        (5, "READPROG '55' is out of range for a reading progress score (-40 to 40); it was not stored; "
            "the rest of the row was imported"),
        (6, "PTRWM_EXP '-4%' is out of range for a percentage (0 to 100); it was not stored; "
            "the rest of the row was imported"),
        (6, "MATPROG '-41' is out of range for a maths progress score (-40 to 40); it was not stored; "
            "the rest of the row was imported"),
    ]
    assert not SchoolResult.objects.filter(school__urn=200002, measure="PTRWM_EXP").exists()
    assert not SchoolResult.objects.filter(value__gt=100, measure__startswith="PT").exists()
    # The good cells of the same rows, and the good rows, are loaded.
    assert result(200002, "PTRWM_HIGH", 2023).value == Decimal("12")
    assert result(200003, "WRITPROG", 2023).value == Decimal("-2.0")
    assert result(100001, "PTRWM_EXP", 2023).value == Decimal("72")
    assert result(200004, "READPROG", 2023).marker == "LOWCOV"
    england = AreaResult.objects.get(area_code=AreaResult.ENGLAND, measure="PTRWM_EXP", year=2023)
    assert england.value == Decimal("60")


def test_it_keeps_the_value_it_had_when_a_new_file_has_it_out_of_range(tmp_path):
    PerformanceImporter(year=2023).run(DATA / "ks2_2023.csv")
    corrected = tmp_path / "ks2_2023_again.csv"
    corrected.write_text(
        "RECTYPE,LEA,URN,SCHNAME,PTRWM_EXP\n1,926,100001,Riverside Primary,720\n", encoding="utf-8"
    )
    imported = PerformanceImporter(year=2023).run(corrected)

    assert [line for line, _ in errors_of(imported)] == [2]
    assert result(100001, "PTRWM_EXP", 2023).value == Decimal("72")


def test_it_reads_2025_ks2_files_without_progress_scores_and_their_markers():
    imported = PerformanceImporter(year=2025).run(DATA / "ks2_2025.csv")

    assert errors_of(imported) == [
        (4, "PTRWM_EXP '101%' is out of range for a percentage (0 to 100); it was not stored; "
            "the rest of the row was imported"),
    ]
    riverside = {r.measure: (r.value, r.marker) for r in SchoolResult.objects.filter(school__urn=100001)}
    assert riverside["PTRWM_EXP"] == (Decimal("75"), "")
    assert riverside["READPROG"] == (None, "")  # no progress scores were published for 2025
    oak = {r.measure: r.marker for r in SchoolResult.objects.filter(school__urn=200001)}
    assert oak == {"PTRWM_EXP": "c", "PTRWM_HIGH": "c", "READPROG": "z", "WRITPROG": "z", "MATPROG": "z"}
    assert result(200002, "MATPROG", 2025).marker == "NP"


def test_it_reads_ks4_2024_columns_and_checks_progress_8_and_attainment_8_ranges():
    imported = PerformanceImporter(year=2024).run(DATA / "ks4_2024.csv")

    assert imported.errors and {line for line, _ in errors_of(imported)} == {3, 4}
    reasons = " | ".join(reason for _, reason in errors_of(imported))
    for fault in ("P8MEA '-12.5' is out of range for a progress 8 (-9 to 9)",
                  "ATT8SCR '95' is out of range for a attainment 8 (0 to 90)",
                  "EBACCAPS '10' is out of range",
                  "PTL2BASICS_94 '104%' is out of range for a percentage",
                  "PTL2BASICS_95 '-1%' is out of range for a percentage"):
        assert fault in reasons
    cathedral = {r.measure: r.value for r in SchoolResult.objects.filter(school__urn=300001, year=2024)}
    assert cathedral == {
        "P8MEA": Decimal("0.31"), "ATT8SCR": Decimal("51.2"), "PTL2BASICS_94": Decimal("71"),
        "PTL2BASICS_95": Decimal("52"), "PTEBACC_E_PTQ_EE": Decimal("41"), "EBACCAPS": Decimal("4.4"),
    }
    assert result(300002, "PTL2BASICS_94", 2024, "KS4").value == Decimal("64")
    assert result(300003, "P8MEA", 2024, "KS4").marker == "SUPP"


def test_it_reads_ks4_2025_files_where_progress_8_is_not_published():
    imported = PerformanceImporter(year=2025).run(DATA / "ks4_2025.csv")

    assert imported.errors == []
    assert result(300001, "P8MEA", 2025, "KS4").marker == "NP"
    assert result(300001, "PTL2BASICS_94", 2025, "KS4").value == Decimal("73")
    assert AreaResult.objects.get(area_code="926", measure="ATT8SCR", year=2025).value == Decimal("45.1")


def test_every_measure_in_the_registry_has_a_range():
    for name, measure in MEASURES.items():
        assert measure.range is not None, name
