"""Forms of the calendar pages: a school holiday period, an .ics import, a supplier's switch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import Optional

from app.sla.holidays import NAME_MAX


class FrenchDateField(DateField):
    """<input type=date>; a clear French message for what is not a date."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Indiquez une date valide (jour, mois, année)."))) from exc


class HolidayForm(FlaskForm):
    # Checked by app.sla.holidays (one set of rules and messages for the form and the import).
    name = StringField(
        _l("Nom de la période"), validators=[Optional()], render_kw={"maxlength": NAME_MAX}
    )
    starts_on = FrenchDateField(_l("Premier jour de congé"), validators=[Optional()])
    ends_on = FrenchDateField(_l("Dernier jour de congé"), validators=[Optional()])


class ImportForm(FlaskForm):
    file = FileField(_l("Fichier iCalendar (.ics)"), render_kw={"accept": ".ics,text/calendar"})


class FollowsForm(FlaskForm):
    follows = BooleanField(_l("Les congés scolaires comptent comme jours de fermeture"))
