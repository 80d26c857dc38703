"""The portal's home and its static pages."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from app.extensions import db
from app.models import PortalCategory

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    categories = db.session.scalars(
        db.select(PortalCategory).order_by(PortalCategory.position, PortalCategory.name)
    ).all()
    return render_template("core/home.html", categories=categories)


@bp.route("/confidentialite")
def privacy():
    return render_template("core/privacy.html")


@bp.route("/avis-legal")
def legal():
    return render_template("core/legal.html")


@bp.route("/sante")
def health():
    """For load balancers: the app answers and reaches its database."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
