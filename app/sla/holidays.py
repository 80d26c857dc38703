"""The school holidays an admin keeps, one school calendar at a time (the FWB's and the German-
speaking Community's): add, change, remove, confirm, import from an iCalendar file, and fill the
years not published yet from the rules of the calendar (app.sla.school_rules).

Plain rules over SchoolHoliday rows (no Flask request): a period belongs to one calendar, has a
name, a first and a last day (both included, last ≥ first, at most MAX_DAYS long) and overlaps
no other period of its calendar. Errors are French, tied to a field. The functions write in the
session and leave the commit to the caller (a view, the CLI, the demo seed, the daily job); a
failed import writes nothing.

An iCalendar file holds one all-day VEVENT per period: DTSTART;VALUE=DATE is the first day,
DTEND;VALUE=DATE the day after the last (iCalendar's end is exclusive). Importing the same file
again changes nothing; an event with the dates of an existing period renames it. An imported
file is official: it confirms the provisional periods it repeats and replaces the other
provisional periods of the school years it covers.

Periods derived from the rules are « provisoire » (`provisional`) until an admin confirms them,
changes their dates or imports the official file. The packaged files (app/data, one per
calendar and school year, sources in app/data/README.md) are loaded by `import_packaged`, which
then derives the years after them: the `holidays` CLI, the demo seed and the daily job call it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar
from sqlalchemy import select

from app.core.input import clean_text, control_character
from app.core.time import BRUSSELS
from app.extensions import db
from app.models.calendar import SchoolHoliday
from app.models.school import Site
from app.sla import school_rules
from app.sla.calendar import FWB, SCHOOL_CALENDARS, school_calendar
from app.sla.loading import forget_school_holidays

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
NAME_MAX = 120
# The summer holidays are the longest period (about 8 weeks): more is a typing error.
MAX_DAYS = 92
# The rules fill the school years up to the one this far ahead (the next twelve months always
# have dates, at least provisional ones).
DERIVE_AHEAD = timedelta(days=2 * 365)


class HolidayError(Exception):
    """Bad input: `errors` maps a field ("name", "starts_on", "ends_on", "file" or None for the
    whole form) to its French messages."""

    def __init__(self, errors: dict[str | None, list[str]]):
        self.errors = errors
        super().__init__(" ".join(m for messages in errors.values() for m in messages))

    @property
    def messages(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]


def today_in_brussels() -> date:
    return datetime.now(BRUSSELS).date()


# « Origine » of a period on the holiday page: its label and its badge's kind.
ORIGINS = {
    "ical": (_l("Importée"), "info"),
    "rules": (_l("Confirmée"), "info"),
    "manual": (_l("Saisie"), "neutral"),
}
PROVISIONAL = (_l("Provisoire"), "warning")


def origin(period: SchoolHoliday) -> tuple[str, str]:
    """Where a period's dates come from, as the holiday page shows it: label and badge kind."""
    if period.provisional:
        return PROVISIONAL
    return ORIGINS.get(period.source, ORIGINS["manual"])


def _date_fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _code(calendar: str | None) -> str:
    try:
        return school_calendar(calendar).code
    except ValueError as exc:
        raise HolidayError({None: [_("Ce calendrier scolaire n’existe pas.")]}) from exc


def packaged_files(calendar: str) -> list[Path]:
    """The packaged files of one calendar, oldest school year first."""
    return sorted(DATA_DIR.glob(f"conges-scolaires-{_code(calendar)}-*.ics"))


def all_periods(calendar: str = FWB.code) -> list[SchoolHoliday]:
    """Every period of one calendar, the most recent first."""
    return list(
        db.session.scalars(
            select(SchoolHoliday)
            .where(SchoolHoliday.calendar == _code(calendar))
            .order_by(SchoolHoliday.starts_on.desc(), SchoolHoliday.id)
        )
    )


def _overlapping(calendar: str, starts_on: date, ends_on: date, exclude: Iterable[int] = ()):
    stmt = select(SchoolHoliday).where(
        SchoolHoliday.calendar == calendar,
        SchoolHoliday.starts_on <= ends_on,
        SchoolHoliday.ends_on >= starts_on,
    )
    excluded = [i for i in exclude if i is not None]
    if excluded:
        stmt = stmt.where(SchoolHoliday.id.not_in(excluded))
    return db.session.scalars(stmt.order_by(SchoolHoliday.starts_on)).first()


