"""The forms of the ticket page: one per workflow action, the comment, sharing, notifications.

Forms only parse what was typed (dates, numbers) and carry the ticket version; the rules
(required reason, date not in the past, allowed supplier…) are the service's, whose errors the
view puts next to the field they name (`SERVICE_FIELDS`). The one rule a form applies as well
is the visit horizon (planning.horizon_problem, on the day alone): a day such as 1 January of
year 1 cannot even become a UTC instant. Each action form has the action as its prefix
("plan-planned_date"), so that several forms on one page never share an id.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime, time

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    MultipleFileField,
    SelectField,
    TimeField,
)
from wtforms.validators import Email, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from app.core.forms import DateField, Form, IntegerField, long_text
from app.core.input import parse_id
from app.models.types import utcnow
from app.tickets import planning
from app.tickets.events import EventKind
from app.tickets.service import ActionInput, visit_horizon_days
from app.tickets.workflow import Action

TEXT_MAX = 5000
# The planning message before a date is chosen; the date and time replace the placeholders.
MESSAGE_PLACEHOLDER = _l("Bonjour,\nL’intervention est prévue le DATE à HEURE.")


class LocalTimeField(TimeField):
    """<input type=time>, with or without seconds."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%H:%M", "%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Indiquez une heure valide (par exemple 09:30)."))) from exc


def _within_horizon(field: Field, *, done: bool) -> None:
    if isinstance(field.data, date):
        today = planning.to_local(utcnow()).date()
        problem = planning.horizon_problem(field.data, today, visit_horizon_days(), done=done)
        if problem:
            raise ValidationError(problem)


def _instant(day_field: Field, time_field: Field) -> datetime | None:
    """The UTC instant of a day and a time that were parsed and accepted, or None."""
    day, at = day_field.data, time_field.data
    if isinstance(day, date) and isinstance(at, time) and not day_field.errors:
        return planning.to_utc(day, at)
    return None


def _text(label, **kw):
    return long_text(label, TEXT_MAX, **kw)


class ActionForm(Form):
    """What every action form has: the ticket version the person saw."""

    action: Action
    title: str = ""
    intro: str = ""
    version = IntegerField(widget=HiddenInput())
    # The fields the form shows, in order: a name, or a tuple of names shown side by side.
    FIELDS: tuple[str | tuple[str, ...], ...] = ()
    # Plan or reschedule: the day, the time and the message that follows them (VisitForm).
    announces_visit = False

    def values(self) -> ActionInput:
        return ActionInput()

    @property
    def recipients(self) -> list[str]:
        """Who the form warns its message goes to: its event's audience, in words."""
        kind = EventKind.of_action(self.action)
        return kind.recipient_labels if kind.description.warns_recipients else []


class VisitForm(ActionForm):
    """Plan or reschedule: the day and time of the visit, and the message that announces it."""

    planned_date = DateField(_l("Date de l’intervention"), validators=[Optional()])
    planned_time = LocalTimeField(_l("Heure"), validators=[Optional()])
    message = _text(_l("Message"))
    # The last message the page generated: while the text is still that one, it follows the date.
    generated = HiddenField()
    confirm_weekend = BooleanField(_l("Confirmer cette date"))
    SERVICE_FIELDS = {"planned_at": "planned_date"}  # noqa: RUF012
    announces_visit = True

    # Set by the view when the chosen day needs a confirmation.
    weekend_warning: str | None = None
    # The language of the school the message goes to (refresh_message), None for the page's.
    message_language: str | None = None

    def validate_planned_date(self, field):
        _within_horizon(field, done=False)

    def planned_at(self) -> datetime | None:
        return _instant(self.planned_date, self.planned_time)

    def generated_message(self) -> str:
        instant = self.planned_at()
        if instant:
            return planning.planned_message(instant, self.message_language)
        with force_locale(self.message_language) if self.message_language else nullcontext():
            return str(MESSAGE_PLACEHOLDER)

    def message_follows_date(self) -> bool:
        """True while the person has not written their own text."""
        typed = (self.message.data or "").strip()
        return not typed or typed == (self.generated.data or "").strip()

    def refresh_message(self, language: str | None = None) -> None:
        """The generated text for the chosen date, unless the person wrote their own, in
        `language`: the school's, who reads it."""
        self.message_language = language
        if self.message_follows_date():
            self.message.data = self.generated_message()
        self.generated.data = self.generated_message()

    def values(self) -> ActionInput:
        # An untouched message (or one still showing the placeholder) is written by the service
        # from the chosen date: "" asks for that.
        message = "" if self.message_follows_date() else (self.message.data or "").strip()
        return ActionInput(planned_at=self.planned_at(), message=message)


