"""The coordinator's figures, per supplier or per equipment lot, over a period.

What each figure counts (the README repeats it for the people who read the dashboard):
- received: tickets a supplier received (its own service-level clock started) in the period;
- time to plan / to finish: business hours on the supplier's own clocks (from its assignment,
  pauses excluded) that stopped on target or late; median and 90th percentile;
- within target: clocks stopped on time, out of those stopped plus those still running past
  their due time (a late ticket counts against the supplier before it is finished);
- reopening rate: received tickets reopened at least once; automatic-closure rate: of the
  received tickets now closed, those closed by the 15-day rule;
- backlog: tickets the supplier holds now, not yet finished, by age since it received them.
Three queries whatever the number of tickets: the clocks, the reopenings and automatic
closures of their tickets, the open backlog; the arithmetic is in app.dashboard.stats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from app.dashboard.stats import Scorecard, age_bucket, total
from app.extensions import db
from app.models import Equipment, ServiceClock, Supplier, Ticket, TicketEvent
from app.models.types import UTCDateTime, utcnow

BRUSSELS = ZoneInfo("Europe/Brussels")
NO_LOT = "Hors inventaire"
UNFINISHED = ("open", "in_progress")


@dataclass(frozen=True)
class Period:
    start: date  # both days included, Brussels dates
    end: date

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(0), BRUSSELS).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(0), BRUSSELS).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Dashboard:
    period: Period
    group: str  # "supplier" | "lot"
    cards: list[Scorecard]
    overall: Scorecard


def _lot_column():
    return func.coalesce(Equipment.lot, NO_LOT)


def dashboard(
    period: Period,
    *,
    group: str = "supplier",
    supplier_id: int | None = None,
    now: datetime | None = None,
) -> Dashboard:
    now = now or utcnow()
    by_lot = group == "lot"
    key_column = _lot_column() if by_lot else ServiceClock.supplier_id
    clocks = (
        select(
            key_column,
            ServiceClock.ticket_id,
            ServiceClock.kind,
            ServiceClock.outcome,
            ServiceClock.spent_minutes,
            ServiceClock.stopped_at,
            ServiceClock.due_at,
            Ticket.status,
        )
        .join(Ticket, Ticket.id == ServiceClock.ticket_id)
        .outerjoin(Equipment, Equipment.id == Ticket.equipment_id)
        .where(
            ServiceClock.supplier_id.is_not(None),
            ServiceClock.started_at >= period.starts_at,
            ServiceClock.started_at < period.ends_at,
        )
    )
    if supplier_id is not None:
        clocks = clocks.where(ServiceClock.supplier_id == supplier_id)
    rows = db.session.execute(clocks).all()

    cards: dict[object, Scorecard] = {}
    received: dict[object, set[int]] = {}
    closed: dict[object, set[int]] = {}
    for key, ticket_id, kind, outcome, spent, stopped_at, due_at, status in rows:
        card = cards.get(key) or cards.setdefault(key, Scorecard(key=key, name=str(key)))
        if kind == "plan":
            received.setdefault(key, set()).add(ticket_id)
            if status == "closed":
                closed.setdefault(key, set()).add(ticket_id)
        target = card.plan if kind == "plan" else card.resolve
        if stopped_at is not None and outcome in ("met", "breached"):
            target.hours.append((spent or 0) / 60)
            if outcome == "met":
                target.met += 1
            else:
                target.breached += 1
        elif stopped_at is None and due_at is not None and due_at < now:
            target.breached += 1

    every_ticket = set().union(*received.values()) if received else set()
    marked = _reopened_and_auto_closed(clocks) if every_ticket else {}
    for key, tickets in received.items():
        card = cards[key]
        card.received = len(tickets)
        card.reopened = sum(1 for t in tickets if "reopen" in marked.get(t, ()))
        card.closed = len(closed.get(key, ()))
        card.auto_closed = sum(1 for t in closed.get(key, ()) if "auto_close" in marked.get(t, ()))

    _backlog(cards, by_lot=by_lot, supplier_id=supplier_id, now=now)
    if not by_lot:
        names = dict(db.session.execute(select(Supplier.id, Supplier.name)).all())
        for card in cards.values():
            card.name = names.get(card.key, "—")
    ordered = sorted(cards.values(), key=lambda c: c.name.casefold())
    return Dashboard(period, group, ordered, total(ordered, "Ensemble"))


def _reopened_and_auto_closed(clocks) -> dict[int, set[str]]:
    """Of the period's tickets, which were reopened and which closed automatically."""
    tickets = clocks.with_only_columns(ServiceClock.ticket_id).distinct().subquery()
    rows = db.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.kind)
        .join(tickets, tickets.c.ticket_id == TicketEvent.ticket_id)
        .where(TicketEvent.kind.in_(("reopen", "auto_close")))
        .distinct()
    ).all()
    marked: dict[int, set[str]] = {}
    for ticket_id, kind in rows:
        marked.setdefault(ticket_id, set()).add(kind)
    return marked


def _backlog(cards, *, by_lot: bool, supplier_id: int | None, now: datetime) -> None:
    key_column = _lot_column() if by_lot else Ticket.supplier_id
    query = (
        select(
            key_column,
            func.coalesce(Ticket.supplier_assigned_at, Ticket.created_at, type_=UTCDateTime()),
        )
        .outerjoin(Equipment, Equipment.id == Ticket.equipment_id)
        .where(and_(Ticket.status.in_(UNFINISHED), Ticket.supplier_id.is_not(None)))
    )
    if supplier_id is not None:
        query = query.where(Ticket.supplier_id == supplier_id)
    for key, since in db.session.execute(query):
        card = cards.get(key) or cards.setdefault(key, Scorecard(key=key, name=str(key)))
        card.backlog[age_bucket((now - since).total_seconds() / 86400)] += 1
