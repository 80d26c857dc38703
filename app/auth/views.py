"""Sign in and sign out."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import LoginForm
from app.auth.service import authenticate
from app.core.forms import safe_next
from app.extensions import db, limiter
from app.models import normalise_email

bp = Blueprint("auth", __name__)


def _login_account_key() -> str:
    # Per address as well as per client: spreading guesses over many addresses or many clients
    # both hit a limit.
    return "login:" + normalise_email(request.form.get("email", ""))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    key_func=_login_account_key,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            # A fresh session: nothing planted before sign-in survives it.
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or url_for("core.home"))
        db.session.rollback()
        form.form_errors.append(_("Adresse e-mail ou mot de passe incorrect."))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    # POST only, and CSRFProtect has checked the token: a link or an image cannot sign you out.
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("auth.login"))
