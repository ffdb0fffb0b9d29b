"""School days: each LA's term dates and bank holidays, as data.

An LA's adviser enters a school year's term dates in the admin
(SchoolYearCalendar, with its terms and bank holidays). A year the LA has not
entered follows England's usual pattern, computed here:

- Autumn term: the first weekday of September to the Friday of the week of
  18 December, with half-term the last full week of October (its Monday on or
  before 28 October).
- Spring term: the first weekday from 4 January to the Friday a week before
  Good Friday, with half-term the week whose Monday is on or after 12 February.
- Summer term: the Monday after Easter week to the last weekday on or before
  22 July, with half-term the week of the Spring bank holiday (late May).
- Bank holidays of England and Wales: New Year's Day, Good Friday, Easter
  Monday, the early May, spring and summer bank holidays, Christmas Day and
  Boxing Day, with substitute days when one falls at a weekend, and the
  one-off changes the government announced.

A school day is a weekday within a term, not in its half-term and not a bank
holiday. The finance periods of reimbursement statements (deployments/terms.py)
are another thing: fixed calendar periods that cover the whole year.

An academic year is named by the calendar year it ends in (2027 is 2026/27),
as everywhere in the portal (lle_portal.schooldata).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from dateutil.easter import easter

from .academic_years import academic_year_dates, academic_year_label, academic_year_of

AUTUMN, SPRING, SUMMER = "autumn", "spring", "summer"
TERM_NAMES = {AUTUMN: "Autumn term", SPRING: "Spring term", SUMMER: "Summer term"}
HALF_TERM_NAMES = {AUTUMN: "October half-term", SPRING: "February half-term", SUMMER: "May half-term"}
ORDER = (AUTUMN, SPRING, SUMMER)
SATURDAY = 5


def _is_weekday(day: date) -> bool:
    return day.weekday() < SATURDAY


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _first_weekday_on_or_after(day: date) -> date:
    while not _is_weekday(day):
        day += timedelta(days=1)
    return day


def _last_weekday_on_or_before(day: date) -> date:
    while not _is_weekday(day):
        day -= timedelta(days=1)
    return day


# --------------------------------------------------------------------------
# England's usual pattern
# --------------------------------------------------------------------------

# Bank holidays the government moved or added (gov.uk/bank-holidays): moved
# days name the usual date they replace.
_ONE_OFF_MOVES = {
    date(2020, 5, 4): (date(2020, 5, 8), "Early May bank holiday (VE day)"),
    date(2022, 5, 30): (date(2022, 6, 2), "Spring bank holiday"),
    date(2012, 5, 28): (date(2012, 6, 4), "Spring bank holiday"),
}
_ONE_OFF_EXTRAS = {
    date(2011, 4, 29): "Royal wedding",
    date(2012, 6, 5): "Queen's Diamond Jubilee",
    date(2022, 6, 3): "Platinum Jubilee bank holiday",
    date(2022, 9, 19): "Bank holiday for the State Funeral of Queen Elizabeth II",
    date(2023, 5, 8): "Bank holiday for the coronation of King Charles III",
}


@cache
def england_bank_holidays(year: int) -> dict[date, str]:
    """The bank holidays of England and Wales in a calendar year, by date."""
    days: dict[date, str] = {}
    new_year = date(year, 1, 1)
    if _is_weekday(new_year):
        days[new_year] = "New Year's Day"
    else:
        days[_first_weekday_on_or_after(new_year)] = "New Year's Day (substitute day)"
    easter_sunday = easter(year)
    days[easter_sunday - timedelta(days=2)] = "Good Friday"
    days[easter_sunday + timedelta(days=1)] = "Easter Monday"
    may_first = date(year, 5, 1)
    days[may_first + timedelta(days=(7 - may_first.weekday()) % 7)] = "Early May bank holiday"
    days[_monday_of(date(year, 5, 31))] = "Spring bank holiday"
    days[_monday_of(date(year, 8, 31))] = "Summer bank holiday"
    # Christmas and Boxing Day; one at a weekend moves to the next weekday not already a holiday.
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    weekend = []
    for day, name in ((christmas, "Christmas Day"), (boxing, "Boxing Day")):
        if _is_weekday(day):
            days[day] = name
        else:
            weekend.append(name)
    substitute = date(year, 12, 27)
    for name in weekend:
        while not _is_weekday(substitute) or substitute in days:
            substitute += timedelta(days=1)
        days[substitute] = f"{name} (substitute day)"
    for usual, (moved, name) in _ONE_OFF_MOVES.items():
        if usual.year == year and usual in days:
            del days[usual]
            days[moved] = name
    days.update({day: name for day, name in _ONE_OFF_EXTRAS.items() if day.year == year})
    return dict(sorted(days.items()))


def england_bank_holidays_between(first: date, last: date) -> dict[date, str]:
    days: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        days.update({day: name for day, name in england_bank_holidays(year).items() if first <= day <= last})
    return days


@dataclass(frozen=True)
class TermSpan:
    """One term of a school year, with its half-term holiday."""

    academic_year: int
    term: str
    starts_on: date
    ends_on: date
    half_term_starts_on: date
    half_term_ends_on: date
    # False: England's usual pattern, the LA has not entered this term.
    entered: bool = False

    @property
    def name(self) -> str:
        return TERM_NAMES[self.term]

    @property
    def label(self) -> str:
        return f"{self.name} {academic_year_label(self.academic_year)}"

    @property
    def half_term_name(self) -> str:
        return HALF_TERM_NAMES[self.term]

    def __contains__(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def in_half_term(self, day: date) -> bool:
        return self.half_term_starts_on <= day <= self.half_term_ends_on


@dataclass(frozen=True)
class SchoolYear:
    academic_year: int
    terms: tuple[TermSpan, ...]
    bank_holidays: dict[date, str] = field(default_factory=dict)
    # True: the LA entered this year (its bank holidays are the ones it listed).
    entered: bool = False

    @property
    def label(self) -> str:
        return academic_year_label(self.academic_year)


def england_terms(academic_year: int) -> tuple[TermSpan, ...]:
    """England's usual terms of the academic year ending in `academic_year`."""
    autumn_year, year = academic_year - 1, academic_year
    october_half = _monday_of(date(autumn_year, 10, 28))
    december_week = _monday_of(date(autumn_year, 12, 18))
    holidays = england_bank_holidays(year)

    def first_open(day: date) -> date:
        # A term never starts on a bank holiday (an early May Monday after a late Easter).
        day = _first_weekday_on_or_after(day)
        while day in holidays:
            day = _first_weekday_on_or_after(day + timedelta(days=1))
        return day

    spring_start = first_open(date(year, 1, 4))
    february_half = date(year, 2, 12) + timedelta(days=(7 - date(year, 2, 12).weekday()) % 7)
    good_friday = easter(year) - timedelta(days=2)
    may_half = _monday_of(date(year, 5, 31))
    return (
        TermSpan(academic_year, AUTUMN, _first_weekday_on_or_after(date(autumn_year, 9, 1)),
                 december_week + timedelta(days=4), october_half, october_half + timedelta(days=4)),
        TermSpan(academic_year, SPRING, spring_start, good_friday - timedelta(days=7),
                 february_half, february_half + timedelta(days=4)),
        TermSpan(academic_year, SUMMER, first_open(good_friday + timedelta(days=10)),
                 _last_weekday_on_or_before(date(year, 7, 22)), may_half, may_half + timedelta(days=4)),
    )


