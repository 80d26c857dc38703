"""Changes to directory records: each checks the permission, then changes the rows.

The caller commits. Services take the acting user and never read the request.
"""

from __future__ import annotations

import logging

from app.directory.permissions import can_edit_supplier
from app.models import Supplier, normalise_email

log = logging.getLogger(__name__)


class NotAllowed(Exception):
    """The acting user may not make this change."""


def update_supplier_contact(actor, supplier: Supplier, *, reference_email: str, phone: str) -> bool:
    """Set the company's reference address (the one notified of its tickets) and phone.

    Returns whether anything changed."""
    if not can_edit_supplier(actor, supplier):
        raise NotAllowed
    email = normalise_email(reference_email)
    phone = " ".join((phone or "").split())
    changed = (email, phone) != (supplier.reference_email, supplier.phone)
    if changed:
        log.info(
            "Supplier %s reference address %s -> %s, phone %r -> %r, by user %s",
            supplier.id,
            supplier.reference_email,
            email,
            supplier.phone,
            phone,
            actor.id,
        )
        supplier.reference_email = email
        supplier.phone = phone
    return changed
