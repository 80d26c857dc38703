"""The school calendars: the packaged years against the published dates, the rules that derive
the years after them (provisional until confirmed), the coverage warning, the calendar of a
site (FWB or DG) in visit warnings and clocks, and the pages that show and confirm them."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, time, timedelta

import holidays as holidays_package
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Intervention, Ticket
from app.models.calendar import SchoolHoliday
from app.sla import holidays, school_rules
from app.sla.calendar import DG, FWB
from app.sla.cli import holidays_cli
from app.sla.jobs import extend_school_holidays
from app.sla.loading import calendar_for, school_days
from app.sla.school_rules import Period, coverage, derive
from app.tickets import planning
from tests.support import factories
from tests.support.tickets import build_world
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}
D = date
AUTUMN, ALL_SOULS, WINTER = school_rules.AUTUMN, school_rules.ALL_SOULS, school_rules.WINTER
MARDI_GRAS, CARNIVAL = school_rules.MARDI_GRAS, school_rules.CARNIVAL
SPRING, SUMMER = school_rules.SPRING, school_rules.SUMMER

# The published calendars, typed from their sources (app/data/README.md): first and last day
# off, weekends at either end included, the summer up to the eve of the next rentrée.
PUBLISHED = {
    # FWB: enseignement.be calendars, as the press and schools published them.
    ("fwb", 2022): [
        (AUTUMN, D(2022, 10, 24), D(2022, 11, 6)),
        (WINTER, D(2022, 12, 26), D(2023, 1, 8)),
        (CARNIVAL, D(2023, 2, 20), D(2023, 3, 5)),
        (SPRING, D(2023, 5, 1), D(2023, 5, 14)),
        (SUMMER, D(2023, 7, 8), D(2023, 8, 27)),
    ],
    ("fwb", 2023): [
        (AUTUMN, D(2023, 10, 23), D(2023, 11, 5)),
        (WINTER, D(2023, 12, 25), D(2024, 1, 7)),
        (MARDI_GRAS, D(2024, 2, 13), D(2024, 2, 13)),
        (CARNIVAL, D(2024, 2, 26), D(2024, 3, 10)),
        (SPRING, D(2024, 4, 29), D(2024, 5, 12)),
        (SUMMER, D(2024, 7, 6), D(2024, 8, 25)),
    ],
    ("fwb", 2024): [
        (AUTUMN, D(2024, 10, 21), D(2024, 11, 3)),
        (WINTER, D(2024, 12, 23), D(2025, 1, 5)),
        (CARNIVAL, D(2025, 2, 24), D(2025, 3, 9)),
        (SPRING, D(2025, 4, 28), D(2025, 5, 11)),
        (SUMMER, D(2025, 7, 5), D(2025, 8, 24)),
    ],
    ("fwb", 2025): [
        (AUTUMN, D(2025, 10, 20), D(2025, 11, 2)),
        (WINTER, D(2025, 12, 22), D(2026, 1, 4)),
        (CARNIVAL, D(2026, 2, 16), D(2026, 3, 1)),
        (SPRING, D(2026, 4, 27), D(2026, 5, 10)),
        (SUMMER, D(2026, 7, 4), D(2026, 8, 23)),
    ],
    ("fwb", 2026): [
        (AUTUMN, D(2026, 10, 19), D(2026, 11, 1)),
        (ALL_SOULS, D(2026, 11, 2), D(2026, 11, 2)),
        (WINTER, D(2026, 12, 21), D(2027, 1, 3)),
        (MARDI_GRAS, D(2027, 2, 9), D(2027, 2, 9)),
        (CARNIVAL, D(2027, 2, 22), D(2027, 3, 7)),
        (SPRING, D(2027, 4, 26), D(2027, 5, 9)),
        (SUMMER, D(2027, 7, 3), D(2027, 8, 29)),
    ],
    # DG: ostbelgiendirekt.be, « So fallen Feiertage und Schulferien 2025 in der DG » and the
    # others named in app/data/README.md.
    ("dg", 2024): [
        (AUTUMN, D(2024, 10, 28), D(2024, 11, 3)),
        (WINTER, D(2024, 12, 23), D(2025, 1, 5)),
        (CARNIVAL, D(2025, 3, 3), D(2025, 3, 9)),
        (SPRING, D(2025, 4, 21), D(2025, 5, 4)),
        (SUMMER, D(2025, 7, 1), D(2025, 8, 31)),
    ],
    ("dg", 2025): [
        (AUTUMN, D(2025, 10, 27), D(2025, 11, 2)),
        (WINTER, D(2025, 12, 22), D(2026, 1, 4)),
        (CARNIVAL, D(2026, 2, 16), D(2026, 2, 22)),
        (SPRING, D(2026, 4, 6), D(2026, 4, 19)),
        (SUMMER, D(2026, 7, 1), D(2026, 8, 31)),
    ],
}
TODAY = D(2026, 12, 2)


def rows(calendar: str = "fwb") -> list[tuple[str, date, date, bool]]:
    db.session.expire_all()
    found = db.session.scalars(
        select(SchoolHoliday)
        .where(SchoolHoliday.calendar == calendar)
        .order_by(SchoolHoliday.starts_on)
    )
    return [(r.name, r.starts_on, r.ends_on, r.provisional) for r in found]


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(SchoolHoliday))


def as_ics(periods: list[tuple[str, date, date]]) -> bytes:
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{first:%Y%m%d}@test\r\nSUMMARY:{name}\r\n"
        f"DTSTART;VALUE=DATE:{first:%Y%m%d}\r\n"
        f"DTEND;VALUE=DATE:{last + timedelta(days=1):%Y%m%d}\r\n"
        "END:VEVENT\r\n"
        for name, first, last in periods
    )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n"
    return f"{head}{events}END:VCALENDAR\r\n".encode()


# ------------------------------------------------------------------ the published years


def test_the_packaged_files_are_the_published_years():
    for code in ("fwb", "dg"):
        years = sorted(y for c, y in PUBLISHED if c == code)
        assert [p.name for p in holidays.packaged_files(code)] == [
            f"conges-scolaires-{code}-{y}-{y + 1}.ics" for y in years
        ]


@pytest.mark.parametrize(("code", "year"), sorted(PUBLISHED))
def test_each_packaged_year_reproduces_the_published_dates(code, year):
    path = holidays.DATA_DIR / f"conges-scolaires-{code}-{year}-{year + 1}.ics"
    parsed = holidays.parse_ical(path.read_bytes())
    assert [(p.name, p.starts_on, p.ends_on) for p in parsed] == PUBLISHED[(code, year)]


@pytest.mark.parametrize(("code", "year"), sorted(PUBLISHED))
def test_the_rules_give_the_published_years(code, year):
    """The rules are right where the truth is known: every published year comes out of them."""
    derived = [(p.name, p.starts_on, p.ends_on) for p in derive(code, year)]
    assert derived == PUBLISHED[(code, year)]


def test_the_rentree_follows_the_decree():
    # The last Monday of August, or the one before when the year would keep 36 weeks of classes.
    assert [school_rules.fwb_rentree(y) for y in (2022, 2025, 2026, 2027, 2032)] == [
        D(2022, 8, 29),
        D(2025, 8, 25),
        D(2026, 8, 24),
        D(2027, 8, 30),
        D(2032, 8, 23),
    ]


def test_no_rule_before_the_reforms_and_no_unknown_calendar():
    with pytest.raises(ValueError, match="no rule"):
        derive("fwb", 2021)
    with pytest.raises(ValueError, match="no rule"):
        derive("dg", 2023)
    with pytest.raises(ValueError, match="unknown school calendar"):
        derive("vl", 2027)


# ------------------------------------------------------------------ the derived years

YEARS = st.integers(min_value=2027, max_value=2400)


def _by_name(periods: list[Period]) -> dict[str, Period]:
    return {p.name: p for p in periods}


def _weeks_between(end: date, start: date) -> float:
    """Whole weeks of classes between a break ending on `end` and the next starting on
    `start`."""
    return ((start - end).days - 1) / 7


@settings(max_examples=300, deadline=None)
@given(YEARS)
def test_fwb_derived_years_fall_on_the_right_days(year):
    periods = derive("fwb", year)
    named = _by_name(periods)
    # In order, never overlapping.
    for before, after in itertools.pairwise(periods):
        assert before.ends_on < after.starts_on
    # Four two-week breaks, Monday to Sunday.
    for name in (AUTUMN, WINTER, CARNIVAL, SPRING):
        period = named[name]
        assert (period.starts_on.weekday(), period.ends_on.weekday(), period.days) == (0, 6, 14)
    nov_1, christmas, may_1 = D(year, 11, 1), D(year, 12, 25), D(year + 1, 5, 1)
    autumn, winter, carnival = named[AUTUMN], named[WINTER], named[CARNIVAL]
    spring, summer = named[SPRING], named[SUMMER]
    # Toussaint: its second week is the week of 1 November; 2 November off when the 1st is a
    # Sunday.
    assert autumn.ends_on - timedelta(days=6) <= nov_1 <= autumn.ends_on
    assert (ALL_SOULS in named) == (nov_1.weekday() == 6)
    if ALL_SOULS in named:
        assert named[ALL_SOULS].starts_on == named[ALL_SOULS].ends_on == D(year, 11, 2)
    # Christmas: holds 1 January, and 25 December unless the 25th is on the weekend before.
    assert winter.starts_on <= D(year + 1, 1, 1) <= winter.ends_on
    assert winter.starts_on <= christmas or christmas.weekday() >= 5
    assert D(year, 12, 21) <= winter.starts_on <= D(year, 12, 27)
    # Spring: the week of 1 May and the next, whatever the date of Easter.
    assert spring.starts_on <= may_1 <= spring.starts_on + timedelta(days=6)
    # Carnival: 7 weeks of classes after Christmas (6 when that brings it onto Carnival
    # Monday), 6 to 8 before spring.
    before = _weeks_between(winter.ends_on, carnival.starts_on)
    after = _weeks_between(carnival.ends_on, spring.starts_on)
    assert before in (6, 7)
    assert before == 7 or carnival.starts_on == school_rules.carnival_monday(year + 1)
    assert 6 <= after <= 8
    # Mardi gras: a Tuesday off, only outside the Carnival break.
    if MARDI_GRAS in named:
        mardi_gras = named[MARDI_GRAS]
        assert mardi_gras.days == 1
        assert mardi_gras.starts_on.weekday() == 1
        assert not carnival.starts_on <= mardi_gras.starts_on <= carnival.ends_on
    # The year: a Monday in late August to the first Friday of July, 45 weeks of which 37 of
    # classes; the summer from the Saturday after to the eve of the next rentrée (a Monday).
    rentree, last_day = school_rules.fwb_rentree(year), school_rules.fwb_last_day(year)
    assert rentree.weekday() == 0
    assert D(year, 8, 18) <= rentree <= D(year, 8, 31)
    assert last_day.weekday() == 4
    assert last_day.month == 7
    assert last_day.day <= 7
    assert (last_day - rentree).days + 3 == 45 * 7
    assert rentree < autumn.starts_on
    assert summer.starts_on == last_day + timedelta(days=1)
    assert summer.ends_on + timedelta(days=1) == school_rules.fwb_rentree(year + 1)
    assert summer.ends_on.weekday() == 6
    assert 7 * 7 - 1 <= summer.days <= 9 * 7


@settings(max_examples=300, deadline=None)
@given(YEARS)
def test_dg_derived_years_fall_on_the_right_days(year):
    named = _by_name(derive("dg", year))
    autumn, winter, carnival = named[AUTUMN], named[WINTER], named[CARNIVAL]
    spring, summer = named[SPRING], named[SUMMER]
    for period, days in ((autumn, 7), (winter, 14), (carnival, 7), (spring, 14)):
        assert (period.starts_on.weekday(), period.ends_on.weekday(), period.days) == (0, 6, days)
    nov_1 = D(year, 11, 1)
    if nov_1.weekday() == 6:
        assert autumn.starts_on == D(year, 11, 2)
    else:
        assert autumn.starts_on <= nov_1 <= autumn.ends_on
    assert winter.starts_on == school_rules.christmas_start(year)
    easter = school_rules.easter(year + 1)
    assert carnival.starts_on == easter - timedelta(days=48)  # holds Mardi gras
    assert spring.starts_on == easter + timedelta(days=1)  # from Easter Monday
    assert (summer.starts_on, summer.ends_on) == (D(year + 1, 7, 1), D(year + 1, 8, 31))


@pytest.mark.parametrize(
    ("code", "subdivision", "first"), [("fwb", "French", 2022), ("dg", "German", 2024)]
)
def test_the_rules_agree_with_the_holidays_package(code, subdivision, first):
    """The `holidays` package reads the same decrees (its SCHOOL category): day for day, the
    same breaks up to the last year it covers."""
    breaks = {
        "Autumn Break",
        "Christmas Break",
        "Carnival Break",
        "Easter Break",
        "Summer Break",
        "All Souls' Day",
        "Mardi Gras",
    }
    for year in range(first, 2099):
        periods = derive(code, year)
        start, end = periods[0].starts_on, periods[-1].ends_on
        ours = {p.starts_on + timedelta(days=n) for p in periods for n in range(p.days)}
        theirs = holidays_package.country_holidays(
            "BE",
            subdiv=subdivision,
            years=[year, year + 1],
            categories=(holidays_package.SCHOOL,),
            language="en_US",
        )
        listed = {
            day
            for day, names in theirs.items()
            if start <= day <= end and breaks & set(names.split("; "))
        }
        assert ours == listed, (code, year, sorted(ours ^ listed)[:5])


# ------------------------------------------------------------------ coverage (pure)


def _year(first_year: int, provisional: bool = False, code: str = "fwb"):
    return [(p.starts_on, p.ends_on, provisional) for p in derive(code, first_year)]


def test_coverage_counts_confirmed_school_years_from_today():
    confirmed = _year(2025) + _year(2026)
    # 2 December 2026: confirmed until the eve of the rentrée 2027, the twelve months reach
    # 2 December 2027 → warn.
    cover = coverage("fwb", confirmed, TODAY)
    assert (cover.confirmed_until, cover.horizon, cover.ok) == (
        D(2027, 8, 29),
        D(2027, 12, 2),
        False,
    )
    assert cover.provisional_from is None
    # The next year provisional: still a warning, and where the provisional dates start.
    cover = coverage("fwb", confirmed + _year(2027, provisional=True), TODAY)
    assert (cover.confirmed_until, cover.provisional_from, cover.ok) == (
        D(2027, 8, 29),
        D(2027, 10, 25),
        False,
    )
    # Confirmed: no warning.
    assert coverage("fwb", confirmed + _year(2027), TODAY).ok
    # A confirmed year after a gap does not count.
    assert coverage("fwb", _year(2025) + _year(2027), TODAY).confirmed_until is None
    # Nothing for today's school year: nothing confirmed.
    assert coverage("fwb", [], TODAY).confirmed_until is None
    # Late August: the summer of the previous year is still on and counts.
    assert coverage("fwb", _year(2025) + _year(2026), D(2026, 8, 20)).confirmed_until == D(
        2027, 8, 29
    )
    # 29 February: twelve months later is 28 February.
    assert school_rules.twelve_months_after(D(2028, 2, 29)) == D(2029, 2, 28)


# ------------------------------------------------------------------ loading and deriving


def test_import_packaged_loads_both_calendars_and_derives_the_next_years(app):
    report = holidays.import_packaged(TODAY)
    db.session.commit()
    fwb, dg = rows("fwb"), rows("dg")
    official = [r for r in fwb if not r[3]]
    assert [(n, a, b) for n, a, b, _p in official] == [
        period for y in (2022, 2023, 2024, 2025, 2026) for period in PUBLISHED[("fwb", y)]
    ]
    # After 2026-2027: 2027-2028 and 2028-2029 from the rules, provisional.
    derived = [(n, a, b) for n, a, b, p in fwb if p]
    assert derived == [
        (p.name, p.starts_on, p.ends_on) for y in (2027, 2028) for p in derive("fwb", y)
    ]
    assert {h.source for h in db.session.scalars(select(SchoolHoliday)) if h.provisional} == {
        "rules"
    }
    # The DG: 2024-2025 and 2025-2026 official, 2026-2027 to 2028-2029 provisional.
    assert [(n, a, b) for n, a, b, p in dg if not p] == PUBLISHED[("dg", 2024)] + PUBLISHED[
        ("dg", 2025)
    ]
    assert {school_rules.school_year_of(a) for _n, a, _b, p in dg if p} == {2026, 2027, 2028}
    assert report.created == len(fwb) + len(dg)
    lines = report.lines()
    assert (
        "FWB conges-scolaires-fwb-2026-2027.ics : 7 période(s) dans le fichier : 7 ajoutée(s)"
        in lines[4]
    )
    n = len(derive("fwb", 2027)) + len(derive("fwb", 2028))
    assert f"FWB : {n} période(s) provisoire(s) calculée(s) selon les règles." in lines

    # Idempotent: again, nothing changes.
    before = rows("fwb") + rows("dg")
    again = holidays.import_packaged(TODAY)
    db.session.commit()
    assert again.created == 0
    assert rows("fwb") + rows("dg") == before


def test_the_daily_job_extends_the_calendars(app):
    holidays.import_packaged(TODAY)
    db.session.commit()
    total = count()
    # A year later, one more school year of each calendar comes from the rules.
    result = extend_school_holidays(now=datetime(2027, 12, 2, 8, 0, tzinfo=planning.BRUSSELS))
    assert result["added"] == len(derive("fwb", 2029)) + len(derive("dg", 2029))
    assert count() == total + result["added"]
    assert extend_school_holidays(now=datetime(2027, 12, 2, 8, 0, tzinfo=planning.BRUSSELS)) == {
        "added": 0
    }


def test_fill_provisional_leaves_years_with_periods_and_manual_overlaps(app):
    holidays.create("Semaine blanche", D(2027, 10, 25), D(2027, 10, 29))  # kept by hand
    created = holidays.fill_provisional("fwb", TODAY)
    db.session.commit()
    years = {school_rules.school_year_of(h.starts_on) for h in created}
    # 2026-2027 is derived whole; 2027-2028 already has a period; 2028-2029 is derived.
    assert years == {2026, 2028}
    assert all(h.provisional and h.source == "rules" for h in created)
    assert holidays.fill_provisional("fwb", TODAY) == []


def test_an_official_file_confirms_and_replaces_the_provisional_periods(app):
    holidays.import_packaged(TODAY)
    db.session.commit()
    provisional_2027 = derive("fwb", 2027)
    # The official 2027-2028 calendar: the same dates but the Carnival, a week earlier.
    official = [(p.name, p.starts_on, p.ends_on) for p in provisional_2027]
    assert official[2][0] == CARNIVAL
    official[2] = (CARNIVAL, D(2028, 2, 21), D(2028, 3, 5))
    report = holidays.import_ical(as_ics(official), "fwb")
    db.session.commit()
    assert (len(report.confirmed), len(report.replaced), len(report.created)) == (4, 1, 1)
    assert "Dates provisoires : 4 confirmée(s), 1 remplacée(s)." in report.summary()
    year = [(n, a, b, p) for n, a, b, p in rows("fwb") if school_rules.school_year_of(a) == 2027]
    assert year == [(n, a, b, False) for n, a, b in sorted(official, key=lambda r: r[1])]
    # The coverage now reaches the summer 2028 (2 December 2026 + 12 months is inside).
    cover = holidays.coverage_of("fwb", TODAY)
    assert cover.ok
    assert cover.confirmed_until == D(2028, 8, 27)
    # Other calendars are untouched.
    assert any(p for *_r, p in rows("dg"))


def test_an_official_file_that_overlaps_a_kept_period_writes_nothing(app):
    holidays.import_packaged(TODAY)
    holidays.create("Journée pédagogique", D(2028, 2, 21), D(2028, 2, 21))  # 2027-2028, by hand
    db.session.commit()
    before = rows("fwb")
    with pytest.raises(holidays.IcalError) as caught:
        holidays.import_ical(as_ics([(CARNIVAL, D(2028, 2, 21), D(2028, 3, 5))]), "fwb")
    db.session.rollback()
    assert "chevauchent « Journée pédagogique »" in caught.value.messages[0]
    assert rows("fwb") == before


def test_each_calendar_has_its_own_periods(app):
    holidays.create("Congé", D(2027, 11, 1), D(2027, 11, 7), calendar="dg")
    # The same dates in the other calendar are no overlap.
    holidays.create("Congé", D(2027, 11, 1), D(2027, 11, 7), calendar="fwb")
    with pytest.raises(holidays.HolidayError):
        holidays.create("Autre", D(2027, 11, 3), D(2027, 11, 4), calendar="dg")
    with pytest.raises(holidays.HolidayError) as caught:
        holidays.create("X", D(2027, 1, 4), D(2027, 1, 5), calendar="vl")
    assert caught.value.errors == {None: ["Ce calendrier scolaire n’existe pas."]}


def test_cli_import_without_a_path_loads_everything(app):
    runner = app.test_cli_runner()
    result = runner.invoke(holidays_cli, ["import"])
    assert result.exit_code == 0, result.output
    assert (
        "DG conges-scolaires-dg-2025-2026.ics : 5 période(s) dans le fichier : 5 ajoutée(s)"
        in result.output
    )
    total = count()
    again = runner.invoke(holidays_cli, ["import"])
    assert again.exit_code == 0
    assert "0 ajoutée(s)" in again.output
    assert count() == total
    listed = runner.invoke(holidays_cli, ["list", "--calendar", "dg"]).output.splitlines()
    assert listed[0].endswith("  (rules)  provisoire")
    assert "01/07/2026 – 31/08/2026  Vacances d'été  (ical)" in listed


# ------------------------------------------------------------------ a site's school calendar


@pytest.fixture
def sites(app):
    holidays.import_packaged(TODAY)
    fwb = factories.site()
    dg = factories.site(school_calendar="dg", postal_code="4700", locality="EUPEN")
    db.session.commit()
    return fwb, dg


def test_a_dg_site_gets_15_november_and_its_own_breaks(sites):
    fwb, dg = sites
    at_fwb, at_dg = calendar_for(None, site=fwb), calendar_for(None, site=dg)
    assert (at_fwb.school, at_dg.school) == (FWB, DG)
    # 15 November 2027 (a Monday): the DG's own day, an ordinary day for the FWB.
    assert not at_dg.is_business_day(D(2027, 11, 15))
    assert not at_dg.is_school_day(D(2027, 11, 15))
    assert at_fwb.is_business_day(D(2027, 11, 15))
    assert at_fwb.is_school_day(D(2027, 11, 15))
    # 27 September 2027 (a Monday): the other way round.
    assert not at_fwb.is_business_day(D(2027, 9, 27))
    assert at_dg.is_business_day(D(2027, 9, 27))
    assert at_dg.is_school_day(D(2027, 9, 27))
    # Their own breaks: the DG's autumn week (2-8 November 2026) and the FWB's two weeks
    # (19 October - 1 November 2026).
    assert not at_dg.is_school_day(D(2026, 11, 3))
    assert at_fwb.is_school_day(D(2026, 11, 3))
    assert not at_fwb.is_school_day(D(2026, 10, 21))
    assert at_dg.is_school_day(D(2026, 10, 21))
    # A supplier that follows school holidays stops its clocks in the site's breaks only.
    follower = factories.supplier(follows_school_holidays=True)
    db.session.commit()
    assert calendar_for(follower, site=fwb).is_business_day(D(2026, 11, 3))
    assert not calendar_for(follower, site=dg).is_business_day(D(2026, 11, 3))
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Monday 9:00 in Brussels
    end = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    assert calendar_for(follower, site=dg).business_minutes(start, end) == 0
    # 2 November 2026 is the FWB's Fête des morts: Tuesday to Friday count.
    assert calendar_for(follower, site=fwb).business_minutes(start, end) == 4 * 8 * 60
    assert calendar_for(None, site=fwb).business_minutes(start, end) == 5 * 8 * 60


def test_visit_warnings_follow_the_site_calendar(sites):
    fwb, dg = sites

    def warning(site, day):
        return planning.visit_warning(planning.to_utc(day, time(10)), *school_days(site))

    assert "Fête de la Communauté germanophone" in warning(dg, D(2027, 11, 15))
    assert warning(fwb, D(2027, 11, 15)) is None
    assert "Fête de la Fédération Wallonie-Bruxelles" in warning(fwb, D(2027, 9, 27))
    assert warning(dg, D(2027, 9, 27)) is None
    assert "« Congé d'automne (Toussaint) »" in warning(dg, D(2026, 11, 3))
    assert warning(fwb, D(2026, 11, 3)) is None


def test_planning_on_22_december_2026_at_a_fwb_school_asks_for_confirmation(sites):
    fwb, _dg = sites
    instant = planning.to_utc(D(2026, 12, 22), time(10))
    assert planning.visit_warning(instant, *school_days(fwb)) == (
        "Le mardi 22 décembre est un jour de congé scolaire (« Vacances d'hiver (Noël) ») : "
        "confirmez-vous cette date ?"
    )


def _plan(client, ticket, day: date, at: str = "10:00", **extra):
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    db.session.expire_all()
    data = {
        "csrf_token": extract_csrf(page),
        "plan-version": str(db.session.get(Ticket, ticket.id).version),
        "plan-planned_date": day.isoformat(),
        "plan-planned_time": at,
    }
    data.update({f"plan-{k}": v for k, v in extra.items()})
    return client.post(f"/demandes/{ticket.reference}/actions/plan", data=data)


def _coming_christmas_tuesday(today: date) -> date:
    """22 December 2026 while it is ahead, then the Tuesday of the next FWB Christmas break."""
    if D(2026, 12, 22) > today + timedelta(days=1):
        return D(2026, 12, 22)
    year = today.year if today < D(today.year, 12, 20) else today.year + 1
    return school_rules.christmas_start(year) + timedelta(days=1)


def test_planning_in_the_christmas_break_through_the_page(app):
    today = holidays.today_in_brussels()
    holidays.import_packaged(today)
    world = build_world()
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    day = _coming_christmas_tuesday(today)
    response = _plan(client, ticket, day)
    assert response.status_code == 422
    assert "est un jour de congé scolaire (« Vacances d&#39;hiver (Noël) »)" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count()).select_from(Intervention)) == 0
    assert _plan(client, ticket, day, confirm_weekend="y").status_code == 303


def _first_dg_only_day(today: date) -> date:
    """The first weekday ahead in a DG break that is a school day in the FWB."""
    dg = calendar_for(None, school="dg")
    fwb = calendar_for(None, school="fwb")
    day = today + timedelta(days=3)
    while not (
        day.weekday() in (0, 1, 3)
        and not dg.is_school_day(day)
        and fwb.is_school_day(day)
        and not planning.public_holiday_name(day)
    ):
        day += timedelta(days=1)
    return day


def test_planning_at_a_dg_school_uses_its_breaks_through_the_page(app):
    today = holidays.today_in_brussels()
    holidays.import_packaged(today)
    world = build_world()
    fwb_ticket = world.new_ticket()
    world.site = factories.site(school_calendar="dg")
    dg_ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    day = _first_dg_only_day(today)
    response = _plan(client, dg_ticket, day)
    assert response.status_code == 422
    assert "est un jour de congé scolaire" in response.get_data(as_text=True)
    assert _plan(client, fwb_ticket, day).status_code == 303


# ------------------------------------------------------------------ the pages


def _today_and_next_year(world, *, confirm: bool):
    today = holidays.today_in_brussels()
    holidays.import_packaged(today)
    if confirm:
        holidays.confirm(db.session.scalars(select(SchoolHoliday)))
    db.session.commit()
    return today


def test_coverage_warning_shown_on_the_pages_while_dates_are_provisional(app, world):
    _today_and_next_year(world, confirm=False)
    client = signed_in(app, world.admin)
    page = client.get("/calendrier/conges").get_data(as_text=True)
    assert 'id="school-calendar-alerts"' in page
    assert (
        "Congés scolaires (Fédération Wallonie-Bruxelles) : les dates ne sont confirmées "
        "que jusqu’au" in page
    )
    assert "les dates sont provisoires (calculées selon les règles du calendrier)" in page
    assert "Provisoire" in page
    dashboard = client.get("/suivi/").get_data(as_text=True)
    assert 'id="school-calendar-alerts"' in dashboard
    assert 'href="/calendrier/conges?calendrier=fwb"' in dashboard
    # No DG site: no DG warning.
    assert "Communauté germanophone) :" not in dashboard


def test_coverage_warning_not_shown_once_confirmed(app, world):
    _today_and_next_year(world, confirm=True)
    client = signed_in(app, world.admin)
    page = client.get("/calendrier/conges").get_data(as_text=True)
    assert 'id="school-calendar-alerts"' not in page
    assert 'id="coverage-ok"' in page
    assert 'id="school-calendar-alerts"' not in client.get("/suivi/").get_data(as_text=True)


def test_a_dg_site_brings_the_dg_warning(app, world):
    _today_and_next_year(world, confirm=False)
    factories.site(school_calendar="dg")
    db.session.commit()
    dashboard = signed_in(app, world.coordinator).get("/suivi/").get_data(as_text=True)
    assert "Congés scolaires (Communauté germanophone) :" in dashboard


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_admin_confirms_a_provisional_period_and_a_year(app, world, htmx):
    today = _today_and_next_year(world, confirm=False)
    client = signed_in(app, world.admin)
    page = client.get("/calendrier/conges?calendrier=dg").get_data(as_text=True)
    assert "Périodes de congé : Communauté germanophone" in page
    period = db.session.scalars(
        select(SchoolHoliday)
        .where(SchoolHoliday.calendar == "dg", SchoolHoliday.provisional.is_(True))
        .order_by(SchoolHoliday.starts_on)
    ).first()
    assert f'action="/calendrier/conges/{period.id}/confirmer"' in page
    response = client.post(
        f"/calendrier/conges/{period.id}/confirmer",
        data={"csrf_token": extract_csrf(page)},
        headers=HTMX if htmx else {},
    )
    assert response.status_code == (200 if htmx else 303)
    if not htmx:
        assert response.headers["Location"].endswith("/calendrier/conges?calendrier=dg")
    db.session.expire_all()
    assert db.session.get(SchoolHoliday, period.id).provisional is False
    # The whole school year.
    year = school_rules.school_year_of(period.starts_on)
    response = client.post(
        f"/calendrier/conges/dg/{year}/confirmer",
        data={"csrf_token": extract_csrf(page)},
        headers=HTMX if htmx else {},
    )
    assert response.status_code == (200 if htmx else 303)
    assert all(not h.provisional for h in holidays.school_year_periods("dg", year))
    assert today  # the pages used the real date


def test_editing_a_provisional_period_confirms_it(app, world):
    _today_and_next_year(world, confirm=False)
    period = db.session.scalars(
        select(SchoolHoliday).where(SchoolHoliday.provisional.is_(True)).order_by(SchoolHoliday.id)
    ).first()
    client = signed_in(app, world.admin)
    path = f"/calendrier/conges/{period.id}/modifier"
    page = client.get(path).get_data(as_text=True)
    assert "Enregistrer ces dates les confirme." in page
    data = {
        "csrf_token": extract_csrf(page),
        "name": period.name,
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(),
    }
    assert client.post(path, data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(SchoolHoliday, period.id).provisional is False


@pytest.mark.parametrize("who", ["coordinator", "assistant"])
def test_en_staff_see_the_mark_but_cannot_confirm(app, world, who):
    _today_and_next_year(world, confirm=False)
    client = signed_in(app, getattr(world, who))
    page = client.get("/calendrier/conges").get_data(as_text=True)
    assert "Provisoire" in page
    assert "/confirmer" not in page
    period = db.session.scalars(
        select(SchoolHoliday).where(SchoolHoliday.provisional.is_(True))
    ).first()
    token = extract_csrf(page)
    assert (
        client.post(
            f"/calendrier/conges/{period.id}/confirmer", data={"csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        client.post("/calendrier/conges/fwb/2027/confirmer", data={"csrf_token": token}).status_code
        == 403
    )
    db.session.expire_all()
    assert db.session.get(SchoolHoliday, period.id).provisional is True


def test_confirm_needs_the_token_and_an_existing_period(app, world):
    client = signed_in(app, world.admin)
    _today_and_next_year(world, confirm=False)
    period = db.session.scalars(
        select(SchoolHoliday).where(SchoolHoliday.provisional.is_(True))
    ).first()
    assert client.post(f"/calendrier/conges/{period.id}/confirmer").status_code == 400
    token = extract_csrf(client.get("/calendrier/conges").get_data(as_text=True))
    assert (
        client.post("/calendrier/conges/999999/confirmer", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post("/calendrier/conges/vl/2027/confirmer", data={"csrf_token": token}).status_code
        == 404
    )


def test_upload_into_the_dg_calendar(app, world):
    _today_and_next_year(world, confirm=False)
    client = signed_in(app, world.admin)
    page = client.get("/calendrier/conges?calendrier=dg").get_data(as_text=True)
    assert 'name="calendar" type="hidden" value="dg"' in page
    official = [(p.name, p.starts_on, p.ends_on) for p in derive("dg", 2027)]
    response = client.post(
        "/calendrier/conges/importer",
        data={
            "csrf_token": extract_csrf(page),
            "calendar": "dg",
            "file": (io.BytesIO(as_ics(official)), "dg-2027-2028.ics"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("?calendrier=dg")
    year = [r for r in rows("dg") if school_rules.school_year_of(r[1]) == 2027]
    assert year == [(n, a, b, False) for n, a, b in official]
    # A calendar that does not exist: the form back with a French message, nothing written.
    before = count()
    response = client.post(
        "/calendrier/conges/importer",
        data={
            "csrf_token": extract_csrf(page),
            "calendar": "vl",
            "file": (io.BytesIO(as_ics(official)), "x.ics"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choisissez un calendrier scolaire de la liste." in response.get_data(as_text=True)
    assert count() == before


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_coordinator_sets_a_site_calendar(app, world, htmx):
    site = world.site
    client = signed_in(app, world.coordinator)
    page = client.get(f"/annuaire/ecoles/{site.fe}/{site.fi}").get_data(as_text=True)
    assert 'id="site-school-calendar"' in page
    assert "L’implantation suit le calendrier scolaire : Fédération Wallonie-Bruxelles." in page
    path = f"/calendrier/ecoles/{site.id}/calendrier-scolaire"
    token = extract_csrf(page)
    headers = HTMX if htmx else {}
    response = client.post(
        path, data={"csrf_token": token, "school_calendar": "dg"}, headers=headers
    )
    assert response.status_code == (200 if htmx else 303)
    db.session.expire_all()
    assert db.session.get(type(site), site.id).school_calendar == "dg"
    if htmx:
        assert (
            "L’implantation suit désormais le calendrier scolaire : Communauté germanophone."
            in response.get_data(as_text=True)
        )
    # A value outside the list: a French message, nothing changed.
    response = client.post(path, data={"csrf_token": token, "school_calendar": "vl"}, headers=HTMX)
    assert response.status_code == 422
    assert "Choisissez un calendrier scolaire de la liste." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(site), site.id).school_calendar == "dg"


@pytest.mark.parametrize("who", ["assistant", "supplier_user", "teacher"])
def test_others_cannot_set_a_site_calendar(app, world, who):
    client = signed_in(app, getattr(world, who))
    token = extract_csrf(client.get("/").get_data(as_text=True))
    path = f"/calendrier/ecoles/{world.site.id}/calendrier-scolaire"
    assert client.post(path, data={"csrf_token": token, "school_calendar": "dg"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(type(world.site), world.site.id).school_calendar == "fwb"


# ------------------------------------------------------------------ the migration


def test_the_migration_corrects_the_end_of_the_2026_summer(app):
    """The 2025-2026 file shipped before ended the summer on 30 August 2026: the migration
    moves it to the eve of the rentrée (24 August) so that the packaged files load again."""
    from flask_migrate import downgrade, upgrade

    downgrade(revision="bbb72f936a70")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO school_holiday (name, starts_on, ends_on, source, created_at) "
                "VALUES ('Vacances d''été', '2026-07-04', '2026-08-30', 'ical', "
                "'2025-09-01 00:00:00+00:00')"
            )
        )
    upgrade()
    db.session.remove()
    assert rows("fwb") == [("Vacances d'été", D(2026, 7, 4), D(2026, 8, 23), False)]
    holidays.import_packaged(TODAY)
    db.session.commit()
    assert ("Vacances d'été", D(2026, 7, 4), D(2026, 8, 23), False) in rows("fwb")
