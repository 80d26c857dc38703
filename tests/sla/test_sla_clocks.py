"""Service-level clocks: due times on explicit calendars, stops, pauses, rounds, reassignments,
and the « bientôt en retard » warning sent once to the assistant and the coordinators.

Times are Brussels local in the comments; the week of 2 March 2026 has no public holiday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SchoolHoliday, ServiceClock, TicketEvent, TicketPause
from app.sla import clocks, jobs
from app.sla.calendar import BusinessCalendar
from app.tickets.service import (
    ActionInput,
    NewTicket,
    apply_action,
    create_ticket,
    pause_clocks,
    resume_clocks,
)
from app.tickets.workflow import Action
from tests.support.environment import drain_queue
from tests.support.tickets import build_world

BRU = ZoneInfo("Europe/Brussels")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A Brussels wall-clock time in March 2026, as a UTC instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=BRU).astimezone(UTC)


FRIDAY_16H = at(6, 16)
MONDAY = 9
TUESDAY = 10


def new_ticket(world, now=FRIDAY_16H, **overrides):
    data = NewTicket(
        request_type_id=world.request_type.id,
        summary="Écran interactif ne s’allume plus",
        description="Diagnostic : alimentation HS.",
        site_id=world.site.id,
        contact_name=world.teacher.full_name,
        contact_email=world.teacher.email,
        equipment_serial="SN-000123",
        equipment_description="Lot 01 - Écran interactif",
        supplier_id=overrides.pop("supplier_id", world.supplier.id),
        **overrides,
    )
    return create_ticket(world.assistant, data, now=now)


def act(who, ticket, action, now, **values):
    return apply_action(who, ticket.id, action, ActionInput(**values), now=now).ticket


def clocks_of(ticket, **where) -> dict[tuple, ServiceClock]:
    """(supplier_id, kind, round) → clock."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(ServiceClock).where(ServiceClock.ticket_id == ticket.id).order_by(ServiceClock.id)
    ).all()
    found = {(c.supplier_id, c.kind, c.round): c for c in rows}
    assert len(found) == len(rows), "one clock per supplier, kind and round"
    return found


# ------------------------------------------------------------------ pure arithmetic


def test_due_spent_and_remaining_on_an_explicit_calendar():
    cal = BusinessCalendar()
    clock = ServiceClock(started_at=FRIDAY_16H, target_minutes=8 * 60, paused_minutes=0)
    # Friday 16:00 + 8 business hours: one hour on Friday, seven on Monday.
    assert clocks.due_time(clock, cal) == at(MONDAY, 16)
    assert clocks.spent(clock, at(MONDAY, 10), cal) == 120
    assert clocks.remaining(clock, at(MONDAY, 10), cal) == 360
    # A weekend does not count; an open pause does not either.
    assert clocks.spent(clock, at(8, 12), cal) == 60
    assert clocks.spent(clock, at(MONDAY, 12), cal, pause_started=at(MONDAY, 10)) == 120
    # Overdue: negative remaining time.
    assert clocks.remaining(clock, at(TUESDAY, 10), cal) == -120
    # Paused time moves the due time by as much.
    clock.paused_minutes = 90
    assert clocks.due_time(clock, cal) == at(TUESDAY, 9, 30)


def test_a_supplier_off_during_school_holidays_counts_from_its_return():
    cal = BusinessCalendar(periods_off=((date(2026, 3, 9), date(2026, 3, 13)),))
    clock = ServiceClock(started_at=FRIDAY_16H, target_minutes=8 * 60, paused_minutes=0)
    assert clocks.due_time(clock, cal) == at(16, 16)


# ------------------------------------------------------------------ starting and stopping


def test_created_on_friday_afternoon_plan_is_due_on_monday(world):
    ticket = new_ticket(world)
    found = clocks_of(ticket)
    assert set(found) == {
        (None, "plan", 1),
        (None, "resolve", 1),
        (world.supplier.id, "plan", 1),
        (world.supplier.id, "resolve", 1),
    }
    for supplier_id in (None, world.supplier.id):
        plan, resolve = found[(supplier_id, "plan", 1)], found[(supplier_id, "resolve", 1)]
        assert plan.started_at == FRIDAY_16H
        assert plan.target_minutes == 480
        assert resolve.target_minutes == 960
        assert plan.due_at == at(MONDAY, 16)
        # 16 business hours: 1 on Friday, 8 on Monday, 7 on Tuesday.
        assert resolve.due_at == at(TUESDAY, 16)
        assert plan.stopped_at is None
        assert plan.outcome is None


