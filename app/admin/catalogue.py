"""« Catalogue » (/admin/catalogue): the portal's categories and request types, their names and
descriptions in French and German side by side, one form per row.

Admins only. The rule (what a name may be) lives in app.directory.catalogue.rename; these views
load the row, validate the form, call it and answer.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from app.admin.views import bp
from app.auth.access import admin_required
from app.core.forms import Form
from app.directory.catalogue import Names, NameTaken, rename
from app.extensions import db
from app.models import PortalCategory, RequestType

KINDS = {"categorie": PortalCategory, "type": RequestType}


def _text(label, limit: int, *, required: bool = False, lang: str = "fr") -> StringField:
    too_long = _l("%(n)s caractères au maximum.", n=limit)
    first = DataRequired(_l("Le nom en français est obligatoire.")) if required else Optional()
    return StringField(
        label,
        validators=[first, Length(max=limit, message=too_long)],
        render_kw={"lang": lang, "autocomplete": "off"},
    )


class NamesForm(Form):
    name = _text(_l("Nom en français"), 120, required=True)
    name_de = _text(_l("Nom en allemand"), 120, lang="de")
    description = _text(_l("Description en français"), 500)
    description_de = _text(_l("Description en allemand"), 500, lang="de")


def _prefix(kind: str, row) -> str:
    return f"{kind}-{row.id}"


def _form_for(kind: str, row, bound: tuple | None = None) -> NamesForm:
    """The row's form: the one just posted when it is this row, else filled from the row."""
    if bound and bound[0] == (kind, row.id):
        return bound[1]
    return NamesForm(formdata=None, prefix=_prefix(kind, row), obj=row)


def _page(bound: tuple | None = None, status: int = 200):
    categories = db.session.scalars(
        select(PortalCategory)
        .options(selectinload(PortalCategory.request_types))
        .order_by(PortalCategory.position, PortalCategory.name, PortalCategory.id)
    ).all()
    rows = [
        (
            category,
            _form_for("categorie", category, bound),
            [(t, _form_for("type", t, bound)) for t in category.request_types],
        )
        for category in categories
    ]
    return render_template("admin/catalogue.html", rows=rows), status


@bp.route("/catalogue")
@admin_required
def catalogue():
    return _page()


@bp.route("/catalogue/<any(categorie, type):kind>/<int:row_id>", methods=["POST"])
@admin_required
def catalogue_names(kind: str, row_id: int):
    row = db.session.get(KINDS[kind], row_id)
    if row is None:
        abort(404)
    form = NamesForm(prefix=_prefix(kind, row))
    if form.validate_on_submit():
        names = Names(
            name=form.name.data or "",
            name_de=form.name_de.data or "",
            description=form.description.data or "",
            description_de=form.description_de.data or "",
        )
        try:
            changed = rename(row, names)
        except NameTaken as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            if changed:
                flash(_("« %(name)s » : noms enregistrés.", name=row.name), "success")
            else:
                flash(_("Aucun changement."), "info")
            anchor = _prefix(kind, row)
            return redirect(url_for("admin.catalogue", _anchor=anchor), code=303)
    return _page(bound=((kind, row_id), form), status=422)
