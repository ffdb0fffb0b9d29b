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


def test_it_refuses_a_file_with_no_outcome_column_and_loads_nothing(schools):
    # Since September 2024 a file may have no "Overall effectiveness" (no overall
    # grades are given), but a file with no outcome column at all is not Ofsted's.
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


# --- the three frameworks ----------------------------------------------------------


def lines(result) -> dict[int, str]:
    found: dict[int, str] = {}
    for e in result.errors:
        found[e.line] = (found[e.line] + " | " if e.line in found else "") + e.reason
    return found


def test_it_reads_graded_inspections_with_their_sub_judgements_and_safeguarding(schools):
    result = OfstedImporter().run(DATA / "ofsted_eif_graded.csv")

    riverside = inspection(100001, date(2019, 11, 20))
    assert riverside.framework == Inspection.Framework.GRADED
    assert riverside.inspection_type == Inspection.Type.GRADED
    assert riverside.judgements == {"quality_of_education": 2, "behaviour_and_attitudes": 1,
                                    "personal_development": 2, "early_years": 2}
    assert riverside.safeguarding == Inspection.Safeguarding.MET
    assert riverside.verbatim["Overall effectiveness"] == "2"
    assert riverside.verbatim["Safeguarding is effective?"] == "Yes"
    elm = inspection(100003, date(2022, 7, 5))
    assert elm.category_of_concern == "special_measures" and elm.safeguarding == "not_met"
    errors = lines(result)
    # A bad sub-judgement is reported and left out; the inspection is kept.
    assert "Behaviour and attitudes '7' is not an Ofsted grade" in errors[5]
    assert inspection(100005, date(2024, 6, 11)).judgements.get("behaviour_and_attitudes") is None
    # A date that does not exist loses the row, by line.
    assert "31/02/2024" in errors[6] and "it was not imported" in errors[6]
    assert result.created == 4


def test_it_reads_inspections_without_an_overall_grade_from_september_2024(schools):
    result = OfstedImporter().run(DATA / "ofsted_no_overall_grade.csv")

    riverside = inspection(100001, date(2024, 10, 8))
    assert riverside.framework == Inspection.Framework.NO_OVERALL_GRADE
    assert riverside.overall_effectiveness is None
    assert riverside.leadership_and_management == Inspection.Grade.GOOD  # "Effectiveness of  leadership..."
    assert riverside.verbatim["Overall effectiveness"] == "Not judged"
    assert riverside.overall_label.startswith("No overall grade")
    assert inspection(100002, date(2025, 1, 21)).category_of_concern == "serious_weaknesses"
    # An overall grade after September 2024 is a fault in the file, reported by line.
    assert "Ofsted has not given overall grades since September 2024" in lines(result)[4]
    assert not Inspection.objects.filter(school__urn=100003).exists()


def test_it_reads_report_cards_beside_the_latest_graded_and_ungraded_inspections(schools):
    result = OfstedImporter().run(DATA / "ofsted_report_cards.csv")

    card = inspection(100001, date(2026, 1, 20))
    assert card.framework == Inspection.Framework.REPORT_CARD
    assert card.inspection_type == Inspection.Type.REPORT_CARD
    assert card.evaluation_areas == {
        "inclusion": 3, "curriculum_and_teaching": 2, "achievement": 3, "attendance_and_behaviour": 2,
        "personal_development_and_wellbeing": 3, "early_years": 3, "leadership_and_governance": 3,
    }
    assert card.safeguarding == Inspection.Safeguarding.MET
    assert card.overall_effectiveness is None and card.leadership_and_management is None
    assert card.verbatim["Leadership and governance"] == "Expected standard"
    # The graded inspection the same row recalls is kept as its own inspection.
    graded = inspection(100001, date(2019, 11, 20))
    assert graded.framework == Inspection.Framework.GRADED and graded.leadership_and_management == 2
    assert graded.safeguarding == Inspection.Safeguarding.MET  # "Latest OEIF  safeguarding is effective?"
    lowestoft = inspection(100002, date(2026, 2, 3))
    assert lowestoft.evaluation_areas["leadership_and_governance"] == Inspection.ReportCardGrade.NEEDS_ATTENTION
    assert lowestoft.safeguarding == Inspection.Safeguarding.NOT_MET
    ungraded = inspection(100003, date(2025, 2, 11))
    assert ungraded.inspection_type == Inspection.Type.UNGRADED
    assert ungraded.ungraded_outcome == "School remains Good"
    assert ungraded.framework == Inspection.Framework.NO_OVERALL_GRADE
    errors = lines(result)
    assert "Inclusion 'Brilliant' is not a report-card grade" in errors[5]
    assert inspection(100005, date(2026, 3, 10)).evaluation_areas["leadership_and_governance"] == 2
    assert errors[6] == "school URN 999999 is not in the portal; import GIAS first"


def test_it_imports_a_report_card_file_twice_without_changes(schools):
    OfstedImporter().run(DATA / "ofsted_report_cards.csv")
    again = OfstedImporter().run(DATA / "ofsted_report_cards.csv")

    assert again.created == again.updated == 0
    assert again.unchanged == Inspection.objects.count() == 7
