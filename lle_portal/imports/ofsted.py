"""Import of Ofsted's management-information file of inspection outcomes.

Ofsted's state-funded schools file gives one row per school. Over the years
it has described three frameworks (see Inspection), and a recent row carries
up to three inspections side by side: the latest full inspection (a report
card from November 2025), the latest graded inspection under the education
inspection framework ("Latest OEIF ..." columns) and the latest ungraded one.
Each becomes an Inspection, upserted on (school, inspection date).

Columns are found by name through the alias registry below (case and spaces
ignored: Ofsted's own headers have double spaces): a renamed column is one
line to add. Only schools the portal knows are imported: GIAS is the master
list, so an unknown URN is reported, not invented. Every unusable row or cell
is reported with its line; what the file says is kept verbatim beside the
parsed value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..models import Inspection, School
from .base import CsvTable, Importer, ImportFileError, ImportResult, Row, parse_date, parse_urn
from .vocab import (
    concern_from,
    framework_on,
    grade_from,
    grade_label,
    report_card_grade_from,
    safeguarding_from,
)

OFSTED_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")


@dataclass(frozen=True)
class Block:
    """Where one inspection sits in a row: field -> the names its column has
    had, newest first. `kind` says how the inspection is read."""

    name: str
    kind: str  # "full", "graded" or "ungraded"
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


# The alias registry. Names as Ofsted publishes them in "State-funded schools
# inspections and outcomes: management information": the older files
# (to 2019: "Inspection end date", "Is safeguarding effective?", the common
# inspection framework's judgements), the education inspection framework's
# (2019-2025: "Inspection start date", "Quality of education"...), and the
# report-card era's sheet of most recent inspections (from November 2025:
# "Inclusion", "Curriculum and teaching"... "Safeguarding standards", and the
# "Latest OEIF ..." and ungraded columns beside them).
FULL = Block("latest full inspection", "full", {
    "inspection_date": ("Inspection end date", "Inspection date", "Inspection start date"),
    "publication_date": ("Publication date",),
    "inspection_type": ("Inspection type grouping", "Inspection type"),
    "overall_effectiveness": ("Overall effectiveness",),
    "leadership_and_management": ("Effectiveness of leadership and management", "Leadership and management"),
    "category_of_concern": ("Category of concern",),
    "safeguarding": ("Safeguarding standards", "Safeguarding is effective?", "Is safeguarding effective?"),
    "j:quality_of_education": ("Quality of education",),
    "j:behaviour_and_attitudes": ("Behaviour and attitudes",),
    "j:personal_development": ("Personal development",),
    "j:early_years": ("Early years provision (where applicable)",),
    "j:sixth_form": ("Sixth form provision (where applicable)", "16 to 19 study programmes (where applicable)"),
    "j:teaching_learning_assessment": ("Quality of teaching, learning and assessment",),
    "j:personal_development_behaviour_welfare": ("Personal development, behaviour and welfare",),
    "j:outcomes_for_pupils": ("Outcomes for pupils",),
    "a:inclusion": ("Inclusion",),
    "a:curriculum_and_teaching": ("Curriculum and teaching",),
    "a:achievement": ("Achievement",),
    "a:attendance_and_behaviour": ("Attendance and behaviour",),
    "a:personal_development_and_wellbeing": ("Personal development and wellbeing",
                                             "Personal development and well-being"),
    "a:leadership_and_governance": ("Leadership and governance",),
    "a:early_years": ("Early years (where applicable)",),
    "a:post_16": ("Post-16 provision (where applicable)",),
})
LATEST_GRADED = Block("latest graded inspection", "graded", {
    "inspection_date": ("Inspection start date of latest OEIF graded inspection",),
    "publication_date": ("Publication date of latest OEIF graded inspection",),
    "overall_effectiveness": ("Latest OEIF overall effectiveness",),
    "leadership_and_management": ("Latest OEIF effectiveness of leadership and management",),
    "category_of_concern": ("Latest OEIF category of concern",),
    "safeguarding": ("Latest OEIF safeguarding is effective?",),
    "j:quality_of_education": ("Latest OEIF quality of education",),
    "j:behaviour_and_attitudes": ("Latest OEIF behaviour and attitudes",),
    "j:personal_development": ("Latest OEIF personal development",),
    "j:early_years": ("Latest OEIF early years provision (where applicable)",),
    "j:sixth_form": ("Latest OEIF sixth form provision (where applicable)",),
})
LATEST_UNGRADED = Block("latest ungraded inspection", "ungraded", {
    "inspection_date": ("Date of latest ungraded inspection",),
    "publication_date": ("Ungraded inspection publication date",),
    "ungraded_outcome": ("Ungraded inspection overall outcome",),
})
BLOCKS = (FULL, LATEST_GRADED, LATEST_UNGRADED)

# Kept for the older callers: the names of the full inspection's date column.
DATE_COLUMNS = FULL.columns["inspection_date"]
UNGRADED_WORDS = ("ungraded", "short", "section 8", "section8")
UPDATE_FIELDS = (
    "publication_date", "overall_effectiveness", "overall_effectiveness_label", "leadership_and_management",
    "category_of_concern", "framework", "inspection_type", "judgements", "evaluation_areas", "safeguarding",
    "ungraded_outcome", "verbatim", "source",
)


class OfstedImporter(Importer):
    """Ofsted inspection outcomes -> Inspection."""

    kind = "ofsted"
    record_name = "inspections"
    required_columns = ("URN", DATE_COLUMNS)

    def prepare(self, table: CsvTable) -> None:
        super().prepare(table)
        # field -> the column this file uses for it, per block present in the file.
        self.blocks: list[tuple[Block, dict[str, str]]] = []
        for block in BLOCKS:
            present = {f: c for f, names in block.columns.items() if (c := table.first_present(*names))}
            if "inspection_date" in present:
                self.blocks.append((block, present))
        judged = [c for _, present in self.blocks for f, c in present.items() if f not in ("inspection_date",
                  "publication_date", "inspection_type", "category_of_concern")]
        if not judged:
            raise ImportFileError(
                'The file has none of the columns of an inspection\'s outcome: "Overall effectiveness", '
                '"Effectiveness of leadership and management", a report card\'s "Leadership and governance", '
                '"Latest OEIF effectiveness of leadership and management" or "Ungraded inspection overall outcome". '
                "Nothing was imported. Check that this is Ofsted's management-information file."
            )
        # A column the file lacks never blanks what the portal has: each block
        # updates only the fields its columns give.
        self.fields = {block.name: self.fields_for(block, present) for block, present in self.blocks}
        self.seen: dict[tuple[int, date], int] = {}

    @staticmethod
    def fields_for(block: Block, present: dict[str, str]) -> tuple[str, ...]:
        fields = ["framework", "inspection_type", "verbatim", "source"]
        for name in present:
            if name.startswith("j:"):
                fields.append("judgements")
            elif name.startswith("a:"):
                fields.append("evaluation_areas")
            elif name == "overall_effectiveness":
                fields += ["overall_effectiveness", "overall_effectiveness_label"]
            elif name in UPDATE_FIELDS:
                fields.append(name)
        return tuple(f for f in UPDATE_FIELDS if f in fields)

    def describe(self) -> str:
        return "; ".join(block.name for block, _ in self.blocks)

    def import_chunk(self, rows: list[Row], result: ImportResult) -> None:
        parsed: list[tuple[Row, int, dict[str, Any]]] = []
        for row in rows:
            try:
                urn = parse_urn(row.get("URN"))
            except ValueError as exc:
                result.skip(row.line, exc)
                continue
            found, errors_before = 0, len(result.errors)
            for block, columns in self.blocks:
                try:
                    values = self.values_from(row, urn, block, columns, result)
                except ValueError as exc:
                    result.add_error(row.line, f"{block.name}: {exc}; it was not imported")
                    continue
                if values is None:
                    continue
                found += 1
                key = (urn, values["inspection_date"])
                if key in self.seen:
                    if self.seen[key] != row.line:
                        result.skip(
                            row.line,
                            f"the inspection of URN {urn} on {key[1]:%d/%m/%Y} appears again "
                            f"(first on line {self.seen[key]})",
                        )
                    continue
                self.seen[key] = row.line
                parsed.append((row, urn, {"_block": block.name, **values}))
            if not found and len(result.errors) == errors_before:
                date_column = self.blocks[0][1]["inspection_date"] if self.blocks else "inspection date"
                result.skip(row.line, f"URN {urn} has no {date_column}")

        school_ids = dict(School.objects.filter(urn__in={urn for _, urn, _ in parsed}).values_list("urn", "pk"))
        existing = {
            (i.school_id, i.inspection_date): i for i in Inspection.objects.filter(school_id__in=school_ids.values())
        }
        upserts: dict[tuple[str, ...], list[Inspection]] = {}
        reported: set[int] = set()
        for row, urn, values in parsed:
            fields = self.fields[values.pop("_block")]
            school_id = school_ids.get(urn)
            if school_id is None:
                if row.line not in reported:
                    result.add_error(row.line, f"school URN {urn} is not in the portal; import GIAS first")
                    reported.add(row.line)
                continue
            before = existing.get((school_id, values["inspection_date"]))
            if before is not None:
                # What earlier files said about the fields this one lacks stays.
                values["verbatim"] = {**before.verbatim, **values["verbatim"]}
            inspection = Inspection(school_id=school_id, **values)
            if before is None:
                result.created += 1
            elif any(getattr(before, f) != getattr(inspection, f) for f in fields):
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            upserts.setdefault(fields, []).append(inspection)
        # An upsert, not a plain insert: if another import of the same file
        # runs at once, neither fails and no inspection is duplicated.
        for fields, inspections in upserts.items():
            Inspection.objects.bulk_create(
                inspections,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["school", "inspection_date"],
                update_fields=list(fields),
            )

    def values_from(
        self, row: Row, urn: int, block: Block, columns: dict[str, str], result: ImportResult
    ) -> dict[str, Any] | None:
        """The Inspection fields of one block of a row; None when the row has no
        such inspection (its date is empty). Raises ValueError when the block
        cannot be used; a bad secondary cell is reported and left empty."""
        date_column = columns["inspection_date"]
        date_text = row.get(date_column)
        if not date_text:
            return None
        inspection_date = parse_date(date_text, date_column, OFSTED_DATE_FORMATS)
        assert inspection_date is not None
        verbatim = {c: row.get(c) for c in columns.values() if row.get(c)}
        values: dict[str, Any] = {
            "inspection_date": inspection_date,
            "framework": framework_on(inspection_date),
            "judgements": {},
            "evaluation_areas": {},
            "verbatim": verbatim,
            "source": "ofsted",
            "publication_date": None,
            "overall_effectiveness": None,
            "overall_effectiveness_label": "",
            "leadership_and_management": None,
            "category_of_concern": Inspection.Concern.NONE,
            "safeguarding": Inspection.Safeguarding.UNKNOWN,
            "ungraded_outcome": "",
        }

        def cell(name: str, parse, *, required: bool = False):
            column = columns.get(name)
            if column is None:
                return None
            try:
                return parse(row.get(column), column)
            except ValueError as exc:
                if required:
                    raise
                result.add_error(row.line, f"{block.name}: {exc}; the rest of the row was imported")
                return None

        values["publication_date"] = cell(
            "publication_date", lambda t, c: parse_date(t, c, OFSTED_DATE_FORMATS)
        )
        if block.kind == "ungraded":
            values["inspection_type"] = Inspection.Type.UNGRADED
            values["ungraded_outcome"] = row.get(columns.get("ungraded_outcome", ""))[:200]
            return values

        overall_text = row.get(columns.get("overall_effectiveness", ""))
        values["overall_effectiveness"] = cell("overall_effectiveness", grade_from, required=True)
        values["overall_effectiveness_label"] = grade_label(
            overall_text, values["overall_effectiveness"], inspection_date
        )[:50]
        values["leadership_and_management"] = cell("leadership_and_management", grade_from, required=True)
        values["category_of_concern"] = cell("category_of_concern", concern_from) or Inspection.Concern.NONE
        values["safeguarding"] = cell("safeguarding", safeguarding_from) or Inspection.Safeguarding.UNKNOWN
        for name in columns:
            if name.startswith("j:") and (grade := cell(name, grade_from)) is not None:
                values["judgements"][name[2:]] = grade
            if name.startswith("a:") and (grade := cell(name, report_card_grade_from)) is not None:
                values["evaluation_areas"][name[2:]] = grade

        type_text = row.get(columns.get("inspection_type", "")).casefold()
        if values["evaluation_areas"]:
            values["inspection_type"] = Inspection.Type.REPORT_CARD
            values["framework"] = Inspection.Framework.REPORT_CARD
        elif any(word in type_text for word in UNGRADED_WORDS) and not values["leadership_and_management"]:
            values["inspection_type"] = Inspection.Type.UNGRADED
        else:
            values["inspection_type"] = Inspection.Type.GRADED
            if values["framework"] == Inspection.Framework.REPORT_CARD:
                # A graded inspection after report cards began is one that
                # started before; its sub-judgements have no overall grade.
                values["framework"] = Inspection.Framework.NO_OVERALL_GRADE
        if values["framework"] != Inspection.Framework.GRADED and values["overall_effectiveness"]:
            raise ValueError(
                f"an overall grade ({overall_text}) is given for an inspection on {inspection_date:%d/%m/%Y}, "
                "but Ofsted has not given overall grades since September 2024"
            )
        return values
