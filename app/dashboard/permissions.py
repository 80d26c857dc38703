"""Who sees which figures: plain rules, no Flask.

The coordinator, the assistants and the admins see every supplier; a supplier's user sees its
own company's scorecard and exports, and nothing else; teachers see none of it.
"""

from __future__ import annotations

from app.auth.roles import EN_STAFF
from app.models.user import Role


def sees_every_supplier(user) -> bool:
    return user.role in EN_STAFF


def can_view_scorecard(user, supplier) -> bool:
    if supplier is None:
        return False
    if sees_every_supplier(user):
        return True
    return user.role == Role.SUPPLIER and user.supplier_id == supplier.id


def export_scope(user, asked: int | None) -> int | None:
    """The supplier whose figures `user` exports (None: every supplier).

    A supplier's user always gets its own company's, whatever the URL asks. Raises
    PermissionError for someone who may export nothing.
    """
    if user.role == Role.SUPPLIER:
        return user.supplier_id
    if not sees_every_supplier(user):
        raise PermissionError
    return asked
