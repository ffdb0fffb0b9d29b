"""What every importer of an official data file shares.

A file is read by column *name* (matched ignoring case and spaces), never by
position. Required columns are checked before anything is written, so a file
of the wrong kind loads nothing. Each row keeps its real line number in the
file (the header is line 1), and every row or cell that cannot be used is
reported in plain words while the good rows load.

Rows are handled in chunks: each chunk is written in one transaction with
bulk queries, and the progress callback runs between chunks (outside any
transaction, so that the admin page can see the progress of a running job).
Every write is an upsert on a natural key, so a crash part-way through leaves
no duplicates and importing the file again completes it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, ClassVar

from django.db import models, transaction

from ..audit import audit_record

# (processed rows, total rows)
ProgressCallback = Callable[[int, int], None]
Source = str | os.PathLike | bytes | IO[bytes] | IO[str]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong kind, missing columns,
    unreadable). Nothing has been written when this is raised."""


@lru_cache(maxsize=1024)
def normalise_column(name: str) -> str:
    """Column names compare ignoring case and all whitespace:
    ``"Inspection  End date "`` matches ``"inspection end date"``."""
    return re.sub(r"\s+", "", name).casefold()


@dataclass(frozen=True)
class RowError:
    """A row (or one cell of a row) that could not be used."""

    line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    """What an import did. `created`/`updated`/`unchanged` count the importer's
    main records (schools for GIAS, inspections for Ofsted, results for the
    performance tables); `details` holds the other counts worth showing."""

    kind: str
    file_name: str = ""
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    details: dict[str, int] = field(default_factory=dict)
    record_name: str = "records"
    # What the file was read as, when it matters: "KS4 results for 2019".
    description: str = ""

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def add_error(self, line: int, reason: str) -> None:
        self.errors.append(RowError(line, reason))

    def count(self, key: str, n: int = 1) -> None:
        self.details[key] = self.details.get(key, 0) + n

    def summary(self) -> str:
        """One line for people: what was created, updated, and how many problems."""
        parts = [self.description] if self.description else []
        parts += [
            f"{self.total_rows:,} rows read",
            f"{self.created:,} {self.record_name} created",
            f"{self.updated:,} updated",
            f"{self.unchanged:,} unchanged",
        ]
        parts += [f"{label}: {n:,}" for label, n in self.details.items()]
        parts.append(f"{self.error_count:,} problem{'s' if self.error_count != 1 else ''} reported")
        return "; ".join(parts) + "."

    def as_audit_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file_name,
            "read as": self.description,
            "rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.error_count,
            "details": dict(self.details),
        }


class Row:
    """One data row: cells looked up by column name, with its line number."""

    __slots__ = ("_cells", "_columns", "line")

    def __init__(self, line: int, cells: list[str], columns: dict[str, int]):
        self.line = line
        self._cells = cells
        self._columns = columns

    def has_nul(self) -> bool:
        return any("\x00" in cell for cell in self._cells)

    def get(self, column: str) -> str:
        """The cell under `column`, stripped; "" when the column or cell is absent."""
        index = self._columns.get(normalise_column(column))
        if index is None or index >= len(self._cells):
            return ""
        return self._cells[index].strip()


