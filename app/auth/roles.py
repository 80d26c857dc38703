"""Role names as people read them, and who may do what with accounts (plain rules, no Flask)."""

from __future__ import annotations

from app.models.user import Role

ROLE_LABELS = {
    Role.ASSISTANT: "Assistant·e à la maintenance EN",
    Role.COORDINATOR: "Suivi des fournisseurs",
    Role.SUPPLIER: "Fournisseur",
    Role.TEACHER: "Enseignant·e",
    Role.ADMIN: "Administrateur·rice",
}

EN_STAFF = frozenset({Role.ASSISTANT, Role.COORDINATOR, Role.ADMIN})

# Who may invite whom (the seed: the EN team adds a supplier's address; assistants add teachers).
INVITABLE_BY = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.SUPPLIER, Role.ASSISTANT}),
    Role.ASSISTANT: frozenset({Role.TEACHER}),
    Role.SUPPLIER: frozenset(),
    Role.TEACHER: frozenset(),
}


def roles_invitable_by(role: str) -> frozenset[Role]:
    return INVITABLE_BY.get(Role(role), frozenset())


def can_invite(inviter_role: str, invited_role: str) -> bool:
    return Role(invited_role) in roles_invitable_by(inviter_role)
