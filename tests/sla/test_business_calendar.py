"""The business calendar (app.sla.calendar): hand-computed cases and properties.

Every expected value below was counted by hand on a printed calendar: service hours 9:00–17:00
in Brussels, Monday to Friday, minus the Belgian public holidays and 27 September.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla.calendar import BusinessCalendar, public_holiday_name
from app.sla.holidays import create
from app.sla.loading import calendar_for, parse_service_days, parse_service_hours

BRUSSELS = ZoneInfo("Europe/Brussels")
CAL = BusinessCalendar()
HOUR = 60
CARNIVAL = (date(2026, 2, 16), date(2026, 3, 1))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


# ------------------------------------------------------------------ the example


def test_friday_16h_plus_8_hours_is_monday_16h():
    # Friday 13 March 2026: one hour on Friday (16–17), seven on Monday (9–16).
    due = CAL.add_business_minutes(local(2026, 3, 13, 16), 8 * HOUR)
    assert due == local(2026, 3, 16, 16)
    assert due.tzinfo == UTC
    assert CAL.business_minutes(local(2026, 3, 13, 16), due) == 8 * HOUR


def test_friday_16h_plus_8_hours_skips_easter_monday():
    # Friday 3 April 2026; Monday 6 April is Easter Monday: due on Tuesday 7 April at 16:00.
    assert public_holiday_name(date(2026, 4, 6)) == "Lundi de Pâques"
    due = CAL.add_business_minutes(local(2026, 4, 3, 16), 8 * HOUR)
    assert due == local(2026, 4, 7, 16)
    assert CAL.business_minutes(local(2026, 4, 3, 16), local(2026, 4, 7, 16)) == 8 * HOUR
    # Four days of calendar, one hour of Friday and seven of Tuesday.
    assert CAL.business_minutes(local(2026, 4, 3, 16), local(2026, 4, 6, 23, 59)) == HOUR


def test_two_business_days_from_thursday_afternoon():
    # 16 business hours from Thursday 5 March 2026 14:30: 2h30 Thu, 8h Fri, 5h30 Mon → 14:30.
    assert CAL.add_business_minutes(local(2026, 3, 5, 14, 30), 16 * HOUR) == local(
        2026, 3, 9, 14, 30
    )


# ------------------------------------------------------------------ days off


def test_27_september_is_a_day_off():
    # 27 September 2027 is a Monday, an ordinary weekday otherwise.
    monday = date(2027, 9, 27)
    assert monday.weekday() == 0
    assert public_holiday_name(monday) is None
    assert not CAL.is_business_day(monday)
    assert not CAL.is_school_day(monday)
    assert CAL.is_business_day(date(2027, 9, 28))
    # Friday 24 September 16:00 + 2 hours: one on Friday, one on Tuesday 28.
    assert CAL.add_business_minutes(local(2027, 9, 24, 16), 2 * HOUR) == local(2027, 9, 28, 10)
    assert CAL.business_minutes(local(2027, 9, 24, 9), local(2027, 9, 28, 17)) == 16 * HOUR


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), False),  # Nouvel An
        (date(2026, 5, 1), False),  # Fête du Travail
        (date(2026, 5, 14), False),  # Ascension
        (date(2026, 5, 25), False),  # Lundi de Pentecôte
        (date(2026, 7, 21), False),  # Fête nationale
        (date(2026, 11, 11), False),  # Armistice (a Wednesday)
        (date(2026, 11, 12), True),
        (date(2026, 11, 14), False),  # a Saturday
        (date(2026, 12, 24), True),  # not a public holiday
    ],
)
def test_business_days(day, expected):
    assert CAL.is_business_day(day) is expected


def test_a_datetime_is_taken_as_its_local_day():
    # 31 December 2025 23:30 UTC is already 1 January 2026 in Brussels (a public holiday).
    assert not CAL.is_business_day(datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    assert CAL.is_business_day(datetime(2025, 12, 31, 22, 30, tzinfo=UTC))


# ------------------------------------------------------------------ daylight saving


def test_spring_forward_weekend():
    # Clocks go forward on Sunday 29 March 2026 (CET → CEST). Friday 27 16:00 (15:00 UTC) to
    # Monday 30 10:00 (08:00 UTC): 1 h + 1 h of service, though 65 hours of UTC pass minus one.
    start, end = local(2026, 3, 27, 16), local(2026, 3, 30, 10)
    assert start.utcoffset() == timedelta(hours=1)
    assert end.utcoffset() == timedelta(hours=2)
    assert CAL.business_minutes(start, end) == 2 * HOUR
    assert CAL.add_business_minutes(start, 2 * HOUR) == end
    # Monday opens at 9:00 local = 07:00 UTC (not 08:00).
    assert CAL.add_business_minutes(local(2026, 3, 27, 17, 30), 0) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )


def test_fall_back_weekend():
    # Clocks go back on Sunday 25 October 2026 (CEST → CET): a whole week across it.
    start, end = local(2026, 10, 22, 9), local(2026, 10, 29, 17)
    assert CAL.business_minutes(start, end) == 6 * 8 * HOUR  # Thu, Fri, Mon–Thu
    # Monday 26 October opens at 9:00 local = 08:00 UTC.
    assert CAL.add_business_minutes(local(2026, 10, 23, 16, 30), 60) == datetime(
        2026, 10, 26, 8, 30, tzinfo=UTC
    )
    # The same instant in another zone gives the same answer.
    assert CAL.business_minutes(start.astimezone(UTC), end.astimezone(UTC)) == 48 * HOUR


# ------------------------------------------------------------------ school holidays


def test_school_holidays_count_only_when_the_supplier_follows_them():
    follows = BusinessCalendar(periods_off=(CARNIVAL,), school_holidays=(CARNIVAL,))
    ignores = BusinessCalendar(school_holidays=(CARNIVAL,))
    friday = local(2026, 2, 13, 16)
    # Off: one hour on Friday 13 February, seven on Monday 16.
    assert ignores.add_business_minutes(friday, 8 * HOUR) == local(2026, 2, 16, 16)
    # On: the two carnival weeks do not count, Monday 2 March is the next business day.
    assert follows.add_business_minutes(friday, 8 * HOUR) == local(2026, 3, 2, 16)
    assert follows.business_minutes(friday, local(2026, 3, 2, 16)) == 8 * HOUR
    assert ignores.business_minutes(friday, local(2026, 3, 2, 16)) == (1 + 10 * 8 + 7) * HOUR
    # Teachers are away either way.
    for calendar in (follows, ignores):
        assert not calendar.is_school_day(date(2026, 2, 18))
        assert calendar.is_school_day(date(2026, 3, 2))
    assert ignores.is_business_day(date(2026, 2, 18))
    assert not follows.is_business_day(date(2026, 2, 18))


def test_school_days():
    calendar = BusinessCalendar(school_holidays=(CARNIVAL,))
    assert calendar.is_school_day(date(2026, 3, 4))  # a Wednesday: the morning counts
    assert not calendar.is_school_day(date(2026, 3, 7))  # Saturday
    assert not calendar.is_school_day(date(2026, 4, 6))  # Easter Monday
    # Service days do not change the school days.
    six_days = BusinessCalendar(weekdays=frozenset(range(6)))
    assert six_days.is_business_day(date(2026, 3, 7))
    assert not six_days.is_school_day(date(2026, 3, 7))


# ------------------------------------------------------------------ edges


def test_zero_and_empty_spans():
    start = local(2026, 3, 10, 11)
    assert CAL.business_minutes(start, start) == 0
    assert CAL.business_minutes(start, start - timedelta(hours=3)) == 0
    # Zero minutes: the start itself during service hours (closing time included) …
    assert CAL.add_business_minutes(start, 0) == start
    assert CAL.add_business_minutes(local(2026, 3, 10, 17), 0) == local(2026, 3, 10, 17)
    # … otherwise the next opening.
    assert CAL.add_business_minutes(local(2026, 3, 10, 17, 1), 0) == local(2026, 3, 11, 9)
    assert CAL.add_business_minutes(local(2026, 3, 14, 12), 0) == local(2026, 3, 16, 9)
    assert CAL.add_business_minutes(local(2026, 3, 10, 7), 0) == local(2026, 3, 10, 9)


def test_a_target_ending_at_closing_time_stays_on_that_day():
    assert CAL.add_business_minutes(local(2026, 3, 13, 16), HOUR) == local(2026, 3, 13, 17)
    assert CAL.add_business_minutes(local(2026, 3, 13, 16), HOUR + 1) == local(2026, 3, 16, 9, 1)


def test_outside_hours_counts_nothing():
    assert CAL.business_minutes(local(2026, 3, 13, 17, 30), local(2026, 3, 16, 8, 59)) == 0
    assert CAL.business_minutes(local(2026, 3, 10, 18), local(2026, 3, 10, 23)) == 0


def test_whole_minutes_and_seconds():
    start = local(2026, 3, 10, 10, 0, 30)
    assert CAL.business_minutes(start, local(2026, 3, 10, 10, 5, 29)) == 4
    assert CAL.add_business_minutes(start, 5) == local(2026, 3, 10, 10, 5, 30)


def test_a_year_of_business_minutes():
    # 2026: 261 weekdays, minus 8 public holidays on weekdays (1/1, 6/4, 1/5, 14/5, 25/5, 21/7,
    # 11/11, 25/12, and 15/8 is a Saturday, 1/11 a Sunday; 27/9 is a Sunday too): 253 days.
    weekday_holidays = (
        *(date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14)),
        *(date(2026, 5, 25), date(2026, 7, 21), date(2026, 11, 11), date(2026, 12, 25)),
    )
    assert all(d.weekday() < 5 for d in weekday_holidays)
    assert date(2026, 9, 27).weekday() == 6
    minutes = CAL.business_minutes(local(2026, 1, 1), local(2027, 1, 1))
    assert minutes == (261 - 8) * 8 * HOUR


def test_other_service_hours():
    early = BusinessCalendar(opens=time(8, 30), closes=time(12, 0), weekdays=frozenset({0, 2}))
    # Friday 16:00 → Monday 8:30–12:00 (3h30) then Wednesday from 8:30.
    assert early.add_business_minutes(local(2026, 3, 13, 16), 4 * HOUR) == local(2026, 3, 18, 9, 0)


def test_bad_calendars_are_refused():
    with pytest.raises(ValueError, match="opening"):
        BusinessCalendar(opens=time(17), closes=time(9))
    with pytest.raises(ValueError, match="service days"):
        BusinessCalendar(weekdays=frozenset())
    with pytest.raises(ValueError, match="ends before"):
        BusinessCalendar(periods_off=((date(2026, 3, 2), date(2026, 3, 1)),))
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.business_minutes(datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 11))
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_business_minutes(local(2026, 3, 2, 10), -1)


def test_long_spans_are_fast():
    import time as clock

    started = clock.perf_counter()
    minutes = CAL.business_minutes(local(2020, 1, 1), local(2030, 1, 1))
    due = CAL.add_business_minutes(local(2020, 1, 1), minutes)
    assert clock.perf_counter() - started < 1.0
    assert CAL.business_minutes(local(2020, 1, 1), due) == minutes


# ------------------------------------------------------------------ properties

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(
    [
        CAL,
        BusinessCalendar(periods_off=(CARNIVAL,), school_holidays=(CARNIVAL,)),
        BusinessCalendar(opens=time(8, 30), closes=time(19, 0), weekdays=frozenset({1, 3, 5})),
    ]
)


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, start=instants, minutes=st.integers(0, 60 * 8 * 60))
def test_adding_then_counting_gives_the_minutes_back(calendar, start, minutes):
    due = calendar.add_business_minutes(start, minutes)
    assert due >= start
    assert calendar.business_minutes(start, due) == minutes
    # The due instant is the earliest one: a minute before, the count is short.
    if minutes:
        assert calendar.business_minutes(start, due - timedelta(minutes=1)) == minutes - 1


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, start=instants, a=st.integers(0, 20000), b=st.integers(0, 20000))
def test_monotonic(calendar, start, a, b):
    low, high = sorted((a, b))
    assert calendar.add_business_minutes(start, low) <= calendar.add_business_minutes(start, high)
    end_low, end_high = start + timedelta(minutes=low), start + timedelta(minutes=high)
    assert calendar.business_minutes(start, end_low) <= calendar.business_minutes(start, end_high)
    # Never more business minutes than minutes.
    assert calendar.business_minutes(start, end_high) <= high


@settings(max_examples=200, deadline=None)
@given(start=instants, a=st.integers(0, 30000), b=st.integers(0, 30000))
def test_counts_add_up(start, a, b):
    middle = start + timedelta(minutes=a)
    end = middle + timedelta(minutes=b)
    # Whole minutes may lose one at each cut when the instants carry seconds.
    total = CAL.business_minutes(start, end)
    parts = CAL.business_minutes(start, middle) + CAL.business_minutes(middle, end)
    assert total - parts in (0, 1)


# ------------------------------------------------------------------ loading from the app


def test_settings_are_parsed():
    assert parse_service_hours("08:30-16:00") == (time(8, 30), time(16))
    assert parse_service_days("1-5") == frozenset(range(5))
    assert parse_service_days("1-3, 5") == frozenset({0, 1, 2, 4})
    for bad in ("9-17h", "17:00-09:00", ""):
        with pytest.raises(ValueError, match="RELAIS_SERVICE_HOURS"):
            parse_service_hours(bad)
    for bad in ("0-5", "1-8", "lundi", "5-1"):
        with pytest.raises(ValueError, match="RELAIS_SERVICE_DAYS"):
            parse_service_days(bad)


@pytest.mark.usefixtures("app")
def test_calendar_for_reads_the_config_and_the_periods(make_app):
    from app.extensions import db
    from tests.support import factories

    create("Congé de détente (Carnaval)", *CARNIVAL)
    follower = factories.supplier(follows_school_holidays=True)
    other = factories.supplier()
    db.session.commit()

    default = calendar_for(other)
    assert (default.opens, default.closes) == (time(9), time(17))
    assert default.periods_off == ()
    assert default.school_holidays == (CARNIVAL,)
    assert calendar_for(follower).periods_off == (CARNIVAL,)
    assert calendar_for().periods_off == ()
    # Given periods win over the database.
    assert calendar_for(follower, school_holidays=[]).periods_off == ()

    custom = make_app(RELAIS_SERVICE_HOURS="08:00-12:00", RELAIS_SERVICE_DAYS="1-6")
    with custom.app_context():
        calendar = calendar_for()
        assert (calendar.opens, calendar.closes) == (time(8), time(12))
        assert calendar.weekdays == frozenset(range(6))