class CsvTable:
    """A CSV file decoded and ready to be read twice: once to count the rows
    (for the progress bar), once to import them. Holds the raw bytes only."""

    def __init__(self, data: bytes, name: str = ""):
        self.name = name
        if data[:4] == b"PK\x03\x04":
            raise ImportFileError(
                "This is an Excel workbook, not a CSV file. Open it in Excel and save it as "
                '"CSV UTF-8 (comma delimited)", then import that file.'
            )
        self._data = data
        # Official files are UTF-8 (often with a byte order mark), but GIAS
        # downloads have long been Windows-1252: fall back rather than refuse.
        self.encoding = "utf-8-sig"
        try:
            self.total_rows = self._count_rows()
        except UnicodeDecodeError:
            self.encoding = "cp1252"
            try:
                self.total_rows = self._count_rows()
            except UnicodeDecodeError:
                # Five bytes mean nothing in Windows-1252 (a Latin-1 file, or a
                # stray byte): Latin-1 reads every byte, so the good rows still load.
                self.encoding = "latin-1"
                self.total_rows = self._count_rows()
        self.header = self._read_header()
        self.columns: dict[str, int] = {}
        for index, column in enumerate(self.header):
            # The first of two columns with the same name wins.
            self.columns.setdefault(normalise_column(column), index)

    @classmethod
    def open(cls, source: Source, name: str = "") -> CsvTable:
        """Read a path, bytes, or an open file (binary or text)."""
        if isinstance(source, bytes):
            return cls(source, name)
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            try:
                return cls(path.read_bytes(), name or path.name)
            except FileNotFoundError as exc:
                raise ImportFileError(f"There is no file at {path}.") from exc
        content = source.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        return cls(content, name or os.path.basename(getattr(source, "name", "") or ""))

    def _reader(self) -> Iterator[list[str]]:
        text = io.TextIOWrapper(io.BytesIO(self._data), encoding=self.encoding, newline="")
        return csv.reader(text)

    def _count_rows(self) -> int:
        """Count the data rows. This first pass also proves the whole file
        readable as CSV before the import writes anything."""
        reader = self._reader()
        try:
            if next(reader, None) is None:
                raise ImportFileError("The file is empty: there is no header row.")
            return sum(1 for cells in reader if any(c.strip() for c in cells))
        except csv.Error as exc:
            # E.g. a stray quote that makes one value swallow the rest of the
            # file until it passes the csv module's size limit.
            raise ImportFileError(
                f"The file cannot be read as CSV near line {reader.line_num}: {exc}. Nothing was imported."
            ) from exc

    def _read_header(self) -> list[str]:
        header = next(self._reader())
        header = [c.strip() for c in header]
        if not any(header):
            raise ImportFileError("The first line of the file should name the columns, but it is empty.")
        return header

    def has(self, column: str) -> bool:
        return normalise_column(column) in self.columns

    def first_present(self, *alternatives: str) -> str | None:
        """The first of several names a column has had over the years that this file uses."""
        return next((c for c in alternatives if self.has(c)), None)

    def require(self, required: Sequence[str | tuple[str, ...]]) -> None:
        """Raise ImportFileError naming every required column the file lacks.

        A tuple lists alternative names of one column (files renamed it over time).
        """
        missing = []
        for spec in required:
            alternatives = (spec,) if isinstance(spec, str) else spec
            if not any(self.has(c) for c in alternatives):
                others = "".join(f' (or "{c}")' for c in alternatives[1:])
                missing.append(f'"{alternatives[0]}"{others}')
        if missing:
            columns = "the column " if len(missing) == 1 else "these columns: "
            raise ImportFileError(
                f"The file lacks {columns}{'; '.join(missing)}. Nothing was imported. "
                f"Check that this is the right kind of file; its columns are: "
                f"{', '.join(c for c in self.header if c)[:500]}."
            )

    def rows(self) -> Iterator[Row]:
        """Data rows with their line number in the file (the header is line 1).

        A quoted value may span lines, so a row's line is where it starts.
        Blank lines are skipped but still counted.
        """
        reader = self._reader()
        next(reader)
        previous_end = reader.line_num
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if any(c.strip() for c in cells):
                yield Row(start, cells, self.columns)


