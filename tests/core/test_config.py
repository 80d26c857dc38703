"""Settings from the environment, and the production refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import DEV_SECRET_KEY, ConfigError, check_production, from_env

ROOT = Path(__file__).resolve().parents[2]
GOOD_PRODUCTION = {
    "RELAIS_ENV": "production",
    "SECRET_KEY": "x" * 48,
    "DATABASE_URL": "postgresql://relais@127.0.0.1:1/relais",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "MAIL_SERVER": "127.0.0.1",
}


def test_embedded_defaults(tmp_path):
    config = from_env({"RELAIS_INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    assert config["REDIS_URL"] is None
    assert config["MAIL_SERVER"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Brussels"


def test_postgres_urls_get_the_psycopg_driver():
    config = from_env({"DATABASE_URL": "postgres://u:p@db/relais"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/relais"


def test_redis_url_shares_rate_limits():
    config = from_env({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_bad_number_is_named():
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        from_env({"MAIL_PORT": "vingt-cinq"})


def test_good_production_config_passes():
    check_production(from_env(GOOD_PRODUCTION))
    app = create_app(from_env(GOOD_PRODUCTION))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # The dev mailbox does not exist in production.
    assert not any(rule.endpoint.startswith("devmail.") for rule in app.url_map.iter_rules())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "32 caractères"),
        ({"FLASK_DEBUG": "1"}, "debug"),
        ({"DATABASE_URL": "sqlite:////tmp/relais.db"}, "SQLite"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"MAIL_SERVER": ""}, "MAIL_SERVER"),
    ],
)
def test_production_refuses_unsafe_settings(change, reason):
    with pytest.raises(ConfigError, match=reason):
        create_app(from_env({**GOOD_PRODUCTION, **change}))


def test_wsgi_says_why_in_one_line(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("RELAIS", "SECRET", "DATABASE"))
    }
    env.update({**GOOD_PRODUCTION, "SECRET_KEY": "", "RELAIS_INSTANCE_PATH": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "Relais : Production refusée : "
        "SECRET_KEY manquante ou laissée à la valeur de développement."
    ]
