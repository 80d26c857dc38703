"""Directory forms: the searches (query strings) and the supplier's contact."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SearchField, SelectField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.core.forms import Form, QueryForm
from app.core.input import parse_id
from app.directory.queries import MAX_QUERY


class SchoolSearchForm(QueryForm):
    q = SearchField(
        _l("Rechercher une école"),
        validators=[Optional(), Length(max=MAX_QUERY)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": MAX_QUERY},
    )


class EquipmentSearchForm(QueryForm):
    q = SearchField(
        _l("Rechercher du matériel"),
        validators=[Optional(), Length(max=MAX_QUERY)],
        render_kw={
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "characters",
            "maxlength": MAX_QUERY,
        },
    )
    lot = SelectField(_l("Lot"), choices=[], validate_choice=False)
    fournisseur = SelectField(_l("Fournisseur"), choices=[], coerce=parse_id, validate_choice=False)

    def fill_choices(self, lots: list[str], suppliers: list[tuple[int, str]]) -> None:
        self.lot.choices = [("", _l("Tous les lots"))] + [(lot, lot) for lot in lots]
        self.fournisseur.choices = [("", _l("Tous les fournisseurs"))] + [
            (str(sid), name) for sid, name in suppliers
        ]


# Belgian numbers as people write them: "081 23 45 67", "0123/456789", "+32 81 23 45 67".
PHONE_PATTERN = r"^\+?[0-9][0-9 ./()-]{5,30}$"


class SupplierContactForm(Form):
    reference_email = EmailField(
        _l("Adresse e-mail de référence"),
        validators=[
            DataRequired(_l("Indiquez l’adresse e-mail de référence.")),
            Length(
                max=254, message=_l("L’adresse e-mail est trop longue (254 caractères au plus).")
            ),
            Email(_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"},
    )
    phone = TelField(
        _l("Téléphone (facultatif)"),
        validators=[
            Optional(),
            Length(max=32, message=_l("Le numéro est trop long (32 caractères au plus).")),
            Regexp(
                PHONE_PATTERN,
                message=_l("Ce numéro de téléphone n’est pas valide (exemple : 081 23 45 67)."),
            ),
        ],
        render_kw={"autocomplete": "tel"},
    )
