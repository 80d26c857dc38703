"""Forms of the agenda page: make the feed's link, and replace it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.validators import DataRequired

from app.core.forms import Form


class CreateLinkForm(Form):
    """One button: only the CSRF token."""


class RegenerateForm(Form):
    confirm = BooleanField(
        _l("Je comprends que l’ancien lien cessera de fonctionner"),
        validators=[
            DataRequired(
                message=_l(
                    "Cochez la case pour confirmer : les agendas abonnés avec l’ancien lien "
                    "ne seront plus mis à jour."
                )
            )
        ],
    )