def _check(
    calendar: str,
    name: str | None,
    starts_on: date | None,
    ends_on: date | None,
    exclude_id: int | None = None,
) -> tuple[str, date, date]:
    errors: dict[str | None, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Indiquez le nom de la période (par exemple « Congé d’automne »).")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("Le nom ne dépasse pas %(n)s caractères.", n=NAME_MAX)]
    if not isinstance(starts_on, date):
        errors["starts_on"] = [_("Indiquez le premier jour de congé.")]
    if not isinstance(ends_on, date):
        errors["ends_on"] = [_("Indiquez le dernier jour de congé.")]
    if isinstance(starts_on, date) and isinstance(ends_on, date):
        if ends_on < starts_on:
            errors["ends_on"] = [_("Le dernier jour ne peut pas précéder le premier jour.")]
        elif (ends_on - starts_on).days + 1 > MAX_DAYS:
            errors["ends_on"] = [
                _(
                    "Une période de congé dure au plus %(n)s jours : vérifiez les dates.",
                    n=MAX_DAYS,
                )
            ]
        else:
            other = _overlapping(calendar, starts_on, ends_on, [exclude_id])
            if other is not None:
                errors[None] = [
                    _(
                        "Ces dates chevauchent « %(name)s » (du %(start)s au %(end)s).",
                        name=other.name,
                        start=_date_fr(other.starts_on),
                        end=_date_fr(other.ends_on),
                    )
                ]
    if errors:
        raise HolidayError(errors)
    return name, starts_on, ends_on


def create(
    name: str | None,
    starts_on: date | None,
    ends_on: date | None,
    *,
    calendar: str = FWB.code,
    source: str = "manual",
) -> SchoolHoliday:
    calendar = _code(calendar)
    name, starts_on, ends_on = _check(calendar, name, starts_on, ends_on)
    holiday = SchoolHoliday(
        calendar=calendar, name=name, starts_on=starts_on, ends_on=ends_on, source=source
    )
    db.session.add(holiday)
    db.session.flush()
    forget_school_holidays()
    return holiday


def update(
    holiday: SchoolHoliday, name: str | None, starts_on: date | None, ends_on: date | None
) -> SchoolHoliday:
    """Change a period; dates an admin sets are no longer provisional."""
    name, starts_on, ends_on = _check(
        holiday.calendar, name, starts_on, ends_on, exclude_id=holiday.id
    )
    holiday.name, holiday.starts_on, holiday.ends_on = name, starts_on, ends_on
    holiday.provisional = False
    db.session.flush()
    forget_school_holidays()
    return holiday


def delete(holiday: SchoolHoliday) -> None:
    db.session.delete(holiday)
    db.session.flush()
    forget_school_holidays()


def confirm(holidays: Iterable[SchoolHoliday]) -> list[SchoolHoliday]:
    """Mark provisional periods as confirmed by an admin; those that changed."""
    changed = [h for h in holidays if h.provisional]
    for holiday in changed:
        holiday.provisional = False
    db.session.flush()
    return changed


def school_year_periods(calendar: str, first_year: int) -> list[SchoolHoliday]:
    """The periods of one school year of `calendar`, in calendar order."""
    return sorted(
        (
            p
            for p in all_periods(calendar)
            if school_rules.school_year_of(p.starts_on) == first_year
        ),
        key=lambda p: p.starts_on,
    )


# ------------------------------------------------------------------ the rules


def fill_provisional(calendar: str, today: date) -> list[SchoolHoliday]:
    """Derive from the rules the school years from today's to the one DERIVE_AHEAD away that
    have no period at all in `calendar`, as provisional periods (a period that would overlap one
    kept by hand is left out). Idempotent: a year with periods is never touched."""
    calendar = _code(calendar)
    known = {school_rules.school_year_of(p.starts_on) for p in all_periods(calendar)}
    first = max(school_rules.school_year_of(today), school_rules.FIRST_YEAR[calendar])
    last = school_rules.school_year_of(today + DERIVE_AHEAD)
    created: list[SchoolHoliday] = []
    for year in range(first, last + 1):
        if year in known:
            continue
        for period in school_rules.derive(calendar, year):
            if _overlapping(calendar, period.starts_on, period.ends_on) is not None:
                continue
            holiday = _holiday(calendar, period, source="rules", provisional=True)
            db.session.add(holiday)
            db.session.flush()
            created.append(holiday)
    forget_school_holidays()
    return created


def _holiday(calendar: str, period, *, source: str, provisional: bool = False) -> SchoolHoliday:
    """A holiday of `calendar` for a period (derived by the rules, or read from a file)."""
    return SchoolHoliday(
        calendar=calendar,
        name=period.name,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        source=source,
        provisional=provisional,
    )


def calendars_in_use() -> list[str]:
    """The FWB's calendar, and every other one a site follows."""
    codes = set(db.session.scalars(select(Site.school_calendar).distinct())) | {FWB.code}
    return [code for code in SCHOOL_CALENDARS if code in codes]


def coverage_of(calendar: str, today: date) -> school_rules.Coverage:
    rows = db.session.execute(
        select(SchoolHoliday.starts_on, SchoolHoliday.ends_on, SchoolHoliday.provisional).where(
            SchoolHoliday.calendar == _code(calendar)
        )
    ).all()
    return school_rules.coverage(calendar, [tuple(row) for row in rows], today)


def coverage_alerts(today: date) -> list[school_rules.Coverage]:
    """The calendars in use whose next twelve months are not covered by confirmed dates."""
    return [c for c in (coverage_of(code, today) for code in calendars_in_use()) if not c.ok]


# ------------------------------------------------------------------ iCalendar


@dataclass(frozen=True)
class ParsedPeriod:
    number: int  # the event's rank in the file, from 1
    line: int  # the line of its BEGIN:VEVENT
    name: str
    starts_on: date
    ends_on: date


@dataclass
class ImportReport:
    created: list[SchoolHoliday] = field(default_factory=list)
    renamed: list[SchoolHoliday] = field(default_factory=list)
    unchanged: list[SchoolHoliday] = field(default_factory=list)
    # Provisional periods the file confirms (same dates) or replaces (other dates, same years).
    confirmed: list[SchoolHoliday] = field(default_factory=list)
    replaced: list[SchoolHoliday] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.renamed) + len(self.unchanged) + len(self.confirmed)

    def summary(self) -> str:
        text = _(
            "%(total)s période(s) dans le fichier : %(created)s ajoutée(s), "
            "%(renamed)s renommée(s), %(unchanged)s déjà à jour.",
            total=self.total,
            created=len(self.created),
            renamed=len(self.renamed),
            unchanged=len(self.unchanged),
        )
        if self.confirmed or self.replaced:
            text += " " + _(
                "Dates provisoires : %(confirmed)s confirmée(s), %(replaced)s remplacée(s).",
                confirmed=len(self.confirmed),
                replaced=len(self.replaced),
            )
        return text


