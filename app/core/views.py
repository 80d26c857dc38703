"""The portal's home and its static pages."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.core.metrics import exposition, oldest_pending_age_seconds
from app.extensions import db
from app.jobs import redis_connection
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
    """For load balancers and monitoring: the database, Redis, the oldest message waiting.

    503 only when the database does not answer: nothing works without it. Redis down is
    « degraded » with a 200: pages, sign-in and tickets keep working (jobs run in-process or
    wait for the sweep, the rate limiter counts in memory), so a load balancer must not take
    the app out of service for it; monitoring alerts on the status instead.
    """
    report: dict = {"status": "ok", "database": "ok", "redis": "absent"}
    try:
        report["outbox_oldest_pending_seconds"] = oldest_pending_age_seconds()
    except SQLAlchemyError:
        current_app.logger.exception("health check: the database does not answer")
        db.session.rollback()
        report.update(status="down", database="error", outbox_oldest_pending_seconds=None)
    if current_app.config.get("REDIS_URL"):
        try:
            redis_connection().ping()
            report["redis"] = "ok"
        except RedisError:
            report["redis"] = "error"
            if report["status"] == "ok":
                report["status"] = "degraded"
    response = jsonify(report)
    response.status_code = 503 if report["database"] == "error" else 200
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics():
    """Prometheus' figures, for the holder of RELAIS_METRICS_TOKEN only; unset, no such page."""
    token = current_app.config.get("RELAIS_METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        return Response("", status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body, content_type = exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