def test_the_request_types_targets_are_used(world):
    world.request_type.take_into_account_hours = 2
    world.request_type.resolve_hours = 4
    db.session.commit()
    found = clocks_of(new_ticket(world))
    assert found[(None, "plan", 1)].due_at == at(MONDAY, 10)
    assert found[(None, "resolve", 1)].due_at == at(MONDAY, 12)


def test_the_calendar_of_a_supplier_that_follows_school_holidays(world):
    world.supplier.follows_school_holidays = True
    db.session.add(
        SchoolHoliday(
            name="Congé de détente", starts_on=date(2026, 3, 9), ends_on=date(2026, 3, 13)
        )
    )
    db.session.commit()
    found = clocks_of(new_ticket(world))
    assert found[(world.supplier.id, "plan", 1)].due_at == at(16, 16)
    # The ticket's own clocks count on the calendar of the supplier holding it.
    assert found[(None, "plan", 1)].due_at == at(16, 16)
    other = clocks_of(new_ticket(world, supplier_id=world.other_supplier.id))
    assert other[(world.other_supplier.id, "plan", 1)].due_at == at(MONDAY, 16)


def test_planning_stops_the_plan_clocks_met_or_breached(world):
    on_time, late = new_ticket(world), new_ticket(world)
    act(world.supplier_user, on_time, Action.PLAN, at(MONDAY, 10), planned_at=at(12, 10))
    act(world.supplier_user, late, Action.PLAN, at(TUESDAY, 10), planned_at=at(12, 10))

    found = clocks_of(on_time)
    for supplier_id in (None, world.supplier.id):
        plan = found[(supplier_id, "plan", 1)]
        assert (plan.outcome, plan.spent_minutes, plan.stopped_at) == ("met", 120, at(MONDAY, 10))
        assert found[(supplier_id, "resolve", 1)].stopped_at is None
    plan = clocks_of(late)[(None, "plan", 1)]
    assert (plan.outcome, plan.spent_minutes) == ("breached", 60 + 480 + 60)


def test_finishing_stops_the_resolve_clocks(world):
    ticket = new_ticket(world)
    act(world.supplier_user, ticket, Action.PLAN, at(MONDAY, 10), planned_at=at(MONDAY, 14))
    act(world.supplier_user, ticket, Action.FINISH, at(MONDAY, 15), summary="Réparé.")
    resolve = clocks_of(ticket)[(world.supplier.id, "resolve", 1)]
    assert (resolve.outcome, resolve.spent_minutes) == ("met", 60 + 360)


def test_work_finished_on_the_spot_stops_both_at_the_time_of_the_visit(world):
    ticket = new_ticket(world)
    # Recorded on Wednesday for a visit on Monday at 11:00: in time for both targets.
    act(
        world.supplier_user,
        ticket,
        Action.FINISH_ON_SPOT,
        at(11, 9),
        visited_at=at(MONDAY, 11),
        summary="Câble remplacé.",
    )
    found = clocks_of(ticket)
    assert {(c.kind, c.outcome, c.spent_minutes) for c in found.values()} == {
        ("plan", "met", 180),
        ("resolve", "met", 180),
    }
    assert {c.stopped_at for c in found.values()} == {at(MONDAY, 11)}


def test_cancelling_stops_what_runs(world):
    ticket = new_ticket(world)
    act(world.assistant, ticket, Action.CANCEL, at(MONDAY, 9, 30), reason="Doublon.")
    found = clocks_of(ticket)
    assert {c.outcome for c in found.values()} == {"cancelled"}
    assert {c.spent_minutes for c in found.values()} == {90}


# ------------------------------------------------------------------ pauses


