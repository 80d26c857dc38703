"""Forms of the calendar pages: a school holiday period, an .ics import, a supplier's switch, a
site's school calendar."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.validators import AnyOf, Optional

from app.admin.forms import SelectChoice  # WTForms 3.3's choices, a tuple before
from app.core.forms import DateField, Form
from app.sla.calendar import SCHOOL_CALENDARS
from app.sla.holidays import NAME_MAX

CALENDAR_CODES = list(SCHOOL_CALENDARS)
UNKNOWN_CALENDAR = _l("Choisissez un calendrier scolaire de la liste.")


class HolidayForm(Form):
    # Checked by app.sla.holidays (one set of rules and messages for the form and the import).
    # Empty: the FWB's calendar.
    calendar = HiddenField(validators=[Optional(), AnyOf(CALENDAR_CODES, message=UNKNOWN_CALENDAR)])
    name = StringField(
        _l("Nom de la période"), validators=[Optional()], render_kw={"maxlength": NAME_MAX}
    )
    starts_on = DateField(_l("Premier jour de congé"), validators=[Optional()])
    ends_on = DateField(_l("Dernier jour de congé"), validators=[Optional()])


class ImportForm(Form):
    calendar = HiddenField(validators=[Optional(), AnyOf(CALENDAR_CODES, message=UNKNOWN_CALENDAR)])
    file = FileField(_l("Fichier iCalendar (.ics)"), render_kw={"accept": ".ics,text/calendar"})


class FollowsForm(Form):
    follows = BooleanField(_l("Les congés scolaires comptent comme jours de fermeture"))


class SiteCalendarForm(Form):
    school_calendar = RadioField(
        _l("Calendrier scolaire de l’implantation"),
        choices=[SelectChoice(value=c.code, label=c.name) for c in SCHOOL_CALENDARS.values()],
        validators=[AnyOf(CALENDAR_CODES, message=UNKNOWN_CALENDAR)],
        validate_choice=False,  # AnyOf gives the French message
    )
