"""The creation rules on the device hold for any caller of the ticket service, not only for the
« Nouvelle demande » form (app.tickets.creation_rules.check_new_ticket)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Ticket
from app.tickets.errors import TicketError
from tests.support import factories
from tests.support.tickets import build_world


@pytest.fixture
def world(app):
    return build_world()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_a_label_and_a_serial_of_two_devices_are_refused(world):
    first, second = factories.equipment(), factories.equipment()
    with pytest.raises(TicketError) as refused:
        world.new_ticket(equipment_label=first.label, serial=second.serial)
    assert refused.value.field == "equipment_serial"
    assert first.identifier in refused.value.message
    assert _count() == 0


def test_a_device_outside_the_inventory_needs_its_description(world):
    with pytest.raises(TicketError) as refused:
        world.new_ticket(serial="SN-INCONNU", equipment_description="  ")
    assert refused.value.field == "equipment_description"
    assert "lot et son modèle" in refused.value.message
    assert _count() == 0


def test_known_or_described_devices_are_accepted(world):
    device = factories.equipment()
    by_serial = world.new_ticket(serial=device.serial.lower(), equipment_description="")
    by_id = world.new_ticket(serial="", equipment_id=device.id)
    described = world.new_ticket(serial="SN-INCONNU", equipment_description="Lot 09 - Tablette")
    no_device = world.new_ticket(serial="", equipment_description="")
    assert by_id.equipment_description == f"{device.lot} - {device.model}"
    assert by_serial.equipment_serial == device.serial
    assert described.equipment_description == "Lot 09 - Tablette"
    assert no_device.equipment_serial == ""
