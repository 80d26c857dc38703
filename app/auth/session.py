"""Flask-Login wiring: the session identifier carries a version so that sessions can be revoked.

The session lives in a signed cookie and the remember-me cookie holds the same identifier
(`User.get_id`, "id:version"): both are checked against the account's `session_version` at each
request, so moving it on (app.auth.service.revoke_sessions) ends every session of the account,
copies of its cookies included.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
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


def forget_remember_cookie(response: Response) -> Response:
    """Delete this browser's remember-me cookie, with the attributes it was set with.

    Flask-Login's own deletion (which logout_user asks for) sends no SameSite, Secure or
    HttpOnly; the sign-out view clears the session after logout_user, dropping that request,
    and deletes the cookie here instead.
    """
    cfg = current_app.config
    name = cfg.get("REMEMBER_COOKIE_NAME", "remember_token")
    if name in request.cookies:
        response.delete_cookie(
            name,
            path=cfg.get("REMEMBER_COOKIE_PATH", "/"),
            domain=cfg.get("REMEMBER_COOKIE_DOMAIN"),
            secure=cfg.get("REMEMBER_COOKIE_SECURE", False),
            httponly=cfg.get("REMEMBER_COOKIE_HTTPONLY", True),
            samesite=cfg.get("REMEMBER_COOKIE_SAMESITE"),
        )
    return response


def init_login(app: Flask, manager: LoginManager) -> None:
    manager.init_app(app)
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    manager.login_message_category = "info"
    # "strong" drops the session when it is used from another address or browser.
    manager.session_protection = "basic"
