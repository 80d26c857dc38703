"""All models, imported here so that Alembic and the app see the whole schema."""

from app.models.calendar import SchoolHoliday
from app.models.catalogue import PortalCategory, RequestType
from app.models.dashboard import DashboardClock
from app.models.equipment import Equipment
from app.models.inbound import InboundMail, InboundOutcome
from app.models.invitation import Invitation
from app.models.outbox import OutboxMessage, OutboxStatus
from app.models.school import Establishment, Site
from app.models.service_level import ServiceClock, TicketPause
from app.models.supplier import Supplier
from app.models.ticket import Attachment, Intervention, Participant, Ticket, TicketEvent
from app.models.user import ROLE_VALUES, Role, User, normalise_email

__all__ = [
    "ROLE_VALUES",
    "Attachment",
    "DashboardClock",
    "Equipment",
    "Establishment",
    "InboundMail",
    "InboundOutcome",
    "Intervention",
    "Invitation",
    "OutboxMessage",
    "OutboxStatus",
    "Participant",
    "PortalCategory",
    "RequestType",
    "Role",
    "SchoolHoliday",
    "ServiceClock",
    "Site",
    "Supplier",
    "Ticket",
    "TicketEvent",
    "TicketPause",
    "User",
    "normalise_email",
]
