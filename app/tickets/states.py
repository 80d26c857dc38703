"""The states of a ticket (docs/domain.md, « The workflow »): the bottom of the layers, so that
the models type their column with it and the workflow table moves between them. Pure."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """Its word on badges, in lists and mails (OUVERT, EN COURS…)."""
        return str(STATUS_LABELS[self])

    @property
    def badge(self) -> str:
        """Its badge's colour: the `badge-…` class of relais.css."""
        return STATUS_BADGES[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


# Lazy: each in the language of its reader (a page's, or a mail's recipient's).
STATUS_LABELS = {
    Status.OPEN: _l("OUVERT"),
    Status.IN_PROGRESS: _l("EN COURS"),
    Status.DONE: _l("TERMINÉ"),
    Status.CLOSED: _l("FERMÉ"),
    Status.CANCELLED: _l("ANNULÉ"),
}
STATUS_BADGES = {
    Status.OPEN: "info",
    Status.IN_PROGRESS: "warning",
    Status.DONE: "success",
    Status.CLOSED: "neutral",
    Status.CANCELLED: "danger",
}
# The list's "Demandes ouvertes" and "Demandes fermées".
OPEN_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.DONE})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
