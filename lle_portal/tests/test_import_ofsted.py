from datetime import date
from pathlib import Path

import pytest

from lle_portal.imports import ImportFileError, OfstedImporter
from lle_portal.models import AuditEvent, Inspection
from lle_portal.tests.factories import InspectionFactory, SchoolFactory

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools():
    return {urn: SchoolFactory(urn=urn) for urn in (100001, 100002, 100003, 100005)}


def inspection(urn: int, day: date) -> Inspection:
    return Inspection.objects.get(school__urn=urn, inspection_date=day)


def test_it_imports_inspections_for_schools_the_portal_knows(schools):
    result = OfstedImporter().run(DATA / "ofsted_small.csv")

    assert result.created == Inspection.objects.count() == 5
    riverside = inspection(100001, date(2019, 11, 20))
    assert riverside.overall_effectiveness == Inspection.Grade.GOOD
    assert riverside.leadership_and_management == Inspection.Grade.GOOD
    assert riverside.publication_date == date(2019, 12, 15)
    assert riverside.category_of_concern == ""
    assert riverside.source == "ofsted"


def test_it_reads_grades_as_digits_or_words_and_9_as_not_graded(schools):
    OfstedImporter().run(DATA / "ofsted_small.csv")

    hillside = inspection(100003, date(2020, 2, 5))
    assert hillside.overall_effectiveness == Inspection.Grade.REQUIRES_IMPROVEMENT
    assert hillside.leadership_and_management == Inspection.Grade.GOOD
    assert hillside.overall_effectiveness_label == "Requires improvement"
    not_graded = inspection(100001, date(2015, 10, 10))
    assert not_graded.overall_effectiveness is None
    assert not_graded.leadership_and_management is None
    assert not_graded.overall_label == "Not graded"
    meadow = inspection(100005, date(2022, 1, 10))
    assert meadow.overall_effectiveness == meadow.leadership_and_management == Inspection.Grade.INADEQUATE
    assert meadow.category_of_concern == Inspection.Concern.SPECIAL_MEASURES


def test_it_calls_a_grade_3_before_september_2012_satisfactory(schools):
    OfstedImporter().run(DATA / "ofsted_small.csv")

    old = inspection(100002, date(2011, 3, 14))
    assert old.overall_effectiveness == 3
    assert old.overall_label == "Satisfactory"


def test_it_reports_bad_rows_by_line_and_loads_the_good_ones(schools):
    result = OfstedImporter().run(DATA / "ofsted_small.csv")

    errors = {e.line: e.reason for e in result.errors}
    assert errors[5] == "school URN 999999 is not in the portal; import GIAS first"
    assert "URN 100002 has no Inspection end date" in errors[6]
    assert "'7' is not an Ofsted grade" in errors[7]
    assert "Publication date 'soon' is not a date" in errors[8]
    assert sorted(errors) == [5, 6, 7, 8]
    assert inspection(100005, date(2022, 1, 10)).publication_date is None


def test_it_accepts_the_older_column_names(schools):
    OfstedImporter().run(DATA / "ofsted_old_columns.csv")

    old = inspection(100001, date(2011, 3, 14))
    assert old.overall_effectiveness == 3
    assert old.overall_effectiveness_label == "Satisfactory"
    assert old.leadership_and_management == 2


def test_it_refuses_a_file_without_overall_effectiveness_and_loads_nothing(schools):
    with pytest.raises(ImportFileError, match='"Overall effectiveness"'):
        OfstedImporter().run(DATA / "ofsted_missing_column.csv")

    assert not Inspection.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_updates_inspections_in_place_when_imported_again(schools):
    InspectionFactory(
        school=schools[100001],
        inspection_date=date(2019, 11, 20),
        overall_effectiveness=1,
        leadership_and_management=1,
    )

    first = OfstedImporter().run(DATA / "ofsted_small.csv")
    again = OfstedImporter().run(DATA / "ofsted_small.csv")

    assert (first.created, first.updated) == (4, 1)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert Inspection.objects.count() == 5
    assert inspection(100001, date(2019, 11, 20)).overall_effectiveness == Inspection.Grade.GOOD


def test_it_keeps_the_leadership_grade_when_a_file_has_no_such_column(schools):
    InspectionFactory(
        school=schools[100001], inspection_date=date(2011, 3, 14), overall_effectiveness=2, leadership_and_management=1
    )
    OfstedImporter().run(
        b"URN,Inspection date,Overall effectiveness\r\n100001,14/03/2011,3\r\n", file_name="no_leadership.csv"
    )

    kept = inspection(100001, date(2011, 3, 14))
    assert kept.overall_effectiveness == 3
    assert kept.leadership_and_management == 1


def test_it_writes_one_audit_event_per_import(schools):
    OfstedImporter().run(DATA / "ofsted_small.csv")

    event = AuditEvent.objects.get(verb="import.finished")
    assert event.data["kind"] == "ofsted"
    assert event.data["created"] == 5
    assert event.data["errors"] == 4
