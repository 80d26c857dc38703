"""Every kind of ticket event, described once: what each layer says or does about it.

An event is one line of a ticket's activity (`TicketEvent.kind` stores the enum's value, so the
stored strings never change). For each kind, `DESCRIPTIONS` holds:
- the activity sentence on the ticket page (a function of the event);
- the mail: its headline, its audience (the groups of app.notify.audience; a trailing "!" marks
  a message that ignores the person's switches), the preference group a person turns it off
  with (app.notify.preferences), and the notice a recipient reads instead of the headline;
- whether its mail asks the contact's approval (the *Approuver* / *Rouvrir* links of
  app.mail_actions.links) or their answer to a question;
- for a workflow action: the action, and the message the person who acted reads;
- what it does to the service-level clocks (`clocks`, a ClockEffect: app.sla.reactions), to the
  visit in the calendars (`calendar`: app.agenda.invitations), and whether it is an answer the
  links of an approval mail give (`answers_approval`: app.mail_actions.answers).

Beside the table, RANKS orders the kinds that send a mail: a message that gathers several
events (app.notify.digest) is named after its highest-ranked one.

Pure: no database, no request (texts are translated when called). The layers read this table;
tests/tickets/test_ticket_events.py checks that no kind is half-declared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.tickets import planning
from app.tickets.workflow import Action, Status

if TYPE_CHECKING:
    from app.models import Ticket, TicketEvent


class ClockEffect(StrEnum):
    """What an event does to the service-level clocks (docs/domain.md; app.sla.reactions)."""

    START = "start"  # a new ticket: its own clocks, and its supplier's
    RESTART = "restart"  # reopened: a new round, fresh clocks
    PLANNED = "planned"  # « prise en compte » reached
    FINISHED = "finished"  # both targets reached (on the spot: at the visit); a pause ends
    # The EN team resolved it: its own targets reached; a supplier's clocks stop uncounted.
    RESOLVED_BY_EN = "resolved_by_en"
    SUPPLIER_CHANGED = "supplier_changed"  # the previous company's stop, the new one's start
    CANCELLED = "cancelled"  # everything stops, « cancelled »
    CLOSED = "closed"  # the round ends: everything still running stops, « closed »


class CalendarMethod(StrEnum):
    """What an event does to the visit in the calendars (iCalendar METHOD)."""

    REQUEST = "REQUEST"  # the visit planned or moved: an invitation
    CANCEL = "CANCEL"  # the visit called off (when the event says so): a cancellation


class EventKind(StrEnum):
    CREATED = "created"
    COMMENT = "comment"
    SHARE = "share"
    PLAN = "plan"
    RESCHEDULE = "reschedule"
    FINISH = "finish"
    FINISH_ON_SPOT = "finish_on_spot"
    RESOLVE = "resolve"
    APPROVE = "approve"
    REOPEN = "reopen"
    AUTO_CLOSE = "auto_close"
    AUTO_CLOSE_REMINDER = "auto_close_reminder"
    SEND_BACK = "send_back"
    REASSIGN_SUPPLIER = "reassign_supplier"
    CANCEL = "cancel"
    ASSIGN_TECHNICIAN = "assign_technician"
    CHANGE_ASSIGNEE = "change_assignee"
    # The EN team corrected the ticket's frame (app.tickets.service.editing).
    EDIT = "edit"
    # Service levels and questions to the school (app.sla).
    PAUSE = "pause"
    RESUME = "resume"
    INFO_REQUEST = "info_request"
    INFO_REMINDER = "info_reminder"
    SLA_WARNING = "sla_warning"
    CLOSED_UNANSWERED = "closed_unanswered"

    @property
    def description(self) -> Description:
        return DESCRIPTIONS[self]

    @property
    def headline(self) -> str | None:
        return self.description.headline

    @property
    def audience(self) -> tuple[str, ...]:
        return self.description.audience

    @property
    def group(self) -> str | None:
        return self.description.group

    @property
    def names_actor(self) -> bool:
        """Its headline names who acted (« Nouveau commentaire de … »): the mail does not say
        it again after it."""
        return "{actor}" in str(self.description.headline or "")

    @property
    def rank(self) -> int:
        """How much it matters beside other events in one message (RANKS; 0 without mail)."""
        return RANKS.get(self, 0)

    @property
    def sends_mail(self) -> bool:
        return self.description.headline is not None

    def sentence(self, event: TicketEvent, suppliers: Mapping[int, str]) -> str:
        """The activity's line; `suppliers` names the companies a reassignment points to."""
        return self.description.sentence(event, suppliers)

    def notice_for(self, is_teacher: bool) -> str | None:
        """The macro of mail/_notices.* a recipient reads instead of the headline (or None)."""
        description = self.description
        return (description.teacher_notice if is_teacher else None) or description.notice

    def changes(self, event: TicketEvent) -> list[str]:
        """The fields an edit changed, « from → to », for its mail (empty for other kinds)."""
        return edit_changes(event) if self.description.lists_changes else []

    @property
    def asks_school(self) -> bool:
        """The school's answer is awaited: its mail says how to answer."""
        return self.description.asks_school

    def success_message(self, ticket: Ticket, before: Status) -> str:
        """What the person who took the action reads, with the change of state if any."""
        text = self.description.success(ticket)
        after = ticket.status
        if after != before:
            text += " " + _(
                "La demande est passée de « %(before)s » à « %(after)s ».",
                before=before.label,
                after=after.label,
            )
        return text

    @property
    def recipient_labels(self) -> list[str]:
        """Who the form warns will receive its message: the audience, in words."""
        return [str(RECIPIENT_LABELS[g]) for g in self.audience if g in RECIPIENT_LABELS]

    @classmethod
    def of_action(cls, action: Action) -> EventKind:
        return KIND_OF_ACTION[Action(action)]


