"""Administration forms: invite a person, search the accounts."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.auth.roles import roles_invitable_by
from app.core.forms import Form, QueryForm, email_field, language_field
from app.core.input import parse_id
from app.models import ROLE_VALUES, Role

try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms

    def SelectChoice(value, label):
        return (value, label)


INVITE_ORDER = (Role.SUPPLIER, Role.TEACHER, Role.ASSISTANT, Role.COORDINATOR, Role.ADMIN)


def _choices(pairs) -> list:
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class InviteForm(Form):
    email = email_field(_l("Indiquez l’adresse e-mail de la personne."), autocomplete="off")
    full_name = StringField(
        _l("Nom complet (facultatif)"),
        validators=[Optional(), Length(max=120, message=_l("120 caractères au maximum."))],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Rôle"), validators=[DataRequired(_l("Choisissez un rôle."))])
    supplier = SelectField(_l("Société"), coerce=parse_id, validate_choice=False, default=0)
    site = StringField(
        _l("Implantation"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    language = language_field(_l("Langue de l’invitation"))

    def __init__(self, *args, actor_role: str, suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Most invitations are for suppliers, then teachers: those come first.
        invitable = roles_invitable_by(actor_role)
        self.offered = [(r.value, r.label) for r in INVITE_ORDER if r in invitable]
        self.role.choices = _choices(self.offered)
        if len(self.offered) == 1 and not self.role.data:
            self.role.data = self.offered[0][0]
        self.supplier.choices = _choices(
            [(0, _l("— Choisir la société —"))] + [(s.id, s.name) for s in suppliers]
        )
        # With htmx, typing in the site field lists matching sites to pick from.
        self.site.render_kw = {
            **(self.site.render_kw or {}),
            "hx-get": url_for("admin.site_suggestions"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#site-suggestions",
            "hx-sync": "this:replace",
        }

    @property
    def offers(self) -> set[str]:
        return {value for value, _label in self.offered}

    @property
    def asks_supplier(self) -> bool:
        """The company field, shown when a supplier's account may be invited."""
        return Role.SUPPLIER in self.offers

    @property
    def asks_site(self) -> bool:
        """The site field, shown when a teacher's account may be invited."""
        return Role.TEACHER in self.offers


class UserSearchForm(QueryForm):
    """The filters above the list of accounts."""

    q = StringField(
        _l("Nom ou adresse e-mail"), validators=[Optional(), Length(max=120)], default=""
    )
    role = SelectField(
        _l("Rôle"),
        choices=_choices([("", _l("Tous les rôles"))] + [(r.value, r.label) for r in Role]),
        validators=[Optional()],
        default="",
    )
    status = SelectField(
        _l("État"),
        choices=_choices(
            [("", _l("Tous")), ("actif", _l("Actifs")), ("inactif", _l("Désactivés"))]
        ),
        validators=[Optional()],
        default="",
    )

    def filters(self) -> dict:
        role = self.role.data if self.role.data in ROLE_VALUES else ""
        status = self.status.data if self.status.data in ("actif", "inactif") else ""
        return {"q": (self.q.data or "").strip()[:120], "role": role, "status": status}
