"""The states of a ticket (docs/domain.md, « The workflow »): the bottom of the layers, so that
the models type their column with it and the workflow table moves between them. Pure."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


STATUS_LABELS = {
    Status.OPEN: "OUVERT",
    Status.IN_PROGRESS: "EN COURS",
    Status.DONE: "TERMINÉ",
    Status.CLOSED: "FERMÉ",
    Status.CANCELLED: "ANNULÉ",
}
# The list's "Demandes ouvertes" and "Demandes fermées".
OPEN_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.DONE})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
