"""A small world of people around tickets, for the ticket tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import PortalCategory, RequestType, Role, Site, Supplier, Ticket, User
from app.tickets.service import NewTicket, create_ticket
from tests.support import factories

# A fixed "now" on a Tuesday morning, so that "tomorrow at 10:00" is a working day.
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
TOMORROW_10H = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # 10:00 in Brussels (CET)


@dataclass
class World:
    category: PortalCategory
    request_type: RequestType
    site: Site
    supplier: Supplier
    other_supplier: Supplier
    supplier_user: User  # its address is NOT the company's reference address
    supplier_colleague: User
    other_supplier_user: User
    assistant: User
    assistant2: User
    coordinator: User
    inactive_coordinator: User
    teacher: User
    colleague_teacher: User
    other_teacher: User
    admin: User

    def new_ticket(self, by: User | None = None, **overrides) -> Ticket:
        data = NewTicket(
            request_type_id=overrides.pop("request_type_id", self.request_type.id),
            summary=overrides.pop("summary", "Écran interactif ne s’allume plus"),
            description=overrides.pop("description", "Diagnostic : alimentation HS."),
            site_id=self.site.id,
            contact_name=self.teacher.full_name,
            contact_phone="+3281123456",
            contact_email=self.teacher.email,
            equipment_serial=overrides.pop("serial", "SN-000123"),
            # A device the inventory does not hold is described (app.tickets.creation).
            equipment_description=overrides.pop(
                "equipment_description",
                "" if overrides.get("equipment_id") else "Lot 01 - Écran interactif",
            ),
            supplier_id=overrides.pop("supplier_id", self.supplier.id),
            **overrides,
        )
        return create_ticket(by or self.assistant, data, now=NOW)


def build_world() -> World:
    category = PortalCategory(key="TECH", name="Assistance technique")
    request_type = factories.request_type(category=category)
    site = factories.site()
    other_site = factories.site()
    supplier = factories.supplier(
        name="Meuse Informatique", reference_email="support@meuse.example.com"
    )
    other_supplier = factories.supplier(
        name="Brabant Systèmes", reference_email="support@brabant.example.com"
    )
    world = World(
        category=category,
        request_type=request_type,
        site=site,
        supplier=supplier,
        other_supplier=other_supplier,
        supplier_user=factories.user(
            Role.SUPPLIER, supplier=supplier, email="julie@meuse.example.com"
        ),
        supplier_colleague=factories.user(
            Role.SUPPLIER, supplier=supplier, email="thomas@meuse.example.com"
        ),
        other_supplier_user=factories.user(Role.SUPPLIER, supplier=other_supplier),
        assistant=factories.user(Role.ASSISTANT, email="quentin@relais.example.com"),
        assistant2=factories.user(Role.ASSISTANT, email="sophie@relais.example.com"),
        coordinator=factories.user(Role.COORDINATOR, email="olivier@relais.example.com"),
        inactive_coordinator=factories.user(
            Role.COORDINATOR, email="ancien@relais.example.com", active=False
        ),
        teacher=factories.user(
            Role.TEACHER, site=site, email="claire@ecole.example.com", full_name="Claire Dumont"
        ),
        colleague_teacher=factories.user(Role.TEACHER, site=site),
        other_teacher=factories.user(Role.TEACHER, site=other_site),
        admin=factories.user(Role.ADMIN),
    )
    db.session.commit()
    return world


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def ticket_in(world: World, status: str, **overrides) -> Ticket:
    """A new ticket brought to `status` through the service, as its people would."""
    from app.tickets.service import ActionInput, apply_action
    from app.tickets.workflow import Action

    ticket = world.new_ticket(**overrides)
    steps = {
        "open": [],
        "in_progress": [(world.supplier_user, Action.PLAN, ActionInput(planned_at=TOMORROW_10H))],
        "done": [
            (world.supplier_user, Action.PLAN, ActionInput(planned_at=TOMORROW_10H)),
            (world.supplier_user, Action.FINISH, ActionInput(summary="Alimentation remplacée.")),
        ],
        "closed": [
            (world.supplier_user, Action.PLAN, ActionInput(planned_at=TOMORROW_10H)),
            (world.supplier_user, Action.FINISH, ActionInput(summary="Alimentation remplacée.")),
            (world.teacher, Action.APPROVE, ActionInput()),
        ],
        "cancelled": [(world.assistant, Action.CANCEL, ActionInput(reason="Doublon."))],
    }[status]
    for minutes, (who, action, values) in enumerate(steps, start=1):
        ticket = apply_action(
            who, ticket.id, action, values, version=ticket.version, now=later(minutes)
        ).ticket
    return ticket
