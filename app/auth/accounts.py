"""Account changes that are not sign-in: profile, password change, (de)activation, creation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.auth.errors import AccountError, PermissionDenied
from app.auth.passwords import hash_password, verify_password
from app.auth.roles import can_manage
from app.auth.service import find_user_by_email, revoke_sessions, set_password
from app.auth.strength import assess
from app.core.locales import language_or_default
from app.extensions import db
from app.models import Role, Site, Supplier, User

NAME_MAX = 120


def clean_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    if not name:
        raise AccountError(_l("Indiquez votre nom complet."), "full_name")
    if len(name) > NAME_MAX:
        raise AccountError(_l("%(n)s caractères au maximum.", n=NAME_MAX), "full_name")
    return name


def check_password(password: str, user_inputs) -> None:
    """The one password rule, as an exception carrying its French reason."""
    verdict = assess(password, user_inputs)
    if not verdict.acceptable:
        raise AccountError(verdict.message, "password")


def update_profile(user: User, full_name: str, language: str | None = None) -> None:
    user.full_name = clean_name(full_name)
    if language is not None:
        user.language = language_or_default(language)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Other sessions are signed out; the caller signs the current one in again."""
    if not verify_password(user.password_hash, current_password or ""):
        raise AccountError(_l("Le mot de passe actuel n’est pas le bon."), "current_password")
    check_password(new_password, (user.email, user.full_name))
    if verify_password(user.password_hash, new_password):
        raise AccountError(_l("Choisissez un mot de passe différent de l’actuel."), "password")
    set_password(user, new_password)
    db.session.commit()


def _check_manage(actor: User, target: User) -> None:
    if actor.id == target.id or not can_manage(actor.role, target.role):
        raise PermissionDenied


def may_manage(actor: User, target: User) -> bool:
    return actor.id != target.id and can_manage(actor.role, target.role)


def deactivate(actor: User, target: User) -> None:
    """The account can no longer sign in, and its open sessions end at their next request."""
    _check_manage(actor, target)
    target.active = False
    revoke_sessions(target)
    db.session.commit()


def reactivate(actor: User, target: User) -> None:
    _check_manage(actor, target)
    target.active = True
    db.session.commit()


def create_user(
    email: str,
    role: str,
    full_name: str,
    password: str,
    supplier: Supplier | None = None,
    site: Site | None = None,
    language: str = "fr",
) -> User:
    """An active account, created directly (the command line); same rules as an invitation."""
    role = Role(role)
    name = clean_name(full_name)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("Un compte existe déjà pour cette adresse."), "email")
    if role == Role.SUPPLIER and supplier is None:
        raise AccountError(_l("Un compte fournisseur doit appartenir à une société."), "supplier")
    if role == Role.TEACHER and site is None:
        raise AccountError(_l("Un compte enseignant doit être lié à une implantation."), "site")
    check_password(password, (email, name))
    user = User(
        email=email,
        full_name=name,
        role=role.value,
        supplier=supplier if role == Role.SUPPLIER else None,
        site=site if role == Role.TEACHER else None,
        password_hash=hash_password(password),
        language=language_or_default(language),
        active=True,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise AccountError(_l("Un compte existe déjà pour cette adresse."), "email") from exc
    return user
