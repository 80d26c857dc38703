"""The forms of the ticket frame (docs/domain.md): the one that opens a ticket (an assistant or
an admin) and the one that corrects it (« Modifier »), sharing the frame's fields.

The form parses and checks each field on its own (required, lengths, phone number, e-mail);
what needs the database (which site, which device, duplicates) is looked up by the view through
app.tickets.creation, and the service has the last word.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from app.core.forms import Form
from app.core.input import parse_id
from app.tickets import phones
from app.tickets.attachments import ACCEPT

SUPPLIER_AUTO = "auto"  # the device's supplier, when the inventory knows it
SUPPLIER_NONE = "none"


def _strip(value):
    # One-line fields are stripped by the input layer (app.core.forms); a text area keeps its
    # inner lines, not the blank ones around them.
    return value.strip() if isinstance(value, str) else value


class TicketFrameForm(Form):
    """The frame's fields: school site, contact, device, request type, summary, description."""

    # The service names a field by its own name; the form shows the error under its field.
    SERVICE_FIELDS = {  # noqa: RUF012
        "request_type_id": "request_type",
        "site_id": "site",
        "supplier_id": "supplier",
        "assignee_id": "assignee",
    }

    # A request the EN team handles itself (a question, a project) may name no device: the view
    # says so from the chosen request type before validating.
    device_optional = False

    # The school site: typed (FI, FE, name…), then picked among the suggestions.
    site = StringField(
        _l("Implantation scolaire"),
        validators=[
            DataRequired(_l("Indiquez l’implantation : son numéro FI ou FE, ou son nom.")),
            Length(max=300, message=_l("300 caractères au maximum.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "type": "search"},
    )

    contact_name = StringField(
        _l("Personne de contact"),
        validators=[
            DataRequired(_l("Indiquez le nom de la personne de contact.")),
            Length(max=120, message=_l("120 caractères au maximum.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    contact_phone = TelField(
        _l("Numéro de téléphone"),
        validators=[
            DataRequired(_l("Indiquez le numéro de téléphone de la personne de contact.")),
            Length(max=40, message=_l("40 caractères au maximum.")),
        ],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    contact_email = EmailField(
        _l("Adresse e-mail (facultatif)"),
        validators=[
            Optional(),
            Email(_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
            Length(max=254, message=_l("254 caractères au maximum.")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )

    equipment_label = StringField(
        _l("Étiquette"),
        # No Optional(): it would stop the chain before validate_equipment_serial.
        validators=[Length(max=64, message=_l("64 caractères au maximum."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    equipment_serial = StringField(
        _l("Numéro de série"),
        # No Optional(): it would stop the chain before validate_equipment_serial.
        validators=[Length(max=64, message=_l("64 caractères au maximum."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    equipment_description = StringField(
        _l("Matériel (lot et modèle)"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au maximum."))],
        render_kw={"autocomplete": "off"},
    )

    request_type = SelectField(
        _l("Type de demande"),
        coerce=parse_id,
        validate_choice=False,
        validators=[DataRequired(_l("Choisissez un type de demande."))],
    )
    summary = StringField(
        _l("Résumé"),
        validators=[
            DataRequired(_l("Résumez le problème en une ligne.")),
            Length(max=255, message=_l("255 caractères au maximum.")),
        ],
    )
    description = TextAreaField(
        _l("Description (diagnostic)"),
        validators=[
            DataRequired(_l("Décrivez le diagnostic réalisé.")),
            Length(max=10000, message=_l("10 000 caractères au maximum.")),
        ],
        filters=[_strip],
        render_kw={"rows": 6},
    )

    def __init__(self, *args, request_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type.choices = [SelectChoice(value=0, label=_l("— Choisir —"))] + [
            SelectChoice(value=t.id, label=str(t.label), optgroup=group)
            for group, types in request_types
            for t in types
        ]
        self.site.render_kw = {
            **self.site.render_kw,
            "hx-get": url_for("tickets.site_suggestions"),
            "hx-trigger": "input changed delay:300ms, search",
            "hx-target": "#site-suggestions",
            "hx-sync": "this:replace",
        }
        self.phone_e164 = ""

    def validate_contact_phone(self, field):
        try:
            self.phone_e164 = phones.normalise(field.data or "")
        except phones.InvalidPhone as exc:
            raise ValidationError(
                _l(
                    "Ce numéro n’est pas un numéro de téléphone : écrivez-le par exemple "
                    "0123/456789, 081 12 34 56, 0471 12 34 56 ou +32 81 12 34 56."
                )
            ) from exc

    def validate_equipment_serial(self, field):
        if not (self.device_optional or self.equipment_label.data or field.data):
            raise ValidationError(_l("Indiquez l’étiquette ou le numéro de série du matériel."))


class NewTicketForm(TicketFrameForm):
    supplier = SelectField(_l("Fournisseur"), default=SUPPLIER_AUTO, validate_choice=False)
    assignee = SelectField(_l("Assistant·e responsable"), coerce=parse_id, validate_choice=False)
    attachments = MultipleFileField(
        _l("Pièces jointes (facultatif)"),
        render_kw={"accept": ACCEPT, "multiple": True},
    )
    confirm = BooleanField(_l("Créer quand même"), default=False)

    def __init__(self, *args, suppliers=(), staff=(), actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.supplier.choices = [
            SelectChoice(value=SUPPLIER_AUTO, label=_l("Celui du matériel (selon l’inventaire)")),
            SelectChoice(value=SUPPLIER_NONE, label=_l("— Aucun pour l’instant —")),
        ] + [SelectChoice(value=str(s.id), label=s.name) for s in suppliers]
        self.assignee.choices = [SelectChoice(value=u.id, label=u.full_name) for u in staff]
        if actor is not None and not self.assignee.data:
            self.assignee.data = actor.id
        lookup = {
            "hx-get": url_for("tickets.equipment_lookup"),
            "hx-trigger": "input changed delay:400ms",
            "hx-target": "#equipment-result",
            "hx-include": "#equipment_label, #equipment_serial, #site",
            "hx-sync": "closest fieldset:replace",
        }
        self.equipment_label.render_kw = {**self.equipment_label.render_kw, **lookup}
        self.equipment_serial.render_kw = {**self.equipment_serial.render_kw, **lookup}

    def supplier_choice(self) -> str | int:
        """SUPPLIER_AUTO, SUPPLIER_NONE or a supplier id among those offered."""
        value = self.supplier.data or SUPPLIER_AUTO
        if value in (SUPPLIER_AUTO, SUPPLIER_NONE):
            return value
        return parse_id(value) or SUPPLIER_AUTO


class EditTicketForm(TicketFrameForm):
    """« Modifier »: the frame as it is, corrected; it carries the ticket version the person saw
    (a different one when it is sent: someone changed the ticket in between, 409)."""

    version = IntegerField(widget=HiddenInput())

    @classmethod
    def of(cls, ticket, request_types) -> EditTicketForm:
        """The form filled with the ticket as it is now."""
        form = cls(formdata=None, request_types=request_types, version=ticket.version)
        form.site.data = ticket.site.label
        form.contact_name.data = ticket.contact_name
        form.contact_phone.data = (
            phones.display(ticket.contact_phone) if ticket.contact_phone else ""
        )
        form.contact_email.data = ticket.contact_email
        form.equipment_label.data = ticket.equipment_label
        form.equipment_serial.data = ticket.equipment_serial
        form.equipment_description.data = ticket.equipment_description
        form.request_type.data = ticket.request_type_id
        form.summary.data = ticket.summary
        form.description.data = ticket.description
        return form
