"""Who may see a ticket, do what on it, and who someone is relative to it (plain rules over
loaded objects, no HTTP).

`visible_to` is the same rule as `can_view`, written as a SQL condition for the lists: a
supplier sees its company's tickets, a teacher the tickets where they are the contact or a
participant, EN staff every ticket. Views pass the answers of these functions to templates as
booleans: templates never test a role or a status.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import false, select, true, union
from sqlalchemy.sql.elements import ColumnElement

from app.auth.roles import EN_STAFF, can_invite
from app.models import Participant, Role, Ticket, User
from app.tickets.workflow import OPEN_STATUSES, Action, Actor, available_actions

# Who opens tickets and may be the assistant in charge of one.
CREATORS = frozenset({Role.ASSISTANT, Role.ADMIN})


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


def can_create(user: User) -> bool:
    """« Nouvelle demande »."""
    return user.role in CREATORS


def can_edit(user: User, ticket: Ticket) -> bool:
    """« Modifier »: the assistants and admins correct the frame of a ticket still open (the
    coordinator reads it; a closed or cancelled ticket is history)."""
    return user.role in CREATORS and ticket.status in OPEN_STATUSES


def sees_deadlines(user: User) -> bool:
    """The service-level deadlines (the list's « Délais » filter): everyone but teachers."""
    return user.role != Role.TEACHER


def can_act(user: User, ticket: Ticket, action: Action) -> bool:
    """Whether the workflow offers `action` to `user` on `ticket` now."""
    offered = available_actions(
        ticket.status, actor_for(user, ticket), has_supplier=ticket.supplier_id is not None
    )
    return any(t.action == action for t in offered)


def can_take(user: User, ticket: Ticket) -> bool:
    """« Prendre en charge »: an assistant becomes the assistant in charge in one click."""
    return (
        user.role in CREATORS
        and ticket.assignee_id != user.id
        and can_act(user, ticket, Action.CHANGE_ASSIGNEE)
    )


def can_comment_internally(user: User, ticket: Ticket) -> bool:
    """Internal comments (EN staff only: neither the supplier nor the school sees them)."""
    return sees_internal(user) and can_view(user, ticket)


# ------------------------------------------------------------------ sharing


class ShareCircle(StrEnum):
    """Whom someone may share a ticket with (the form's hint and its refusal say so)."""

    INVITE = "invite"  # any account, and an invitation for an address without one
    ACCOUNTS = "accounts"  # any active account
    COMPANY = "company"  # the colleagues of the supplier's company
    SCHOOL = "school"  # the teachers of the ticket's school
    NOBODY = "nobody"


class Sharing(StrEnum):
    """What « Partager » does with the address typed."""

    SHARE = "share"
    ALREADY_SHARED = "already_shared"
    INVITE = "invite"  # no account yet: an invitation as a teacher of the ticket's site
    INACTIVE = "inactive"  # EN staff named a deactivated account
    REFUSED = "refused"  # outside the person's circle (or no such account)


def share_circle(user: User) -> ShareCircle:
    if user.role in EN_STAFF:
        return ShareCircle.INVITE if can_invite(user.role, Role.TEACHER) else ShareCircle.ACCOUNTS
    if user.role == Role.SUPPLIER:
        return ShareCircle.COMPANY
    if user.role == Role.TEACHER:
        return ShareCircle.SCHOOL
    return ShareCircle.NOBODY


def can_share_with(actor: User, ticket: Ticket, user: User) -> bool:
    """EN staff share with anyone; a teacher with colleagues of the same school; a supplier with
    users of its own company. Never with a deactivated account."""
    if not user.active:
        return False
    if actor.role in EN_STAFF:
        return True
    if actor.role == Role.TEACHER:
        return (
            user.role == Role.TEACHER
            and user.site_id is not None
            and (
                user.site_id == ticket.site_id
                or (
                    user.site is not None
                    and user.site.establishment_id == ticket.site.establishment_id
                )
            )
        )
    if actor.role == Role.SUPPLIER:
        return user.role == Role.SUPPLIER and user.supplier_id == actor.supplier_id
    return False


def sharing(actor: User, ticket: Ticket, user: User | None) -> Sharing:
    """What sharing `ticket` with `user` (None: no account has the address) comes to."""
    if user is None:
        return Sharing.INVITE if share_circle(actor) == ShareCircle.INVITE else Sharing.REFUSED
    if not can_share_with(actor, ticket, user):
        return Sharing.INACTIVE if actor.role in EN_STAFF else Sharing.REFUSED
    if _is_participant(ticket, user):
        return Sharing.ALREADY_SHARED
    return Sharing.SHARE


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
