"""What account operations answer when they refuse; the views turn these into pages or messages."""

from __future__ import annotations

from enum import StrEnum


class AccountError(Exception):
    """A refused request, with a French message for the person and the form field it is about."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class PermissionDenied(Exception):
    """The acting user may not do this to this target (the views answer 403)."""


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    ACCOUNT_EXISTS = "account_exists"


class LinkUnusable(Exception):
    """An e-mailed link (invitation, password reset) that cannot be used, and why."""

    def __init__(self, problem: LinkProblem):
        super().__init__(problem.value)
        self.problem = problem
