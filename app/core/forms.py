"""Form pieces every area shares, starting with the base every form derives from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import DateField as _DateField
from wtforms import EmailField, FileField, HiddenField, PasswordField, SelectField, TextAreaField
from wtforms import IntegerField as _IntegerField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.input import clean_text, parse_int
from app.core.locales import DEFAULT, LANGUAGES, NAMES


def long_text(label, max_length: int, **kw) -> TextAreaField:
    """An optional text area of at most `max_length` characters (a comment, a reason…)."""
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=max_length, message=_l("%(max)d caractères au maximum.")),
        ],
        **kw,
    )


def email_field(required: str, *, autocomplete: str) -> EmailField:
    """« Adresse e-mail »: required (`required` says so), well formed, 254 characters at most,
    typed without the phone's capitals and spelling help."""
    return EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(required),
            Email(_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": autocomplete, "autocapitalize": "none", "spellcheck": "false"},
    )


TEXT_EXPECTED = _l("Ce champ attend du texte, pas un fichier.")
FILE_EXPECTED = _l("Ce champ attend un fichier.")


def _shape(field) -> str:
    """How a field takes its text: "file", "as-typed" (passwords), "lines" or "line"."""
    if isinstance(field, FileField):
        return "file"
    if isinstance(field, PasswordField):
        return "as-typed"
    # A hidden field carries what the page wrote (a generated visit message keeps its lines).
    if isinstance(field, TextAreaField | HiddenField):
        return "lines"
    return "line"


def sort_parts(form, formdata) -> tuple[MultiDict, dict[str, object]]:
    """The values each field may take, shaped for it, and the fields sent the wrong kind of part.

    The request already cleaned every text (app.core.input.CleanRequest); this part needs the
    fields: one-line text loses its line breaks, and a file part never reaches a text field (nor
    text a file field), where WTForms and the views would take it for what it is not."""
    shapes = {field.name: _shape(field) for field in form}
    kept, misplaced = MultiDict(), {}
    for key, value in formdata.items(multi=True):
        shape = shapes.get(key)
        if shape is None:  # not a field of this form: left alone
            kept.add(key, value)
        elif shape == "file":
            if isinstance(value, FileStorage):
                kept.add(key, value)
            else:
                misplaced[key] = FILE_EXPECTED
        elif isinstance(value, str):
            if shape != "as-typed":
                value = clean_text(value, multiline=shape == "lines")
            kept.add(key, value)
        else:  # a file part, or a JSON list or number
            misplaced[key] = TEXT_EXPECTED
    return kept, misplaced


class Form(FlaskForm):
    """The base of every form (CSRF-protected): Relais' input rules apply to each field.

    A base class (and its Meta) rather than a filter on each field: a field added tomorrow
    follows the rules without anyone writing them again (tests check every form derives from it).
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            form.misplaced_parts = {}
            if formdata is None:
                return None
            formdata, form.misplaced_parts = sort_parts(form, formdata)
            return formdata

    misplaced_parts: dict[str, object]
    # The names a service gives its errors (e.g. TicketError.field) → this form's field for them.
    SERVICE_FIELDS: ClassVar[Mapping[str, str]] = {}

    def add_error(self, name: str | None, message, *, default: str | None = None) -> None:
        """Put an error (a service's or a look-up's) under the field it names, else under
        `default`, else above the form."""
        for candidate in (self.SERVICE_FIELDS.get(name or "", name), default):
            if candidate and candidate in self:
                field = self[candidate]
                field.errors = [*field.errors, message]
                return
        self.form_errors.append(message)

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            message = self.misplaced_parts.get(field.name)
            if message is not None:
                field.errors = [*field.errors, message]
                valid = False
        return valid


class QueryForm(Form):
    """A form read from the query string (searches, filters): GET, no CSRF, it changes nothing."""

    class Meta:
        csrf = False


class IntegerField(_IntegerField):
    """A whole number in ASCII digits, 0 to app.core.input.MAX_ID (int() reads « ٣ » as 3)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = parse_int(valuelist[0], minimum=0)
            if self.data is None:
                raise ValueError(str(_l("Indiquez un nombre entier.")))


# Days a person may mean; beyond them the date arithmetic of plans and figures overflows.
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2999, 12, 31)


class DateField(_DateField):
    """<input type=date>: a real day between MIN_DATE and MAX_DATE, or a French message."""

    def process_formdata(self, valuelist):
        message = str(_l("Indiquez une date valide (jour, mois, année)."))
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(message) from exc
        if self.data is not None and not MIN_DATE <= self.data <= MAX_DATE:
            self.data = None
            raise ValueError(message)


def language_field(label) -> SelectField:
    """The choice of a language, each named in itself; any other value is refused by WTForms."""
    try:  # WTForms 3.3 deprecates (value, label) tuples
        from wtforms import SelectChoice
    except ImportError:  # pragma: no cover - older WTForms
        return SelectField(label, choices=[(c, NAMES[c]) for c in LANGUAGES], default=DEFAULT)
    choices = [SelectChoice(value=code, label=NAMES[code]) for code in LANGUAGES]
    return SelectField(label, choices=choices, default=DEFAULT)


class EmptyForm(Form):
    """A one-button POST (logout, deactivate…): only the CSRF token."""


def safe_next(target: str | None) -> str | None:
    """Accept `next` only as a local path: no scheme, no host, no protocol-relative trick."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
