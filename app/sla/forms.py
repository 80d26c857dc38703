"""Forms of the calendar pages: a school holiday period, an .ics import, a supplier's switch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from app.core.forms import DateField, Form
from app.sla.holidays import NAME_MAX


class HolidayForm(Form):
    # Checked by app.sla.holidays (one set of rules and messages for the form and the import).
    name = StringField(
        _l("Nom de la période"), validators=[Optional()], render_kw={"maxlength": NAME_MAX}
    )
    starts_on = DateField(_l("Premier jour de congé"), validators=[Optional()])
    ends_on = DateField(_l("Dernier jour de congé"), validators=[Optional()])


class ImportForm(Form):
    file = FileField(_l("Fichier iCalendar (.ics)"), render_kw={"accept": ".ics,text/calendar"})


class FollowsForm(Form):
    follows = BooleanField(_l("Les congés scolaires comptent comme jours de fermeture"))
