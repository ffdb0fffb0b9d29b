"""Import of Ofsted's management-information file of inspection outcomes.

One row per school's latest inspection; each becomes an Inspection, upserted
on (school, inspection date). Only schools the portal knows are imported:
GIAS is the master list, so an unknown URN is reported, not invented.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..models import Inspection, School
from .base import CsvTable, Importer, ImportResult, Row, parse_date, parse_urn
from .vocab import concern_from, grade_from, grade_label

OFSTED_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")

# The names these columns have had over the years, newest first.
DATE_COLUMNS = ("Inspection end date", "Inspection date", "Inspection start date")
LEADERSHIP_COLUMNS = ("Effectiveness of leadership and management", "Leadership and management")


class OfstedImporter(Importer):
    """Ofsted inspection outcomes -> Inspection."""

    kind = "ofsted"
    record_name = "inspections"
    required_columns = ("URN", DATE_COLUMNS[:2], "Overall effectiveness")

    def prepare(self, table: CsvTable) -> None:
        super().prepare(table)
        self.date_column = table.first_present(*DATE_COLUMNS)
        self.leadership_column = table.first_present(*LEADERSHIP_COLUMNS)
        # Fields this file gives; a column the file lacks never blanks a value.
        self.update_fields = ["overall_effectiveness", "overall_effectiveness_label", "source"]
        if table.has("Publication date"):
            self.update_fields.append("publication_date")
        if self.leadership_column:
            self.update_fields.append("leadership_and_management")
        if table.has("Category of concern"):
            self.update_fields.append("category_of_concern")
        self.seen: dict[tuple[int, date], int] = {}

    def import_chunk(self, rows: list[Row], result: ImportResult) -> None:
        parsed: list[tuple[Row, int, dict[str, Any]]] = []
        for row in rows:
            try:
                urn, values = self.values_from(row, result)
            except ValueError as exc:
                result.add_error(row.line, f"{exc}; the row was skipped")
                continue
            key = (urn, values["inspection_date"])
            if key in self.seen:
                result.add_error(
                    row.line,
                    f"the inspection of URN {urn} on {key[1]:%d/%m/%Y} appears again "
                    f"(first on line {self.seen[key]}); the row was skipped",
                )
                continue
            self.seen[key] = row.line
            parsed.append((row, urn, values))

        school_ids = dict(
            School.objects.filter(urn__in={urn for _, urn, _ in parsed}).values_list("urn", "pk")
        )
        existing = {
            (i.school_id, i.inspection_date): i
            for i in Inspection.objects.filter(school_id__in=school_ids.values())
        }
        upserts: list[Inspection] = []
        for row, urn, values in parsed:
            school_id = school_ids.get(urn)
            if school_id is None:
                result.add_error(row.line, f"school URN {urn} is not in the portal; import GIAS first")
                continue
            inspection = Inspection(school_id=school_id, **values)
            before = existing.get((school_id, values["inspection_date"]))
            if before is None:
                result.created += 1
            elif any(getattr(before, f) != getattr(inspection, f) for f in self.update_fields):
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            upserts.append(inspection)
        # An upsert, not a plain insert: if another import of the same file
        # runs at once, neither fails and no inspection is duplicated.
        Inspection.objects.bulk_create(
            upserts,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["school", "inspection_date"],
            update_fields=self.update_fields,
        )

    def values_from(self, row: Row, result: ImportResult) -> tuple[int, dict[str, Any]]:
        """(URN, Inspection fields). Raises ValueError when the row cannot be used;
        a problem with a secondary cell is reported and the cell left empty."""
        urn = parse_urn(row.get("URN"))
        assert self.date_column is not None  # required_columns guarantees one
        inspection_date = parse_date(row.get(self.date_column), self.date_column, OFSTED_DATE_FORMATS)
        if inspection_date is None:
            raise ValueError(f"URN {urn} has no {self.date_column}")
        overall_text = row.get("Overall effectiveness")
        overall = grade_from(overall_text, "Overall effectiveness")
        values: dict[str, Any] = {
            "inspection_date": inspection_date,
            "overall_effectiveness": overall,
            "overall_effectiveness_label": grade_label(overall_text, overall, inspection_date)[:50],
            "source": "ofsted",
        }
        if self.leadership_column:
            values["leadership_and_management"] = grade_from(row.get(self.leadership_column), self.leadership_column)
        try:
            if "publication_date" in self.update_fields:
                values["publication_date"] = parse_date(
                    row.get("Publication date"), "Publication date", OFSTED_DATE_FORMATS
                )
        except ValueError as exc:
            result.add_error(row.line, f"{exc}; the rest of the row was imported")
        try:
            if "category_of_concern" in self.update_fields:
                values["category_of_concern"] = concern_from(row.get("Category of concern"), "Category of concern")
        except ValueError as exc:
            result.add_error(row.line, f"{exc}; the rest of the row was imported")
        return urn, values
