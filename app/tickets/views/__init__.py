"""Ticket pages ("Demandes"): one blueprint (app.tickets.views.common), its routes split by
page into the modules below, which never import this package back."""

from __future__ import annotations

from app.tickets.views import (  # noqa: F401 - each registers its routes on `bp`
    actions,
    create,
    edit,
    files,
    listing,
    page,
    service_levels,
)
from app.tickets.views.common import bp

__all__ = ["bp"]