class PlanForm(VisitForm):
    action = Action.PLAN
    title = _l("Intervention en cours")
    intro = _l(
        "Indiquez la date et l’heure de la visite. Le message suit la date choisie ; "
        "ajoutez toute autre information utile."
    )


class RescheduleForm(VisitForm):
    action = Action.RESCHEDULE
    title = _l("Replanifier l’intervention")
    intro = _l("La nouvelle date et l’heure de la visite, et le message qui l’annonce.")


_PHOTOS_KW = {"accept": "image/*"}


class FinishForm(ActionForm):
    action = Action.FINISH
    title = _l("Intervention terminée")
    intro = _l(
        "Indiquez un bref résumé des actions entreprises durant l’intervention. "
        "L’école sera invitée à l’approuver."
    )
    summary = _text(_l("Résumé de l’intervention"))
    photos = MultipleFileField(_l("Photos (facultatif)"), render_kw=_PHOTOS_KW)
    FIELDS = ("summary", "photos")
    SERVICE_FIELDS = {"attachments": "photos"}  # noqa: RUF012

    def values(self) -> ActionInput:
        return ActionInput(summary=self.summary.data or "")


class ResolveForm(ActionForm):
    action = Action.RESOLVE
    title = _l("Résolue par l’équipe EN")
    intro = _l(
        "Ce qui a été répondu ou fait, sans intervention d’un fournisseur. "
        "L’école sera invitée à l’approuver."
    )
    summary = _text(_l("Réponse ou solution"))
    first_contact = BooleanField(_l("Résolue au premier contact (pendant l’appel ou l’échange)"))
    FIELDS = ("summary", "first_contact")

    def values(self) -> ActionInput:
        return ActionInput(
            summary=self.summary.data or "", first_contact=bool(self.first_contact.data)
        )


class FinishOnSpotForm(ActionForm):
    action = Action.FINISH_ON_SPOT
    title = _l("Intervention réalisée sur place")
    intro = _l(
        "Une visite déjà faite sans avoir été planifiée ici : quand elle a eu lieu et ce qui a "
        "été fait. L’école sera invitée à l’approuver."
    )
    visited_date = DateField(_l("Date de la visite"), validators=[Optional()])
    visited_time = LocalTimeField(_l("Heure de la visite"), validators=[Optional()])
    summary = _text(_l("Résumé de l’intervention"))
    photos = MultipleFileField(_l("Photos (facultatif)"), render_kw=_PHOTOS_KW)
    FIELDS = (("visited_date", "visited_time"), "summary", "photos")
    SERVICE_FIELDS = {"visited_at": "visited_date", "attachments": "photos"}  # noqa: RUF012

    def validate_visited_date(self, field):
        _within_horizon(field, done=True)

    def values(self) -> ActionInput:
        visited_at = _instant(self.visited_date, self.visited_time)
        return ActionInput(visited_at=visited_at, summary=self.summary.data or "")


class ApproveForm(ActionForm):
    action = Action.APPROVE
    title = _l("Approuver")
    intro = _l("Le problème est résolu : la demande sera fermée.")
    message = _text(_l("Commentaire (facultatif)"))
    FIELDS = ("message",)

    def values(self) -> ActionInput:
        return ActionInput(message=self.message.data or "")


class _ReasonForm(ActionForm):
    reason = _text(_l("Raison"))
    FIELDS = ("reason",)

    def values(self) -> ActionInput:
        return ActionInput(reason=self.reason.data or "")


class ReopenForm(_ReasonForm):
    action = Action.REOPEN
    title = _l("Rouvrir")
    intro = _l(
        "Le problème n’est pas résolu : la procédure recommence depuis le début "
        "(planification, intervention, approbation)."
    )
    reason = _text(_l("Pourquoi le problème n’est-il pas résolu ?"))


