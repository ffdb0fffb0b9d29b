"""Academic years, named by the year they end in (1 September to 31 August).

Plain date arithmetic, no models: the models, the school data and every app
read these.
"""

from __future__ import annotations

from datetime import date


def academic_year_of(day: date) -> int:
    """The academic year a day falls in, named by the year it ends in."""
    return day.year + 1 if day.month >= 9 else day.year


def academic_year_dates(year: int) -> tuple[date, date]:
    """1 September of year-1 to 31 August of `year`: the academic year ending in `year`."""
    return date(year - 1, 9, 1), date(year, 8, 31)


def academic_year_label(year: int) -> str:
    """2019 -> "2018/19"."""
    return f"{year - 1}/{str(year)[-2:]}"
