"""Who may see and change what in the directory: plain rules, no Flask, no database.

EN staff (assistants, coordinators, admins) see the whole directory. A supplier's user sees its
own company's page and nothing else of it; a teacher sees none of it. Only coordinators and
admins change a company's reference address (the one that receives its notifications).
"""

from __future__ import annotations

from app.auth.roles import EN_STAFF
from app.models.user import Role

EDITORS = frozenset({Role.COORDINATOR, Role.ADMIN})


def _signed_in(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def can_browse_directory(user) -> bool:
    """Schools, equipment and the list of suppliers."""
    return _signed_in(user) and user.role in EN_STAFF


def is_of_company(user, supplier) -> bool:
    """A user of that very company (its page then offers the company's calendar feed)."""
    return (
        _signed_in(user)
        and supplier is not None
        and user.role == Role.SUPPLIER
        and user.supplier_id is not None
        and user.supplier_id == supplier.id
    )


def can_view_supplier(user, supplier) -> bool:
    """A company's page: EN staff, or a user of that very company."""
    if not _signed_in(user) or supplier is None:
        return False
    return user.role in EN_STAFF or is_of_company(user, supplier)


def can_edit_supplier(user, supplier) -> bool:
    """Changing a company's reference address and phone."""
    return _signed_in(user) and supplier is not None and user.role in EDITORS


def can_open_device_history(user) -> bool:
    """Device pages at all: EN staff and suppliers' users (each page then checks the device)."""
    return _signed_in(user) and (user.role in EN_STAFF or user.role == Role.SUPPLIER)


def can_view_device(user, equipment) -> bool:
    """A device's history: EN staff, or a user of the company that maintains it.

    Its tickets are then filtered by the ticket rules: a supplier sees only its own company's.
    """
    if not _signed_in(user):
        return False
    if user.role in EN_STAFF:
        return True
    return (
        user.role == Role.SUPPLIER
        and equipment is not None
        and equipment.supplier_id is not None
        and equipment.supplier_id == user.supplier_id
    )


def can_edit_sites(user) -> bool:
    """Adding a site the FWB file does not list, or correcting one: admins."""
    return _signed_in(user) and user.role == Role.ADMIN
