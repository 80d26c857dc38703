"""Flask-Login wiring: the session identifier carries a version so that sessions can be revoked."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from app.extensions import db
from app.models import User


def load_user(identifier: str) -> User | None:
    user_id, _, version = identifier.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A deactivated user, or one whose sessions were revoked, is signed out on the next request.
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def init_login(app: Flask, manager: LoginManager) -> None:
    manager.init_app(app)
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    manager.login_message_category = "info"
    # "strong" drops the session when it is used from another address or browser.
    manager.session_protection = "basic"
