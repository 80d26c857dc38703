"""Password reset by e-mail: a signed link that expires and works once.

The link carries the account id, its session version and a fingerprint of its current password
hash. Setting a password changes both, so the link dies once used, and also as soon as the
password changes another way (profile, another reset link).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.auth.accounts import check_password
from app.auth.errors import LinkProblem, LinkUnusable
from app.auth.service import find_user_by_email, set_password
from app.auth.tokens import Purpose, TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.models import User
from app.models.types import utcnow
from app.notify.links import external_url
from app.notify.outbox import dispatch, queue_message


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def reset_token(user: User, now: datetime | None = None) -> str:
    return make_token(
        Purpose.PASSWORD_RESET, [user.id, user.session_version, _fingerprint(user)], now=now
    )


def request_reset(email: str, now: datetime | None = None) -> None:
    """Mail a reset link if the address belongs to an active account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    now = now or utcnow()
    message = queue_message(
        "password_reset",
        user.email,
        str(_l("Choisir un nouveau mot de passe pour Relais")),
        "password_reset",
        user=user,
        url=external_url("auth.reset_password", token=reset_token(user, now)),
        expires_at=now + current_app.config["PASSWORD_RESET_MAX_AGE"],
    )
    db.session.commit()
    dispatch([message])


def load(token: str, now: datetime | None = None) -> User:
    """The account a reset link is for; LinkUnusable says why it cannot be used."""
    try:
        payload = read_token(
            Purpose.PASSWORD_RESET, token, current_app.config["PASSWORD_RESET_MAX_AGE"], now=now
        )
    except TokenExpired as exc:
        raise LinkUnusable(LinkProblem.EXPIRED) from exc
    except TokenInvalid as exc:
        raise LinkUnusable(LinkProblem.INVALID) from exc
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], int)):
        raise LinkUnusable(LinkProblem.INVALID)
    user_id, version, fingerprint = payload
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise LinkUnusable(LinkProblem.INVALID)
    if user.session_version != version or _fingerprint(user) != fingerprint:
        raise LinkUnusable(LinkProblem.USED)
    return user


def complete(user: User, password: str, now: datetime | None = None) -> None:
    """Set the new password (every other session is signed out) and commit."""
    check_password(password, (user.email, user.full_name))
    set_password(user, password)
    user.last_login_at = now or utcnow()
    db.session.commit()
