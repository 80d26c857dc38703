"""View decorators that check the role; ownership checks live with each area's loaders."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.auth.roles import EN_STAFF
from app.models.user import Role


def roles_required(*roles: Role) -> Callable:
    """Anonymous users go to the login page; signed-in users without the role get 403."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


en_staff_required = roles_required(*EN_STAFF)
admin_required = roles_required(Role.ADMIN)
