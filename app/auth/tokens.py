"""Signed, timestamped tokens for links in e-mails (invitation, password reset).

Each purpose has its own salt, so a token made for one cannot be used for the other. The clock
can be given (`now`), so that tests decide how old a token is without sleeping.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.auth.errors import LinkProblem, LinkUnusable
from app.models.types import utcnow


class Purpose(StrEnum):
    INVITATION = "relais.invitation"
    PASSWORD_RESET = "relais.password-reset"  # noqa: S105 (a salt, not a secret)


class TokenInvalid(Exception):
    """Altered, truncated, or made for another purpose."""


class TokenExpired(Exception):
    """Genuine, but older than its maximum age."""


class ClockSigner(TimestampSigner):
    """A signer whose clock can be given (`clock`), for tokens made or read at a chosen time."""

    def __init__(self, *args, clock: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int((self._clock or utcnow()).timestamp())


def _serializer(purpose: Purpose, now: datetime | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=purpose.value,
        signer=ClockSigner,
        signer_kwargs={"clock": now},
    )


def make_token(purpose: Purpose, payload: Any, now: datetime | None = None) -> str:
    return _serializer(purpose, now).dumps(payload)


def read_token(purpose: Purpose, token: str, max_age: timedelta, now: datetime | None = None):
    """The payload; TokenExpired or TokenInvalid otherwise."""
    try:
        return _serializer(purpose, now).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadData as exc:
        raise TokenInvalid from exc


def read_link(purpose: Purpose, token: str, max_age: timedelta, now: datetime | None = None):
    """The payload of an e-mailed link's token; LinkUnusable (expired or invalid) otherwise."""
    try:
        return read_token(purpose, token, max_age, now=now)
    except TokenExpired as exc:
        raise LinkUnusable(LinkProblem.EXPIRED) from exc
    except TokenInvalid as exc:
        raise LinkUnusable(LinkProblem.INVALID) from exc
