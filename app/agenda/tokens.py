"""The secrets of the calendar feeds: one per supplier company, one per coordinator.

A feed URL carries its secret (calendar apps cannot sign in). It is made on request, stored in
a unique column (Supplier.calendar_token, User.calendar_token), and regenerating it revokes the
old URL at once. The caller commits.
"""

from __future__ import annotations

import hmac
import re
import secrets

from sqlalchemy import select

from app.extensions import db
from app.models import Role, Supplier, User

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")

FeedOwner = Supplier | User


def new_token() -> str:
    return secrets.token_urlsafe(32)


def owner_for(user: User) -> FeedOwner | None:
    """Whose feed `user` manages: their company's (any of its users), or a coordinator's own."""
    if user.role == Role.SUPPLIER:
        return user.supplier
    if user.role == Role.COORDINATOR:
        return user
    return None


def ensure(owner: FeedOwner) -> str:
    """The owner's secret, made now if it has none yet."""
    if not owner.calendar_token:
        owner.calendar_token = new_token()
    return owner.calendar_token


def regenerate(owner: FeedOwner) -> str:
    """A new secret: the previous URL stops working."""
    owner.calendar_token = new_token()
    return owner.calendar_token


def find_owner(token: str) -> FeedOwner | None:
    """The active company or coordinator whose feed `token` opens, or None."""
    if not token or not _SHAPE.fullmatch(token):
        return None
    supplier = db.session.scalar(select(Supplier).where(Supplier.calendar_token == token))
    if supplier is not None:
        owner = supplier if supplier.active else None
    else:
        user = db.session.scalar(select(User).where(User.calendar_token == token))
        owner = user if user is not None and user.active and user.role == Role.COORDINATOR else None
    # The lookup is by a unique index; compare the found value in constant time all the same.
    if owner is None or not hmac.compare_digest(owner.calendar_token, token):
        return None
    return owner
