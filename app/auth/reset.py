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
from app.auth.tokens import Purpose, make_token, read_link
from app.extensions import db
from app.jobs import enqueue_after_response, job_context
from app.models import User, normalise_email
from app.models.types import utcnow
from app.notify.links import external_url
from app.notify.outbox import dispatch, queue_message

MAIL_JOB = "app.auth.reset.mail_reset_link"


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def reset_token(user: User, now: datetime | None = None) -> str:
    return make_token(
        Purpose.PASSWORD_RESET, [user.id, user.session_version, _fingerprint(user)], now=now
    )


def request_reset(email: str) -> None:
    """Have a reset link mailed if the address belongs to an active account; say nothing.

    The request does the same work for any address: it only hands the address on, and the
    account is looked up and the mail written after the answer (mail_reset_link), so the time
    of the answer cannot tell whether the address has an account.
    """
    enqueue_after_response(MAIL_JOB, normalise_email(email))


def mail_reset_link(email: str) -> None:
    """The job behind request_reset: the link goes to the address of an active account only."""
    with job_context():
        user = find_user_by_email(email)
        if user is None or not user.active:
            return
        now = utcnow()
        message = queue_message(
            "password_reset",
            user.email,
            _l("Choisir un nouveau mot de passe pour Relais"),
            "password_reset",
            language=user.language,
            user=user,
            url=external_url("auth.reset_password", token=reset_token(user, now)),
            expires_at=now + current_app.config["PASSWORD_RESET_MAX_AGE"],
        )
        db.session.commit()
        dispatch([message])


def load(token: str, now: datetime | None = None) -> User:
    """The account a reset link is for; LinkUnusable says why it cannot be used."""
    payload = read_link(
        Purpose.PASSWORD_RESET, token, current_app.config["PASSWORD_RESET_MAX_AGE"], now=now
    )
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
