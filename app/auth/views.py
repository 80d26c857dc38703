"""Sign in and out, sign up from an invitation, password reset, profile."""

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
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import accounts, invitations, reset
from app.auth.errors import AccountError, LinkProblem, LinkUnusable
from app.auth.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
    mail_preferences_form,
)
from app.auth.service import authenticate, revoke_sessions
from app.auth.session import forget_remember_cookie
from app.auth.strength import MAX_LENGTH, assess
from app.core.forms import safe_next
from app.core.htmx import wants_fragment
from app.core.locales import choose_for_page
from app.extensions import db, limiter
from app.models import Role, normalise_email
from app.notify import preferences


# Defaults for limits the configuration may set (docs/operations.md, configuration).
def _limit(name: str):
    # Read at request time: each app (and each test) has its own settings.
    return lambda: current_app.config[name]


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
    # Clearing this browser's cookies is not enough (a copy of them would still work): the
    # account's session generation moves on, which ends all its sessions on the server.
    revoke_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté·e, sur cet appareil comme sur les autres."), "info")
    return forget_remember_cookie(redirect(url_for("auth.login")))


# ------------------------------------------------------------------ shared pieces


@bp.app_template_filter("role_label")
def role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def _attach(form, error: AccountError) -> None:
    """A service refusal shown next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def _link_problem(problem: LinkProblem, kind: str):
    status = 404 if problem == LinkProblem.INVALID else 410
    return render_template("auth/link_problem.html", problem=problem.value, kind=kind), status


def _sign_in_fresh(user) -> None:
    # A fresh session: nothing planted before sign-in survives it.
    session.clear()
    login_user(user)


@bp.route("/mot-de-passe/force", methods=["POST"])
@limiter.limit(_limit("PASSWORD_METER_RATE_LIMIT"))
def password_strength():
    """The strength meter, rated by the same rule that accepts or refuses the password."""
    password = request.form.get("password", "")[: MAX_LENGTH + 1]
    inputs = [request.form.get("email", "")[:254], request.form.get("full_name", "")[:120]]
    if current_user.is_authenticated:
        inputs += [current_user.email, current_user.full_name]
    return render_template("auth/_strength.html", assessment=assess(password, inputs))


# ------------------------------------------------------------------ sign up from an invitation


@bp.route("/inscription/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup(token: str):
    try:
        invitation = invitations.load(token)
    except LinkUnusable as exc:
        return _link_problem(exc.problem, "invitation")
    choose_for_page(invitation.language)  # the invitation mail's language, unless switched
    form = SignupForm(known={"email": invitation.email})
    form.email.data = invitation.email  # what was posted does not count
    if request.method == "GET":
        form.full_name.data = invitation.full_name
        form.language.data = invitation.language
    if form.validate_on_submit():
        try:
            user = invitations.accept(
                invitation, form.full_name.data, form.password.data, language=form.language.data
            )
        except LinkUnusable as exc:
            return _link_problem(exc.problem, "invitation")
        except AccountError as exc:
            _attach(form, exc)
        else:
            _sign_in_fresh(user)
            flash(_("Bienvenue ! Votre compte est prêt."), "success")
            return redirect(url_for("core.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/signup.html", form=form, invitation=invitation), status


# ------------------------------------------------------------------ password reset


def _reset_account_key() -> str:
    return "reset:" + normalise_email(request.form.get("email", ""))


@bp.route("/mot-de-passe/oubli", methods=["GET", "POST"])
@limiter.limit(_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(
    _limit("PASSWORD_RESET_ACCOUNT_RATE_LIMIT"), methods=["POST"], key_func=_reset_account_key
)
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        reset.request_reset(form.email.data)
        # The same answer whether or not the address has an account.
        hours = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 3600)
        flash(
            _(
                "Si un compte actif correspond à cette adresse, un e-mail vient de lui être "
                "envoyé avec un lien pour choisir un nouveau mot de passe. Ce lien est valable "
                "%(hours)s heures.",
                hours=hours,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def reset_password(token: str):
    try:
        user = reset.load(token)
    except LinkUnusable as exc:
        return _link_problem(exc.problem, "reset")
    choose_for_page(user.language)  # as the reset mail was written
    form = ResetPasswordForm(known={"email": user.email, "full_name": user.full_name})
    form.email.data = user.email
    if form.validate_on_submit():
        try:
            reset.complete(user, form.password.data)
        except AccountError as exc:
            _attach(form, exc)
        else:
            _sign_in_fresh(user)
            flash(
                _(
                    "Votre mot de passe a été modifié. Les autres appareils connectés à votre "
                    "compte ont été déconnectés."
                ),
                "success",
            )
            return redirect(url_for("core.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form, user=user), status


# ------------------------------------------------------------------ profile


def _mail_context(user, mail_form=None) -> dict:
    """What the section « E-mails que je reçois » shows (auth/_mail_preferences.html)."""
    return {
        "mail_form": mail_form
        or mail_preferences_form(user.role, user.mail_preferences, formdata=None),
        "always_sent": preferences.ALWAYS_SENT.get(user.role, preferences.ALWAYS_SENT_DEFAULT),
    }


def _profile_page(profile_form=None, password_form=None, mail_form=None, status=200):
    user = current_user
    profile_form = profile_form or ProfileForm(
        formdata=None, full_name=user.full_name, language=user.language
    )
    password_form = password_form or PasswordChangeForm(
        formdata=None, known={"email": user.email, "full_name": user.full_name}
    )
    return (
        render_template(
            "auth/profile.html",
            profile_form=profile_form,
            password_form=password_form,
            **_mail_context(user, mail_form),
        ),
        status,
    )


@bp.route("/profil", methods=["GET", "POST"])
@login_required
def profile():
    if request.method == "GET":
        return _profile_page()
    # A post without a language (an older page) keeps the account's.
    form = ProfileForm(language=current_user.language)
    if form.validate_on_submit():
        try:
            accounts.update_profile(current_user, form.full_name.data, form.language.data)
        except AccountError as exc:
            _attach(form, exc)
        else:
            refresh()  # the confirmation already in the language just chosen
            flash(_("Votre profil a été enregistré."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(profile_form=form, status=422)


@bp.route("/profil/e-mails", methods=["POST"])
@login_required
def mail_preferences():
    """Save which kinds of ticket mail the person wants; only the groups their role sees."""
    user = current_user._get_current_object()
    form = mail_preferences_form(user.role, user.mail_preferences)
    if form.validate_on_submit():
        user.mail_preferences = preferences.chosen(user.role, form.chosen_keys())
        db.session.commit()
        message = _("Préférences enregistrées.")
        if wants_fragment():
            return render_template(
                "auth/_mail_preferences.html", saved=message, **_mail_context(user)
            )
        flash(message, "success")
        return redirect(url_for("auth.profile"), code=303)
    db.session.rollback()
    if wants_fragment():
        return render_template("auth/_mail_preferences.html", **_mail_context(user, form)), 422
    return _profile_page(mail_form=form, status=422)


def _has_remember_cookie() -> bool:
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return bool(request.cookies.get(name))


def _password_change_key() -> str:
    return f"password-change:{current_user.get_id()}"


@bp.route("/profil/mot-de-passe", methods=["POST"])
@login_required
@limiter.limit(_limit("PASSWORD_CHANGE_RATE_LIMIT"), key_func=_password_change_key)
def change_password():
    user = current_user._get_current_object()
    form = PasswordChangeForm(known={"email": user.email, "full_name": user.full_name})
    if form.validate_on_submit():
        try:
            accounts.change_password(user, form.current_password.data, form.password.data)
        except AccountError as exc:
            _attach(form, exc)
        else:
            # Every session was revoked; this one signs in again with the new version.
            login_user(user, remember=_has_remember_cookie())
            flash(
                _(
                    "Votre mot de passe a été modifié. Les autres appareils connectés à votre "
                    "compte ont été déconnectés."
                ),
                "success",
            )
            return redirect(url_for("auth.profile"))
    return _profile_page(password_form=form, status=422)
