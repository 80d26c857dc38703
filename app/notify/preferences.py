"""Which kinds of ticket mail a person wants (« E-mails que je reçois » on the profile page).

Pure rules, no database and no request. Event kinds that send mail are gathered in a few groups
a person reads as one choice (each kind names its group in app.tickets.events); each role sees
the groups it can receive. The choice is stored on the user (`User.mail_preferences`) as
`{group: False}` for each group turned off; a missing group is on, and so is a group the
person's role does not see.

The choice is one of two switches: the other is the person's « Notifications » switch on each
ticket. A message goes only when both allow it, except the messages that always go (the
teacher's approval request and a supplier's new assignment: the "!" audience groups of
app.tickets.events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.tickets.events import EventKind

ROLES = frozenset({"assistant", "coordinator", "supplier", "teacher", "admin"})
EN_STAFF = frozenset({"assistant", "coordinator", "admin"})


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    help: str
    roles: frozenset[str] = ROLES

    @property
    def kinds(self) -> frozenset[str]:
        """The event kinds that name this group (app.tickets.events)."""
        return frozenset(kind for kind in EventKind if kind.group == self.key)


GROUPS: tuple[Group, ...] = (
    Group(
        "new",
        _l("Nouvelles demandes et attributions"),
        _l(
            "Une demande est créée, attribuée à une autre société, confiée à un technicien "
            "ou à un autre responsable."
        ),
    ),
    Group(
        "visits",
        _l("Visites planifiées ou replanifiées"),
        _l("Le fournisseur fixe ou change la date et l’heure de son intervention."),
    ),
    Group(
        "finished",
        _l("Interventions terminées"),
        _l("Le fournisseur signale que l’intervention est faite, à l’école ou sur place."),
    ),
    Group(
        "closing",
        _l("Approbations, réouvertures et clôtures"),
        _l(
            "L’école approuve l’intervention ou rouvre la demande, ou la demande est fermée "
            "automatiquement."
        ),
    ),
    Group(
        "comments",
        _l("Commentaires"),
        _l("Quelqu’un ajoute un commentaire à une demande que vous suivez."),
    ),
    Group(
        "send_back_cancel",
        _l("Renvois et annulations"),
        _l("Le fournisseur renvoie une demande à l’équipe EN, ou une demande est annulée."),
    ),
    Group(
        "questions",
        _l("Questions et rappels"),
        _l(
            "Une question est posée à l’école, et les rappels quand sa réponse ou son "
            "approbation se fait attendre."
        ),
    ),
    Group(
        "waits",
        _l("Mises en attente et reprises"),
        _l("Une demande est mise en attente (ses délais s’arrêtent), puis reprise."),
    ),
    Group(
        "edits",
        _l("Demandes modifiées"),
        _l(
            "L’équipe EN corrige une demande : résumé, description, type, école, contact ou "
            "matériel (un changement d’école, de contact ou de matériel est toujours envoyé au "
            "fournisseur)."
        ),
    ),
    Group(
        "sla",
        _l("Délais bientôt dépassés"),
        _l("Une demande approche de la fin de son délai de prise en charge ou de résolution."),
        roles=EN_STAFF,
    ),
)

GROUP_BY_KEY: dict[str, Group] = {g.key: g for g in GROUPS}
GROUP_OF_KIND: dict[str, str] = {kind: g.key for g in GROUPS for kind in g.kinds}

# What the profile page says always goes, whatever the choice (the "!" groups of AUDIENCES).
ALWAYS_SENT: dict[str, str] = {
    "teacher": _l(
        "La demande d’approbation envoyée quand une intervention est terminée part toujours."
    ),
    "supplier": _l(
        "Une nouvelle demande attribuée à votre société part toujours à son adresse de référence."
    ),
}
ALWAYS_SENT_DEFAULT = _l(
    "La demande d’approbation envoyée à l’enseignant·e et une nouvelle demande attribuée à un "
    "fournisseur partent toujours."
)


def visible_groups(role: str) -> tuple[Group, ...]:
    """The groups a person of `role` chooses from, in the page's order."""
    return tuple(g for g in GROUPS if role in g.roles)


def is_on(preferences: Mapping | None, key: str, role: str | None = None) -> bool:
    """Whether group `key` is on: only an explicit False turns a group the role sees off."""
    group = GROUP_BY_KEY.get(key)
    if group is None or (role is not None and role not in group.roles):
        return True
    if not isinstance(preferences, Mapping):
        return True
    return preferences.get(key) is not False


def allows(preferences: Mapping | None, kind: str, role: str | None = None) -> bool:
    """Whether a person with these preferences wants mail of event `kind`.

    A kind in no group is always allowed; with `role`, so is a group that role does not see.
    """
    key = GROUP_OF_KIND.get(kind)
    return key is None or is_on(preferences, key, role)


def muted_kinds(preferences: Mapping | None, role: str | None = None) -> frozenset[str]:
    """Every event kind these preferences turn off (what `audience.Person.muted_kinds` holds)."""
    return frozenset(
        kind for g in GROUPS if not is_on(preferences, g.key, role) for kind in g.kinds
    )


def chosen(role: str, on: Iterable[str]) -> dict[str, bool]:
    """The preferences to store when a person of `role` ticks the groups `on`.

    Only the groups the role sees are recorded; unknown or hidden keys in `on` are ignored.
    """
    wanted = set(on)
    return {g.key: False for g in visible_groups(role) if g.key not in wanted}