class SendBackForm(_ReasonForm):
    action = Action.SEND_BACK
    title = _l("Renvoyer à l’EN")
    intro = _l(
        "Le matériel n’est pas le vôtre ou le diagnostic ne correspond pas : la demande revient "
        "à l’équipe EN, sans fournisseur."
    )
    reason = _text(_l("Pourquoi cette demande ne vous concerne-t-elle pas ?"))


class CancelForm(_ReasonForm):
    action = Action.CANCEL
    title = _l("Annuler la demande")
    intro = _l(
        "La demande sera fermée sans intervention ; le fournisseur et l’école sont prévenus."
    )
    reason = _text(_l("Pourquoi annuler cette demande ?"))


class ReassignSupplierForm(ActionForm):
    action = Action.REASSIGN_SUPPLIER
    title = _l("Changer de fournisseur")
    intro = _l("La demande revient à l’état OUVERT chez le nouveau fournisseur.")
    supplier_id = SelectField(
        _l("Nouveau fournisseur"), choices=[], coerce=parse_id, validate_choice=False
    )
    reason = _text(_l("Commentaire (facultatif)"))
    FIELDS = ("supplier_id", "reason")

    def values(self) -> ActionInput:
        return ActionInput(supplier_id=self.supplier_id.data, reason=self.reason.data or "")


class AssignTechnicianForm(ActionForm):
    action = Action.ASSIGN_TECHNICIAN
    title = _l("Confier à un·e technicien·ne")
    intro = _l("La personne choisie reçoit les messages de cette demande.")
    technician_id = SelectField(
        _l("Technicien·ne"), choices=[], coerce=parse_id, validate_choice=False
    )
    FIELDS = ("technician_id",)

    def values(self) -> ActionInput:
        return ActionInput(technician_id=self.technician_id.data)


class ChangeAssigneeForm(ActionForm):
    action = Action.CHANGE_ASSIGNEE
    title = _l("Changer de responsable")
    intro = _l("La personne choisie devient responsable de la demande.")
    assignee_id = SelectField(
        _l("Assistant·e responsable"), choices=[], coerce=parse_id, validate_choice=False
    )
    FIELDS = ("assignee_id",)

    def values(self) -> ActionInput:
        return ActionInput(assignee_id=self.assignee_id.data)


ACTION_FORMS: dict[Action, type[ActionForm]] = {
    form.action: form
    for form in (
        PlanForm,
        RescheduleForm,
        FinishForm,
        FinishOnSpotForm,
        ResolveForm,
        ApproveForm,
        ReopenForm,
        SendBackForm,
        ReassignSupplierForm,
        CancelForm,
        AssignTechnicianForm,
        ChangeAssigneeForm,
    )
}


def _choices(placeholder, options: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return [("", placeholder)] + [(str(value), label) for value, label in options]


def fill_choices(form: ActionForm, options: list[tuple[int, str]]) -> None:
    """The select of a reassignment, a technician or an assistant in charge."""
    if isinstance(form, ReassignSupplierForm):
        form.supplier_id.choices = _choices(_l("Choisissez un fournisseur"), options)
    elif isinstance(form, AssignTechnicianForm):
        form.technician_id.choices = _choices(_l("Choisissez une personne"), options)
    elif isinstance(form, ChangeAssigneeForm):
        form.assignee_id.choices = _choices(_l("Choisissez une personne"), options)


# ------------------------------------------------------------------ the other forms of the page


class CommentForm(Form):
    SERVICE_FIELDS = {"attachments": "files"}  # noqa: RUF012
    body = _text(_l("Ajoutez un commentaire"))
    internal = BooleanField(_l("Interne (équipe EN)"))
    files = MultipleFileField(_l("Pièces jointes (facultatif)"))


class ShareForm(Form):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            Optional(),
            Length(max=254, message=_l("%(max)d caractères au maximum.")),
            Email(message=_l("Indiquez une adresse e-mail valide.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


class NotificationsForm(Form):
    # "1" switches them on, "0" off: the button says which.
    on = HiddenField()

    @property
    def wanted(self) -> bool | None:
        return {"1": True, "0": False}.get(self.on.data or "")