def england_school_year(academic_year: int) -> SchoolYear:
    return SchoolYear(academic_year, england_terms(academic_year),
                      england_bank_holidays_between(*academic_year_dates(academic_year)))


# --------------------------------------------------------------------------
# An LA's calendar
# --------------------------------------------------------------------------


class SchoolCalendar:
    """The school days of one LA (or England's usual pattern, for no LA).
    Each academic year is read from the database once per calendar object."""

    def __init__(self, local_authority=None):
        self.la_id = getattr(local_authority, "pk", local_authority)
        self._years: dict[int, SchoolYear] = {}

    def year(self, academic_year: int) -> SchoolYear:
        if academic_year not in self._years:
            self._years[academic_year] = self._load(academic_year)
        return self._years[academic_year]

    def _load(self, academic_year: int) -> SchoolYear:
        usual = england_school_year(academic_year)
        if self.la_id is None:
            return usual
        from .models import SchoolYearCalendar

        entered = (
            SchoolYearCalendar.objects.filter(local_authority_id=self.la_id, academic_year=academic_year)
            .prefetch_related("terms", "bank_holidays").first()
        )
        if entered is None:
            return usual
        by_name = {
            t.term: TermSpan(academic_year, t.term, t.starts_on, t.ends_on, t.half_term_starts_on,
                             t.half_term_ends_on, entered=True)
            for t in entered.terms.all()
        }
        terms = tuple(sorted((by_name.get(t.term, t) for t in usual.terms), key=lambda t: t.starts_on))
        holidays = {h.day: h.name for h in sorted(entered.bank_holidays.all(), key=lambda h: h.day)}
        return SchoolYear(academic_year, terms, holidays, entered=True)

    # --- one day ---

    def term_containing(self, day: date) -> TermSpan | None:
        """The term a day falls in (its half-term included); None in the holidays between terms."""
        return next((t for t in self.year(academic_year_of(day)).terms if day in t), None)

    def closed_because(self, day: date) -> str:
        """Why a day is not a school day ('' when it is), in words for the reader."""
        if not _is_weekday(day):
            return f"a {day:%A}"
        school_year = self.year(academic_year_of(day))
        if day in school_year.bank_holidays:
            return f"a bank holiday ({school_year.bank_holidays[day]})"
        term = self.term_containing(day)
        if term is None:
            return "in the school holidays"
        if term.in_half_term(day):
            return f"in the {term.half_term_name}"
        return ""

    def is_school_day(self, day: date) -> bool:
        return not self.closed_because(day)

    # --- days and terms around a day ---

    def next_school_day(self, day: date) -> date:
        """The first school day on or after `day`."""
        while not self.is_school_day(day):
            day += timedelta(days=1)
        return day

    def last_school_day(self, day: date) -> date:
        """The last school day on or before `day`."""
        while not self.is_school_day(day):
            day -= timedelta(days=1)
        return day

    def next_term(self, after: date) -> TermSpan:
        """The first term that starts after `after`."""
        year = academic_year_of(after)
        for academic_year in (year, year + 1):
            for term in self.year(academic_year).terms:
                if term.starts_on > after:
                    return term
        return self.year(year + 2).terms[0]  # not reached: a year always has an autumn term

    def next_term_start(self, after: date) -> date:
        """The first school day of the next term after `after`."""
        return self.next_school_day(self.next_term(after).starts_on)

    def school_days_between(self, first: date, last: date) -> int:
        """School days from `first` to `last`, both included."""
        count, day = 0, first
        while day <= last:
            count += self.is_school_day(day)
            day += timedelta(days=1)
        return count

    def terms_between(self, first: date, last: date) -> list[TermSpan]:
        """The terms that overlap `first` to `last`, in order."""
        terms = []
        for academic_year in range(academic_year_of(first), academic_year_of(last) + 1):
            terms += [t for t in self.year(academic_year).terms if t.starts_on <= last and t.ends_on >= first]
        return terms


