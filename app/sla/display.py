"""What the ticket page and the mails say about the clocks: state in words, not only colour.

« Prise en compte : échéance lun. 16/11 à 16:00 — reste 3 h 20 », « dépassé de 2 h »,
« En pause depuis … (attente d’une pièce) ». Reads only (one query for the clocks of the round,
one for the open pause); `clock_line` writes the plain French of a stored event body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.core.time import BRUSSELS
from app.models import ServiceClock, Supplier, Ticket, TicketPause, User
from app.models.types import utcnow
from app.sla import clocks, pauses, settings
from app.sla.calendar import BusinessCalendar
from app.sla.loading import calendar_for
from app.tickets.events import pause_label
from app.tickets.planning import locale

# States of one clock, as the page shows them (each with a badge in words).
RUNNING, SOON, LATE, PAUSED, MET, BREACHED, STOPPED = (
    "running",
    "soon",
    "late",
    "paused",
    "met",
    "breached",
    "stopped",
)


def _minutes_per_day(cal: BusinessCalendar) -> int:
    return (cal.closes.hour * 60 + cal.closes.minute) - (cal.opens.hour * 60 + cal.opens.minute)


def duration_text(minutes: int, day: int = 480) -> str:
    """Business time, the way people say it: « 45 min », « 3 h 20 », « 16 h »; beyond two
    business days, « 3 jours ouvrés et 4 h »."""
    minutes = abs(int(minutes))
    days, rest = divmod(minutes, day) if day and minutes > 2 * day else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)d jour ouvré", "%(num)d jours ouvrés", days))
    if hours:
        parts.append(f"{hours} h {mins:02d}" if mins else f"{hours} h")
    elif mins or not parts:
        parts.append(f"{mins} min")
    if len(parts) == 2:
        return _("%(days)s et %(rest)s", days=parts[0], rest=parts[1])
    return parts[0]


# A short day, the way each language writes it: « lun. 16/11 », « Mo., 16.11. ».
SHORT_DAY_PATTERNS = {"fr_BE": "EEE dd/MM", "de_BE": "EEE, dd.MM."}


def moment_text(instant: datetime) -> str:
    """« lun. 16/11 à 16:00 », « Mo., 16.11. um 16:00 » (Brussels time)."""
    local = instant.astimezone(BRUSSELS)
    where = locale()
    return _(
        "%(day)s à %(time)s",
        day=format_datetime(local, SHORT_DAY_PATTERNS.get(where, "EEE dd/MM"), locale=where),
        time=format_datetime(local, "HH:mm", locale=locale()),
    )


KIND_NAMES = {clocks.PLAN: _l("Prise en compte"), clocks.RESOLVE: _l("Résolution")}


def clock_line(
    clock: ServiceClock, now: datetime, cal: BusinessCalendar, supplier: Supplier | None = None
) -> str:
    """Plain French for a mail or a stored body: « Prise en compte : échéance … — reste … »."""
    left = clocks.remaining(clock, now, cal)
    day = _minutes_per_day(cal)
    name = str(KIND_NAMES[clock.kind]) + (f" ({supplier.name})" if supplier is not None else "")
    due = (
        _("échéance %(moment)s", moment=moment_text(clock.due_at))
        if clock.due_at
        else _("en pause")
    )
    if left >= 0:
        return _(
            "%(name)s : %(due)s — reste %(time)s", name=name, due=due, time=duration_text(left, day)
        )
    return _(
        "%(name)s : %(due)s — dépassé de %(time)s",
        name=name,
        due=due,
        time=duration_text(left, day),
    )


# ------------------------------------------------------------------ the page


@dataclass
class ClockView:
    clock: ServiceClock
    name: str
    state: str
    text: str
    badge: str
    badge_kind: str


@dataclass
class ClockPanel:
    ticket: Ticket
    rows: list[ClockView] = field(default_factory=list)
    supplier_rows: list[ClockView] = field(default_factory=list)
    supplier_name: str = ""
    supplier_since: datetime | None = None
    pause: TicketPause | None = None
    pause_label: str = ""
    can_act: bool = False  # the user may pause, resume and ask the school now
    may_ask: bool = False  # … and the ticket has a contact address to ask
    reminder_days: int = 3
    close_days: int = 7
    hours_text: str = ""
    forms: dict = field(default_factory=dict)
    open_form: str | None = None  # the form that came back with an error

    @property
    def empty(self) -> bool:
        return not self.rows and not self.supplier_rows

    @property
    def asking(self) -> bool:
        return self.pause is not None and self.pause.kind == pauses.INFORMATION


def _names() -> dict[str, str]:
    return {clocks.PLAN: _("Prise en compte"), clocks.RESOLVE: _("Résolution")}


def view_of(
    clock: ServiceClock,
    now: datetime,
    cal: BusinessCalendar,
    pause: TicketPause | None,
    warning: int,
) -> ClockView:
    day = _minutes_per_day(cal)
    name = _names()[clock.kind]
    if clock.stopped_at is not None:
        at = moment_text(clock.stopped_at)
        took = duration_text(clock.spent_minutes or 0, day)
        if clock.outcome in (clocks.MET, clocks.BREACHED):
            over = (clock.spent_minutes or 0) - clock.target_minutes
            if over > 0:
                text = _(
                    "atteint %(at)s, en %(took)s — dépassé de %(over)s",
                    at=at,
                    took=took,
                    over=duration_text(over, day),
                )
                return ClockView(clock, name, BREACHED, text, _("Délai dépassé"), "danger")
            text = _("atteint %(at)s, en %(took)s", at=at, took=took)
            return ClockView(clock, name, MET, text, _("Délai respecté"), "success")
        why = {
            clocks.REASSIGNED: _("changement de fournisseur"),
            clocks.CANCELLED: _("demande annulée"),
            clocks.CLOSED: _("demande fermée"),
        }.get(clock.outcome or "", clock.outcome or "")
        text = _("arrêté %(at)s (%(why)s)", at=at, why=why)
        return ClockView(clock, name, STOPPED, text, _("Arrêté"), "neutral")
    left = clocks.remaining(clock, now, cal, pause.started_at if pause else None)
    if clock.due_at is None:
        if left >= 0:
            text = _("en pause — reste %(left)s", left=duration_text(left, day))
        else:
            text = _("en pause — dépassé de %(over)s", over=duration_text(left, day))
        return ClockView(clock, name, PAUSED, text, _("En pause"), "neutral")
    due = moment_text(clock.due_at)
    if left < 0 or clock.due_at <= now:
        text = _("échéance %(due)s — dépassé de %(over)s", due=due, over=duration_text(left, day))
        return ClockView(clock, name, LATE, text, _("En retard"), "danger")
    text = _("échéance %(due)s — reste %(left)s", due=due, left=duration_text(left, day))
    if left <= warning:
        return ClockView(clock, name, SOON, text, _("Bientôt en retard"), "warning")
    return ClockView(clock, name, RUNNING, text, _("Dans les temps"), "info")


def _hours_text(cal: BusinessCalendar) -> str:
    return _(
        "Délais en heures ouvrées : %(opens)s–%(closes)s, jours ouvrables, jours fériés exclus.",
        opens=cal.opens.strftime("%H:%M"),
        closes=cal.closes.strftime("%H:%M"),
    )


def clock_panel(ticket: Ticket, user: User, *, now: datetime | None = None) -> ClockPanel:
    """The clocks of the ticket's current round as the page shows them to `user`."""
    now = now or utcnow()
    rows = list(ticket.current_clocks)  # joined by the page's statement (else one query here)
    pause = ticket.open_pause  # joined by the page's statement (else one query here)
    cal = calendar_for(ticket.supplier, site=ticket.site)
    warning = settings.warning_minutes()
    panel = ClockPanel(
        ticket=ticket,
        pause=pause,
        pause_label=pause_label(pause.kind) if pause else "",
        can_act=pauses.may_pause(user, ticket) and ticket.status in pauses.PAUSABLE,
        reminder_days=settings.reminder_days(),
        close_days=settings.close_days(),
        hours_text=_hours_text(cal),
    )
    panel.may_ask = panel.can_act and bool(ticket.contact_email)
    own = [c for c in rows if c.supplier_id is None]
    panel.rows = [view_of(c, now, cal, pause, warning) for c in _latest(own)]
    if ticket.supplier_id is not None:
        theirs = _latest([c for c in rows if c.supplier_id == ticket.supplier_id])
        starts = {c.started_at for c in own}
        if theirs and not all(c.started_at in starts for c in theirs):
            panel.supplier_rows = [view_of(c, now, cal, pause, warning) for c in theirs]
            panel.supplier_name = ticket.supplier.name
            panel.supplier_since = theirs[0].started_at
    return panel


def _latest(clock_rows: list[ServiceClock]) -> list[ServiceClock]:
    """The newest clock of each kind, in the order plan, resolve."""
    newest: dict[str, ServiceClock] = {}
    for clock in clock_rows:
        newest[clock.kind] = clock
    return [newest[kind] for kind in clocks.KINDS if kind in newest]
