"""Many people pressing the same button at once: exactly one transition, clear refusals."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage, Ticket, TicketEvent, User
from app.tickets.errors import StaleTicket, TicketError
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action, Status
from tests.support.tickets import TOMORROW_10H, later

ATTEMPTS = 8


def _race(app, user_id, ticket_id, action, values, version):
    barrier = threading.Barrier(ATTEMPTS)
    outcomes = []
    lock = threading.Lock()

    def attempt():
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                apply_action(user, ticket_id, action, values, version=version, now=later(120))
                result = "ok"
            except StaleTicket:
                result = "stale"
            except TicketError as exc:
                result = f"refused: {exc.message}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("with_version", [True, False])
def test_simultaneous_finish_and_approve_yield_one_transition_each(app, with_version, world):
    ticket = world.new_ticket()
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    ).ticket
    version = ticket.version if with_version else None
    ticket_id, supplier_id, teacher_id = ticket.id, world.supplier_user.id, world.teacher.id

    finish = _race(
        app,
        supplier_id,
        ticket_id,
        Action.FINISH,
        ActionInput(summary="Carte mère remplacée."),
        version,
    )
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    approve = _race(
        app,
        teacher_id,
        ticket_id,
        Action.APPROVE,
        ActionInput(),
        ticket.version if with_version else None,
    )

    print(f"\nfinish: {sorted(finish)}\napprove: {sorted(approve)}")
    for outcomes in (finish, approve):
        assert len(outcomes) == ATTEMPTS
        assert outcomes.count("ok") == 1
        # The others learn that someone was quicker, never a second transition.
        assert all(o == "stale" or o.startswith("refused") for o in outcomes if o != "ok")
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.status == Status.CLOSED
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()
    assert kinds == ["created", "plan", "finish", "approve"]
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "finish")
        )
        == 3
    )  # teacher, assistant, coordinator: once each
