"""The menu each role sees: one list, so that a page is never linked for someone it refuses."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.roles import EN_STAFF
from app.models.user import Role
from app.notify.admin import failed_count


@dataclass(frozen=True)
class NavEntry:
    label: object
    endpoint: str
    roles: frozenset
    # Endpoint prefixes whose pages count as "this section" for aria-current.
    section: str | tuple[str, ...] = ()
    # Values for url_for that depend on the user (a supplier's own company page).
    args: object = None
    # A count shown beside the entry (failed messages), or None; one cheap query.
    badge: object = None


MAIN = [
    NavEntry(
        _l("Demandes"),
        "tickets.index",
        frozenset(Role),
        ("tickets.index", "tickets.show", "tickets.act", "tickets.comment"),
    ),
    NavEntry(
        _l("Nouvelle demande"),
        "tickets.new",
        frozenset({Role.ASSISTANT, Role.ADMIN}),
        "tickets.new",
    ),
    NavEntry(_l("Écoles"), "directory.schools", EN_STAFF, ("directory.school",)),
    NavEntry(_l("Fournisseurs"), "directory.suppliers", EN_STAFF, ("directory.supplier",)),
    NavEntry(
        _l("Ma société"),
        "directory.supplier",
        frozenset({Role.SUPPLIER}),
        "directory.supplier",
        args=lambda user: {"supplier_id": user.supplier_id},
    ),
    NavEntry(_l("Matériel"), "directory.equipment", EN_STAFF, ("directory.equipment",)),
    NavEntry(_l("Suivi"), "dashboard.index", EN_STAFF, "dashboard."),
    NavEntry(
        _l("Mes chiffres"),
        "dashboard.supplier",
        frozenset({Role.SUPPLIER}),
        "dashboard.",
        args=lambda user: {"supplier_id": user.supplier_id},
    ),
    NavEntry(
        _l("Utilisateurs"),
        "admin.users",
        frozenset({Role.ADMIN, Role.COORDINATOR}),
        ("admin.user", "admin.invit", "admin.deactivate", "admin.reactivate"),
    ),
    NavEntry(
        _l("Envois"),
        "admin.outbox",
        frozenset({Role.ADMIN}),
        "admin.outbox",
        badge=lambda: _failed_messages(),
    ),
    NavEntry(_l("À trier"), "mail_in.to_sort", EN_STAFF, "mail_in."),
    NavEntry(_l("Congés scolaires"), "sla.holidays", EN_STAFF, "sla."),
    NavEntry(_l("Catalogue"), "admin.catalogue", frozenset({Role.ADMIN}), "admin.catalogue"),
]

ACCOUNT = [
    NavEntry(_l("Mon profil"), "auth.profile", frozenset(Role), ("auth.profile",)),
    NavEntry(_l("Agenda"), "agenda.index", frozenset({Role.SUPPLIER, Role.COORDINATOR}), "agenda."),
    NavEntry(
        _l("Inviter une personne"), "admin.invite", frozenset({Role.ASSISTANT}), "admin.invite"
    ),
]


@dataclass(frozen=True)
class NavItem:
    label: object
    url: str
    current: bool
    badge: str = ""


def _failed_messages() -> str:
    """The « Envois » badge: one statement per request, however many menus a page draws."""
    if "relais_failed_badge" not in g:
        count = failed_count()
        g.relais_failed_badge = (
            "" if not count.value else f"{count.value}{'+' if count.capped else ''}"
        )
    return g.relais_failed_badge


def _items(entries: list[NavEntry], app: Flask) -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    endpoint = request.endpoint or ""
    for entry in entries:
        # An entry appears once its page exists: areas register their views independently.
        if current_user.role not in entry.roles or entry.endpoint not in app.view_functions:
            continue
        args = entry.args(current_user) if entry.args else {}
        current = endpoint == entry.endpoint or bool(
            entry.section and endpoint.startswith(entry.section)
        )
        badge = entry.badge() if entry.badge else ""
        items.append(NavItem(entry.label, url_for(entry.endpoint, **args), current, badge))
    return items


def initials(name: str) -> str:
    parts = [p for p in (name or "").replace("-", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def register(app: Flask) -> None:
    app.add_template_filter(initials)

    @app.context_processor
    def _nav():
        return {
            "nav_items": lambda: _items(MAIN, app),
            "account_items": lambda: _items(ACCOUNT, app),
        }
