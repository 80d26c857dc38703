"""Errors of the ticket service, each with a French message (and the form field it concerns)."""

from __future__ import annotations


class TicketError(Exception):
    message = "Action impossible."

    def __init__(self, message: str | None = None, *, field: str | None = None):
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


class StaleTicket(TicketError):
    message = "Ce ticket a été modifié entre-temps. Voici son état actuel."


class TicketNotFound(TicketError):
    message = "Cette demande n’existe pas."


class Forbidden(TicketError):
    message = "Vous ne pouvez pas faire cette action sur cette demande."
