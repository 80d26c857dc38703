"""Who may see a ticket, and who someone is relative to it (plain rules over loaded objects).

`visible_to` is the same rule as `can_view`, written as a SQL condition for the lists: a
supplier sees its company's tickets, a teacher the tickets where they are the contact or a
participant, EN staff every ticket.
"""

from __future__ import annotations

from sqlalchemy import false, select, true, union
from sqlalchemy.sql.elements import ColumnElement

from app.auth.roles import EN_STAFF
from app.models import Participant, Role, Ticket, User
from app.tickets.workflow import Actor


def _is_participant(ticket: Ticket, user: User) -> bool:
    return any(p.user_id == user.id for p in ticket.participants)


def actor_for(user: User, ticket: Ticket) -> Actor:
    """The workflow's view of `user` on `ticket`."""
    role = user.role
    if role in (Role.ASSISTANT, Role.ADMIN):
        return Actor.ASSISTANT
    if role == Role.COORDINATOR:
        return Actor.COORDINATOR
    if role == Role.SUPPLIER:
        if ticket.supplier_id is not None and ticket.supplier_id == user.supplier_id:
            return Actor.SUPPLIER
        return Actor.OTHER_SUPPLIER
    if role == Role.TEACHER and (
        ticket.contact_user_id == user.id or _is_participant(ticket, user)
    ):
        return Actor.TEACHER
    return Actor.OTHER_TEACHER


def can_view(user: User, ticket: Ticket) -> bool:
    if not user.is_authenticated or not user.active:
        return False
    if user.role in EN_STAFF:
        return True
    return actor_for(user, ticket) in (Actor.SUPPLIER, Actor.TEACHER)


def sees_internal(user: User) -> bool:
    """Internal comments and attachments are for EN staff only."""
    return user.role in EN_STAFF


def visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE condition selecting the tickets `user` may see."""
    if user.role in EN_STAFF:
        return true()
    if user.role == Role.SUPPLIER and user.supplier_id is not None:
        return Ticket.supplier_id == user.supplier_id
    if user.role == Role.TEACHER:
        # A UNION of two indexed lookups: "contact OR id IN (…)" would scan the whole table.
        mine = union(
            select(Ticket.id).where(Ticket.contact_user_id == user.id),
            select(Participant.ticket_id).where(Participant.user_id == user.id),
        )
        return Ticket.id.in_(select(mine.subquery().c[0]))
    return false()
