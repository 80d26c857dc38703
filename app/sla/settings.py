"""The service levels' settings, read from the app's configuration with these defaults.

- RELAIS_SLA_WARNING_MINUTES (120): a running clock with this many business minutes left or
  fewer is « bientôt en retard » (list filter, badge) and its warning mail goes;
- RELAIS_INFO_REMINDER_DAYS (3): business days after a question to the school before its
  reminder;
- RELAIS_INFO_CLOSE_DAYS (7): business days without an answer before the ticket is closed.
"""

from __future__ import annotations

from flask import current_app

DEFAULT_WARNING_MINUTES = 120
DEFAULT_REMINDER_DAYS = 3
DEFAULT_CLOSE_DAYS = 7


def _setting(name: str, default: int) -> int:
    try:
        value = int(current_app.config.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if value >= 0 else default


def warning_minutes() -> int:
    return _setting("RELAIS_SLA_WARNING_MINUTES", DEFAULT_WARNING_MINUTES)


def reminder_days() -> int:
    return _setting("RELAIS_INFO_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)


def close_days() -> int:
    return _setting("RELAIS_INFO_CLOSE_DAYS", DEFAULT_CLOSE_DAYS)
