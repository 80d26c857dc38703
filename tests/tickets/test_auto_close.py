"""The automatic closure of finished tickets (docs/domain.md): 15 days without the school's
answer, a reminder 3 days before, once per round; a reopening starts the count over; school days
only when the request type says so. Every run takes its clock (`now`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, RequestType, SchoolHoliday, Ticket, TicketEvent
from app.scheduling.registry import PERIODIC_JOBS
from app.tickets import autoclose, service
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action, Status
from tests.support.environment import drain_queue
from tests.support.tickets import build_world, later, ticket_in

TEACHER = "claire@ecole.example.com"
ASSISTANT = "quentin@relais.example.com"
SUPPLIER_REF = "support@meuse.example.com"
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class StandInCalendar:
    """Monday to Friday outside the given holidays (app.sla.calendar's is_school_day, in small)."""

    holidays: tuple[tuple[date, date], ...] = ()
    broken_on: date | None = None  # asking about this day fails (a broken calendar)

    def is_school_day(self, day: date) -> bool:
        if day == self.broken_on:
            raise RuntimeError("calendar unavailable")
        return day.weekday() < 5 and not any(a <= day <= b for a, b in self.holidays)


# The FWB summer holidays of 2026: Saturday 4 July to Sunday 23 August.
SUMMER_2026 = (date(2026, 7, 4), date(2026, 8, 23))


def _reload(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def _events(ticket_id: int, kind: str) -> list[TicketEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
            .order_by(TicketEvent.id)
        )
    )


def _finish_at(world, ticket: Ticket, at: datetime, summary="Alimentation remplacée.") -> Ticket:
    """Plan (the day before) then finish `ticket` at `at`, as the supplier would."""
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=at - timedelta(hours=1)),
        now=at - DAY,
    ).ticket
    return apply_action(
        world.supplier_user, ticket.id, Action.FINISH, ActionInput(summary=summary), now=at
    ).ticket


def _outbox(ticket_id: int, kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
    )


# ------------------------------------------------------------------ due dates


def test_due_and_reminder_dates(app, world):
    ticket = ticket_in(world, "done")
    finished = later(2)
    assert ticket.status_changed_at == finished
    assert autoclose.due_at(ticket) == finished + 15 * DAY
    assert autoclose.reminder_at(ticket) == finished + 12 * DAY

    world.request_type.auto_close_days = 5
    db.session.commit()
    assert autoclose.due_at(_reload(ticket.id)) == finished + 5 * DAY


def test_reminder_setting(make_app):
    app = make_app(RELAIS_AUTO_CLOSE_REMINDER_DAYS=0)
    with app.app_context():
        world = build_world()
        ticket = ticket_in(world, "done")
        assert autoclose.reminder_at(ticket) is None  # 0: no reminder
        app.config["RELAIS_AUTO_CLOSE_REMINDER_DAYS"] = 20  # before the finish: none either
        assert autoclose.reminder_at(ticket) is None
        app.config["RELAIS_AUTO_CLOSE_REMINDER_DAYS"] = 1
        assert autoclose.reminder_at(ticket) == later(2) + 14 * DAY


def test_no_due_date_unless_finished(app, world):
    assert autoclose.due_at(ticket_in(world, "in_progress")) is None
    assert autoclose.due_at(ticket_in(world, "closed", serial="SN-2")) is None


# ------------------------------------------------------------------ the job


def test_closes_at_exactly_fifteen_days_and_only_once(app, world):
    ticket = ticket_in(world, "done")
    due = later(2) + 15 * DAY

    assert autoclose.run_due(now=due - SECOND)["closed"] == 0
    assert _reload(ticket.id).status == Status.DONE

    counts = autoclose.run_due(now=due)
    assert counts == {"closed": 1, "reminded": 0, "failed": 0}
    ticket = _reload(ticket.id)
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at == due
    assert ticket.status_changed_at == due
    [event] = _events(ticket.id, "auto_close")
    assert event.actor_id is None
    assert event.body == "Clôturé automatiquement"
    assert (event.from_status, event.to_status) == (Status.DONE, Status.CLOSED)
    assert event.created_at == due

    version = ticket.version
    assert autoclose.run_due(now=due + DAY) == {"closed": 0, "reminded": 0, "failed": 0}
    assert len(_events(ticket.id, "auto_close")) == 1
    assert _reload(ticket.id).version == version


def test_the_service_is_idempotent(app, world):
    done = ticket_in(world, "done")
    now = later(2) + 20 * DAY
    assert service.auto_close(done.id, now=now, expected_round=2) is None  # another round
    assert _reload(done.id).status == Status.DONE
    assert service.auto_close(done.id, now=now) is not None
    assert service.auto_close(done.id, now=now) is None  # already closed: no error, no event
    assert len(_events(done.id, "auto_close")) == 1

    reopened = ticket_in(world, "done", serial="SN-2")
    apply_action(world.teacher, reopened.id, Action.REOPEN, ActionInput(reason="Noir."), now=now)
    assert service.auto_close(reopened.id, now=now) is None
    assert _reload(reopened.id).status == Status.OPEN
    assert service.auto_close(999_999, now=now) is None