Sentence = Callable[["TicketEvent", Mapping[int, str]], str]


@dataclass(frozen=True)
class Description:
    sentence: Sentence
    # The subject's words ({date}, {time}, {actor}, {supplier}, {technician}); None: no mail.
    headline: str | None = None
    audience: tuple[str, ...] = ()
    group: str | None = None  # the key of an app.notify.preferences group
    # The body under the activity's line is hidden when the sentence already says it.
    body_in_sentence: bool = False
    # Macros of mail/_notices.*: for the contact teacher, and for anyone else.
    teacher_notice: str | None = None
    notice: str | None = None
    asks_school: bool = False
    # Its mail carries the ticket's diagnosis: the company it is given to knows what is broken
    # without signing in.
    shows_diagnosis: bool = False
    # Its mail asks the contact to approve or reopen (and carries the links that answer).
    asks_approval: bool = False
    # A workflow action: the action, and what the person who took it reads.
    action: Action | None = None
    success: Callable[[Ticket], str] | None = None
    # The action's form warns who its message goes to (the visit announcement).
    warns_recipients: bool = False
    clocks: ClockEffect | None = None
    calendar: CalendarMethod | None = None
    # Approuver / Rouvrir: what the links of an approval mail may answer (once per message).
    answers_approval: bool = False
    # Its mail lists the fields changed, « from → to » (`edit_changes`).
    lists_changes: bool = False


