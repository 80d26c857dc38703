"""The calendar feeds (a secret token in the URL, for phone calendar apps), and their page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.agenda import feeds, tokens
from app.agenda.forms import CreateLinkForm, RegenerateForm
from app.auth.access import roles_required
from app.core.htmx import render, wants_fragment
from app.core.locales import in_language
from app.extensions import db
from app.models import Role, Supplier
from app.models.types import utcnow
from app.notify import languages
from app.notify.links import external_url

bp = Blueprint("agenda", __name__)

agenda_users = roles_required(Role.SUPPLIER, Role.COORDINATOR)

# Calendar apps poll: a few minutes in the app's own cache is fine, never in a shared one.
FEED_CACHE = "private, max-age=300"


def _owner():
    owner = tokens.owner_for(current_user)
    if owner is None:
        abort(404)
    return owner


def _context(owner, **extra) -> dict:
    token = owner.calendar_token
    feed_url = external_url("agenda.feed", token=token) if token else None
    webcal_url = None
    if feed_url:
        webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    extra.setdefault("regenerate_form", RegenerateForm(formdata=None))
    return {
        "owner": owner,
        "company": owner if isinstance(owner, Supplier) else None,
        "feed_url": feed_url,
        "webcal_url": webcal_url,
        **feeds.window(),
        **extra,
    }


def _done(owner, message: str):
    if wants_fragment():
        return render_template("agenda/_link.html", **_context(owner, saved=message))
    flash(message, "success")
    return redirect(url_for("agenda.index"), code=303)


@bp.route("/")
@agenda_users
def index():
    return render_template("agenda/index.html", **_context(_owner()))


@bp.route("/lien", methods=["POST"])
@agenda_users
def create_link():
    owner = _owner()
    if not CreateLinkForm().validate_on_submit():
        abort(400)
    existed = bool(owner.calendar_token)
    tokens.ensure(owner)
    db.session.commit()
    if existed:
        return _done(owner, _("Le lien existait déjà : le voici."))
    return _done(owner, _("Le lien de l’agenda est prêt : ajoutez-le à votre agenda."))


@bp.route("/lien/regenerer", methods=["POST"])
@agenda_users
def regenerate():
    owner = _owner()
    form = RegenerateForm()
    if not owner.calendar_token or not form.validate_on_submit():
        db.session.rollback()
        context = _context(owner, regenerate_form=form)
        return render("agenda/index.html", "agenda/_link.html", **context), 422
    tokens.regenerate(owner)
    db.session.commit()
    return _done(
        owner,
        _(
            "Nouveau lien créé. L’ancien ne fonctionne plus : abonnez de nouveau vos agendas "
            "avec le lien ci-dessous."
        ),
    )


@bp.route("/<token>.ics")
def feed(token: str):
    """No sign-in: the secret in the URL is the key (calendar apps cannot log in)."""
    owner = tokens.find_owner(token)
    if owner is None:
        abort(404)
    now = utcnow()
    with in_language(languages.of_feed_owner(owner)):
        body = feeds.feed_of(owner, now).to_ical(now)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = FEED_CACHE
    response.headers["Content-Disposition"] = 'inline; filename="relais-agenda.ics"'
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
