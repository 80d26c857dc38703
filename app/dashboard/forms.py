"""The dashboard's period and grouping (GET, no CSRF: they change nothing)."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from app.core.forms import DateField, QueryForm
from app.dashboard.figures import Period

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366


class PeriodForm(QueryForm):
    du = DateField(_l("Du"), validators=[Optional()])
    au = DateField(_l("Au"), validators=[Optional()])
    groupe = SelectField(
        _l("Regrouper par"),
        choices=[("fournisseur", _l("Fournisseur")), ("lot", _l("Lot de matériel"))],
        default="fournisseur",
        validate_choice=False,
    )

    def period(self, today: date) -> tuple[Period, list[str]]:
        """The chosen period, or the last 90 days with the reasons why not."""
        default = Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
        self.validate()
        errors = [str(e) for field in (self.du, self.au) for e in field.errors]
        if errors:
            return default, [str(_l("Date illisible : utilisez le format JJ/MM/AAAA."))]
        start = self.du.data or default.start
        end = self.au.data or (today if self.du.data else default.end)
        if end < start:
            return default, [str(_l("La date de fin précède la date de début."))]
        if (end - start).days >= MAX_DAYS:
            return default, [str(_l("Choisissez une période de trois ans au plus."))]
        # The fields show the period used, also when it came from the defaults.
        self.du.data, self.au.data = start, end
        return Period(start, end), []

    @property
    def group(self) -> str:
        return "lot" if self.groupe.data == "lot" else "supplier"