def test_a_pause_shifts_the_due_time_by_the_paused_business_time(world):
    ticket = new_ticket(world)
    pause_clocks(
        world.supplier_user, ticket.id, "part", "Alimentation commandée.", now=at(MONDAY, 10)
    )
    found = clocks_of(ticket)
    assert {c.due_at for c in found.values()} == {None}
    pause = db.session.scalars(select(TicketPause)).one()
    assert (pause.kind, pause.reason, pause.started_by_id) == (
        "part",
        "Alimentation commandée.",
        world.supplier_user.id,
    )

    resume_clocks(world.assistant, ticket.id, now=at(TUESDAY, 11))
    found = clocks_of(ticket)
    plan, resolve = found[(None, "plan", 1)], found[(None, "resolve", 1)]
    # Paused from Monday 10:00 to Tuesday 11:00: 7 + 2 business hours.
    assert plan.paused_minutes == resolve.paused_minutes == 540
    # 2 hours were spent, 6 are left from Tuesday 11:00.
    assert plan.due_at == at(TUESDAY, 17)
    assert resolve.due_at == at(11, 17)  # Wednesday 17:00: 14 hours left
    db.session.expire_all()
    pause = db.session.get(TicketPause, pause.id)
    assert pause.ended_at == at(TUESDAY, 11)
    assert pause.ended_by_id == world.assistant.id
    kinds = [e.kind for e in db.session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds[-2:] == ["pause", "resume"]

    # Planned on Tuesday at 16:00: 2 + 5 business hours of work, in time.
    act(world.supplier_user, ticket, Action.PLAN, at(TUESDAY, 16), planned_at=at(12, 10))
    plan = clocks_of(ticket)[(None, "plan", 1)]
    assert (plan.outcome, plan.spent_minutes) == ("met", 420)


def test_a_clock_stopped_during_a_pause_does_not_count_it(world):
    ticket = new_ticket(world)
    pause_clocks(world.assistant, ticket.id, "school", "École fermée.", now=at(MONDAY, 9))
    act(world.assistant, ticket, Action.CANCEL, at(TUESDAY, 9), reason="Matériel retrouvé.")
    found = clocks_of(ticket)
    assert {c.spent_minutes for c in found.values()} == {60}
    assert {c.paused_minutes for c in found.values()} == {480}
    assert db.session.scalars(select(TicketPause)).one().ended_at == at(TUESDAY, 9)


# ------------------------------------------------------------------ rounds and suppliers


def test_reopening_starts_new_round_clocks(world):
    ticket = new_ticket(world)
    act(world.supplier_user, ticket, Action.PLAN, at(MONDAY, 10), planned_at=at(MONDAY, 14))
    act(world.supplier_user, ticket, Action.FINISH, at(MONDAY, 15), summary="Réparé.")
    act(world.teacher, ticket, Action.REOPEN, at(TUESDAY, 14), reason="Toujours noir.")
    found = clocks_of(ticket)
    assert len(found) == 8
    for supplier_id in (None, world.supplier.id):
        assert found[(supplier_id, "plan", 1)].outcome == "met"
        assert found[(supplier_id, "resolve", 1)].outcome == "met"
        plan2 = found[(supplier_id, "plan", 2)]
        assert plan2.started_at == at(TUESDAY, 14)
        assert plan2.stopped_at is None
        assert plan2.due_at == at(11, 14)  # Wednesday 14:00: 3 + 5 business hours
    # The second round is measured on its own.
    act(world.supplier_user, ticket, Action.PLAN, at(TUESDAY, 16), planned_at=at(12, 10))
    assert clocks_of(ticket)[(None, "plan", 2)].spent_minutes == 120


def test_reassignment_starts_fresh_clocks_for_the_new_supplier(world):
    ticket = new_ticket(world)
    act(
        world.coordinator,
        ticket,
        Action.REASSIGN_SUPPLIER,
        at(MONDAY, 11),
        supplier_id=world.other_supplier.id,
    )
    found = clocks_of(ticket)
    old_plan = found[(world.supplier.id, "plan", 1)]
    assert (old_plan.outcome, old_plan.stopped_at, old_plan.spent_minutes) == (
        "reassigned",
        at(MONDAY, 11),
        180,
    )
    new_plan = found[(world.other_supplier.id, "plan", 1)]
    assert new_plan.started_at == at(MONDAY, 11)
    assert new_plan.due_at == at(TUESDAY, 11)
    # The ticket's own clocks run on from its creation.
    assert found[(None, "plan", 1)].due_at == at(MONDAY, 16)
    assert found[(None, "plan", 1)].stopped_at is None


def test_sent_back_no_supplier_clock_runs_until_a_new_one_is_assigned(world):
    ticket = new_ticket(world)
    act(world.supplier_user, ticket, Action.SEND_BACK, at(MONDAY, 10), reason="Pas notre lot.")
    found = clocks_of(ticket)
    assert {c.outcome for k, c in found.items() if k[0] == world.supplier.id} == {"reassigned"}
    assert [k for k, c in found.items() if c.stopped_at is None] == [
        (None, "plan", 1),
        (None, "resolve", 1),
    ]
    act(
        world.assistant,
        ticket,
        Action.REASSIGN_SUPPLIER,
        at(MONDAY, 14),
        supplier_id=world.other_supplier.id,
    )
    found = clocks_of(ticket)
    assert found[(world.other_supplier.id, "resolve", 1)].started_at == at(MONDAY, 14)
    assert found[(world.other_supplier.id, "resolve", 1)].due_at == at(11, 14)


# ------------------------------------------------------------------ warnings


@pytest.fixture
def mail_world(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app, build_world()


def _warnings():
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.kind == "sla_warning").order_by(TicketEvent.id)
    ).all()