def test_a_reopening_restarts_the_count(app, world):
    ticket = ticket_in(world, "done")
    first_finish = later(2)
    apply_action(
        world.teacher,
        ticket.id,
        Action.REOPEN,
        ActionInput(reason="Toujours noir."),
        now=first_finish + 10 * DAY,
    )
    second_finish = first_finish + 11 * DAY
    ticket = _finish_at(world, _reload(ticket.id), second_finish)
    assert ticket.round == 2

    # The first count would have closed it here: the second one has just begun.
    assert autoclose.run_due(now=first_finish + 15 * DAY)["closed"] == 0
    assert autoclose.run_due(now=second_finish + 15 * DAY - SECOND)["closed"] == 0
    assert _reload(ticket.id).status == Status.DONE
    assert autoclose.run_due(now=second_finish + 15 * DAY)["closed"] == 1
    assert _reload(ticket.id).status == Status.CLOSED


def test_reminder_once_per_round(app, world):
    ticket = ticket_in(world, "done")
    finish = later(2)
    version = ticket.version

    assert autoclose.run_due(now=finish + 12 * DAY - SECOND)["reminded"] == 0
    assert autoclose.run_due(now=finish + 12 * DAY)["reminded"] == 1
    assert autoclose.run_due(now=finish + 13 * DAY)["reminded"] == 0
    [reminder] = _events(ticket.id, "auto_close_reminder")
    assert reminder.data["round"] == 1
    assert reminder.actor_id is None
    # The reminder does not touch the ticket: a page open on it stays valid.
    assert _reload(ticket.id).version == version

    [mail] = _outbox(ticket.id, "auto_close_reminder")
    assert mail.recipient == TEACHER
    assert "Rappel : votre approbation est attendue" in mail.subject
    assert "clôturée automatiquement le 18 mars 2026" in mail.body_text
    assert re.search(r"http://relais\.test/reponse/\S+", mail.body_text)
    assert "Approuver" in mail.body_html
    assert "Rouvrir" in mail.body_html

    # A new round, a new reminder.
    apply_action(
        world.teacher, ticket.id, Action.REOPEN, ActionInput(reason="Non."), now=finish + 14 * DAY
    )
    second = finish + 15 * DAY
    _finish_at(world, _reload(ticket.id), second)
    assert autoclose.run_due(now=second + 12 * DAY)["reminded"] == 1
    assert autoclose.run_due(now=second + 12 * DAY + SECOND)["reminded"] == 0
    rounds = [e.data["round"] for e in _events(ticket.id, "auto_close_reminder")]
    assert rounds == [1, 2]


def test_late_run_closes_without_reminding(app, world):
    ticket = ticket_in(world, "done")
    assert autoclose.run_due(now=later(2) + 40 * DAY) == {"closed": 1, "reminded": 0, "failed": 0}
    assert _events(ticket.id, "auto_close_reminder") == []


def test_only_tickets_in_range_are_read(app, world):
    old = ticket_in(world, "done")
    fresh = _finish_at(world, world.new_ticket(serial="SN-2"), later(2) + 10 * DAY)
    ticket_in(world, "in_progress", serial="SN-3")
    now = later(2) + 13 * DAY
    # 15 days minus the 3 of the reminder: the fresh one (3 days old) is not even read.
    assert autoclose._candidates(now) == [old.id]
    assert fresh.id not in autoclose._candidates(now)


def test_one_failure_does_not_stop_the_others(app, world):
    school_type = RequestType(
        category=world.category,
        name="Retour fournisseur (jours d’école)",
        auto_close_school_days=True,
    )
    db.session.add(school_type)
    db.session.commit()
    broken = ticket_in(world, "done")
    broken.request_type = school_type
    db.session.commit()
    fine = ticket_in(world, "done", serial="SN-2")
    finish_day = later(2).date()
    calendar = StandInCalendar(broken_on=finish_day + DAY)

    counts = autoclose.run_due(now=later(2) + 30 * DAY, calendar=calendar)
    assert counts == {"closed": 1, "reminded": 0, "failed": 1}
    assert _reload(broken.id).status == Status.DONE
    assert _reload(fine.id).status == Status.CLOSED


def test_the_job_is_registered():
    [job] = [j for j in PERIODIC_JOBS if j.name == "auto_close"]
    module, name = job.func.rsplit(".", 1)
    assert getattr(__import__(module, fromlist=[name]), name) is autoclose.run_due


