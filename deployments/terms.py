"""The three English school terms, by dates, for reimbursement statements.

Schools set their own holidays, so the finance team pays by fixed calendar
terms that together cover the whole year: every day belongs to exactly one
term and no visit falls between two statements.

- Autumn: 1 September to 31 December
- Spring: 1 January to 31 March
- Summer: 1 April to 31 August

An academic year is named by the calendar year it starts in (2025 is 2025/26).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models


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
        return f"{self.term.label} {self.academic_year}/{str(self.academic_year + 1)[-2:]}"

    def __contains__(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def term_dates(academic_year: int, term: str) -> TermDates:
    term = Term(term)
    if term == Term.AUTUMN:
        return TermDates(academic_year, term, date(academic_year, 9, 1), date(academic_year, 12, 31))
    if term == Term.SPRING:
        return TermDates(academic_year, term, date(academic_year + 1, 1, 1), date(academic_year + 1, 3, 31))
    return TermDates(academic_year, term, date(academic_year + 1, 4, 1), date(academic_year + 1, 8, 31))


def term_for(day: date) -> TermDates:
    """The term a day falls in."""
    if day.month >= 9:
        return term_dates(day.year, Term.AUTUMN)
    if day.month <= 3:
        return term_dates(day.year - 1, Term.SPRING)
    return term_dates(day.year - 1, Term.SUMMER)


def previous_term(day: date) -> TermDates:
    """The last term that has ended by `day`: the one finance is usually paying."""
    return term_for(term_for(day).starts_on - timedelta(days=1))