class IcalError(HolidayError):
    def __init__(self, messages: list[str]):
        super().__init__({"file": messages})


def _text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IcalError(
            [_("Ligne %(line)s : le fichier n’est pas du texte UTF-8.", line=line)]
        ) from exc


def looks_like_ical(data: bytes) -> bool:
    """The content (not the name nor the browser's type) starts as an iCalendar file."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.upper().startswith(b"BEGIN:VCALENDAR")


_CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(;[^:]*)?:")


def _scan(text: str) -> list[int]:
    """Check the file line by line (content lines, BEGIN/END pairs) and return the line number
    of each BEGIN:VEVENT, in file order; IcalError with the numbered lines otherwise."""
    errors: list[str] = []
    events: list[int] = []
    stack: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line[0] in " \t":  # blank, or the folded rest of a line
            continue
        if not _CONTENT_LINE.match(line):
            errors.append(
                _("Ligne %(line)s : ligne illisible « %(text)s ».", line=number, text=line[:60])
            )
            continue
        key, _sep, value = line.partition(":")
        key, value = key.split(";")[0].upper(), value.strip().upper()
        if key == "BEGIN":
            stack.append((value, number))
            if value == "VEVENT":
                events.append(number)
        elif key == "END":
            if not stack or stack[-1][0] != value:
                errors.append(
                    _(
                        "Ligne %(line)s : END:%(name)s ne ferme aucun BEGIN:%(name)s.",
                        line=number,
                        name=value,
                    )
                )
            else:
                stack.pop()
    for name, number in stack:
        errors.append(
            _("Ligne %(line)s : BEGIN:%(name)s n’est jamais fermé.", line=number, name=name)
        )
    if errors:
        raise IcalError(errors)
    return events


def _day(value, what: str, where: str) -> date:
    day = getattr(value, "dt", None)
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValueError(
            _(
                "%(where)s : %(what)s n’est pas une date de journée entière "
                "(attendu : %(what)s;VALUE=DATE:AAAAMMJJ).",
                where=where,
                what=what,
            )
        )
    return day


def parse_ical(data: bytes) -> list[ParsedPeriod]:
    """The periods of an iCalendar file, or IcalError listing every problem (numbered)."""
    if not looks_like_ical(data):
        raise IcalError([_("Ligne 1 : le fichier ne commence pas par BEGIN:VCALENDAR.")])
    text = _text(data)
    lines = _scan(text)
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        detail = (str(exc).splitlines() or [""])[0][:120]
        raise IcalError(
            [_("Le fichier n’est pas un calendrier iCalendar valide (%(error)s).", error=detail)]
        ) from exc
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise IcalError([_("Le fichier ne contient aucun événement (VEVENT).")])
    periods: list[ParsedPeriod] = []
    errors: list[str] = []
    for number, event in enumerate(events, 1):
        line = lines[number - 1] if number <= len(lines) else 0
        where = _("Événement %(n)s (ligne %(line)s)", n=number, line=line)
        try:
            for prop, problem in event.errors:
                raise ValueError(
                    _(
                        "%(where)s : la valeur de %(prop)s est illisible (%(problem)s).",
                        where=where,
                        prop=prop,
                        problem=str(problem)[:80],
                    )
                )
            summary = str(event.get("SUMMARY", ""))
            if control_character(summary):
                raise ValueError(
                    _(
                        "%(where)s : le nom contient un caractère de contrôle (%(code)s).",
                        where=where,
                        code=control_character(summary),
                    )
                )
            name = " ".join(clean_text(summary, multiline=False).split())
            if not name:
                raise ValueError(_("%(where)s : il n’a pas de nom (SUMMARY).", where=where))
            if len(name) > NAME_MAX:
                raise ValueError(
                    _("%(where)s : le nom dépasse %(n)s caractères.", where=where, n=NAME_MAX)
                )
            if "RRULE" in event or "RDATE" in event:
                raise ValueError(
                    _("%(where)s : les événements répétés ne sont pas pris en charge.", where=where)
                )
            if "DTSTART" not in event:
                raise ValueError(
                    _("%(where)s : il n’a pas de date de début (DTSTART).", where=where)
                )
            starts_on = _day(event["DTSTART"], "DTSTART", where)
            if "DTEND" in event:
                after = _day(event["DTEND"], "DTEND", where)
            elif "DURATION" in event:
                after = starts_on + event["DURATION"].dt
            else:
                after = starts_on + timedelta(days=1)  # RFC 5545: an all-day event of one day
            if after <= starts_on:
                raise ValueError(
                    _("%(where)s : la fin (DTEND) doit suivre le début (DTSTART).", where=where)
                )
            ends_on = after - timedelta(days=1)
            if (ends_on - starts_on).days + 1 > MAX_DAYS:
                raise ValueError(
                    _(
                        "%(where)s : une période de congé dure au plus %(n)s jours.",
                        where=where,
                        n=MAX_DAYS,
                    )
                )
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            errors.append(str(exc))
            continue
        periods.append(ParsedPeriod(number, line, name, starts_on, ends_on))
    errors.extend(_overlaps_within(periods))
    if errors:
        raise IcalError(errors)
    return periods


def _overlaps_within(periods: list[ParsedPeriod]) -> Iterable[str]:
    ordered = sorted(periods, key=lambda p: (p.starts_on, p.ends_on))
    for before, after in itertools.pairwise(ordered):
        if after.starts_on <= before.ends_on:
            yield _(
                "Événements %(a)s (ligne %(la)s) et %(b)s (ligne %(lb)s) : "
                "les dates se chevauchent.",
                a=before.number,
                la=before.line,
                b=after.number,
                lb=after.line,
            )


def import_ical(data: bytes, calendar: str = FWB.code) -> ImportReport:
    """Add the file's periods to `calendar`; the same dates as an existing period rename it (and
    confirm it when it was provisional); the other provisional periods of the school years the
    file covers, or that it overlaps, are replaced. All or nothing: IcalError (nothing written)
    when the file or one of its periods is wrong."""
    calendar = _code(calendar)
    periods = parse_ical(data)
    years = {school_rules.school_year_of(p.starts_on) for p in periods}
    dates = {(p.starts_on, p.ends_on) for p in periods}
    provisional = db.session.scalars(
        select(SchoolHoliday).where(
            SchoolHoliday.calendar == calendar, SchoolHoliday.provisional.is_(True)
        )
    ).all()
    replaced = [
        h
        for h in provisional
        if (h.starts_on, h.ends_on) not in dates
        and (
            school_rules.school_year_of(h.starts_on) in years
            or any(p.starts_on <= h.ends_on and h.starts_on <= p.ends_on for p in periods)
        )
    ]
    gone = [h.id for h in replaced]
    report = ImportReport(replaced=replaced)
    errors: list[str] = []
    plan: list[tuple[ParsedPeriod, SchoolHoliday | None]] = []
    for period in periods:
        same = db.session.scalars(
            select(SchoolHoliday).where(
                SchoolHoliday.calendar == calendar,
                SchoolHoliday.starts_on == period.starts_on,
                SchoolHoliday.ends_on == period.ends_on,
            )
        ).first()
        if same is None:
            other = _overlapping(calendar, period.starts_on, period.ends_on, gone)
            if other is not None:
                errors.append(
                    _(
                        "Événement %(n)s (ligne %(line)s) : ses dates chevauchent « %(name)s » "
                        "(du %(start)s au %(end)s).",
                        n=period.number,
                        line=period.line,
                        name=other.name,
                        start=_date_fr(other.starts_on),
                        end=_date_fr(other.ends_on),
                    )
                )
                continue
        plan.append((period, same))
    if errors:
        raise IcalError(errors)
    for holiday in replaced:
        db.session.delete(holiday)
    db.session.flush()
    for period, same in plan:
        if same is None:
            holiday = _holiday(calendar, period, source="ical")
            db.session.add(holiday)
            report.created.append(holiday)
        elif same.provisional:
            same.name, same.provisional, same.source = period.name, False, "ical"
            report.confirmed.append(same)
        elif same.name != period.name:
            same.name = period.name
            report.renamed.append(same)
        else:
            report.unchanged.append(same)
    db.session.flush()
    forget_school_holidays()
    return report


def import_file(path: Path | str, calendar: str = FWB.code) -> ImportReport:
    """Import an .ics file from disk into `calendar`."""
    return import_ical(Path(path).read_bytes(), calendar)


@dataclass
class PackagedReport:
    """What `import_packaged` did, per calendar: one report per packaged file, and the
    provisional periods derived after them."""

    files: dict[str, list[tuple[Path, ImportReport]]] = field(default_factory=dict)
    derived: dict[str, list[SchoolHoliday]] = field(default_factory=dict)

    @property
    def created(self) -> int:
        imported = sum(len(r.created) for rows in self.files.values() for _p, r in rows)
        return imported + sum(len(rows) for rows in self.derived.values())

    def lines(self) -> list[str]:
        out = []
        for code, rows in self.files.items():
            calendar = school_calendar(code)
            for path, report in rows:
                out.append(f"{calendar.short} {path.name} : {report.summary()}")
            out.append(
                _(
                    "%(calendar)s : %(n)s période(s) provisoire(s) calculée(s) selon les règles.",
                    calendar=calendar.short,
                    n=len(self.derived.get(code, [])),
                )
            )
        return out

    def summary(self) -> str:
        return " ".join(self.lines())


def import_packaged(today: date | None = None) -> PackagedReport:
    """Load every packaged file of every school calendar, then derive the years after them
    (fill_provisional). Idempotent: run again, it changes nothing. IcalError (nothing written
    by that file) when a packaged period overlaps one kept by hand."""
    today = today or today_in_brussels()
    report = PackagedReport()
    for code in SCHOOL_CALENDARS:
        report.files[code] = [(path, import_file(path, code)) for path in packaged_files(code)]
        report.derived[code] = fill_provisional(code, today)
    return report