def calendar_for(local_authority) -> SchoolCalendar:
    """`local_authority`: a LocalAuthority, its id, or None (England's usual pattern)."""
    return SchoolCalendar(local_authority)


def is_school_day(local_authority, day: date) -> bool:
    return calendar_for(local_authority).is_school_day(day)


def closed_because(local_authority, day: date) -> str:
    return calendar_for(local_authority).closed_because(day)


def term_containing(local_authority, day: date) -> TermSpan | None:
    return calendar_for(local_authority).term_containing(day)


def next_term_start(local_authority, after: date) -> date:
    return calendar_for(local_authority).next_term_start(after)


def school_days_between(local_authority, first: date, last: date) -> int:
    return calendar_for(local_authority).school_days_between(first, last)


def terms_between(local_authority, first: date, last: date) -> list[TermSpan]:
    return calendar_for(local_authority).terms_between(first, last)


# --------------------------------------------------------------------------
# Filling in a year for the adviser to edit
# --------------------------------------------------------------------------


def fill_in_england_pattern(local_authority, academic_year: int):
    """The LA's calendar for a year, created with England's usual terms and bank
    holidays for the adviser to change; an existing calendar is left as it is.
    Returns (calendar, created)."""
    from django.db import transaction

    from .models import BankHoliday, SchoolTerm, SchoolYearCalendar

    with transaction.atomic():
        calendar, created = SchoolYearCalendar.objects.get_or_create(
            local_authority=local_authority, academic_year=academic_year,
            defaults={"notes": "Started from England's usual pattern; change the dates to your LA's."},
        )
        if created:
            usual = england_school_year(academic_year)
            SchoolTerm.objects.bulk_create([
                SchoolTerm(calendar=calendar, term=t.term, starts_on=t.starts_on, ends_on=t.ends_on,
                           half_term_starts_on=t.half_term_starts_on, half_term_ends_on=t.half_term_ends_on)
                for t in usual.terms
            ])
            BankHoliday.objects.bulk_create([
                BankHoliday(calendar=calendar, day=day, name=name) for day, name in usual.bank_holidays.items()
            ])
    return calendar, created
