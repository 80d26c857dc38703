"""Invitations: the EN team adds an address, the person gets a mail with an « S’inscrire » link.

No HTTP here. The acting user is an argument; the time is an argument (`now`) so that tests
decide it. Creating an invitation writes its mail to the outbox in the same transaction, commits
once, then hands the mail to the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.auth.accounts import check_password, clean_name
from app.auth.errors import AccountError, LinkProblem, LinkUnusable, PermissionDenied
from app.auth.passwords import hash_password
from app.auth.roles import can_invite
from app.auth.service import find_user_by_email
from app.auth.tokens import Purpose, make_token, read_link
from app.core.locales import language_or_default
from app.extensions import db
from app.models import Invitation, Role, Site, Supplier, User, normalise_email
from app.models.types import utcnow
from app.notify.links import external_url
from app.notify.outbox import dispatch, queue_message


@dataclass(frozen=True)
class InvitationRequest:
    email: str
    role: str
    full_name: str = ""
    supplier: Supplier | None = None
    site: Site | None = None
    language: str = "fr"  # of the invitation mail, and the sign-up page's first choice


def _check_target(request: InvitationRequest) -> None:
    role = Role(request.role)
    if role == Role.SUPPLIER and request.supplier is None:
        raise AccountError(_l("Choisissez la société de ce fournisseur."), "supplier")
    if role == Role.TEACHER and request.site is None:
        raise AccountError(_l("Indiquez l’implantation de cet·te enseignant·e."), "site")
    existing = find_user_by_email(request.email)
    if existing is not None:
        if existing.active:
            message = _l(
                "Un compte existe déjà pour cette adresse (%(name)s). "
                "La personne peut se connecter ou utiliser « Mot de passe oublié ? ».",
                name=existing.full_name,
            )
        else:
            message = _l(
                "Un compte désactivé existe pour cette adresse (%(name)s) : "
                "réactivez-le plutôt que d’inviter à nouveau.",
                name=existing.full_name,
            )
        raise AccountError(message, "email")


def pending_invitations(email: str, now: datetime) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation).where(
                Invitation.email == normalise_email(email),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
        )
    )


def invitation_token(invitation: Invitation, now: datetime | None = None) -> str:
    return make_token(Purpose.INVITATION, invitation.id, now=now)


def invitation_url(invitation: Invitation, now: datetime | None = None) -> str:
    return external_url("auth.signup", token=invitation_token(invitation, now))


def invite(actor: User, request: InvitationRequest, now: datetime | None = None) -> Invitation:
    """Create the invitation and mail it; an older pending one for the address is revoked."""
    now = now or utcnow()
    if not can_invite(actor.role, request.role):
        raise PermissionDenied
    _check_target(request)
    role = Role(request.role)
    for older in pending_invitations(request.email, now):
        older.revoked_at = now
    invitation = Invitation(
        email=request.email,
        role=role.value,
        full_name=(request.full_name or "").strip(),
        supplier=request.supplier if role == Role.SUPPLIER else None,
        site=request.site if role == Role.TEACHER else None,
        invited_by=actor,
        language=language_or_default(request.language),
        created_at=now,
        expires_at=now + current_app.config["INVITATION_MAX_AGE"],
    )
    db.session.add(invitation)
    db.session.flush()
    message = queue_message(
        "invitation",
        invitation.email,
        _l("Finalisez votre inscription au centre d’assistance Ecole Numérique"),
        "invitation",
        language=invitation.language,
        invitation=invitation,
        inviter=actor,
        role_label=role.label,
        url=invitation_url(invitation, now),
    )
    db.session.commit()
    dispatch([message])
    return invitation


def resend(actor: User, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """A fresh invitation (new link, new expiry) with the same details; the old one is revoked."""
    if not can_invite(actor.role, invitation.role):
        raise PermissionDenied
    if invitation.accepted_at is not None:
        raise AccountError(_l("Cette invitation a déjà été acceptée."))
    now = now or utcnow()
    if invitation.revoked_at is None:
        invitation.revoked_at = now
    request = InvitationRequest(
        email=invitation.email,
        role=invitation.role,
        full_name=invitation.full_name,
        supplier=invitation.supplier,
        site=invitation.site,
        language=invitation.language,
    )
    return invite(actor, request, now)


def revoke(actor: User, invitation: Invitation, now: datetime | None = None) -> None:
    if not can_invite(actor.role, invitation.role):
        raise PermissionDenied
    if invitation.accepted_at is not None:
        raise AccountError(_l("Cette invitation a déjà été acceptée."))
    if invitation.revoked_at is None:
        invitation.revoked_at = now or utcnow()
    db.session.commit()


def _problem(invitation: Invitation, now: datetime) -> LinkProblem | None:
    if invitation.accepted_at is not None:
        return LinkProblem.USED
    if invitation.revoked_at is not None:
        return LinkProblem.REVOKED
    if invitation.expires_at <= now:
        return LinkProblem.EXPIRED
    if find_user_by_email(invitation.email) is not None:
        return LinkProblem.ACCOUNT_EXISTS
    return None


def load(token: str, now: datetime | None = None) -> Invitation:
    """The pending invitation a link points to; LinkUnusable says why not."""
    now = now or utcnow()
    invitation_id = read_link(
        Purpose.INVITATION, token, current_app.config["INVITATION_MAX_AGE"], now=now
    )
    invitation = (
        db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    )
    if invitation is None:
        raise LinkUnusable(LinkProblem.INVALID)
    problem = _problem(invitation, now)
    if problem is not None:
        raise LinkUnusable(problem)
    return invitation


def accept(
    invitation: Invitation,
    full_name: str,
    password: str,
    now: datetime | None = None,
    language: str | None = None,
) -> User:
    """Create the account; of two simultaneous acceptances, exactly one wins.

    The invitation is claimed by a conditional UPDATE: the database lets one transaction change
    the row (PostgreSQL makes the second wait, then finds nothing left to claim). The unique
    e-mail address is the second guard. The loser gets LinkUnusable(USED or ACCOUNT_EXISTS).
    """
    now = now or utcnow()
    full_name = clean_name(full_name)
    check_password(password, (invitation.email, full_name))
    # Hashing is slow on purpose: done before the row is claimed, not while it is locked.
    password_hash = hash_password(password)
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        db.session.refresh(invitation)
        raise LinkUnusable(_problem(invitation, now) or LinkProblem.USED)
    if find_user_by_email(invitation.email) is not None:
        db.session.rollback()
        raise LinkUnusable(LinkProblem.ACCOUNT_EXISTS)

    user = User(
        email=invitation.email,
        full_name=full_name,
        role=invitation.role,
        supplier_id=invitation.supplier_id if invitation.role == Role.SUPPLIER else None,
        site_id=invitation.site_id if invitation.role == Role.TEACHER else None,
        password_hash=password_hash,
        language=language_or_default(language or invitation.language),
        active=True,
        created_at=now,
        last_login_at=now,
    )
    db.session.add(user)
    try:
        db.session.flush()
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id)
            .values(user_id=user.id)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise LinkUnusable(LinkProblem.ACCOUNT_EXISTS) from exc
    db.session.refresh(invitation)
    return user