def chunked(items: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Importer:
    """Base of the three importers. A subclass names its required columns and
    implements `import_chunk`; `run` does the rest."""

    kind: ClassVar[str]
    record_name: ClassVar[str] = "records"
    required_columns: ClassVar[Sequence[str | tuple[str, ...]]] = ()
    chunk_size: ClassVar[int] = 2000

    def __init__(self, *, progress: ProgressCallback | None = None):
        self.progress = progress

    def run(
        self,
        source: Source,
        *,
        file_name: str = "",
        actor=None,
        actor_label: str = "",
        audit_target: models.Model | None = None,
    ) -> ImportResult:
        """Import a file; return what happened. Raises ImportFileError (and
        writes nothing) when the file as a whole cannot be used."""
        table = CsvTable.open(source, file_name)
        table.require(self.required_columns)
        self.prepare(table)
        result = ImportResult(
            kind=self.kind,
            file_name=table.name,
            total_rows=table.total_rows,
            record_name=self.record_name,
            description=self.describe(),
        )
        self._report(0, table.total_rows)
        processed = 0
        for chunk in chunked(self._usable_rows(table, result), self.chunk_size):
            # One transaction per chunk: a failure leaves whole chunks only,
            # and the lock on SQLite is held for a chunk, not for the file.
            with transaction.atomic():
                self.import_chunk(chunk, result)
            processed += len(chunk)
            self._report(processed, table.total_rows)
        self.finish(result)
        # Problems found in a later pass over a chunk are listed in file order.
        result.errors.sort(key=lambda e: e.line)
        audit_record(
            verb="import.finished",
            target=audit_target,
            actor=actor,
            actor_label=actor_label or "import",
            data=result.as_audit_data(),
        )
        return result

    @staticmethod
    def _usable_rows(table: CsvTable, result: ImportResult) -> Iterator[Row]:
        for row in table.rows():
            # PostgreSQL refuses NUL in text, which would fail the whole chunk.
            if row.has_nul():
                result.add_error(row.line, "the row has a NUL character (the file may be damaged); the row was skipped")
                continue
            yield row

    def _report(self, processed: int, total: int) -> None:
        if self.progress is not None:
            self.progress(processed, total)

    def prepare(self, table: CsvTable) -> None:
        """Look at the header once (which optional columns exist) before the rows."""
        self.table = table

    def describe(self) -> str:
        """What the file is read as, for the summary (after `prepare`)."""
        return ""

    def import_chunk(self, rows: list[Row], result: ImportResult) -> None:
        """Write one chunk of rows (inside a transaction); count and report into `result`."""
        raise NotImplementedError

    def finish(self, result: ImportResult) -> None:
        """Called once after the last chunk, e.g. to report something once per file."""


# --------------------------------------------------------------------------
# Reading cells. Each parser returns the value or raises ValueError with a
# message fit to show the adviser.
# --------------------------------------------------------------------------


# The largest value of a PositiveIntegerField on PostgreSQL: a larger number
# in a file would fail the whole chunk's INSERT.
MAX_INTEGER = 2_147_483_647


def parse_urn(text: str) -> int:
    try:
        urn = int(text)
    except ValueError:
        raise ValueError(f"the URN {text!r} is not a number") from None
    if urn <= 0:
        raise ValueError(f"the URN {text!r} is not a positive number")
    if urn > MAX_INTEGER:
        raise ValueError(f"the URN {text!r} is too large to be a URN")
    return urn


DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%Y%m%d")


def parse_date(text: str, column: str, formats: Sequence[str] = DATE_FORMATS) -> date | None:
    """A date in one of `formats`; None when empty."""
    if not text or text.upper() == "NULL":
        return None
    # Spreadsheets re-saving a file add a time: "01/02/2019 00:00:00".
    text = text.split(" ")[0]
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{column} {text!r} is not a date")


def parse_int(text: str, column: str) -> int | None:
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{column} {text!r} is not a whole number") from None
    if not number.is_finite():
        raise ValueError(f"{column} {text!r} is not a whole number")
    if number < 0:
        raise ValueError(f"{column} {text!r} is negative")
    # Compared as a Decimal: int() of "1e999999" would build a million-digit number.
    if number > MAX_INTEGER:
        raise ValueError(f"{column} {text!r} is too large")
    return int(number)


def parse_decimal(text: str, column: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.rstrip("%").replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{column} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{column} {text!r} is not a number")
    return value


SIX_PLACES = Decimal("0.000001")


def coordinate(value: float | Decimal | None) -> Decimal | None:
    """Latitude/longitude as stored: six decimal places (about 10 cm)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(SIX_PLACES)


def fit(model: type[models.Model], field_name: str, value: str) -> str:
    """Cut text to the column's length: a long name in a file must not fail the
    whole chunk on PostgreSQL (SQLite would store it uncut)."""
    max_length = model._meta.get_field(field_name).max_length
    return value[:max_length] if max_length else value
