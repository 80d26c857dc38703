"""Who handles a request type: the EN team's resolution (« Résolue par l’équipe EN ») of its own
requests and of any request solved at the first contact; the clocks follow the handler; an
EN-handled request is opened without a supplier or a device."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PortalCategory, ServiceClock, Ticket
from app.tickets.errors import Forbidden
from app.tickets.events import EventKind
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action, Status
from tests.support import factories
from tests.support.tickets import later
from tests.support.web import csrf_token, extract_csrf, signed_in

NEW = "/demandes/nouvelle"


def _information_type():
    category = PortalCategory(key="INFO", name="Centre d’informations")
    kind = factories.request_type(category=category, name="Question", handled_by_supplier=False)
    db.session.commit()
    return kind


def _en_ticket(world, **overrides):
    kind = _information_type()
    return world.new_ticket(
        request_type_id=kind.id, supplier_id=overrides.pop("supplier_id", None), **overrides
    )


def _fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def _resolve(world, ticket, *, by=None, first_contact=False, summary="Réponse donnée."):
    return apply_action(
        by or world.assistant2,
        ticket.id,
        Action.RESOLVE,
        ActionInput(summary=summary, first_contact=first_contact),
        version=ticket.version,
        now=later(10),
    )


def _recipients(ticket, kind) -> list[str]:
    return sorted(
        db.session.scalars(
            select(OutboxMessage.recipient).where(
                OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == kind
            )
        ).all()
    )


def _clocks(ticket) -> list[tuple[int | None, str, str | None]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(ServiceClock).where(ServiceClock.ticket_id == ticket.id).order_by(ServiceClock.id)
    )
    return [(c.supplier_id, c.kind, c.outcome) for c in rows]


# ------------------------------------------------------------------ the service


def test_the_en_team_resolves_its_own_request(world):
    ticket = _en_ticket(world)
    assert ticket.supplier_id is None
    event = _resolve(world, ticket)
    ticket = _fresh(ticket)
    assert ticket.status == Status.DONE
    assert event.kind == EventKind.RESOLVE
    assert event.body == "Réponse donnée."
    assert ticket.resolved_first_contact is False
    # The school is asked to approve (always), the assistant in charge and the coordinators.
    assert _recipients(ticket, EventKind.RESOLVE) == sorted(
        [world.teacher.email, world.assistant.email, world.coordinator.email]
    )


def test_a_request_solved_at_the_first_contact_is_recorded_and_its_supplier_told(world):
    ticket = world.new_ticket()  # a supplier holds it
    _resolve(world, ticket, first_contact=True)
    ticket = _fresh(ticket)
    assert ticket.status == Status.DONE
    assert ticket.resolved_first_contact is True
    assert "support@meuse.example.com" in _recipients(ticket, EventKind.RESOLVE)
    # The supplier did not do the work: its clocks stop out of its figures.
    assert sorted(_clocks(ticket), key=str) == sorted(
        [
            (None, "plan", "met"),
            (None, "resolve", "met"),
            (world.supplier.id, "plan", "reassigned"),
            (world.supplier.id, "resolve", "reassigned"),
        ],
        key=str,
    )
    # Reopened: the first answer did not solve it.
    apply_action(
        world.teacher,
        ticket.id,
        Action.REOPEN,
        ActionInput(reason="Toujours en panne."),
        version=ticket.version,
        now=later(20),
    )
    assert _fresh(ticket).resolved_first_contact is False


def test_the_resolution_stops_the_clocks_and_approval_closes(world):
    ticket = _en_ticket(world)
    _resolve(world, ticket)
    assert {(kind, outcome) for _s, kind, outcome in _clocks(ticket)} == {
        ("plan", "met"),
        ("resolve", "met"),
    }
    ticket = _fresh(ticket)
    apply_action(world.teacher, ticket.id, Action.APPROVE, version=ticket.version, now=later(30))
    assert _fresh(ticket).status == Status.CLOSED


@pytest.mark.parametrize("who", ["supplier_user", "coordinator", "teacher"])
def test_only_the_en_team_resolves(world, who):
    ticket = world.new_ticket()
    with pytest.raises(Forbidden):
        _resolve(world, ticket, by=getattr(world, who))
    assert _fresh(ticket).status == Status.OPEN


def test_no_supplier_clock_on_an_en_handled_request(world):
    # Even given to a supplier, the EN team's own request runs the ticket's clocks alone.
    ticket = _en_ticket(world, supplier_id=world.supplier.id)
    assert _clocks(ticket) == [(None, "plan", None), (None, "resolve", None)]
    handled = world.new_ticket()
    assert sorted(_clocks(handled), key=str) == sorted(
        [
            (None, "plan", None),
            (None, "resolve", None),
            (world.supplier.id, "plan", None),
            (world.supplier.id, "resolve", None),
        ],
        key=str,
    )


def test_no_supplier_clock_when_an_en_handled_request_is_reassigned(world):
    ticket = _en_ticket(world)
    apply_action(
        world.assistant,
        ticket.id,
        Action.REASSIGN_SUPPLIER,
        ActionInput(supplier_id=world.supplier.id),
        version=ticket.version,
        now=later(5),
    )
    assert all(supplier is None for supplier, _k, _o in _clocks(ticket))


# ------------------------------------------------------------------ the routes


def _post_action(client, ticket, data):
    page = client.get(f"/demandes/{ticket.reference}")
    assert page.status_code == 200
    payload = {"csrf_token": extract_csrf(page.get_data(as_text=True))}
    payload.update({f"resolve-{k}": v for k, v in data.items()})
    return client.post(f"/demandes/{ticket.reference}/actions/resolve", data=payload)


def test_an_assistant_resolves_from_the_page(app, world):
    ticket = _en_ticket(world)
    client = signed_in(app, world.assistant)
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "Résolue au premier contact" in page
    answer = _post_action(
        client,
        ticket,
        {"version": str(ticket.version), "summary": "Procédure envoyée.", "first_contact": "y"},
    )
    assert answer.status_code == 303
    ticket = _fresh(ticket)
    assert (ticket.status, ticket.resolved_first_contact) == (Status.DONE, True)
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "a résolu la demande au premier contact" in shown


def test_an_empty_resolution_comes_back_422(app, world):
    ticket = _en_ticket(world)
    client = signed_in(app, world.assistant)
    answer = _post_action(
        client, ticket, {"version": str(ticket.version), "summary": "  ", "first_contact": "y"}
    )
    assert answer.status_code == 422
    assert _fresh(ticket).status == Status.OPEN


def test_a_stale_resolution_gets_409(app, world):
    ticket = _en_ticket(world)
    client = signed_in(app, world.assistant)
    answer = _post_action(client, ticket, {"version": "0", "summary": "Réponse."})
    assert answer.status_code == 409
    assert _fresh(ticket).status == Status.OPEN


def test_the_coordinator_may_not_resolve(app, world):
    ticket = _en_ticket(world)
    client = signed_in(app, world.coordinator)
    answer = _post_action(client, ticket, {"version": str(ticket.version), "summary": "R."})
    assert answer.status_code == 403
    assert _fresh(ticket).status == Status.OPEN


def test_an_en_handled_request_is_opened_without_supplier_or_device(app, world):
    kind = _information_type()
    device = factories.equipment(supplier=world.supplier)
    db.session.commit()
    client = signed_in(app, world.assistant)
    data = {
        "csrf_token": csrf_token(client, NEW),
        "site": world.site.label,
        "contact_name": "Claire Dumont",
        "contact_phone": "0123/456789",
        "request_type": str(kind.id),
        "summary": "Comment réserver la classe mobile ?",
        "description": "Question posée par téléphone.",
        "supplier": "auto",
        "assignee": str(world.assistant.id),
    }
    answer = client.post(NEW, data=data)
    assert answer.status_code == 302
    created = db.session.scalars(select(Ticket).where(Ticket.request_type_id == kind.id)).one()
    assert created.supplier_id is None
    # A device named on such a request does not bring its supplier either.
    data.update(equipment_label=device.label, summary="Autre question")
    assert client.post(NEW, data=data).status_code == 302
    second = db.session.scalars(select(Ticket).where(Ticket.summary == "Autre question")).one()
    assert (second.equipment_id, second.supplier_id) == (device.id, None)
    # A supplier's request still needs its device.
    data.update(request_type=str(world.request_type.id), equipment_label="")
    assert client.post(NEW, data=data).status_code == 422
