"""Signed links for answering from the mailbox (*Approuver*, *Rouvrir*).

A token is an itsdangerous URLSafeTimedSerializer payload with a salt of its own (a token made
for an invitation or a password reset never reads here, nor the reverse). It binds the ticket,
the contact's address, the round and the intervention the message was sent for, the action,
and a link id (one per message, shared by its two links) that the event made through it keeps,
so that a second use is recognised. Its expiry is absolute and signed with it: the automatic
closure's date plus a grace period, which is longer when the closure counts school days only.

The clock can be given (`now`), so that tests decide how old a link is without sleeping.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from app.auth.tokens import ClockSigner, TokenExpired, TokenInvalid
from app.models.types import utcnow

SALT = "relais.mail-answer"
ACTIONS = ("approve", "reopen")
# Whatever the payload says, no answer link lives longer than this (a safety net).
HARD_LIMIT = timedelta(days=400)

__all__ = [
    "AnswerClaims",
    "AnswerExpired",
    "TokenExpired",
    "TokenInvalid",
    "make_answer_token",
    "new_link_id",
    "read_answer_token",
]


@dataclass(frozen=True)
class AnswerClaims:
    ticket_id: int
    email: str
    round: int
    intervention_id: int | None
    action: str  # "approve" or "reopen"
    link_id: str
    expires_at: datetime

    def to_payload(self) -> dict:
        return {
            "t": self.ticket_id,
            "e": self.email,
            "r": self.round,
            "i": self.intervention_id,
            "a": self.action,
            "j": self.link_id,
            "x": int(self.expires_at.timestamp()),
        }

    @classmethod
    def from_payload(cls, payload) -> AnswerClaims:
        try:
            claims = cls(
                ticket_id=payload["t"],
                email=payload["e"],
                round=payload["r"],
                intervention_id=payload["i"],
                action=payload["a"],
                link_id=payload["j"],
                expires_at=datetime.fromtimestamp(payload["x"], UTC),
            )
        except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
            raise TokenInvalid from exc
        if (
            not isinstance(claims.ticket_id, int)
            or not isinstance(claims.round, int)
            or not isinstance(claims.email, str)
            or not isinstance(claims.link_id, str)
            or claims.action not in ACTIONS
            or not (claims.intervention_id is None or isinstance(claims.intervention_id, int))
        ):
            raise TokenInvalid
        return claims


class AnswerExpired(TokenExpired):
    """A genuine link past its expiry; `claims` says which ticket it was for."""

    def __init__(self, claims: AnswerClaims):
        super().__init__()
        self.claims = claims


def _serializer(now: datetime | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=SALT,
        signer=ClockSigner,
        signer_kwargs={"clock": now},
    )


def new_link_id() -> str:
    """The id of one message's links (12 random characters)."""
    return secrets.token_urlsafe(9)


def make_answer_token(claims: AnswerClaims, now: datetime | None = None) -> str:
    return _serializer(now).dumps(claims.to_payload())


def read_answer_token(token: str, now: datetime | None = None) -> AnswerClaims:
    """The claims of a genuine, unexpired link; TokenInvalid or TokenExpired otherwise."""
    now = now or utcnow()
    try:
        payload = _serializer(now).loads(token, max_age=int(HARD_LIMIT.total_seconds()))
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadData as exc:
        raise TokenInvalid from exc
    claims = AnswerClaims.from_payload(payload)
    if now >= claims.expires_at:
        raise AnswerExpired(claims)
    return claims
