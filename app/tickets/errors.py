"""Errors of the ticket service, each with a message in the reader's language (and the form field
it concerns): raised with `_()` inside a request, the defaults translated when read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class TicketError(Exception):
    message = _l("Action impossible.")

    def __init__(self, message: str | None = None, *, field: str | None = None):
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


class StaleTicket(TicketError):
    message = _l("Ce ticket a été modifié entre-temps. Voici son état actuel.")


class TicketNotFound(TicketError):
    message = _l("Cette demande n’existe pas.")


class Forbidden(TicketError):
    message = _l("Vous ne pouvez pas faire cette action sur cette demande.")