# ------------------------------------------------------------------ school days


@pytest.fixture
def school_days_world(app):
    world = build_world()
    world.request_type.auto_close_school_days = True
    db.session.commit()
    return world


# Thursday 2 July 2026, 10:00 in Brussels: the last school days before the summer.
JULY_FINISH = datetime(2026, 7, 2, 8, 0, tzinfo=UTC)
# 15 school days later: Friday 3 July, then 24 August → 10 September (10:00 in Brussels).
SEPTEMBER_DUE = datetime(2026, 9, 10, 8, 0, tzinfo=UTC)


def test_school_days_wait_for_the_summer(school_days_world):
    world = school_days_world
    calendar = StandInCalendar(holidays=(SUMMER_2026,))
    ticket = _finish_at(world, world.new_ticket(), JULY_FINISH)
    assert autoclose.due_at(ticket, calendar) == SEPTEMBER_DUE
    assert autoclose.reminder_at(ticket, calendar) == SEPTEMBER_DUE - 3 * DAY

    # Fifteen calendar days: nothing; the day before the due instant: the reminder only.
    assert autoclose.run_due(now=JULY_FINISH + 15 * DAY, calendar=calendar) == {
        "closed": 0,
        "reminded": 0,
        "failed": 0,
    }
    assert autoclose.run_due(now=SEPTEMBER_DUE - SECOND, calendar=calendar) == {
        "closed": 0,
        "reminded": 1,
        "failed": 0,
    }
    assert _reload(ticket.id).status == Status.DONE
    assert autoclose.run_due(now=SEPTEMBER_DUE, calendar=calendar)["closed"] == 1
    assert _reload(ticket.id).status == Status.CLOSED


def test_school_days_from_the_real_calendar(school_days_world):
    """The production path: app.sla.loading.calendar_for and the SchoolHoliday rows."""
    world = school_days_world
    db.session.add(
        SchoolHoliday(name="Vacances d’été", starts_on=SUMMER_2026[0], ends_on=SUMMER_2026[1])
    )
    db.session.commit()
    ticket = _finish_at(world, world.new_ticket(), JULY_FINISH)
    assert autoclose.due_at(ticket) == SEPTEMBER_DUE
    assert autoclose.run_due(now=SEPTEMBER_DUE - SECOND)["closed"] == 0
    assert autoclose.run_due(now=SEPTEMBER_DUE)["closed"] == 1


def test_school_day_links_last_beyond_the_closure(school_days_world):
    """The answer links of a July finish still work in September, and a week after."""
    from app.mail_actions.links import expiry

    world = school_days_world
    calendar = StandInCalendar(holidays=(SUMMER_2026,))
    ticket = _finish_at(world, world.new_ticket(), JULY_FINISH)
    due = autoclose.due_at(ticket, calendar)
    assert expiry(ticket, JULY_FINISH, due) == SEPTEMBER_DUE + 7 * DAY
    # Calendar days: the closure plus a week.
    world.request_type.auto_close_school_days = False
    db.session.commit()
    ticket = _reload(ticket.id)
    assert expiry(ticket, JULY_FINISH, autoclose.due_at(ticket)) == JULY_FINISH + 22 * DAY


# ------------------------------------------------------------------ who is told


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _received(app, smtp_server, tag) -> dict[str, object]:
    drain_queue(app)
    found = {}
    for message in smtp_server.messages:
        if tag in message["message"]["Subject"]:
            for recipient in message["to"]:
                assert recipient not in found, "one message per person"
                found[recipient] = message["message"]
    return found


def test_mails_of_the_reminder_and_the_closure(mail_app, smtp_server):
    world = build_world()
    ticket = ticket_in(world, "done")
    finish = later(2)

    autoclose.run_due(now=finish + 12 * DAY)
    reminders = _received(mail_app, smtp_server, "Rappel : votre approbation est attendue")
    assert set(reminders) == {TEACHER}
    text = reminders[TEACHER].get_body(("plain",)).get_content()
    assert "votre réponse est toujours attendue" in text
    assert "Alimentation remplacée." in text  # what the supplier wrote, repeated
    assert re.search(
        r"Approuver \(le problème est résolu\) :\r?\nhttp://relais\.test/reponse/", text
    )

    autoclose.run_due(now=finish + 15 * DAY)
    closed = _received(mail_app, smtp_server, "Demande clôturée automatiquement")
    # The teacher, the supplier's reference address and the assistant in charge: no one else.
    assert set(closed) == {TEACHER, SUPPLIER_REF, ASSISTANT}
    # No answer links once closed.
    assert "/reponse/" not in closed[TEACHER].get_body(("plain",)).get_content()
    assert _reload(ticket.id).status == Status.CLOSED
