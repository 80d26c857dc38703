"""The ticket service: creation, each action, versions, and who is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Ticket
from app.tickets.creation_rules import open_duplicates
from app.tickets.errors import Forbidden, StaleTicket, TicketError, TicketNotFound
from app.tickets.service import (
    ActionInput,
    add_comment,
    apply_action,
    set_notifications,
    share,
)
from app.tickets.workflow import Action, Status
from tests.support.tickets import NOW, TOMORROW_10H, later


def _outbox(ticket, kind):
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == kind
        )
    ).all()
    return sorted(r.recipient for r in rows)


def _plan(world, ticket, by=None, when=TOMORROW_10H):
    return apply_action(
        by or world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=when),
        version=ticket.version,
        now=later(5),
    ).ticket


def test_references_are_numbered_per_category(world):
    first, second = world.new_ticket(), world.new_ticket()
    assert (first.reference, second.reference) == ("TECH-1", "TECH-2")
    assert world.category.last_number == 2


def test_creation_tells_the_supplier_reference_address_and_the_teacher(world):
    ticket = world.new_ticket()
    assert ticket.status == Status.OPEN
    assert ticket.assignee == world.assistant
    assert {p.user for p in ticket.participants} == {world.assistant, world.teacher}
    assert ticket.contact_user == world.teacher
    # Never the company's secondary users, never the assistant who acted.
    assert _outbox(ticket, "created") == ["claire@ecole.example.com", "support@meuse.example.com"]
    [event] = ticket.events
    assert (event.kind, event.actor, event.to_status) == ("created", world.assistant, "open")


def test_only_en_staff_open_tickets(world):
    with pytest.raises(Forbidden):
        world.new_ticket(by=world.supplier_user)
    with pytest.raises(Forbidden):
        world.new_ticket(by=world.coordinator)
    assert world.new_ticket(by=world.admin).reference == "TECH-1"


def test_duplicate_serial_is_found(world):
    ticket = world.new_ticket(serial="sn-77")
    assert open_duplicates("SN-77", "") == [ticket]
    assert open_duplicates("SN-78", "") == []


def test_full_procedure_and_its_mails(world):
    ticket = world.new_ticket()
    ticket = _plan(world, ticket)
    assert ticket.status == Status.IN_PROGRESS
    [visit] = ticket.interventions
    assert visit.planned_at == TOMORROW_10H
    assert visit.message == "Bonjour,\nL’intervention est prévue le 4 mars 2026 à 10:00."
    # Assistant in charge, every ACTIVE coordinator, the teacher; not the supplier who acted.
    assert _outbox(ticket, "plan") == [
        "claire@ecole.example.com",
        "olivier@relais.example.com",
        "quentin@relais.example.com",
    ]
    subject = db.session.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.kind == "plan")
    ).first()
    assert subject.startswith("[TECH-1] Intervention prévue le 4 mars 2026 à 10:00")

    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Alimentation remplacée."),
        version=ticket.version,
        now=later(60),
    ).ticket
    assert ticket.status == Status.DONE
    assert ticket.interventions[0].summary == "Alimentation remplacée."
    assert _outbox(ticket, "finish") == [
        "claire@ecole.example.com",
        "olivier@relais.example.com",
        "quentin@relais.example.com",
    ]

    ticket = apply_action(
        world.teacher, ticket.id, Action.APPROVE, version=ticket.version, now=later(90)
    ).ticket
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at == later(90)
    assert _outbox(ticket, "approve") == ["quentin@relais.example.com", "support@meuse.example.com"]
    kinds = [e.kind for e in ticket.events]
    assert kinds == ["created", "plan", "finish", "approve"]


def test_reopening_starts_over(world):
    ticket = world.new_ticket()
    ticket = _plan(world, ticket)
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Fait."),
        version=ticket.version,
        now=later(60),
    ).ticket
    with pytest.raises(TicketError) as excinfo:
        apply_action(
            world.teacher,
            ticket.id,
            Action.REOPEN,
            ActionInput(reason="  "),
            version=ticket.version,
            now=later(70),
        )
    assert excinfo.value.field == "reason"
    ticket = apply_action(
        world.teacher,
        ticket.id,
        Action.REOPEN,
        ActionInput(reason="Toujours noir."),
        version=ticket.version,
        now=later(70),
    ).ticket
    assert (ticket.status, ticket.round) == (Status.OPEN, 2)
    assert _outbox(ticket, "reopen") == [
        "olivier@relais.example.com",
        "quentin@relais.example.com",
        "support@meuse.example.com",
    ]
    ticket = _plan(world, ticket, when=TOMORROW_10H)
    assert ticket.status == Status.IN_PROGRESS
    assert [i.round for i in ticket.interventions] == [1, 2]


def test_stale_version_is_refused(world):
    ticket = world.new_ticket()
    seen = ticket.version
    _plan(world, ticket)
    with pytest.raises(StaleTicket, match="modifié entre-temps"):
        apply_action(
            world.assistant,
            ticket.id,
            Action.CANCEL,
            ActionInput(reason="Doublon"),
            version=seen,
            now=later(10),
        )


def test_who_may_act(world):
    ticket = world.new_ticket()
    with pytest.raises(TicketNotFound):  # another company does not even see it
        _plan(world, ticket, by=world.other_supplier_user)
    with pytest.raises(TicketNotFound):
        apply_action(world.other_teacher, ticket.id, Action.APPROVE)
    with pytest.raises(Forbidden):  # the teacher sees it but cannot plan
        _plan(world, ticket, by=world.teacher)
    with pytest.raises(Forbidden):  # nothing to approve yet
        apply_action(world.teacher, ticket.id, Action.APPROVE, version=ticket.version)


def test_planning_in_the_past_is_refused(world):
    ticket = world.new_ticket()
    with pytest.raises(TicketError) as excinfo:
        _plan(world, ticket, when=NOW)
    assert excinfo.value.field == "planned_at"
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == Status.OPEN


def test_send_back_leaves_no_supplier(world):
    ticket = world.new_ticket()
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.SEND_BACK,
        ActionInput(reason="Pas notre matériel."),
        version=ticket.version,
        now=later(5),
    ).ticket
    assert (ticket.status, ticket.supplier) == (Status.OPEN, None)
    assert _outbox(ticket, "send_back") == [
        "olivier@relais.example.com",
        "quentin@relais.example.com",
    ]
    with pytest.raises(Forbidden):  # no supplier: nobody can plan a visit
        _plan(world, ticket, by=world.assistant)


def test_reassignment_reaches_the_new_supplier_even_when_muted(world):
    ticket = world.new_ticket()
    ticket = _plan(world, ticket)
    ticket = apply_action(
        world.coordinator,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.other_supplier.id),
        version=ticket.version,
        now=later(10),
    ).ticket
    assert (ticket.status, ticket.supplier) == (Status.OPEN, world.other_supplier)
    assert ticket.interventions[0].cancelled_at == later(10)
    # The visit was planned: the old company and the teacher hear of it too.
    assert _outbox(ticket, "reassign_supplier") == [
        "claire@ecole.example.com",
        "quentin@relais.example.com",
        "support@brabant.example.com",
        "support@meuse.example.com",
    ]


def test_switched_off_participants_get_nothing_but_the_approval_request(world):
    ticket = world.new_ticket()
    set_notifications(world.teacher, ticket.id, False)
    set_notifications(world.assistant, ticket.id, False)
    ticket = _plan(world, ticket)
    assert _outbox(ticket, "plan") == ["olivier@relais.example.com"]
    ticket = apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Fait."),
        version=ticket.version,
        now=later(60),
    ).ticket
    assert _outbox(ticket, "finish") == ["claire@ecole.example.com", "olivier@relais.example.com"]


def test_secondary_supplier_user_who_switches_on_gets_mails(world):
    ticket = world.new_ticket()
    set_notifications(world.supplier_colleague, ticket.id, True)
    add_comment(world.teacher, ticket.id, "Le câble est dans l’armoire.", now=later(3))
    assert _outbox(ticket, "comment") == [
        "quentin@relais.example.com",
        "support@meuse.example.com",
        "thomas@meuse.example.com",
    ]


def test_internal_comments_reach_en_staff_only(world):
    ticket = world.new_ticket()
    share(world.assistant, ticket.id, world.assistant2)
    add_comment(world.assistant, ticket.id, "Fournisseur en retard.", internal=True)
    assert _outbox(ticket, "comment") == ["sophie@relais.example.com"]
    with pytest.raises(Forbidden):
        add_comment(world.supplier_user, ticket.id, "x", internal=True)


def test_sharing_rules(world):
    ticket = world.new_ticket()
    share(world.teacher, ticket.id, world.colleague_teacher)
    with pytest.raises(TicketError):
        share(world.teacher, ticket.id, world.other_teacher)
    share(world.supplier_user, ticket.id, world.supplier_colleague)
    with pytest.raises(TicketError):
        share(world.supplier_user, ticket.id, world.other_supplier_user)
    assert world.colleague_teacher in {p.user for p in ticket.participants}
