"""The coordinator's figures, per supplier or per equipment lot, over a period.

What each figure counts (docs/user-guide/coordinator.md repeats it for the dashboard's readers):
- only the work of suppliers: tickets whose request type is handled by a supplier
  (`RequestType.handled_by_supplier`; not the information centre's questions, even when a
  supplier was named on one);
- received: tickets a supplier received (its own service-level clock started) in the period;
- time to plan / to finish: business hours on the supplier's own clocks (from its assignment,
  pauses excluded) that stopped on target or late; median and 90th percentile;
- within target: clocks stopped on time, out of those stopped plus those still running past
  their due time (a late ticket counts against the supplier before it is finished). Each
  reopening starts a new round with its own clocks and target, so a ticket counts once per
  round: these denominators are rounds (« passages »), and may exceed the tickets received;
- reopening rate: received tickets reopened at least once; automatic-closure rate: of the
  received tickets now closed, those closed by the 15-day rule;
- backlog: tickets the supplier holds now, not yet finished, by age since it received them;
- resolved at the first contact (the EN desk's figure, every request type): of the tickets
  opened in the period and not cancelled, those the EN team resolved at the first contact
  (`Ticket.resolved_first_contact`), against the same 85 % bar.
A handful of grouped queries whatever the number of tickets, over the kept rows of
app.dashboard.kept (one per clock, read by day, no join; docs/architecture.md says why not per
day), or `live` over the clocks, tickets and events (counts per group and clock kind, medians
and percentiles — computed by PostgreSQL, or from the minutes elsewhere —, the open backlog);
the arithmetic and its definitions are in app.dashboard.stats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, distinct, exists, func, or_, select, tuple_

from app.core.time import BRUSSELS
from app.dashboard.stats import AGE_BUCKETS, FirstContact, Scorecard, total
from app.extensions import db
from app.models import (
    DashboardClock,
    Equipment,
    RequestType,
    ServiceClock,
    Supplier,
    Ticket,
    TicketEvent,
)
from app.models.types import UTCDateTime, utcnow
from app.tickets.events import EventKind

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
    first_contact: FirstContact | None = None  # the EN desk's figure: not on a supplier's page


def supplier_work():
    """Tickets of a request type a supplier handles (not the EN team's information requests)."""
    return Ticket.request_type_id.in_(
        select(RequestType.id).where(RequestType.handled_by_supplier.is_(True))
    )


def _lot_column():
    return func.coalesce(Equipment.lot, NO_LOT)


def dashboard(
    period: Period,
    *,
    group: str = "supplier",
    supplier_id: int | None = None,
    now: datetime | None = None,
    live: bool = False,
) -> Dashboard:
    """The figures from the kept rows (app.models.dashboard); `live`: computed from the clocks,
    tickets and events themselves (the same figures, ten times slower: what the tests compare
    the kept rows with)."""
    now = now or utcnow()
    by_lot = group == "lot"
    if not live and not _kept_rows_ready():
        live = True  # just upgraded: the kept rows wait for their first rebuild (`dashboard` job)
    if live:
        key = _lot_column() if by_lot else ServiceClock.supplier_id
        scope = [
            ServiceClock.supplier_id.is_not(None),
            ServiceClock.ticket_id.in_(select(Ticket.id).where(supplier_work())),
            ServiceClock.started_at >= period.starts_at,
            ServiceClock.started_at < period.ends_at,
        ]
        if supplier_id is not None:
            scope.append(ServiceClock.supplier_id == supplier_id)
        counts = _counts(key, scope, now)

        def stopped(*columns):
            query = _clocks(*columns, tickets=by_lot).where(*scope)
            return query.where(ServiceClock.outcome.in_(("met", "breached")))

        times = (key, ServiceClock.kind, ServiceClock.spent_minutes, stopped)
    else:
        counts, times = _kept(period, by_lot=by_lot, supplier_id=supplier_id, now=now)

    cards: dict[object, Scorecard] = {}

    def card_for(value) -> Scorecard:
        return cards.get(value) or cards.setdefault(value, Scorecard(key=value, name=str(value)))

    for row in db.session.execute(counts):
        card = card_for(row.key)
        target = card.plan if row.kind == "plan" else card.resolve
        target.met, target.breached = int(row.met or 0), int(row.breached or 0)
        if row.kind == "plan":
            card.received, card.closed = int(row.tickets or 0), int(row.closed or 0)
            card.reopened, card.auto_closed = int(row.reopened or 0), int(row.auto_closed or 0)

    overall_times = _times(*times, card_for)
    _backlog(cards, by_lot=by_lot, supplier_id=supplier_id, now=now)
    if not by_lot:
        names = dict(db.session.execute(select(Supplier.id, Supplier.name)).all())
        for card in cards.values():
            card.name = names.get(card.key, "—")
    ordered = sorted(cards.values(), key=lambda c: c.name.casefold())
    overall = total(ordered, "Ensemble")
    for kind, (median_value, p90_value) in overall_times.items():
        target = overall.plan if kind == "plan" else overall.resolve
        target.known_median, target.known_p90 = median_value, p90_value
    first = first_contact(period) if supplier_id is None else None
    return Dashboard(period, group, ordered, overall, first)


def first_contact(period: Period) -> FirstContact:
    """Tickets opened in the period and not cancelled; those resolved at the first contact."""
    opened, resolved = db.session.execute(
        select(
            func.count(Ticket.id),
            func.coalesce(func.sum(case((Ticket.resolved_first_contact.is_(True), 1), else_=0)), 0),
        ).where(
            Ticket.created_at >= period.starts_at,
            Ticket.created_at < period.ends_at,
            Ticket.status != "cancelled",
        )
    ).one()
    return FirstContact(resolved=int(resolved), opened=int(opened))


def _kept_rows_ready() -> bool:
    """Whether the kept rows may be read: some exist, or there is no supplier clock to keep.
    Right after the migration that adds them the table is empty until the periodic job rebuilds
    it; the figures are computed directly meanwhile rather than shown empty."""
    if db.session.scalar(select(exists().where(DashboardClock.clock_id.is_not(None)))):
        return True
    return not db.session.scalar(select(exists().where(ServiceClock.supplier_id.is_not(None))))


def _kept(period: Period, *, by_lot: bool, supplier_id: int | None, now: datetime):
    """The counting query and the times' parts over the kept rows: one table, no join.

    « Distinct tickets » is a plain count: of a ticket's clocks in the period, only the first
    has no previous clock, or one that started before the period (per supplier, or per ticket
    when a lot's figures cover every supplier)."""
    kept = DashboardClock
    key = kept.lot if by_lot else kept.supplier_id
    previous = kept.previous_day if by_lot and supplier_id is None else kept.previous_supplier_day
    first = or_(previous.is_(None), previous < period.start)
    scope = [kept.day >= period.start, kept.day <= period.end]
    if supplier_id is not None:
        scope.append(kept.supplier_id == supplier_id)

    def number(condition):
        return func.sum(case((condition, 1), else_=0))

    counts = (
        select(
            key.label("key"),
            kept.kind,
            number(first).label("tickets"),
            number(and_(first, kept.closed)).label("closed"),
            number(and_(first, kept.reopened)).label("reopened"),
            number(and_(first, kept.auto_closed)).label("auto_closed"),
            number(kept.outcome == "met").label("met"),
            number(or_(kept.outcome == "breached", kept.running_due_at < now)).label("breached"),
        )
        .where(*scope)
        .group_by(key, kept.kind)
    )

    def stopped(*columns):
        return select(*columns).where(*scope, kept.outcome.in_(("met", "breached")))

    return counts, (key, kept.kind, kept.spent_minutes, stopped)


def _clocks(*columns, tickets: bool = True):
    query = select(*columns).select_from(ServiceClock)
    if not tickets:  # the clocks alone: grouped by supplier, or not grouped
        return query
    return query.join(Ticket, Ticket.id == ServiceClock.ticket_id).outerjoin(
        Equipment, Equipment.id == Ticket.equipment_id
    )


def _counts(key, scope, now: datetime):
    """Per group and clock kind: tickets, closed, reopened, closed automatically, met, late."""
    marks = (
        select(
            TicketEvent.ticket_id,
            func.max(case((TicketEvent.kind == EventKind.REOPEN, 1), else_=0)).label("reopened"),
            func.max(case((TicketEvent.kind == EventKind.AUTO_CLOSE, 1), else_=0)).label("auto"),
        )
        .where(TicketEvent.kind.in_((EventKind.REOPEN, EventKind.AUTO_CLOSE)))
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    ticket = ServiceClock.ticket_id
    closed = Ticket.status == "closed"
    late = or_(
        ServiceClock.outcome == "breached",
        and_(ServiceClock.stopped_at.is_(None), ServiceClock.due_at < now),
    )
    return (
        _clocks(
            key.label("key"),
            ServiceClock.kind,
            func.count(distinct(ticket)).label("tickets"),
            func.count(distinct(case((closed, ticket)))).label("closed"),
            func.count(distinct(case((marks.c.reopened == 1, ticket)))).label("reopened"),
            func.count(distinct(case((and_(closed, marks.c.auto == 1), ticket)))).label(
                "auto_closed"
            ),
            func.sum(case((ServiceClock.outcome == "met", 1), else_=0)).label("met"),
            func.sum(case((late, 1), else_=0)).label("breached"),
        )
        .outerjoin(marks, marks.c.ticket_id == ServiceClock.ticket_id)
        .where(*scope)
        .group_by(key, ServiceClock.kind)
    )


def _times(key, kind, minutes, stopped, card_for) -> dict[str, tuple[float | None, float | None]]:
    """Median and 90th percentile of the stopped clocks, per group and for all of them;
    `stopped(*columns)` selects the columns over the stopped clocks in scope.

    PostgreSQL computes them (one grouped query); elsewhere the minutes are read and
    app.dashboard.stats does the same arithmetic.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        for value, clock_kind, spent in db.session.execute(stopped(key, kind, minutes)):
            card = card_for(value)
            target = card.plan if clock_kind == "plan" else card.resolve
            target.hours.append((spent or 0) / 60)
        return {}

    # One scan for both: the groups' figures and, in the same pass, all the groups' together
    # (the grouping set without the key, whose key comes back empty; the scope excludes an
    # empty key otherwise: clocks without a supplier, and lots made non-empty by coalesce).
    query = stopped(
        key.label("key"),
        kind,
        func.percentile_cont(0.5).within_group(minutes),
        func.percentile_disc(0.9).within_group(minutes),
    ).group_by(func.grouping_sets(tuple_(key, kind), kind))
    overall: dict[str, tuple[float | None, float | None]] = {}
    for value, clock_kind, mid, high in db.session.execute(query):
        if value is None:
            overall[clock_kind] = (_hours(mid), _hours(high))
            continue
        card = card_for(value)
        target = card.plan if clock_kind == "plan" else card.resolve
        target.known_median, target.known_p90 = _hours(mid), _hours(high)
    return overall


def _hours(minutes) -> float | None:
    return None if minutes is None else float(minutes) / 60


def _backlog(cards, *, by_lot: bool, supplier_id: int | None, now: datetime) -> None:
    """Counted by the database per group and age bucket: a handful of rows, not one per ticket.

    A ticket is in the bucket whose upper bound (in days since `since`) it has not reached:
    `now - since < upper days`, i.e. `since > now - upper days` (app.dashboard.stats.age_bucket).
    """
    key_column = _lot_column() if by_lot else Ticket.supplier_id
    since = func.coalesce(Ticket.supplier_assigned_at, Ticket.created_at, type_=UTCDateTime())
    bucket = case(
        *[
            (since > now - timedelta(days=upper), index)
            for index, (_label, upper) in enumerate(AGE_BUCKETS[:-1])
        ],
        else_=len(AGE_BUCKETS) - 1,
    )
    query = (
        select(key_column.label("key"), bucket.label("bucket"), func.count().label("tickets"))
        .outerjoin(Equipment, Equipment.id == Ticket.equipment_id)
        .where(
            and_(Ticket.status.in_(UNFINISHED), Ticket.supplier_id.is_not(None), supplier_work())
        )
        .group_by(key_column, bucket)
    )
    if supplier_id is not None:
        query = query.where(Ticket.supplier_id == supplier_id)
    for key, index, tickets in db.session.execute(query):
        card = cards.get(key) or cards.setdefault(key, Scorecard(key=key, name=str(key)))
        card.backlog[index] += tickets
