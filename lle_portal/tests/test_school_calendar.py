"""The school calendar: England's usual pattern, an LA's own dates, and the
adviser's admin for them (lle_portal/school_calendar.py, admin_calendar.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from lle_portal import school_calendar
from lle_portal.models import BankHoliday, SchoolTerm, SchoolYearCalendar
from lle_portal.school_calendar import (
    calendar_for,
    closed_because,
    england_bank_holidays,
    england_terms,
    fill_in_england_pattern,
    is_school_day,
    next_term_start,
    school_days_between,
    term_containing,
    terms_between,
)
from lle_portal.tests.factories import HeadteacherFactory, LocalAuthorityFactory

# --------------------------------------------------------------------------
# England's bank holidays
# --------------------------------------------------------------------------


def test_it_knows_englands_bank_holidays_of_2026_as_gov_uk_lists_them():
    assert list(england_bank_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25),
        date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    ]
    assert england_bank_holidays(2026)[date(2026, 4, 6)] == "Easter Monday"
    assert england_bank_holidays(2026)[date(2026, 12, 28)] == "Boxing Day (substitute day)"


@pytest.mark.parametrize(("year", "expected"), [
    # Christmas on a Saturday, Boxing Day on a Sunday: Monday and Tuesday instead.
    (2021, {date(2021, 12, 27): "Christmas Day (substitute day)", date(2021, 12, 28): "Boxing Day (substitute day)"}),
    # Christmas on a Sunday: Boxing Day keeps its Monday, Christmas moves to the Tuesday.
    (2022, {date(2022, 12, 26): "Boxing Day", date(2022, 12, 27): "Christmas Day (substitute day)"}),
    (2027, {date(2027, 12, 27): "Christmas Day (substitute day)", date(2027, 12, 28): "Boxing Day (substitute day)"}),
])
def test_christmas_at_a_weekend_has_substitute_days(year, expected):
    christmas = {d: n for d, n in england_bank_holidays(year).items() if d.month == 12}
    assert christmas == expected


def test_new_year_on_a_saturday_is_kept_on_the_monday():
    assert england_bank_holidays(2022)[date(2022, 1, 3)] == "New Year's Day (substitute day)"
    assert date(2022, 1, 1) not in england_bank_holidays(2022)


@pytest.mark.parametrize(("year", "good_friday", "easter_monday"), [
    (2025, date(2025, 4, 18), date(2025, 4, 21)),
    (2026, date(2026, 4, 3), date(2026, 4, 6)),
    (2027, date(2027, 3, 26), date(2027, 3, 29)),
])
def test_easter_is_computed(year, good_friday, easter_monday):
    holidays = england_bank_holidays(year)
    assert holidays[good_friday] == "Good Friday"
    assert holidays[easter_monday] == "Easter Monday"


def test_the_governments_one_off_changes_are_known():
    assert date(2020, 5, 4) not in england_bank_holidays(2020)
    assert date(2020, 5, 8) in england_bank_holidays(2020)
    assert date(2022, 9, 19) in england_bank_holidays(2022)
    assert date(2023, 5, 8) in england_bank_holidays(2023)


# --------------------------------------------------------------------------
# England's usual terms
# --------------------------------------------------------------------------


def test_the_usual_terms_of_2026_27():
    autumn, spring, summer = england_terms(2027)
    assert (autumn.starts_on, autumn.ends_on) == (date(2026, 9, 1), date(2026, 12, 18))
    assert (autumn.half_term_starts_on, autumn.half_term_ends_on) == (date(2026, 10, 26), date(2026, 10, 30))
    assert (spring.starts_on, spring.half_term_starts_on) == (date(2027, 1, 4), date(2027, 2, 15))
    assert spring.ends_on < date(2027, 3, 26) < summer.starts_on  # Good Friday in the Easter holidays
    assert (summer.half_term_starts_on, summer.ends_on) == (date(2027, 5, 31), date(2027, 7, 22))
    assert autumn.label == "Autumn term 2026/27"


@pytest.mark.parametrize("academic_year", range(2015, 2046))
def test_the_usual_terms_are_school_days_in_order_every_year(academic_year):
    terms = england_terms(academic_year)
    first, last = date(academic_year - 1, 9, 1), date(academic_year, 8, 31)
    calendar = calendar_for(None)
    previous_end = first - timedelta(days=1)
    for term in terms:
        assert previous_end < term.starts_on < term.half_term_starts_on <= term.half_term_ends_on < term.ends_on <= last
        assert term.half_term_starts_on.weekday() == 0 and term.half_term_ends_on.weekday() == 4
        assert calendar.is_school_day(term.starts_on), term
        assert calendar.is_school_day(term.ends_on), term
        previous_end = term.ends_on
    # Around 190 days of school a year (195 with the training days).
    assert 180 <= school_days_between(None, first, last) <= 200


# --------------------------------------------------------------------------
# School days
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "school_day", "because"), [
    (date(2026, 12, 4), True, ""),                                    # a Friday in term
    (date(2026, 12, 5), False, "a Saturday"),
    (date(2026, 12, 6), False, "a Sunday"),
    (date(2026, 10, 28), False, "in the October half-term"),
    (date(2027, 2, 17), False, "in the February half-term"),
    (date(2027, 6, 2), False, "in the May half-term"),
    (date(2026, 12, 21), False, "in the school holidays"),
    (date(2026, 12, 25), False, "a bank holiday (Christmas Day)"),
    (date(2026, 12, 28), False, "a bank holiday (Boxing Day (substitute day))"),
    (date(2027, 3, 29), False, "a bank holiday (Easter Monday)"),
    (date(2027, 5, 3), False, "a bank holiday (Early May bank holiday)"),  # in the summer term
    (date(2027, 5, 4), True, ""),
    (date(2027, 8, 10), False, "in the school holidays"),
])
def test_a_school_day_is_a_weekday_in_term_outside_half_term_and_bank_holidays(db, day, school_day, because):
    la = LocalAuthorityFactory()
    assert is_school_day(la, day) is school_day
    assert closed_because(la, day) == because


def test_term_containing_a_day_includes_its_half_term_and_not_the_holidays(db):
    la = LocalAuthorityFactory()
    assert term_containing(la, date(2026, 10, 28)).label == "Autumn term 2026/27"
    assert term_containing(la, date(2027, 1, 4)).label == "Spring term 2026/27"
    assert term_containing(la, date(2026, 12, 24)) is None


@pytest.mark.parametrize(("today", "start"), [
    (date(2026, 8, 1), date(2026, 9, 1)),     # the summer holiday
    (date(2026, 12, 5), date(2027, 1, 4)),    # December, before Christmas
    (date(2026, 10, 14), date(2027, 1, 4)),   # mid-term
    (date(2027, 3, 22), date(2027, 4, 5)),    # the Easter holiday
    (date(2027, 7, 22), date(2027, 9, 1)),    # the last day of the year
])
def test_the_next_term_starts_on_its_first_school_day(db, today, start):
    assert next_term_start(LocalAuthorityFactory(), today) == start


def test_it_counts_school_days_between_two_dates(db):
    la = LocalAuthorityFactory()
    assert school_days_between(la, date(2026, 11, 30), date(2026, 12, 6)) == 5
    assert school_days_between(la, date(2026, 10, 19), date(2026, 11, 6)) == 10  # a half-term between
    assert school_days_between(la, date(2027, 5, 3), date(2027, 5, 7)) == 4  # Early May bank holiday
    assert school_days_between(la, date(2026, 12, 19), date(2027, 1, 3)) == 0


def test_terms_between_two_dates_are_those_that_overlap_them(db):
    terms = terms_between(LocalAuthorityFactory(), date(2027, 1, 4), date(2027, 12, 17))
    assert [t.label for t in terms] == ["Spring term 2026/27", "Summer term 2026/27", "Autumn term 2027/28"]


# --------------------------------------------------------------------------
# An LA's own dates
# --------------------------------------------------------------------------


def _enter_autumn(la, **dates) -> SchoolYearCalendar:
    calendar, _ = fill_in_england_pattern(la, 2027)
    SchoolTerm.objects.filter(calendar=calendar, term="autumn").update(**dates)
    return calendar


def test_an_las_own_half_term_overrides_the_usual_one_for_that_la_only(db):
    norfolk, suffolk = LocalAuthorityFactory(), LocalAuthorityFactory()
    _enter_autumn(norfolk, half_term_starts_on=date(2026, 10, 19), half_term_ends_on=date(2026, 10, 23))
    assert not is_school_day(norfolk, date(2026, 10, 21))
    assert closed_because(norfolk, date(2026, 10, 21)) == "in the October half-term"
    assert is_school_day(norfolk, date(2026, 10, 28))
    assert is_school_day(suffolk, date(2026, 10, 21))
    assert not is_school_day(suffolk, date(2026, 10, 28))
    assert term_containing(norfolk, date(2026, 10, 21)).entered
    assert not term_containing(suffolk, date(2026, 10, 21)).entered


def test_an_las_term_running_over_a_bank_holiday_keeps_the_holiday(db):
    """The LA's spring term of 2027/28 starts on the New Year substitute day:
    that day is still a bank holiday, the next is a school day."""
    la = LocalAuthorityFactory()
    calendar, created = fill_in_england_pattern(la, 2028)
    assert created
    SchoolTerm.objects.filter(calendar=calendar, term="spring").update(starts_on=date(2028, 1, 3))
    assert not is_school_day(la, date(2028, 1, 3))
    assert closed_because(la, date(2028, 1, 3)) == "a bank holiday (New Year's Day (substitute day))"
    assert is_school_day(la, date(2028, 1, 4))
    assert next_term_start(la, date(2027, 12, 20)) == date(2028, 1, 4)


def test_an_las_own_bank_holidays_replace_the_usual_ones_for_its_year(db):
    la = LocalAuthorityFactory()
    calendar, _ = fill_in_england_pattern(la, 2027)
    BankHoliday.objects.create(calendar=calendar, day=date(2027, 6, 8), name="County show")
    BankHoliday.objects.filter(calendar=calendar, day=date(2027, 5, 3)).delete()
    assert closed_because(la, date(2027, 6, 8)) == "a bank holiday (County show)"
    assert is_school_day(la, date(2027, 5, 3))


def test_a_term_the_la_has_not_entered_follows_the_usual_pattern(db):
    la = LocalAuthorityFactory()
    calendar, _ = fill_in_england_pattern(la, 2027)
    calendar.terms.filter(term="summer").delete()
    summer = term_containing(la, date(2027, 6, 15))
    assert summer is not None and not summer.entered and summer.term == "summer"


def test_filling_in_a_year_twice_leaves_the_las_dates_as_they_are(db):
    la = LocalAuthorityFactory()
    calendar = _enter_autumn(la, starts_on=date(2026, 9, 3))
    again, created = fill_in_england_pattern(la, 2027)
    assert not created and again == calendar
    assert calendar.terms.get(term="autumn").starts_on == date(2026, 9, 3)
    assert calendar.terms.count() == 3 and calendar.bank_holidays.count() == 8


def test_a_calendar_reads_each_year_once(db, django_assert_num_queries):
    la = LocalAuthorityFactory()
    fill_in_england_pattern(la, 2027)
    calendar = calendar_for(la)
    with django_assert_num_queries(3):  # the year, its terms, its bank holidays
        for offset in range(200):
            calendar.is_school_day(date(2026, 9, 1) + timedelta(days=offset))


# --------------------------------------------------------------------------
# The adviser's admin
# --------------------------------------------------------------------------


def _form_data(la, year: int, terms: list[dict], holidays: list[dict]) -> dict:
    data = {"local_authority": la.pk, "academic_year": year, "notes": "",
            "terms-TOTAL_FORMS": len(terms), "terms-INITIAL_FORMS": 0, "terms-MIN_NUM_FORMS": 0,
            "terms-MAX_NUM_FORMS": 3,
            "bank_holidays-TOTAL_FORMS": len(holidays), "bank_holidays-INITIAL_FORMS": 0,
            "bank_holidays-MIN_NUM_FORMS": 0, "bank_holidays-MAX_NUM_FORMS": 1000}
    for i, term in enumerate(terms):
        data.update({f"terms-{i}-{k}": v for k, v in term.items()})
    for i, holiday in enumerate(holidays):
        data.update({f"bank_holidays-{i}-{k}": v for k, v in holiday.items()})
    return data


def _usual_terms(year: int) -> list[dict]:
    return [{"term": t.term, "starts_on": t.starts_on, "half_term_starts_on": t.half_term_starts_on,
             "half_term_ends_on": t.half_term_ends_on, "ends_on": t.ends_on} for t in england_terms(year)]


def test_the_add_page_starts_from_englands_usual_pattern(client, users, la):
    client.force_login(users["adviser"])
    response = client.get(reverse("admin:lle_portal_schoolyearcalendar_add"), {"academic_year": 2027})
    assert response.status_code == 200
    html = response.content.decode()
    assert "England&#x27;s usual pattern for 2026/27" in html or "England's usual pattern for 2026/27" in html
    assert 'value="26/10/2026"' in html  # the October half-term, ready to change
    assert "Early May bank holiday" in html


def test_the_adviser_enters_their_las_term_dates(client, users, la):
    client.force_login(users["adviser"])
    terms = _usual_terms(2027)
    terms[0]["half_term_starts_on"], terms[0]["half_term_ends_on"] = date(2026, 10, 19), date(2026, 10, 23)
    response = client.post(reverse("admin:lle_portal_schoolyearcalendar_add"),
                           _form_data(la, 2027, terms, [{"day": date(2027, 5, 3), "name": "Early May"}]))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert not is_school_day(la, date(2026, 10, 21))
    assert is_school_day(la, date(2026, 10, 28))


@pytest.mark.parametrize(("change", "message"), [
    ({0: {"half_term_starts_on": date(2026, 8, 31)}}, "not in 2026/27"),
    ({0: {"half_term_ends_on": date(2026, 12, 30)}}, "The term ends after its half-term"),
    ({1: {"starts_on": date(2026, 12, 10)}}, "The spring term starts after the autumn term ends"),
])
def test_term_dates_that_make_no_sense_are_refused_with_a_message(client, users, la, change, message):
    client.force_login(users["adviser"])
    terms = _usual_terms(2027)
    for index, fields in change.items():
        terms[index].update(fields)
    response = client.post(reverse("admin:lle_portal_schoolyearcalendar_add"), _form_data(la, 2027, terms, []))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SchoolYearCalendar.objects.exists()


def test_an_adviser_cannot_enter_term_dates_for_another_la(client, users, la):
    client.force_login(users["other_adviser"])
    response = client.post(reverse("admin:lle_portal_schoolyearcalendar_add"),
                           _form_data(la, 2027, _usual_terms(2027), []))
    assert response.status_code == 200
    assert "local_authority" in response.context["adminform"].form.errors
    assert not SchoolYearCalendar.objects.exists()


def test_another_las_adviser_neither_sees_nor_changes_an_las_dates(client, users, la):
    calendar, _ = fill_in_england_pattern(la, 2027)
    client.force_login(users["other_adviser"])
    listed = client.get(reverse("admin:lle_portal_schoolyearcalendar_changelist"))
    assert listed.status_code == 200 and la.name not in listed.content.decode()
    for page in ("change", "delete", "history"):
        response = client.get(reverse(f"admin:lle_portal_schoolyearcalendar_{page}", args=[calendar.pk]))
        assert response.status_code == 404, page


def test_filling_in_the_year_makes_the_advisers_las_calendars_only(client, users, la):
    client.force_login(users["adviser"])
    response = client.post(reverse("admin:lle_portal_schoolyearcalendar_fill_in"), {"academic_year": 2027})
    assert response.status_code == 302
    assert list(SchoolYearCalendar.objects.values_list("local_authority", "academic_year")) == [(la.pk, 2027)]
    page = client.get(reverse("admin:lle_portal_schoolyearcalendar_changelist"))
    html = page.content.decode()
    assert "Fill in 2026/27 with England" in html and "Fill in 2027/28 with England" in html
    assert "Autumn term: 1 Sep 2026 to 18 Dec 2026" in html
    # A year far away is not offered, nor made.
    client.post(reverse("admin:lle_portal_schoolyearcalendar_fill_in"), {"academic_year": 2040})
    assert not SchoolYearCalendar.objects.filter(academic_year=2040).exists()


@pytest.mark.parametrize("who", ["anonymous", "headteacher", "assessor"])
def test_only_advisers_fill_in_term_dates(client, users, who):
    if who != "anonymous":
        client.force_login(users[who])
    response = client.post(reverse("admin:lle_portal_schoolyearcalendar_fill_in"), {"academic_year": 2027})
    assert response.status_code in (302, 403)
    assert not SchoolYearCalendar.objects.exists()
    if who != "anonymous":
        assert response.status_code == 403 or "login" in response["Location"]


def test_the_calendar_is_free_of_any_la_of_an_lle(db):
    """A headteacher who leads no LA's calendar has nothing to edit: the rule is by LA."""
    head = HeadteacherFactory()
    from lle_portal import scoping

    assert not scoping.visible(head, SchoolYearCalendar).exists()
    assert school_calendar.AUTUMN in school_calendar.TERM_NAMES