def _at(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _when(event: TicketEvent) -> dict:
    instant = _at((event.data or {}).get("at"))
    if instant is None:
        return {"date": "?", "time": "?"}
    return {"date": planning.date_text(instant), "time": planning.time_text(instant)}


def _said(text) -> Sentence:
    """A sentence that does not depend on the event (`text` is lazy: translated when said)."""
    return lambda event, suppliers: str(text)


def _take_or_designate(event: TicketEvent, suppliers: Mapping[int, str]) -> str:
    data = event.data or {}
    if event.actor_id is not None and data.get("assignee_id") == event.actor_id:
        return _("a pris la demande en charge")
    return _("a désigné %(name)s comme responsable", name=event.body)


# Why a ticket waits (the kinds of app.sla.pauses), as the page and the activity say it.
PAUSE_REASONS = {
    "school": _l("attente de l’école"),
    "part": _l("attente d’une pièce"),
    "information": _l("question posée à l’école, en attente de sa réponse"),
}


def pause_label(kind: str) -> str:
    return str(PAUSE_REASONS.get(kind, kind))


def _resumed(event: TicketEvent, suppliers: Mapping[int, str]) -> str:
    if (event.data or {}).get("answer"):
        return _("a répondu à la question : les délais reprennent")
    return _("a repris les délais")


def _resolved(event: TicketEvent, suppliers: Mapping[int, str]) -> str:
    if (event.data or {}).get("first_contact"):
        return _("a résolu la demande au premier contact")
    return _("a résolu la demande")


# The words of the audience groups, for a form that says who its message goes to.
RECIPIENT_LABELS = {
    "assistant": _l(
        "l’assistant·e à la maintenance informatique Ecole Numérique responsable de la demande"
    ),
    "coordinators": _l("la personne responsable du suivi des fournisseurs de l’équipe EN"),
    "teacher": _l("l’enseignant·e"),
}

# The frame's fields an edit may change, as the activity and the mails name them.
EDIT_FIELDS = {
    "summary": _l("Résumé"),
    "description": _l("Description"),
    "request_type": _l("Type de demande"),
    "site": _l("Implantation scolaire"),
    "contact_name": _l("Personne de contact"),
    "contact_phone": _l("Numéro de téléphone"),
    "contact_email": _l("Adresse e-mail"),
    "equipment_label": _l("Étiquette"),
    "equipment_serial": _l("Numéro de série"),
    "equipment_description": _l("Matériel"),
}
# What the supplier holding the ticket relies on to come and fix the device: a change to any
# of these is sent to it (and to its technician), whatever their switches say.
RELIED_FIELDS = frozenset(
    {
        "site",
        "contact_name",
        "contact_phone",
        "contact_email",
        "equipment_label",
        "equipment_serial",
        "equipment_description",
    }
)
_SHOWN_CHARS = 120  # a long description is cut in the activity's line


def _shown(value) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        return "—"
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def edit_changes(event: TicketEvent) -> list[str]:
    """Each field an edit changed, « from → to », in the reader's language."""
    lines = []
    for name, before, after in (event.data or {}).get("changes", []):
        lines.append(
            _(
                "%(field)s : « %(before)s » → « %(after)s »",
                field=EDIT_FIELDS.get(name, name),
                before=_shown(before),
                after=_shown(after),
            )
        )
    return lines


def _edited(event: TicketEvent, suppliers: Mapping[int, str]) -> str:
    changes = edit_changes(event)
    if not changes:
        return _("a modifié la demande")
    return _("a modifié la demande : %(changes)s", changes=" ; ".join(changes))


# Who hears of a visit, and of the end of the work (the approval request always goes).
_VISIT = ("assistant", "coordinators", "teacher", "participants")
_FINISHED = ("teacher!", "assistant", "coordinators", "participants")

DESCRIPTIONS: dict[EventKind, Description] = {
    EventKind.CREATED: Description(
        _said(_l("a créé cette demande")),
        _l("Nouvelle demande"),
        ("supplier!", "teacher"),
        "new",
        teacher_notice="registered",
        notice="assigned_to_company",
        shows_diagnosis=True,
        clocks=ClockEffect.START,
    ),
    EventKind.COMMENT: Description(
        _said(_l("a commenté")),
        _l("Nouveau commentaire de {actor}"),
        ("supplier", "participants"),
        "comments",
    ),
    # Shown on the page only: the person added is told by the sharing itself.
    EventKind.SHARE: Description(
        lambda e, s: _("a partagé la demande avec %(name)s", name=e.body),
        body_in_sentence=True,
    ),
    EventKind.PLAN: Description(
        lambda e, s: _("a planifié l’intervention le %(date)s à %(time)s", **_when(e)),
        _l("Intervention prévue le {date} à {time}"),
        _VISIT,
        "visits",
        action=Action.PLAN,
        success=lambda t: _("L’intervention est planifiée."),
        warns_recipients=True,
        clocks=ClockEffect.PLANNED,
        calendar=CalendarMethod.REQUEST,
    ),
    EventKind.RESCHEDULE: Description(
        lambda e, s: _("a replanifié l’intervention au %(date)s à %(time)s", **_when(e)),
        _l("Intervention replanifiée au {date} à {time}"),
        _VISIT,
        "visits",
        action=Action.RESCHEDULE,
        success=lambda t: _("L’intervention est replanifiée."),
        warns_recipients=True,
        calendar=CalendarMethod.REQUEST,
    ),
    EventKind.FINISH: Description(
        _said(_l("a terminé l’intervention")),
        _l("Intervention terminée : 1 approbation nécessaire"),
        _FINISHED,
        "finished",
        teacher_notice="approval_request",
        asks_approval=True,
        action=Action.FINISH,
        success=lambda t: _("L’intervention est terminée : l’école est invitée à l’approuver."),
        clocks=ClockEffect.FINISHED,
    ),
    EventKind.FINISH_ON_SPOT: Description(
        lambda e, s: _("a réalisé l’intervention sur place le %(date)s à %(time)s", **_when(e)),
        _l("Intervention réalisée sur place : 1 approbation nécessaire"),
        _FINISHED,
        "finished",
        teacher_notice="approval_request",
        asks_approval=True,
        action=Action.FINISH_ON_SPOT,
        success=lambda t: _(
            "L’intervention sur place est enregistrée : l’école est invitée à l’approuver."
        ),
        clocks=ClockEffect.FINISHED,
    ),
    EventKind.RESOLVE: Description(
        _resolved,
        _l("Demande résolue par l’équipe EN : 1 approbation nécessaire"),
        (*_FINISHED, "supplier"),
        "finished",
        teacher_notice="approval_request",
        asks_approval=True,
        action=Action.RESOLVE,
        success=lambda t: _("La résolution est enregistrée : l’école est invitée à l’approuver."),
        clocks=ClockEffect.RESOLVED_BY_EN,
    ),
    EventKind.APPROVE: Description(
        _said(_l("a approuvé l’intervention")),
        _l("Intervention approuvée, demande fermée"),
        ("supplier", "assistant", "participants"),
        "closing",
        action=Action.APPROVE,
        success=lambda t: _("Intervention approuvée."),
        clocks=ClockEffect.CLOSED,
        answers_approval=True,
    ),
    EventKind.REOPEN: Description(
        _said(_l("a rouvert la demande")),
        _l("Demande rouverte"),
        ("supplier", "assistant", "coordinators", "participants"),
        "closing",
        action=Action.REOPEN,
        success=lambda t: _("La demande est rouverte : la procédure recommence."),
        clocks=ClockEffect.RESTART,
        answers_approval=True,
    ),
    EventKind.AUTO_CLOSE: Description(
        _said(_l("Demande clôturée automatiquement, sans réponse de l’école")),
        _l("Demande clôturée automatiquement"),
        ("teacher", "supplier", "assistant", "participants"),
        "closing",
        body_in_sentence=True,
        action=Action.AUTO_CLOSE,
        clocks=ClockEffect.CLOSED,
    ),
    # The approval request again: it always goes, like the first one.
    EventKind.AUTO_CLOSE_REMINDER: Description(
        _said(_l("a rappelé à l’école que son approbation est attendue")),
        _l("Rappel : votre approbation est attendue"),
        ("teacher!",),
        "questions",
        teacher_notice="approval_reminder",
        asks_approval=True,
    ),
    # Not state changes (the ticket stays OUVERT): those the original table names, plus the
    # assistant in charge when a coordinator moves their ticket to another company.
    EventKind.SEND_BACK: Description(
        _said(_l("a renvoyé la demande à l’équipe EN")),
        _l("Demande renvoyée à l’équipe EN"),
        ("assistant", "coordinators", "teacher_if_planned"),
        "send_back_cancel",
        action=Action.SEND_BACK,
        success=lambda t: _("La demande est renvoyée à l’équipe EN."),
        clocks=ClockEffect.SUPPLIER_CHANGED,
        calendar=CalendarMethod.CANCEL,
    ),
    EventKind.REASSIGN_SUPPLIER: Description(
        lambda e, s: _(
            "a attribué la demande à %(supplier)s",
            supplier=s.get((e.data or {}).get("supplier_id"), "?"),
        ),
        _l("Demande attribuée à {supplier}"),
        ("supplier!", "previous_supplier_if_planned", "teacher_if_planned", "assistant"),
        "new",
        shows_diagnosis=True,
        action=Action.REASSIGN_SUPPLIER,
        success=lambda t: _(
            "La demande est attribuée à %(name)s.", name=t.supplier.name if t.supplier else ""
        ),
        clocks=ClockEffect.SUPPLIER_CHANGED,
        calendar=CalendarMethod.CANCEL,
    ),
    EventKind.CANCEL: Description(
        _said(_l("a annulé la demande")),
        _l("Demande annulée"),
        ("supplier", "teacher", "assistant", "participants"),
        "send_back_cancel",
        action=Action.CANCEL,
        success=lambda t: _("La demande est annulée."),
        clocks=ClockEffect.CANCELLED,
        calendar=CalendarMethod.CANCEL,
    ),
    EventKind.ASSIGN_TECHNICIAN: Description(
        lambda e, s: _("a confié la demande à %(name)s", name=e.body),
        _l("Demande confiée à {technician}"),
        ("technician",),
        "new",
        body_in_sentence=True,
        action=Action.ASSIGN_TECHNICIAN,
        success=lambda t: _(
            "La demande est confiée à %(name)s.",
            name=t.technician.full_name if t.technician else "",
        ),
    ),
    EventKind.CHANGE_ASSIGNEE: Description(
        _take_or_designate,
        _l("Vous êtes responsable de cette demande"),
        ("new_assignee",),
        "new",
        body_in_sentence=True,
        action=Action.CHANGE_ASSIGNEE,
        success=lambda t: _(
            "%(name)s est responsable de la demande.",
            name=t.assignee.full_name if t.assignee else "",
        ),
    ),
    # The supplier (and its technician) only when what it relies on changed (RELIED_FIELDS):
    # the service says so in the event's `supplier_told`.
    EventKind.EDIT: Description(
        _edited,
        _l("Demande modifiée par {actor}"),
        ("supplier_told!", "technician_told!", "assistant", "coordinators"),
        "edits",
        body_in_sentence=True,
        lists_changes=True,
        success=lambda t: _("Les modifications de la demande sont enregistrées."),
    ),
    # Pauses of the clocks, and the question put to the school (app.sla.pauses).
    EventKind.PAUSE: Description(
        lambda e, s: _(
            "a suspendu les délais (%(why)s)", why=pause_label((e.data or {}).get("kind", ""))
        ),
        _l("Demande en attente"),
        ("assistant", "participants"),
        "waits",
    ),
    EventKind.RESUME: Description(
        _resumed, "Demande reprise", ("assistant", "participants"), "waits"
    ),
    EventKind.INFO_REQUEST: Description(
        _said(_l("a posé une question à l’école (délais suspendus jusqu’à sa réponse)")),
        _l("Question de {actor} : votre réponse est attendue"),
        ("teacher", "participants"),
        "questions",
        asks_school=True,
    ),
    EventKind.INFO_REMINDER: Description(
        _said(_l("a rappelé à l’école que sa réponse est attendue")),
        _l("Rappel : votre réponse est attendue"),
        ("teacher",),
        "questions",
        asks_school=True,
    ),
    # Scheduled work and service levels (no actor: the system).
    EventKind.SLA_WARNING: Description(
        _said(_l("a prévenu l’équipe EN : un délai est bientôt dépassé")),
        _l("Délai bientôt dépassé"),
        ("assistant", "coordinators"),
        "sla",
    ),
    EventKind.CLOSED_UNANSWERED: Description(
        _said(_l("a fermé la demande faute de réponse de l’école")),
        _l("Demande fermée faute de réponse"),
        ("teacher", "supplier", "assistant", "participants"),
        "closing",
        action=Action.CLOSE_UNANSWERED,
        clocks=ClockEffect.CLOSED,
    ),
}

# The ranks of the kinds that send a mail, highest first: what a digest's subject names.
# A new ticket or a change of hands comes first (the mail that « always goes » must be
# recognised by its subject), then what asks the school something, what ends or stops the
# work, the visits, the clocks, and last the comments.
RANKS: dict[EventKind, int] = {
    EventKind.CREATED: 100,
    EventKind.REASSIGN_SUPPLIER: 100,
    EventKind.ASSIGN_TECHNICIAN: 90,
    EventKind.CHANGE_ASSIGNEE: 90,
    EventKind.FINISH: 80,
    EventKind.FINISH_ON_SPOT: 80,
    EventKind.RESOLVE: 80,  # the EN team answered: the school is asked to approve
    EventKind.AUTO_CLOSE_REMINDER: 80,
    EventKind.INFO_REQUEST: 70,
    EventKind.INFO_REMINDER: 70,
    EventKind.CANCEL: 60,
    EventKind.SEND_BACK: 60,
    EventKind.REOPEN: 60,
    EventKind.APPROVE: 60,
    EventKind.AUTO_CLOSE: 60,
    EventKind.CLOSED_UNANSWERED: 60,
    EventKind.PLAN: 50,
    EventKind.RESCHEDULE: 50,
    EventKind.EDIT: 45,
    EventKind.SLA_WARNING: 40,
    EventKind.PAUSE: 20,
    EventKind.RESUME: 20,
    EventKind.COMMENT: 10,
}

KIND_OF_ACTION: dict[Action, EventKind] = {
    d.action: kind for kind, d in DESCRIPTIONS.items() if d.action is not None
}


def kind_of(value: str) -> EventKind | None:
    """The kind of a stored event, or None for a value this version does not know."""
    try:
        return EventKind(value)
    except ValueError:
        return None
