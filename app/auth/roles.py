"""Role names as people read them, and who may do what with accounts (plain rules over roles)."""

from __future__ import annotations

# The role names live with the Role (app.models.user), the bottom of the layers.
from app.models.user import ROLE_LABELS as ROLE_LABELS
from app.models.user import Role

EN_STAFF = frozenset({Role.ASSISTANT, Role.COORDINATOR, Role.ADMIN})

# Who may invite whom: the EN team adds a supplier's address, assistants add teachers
# (docs/domain.md, « People and roles »).
INVITABLE_BY = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.SUPPLIER, Role.ASSISTANT}),
    Role.ASSISTANT: frozenset({Role.TEACHER}),
    Role.SUPPLIER: frozenset(),
    Role.TEACHER: frozenset(),
}


def can_open_outbox(role: str) -> bool:
    """« Envois », the outbox's page (where failed messages are sent again): admins only."""
    return Role(role) == Role.ADMIN


def roles_invitable_by(role: str) -> frozenset[Role]:
    return INVITABLE_BY.get(Role(role), frozenset())


def can_invite(inviter_role: str, invited_role: str) -> bool:
    return Role(invited_role) in roles_invitable_by(inviter_role)


# Who may deactivate or reactivate whom; nobody acts on their own account (checked by the service).
MANAGEABLE_BY = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.SUPPLIER, Role.ASSISTANT}),
    Role.ASSISTANT: frozenset(),
    Role.SUPPLIER: frozenset(),
    Role.TEACHER: frozenset(),
}

# Who sees the list of accounts.
USER_LIST_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


def can_manage(actor_role: str, target_role: str) -> bool:
    return Role(target_role) in MANAGEABLE_BY.get(Role(actor_role), frozenset())
