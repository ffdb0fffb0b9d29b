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
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
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

    def skip(self, line: int, why: object) -> None:
        """A row left out, and why: "<why>; the row was skipped"."""
        self.add_error(line, f"{why}; the row was skipped")

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
    """A CSV file ready to be read twice: once to count the rows (for the
    progress bar), once to import them. It is read as a stream, a line at a
    time, never whole into memory: a national file or an oversized upload
    costs the same few kilobytes of memory as a small one."""

    def __init__(self, stream: IO[bytes], name: str = ""):
        # A seekable binary stream; the table does not close it (its opener does).
        self.name = name
        self._stream = stream
        stream.seek(0)
        if stream.read(4) == b"PK\x03\x04":
            raise ImportFileError(
                "This is an Excel workbook, not a CSV file. Open it in Excel and save it as "
                '"CSV UTF-8 (comma delimited)", then import that file.'
            )
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
    @contextmanager
    def open(cls, source: Source, name: str = "") -> Iterator[CsvTable]:
        """Read a path, bytes, or an open file (binary or text); a file the
        table opened itself is closed when the block ends."""
        with ExitStack() as stack:
            if isinstance(source, bytes):
                stream: IO[bytes] = io.BytesIO(source)
            elif isinstance(source, str | os.PathLike):
                path = Path(source)
                try:
                    stream = stack.enter_context(path.open("rb"))
                except (FileNotFoundError, IsADirectoryError) as exc:
                    raise ImportFileError(f"There is no file at {path}.") from exc
                name = name or path.name
            else:
                name = name or os.path.basename(getattr(source, "name", "") or "")
                stream = stack.enter_context(_seekable_bytes(source))
            yield cls(stream, name)

    @contextmanager
    def _text(self) -> Iterator[IO[str]]:
        """The stream from its start, decoded; handed back undecoded afterwards
        (closing a TextIOWrapper would close the file under it)."""
        self._stream.seek(0)
        text = io.TextIOWrapper(self._stream, encoding=self.encoding, newline="")
        try:
            yield text
        finally:
            text.detach()

    def _count_rows(self) -> int:
        """Count the data rows. This first pass also proves the whole file
        readable as CSV before the import writes anything."""
        with self._text() as text:
            reader = csv.reader(text)
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
        with self._text() as text:
            header = [c.strip() for c in next(csv.reader(text))]
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
        with self._text() as text:
            reader = csv.reader(text)
            next(reader)
            previous_end = reader.line_num
            for cells in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if any(c.strip() for c in cells):
                    yield Row(start, cells, self.columns)


@contextmanager
def _seekable_bytes(source: IO[bytes] | IO[str]) -> Iterator[IO[bytes]]:
    """An open file as a seekable binary stream. An uploaded or stored file
    is used as it is; a text stream or one that cannot seek is copied, a
    block at a time, into a temporary file (spilled to disk when large)."""
    inner = getattr(source, "file", source)  # a Django File wraps the real one
    if isinstance(inner, io.TextIOBase) or not _seekable(inner):
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:
            while block := source.read(COPY_BLOCK):
                copy.write(block.encode("utf-8") if isinstance(block, str) else block)
            copy.seek(0)
            yield copy
        return
    yield inner  # type: ignore[misc]  # getattr(source, "file") is Any; an IO[str] was copied above


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


# Copying a stream that cannot seek: in blocks of 1 MB, in memory up to 5 MB.
COPY_BLOCK = 1024 * 1024
SPOOL_BYTES = 5 * 1024 * 1024


