"""The dashboard reads kept rows (app.dashboard.kept); their figures are exactly those computed
from the clocks, tickets and events themselves (`live=True`): on the hand-made set over several
periods, and as a ticket moves through the service, with no rebuild but the one each change
makes before its commit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select

from app.dashboard.figures import Period, dashboard
from app.dashboard.kept import rebuild_all
from app.extensions import db
from app.models import DashboardClock
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.dashboard.test_dashboard import MARCH, NOW, _clock, build_handmade, keep_figures
from tests.support.tickets import TOMORROW_10H, later


def _target(target):
    return (target.met, target.breached, target.median, target.p90)


def figures(board) -> list[tuple]:
    return [
        (c.key, c.name, c.received, c.closed, c.reopened, c.auto_closed, *_target(c.plan),
         *_target(c.resolve), tuple(c.backlog))
        for c in [*board.cards, board.overall]
    ]  # fmt: skip


def assert_kept_equals_live(world, period: Period, now: datetime) -> list[tuple]:
    boards = []
    for options in (
        {"group": "supplier"},
        {"group": "lot"},
        {"group": "supplier", "supplier_id": world.supplier.id},
        {"group": "lot", "supplier_id": world.supplier.id},
    ):
        kept = figures(dashboard(period, now=now, **options))
        assert kept == figures(dashboard(period, now=now, live=True, **options)), options
        boards.append(kept)
    return boards


def test_kept_figures_equal_the_direct_computation_over_any_period(world):
    t1, t2, *_rest = build_handmade(world)
    # t2's second round in April, for Meuse, and t1 handed to Brabant in April: a ticket with
    # clocks in two months counts once over both, and once in each.
    _clock(t2, world.supplier, "plan", started=datetime(2026, 4, 2, 9, tzinfo=UTC), rnd=2,
           outcome="met", hours=3)  # fmt: skip
    _clock(t1, world.other_supplier, "plan", started=datetime(2026, 4, 3, 9, tzinfo=UTC),
           due=NOW - timedelta(hours=1))  # fmt: skip
    db.session.commit()
    keep_figures()
    periods = [
        MARCH,
        Period(date(2026, 4, 1), date(2026, 4, 30)),
        Period(date(2026, 2, 1), date(2026, 4, 30)),
        Period(date(2026, 2, 20), date(2026, 3, 10)),
        Period(date(2026, 3, 11), date(2026, 4, 2)),
    ]
    for period in periods:
        assert_kept_equals_live(world, period, NOW)
    # The figures are the hand-made set's, not two empty boards agreeing.
    by_supplier = assert_kept_equals_live(world, MARCH, NOW)[0]
    assert [row[2] for row in by_supplier] == [1, 4, 5]  # Brabant, Meuse, all: received
    spring = assert_kept_equals_live(world, Period(date(2026, 2, 1), date(2026, 4, 30)), NOW)
    assert [row[2] for row in spring[0]] == [2, 4, 6]  # t1 counted by both, once by each
    assert [row[2] for row in spring[1]] == [3, 2, 5]  # by lot (Hors inventaire, Lot 04): once


def test_the_kept_rows_follow_a_ticket_through_the_service(world):
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    ticket = world.new_ticket()
    db.session.commit()
    steps = [
        (world.supplier_user, Action.PLAN, ActionInput(planned_at=TOMORROW_10H)),
        (world.supplier_user, Action.FINISH, ActionInput(summary="Alimentation remplacée.")),
        (world.teacher, Action.REOPEN, ActionInput(reason="Toujours en panne.")),
        (world.assistant, Action.REASSIGN_SUPPLIER, ActionInput(
            supplier_id=world.other_supplier.id, reason="Autre lot.")),
    ]  # fmt: skip
    seen = [assert_kept_equals_live(world, march, later(1))[0]]
    for minutes, (who, action, values) in enumerate(steps, start=2):
        ticket = apply_action(
            who, ticket.id, action, values, version=ticket.version, now=later(minutes * 60)
        ).ticket
        db.session.commit()
        seen.append(assert_kept_equals_live(world, march, later(minutes * 60 + 1))[0])
    # Each move changed the figures: planned on time, finished, reopened, handed over.
    assert len({tuple(board) for board in seen}) == len(seen)
    meuse, *_others = seen[3]
    assert (meuse[1], meuse[2], meuse[4]) == (world.supplier.name, 1, 1)  # reopened: 1 of 1


def test_the_periodic_job_rebuilds_every_row(app, world):
    build_handmade(world)
    wanted = figures(dashboard(MARCH, now=NOW, live=True))
    some = db.session.scalar(select(func.min(DashboardClock.ticket_id)))
    db.session.execute(delete(DashboardClock).where(DashboardClock.ticket_id == some))
    db.session.commit()
    assert figures(dashboard(MARCH, now=NOW)) != wanted
    assert rebuild_all()["rows"] == db.session.scalar(select(func.count(DashboardClock.clock_id)))
    assert figures(dashboard(MARCH, now=NOW)) == wanted


def test_right_after_the_upgrade_the_figures_are_computed_directly(app, world):
    # The migration creates the kept table empty; until the periodic job fills it, the
    # dashboard computes its figures from the clocks rather than showing nothing.
    build_handmade(world)
    wanted = figures(dashboard(MARCH, now=NOW, live=True))
    db.session.execute(delete(DashboardClock))
    db.session.commit()
    assert figures(dashboard(MARCH, now=NOW)) == wanted