def test_a_warning_goes_once_to_the_assistant_and_the_coordinators(mail_world, smtp_server):
    app, world = mail_world
    ticket = new_ticket(world)
    quiet = new_ticket(world, now=at(MONDAY, 13))  # due on Tuesday 13:00
    drain_queue(app)
    smtp_server.messages.clear()

    # Monday 13:30: 2 h 30 left on the plan clocks, more than the 2 hours of the warning.
    assert jobs.run_due(now=at(MONDAY, 13, 30))["warned"] == 0
    assert _warnings() == []

    # Monday 14:30: 1 h 30 left.
    assert jobs.run_due(now=at(MONDAY, 14, 30))["warned"] == 1
    (event,) = _warnings()
    assert event.ticket_id == ticket.id
    assert event.internal
    assert "Prise en compte : échéance lun. 09/03 à 16:00 — reste 1 h 30" in event.body
    found = clocks_of(ticket)
    assert found[(None, "plan", 1)].warned_at == at(MONDAY, 14, 30)
    assert found[(world.supplier.id, "plan", 1)].warned_at == at(MONDAY, 14, 30)
    assert found[(None, "resolve", 1)].warned_at is None
    assert all(c.warned_at is None for c in clocks_of(quiet).values())

    drain_queue(app)
    got = [m for m in smtp_server.messages if "Délai bientôt dépassé" in m["message"]["Subject"]]
    assert sorted(r for m in got for r in m["to"]) == [
        "olivier@relais.example.com",
        "quentin@relais.example.com",
    ]
    assert ticket.reference in got[0]["message"]["Subject"]
    smtp_server.messages.clear()

    # Once: later runs, even past the due time, send nothing more for those clocks.
    assert jobs.run_due(now=at(MONDAY, 15))["warned"] == 0
    assert jobs.run_due(now=at(MONDAY, 16, 30))["warned"] == 0
    assert len(_warnings()) == 1
    drain_queue(app)
    assert smtp_server.messages == []

    # The other ticket's turn (due Tuesday 13:00), then the resolve clocks (Tuesday 16:00).
    assert jobs.run_due(now=at(TUESDAY, 11, 30))["warned"] == 1
    assert jobs.run_due(now=at(TUESDAY, 14, 30))["warned"] == 1
    assert [e.ticket_id for e in _warnings()] == [ticket.id, quiet.id, ticket.id]


def test_a_clock_already_late_is_not_about_to_break(world):
    """The job was stopped over the weekend: on Tuesday, Monday's breach is no warning."""
    new_ticket(world)
    assert jobs.run_due(now=at(TUESDAY, 9, 30))["warned"] == 0
    # Its resolve clock (due Tuesday 16:00) is still ahead: warned in time.
    assert jobs.run_due(now=at(TUESDAY, 14, 30))["warned"] == 1


def test_a_paused_clock_is_not_warned_and_the_setting_is_read(make_app):
    app = make_app(RELAIS_SLA_WARNING_MINUTES=30)
    with app.app_context():
        world = build_world()
        ticket = new_ticket(world)
        paused = new_ticket(world)
        pause_clocks(world.assistant, paused.id, "school", "Fermé.", now=at(MONDAY, 9))
        assert jobs.run_due(now=at(MONDAY, 15))["warned"] == 0  # 60 minutes left > 30
        assert jobs.run_due(now=at(MONDAY, 15, 40))["warned"] == 1
        assert [e.ticket_id for e in _warnings()] == [ticket.id]


def test_stopped_clocks_are_never_warned(world):
    ticket = new_ticket(world)
    act(world.supplier_user, ticket, Action.PLAN, at(MONDAY, 10), planned_at=at(12, 10))
    assert jobs.run_due(now=at(MONDAY, 15))["warned"] == 0
    # The resolve clocks still run: their turn comes.
    assert jobs.run_due(now=at(TUESDAY, 15))["warned"] == 1


def test_run_due_is_listed_with_the_periodic_jobs():
    from app.scheduling.registry import PERIODIC_JOBS

    assert "app.sla.jobs.run_due" in {job.func for job in PERIODIC_JOBS}


def test_time_helpers():
    from app.sla.display import duration_text, moment_text

    assert [duration_text(m) for m in (0, 45, 60, 200, 480, 545, 960, 1000, 1500)] == [
        "0 min",
        "45 min",
        "1 h",
        "3 h 20",
        "8 h",
        "9 h 05",
        "16 h",
        "2 jours ouvrés et 40 min",
        "3 jours ouvrés et 1 h",
    ]
    assert duration_text(-120) == "2 h"
    assert moment_text(at(MONDAY, 16)) == "lun. 09/03 à 16:00"
    assert moment_text(at(8, 16, month=4)) == "mer. 08/04 à 16:00"  # summer time
