"""Import of the GIAS establishment extract: the master list of schools.

Creates or updates each School by URN (importing again updates in place) and
its LocalAuthority. GIAS is the truth for every column it has: a value it
leaves empty empties the portal's field too, except coordinates, which a
performance-table file may have given and GIAS may lack.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from pyproj import Transformer

from ..models import LocalAuthority, School
from .base import (
    NO_LA,
    CsvTable,
    Importer,
    ImportResult,
    Row,
    RowPlace,
    coordinate,
    fit,
    parse_date,
    parse_decimal,
    parse_int,
    parse_urn,
    urn_or_none,
)
from .sql import bulk_upsert
from .vocab import blank_if_not_applicable, phase_from, status_from

# Text columns copied as they are (after trimming), column -> School field.
TEXT_COLUMNS: dict[str, str] = {
    "EstablishmentNumber": "establishment_number",
    "TypeOfEstablishment (name)": "type_name",
    "EstablishmentTypeGroup (name)": "type_group",
    "Street": "street",
    "Town": "town",
    "Postcode": "postcode",
    "SchoolWebsite": "website",
    "HeadPreferredJobTitle": "head_job_title",
    "ReligiousCharacter (name)": "religious_character",
}
# Name columns where GIAS writes "Not applicable" for "none".
NAME_COLUMNS: dict[str, str] = {
    "Trusts (name)": "trust",
    "Federations (name)": "federation",
    "Diocese (name)": "diocese",
}
HEAD_COLUMNS = ("HeadTitle (name)", "HeadFirstName", "HeadLastName")

# British National Grid bounds (metres): anything outside is a typo.
EASTING_RANGE = (1, 700_000)
NORTHING_RANGE = (1, 1_300_000)

_local = threading.local()


def bng_to_wgs84() -> Transformer:
    """Easting/Northing (EPSG:27700) to longitude/latitude (EPSG:4326).

    Building a Transformer reads the PROJ database, so it is built once per
    thread (a Transformer must not be shared between threads).
    """
    transformer = getattr(_local, "transformer", None)
    if transformer is None:
        transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
        _local.transformer = transformer
    return transformer


class GiasImporter(Importer):
    """GIAS establishments -> School and LocalAuthority."""

    kind = "gias"
    record_name = "schools"
    required_columns = ("URN", "EstablishmentName", "LA (code)", "LA (name)")
    creates_schools = True

    def row_place(self, row: Row) -> RowPlace:
        # GIAS is the truth for a school's LA: the row places it in its LA
        # code's LA, or in none (000 "Does not apply", or a code that is not one).
        code = row.get("LA (code)")
        valid = code.isdigit() and len(code) == 3 and code.strip("0") != ""
        return RowPlace(urn=urn_or_none(row.get("URN")), la_code=code if valid else NO_LA)

    def prepare(self, table: CsvTable) -> None:
        super().prepare(table)
        self.local_authorities = {la.code: la for la in LocalAuthority.objects.all()}
        self.la_names_checked: set[str] = set()
        self.seen_urns: dict[int, int] = {}  # URN -> line it was first seen on
        self.has_coordinates = table.has("Easting") and table.has("Northing")

    def import_chunk(self, rows: list[Row], result: ImportResult) -> None:
        parsed: list[tuple[int, dict[str, Any]]] = []
        grid: list[tuple[dict[str, Any], float, float]] = []
        for row in rows:
            try:
                urn = parse_urn(row.get("URN"))
            except ValueError as exc:
                result.skip(row.line, exc)
                continue
            if urn in self.seen_urns:
                result.skip(row.line, f"URN {urn} appears again (first on line {self.seen_urns[urn]})")
                continue
            name = row.get("EstablishmentName")
            if not name:
                result.skip(row.line, f"URN {urn} has no EstablishmentName")
                continue
            self.seen_urns[urn] = row.line
            values = self.values_from(row, name, result)
            parsed.append((urn, values))
            if self.has_coordinates:
                point = self.grid_reference(row, result)
                if point:
                    grid.append((values, *point))
        self.add_coordinates(grid)

        existing = School.objects.in_bulk([urn for urn, _ in parsed], field_name="urn")
        now = timezone.now()
        new: list[dict[str, Any]] = []
        changed: list[School] = []
        changed_fields: set[str] = set()
        for urn, values in parsed:
            school = existing.get(urn)
            if school is None:
                new.append({"urn": urn, **values})
                continue
            fields = [name for name, value in values.items() if getattr(school, name) != value]
            if fields:
                for name in fields:
                    setattr(school, name, values[name])
                # bulk_update does not run auto_now.
                school.updated_at = now
                changed.append(school)
                changed_fields.update(fields)
        # A national extract has 50,000 schools: insert them the fast way. A
        # school another import created meanwhile is left for the next run.
        bulk_upsert(School, new, unique_fields=["urn"])
        if changed:
            School.objects.bulk_update(changed, sorted(changed_fields | {"updated_at"}), batch_size=500)
        result.created += len(new)
        result.updated += len(changed)
        result.unchanged += len(parsed) - len(new) - len(changed)

    def values_from(self, row: Row, name: str, result: ImportResult) -> dict[str, Any]:
        """The School fields this row gives. Only columns the file has are
        set; a cell that cannot be read is reported and left out, so the
        school keeps what it had."""
        table = self.table
        values: dict[str, Any] = {"name": fit(School, "name", name), "source": School.Source.GIAS}
        # The id, not the object: comparing objects would fetch each school's LA.
        la = self.local_authority(row, result)
        values["local_authority_id"] = la.pk if la else None
        for column, field in TEXT_COLUMNS.items():
            if table.has(column):
                values[field] = fit(School, field, row.get(column))
        for column, field in NAME_COLUMNS.items():
            if table.has(column):
                values[field] = fit(School, field, blank_if_not_applicable(row.get(column)))
        if table.has("PhaseOfEducation (name)"):
            values["phase"] = phase_from(row.get("PhaseOfEducation (name)"))
        if table.has("EstablishmentStatus (name)"):
            values["status"] = status_from(row.get("EstablishmentStatus (name)"))
        if table.has("TypeOfEstablishment (name)") or table.has("EstablishmentTypeGroup (name)"):
            kind = f"{row.get('TypeOfEstablishment (name)')} {row.get('EstablishmentTypeGroup (name)')}"
            values["is_special"] = "special" in kind.casefold()
        if any(table.has(c) for c in HEAD_COLUMNS):
            title, first, last = (blank_if_not_applicable(row.get(c)) for c in HEAD_COLUMNS)
            values["head_name"] = fit(School, "head_name", " ".join(p for p in (title, first, last) if p))

        parsers = {
            "OpenDate": ("open_date", gias_date),
            "CloseDate": ("close_date", gias_date),
            "NumberOfPupils": ("number_of_pupils", parse_int),
            "PercentageFSM": ("percentage_fsm", percentage_fsm),
        }
        for column, (field, parse) in parsers.items():
            if table.has(column):
                try:
                    values[field] = parse(row.get(column), column)
                except ValueError as exc:
                    result.add_error(row.line, f"{exc}; the rest of the row was imported")
        return values

    def local_authority(self, row: Row, result: ImportResult) -> LocalAuthority | None:
        """The row's LA, created the first time the file names it."""
        code, name = row.get("LA (code)"), row.get("LA (name)")
        # GIAS gives 000 "Does not apply" for establishments outside any LA.
        if not code or code.strip("0") == "":
            return None
        if not (code.isdigit() and len(code) == 3):
            result.add_error(row.line, f"LA (code) {code!r} is not a three-digit LA code; the school has no LA")
            return None
        la = self.local_authorities.get(code)
        if la is None:
            la = LocalAuthority.objects.create(code=code, name=fit(LocalAuthority, "name", name or code))
            self.local_authorities[code] = la
            self.la_names_checked.add(code)
            result.count("local authorities created")
        elif code not in self.la_names_checked:
            # GIAS holds the official name: take it (once per file).
            self.la_names_checked.add(code)
            if name and la.name != name:
                la.name = fit(LocalAuthority, "name", name)
                la.save(update_fields=["name"])
        return la

    @staticmethod
    def grid_reference(row: Row, result: ImportResult) -> tuple[float, float] | None:
        """(easting, northing), or None when the row has none or a wrong one."""
        easting, northing = row.get("Easting"), row.get("Northing")
        if not easting or not northing or easting == "0" or northing == "0":
            return None
        try:
            e, n = float(easting), float(northing)
        except ValueError:
            result.add_error(row.line, f"Easting/Northing {easting!r}/{northing!r} are not numbers; no map position")
            return None
        if not (EASTING_RANGE[0] <= e <= EASTING_RANGE[1] and NORTHING_RANGE[0] <= n <= NORTHING_RANGE[1]):
            result.add_error(
                row.line, f"Easting/Northing {easting}/{northing} are outside Great Britain; no map position"
            )
            return None
        return e, n

    @staticmethod
    def add_coordinates(grid: list[tuple[dict[str, Any], float, float]]) -> None:
        """Latitude/longitude from Easting/Northing, converted for the whole
        chunk in one call (pyproj is much faster on lists than point by point)."""
        if not grid:
            return
        longitudes, latitudes = bng_to_wgs84().transform([g[1] for g in grid], [g[2] for g in grid])
        for (values, _e, _n), lon, lat in zip(grid, longitudes, latitudes, strict=True):
            values["latitude"] = coordinate(round(lat, 6))
            values["longitude"] = coordinate(round(lon, 6))


def gias_date(text: str, column: str) -> date | None:
    """GIAS writes dd-mm-yyyy; a file re-saved by a spreadsheet may use / or ISO."""
    return parse_date(text, column, ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"))


def percentage_fsm(text: str, column: str) -> Decimal | None:
    value = parse_decimal(text, column)
    if value is None:
        return None
    if not 0 <= value <= 100:
        raise ValueError(f"{column} {text!r} is not a percentage")
    return value.quantize(Decimal("0.01"))
