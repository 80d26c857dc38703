"""Settings read from the environment.

Everything an operator sets lives here, with a default that gives the embedded mode (SQLite under
`instance/`, jobs in-process, mail in the dev mailbox). `RELAIS_ENV=production` turns the defaults
that would be unsafe into refusals, each explained in one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
# Never a real secret: lets the embedded mode start, and production refuses it.
DEV_SECRET_KEY = "relais-dev-secret-not-for-production"  # noqa: S105

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """A setting that makes the application unsafe or unusable: the message is one line."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} doit être un nombre entier (reçu : {raw!r}).") from exc


def normalise_database_url(url: str) -> str:
    """Hosting platforms hand out `postgres://`; SQLAlchemy 2 wants a driver named."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def seconds_list(value: str | list) -> list[int]:
    """« 30,120,600 » (commas or semicolons) as [30, 120, 600]; a list is kept as it is."""
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",") if part.strip()]
    return [max(0, int(part)) for part in value]


def from_env(env: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config from environment variables (docs/operations.md)."""
    env = os.environ if env is None else env
    relais_env = env.get("RELAIS_ENV", "development").strip().lower()
    if relais_env not in ENVIRONMENTS:
        raise ConfigError(
            f"RELAIS_ENV doit valoir {', '.join(ENVIRONMENTS)} (reçu : {relais_env!r})."
        )
    instance = Path(env.get("RELAIS_INSTANCE_PATH") or DEFAULT_INSTANCE)
    database_url = normalise_database_url(
        env.get("DATABASE_URL") or f"sqlite:///{instance / 'relais.sqlite3'}"
    )
    mail_server = env.get("MAIL_SERVER") or None
    redis_url = env.get("REDIS_URL") or None
    production = relais_env == "production"
    log_format = (env.get("RELAIS_LOG_FORMAT") or ("json" if production else "text")).lower()
    if log_format not in ("json", "text"):
        raise ConfigError(f"RELAIS_LOG_FORMAT doit valoir json ou text (reçu : {log_format!r}).")

    config = {
        "RELAIS_ENV": relais_env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": env.get("SECRET_KEY") or DEV_SECRET_KEY,
        "DEBUG": _bool(env.get("FLASK_DEBUG")),
        "RELAIS_BASE_URL": (env.get("RELAIS_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "RELAIS_PROXY_COUNT": _int(env, "RELAIS_PROXY_COUNT", 0),
        # Operations: "json" (one object a line, the production default) or "text".
        "RELAIS_LOG_FORMAT": log_format,
        # Unset: /metrics answers 404. Set: Prometheus sends it as `Authorization: Bearer …`.
        "RELAIS_METRICS_TOKEN": env.get("RELAIS_METRICS_TOKEN") or None,
        # Set by deploy/gunicorn.conf.py: the workers' figures are summed from this folder.
        "PROMETHEUS_MULTIPROC_DIR": env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        # Flask-Compress: HTML and JSON answers. Streamed exports stay streamed, uncompressed
        # here (the reverse proxy compresses them on the fly).
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_STREAMS": False,
        # Where static/ is copied fingerprinted and compressed (app/core/assets.py).
        "RELAIS_STATIC_BUILD_DIR": env.get("RELAIS_STATIC_BUILD_DIR")
        or str(PROJECT_ROOT / "build" / "static"),
        # Database
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Jobs: no REDIS_URL means the same RQ jobs run in-process, at once.
        "REDIS_URL": redis_url,
        "RQ_QUEUE": env.get("RELAIS_QUEUE", "relais"),
        # Mail: no MAIL_SERVER means every message goes to the dev mailbox.
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER")
        or "Relais Ecole Numérique <relais@localhost>",
        "MAIL_TIMEOUT": _int(env, "MAIL_TIMEOUT", 15),
        # Answers to ticket mails reach the EN team, not the no-reply sender.
        "RELAIS_REPLY_TO": env.get("RELAIS_REPLY_TO") or None,
        # The domain of the Message-IDs of Relais's mails (default: the sender's domain).
        "RELAIS_MAIL_DOMAIN": env.get("RELAIS_MAIL_DOMAIN") or None,
        # Incoming mail by IMAP (app.mail_in.imap); without a host, no polling.
        "RELAIS_IMAP_HOST": env.get("RELAIS_IMAP_HOST") or None,
        "RELAIS_IMAP_PORT": _int(env, "RELAIS_IMAP_PORT", 0) or None,
        "RELAIS_IMAP_TLS": env.get("RELAIS_IMAP_TLS") or "ssl",
        "RELAIS_IMAP_USER": env.get("RELAIS_IMAP_USER") or "",
        "RELAIS_IMAP_PASSWORD": env.get("RELAIS_IMAP_PASSWORD") or "",
        "RELAIS_IMAP_FOLDER": env.get("RELAIS_IMAP_FOLDER") or "INBOX",
        "RELAIS_IMAP_DONE_FOLDER": env.get("RELAIS_IMAP_DONE_FOLDER") or "Traités",
        "RELAIS_IMAP_BATCH": _int(env, "RELAIS_IMAP_BATCH", 100),
        "RELAIS_IMAP_TIMEOUT": _int(env, "RELAIS_IMAP_TIMEOUT", 30),
        # Incoming mail: the largest message read (bytes); bigger ones go to « À trier ».
        "RELAIS_MAIL_IN_MAX_BYTES": _int(env, "RELAIS_MAIL_IN_MAX_BYTES", 25 * 1024 * 1024),
        "MAIL_SUPPRESS_SEND": False,
        "DEV_MAILBOX_DIR": env.get("RELAIS_DEV_MAILBOX") or str(instance / "mailbox"),
        # Accounts
        "INVITATION_MAX_AGE": timedelta(days=_int(env, "RELAIS_INVITATION_DAYS", 7)),
        "PASSWORD_RESET_MAX_AGE": timedelta(hours=_int(env, "RELAIS_RESET_HOURS", 24)),
        "PASSWORD_MIN_LENGTH": _int(env, "RELAIS_PASSWORD_MIN_LENGTH", 10),
        # Argon2id; the test configuration lowers these so the suite stays fast.
        "ARGON2_TIME_COST": _int(env, "RELAIS_ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _int(env, "RELAIS_ARGON2_MEMORY_KIB", 65536),
        "ARGON2_PARALLELISM": _int(env, "RELAIS_ARGON2_PARALLELISM", 2),
        "LOGIN_RATE_LIMIT": env.get("RELAIS_LOGIN_RATE_LIMIT") or "10 per minute;50 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("RELAIS_LOGIN_ACCOUNT_RATE_LIMIT")
        or "5 per minute;20 per hour",
        "PASSWORD_RESET_RATE_LIMIT": env.get("RELAIS_RESET_RATE_LIMIT")
        or "5 per minute;30 per hour",
        "PASSWORD_RESET_ACCOUNT_RATE_LIMIT": env.get("RELAIS_RESET_ACCOUNT_RATE_LIMIT")
        or "3 per hour",
        "SIGNUP_RATE_LIMIT": env.get("RELAIS_SIGNUP_RATE_LIMIT") or "10 per minute",
        "PASSWORD_METER_RATE_LIMIT": env.get("RELAIS_PASSWORD_METER_RATE_LIMIT")
        or "120 per minute",
        "PASSWORD_CHANGE_RATE_LIMIT": env.get("RELAIS_PASSWORD_CHANGE_RATE_LIMIT")
        or "5 per minute;20 per hour",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis unreachable: each process counts the same limits in its own memory (Flask-Limiter
        # logs the switch once) and goes back to Redis when a check finds it again; sign-in never
        # fails because of the limiter. Short timeouts: a Redis host that drops packets must not
        # hold a sign-in for minutes before the switch.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        "RATELIMIT_KEY_PREFIX": env.get("RELAIS_RATELIMIT_PREFIX", "relais"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sessions
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "relais_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        # Flask refuses a session cookie signed longer ago than this (its signature carries the
        # time). The session stays a browser-session cookie (not `permanent`): closing the
        # browser of a shared school computer ends it too.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int(env, "RELAIS_SESSION_HOURS", 12)),
        # Forms
        "WTF_CSRF_TIME_LIMIT": None,  # the session lifetime bounds the token already
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        # A form carries up to 5 attachments of ATTACHMENT_MAX_MB each, plus its fields.
        "MAX_CONTENT_LENGTH": _int(env, "RELAIS_MAX_UPLOAD_MB", 55) * 1024 * 1024,
        # Unset: `attachments/` in the instance folder of the app (app/tickets/storage.py).
        "ATTACHMENTS_DIR": env.get("RELAIS_ATTACHMENTS_DIR") or None,
        "ATTACHMENT_MAX_MB": _int(env, "RELAIS_ATTACHMENT_MAX_MB", 10),
        # French typography (app/core/typography.py): no line break before « : ; ? ! ».
        "RELAIS_FRENCH_TYPOGRAPHY": _bool(env.get("RELAIS_FRENCH_TYPOGRAPHY"), True),
        # Delivery (app/notify): the digest window, retries, the sweep of forgotten rows.
        "RELAIS_DIGEST_SECONDS": _int(env, "RELAIS_DIGEST_SECONDS", 60),
        # Parsed by seconds_list where it is read (app/notify/outbox.py).
        "RELAIS_SEND_RETRY_INTERVALS": env.get("RELAIS_SEND_RETRY_INTERVALS")
        or "30,120,600,1800,3600",
        "RELAIS_SEND_MAX_ATTEMPTS": _int(env, "RELAIS_SEND_MAX_ATTEMPTS", 8),
        "RELAIS_SWEEP_GRACE_SECONDS": _int(env, "RELAIS_SWEEP_GRACE_SECONDS", 60),
        "RELAIS_SENDING_STALE_SECONDS": _int(env, "RELAIS_SENDING_STALE_SECONDS", 300),
        "RELAIS_SWEEP_BATCH": _int(env, "RELAIS_SWEEP_BATCH", 500),
        # Admin › Envois: a message pending or sending this long is shown « Bloqué ».
        "RELAIS_OUTBOX_STUCK_MINUTES": _int(env, "RELAIS_OUTBOX_STUCK_MINUTES", 15),
        # Automatic closure and the answers from the mailbox (app/tickets/autoclose.py).
        "RELAIS_AUTO_CLOSE_REMINDER_DAYS": _int(env, "RELAIS_AUTO_CLOSE_REMINDER_DAYS", 3),
        "RELAIS_MAIL_ANSWER_GRACE_DAYS": _int(env, "RELAIS_MAIL_ANSWER_GRACE_DAYS", 7),
        "RELAIS_MAIL_ANSWER_RATE_LIMIT": env.get("RELAIS_MAIL_ANSWER_RATE_LIMIT")
        or "10 per minute;60 per hour",
        # Calendar invitations and feeds (app/agenda).
        "RELAIS_VISIT_MINUTES": _int(env, "RELAIS_VISIT_MINUTES", 60),
        # How many days ahead a visit may be planned, and back one done on the spot recorded.
        "RELAIS_VISIT_HORIZON_DAYS": _int(env, "RELAIS_VISIT_HORIZON_DAYS", 365),
        "RELAIS_FEED_PAST_DAYS": _int(env, "RELAIS_FEED_PAST_DAYS", 90),
        "RELAIS_FEED_LIMIT": _int(env, "RELAIS_FEED_LIMIT", 2000),
        "RELAIS_FEED_CANCELLED_DAYS": _int(env, "RELAIS_FEED_CANCELLED_DAYS", 14),
        # Business calendar (app/sla): service hours, Monday = 1.
        "RELAIS_SERVICE_HOURS": env.get("RELAIS_SERVICE_HOURS") or "09:00-17:00",
        "RELAIS_SERVICE_DAYS": env.get("RELAIS_SERVICE_DAYS") or "1-5",
        "RELAIS_ICAL_MAX_KB": _int(env, "RELAIS_ICAL_MAX_KB", 256),
        # Service levels (app/sla): warning margin, questions to the school (business days).
        "RELAIS_SLA_WARNING_MINUTES": _int(env, "RELAIS_SLA_WARNING_MINUTES", 120),
        "RELAIS_INFO_REMINDER_DAYS": _int(env, "RELAIS_INFO_REMINDER_DAYS", 3),
        "RELAIS_INFO_CLOSE_DAYS": _int(env, "RELAIS_INFO_CLOSE_DAYS", 7),
        # Locale
        "BABEL_DEFAULT_LOCALE": "fr_BE",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # WTForms' own messages (« This field is required. ») in the page's language.
        "WTF_I18N_ENABLED": True,
    }
    return config


def check_production(config: Mapping) -> None:
    """Refuse a production start that would be unsafe; one line says why."""
    if config.get("RELAIS_ENV") != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if not secret or secret == DEV_SECRET_KEY:
        raise ConfigError(
            "Production refusée : SECRET_KEY manquante ou laissée à la valeur de développement."
        )
    if len(secret) < 32:
        raise ConfigError("Production refusée : SECRET_KEY doit compter au moins 32 caractères.")
    if config.get("DEBUG"):
        raise ConfigError("Production refusée : le mode debug (FLASK_DEBUG) est activé.")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        raise ConfigError(
            "Production refusée : DATABASE_URL pointe vers SQLite ; utilisez PostgreSQL."
        )
    if not config.get("REDIS_URL"):
        raise ConfigError(
            "Production refusée : REDIS_URL manquante (files de tâches et limites de connexion)."
        )
    if not config.get("MAIL_SERVER"):
        raise ConfigError(
            "Production refusée : MAIL_SERVER manquant ; les e-mails iraient dans la boîte de dev."
        )
