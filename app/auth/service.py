"""Account operations that know nothing of HTTP: authenticate, revoke sessions."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.extensions import db
from app.models import User, normalise_email
from app.models.types import utcnow


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user if the address and password match an active account; None otherwise.

    Unknown address, wrong password and deactivated account all answer None, after the same
    amount of hashing work, so that the caller's message cannot tell them apart.
    """
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def revoke_sessions(user: User) -> None:
    """Every session of this user stops working at its next request."""
    user.session_version = (user.session_version or 0) + 1


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    revoke_sessions(user)
