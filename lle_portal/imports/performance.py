"""Import of DfE performance tables (KS1, KS2, KS4) for one year.

Each school row (RECTYPE 1 mainstream, 2 special) gives SchoolResults; rows
without a URN are the LA averages and England, which give AreaResults. A
suppressed or missing value is stored as NULL with its marker, never as zero.

A school the portal does not know yet (GIAS not imported, or not for that
area) is created from what the file says, so national files are usable at
once. A school already known is never overwritten: the file only fills its
blanks, because GIAS is the master list.

Built for national files (16,000 rows): a few queries per chunk of 2,000 rows,
whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..models import AreaResult, Inspection, KeyStage, LocalAuthority, School, SchoolResult
from .base import (
    ENGLAND,
    CsvTable,
    Importer,
    ImportFileError,
    ImportResult,
    ImportScope,
    ProgressCallback,
    Row,
    RowPlace,
    coordinate,
    fit,
    la_code_or_none,
    parse_date,
    parse_decimal,
    parse_urn,
    urn_or_none,
)
from .measures import KS4_SIGNS, Measure, measures_for
from .sql import bulk_upsert
from .vocab import blank_if_not_applicable, grade_from, grade_label, phase_from

SCHOOL_RECTYPES = {"1", "2"}
SPECIAL_RECTYPE = "2"
# What DfE writes where there is no value: suppressed (small cohort), no
# entries, not published, low coverage, not applicable, new school... and,
# in the files published through explore-education-statistics from 2023, the
# GSS symbols: c (confidential: suppressed), x (not available), z (not
# applicable), u (low reliability), low.
MARKERS = {"SUPP", "NE", "NP", "LOWCOV", "X", "NEW", "NA", "DNS", "NEWSCH", "C", "Z", "U", "LOW"}
# Two decimal places and at most eight digits, as SchoolResult.value stores.
VALUE_LIMIT = Decimal("999999.99")
TWO_PLACES = Decimal("0.01")
# What a performance file may fill in on a school the portal knows.
FILLABLE_FIELDS = (
    "urn", "source", "is_special", "name", "postcode", "town", "type_name", "religious_character",
    "website", "phase", "local_authority", "latitude", "longitude",
)
# Great Britain and its islands, roughly: a LATITUDE outside is a typo.
LATITUDE_RANGE = (Decimal(49), Decimal(61))
LONGITUDE_RANGE = (Decimal(-9), Decimal(3))


@dataclass
class Cell:
    value: Decimal | None
    marker: str


def parse_result(text: str, column: str, measure: Measure) -> Cell:
    """`64%` or `64` -> 64; a marker or empty -> NULL with the marker.
    Raises ValueError for anything else."""
    if not text:
        return Cell(None, "")
    if text.upper() in MARKERS:
        return Cell(None, text[:10])
    if text.endswith("%") and not measure.is_percentage:
        raise ValueError(f"{column} {text!r} is a percentage, but this measure is not one")
    value = parse_decimal(text, column)
    assert value is not None
    # Checked before rounding too: quantize() raises on a number of more than 28 digits.
    if abs(value) > VALUE_LIMIT or abs(value := value.quantize(TWO_PLACES)) > VALUE_LIMIT:
        raise ValueError(f"{column} {text!r} is too large to be a result")
    if measure.range and not measure.range[0] <= value <= measure.range[1]:
        low, high = measure.range
        kind = "a percentage" if measure.is_percentage else f"a {measure.label.lower()}"
        raise ValueError(f"{column} {text!r} is out of range for {kind} ({low} to {high}); it was not stored")
    return Cell(value, "")


def detect_key_stage(table: CsvTable) -> str | None:
    """KS4 if the file has a KS4-only column, else KS2, else KS1."""
    if any(table.has(c) for c in KS4_SIGNS):
        return KeyStage.KS4
    for key_stage in (KeyStage.KS2, KeyStage.KS1):
        if any(table.has(c) for c in measures_for(key_stage)):
            return key_stage
    return None


class PerformanceImporter(Importer):
    """DfE performance tables -> SchoolResult, AreaResult (and schools and
    their latest inspection when the portal does not know them yet)."""

    kind = "performance"
    record_name = "results"
    required_columns = ("URN", "SCHNAME")
    creates_schools = True

    def row_place(self, row: Row) -> RowPlace:
        # A school row names its school's LA in LEA (when the file has it); a
        # row without a URN is an average: England's, or its LEA's.
        code = la_code_or_none(row.get("LEA")) if self.has_lea else None
        if row.get("URN"):
            return RowPlace(urn=urn_or_none(row.get("URN")), la_code=code)
        if self.has_rectype and row.get("RECTYPE") in SCHOOL_RECTYPES:
            return RowPlace()  # a school row without its URN: reported by import_chunk
        if "england" in row.get("SCHNAME").casefold():
            return RowPlace(la_code=ENGLAND)
        return RowPlace(la_code=code)

    def __init__(
        self,
        *,
        year: int,
        key_stage: str | None = None,
        progress: ProgressCallback | None = None,
        scope: ImportScope | None = None,
    ):
        super().__init__(progress=progress, scope=scope)
        if not 1990 <= year <= 2100:
            raise ImportFileError(f"{year} is not a year of results: give the year the academic year ends, e.g. 2019.")
        if key_stage and key_stage not in KeyStage.values:
            raise ImportFileError(f"{key_stage!r} is not a key stage: use one of {', '.join(KeyStage.values)}.")
        self.year = year
        self.requested_key_stage = key_stage or None

    def prepare(self, table: CsvTable) -> None:
        super().prepare(table)
        self.key_stage = self.requested_key_stage or detect_key_stage(table)
        if self.key_stage is None:
            known = ", ".join(name for name, _m in measures_for(KeyStage.KS2).items())
            raise ImportFileError(
                "The file has none of the measure columns the portal stores (for KS2: "
                f"{known}; for KS4: P8MEA, ATT8SCR, PTL2BASICS_95…). Nothing was imported."
            )
        self.measures = {name: m for name, m in measures_for(self.key_stage).items() if table.has(name)}
        if not self.measures:
            raise ImportFileError(
                f"The file has none of the {self.key_stage} measure columns the portal stores "
                f"({', '.join(measures_for(self.key_stage))}). Nothing was imported."
            )
        self.has_rectype = table.has("RECTYPE")
        self.has_lea = table.has("LEA")
        self.has_inspections = table.has("OFSTEDRATING") and table.has("INSPECTIONDT")
        self.local_authorities = {la.code: la for la in LocalAuthority.objects.all()}
        self.seen_urns: dict[int, int] = {}
        self.seen_areas: dict[str, int] = {}
        # Average rows we cannot place because the file has no LEA column:
        # reported once at the end, not once per row.
        self.unplaced_average_lines: list[int] = []

    def describe(self) -> str:
        return f"{self.key_stage} results for {self.year}"

    # ------------------------------------------------------------------
    def import_chunk(self, rows: list[Row], result: ImportResult) -> None:
        school_rows: list[tuple[Row, int]] = []
        area_rows: list[tuple[Row, str]] = []
        for row in rows:
            rectype, urn_text = row.get("RECTYPE"), row.get("URN")
            is_school_type = not self.has_rectype or rectype in SCHOOL_RECTYPES
            if urn_text and is_school_type:
                try:
                    urn = parse_urn(urn_text)
                except ValueError as exc:
                    result.skip(row.line, exc)
                    continue
                if urn in self.seen_urns:
                    result.skip(
                        row.line,
                        f"URN {urn} appears again (first on line {self.seen_urns[urn]})",
                    )
                    continue
                self.seen_urns[urn] = row.line
                school_rows.append((row, urn))
            elif urn_text:
                result.skip(row.line, f"RECTYPE {rectype!r} is not a school (1 or 2) but the row has a URN")
            elif self.has_rectype and rectype in SCHOOL_RECTYPES:
                result.skip(row.line, f"a school row (RECTYPE {rectype}) has no URN")
            else:
                area = self.area_code(row, result)
                if area:
                    area_rows.append((row, area))

        schools = self.schools_for(school_rows, result)
        if self.has_inspections:
            self.add_inspections(school_rows, schools, result)
        self.save_school_results(school_rows, schools, result)
        self.save_area_results(area_rows, result)

    def finish(self, result: ImportResult) -> None:
        if self.unplaced_average_lines:
            n = len(self.unplaced_average_lines)
            result.add_error(
                self.unplaced_average_lines[0],
                f"{n} average row{'s' if n > 1 else ''} (from this line on) could not be stored: the file has no "
                "LEA column to say which local authority they belong to",
            )

    # ------------------------------------------------------------------
    # Schools
    # ------------------------------------------------------------------
    def schools_for(self, school_rows: list[tuple[Row, int]], result: ImportResult) -> dict[int, int]:
        """URN -> school id for every school row: existing schools with their
        blanks filled, new ones created. A few queries, whatever the chunk size."""
        urns = [urn for _, urn in school_rows]
        existing = School.objects.only(*FILLABLE_FIELDS).in_bulk(urns, field_name="urn")
        new: list[dict[str, Any]] = []
        filled: list[School] = []
        filled_fields: set[str] = set()
        for row, urn in school_rows:
            values = self.school_values(row, result)
            school = existing.get(urn)
            if school is None:
                new.append({"urn": urn, "source": School.Source.PERFORMANCE, "status": School.Status.OPEN, **values})
                continue
            fields = self.fill_blanks(school, values)
            if fields:
                filled.append(school)
                filled_fields.update(fields)
        ids = {urn: school.pk for urn, school in existing.items()}
        if new:
            # DO NOTHING on a clash: a school another import created meanwhile is kept.
            bulk_upsert(School, new, unique_fields=["urn"])
            ids.update(School.objects.filter(urn__in=[s["urn"] for s in new]).values_list("urn", "pk"))
            result.count("schools created", len(new))
        if filled:
            School.objects.bulk_update(filled, sorted(filled_fields), batch_size=500)
            result.count("schools with blanks filled", len(filled))
        return ids

    @staticmethod
    def fill_blanks(school: School, values: dict[str, Any]) -> list[str]:
        """Copy the file's values into fields the school has empty; return their names."""
        fields = []
        for name, value in values.items():
            if name == "is_special":
                # GIAS decides this for its schools; the file may only add it
                # to a school that came from a performance file.
                if value and not school.is_special and school.source == School.Source.PERFORMANCE:
                    school.is_special = True
                    fields.append(name)
                continue
            if value in (None, "") or getattr(school, name) not in (None, ""):
                continue
            setattr(school, name, value)
            fields.append(name)
        return fields

    def school_values(self, row: Row, result: ImportResult) -> dict[str, Any]:
        """School fields as far as a performance file describes the school."""
        values: dict[str, Any] = {
            "name": fit(School, "name", row.get("SCHNAME")),
            "postcode": fit(School, "postcode", row.get("PCODE")),
            "town": fit(School, "town", row.get("TOWN")),
            "type_name": fit(School, "type_name", row.get("SCHTYPE")),
            "religious_character": fit(School, "religious_character", row.get("RELIGION")),
            "website": fit(School, "website", blank_if_not_applicable(row.get("WEB"))),
            "phase": phase_from(row.get("PHASE")),
            "is_special": row.get("RECTYPE") == SPECIAL_RECTYPE,
        }
        if self.has_lea:
            la = self.local_authority(row.get("LEA"))
            values["local_authority_id"] = la.pk if la else None
        latitude, longitude = row.get("LATITUDE"), row.get("LONGITUDE")
        if latitude and longitude:
            try:
                lat, lon = parse_decimal(latitude, "LATITUDE"), parse_decimal(longitude, "LONGITUDE")
                assert lat is not None and lon is not None
                (lat_min, lat_max), (lon_min, lon_max) = LATITUDE_RANGE, LONGITUDE_RANGE
                if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
                    raise ValueError(f"LATITUDE/LONGITUDE {latitude}/{longitude} are not in Great Britain")
                values["latitude"], values["longitude"] = coordinate(lat), coordinate(lon)
            except ValueError as exc:
                result.add_error(row.line, f"{exc}; the school has no map position")
        return values

    def local_authority(self, code: str, name: str = "") -> LocalAuthority | None:
        """The LA with this code, created if new. A performance file names an
        LA only on its average row; GIAS gives the official name later."""
        valid = la_code_or_none(code)
        if valid is None:
            return None
        code = valid
        la = self.local_authorities.get(code)
        if la is None:
            la = LocalAuthority.objects.create(code=code, name=fit(LocalAuthority, "name", name or f"LA {code}"))
            self.local_authorities[code] = la
        elif name and la.name == f"LA {code}":
            la.name = fit(LocalAuthority, "name", name)
            la.save(update_fields=["name"])
        return la

    # ------------------------------------------------------------------
    # Inspections: the latest Ofsted rating the file carries
    # ------------------------------------------------------------------
    def add_inspections(
        self, school_rows: list[tuple[Row, int]], schools: dict[int, int], result: ImportResult
    ) -> None:
        """Create the inspection a row names if the portal does not have it.
        Never changes an existing one: the Ofsted file is the better source
        (it also has the leadership grade)."""
        candidates: list[dict[str, Any]] = []
        for row, urn in school_rows:
            rating, when = row.get("OFSTEDRATING"), row.get("INSPECTIONDT")
            if not rating or not when:
                continue
            try:
                inspection_date: date | None = parse_date(when, "INSPECTIONDT", ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y"))
                grade = grade_from(rating, "OFSTEDRATING")
            except ValueError as exc:
                result.add_error(row.line, f"{exc}; the inspection was not imported")
                continue
            candidates.append(
                {
                    "school_id": schools[urn],
                    "inspection_date": inspection_date,
                    "overall_effectiveness": grade,
                    "overall_effectiveness_label": grade_label(rating, grade, inspection_date)[:50],
                    "source": "performance",
                }
            )
        # DO NOTHING on a clash: an inspection the portal has is left as it is.
        created = bulk_upsert(Inspection, candidates, unique_fields=["school", "inspection_date"])
        if created:
            result.count("inspections created", created)

    # ------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------
    def cells(self, row: Row, result: ImportResult) -> dict[str, Cell]:
        """measure -> Cell for every measure column; a cell that cannot be read
        is reported and left out (what the portal had for it stays)."""
        cells = {}
        for name, measure in self.measures.items():
            try:
                cells[name] = parse_result(row.get(name), name, measure)
            except ValueError as exc:
                result.add_error(row.line, f"{exc}; the rest of the row was imported")
        return cells

    def save_school_results(
        self, school_rows: list[tuple[Row, int]], schools: dict[int, int], result: ImportResult
    ) -> None:
        school_ids = [schools[urn] for _, urn in school_rows]
        existing = {
            (school_id, measure): (value, marker)
            for school_id, measure, value, marker in SchoolResult.objects.filter(
                school_id__in=school_ids, key_stage=self.key_stage, year=self.year
            ).values_list("school_id", "measure", "value", "marker")
        }
        upserts = []
        for row, urn in school_rows:
            school_id = schools[urn]
            for measure, cell in self.cells(row, result).items():
                if self.tally(existing.get((school_id, measure)), cell, result):
                    upserts.append(
                        {
                            "school_id": school_id,
                            "key_stage": self.key_stage,
                            "measure": measure,
                            "year": self.year,
                            "value": cell.value,
                            "marker": cell.marker,
                        }
                    )
        # Upserts: a chunk that crashed before or another import at the same
        # time never leaves two results for one school, measure and year.
        bulk_upsert(
            SchoolResult,
            upserts,
            unique_fields=["school", "key_stage", "measure", "year"],
            update_fields=["value", "marker"],
        )

    def area_code(self, row: Row, result: ImportResult) -> str | None:
        """'england', an LA code, or None (reported) for an average row."""
        name = row.get("SCHNAME")
        if "england" in name.casefold():
            code = AreaResult.ENGLAND
        elif not self.has_lea:
            self.unplaced_average_lines.append(row.line)
            return None
        else:
            la = self.local_authority(row.get("LEA"), self.la_name(name))
            if la is None:
                result.add_error(
                    row.line, f"the average row {name!r} has no valid LEA code ({row.get('LEA')!r}); it was skipped"
                )
                return None
            code = la.code
        if code in self.seen_areas:
            result.add_error(
                row.line, f"the average for {code} appears again (first on line {self.seen_areas[code]}); skipped"
            )
            return None
        self.seen_areas[code] = row.line
        return code

    @staticmethod
    def la_name(schname: str) -> str:
        """'Norfolk LA average' -> 'Norfolk'."""
        for suffix in (" la average", " average", " la"):
            if schname.casefold().endswith(suffix):
                return schname[: -len(suffix)].strip()
        return schname

    def save_area_results(self, area_rows: list[tuple[Row, str]], result: ImportResult) -> None:
        assert self.key_stage is not None  # prepare() refused a file without one
        if not area_rows:
            return
        existing = {
            (area, measure): (value, marker)
            for area, measure, value, marker in AreaResult.objects.filter(
                area_code__in=[a for _, a in area_rows], key_stage=self.key_stage, year=self.year
            ).values_list("area_code", "measure", "value", "marker")
        }
        upserts = []
        for row, area in area_rows:
            la = self.local_authorities.get(area)
            for measure, cell in self.cells(row, result).items():
                if self.tally(existing.get((area, measure)), cell, result):
                    upserts.append(
                        AreaResult(
                            area_code=area,
                            local_authority=la,
                            key_stage=self.key_stage,
                            measure=measure,
                            year=self.year,
                            value=cell.value,
                            marker=cell.marker,
                        )
                    )
            result.count("LA and England average rows")
        AreaResult.objects.bulk_create(
            upserts,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["area_code", "key_stage", "measure", "year"],
            update_fields=["value", "marker", "local_authority"],
        )

    @staticmethod
    def tally(before: tuple[Decimal | None, str] | None, cell: Cell, result: ImportResult) -> bool:
        """Count the result as created, updated or unchanged; True if it must be written."""
        if before is None:
            result.created += 1
            return True
        if before == (cell.value, cell.marker):
            result.unchanged += 1
            return False
        result.updated += 1
        return True
