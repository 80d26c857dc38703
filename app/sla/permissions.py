"""Who may change the business calendar: plain rules over the signed-in user, no HTTP.

Admins keep the school holidays (« Congés scolaires »); admins and coordinators say whether a
supplier follows the school holidays and which school calendar a site follows. EN staff read.
"""

from __future__ import annotations

from app.models.user import Role

HOLIDAY_EDITORS = frozenset({Role.ADMIN})
CALENDAR_EDITORS = frozenset({Role.ADMIN, Role.COORDINATOR})


def _signed_in(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def can_edit_school_holidays(user) -> bool:
    """Add, change, confirm, import and remove school holiday periods."""
    return _signed_in(user) and user.role in HOLIDAY_EDITORS


def can_edit_calendar_choices(user) -> bool:
    """A supplier's « follows the school holidays » switch and a site's school calendar."""
    return _signed_in(user) and user.role in CALENDAR_EDITORS
