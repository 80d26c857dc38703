"""« Modifier »: the EN team corrects a ticket's frame. The service (every field, one event
listing the changes, the creation rules on the device, the version), who is told, and the
route (permissions, 422 with the typed values, 409 with the fresh state, htmx and plain POST)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Ticket, TicketEvent
from app.tickets.errors import Forbidden, StaleTicket, TicketError
from app.tickets.events import EDIT_FIELDS, EventKind
from app.tickets.service import NothingChanged, TicketEdit, edit_ticket
from tests.support import factories
from tests.support.tickets import later, ticket_in
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}


def _as_is(ticket: Ticket, **changes) -> TicketEdit:
    values = TicketEdit(
        request_type_id=ticket.request_type_id,
        summary=ticket.summary,
        description=ticket.description,
        site_id=ticket.site_id,
        contact_name=ticket.contact_name,
        contact_phone=ticket.contact_phone,
        contact_email=ticket.contact_email,
        equipment_label=ticket.equipment_label,
        equipment_serial=ticket.equipment_serial,
        equipment_description=ticket.equipment_description,
    )
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def _recipients(ticket) -> list[str]:
    rows = db.session.scalars(
        select(OutboxMessage.recipient).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == EventKind.EDIT
        )
    ).all()
    return sorted(rows)


def _fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


# ------------------------------------------------------------------ the service


def test_every_field_changes_in_one_event_from_to(world):
    ticket = world.new_ticket()
    other_type = factories.request_type(category=world.category, name="Écran interactif")
    other_site = factories.site()
    db.session.commit()
    values = _as_is(
        ticket,
        summary="Projecteur muet",
        description="Pas de son.",
        request_type_id=other_type.id,
        site_id=other_site.id,
        contact_name="Marc Leroy",
        contact_phone="+3281999999",
        contact_email="marc@ecole.example.com",
        equipment_label="en01-lot02-99999",
        equipment_serial="",
        equipment_description="Lot 02 - Projecteur",
    )
    event = edit_ticket(world.assistant, ticket.id, values, version=ticket.version, now=later(3))

    assert event.kind == EventKind.EDIT
    ticket = _fresh(ticket)
    assert ticket.summary == "Projecteur muet"
    assert ticket.request_type_id == other_type.id
    assert ticket.site_id == other_site.id
    assert (ticket.contact_name, ticket.contact_phone) == ("Marc Leroy", "+3281999999")
    assert ticket.contact_email == "marc@ecole.example.com"
    assert ticket.contact_user is None  # no teacher account at that address
    assert (ticket.equipment_label, ticket.equipment_serial) == ("EN01-LOT02-99999", "")
    changes = {name: (before, after) for name, before, after in event.data["changes"]}
    assert changes["summary"] == ("Écran interactif ne s’allume plus", "Projecteur muet")
    assert changes["request_type"][1] == str(other_type.label)
    assert changes["site"] == (world.site.label, other_site.label)
    assert changes["contact_phone"] == ("+3281123456", "+3281999999")
    assert changes["equipment_serial"] == ("SN-000123", "")
    assert set(changes) == set(EDIT_FIELDS)  # all ten
    assert len(changes) == 10
    assert [e.kind for e in ticket.events].count(EventKind.EDIT) == 1
    assert ticket.version > 1


def test_the_activity_and_the_mail_list_each_change(app, world):
    ticket = world.new_ticket()
    edit_ticket(
        world.assistant,
        ticket.id,
        _as_is(ticket, contact_phone="+3281999999"),
        version=ticket.version,
        now=later(3),
    )
    event = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "edit")).one()
    with app.test_request_context():
        sentence = EventKind.EDIT.sentence(event, {})
    assert "Numéro de téléphone : « +3281123456 » → « +3281999999 »" in sentence
    body = db.session.scalars(
        select(OutboxMessage.body_text).where(OutboxMessage.kind == EventKind.EDIT)
    ).first()
    assert "« +3281123456 » → « +3281999999 »" in body


def test_the_supplier_is_told_when_what_it_relies_on_changes(world):
    ticket = world.new_ticket()
    event = edit_ticket(
        world.assistant2,
        ticket.id,
        _as_is(ticket, contact_phone="+3281999999"),
        version=ticket.version,
    )
    assert event.data["supplier_told"] is True
    # The supplier's reference address (always), the assistant in charge, the coordinator.
    assert _recipients(ticket) == sorted(
        ["support@meuse.example.com", world.assistant.email, world.coordinator.email]
    )


def test_the_supplier_is_not_told_of_a_new_summary(world):
    ticket = world.new_ticket()
    event = edit_ticket(
        world.assistant2, ticket.id, _as_is(ticket, summary="Autre résumé"), version=1
    )
    assert event.data["supplier_told"] is False
    assert _recipients(ticket) == sorted([world.assistant.email, world.coordinator.email])


def test_a_new_contact_with_a_teacher_account_becomes_a_participant(world):
    ticket = world.new_ticket()
    values = _as_is(ticket, contact_email=world.colleague_teacher.email.upper())
    edit_ticket(world.assistant, ticket.id, values, version=ticket.version)
    ticket = _fresh(ticket)
    assert ticket.contact_user_id == world.colleague_teacher.id
    assert world.colleague_teacher.id in {p.user_id for p in ticket.participants}


def test_the_creation_rules_apply_to_the_edited_device(world):
    ticket = world.new_ticket()
    version = ticket.version
    first, second = factories.equipment(), factories.equipment()
    db.session.commit()
    # A label and a serial of two different devices.
    values = _as_is(ticket, equipment_label=first.label, equipment_serial=second.serial)
    with pytest.raises(TicketError) as caught:
        edit_ticket(world.assistant, ticket.id, values, version=ticket.version)
    assert caught.value.field == "equipment_serial"
    # A device the inventory does not know needs its description.
    values = _as_is(ticket, equipment_serial="SN-UNKNOWN", equipment_description="")
    with pytest.raises(TicketError) as caught:
        edit_ticket(world.assistant, ticket.id, values, version=ticket.version)
    assert caught.value.field == "equipment_description"
    # A device of the inventory: its identifiers and its description, the ticket linked to it.
    values = _as_is(ticket, equipment_serial=first.serial.lower(), equipment_description="")
    edit_ticket(world.assistant, ticket.id, values, version=ticket.version)
    ticket = _fresh(ticket)
    assert ticket.equipment_id == first.id
    assert (ticket.equipment_label, ticket.equipment_serial) == (first.label, first.serial)
    assert ticket.equipment_description == f"{first.lot} - {first.model}"
    # One event: the refused edits saved nothing.
    assert [e.kind for e in ticket.events] == [EventKind.CREATED, EventKind.EDIT]
    assert ticket.version > version


def test_a_request_type_of_another_category_is_refused(world):
    ticket = world.new_ticket()
    foreign = factories.request_type(key="INFO", name="Centre d’informations")
    db.session.commit()
    with pytest.raises(TicketError) as caught:
        edit_ticket(
            world.assistant, ticket.id, _as_is(ticket, request_type_id=foreign.id), version=1
        )
    assert caught.value.field == "request_type_id"


def test_a_stale_version_and_an_unchanged_form_save_nothing(world):
    ticket = world.new_ticket()
    with pytest.raises(StaleTicket):
        edit_ticket(world.assistant, ticket.id, _as_is(ticket, summary="X"), version=0)
    with pytest.raises(NothingChanged):
        edit_ticket(world.assistant, ticket.id, _as_is(ticket), version=ticket.version)
    assert _fresh(ticket).version == 1
    assert [e.kind for e in _fresh(ticket).events] == [EventKind.CREATED]


@pytest.mark.parametrize("who", ["coordinator", "supplier_user", "teacher"])
def test_only_assistants_and_admins_edit(world, who):
    ticket = world.new_ticket()
    with pytest.raises((Forbidden, TicketError)):
        edit_ticket(getattr(world, who), ticket.id, _as_is(ticket, summary="X"), version=1)
    assert _fresh(ticket).summary != "X"


def test_a_closed_ticket_is_not_edited(world):
    ticket = ticket_in(world, "closed")
    with pytest.raises(Forbidden):
        edit_ticket(world.admin, ticket.id, _as_is(ticket, summary="X"), version=ticket.version)


# ------------------------------------------------------------------ the route


def _form(ticket: Ticket, **changes) -> dict:
    data = {
        "version": str(ticket.version),
        "site": ticket.site.label,
        "contact_name": ticket.contact_name,
        "contact_phone": ticket.contact_phone,
        "contact_email": ticket.contact_email,
        "equipment_label": ticket.equipment_label,
        "equipment_serial": ticket.equipment_serial,
        "equipment_description": ticket.equipment_description,
        "request_type": str(ticket.request_type_id),
        "summary": ticket.summary,
        "description": ticket.description,
    }
    data.update(changes)
    return data


def _post(client, ticket, data, *, htmx=False):
    page = client.get(f"/demandes/{ticket.reference}/modifier")
    assert page.status_code == 200
    data = {**data, "csrf_token": extract_csrf(page.get_data(as_text=True))}
    return client.post(
        f"/demandes/{ticket.reference}/modifier", data=data, headers=HTMX if htmx else {}
    )


@pytest.mark.parametrize("who", ["assistant", "admin"])
def test_staff_edit_through_the_page(app, world, who):
    ticket = world.new_ticket()
    client = signed_in(app, getattr(world, who))
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert f"/demandes/{ticket.reference}/modifier" in page
    form = client.get(f"/demandes/{ticket.reference}/modifier")
    assert form.status_code == 200
    assert "Écran interactif ne s’allume plus" in form.get_data(as_text=True)
    answer = _post(client, ticket, _form(ticket, contact_phone="081 99 99 99"))
    assert answer.status_code == 303
    assert _fresh(ticket).contact_phone == "+3281999999"
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Les modifications de la demande sont enregistrées." in shown
    assert "« +3281123456 » → « +3281999999 »" in shown


def test_htmx_gets_the_frame_and_the_parts(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    fragment = client.get(f"/demandes/{ticket.reference}/modifier", headers=HTMX)
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="ticket-frame"')
    assert "<html" not in html
    answer = _post(client, ticket, _form(ticket, summary="Projecteur muet"), htmx=True)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'id="ticket-frame"' in html
    assert 'id="ticket-title" class="ticket-title" hx-swap-oob="true">Projecteur muet' in html
    assert 'id="ticket-activity"' in html


@pytest.mark.parametrize("who", ["coordinator", "supplier_user", "teacher"])
def test_others_cannot_open_the_form(app, world, who):
    ticket = world.new_ticket()
    client = signed_in(app, getattr(world, who))
    page = client.get(f"/demandes/{ticket.reference}")
    assert page.status_code == 200
    assert "/modifier" not in page.get_data(as_text=True)
    assert client.get(f"/demandes/{ticket.reference}/modifier").status_code == 403
    answer = client.post(f"/demandes/{ticket.reference}/modifier", data=_form(ticket))
    assert answer.status_code in (400, 403)
    assert _fresh(ticket).version == 1


def test_a_teacher_of_another_school_gets_404(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.other_teacher)
    assert client.get(f"/demandes/{ticket.reference}/modifier").status_code == 404


def test_bad_input_comes_back_as_typed(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    answer = _post(
        client,
        ticket,
        _form(ticket, contact_phone="pas un numéro", summary="Résumé corrigé", description=""),
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Ce numéro n’est pas un numéro de téléphone" in html
    assert "Décrivez le diagnostic réalisé." in html
    assert 'value="pas un numéro"' in html
    assert 'value="Résumé corrigé"' in html
    assert _fresh(ticket).version == 1


def test_an_unknown_site_is_refused_next_to_its_field(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    answer = _post(client, ticket, _form(ticket, site="zzz nulle part"))
    assert answer.status_code == 422
    assert "Aucune implantation ne correspond" in answer.get_data(as_text=True)


def test_a_stale_form_gets_409_with_the_fresh_state_and_the_form_back(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    page = client.get(f"/demandes/{ticket.reference}/modifier").get_data(as_text=True)
    # Someone else corrects the summary in between.
    edit_ticket(
        world.assistant2, ticket.id, _as_is(ticket, summary="Corrigé par Sophie"), version=1
    )
    data = {**_form(ticket, contact_name="Marc Leroy", version="1")}
    data["summary"] = "Écran interactif ne s’allume plus"
    data["csrf_token"] = extract_csrf(page)
    answer = client.post(f"/demandes/{ticket.reference}/modifier", data=data)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "Corrigé par Sophie" in html  # the ticket as it is now
    assert 'value="Marc Leroy"' in html  # the form as typed
    current = _fresh(ticket).version
    assert f'name="version" type="hidden" value="{current}"' in html
    assert _fresh(ticket).contact_name == world.teacher.full_name
    # Sent again, knowingly: it replaces.
    data["version"] = str(current)
    assert client.post(f"/demandes/{ticket.reference}/modifier", data=data).status_code == 303
    assert _fresh(ticket).contact_name == "Marc Leroy"


def test_an_unchanged_form_says_so(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant)
    answer = _post(client, ticket, _form(ticket))
    assert answer.status_code == 303
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Aucune modification : la demande est inchangée." in shown
    assert _fresh(ticket).version == 1
