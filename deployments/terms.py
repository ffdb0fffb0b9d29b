"""The three English school terms, by dates, for reimbursement statements.

Schools set their own holidays, so the finance team pays by fixed calendar
terms that together cover the whole year: every day belongs to exactly one
term and no visit falls between two statements.

- Autumn: 1 September to 31 December
- Spring: 1 January to 31 March
- Summer: 1 April to 31 August

An academic year is named by the calendar year it ends in (2026 is 2025/26),
the one convention of the portal (lle_portal.schooldata), as the DfE names results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models

from lle_portal.academic_years import academic_year_dates, academic_year_label, academic_year_of


class Term(models.TextChoices):
    AUTUMN = "autumn", "Autumn term"
    SPRING = "spring", "Spring term"
    SUMMER = "summer", "Summer term"


@dataclass(frozen=True)
class TermDates:
    academic_year: int
    term: Term
    starts_on: date
    ends_on: date

    @property
    def label(self) -> str:
        return f"{self.term.label} {academic_year_label(self.academic_year)}"

    def __contains__(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def term_dates(academic_year: int, term: str) -> TermDates:
    """The dates of a term of the academic year ending in `academic_year`."""
    term = Term(term)
    starts, ends = academic_year_dates(academic_year)
    if term == Term.AUTUMN:
        return TermDates(academic_year, term, starts, date(starts.year, 12, 31))
    if term == Term.SPRING:
        return TermDates(academic_year, term, date(ends.year, 1, 1), date(ends.year, 3, 31))
    return TermDates(academic_year, term, date(ends.year, 4, 1), ends)


def term_for(day: date) -> TermDates:
    """The term a day falls in."""
    year = academic_year_of(day)
    if day.month >= 9:
        return term_dates(year, Term.AUTUMN)
    if day.month <= 3:
        return term_dates(year, Term.SPRING)
    return term_dates(year, Term.SUMMER)


def previous_term(day: date) -> TermDates:
    """The last term that has ended by `day`: the one finance is usually paying."""
    return term_for(term_for(day).starts_on - timedelta(days=1))
