"""A device's history across schools, a school's tickets, the « panne à répétition » flag."""

from __future__ import annotations

from datetime import timedelta

from app.directory import history
from app.extensions import db
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.tickets import NOW, TOMORROW_10H, later
from tests.support.web import signed_in


def _ticket(world, device, *, site=None, at=NOW, supplier=None, summary="Ne démarre plus"):
    from app.tickets.service import NewTicket, create_ticket

    data = NewTicket(
        request_type_id=world.request_type.id,
        summary=summary,
        description="Diagnostic.",
        site_id=(site or world.site).id,
        contact_name="Claire Dumont",
        contact_email=world.teacher.email,
        equipment_id=device.id if device else None,
        supplier_id=(supplier or world.supplier).id,
    )
    return create_ticket(world.assistant, data, now=at)


def test_a_device_page_lists_its_tickets_and_interventions_across_schools(world, app):
    device = factories.equipment(supplier=world.supplier, site=world.site)
    other_site = factories.site()
    first = _ticket(world, device, at=NOW - timedelta(days=400), summary="Charnière cassée")
    apply_action(
        world.supplier_user,
        first.id,
        Action.PLAN,
        ActionInput(planned_at=NOW - timedelta(days=399)),
        now=NOW - timedelta(days=400),
    )
    apply_action(
        world.supplier_user,
        first.id,
        Action.FINISH,
        ActionInput(summary="Charnière remplacée"),
        now=NOW - timedelta(days=398),
    )
    # The device moved to another school; a ticket there, written with its label only.
    from app.tickets.service import NewTicket, create_ticket

    create_ticket(
        world.assistant,
        NewTicket(
            request_type_id=world.request_type.id,
            summary="Écran noir",
            description="Diagnostic.",
            site_id=other_site.id,
            contact_name="Luc",
            equipment_label=device.label.lower(),
            supplier_id=world.supplier.id,
        ),
        now=NOW,
    )
    db.session.commit()

    client = signed_in(app, world.assistant)
    page = client.get(f"/annuaire/materiel/{device.id}").get_data(as_text=True)
    assert "Charnière cassée" in page
    assert "Écran noir" in page
    assert "Charnière remplacée" in page  # the intervention's summary
    assert "dans 2 implantations" in page
    assert "Panne à répétition" not in page  # one of the two is older than twelve months


def test_three_tickets_in_twelve_months_flag_the_device(world, app):
    device = factories.equipment(supplier=world.supplier, site=world.site)
    quiet = factories.equipment(supplier=world.supplier, site=world.site)
    for days in (300, 100, 1):
        _ticket(world, device, at=NOW - timedelta(days=days))
    _ticket(world, quiet, at=NOW - timedelta(days=1))
    db.session.commit()
    assert history.repeated_devices([device.id, quiet.id], now=NOW) == {device.id}
    found = history.device_history(world.assistant, equipment=device, now=NOW)
    assert found.recent_count == 3
    assert found.repeated
    # At 366 days the oldest no longer counts.
    later_found = history.device_history(
        world.assistant, equipment=device, now=NOW + timedelta(days=66)
    )
    assert not later_found.repeated


def test_the_school_page_lists_its_tickets_and_flags(world, app):
    device = factories.equipment(supplier=world.supplier, site=world.site)
    for day in (1, 2, 3):
        _ticket(world, device, at=later(day), summary=f"Panne numéro {day}")
    db.session.commit()
    client = signed_in(app, world.assistant)
    site = world.site
    page = client.get(f"/annuaire/ecoles/{site.establishment.fase}/{site.fi}").get_data(
        as_text=True
    )
    assert "Panne numéro 1" in page
    assert "Panne numéro 3" in page
    assert "Panne à répétition" in page
    assert f"/annuaire/materiel/{device.id}" in page


def test_a_supplier_sees_the_devices_it_maintains_and_only_its_own_tickets(world, app):
    device = factories.equipment(supplier=world.supplier, site=world.site)
    _ticket(world, device, summary="Chez Meuse")
    _ticket(world, device, supplier=world.other_supplier, summary="Chez Brabant")
    other = factories.equipment(supplier=world.other_supplier, site=world.site)
    db.session.commit()

    client = signed_in(app, world.supplier_user)
    page = client.get(f"/annuaire/materiel/{device.id}").get_data(as_text=True)
    assert "Chez Meuse" in page
    assert "Chez Brabant" not in page
    assert client.get(f"/annuaire/materiel/{other.id}").status_code == 404
    # Once it holds a ticket for the other company's device, it sees that ticket there.
    _ticket(world, other, summary="Confié à Meuse")
    db.session.commit()
    page = client.get(f"/annuaire/materiel/{other.id}").get_data(as_text=True)
    assert "Confié à Meuse" in page
    teacher = signed_in(app, world.teacher)
    assert teacher.get(f"/annuaire/materiel/{device.id}").status_code == 404


def test_a_device_outside_the_inventory_is_found_by_its_identifier(world, app):
    world.new_ticket(serial="HORS-INV-1")
    db.session.commit()
    client = signed_in(app, world.assistant)
    page = client.get("/annuaire/materiel/identifiant/hors-inv-1")
    assert page.status_code == 200
    assert "Hors inventaire" in page.get_data(as_text=True)
    assert client.get("/annuaire/materiel/identifiant/INCONNU-42").status_code == 404
    # An inventory device by its label: to its page.
    device = factories.equipment(supplier=world.supplier, site=world.site)
    db.session.commit()
    response = client.get(f"/annuaire/materiel/identifiant/{device.serial}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/annuaire/materiel/{device.id}")
    # The other company's user sees nothing of a device it has no ticket for.
    other = signed_in(app, world.other_supplier_user)
    assert other.get("/annuaire/materiel/identifiant/HORS-INV-1").status_code == 404


def test_history_queries_do_not_grow_with_the_tickets(world, app):
    from sqlalchemy import event

    device = factories.equipment(supplier=world.supplier, site=world.site)
    sites = [world.site, factories.site(), factories.site()]
    for n in range(6):
        ticket = _ticket(world, device, at=later(n), site=sites[n % 3])
        apply_action(
            world.supplier_user,
            ticket.id,
            Action.PLAN,
            ActionInput(planned_at=TOMORROW_10H),
            now=later(n),
        )
    db.session.commit()
    statements = []
    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        db.session.expire_all()
        found = history.device_history(world.assistant, equipment=device)
        assert len(found.tickets) == 6
        assert all(t.interventions for t in found.tickets)
        _ = [t.site.label for t in found.tickets]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # The device (reloaded), its tickets with their sites and schools, their interventions.
    assert len(statements) <= 4, statements


def test_the_ticket_page_links_to_the_device_history_for_staff_and_suppliers_only(world, app):
    device = factories.equipment(supplier=world.supplier, site=world.site)
    ticket = _ticket(world, device)
    outside = world.new_ticket(serial="HORS-INV-9")
    db.session.commit()
    for user, expected in (
        (world.assistant, True),
        (world.supplier_user, True),
        (world.teacher, False),
    ):
        page = signed_in(app, user).get(f"/demandes/{ticket.reference}").get_data(as_text=True)
        assert (f'href="/annuaire/materiel/{device.id}"' in page) is expected, user
    page = signed_in(app, world.assistant).get(f"/demandes/{outside.reference}")
    assert 'href="/annuaire/materiel/identifiant/HORS-INV-9"' in page.get_data(as_text=True)
