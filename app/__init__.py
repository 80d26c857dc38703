"""Relais: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import PROJECT_ROOT, check_production, from_env
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app from the environment, then `config` overrides (tests pass theirs here)."""
    settings = from_env()
    if config:
        settings.update(config)
    check_production(settings)

    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    from app.core import input as input_layer

    input_layer.register(app)  # before any route: the request class and the URL converters
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["RELAIS_PROXY_COUNT"]:
        n = app.config["RELAIS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from app.core import assets, logs, metrics

    logs.configure(app)  # first: every later hook logs under the request's id
    metrics.register(app)
    assets.register(app)
    _init_extensions(app)
    _connect_reactions()
    _register_blueprints(app)
    _register_cli(app)

    from app.core import errors, filters, headers, locales, navigation

    errors.register(app)
    filters.register(app)
    locales.register(app)
    headers.register(app)
    navigation.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app.auth.session import init_login

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    from app.core.locales import select_locale

    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    from app.core import typography

    typography.register(app, babel)
    limiter.init_app(app)
    # HTML and JSON answers, compressed when the browser asks (static files: WhiteNoise).
    Compress(app)
    init_login(app, login_manager)


# The factory is the top of the layers (docs/architecture.md): it imports the blueprints, the
# commands and the reactions inside its functions, so that importing any `app.…` module (a
# model, a pure rule) does not load the whole application.


def _connect_reactions() -> None:
    """The packages that react to a ticket's change subscribe to the ticket service's signals
    (app.tickets.signals) when their module is imported."""
    from app.dashboard import kept  # noqa: F401
    from app.notify import reactions as notices  # noqa: F401
    from app.sla import reactions as clocks  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.agenda.views import bp as agenda_bp
    from app.auth.views import bp as auth_bp
    from app.core.views import bp as core_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.devmail.views import bp as devmail_bp
    from app.directory.views import bp as directory_bp
    from app.mail_actions.views import bp as mail_actions_bp
    from app.mail_in.views import bp as mail_in_bp
    from app.sla.views import bp as sla_bp
    from app.tickets.views import bp as tickets_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(tickets_bp, url_prefix="/demandes")
    app.register_blueprint(directory_bp, url_prefix="/annuaire")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(mail_actions_bp, url_prefix="/reponse")
    app.register_blueprint(mail_in_bp, url_prefix="/courrier")
    app.register_blueprint(agenda_bp, url_prefix="/agenda")
    app.register_blueprint(sla_bp, url_prefix="/calendrier")
    app.register_blueprint(dashboard_bp, url_prefix="/suivi")
    if app.config["RELAIS_ENV"] != "production":
        app.register_blueprint(devmail_bp, url_prefix="/dev/mailbox")


def _register_cli(app: Flask) -> None:
    from app.auth.cli import users_cli
    from app.demo.cli import demo_cli
    from app.directory.cli import catalogue_cli, schools_cli
    from app.directory.equipment_cli import equipment_cli
    from app.mail_in.cli import mail_cli
    from app.scheduling.cli import jobs_cli
    from app.sla.cli import holidays_cli

    for group in (
        users_cli,
        demo_cli,
        schools_cli,
        catalogue_cli,
        equipment_cli,
        jobs_cli,
        holidays_cli,
        mail_cli,
    ):
        app.cli.add_command(group)
