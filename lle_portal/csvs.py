"""The one way the portal writes CSV files.

A CSV file is opened in a spreadsheet, and a spreadsheet runs a cell that
starts with "=", "+", "-" or "@" as a formula (and some read a leading tab or
carriage return the same way): an LLE named `=HYPERLINK("http://x","y")`
would put a live link, or worse, in the finance team's statement. Every CSV
the site produces goes through `writer` or `dict_writer`, which neutralise
such cells the OWASP way: a leading apostrophe, so the cell shows what was
typed and never runs.

Numbers stay numbers. A cell given as a Python number (int, Decimal, float)
is written as it is, so a genuine negative amount (-12.50) is still read as a
number; only text is neutralised, so "-12.50" typed into a name field comes
out as '-12.50, text. Callers therefore pass amounts as Decimals, not as
formatted strings. (lle_portal/tests/test_csvs.py checks that no other module
of the site writes CSV by itself.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any

# What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet can only read as data (see the module's docstring)."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    # Leading spaces are skipped by some spreadsheets before they look for "=".
    if text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer with every cell passed through `safe_cell`."""

    def __init__(self, out: IO[str], **kwargs: Any):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """csv.DictWriter with every cell (the header too) passed through `safe_cell`."""

    def __init__(self, out: IO[str], fieldnames: list[str], **kwargs: Any):
        self.fieldnames = fieldnames
        self._writer = csv.DictWriter(out, fieldnames=fieldnames, **kwargs)

    def writeheader(self) -> Any:
        return self._writer.writerow({name: safe_cell(name) for name in self.fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._writer.writerow({key: safe_cell(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str], **kwargs: Any) -> SafeWriter:
    return SafeWriter(out, **kwargs)


def dict_writer(out: IO[str], fieldnames: list[str], **kwargs: Any) -> SafeDictWriter:
    return SafeDictWriter(out, fieldnames, **kwargs)
