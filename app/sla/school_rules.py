"""The rules of the Belgian school calendars, to derive a school year's holidays before the
official dates are published, and the coverage of the dates an admin has confirmed. Pure: no
Flask, no database.

Two calendars (app.sla.calendar.SCHOOL_CALENDARS):

- the Fédération Wallonie-Bruxelles (décret du 31 mars 2022 relatif à l'adaptation des rythmes
  scolaires annuels, applied since 2022-2023): 45 weeks from the rentrée (the last Monday of
  August, or the one before when the year would otherwise keep fewer than 37 weeks of classes)
  to the first Friday of July; two-week breaks at Toussaint (the week before the one of 1
  November and that week; 2 November off too when 1 November is a Sunday), Christmas (from the
  Monday of the week of 25 December, the next Monday when the 25th is a Saturday or a Sunday),
  Carnival (after 7 weeks of classes, or 6 when that brings it onto Carnival Monday) and spring
  (from the Monday of the week of 1 May, not tied to Easter); Mardi gras off when it falls
  outside the Carnival break and the year still keeps its 180 days of classes;
- the German-speaking Community (Ostbelgien): school year from 1 September to 30 June; one week
  at Toussaint (the week of 1 November, the next one when the 1st is a Sunday) and at Carnival
  (from Carnival Monday), two at Christmas (as above) and at Easter (from Easter Monday, since
  2025; the traditional rule shared with the Flemish Community applied before).

The governments may still move a break by a week when they publish a year (the FWB fixes its
calendar in April for the next two years): what these functions give is « provisoire » until an
admin confirms it or imports the official file. Each period runs from its first day off to its
last (both included), weekends at either end included as the published calendars count them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.easter import easter

from app.sla.calendar import DG, FWB

# The first school year each set of rules below describes.
FIRST_YEAR = {FWB.code: 2022, DG.code: 2024}

_DAY = timedelta(days=1)
_WEEK = timedelta(weeks=1)
MONDAY, FRIDAY, SATURDAY, SUNDAY = 0, 4, 5, 6


@dataclass(frozen=True)
class Period:
    name: str
    starts_on: date
    ends_on: date  # included

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


# The names the FWB's published calendars give (the DG's breaks carry the same French names).
AUTUMN = "Congé d'automne (Toussaint)"
ALL_SOULS = "Fête des morts"
WINTER = "Vacances d'hiver (Noël)"
MARDI_GRAS = "Mardi gras"
CARNIVAL = "Congé de détente (Carnaval)"
SPRING = "Vacances de printemps (Pâques)"
SUMMER = "Vacances d'été"


# ------------------------------------------------------------------ days


def school_year_of(day: date) -> int:
    """The first calendar year of the school year a period starting on `day` belongs to: from
    August on, the new one (a summer holiday, starting in July, closes the previous year)."""
    return day.year if day.month >= 8 else day.year - 1


def school_year_label(first_year: int) -> str:
    """ "2026-2027"."""
    return f"{first_year}-{first_year + 1}"


def monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_weekday_of_month(year: int, month: int, weekday: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def carnival_monday(year: int) -> date:
    """The Monday before Ash Wednesday (seven weeks before Easter Monday)."""
    return easter(year) - timedelta(days=48)


def christmas_start(year: int) -> date:
    """The Monday of the week of 25 December, or the next Monday when the 25th falls on a
    weekend: always a Monday from 21 to 27 December."""
    christmas = date(year, 12, 25)
    if christmas.weekday() >= SATURDAY:
        return christmas + timedelta(days=7 - christmas.weekday())
    return monday_on_or_before(christmas)


def _span(name: str, first: date, days: int) -> Period:
    return Period(name, first, first + timedelta(days=days - 1))


# ------------------------------------------------------------------ the FWB


def fwb_last_day(first_year: int) -> date:
    """The last day of classes: the first Friday of July."""
    return first_weekday_of_month(first_year + 1, 7, FRIDAY)


def fwb_rentree(first_year: int) -> date:
    """The first day of classes: 45 weeks (37 of classes, 8 of breaks) before the week of the
    first Friday of July ends, i.e. the last Monday of August or, when that would leave fewer
    than 37 weeks of classes, the Monday before (24 August 2026)."""
    return monday_on_or_before(fwb_last_day(first_year)) - 44 * _WEEK


def _fwb_carnival_start(first_year: int, winter: Period) -> date:
    default = winter.ends_on + 7 * _WEEK + _DAY  # after 7 weeks of classes
    monday = carnival_monday(first_year + 1)
    return monday if monday == default - _WEEK else default


def _fwb_mardi_gras_off(first_year: int, carnival: Period, spring: Period) -> bool:
    """Mardi gras is a day off when it falls outside the Carnival break, unless the year would
    then keep fewer than 180 days of classes: 185 before deductions, less the weekdays off that
    fall in term time (27 September, 11 November, Easter Monday, Ascension, Whit Monday, and 2
    November when the Toussaint break ends before it) — at most four of them."""
    mardi_gras = carnival_monday(first_year + 1) + _DAY
    if carnival.starts_on <= mardi_gras <= carnival.ends_on:
        return False
    paques = easter(first_year + 1)
    days_off = (
        date(first_year, 9, 27),
        date(first_year, 11, 11),
        paques + _DAY,
        paques + timedelta(days=39),
        paques + timedelta(days=50),
    )
    taken = sum(
        d.weekday() < SATURDAY and not spring.starts_on <= d <= spring.ends_on for d in days_off
    )
    taken += date(first_year, 11, 1).weekday() == SUNDAY
    return taken <= 4


def fwb_year(first_year: int) -> list[Period]:
    """The holidays of the FWB school year `first_year`-`first_year + 1`, in order, its summer
    included (from the day after the first Friday of July to the eve of the next rentrée)."""
    nov_1 = date(first_year, 11, 1)
    autumn = _span(AUTUMN, monday_on_or_before(nov_1) - _WEEK, 14)
    periods = [autumn]
    if nov_1.weekday() == SUNDAY:
        periods.append(_span(ALL_SOULS, date(first_year, 11, 2), 1))
    winter = _span(WINTER, christmas_start(first_year), 14)
    carnival = _span(CARNIVAL, _fwb_carnival_start(first_year, winter), 14)
    spring = _span(SPRING, monday_on_or_before(date(first_year + 1, 5, 1)), 14)
    periods.append(winter)
    if _fwb_mardi_gras_off(first_year, carnival, spring):
        periods.append(_span(MARDI_GRAS, carnival_monday(first_year + 1) + _DAY, 1))
    summer_start = fwb_last_day(first_year) + _DAY
    summer_end = fwb_rentree(first_year + 1) - _DAY
    periods += [carnival, spring, Period(SUMMER, summer_start, summer_end)]
    return sorted(periods, key=lambda p: p.starts_on)


# ------------------------------------------------------------------ the DG


def dg_year(first_year: int) -> list[Period]:
    """The holidays of the DG school year `first_year`-`first_year + 1`, in order, its summer
    (1 July to 31 August) included."""
    nov_1 = date(first_year, 11, 1)
    autumn_start = nov_1 + _DAY if nov_1.weekday() == SUNDAY else monday_on_or_before(nov_1)
    return [
        _span(AUTUMN, autumn_start, 7),
        _span(WINTER, christmas_start(first_year), 14),
        _span(CARNIVAL, carnival_monday(first_year + 1), 7),
        _span(SPRING, easter(first_year + 1) + _DAY, 14),  # from Easter Monday
        Period(SUMMER, date(first_year + 1, 7, 1), date(first_year + 1, 8, 31)),
    ]


def derive(calendar: str, first_year: int) -> list[Period]:
    """The rule-derived holidays of one school year of `calendar` (a code: "fwb" or "dg")."""
    if calendar not in FIRST_YEAR:
        raise ValueError(f"unknown school calendar: {calendar!r}")
    if first_year < FIRST_YEAR[calendar]:
        raise ValueError(f"no rule for the {calendar} school year {first_year}")
    return fwb_year(first_year) if calendar == FWB.code else dg_year(first_year)


# ------------------------------------------------------------------ coverage


@dataclass(frozen=True)
class Coverage:
    """How far ahead the confirmed (not provisional) dates of one calendar reach.

    `confirmed_until`: the last day of the last school year, counted from today's without a gap,
    whose periods are all confirmed (None: not even today's); `horizon`: the day the next twelve
    months reach; `provisional_from`: the first day of a provisional period after the confirmed
    ones, if any (the dates derived from the rules that wait for a confirmation)."""

    calendar: str
    today: date
    horizon: date
    confirmed_until: date | None
    provisional_from: date | None

    @property
    def ok(self) -> bool:
        return self.confirmed_until is not None and self.confirmed_until >= self.horizon


def twelve_months_after(today: date) -> date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def coverage(calendar: str, periods: Iterable[tuple[date, date, bool]], today: date) -> Coverage:
    """The coverage of `calendar` on `today` by `periods`, as (first day, last day, provisional).

    A school year counts when it holds at least one period and none is provisional; the walk
    starts at today's school year (or the previous one while its summer is not over) and stops
    at the first year missing or waiting for a confirmation."""
    years: dict[int, list[tuple[date, date, bool]]] = defaultdict(list)
    for starts_on, ends_on, provisional in periods:
        years[school_year_of(starts_on)].append((starts_on, ends_on, provisional))
    year = school_year_of(today)
    previous = years.get(year - 1, [])
    if previous and max(end for _s, end, _p in previous) >= today:
        year -= 1  # late August: the summer of the previous school year is still on
    confirmed_until: date | None = None
    while years.get(year) and not any(p for _s, _e, p in years[year]):
        confirmed_until = max(end for _s, end, _p in years[year])
        year += 1
    later = [s for y, rows in years.items() if y >= year for s, _e, p in rows if p]
    return Coverage(
        calendar=calendar,
        today=today,
        horizon=twelve_months_after(today),
        confirmed_until=confirmed_until,
        provisional_from=min(later) if later else None,
    )