def chunked(items: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class ImportScope:
    """The local authorities an adviser's import may touch.

    An importer given a scope updates only schools of these LAs, creates
    schools only in them, and never moves a school from one LA to another;
    every other row is refused, with its line, and the good rows load. An
    importer given no scope is a national import: the management commands
    (run by the site's operators) and a superuser's upload.
    """

    local_authority_ids: frozenset[int]

    @classmethod
    def of(cls, user) -> ImportScope:
        """The LAs `user` advises now; nothing for anyone who is not an active adviser."""
        if user is None or not user.is_active or not user.is_adviser:
            return cls(frozenset())
        return cls(frozenset(user.local_authorities.values_list("pk", flat=True)))

    def __contains__(self, local_authority_id: int | None) -> bool:
        return local_authority_id in self.local_authority_ids


# What a row says about where it belongs (see Importer.row_place).
ENGLAND = "england"
NO_LA = ""


@dataclass(frozen=True)
class RowPlace:
    """Where a row writes: the school it is about (by URN), and the LA code
    it would place that school in ("" for none; None when the row does not
    say). A row with no URN but an LA code writes that LA's own data (an
    average); "england" is England's."""

    urn: int | None = None
    la_code: str | None = None


class Importer:
    """Base of the three importers. A subclass names its required columns and
    implements `import_chunk`; `run` does the rest, including refusing the
    rows outside an adviser's scope before `import_chunk` sees them."""

    kind: ClassVar[str]
    record_name: ClassVar[str] = "records"
    required_columns: ClassVar[Sequence[str | tuple[str, ...]]] = ()
    chunk_size: ClassVar[int] = 2000
    # Whether a row about an unknown URN creates the school (else the
    # importer reports it and the scope check leaves it alone).
    creates_schools: ClassVar[bool] = False

    def __init__(self, *, progress: ProgressCallback | None = None, scope: ImportScope | None = None):
        self.progress = progress
        self.scope = scope

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
        with CsvTable.open(source, file_name) as table:
            return self._run(table, actor=actor, actor_label=actor_label, audit_target=audit_target)

    def _run(self, table: CsvTable, *, actor, actor_label: str, audit_target: models.Model | None) -> ImportResult:
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
            allowed = chunk if self.scope is None else self._within_scope(chunk, result)
            # One transaction per chunk: a failure leaves whole chunks only,
            # and the lock on SQLite is held for a chunk, not for the file.
            if allowed:
                with transaction.atomic():
                    self.import_chunk(allowed, result)
            processed += len(chunk)
            self._report(processed, table.total_rows)
        self.finish(result)
        # Problems found in a later pass over a chunk are listed in file order.
        result.errors.sort(key=lambda e: e.line)
        audit_data = result.as_audit_data()
        audit_data["scope"] = "national" if self.scope is None else sorted(self.scope.local_authority_ids)
        audit_record(
            verb="import.finished",
            target=audit_target,
            actor=actor,
            actor_label=actor_label or "import",
            data=audit_data,
        )
        return result

    # ------------------------------------------------------------------
    # The scope of an adviser's import
    # ------------------------------------------------------------------
    def row_place(self, row: Row) -> RowPlace:
        """Where the row writes. By default: the school of its URN, in no
        stated LA. Importers whose rows name an LA say so."""
        return RowPlace(urn=urn_or_none(row.get("URN")))

    def _within_scope(self, rows: list[Row], result: ImportResult) -> list[Row]:
        """The rows an adviser may import; the others reported, line by line.
        Two queries a chunk, whatever its size."""
        from ..models import LocalAuthority, School

        assert self.scope is not None
        places = [(row, self.row_place(row)) for row in rows]
        schools = {
            urn: (la_id, la_name)
            for urn, la_id, la_name in School.objects.filter(
                urn__in={p.urn for _, p in places if p.urn is not None}
            ).values_list("urn", "local_authority_id", "local_authority__name")
        }
        local_authorities = {
            code: (pk, name)
            for code, pk, name in LocalAuthority.objects.filter(
                code__in={p.la_code for _, p in places if p.la_code}
            ).values_list("code", "pk", "name")
        }
        allowed = []
        for row, place in places:
            refusal = self._refusal(place, schools, local_authorities)
            if refusal:
                result.skip(row.line, refusal)
            else:
                allowed.append(row)
        return allowed

    def _refusal(
        self,
        place: RowPlace,
        schools: dict[int, tuple[int | None, str | None]],
        local_authorities: dict[str, tuple[int, str]],
    ) -> str | None:
        """Why an adviser may not import a row to `place`, or None if they may."""
        scope = self.scope
        assert scope is not None
        code = place.la_code

        def la_label(code: str) -> str:
            return local_authorities[code][1] if code in local_authorities else f"LA {code}"

        def in_scope(code: str) -> bool:
            return code in local_authorities and local_authorities[code][0] in scope

        if place.urn is None:
            if code is None or code == NO_LA:
                return None  # not about a school nor an area: the importer reports it
            if code == ENGLAND:
                return "the average for England is national data: only a national import changes it"
            if not in_scope(code):
                return f"the average for {la_label(code)} is not for one of your local authorities"
            return None

        urn = place.urn
        if urn in schools:
            la_id, la_name = schools[urn]
            if la_id is None:
                return f"URN {urn} is in no local authority, so not in one of yours"
            if la_id not in scope:
                return f"URN {urn} is in {la_name}, not one of your local authorities"
            if code is not None and (code == NO_LA or local_authorities.get(code, (None,))[0] != la_id):
                target = "no local authority" if code == NO_LA else la_label(code)
                return (
                    f"the row would move URN {urn} from {la_name} to {target}: only a national import "
                    "moves a school between local authorities"
                )
            return None
        if not self.creates_schools:
            return None  # an unknown school: the importer reports it
        if not code:
            return f"URN {urn} would be a new school in no local authority, so not in one of yours"
        if not in_scope(code):
            return f"URN {urn} would be a new school in {la_label(code)}, not one of your local authorities"
        return None

    @staticmethod
    def _usable_rows(table: CsvTable, result: ImportResult) -> Iterator[Row]:
        for row in table.rows():
            # PostgreSQL refuses NUL in text, which would fail the whole chunk.
            if row.has_nul():
                result.skip(row.line, "the row has a NUL character (the file may be damaged)")
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


def urn_or_none(text: str) -> int | None:
    """The URN a cell gives, or None when it gives none (the importer reports that)."""
    try:
        return parse_urn(text)
    except ValueError:
        return None


def la_code_or_none(text: str) -> str | None:
    """A three-digit LA code ("926"; "26" read as "026"), or None."""
    code = text.strip()
    if code.isdigit() and len(code) < 3:
        code = code.zfill(3)
    return code if code.isdigit() and len(code) == 3 else None


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
    max_length = model._meta.get_field(field_name).max_length  # type: ignore[union-attr]  # a concrete Field
    return value[:max_length] if max_length else value
