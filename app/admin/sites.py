"""« Implantation » (/admin/implantations/…): add a site the FWB file does not list (a school of
the German-speaking Community), or correct one.

Admins only. The rules (what a site's values may be, how it is found and numbered) live in
app.directory.sites; these views validate the form, call it and answer.
"""

from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.admin.views import bp
from app.auth.access import admin_required
from app.core.forms import Form
from app.directory import sites
from app.extensions import db
from app.models import Site
from app.sla.calendar import SCHOOL_CALENDARS

try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms

    def SelectChoice(value, label):
        return (value, label)


def _text(label, limit: int, required: str | None = None, **render_kw) -> StringField:
    first = DataRequired(required) if required else Optional()
    too_long = _l("%(n)s caractères au maximum.", n=limit)
    return StringField(
        label, validators=[first, Length(max=limit, message=too_long)], render_kw=render_kw
    )


class SiteForm(Form):
    name = _text(
        _l("Nom de l’établissement"), 255, _l("Le nom de l’établissement est obligatoire.")
    )
    network = _text(_l("Réseau (facultatif)"), 120)
    address = _text(_l("Adresse"), 255, _l("L’adresse est obligatoire."))
    postal_code = _text(
        _l("Code postal"), 10, _l("Le code postal est obligatoire."), inputmode="numeric"
    )
    locality = _text(_l("Localité"), 120, _l("La localité est obligatoire."))
    community = RadioField(
        _l("Communauté"),
        choices=[
            SelectChoice(value="de", label=_l("Communauté germanophone")),
            SelectChoice(value="fr", label=_l("Fédération Wallonie-Bruxelles")),
        ],
        default="de",
        validate_choice=False,  # app.directory.sites.problems gives the French message
    )
    school_calendar = SelectField(
        _l("Calendrier scolaire"),
        choices=[SelectChoice(value="", label=_l("Celui de la communauté"))]
        + [SelectChoice(value=c.code, label=c.name) for c in SCHOOL_CALENDARS.values()],
        default="",
        validate_choice=False,
    )
    teaching = _text(_l("Enseignement (facultatif)"), 500)
    fe = _text(_l("N° FASE de l’établissement (FE, facultatif)"), 9, inputmode="numeric")
    fi = _text(_l("N° FASE de l’implantation (FI, facultatif)"), 9, inputmode="numeric")


def _values(form: SiteForm, base: sites.SiteValues | None) -> sites.SiteValues:
    typed = {
        "name": form.name.data or "",
        "network": form.network.data or "",
        "address": form.address.data or "",
        "postal_code": form.postal_code.data or "",
        "locality": form.locality.data or "",
        "community": form.community.data or "",
        "school_calendar": form.school_calendar.data or "",
        "teaching": form.teaching.data or "",
    }
    if base is not None:  # a correction keeps the site's numbers and coordinates
        return replace(base, **typed)
    numbers = {
        "fe": sites.parse_number(form.fe.data or ""),
        "fi": sites.parse_number(form.fi.data or ""),
    }
    return sites.SiteValues(**typed, **numbers)


def _save(form: SiteForm, site: Site | None):
    """Check and save; None, with the form's field errors filled, when refused. Every rule is
    checked at once, so that one answer names every field to correct."""
    if not form.is_submitted():
        return None
    valid = form.validate()
    values = _values(form, sites.values_of(site) if site else None)
    found = sites.problems(values)
    if site is None and valid and not found and sites.find_site(values) is not None:
        found = [("name", _("Cette implantation existe déjà : corrigez-la depuis sa page."))]
    for attr, message in found:
        errors = getattr(form, attr, form.name).errors
        if message not in [str(e) for e in errors]:
            errors.append(message)
    if found or not valid:
        return None
    try:
        saved, outcome = sites.save_site(values, site)
        db.session.commit()
    except IntegrityError:
        # Another admin saved the same site, or took the same Relais number, a moment before.
        db.session.rollback()
        form.name.errors.append(
            _("Cette implantation vient d’être enregistrée par ailleurs : rechargez la page.")
        )
        return None
    return saved, outcome


def _answer(form: SiteForm, site: Site | None):
    result = _save(form, site)
    if result is None:
        status = 422 if form.is_submitted() else 200
        return render_template("admin/site.html", form=form, site=site), status
    saved, outcome = result
    if outcome == "created":
        flash(_("Implantation ajoutée : %(label)s", label=saved.label), "success")
    elif outcome == "updated":
        flash(_("Implantation corrigée : %(label)s", label=saved.label), "success")
    else:
        flash(_("Aucun changement."), "info")
    return redirect(url_for("directory.school", fe=saved.fe, fi=saved.fi), code=303)


@bp.route("/implantations/nouvelle", methods=["GET", "POST"])
@admin_required
def new_site():
    return _answer(SiteForm(), None)


@bp.route("/implantations/<int:site_id>", methods=["GET", "POST"])
@admin_required
def edit_site(site_id: int):
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404)
    if request.method == "POST":  # what was typed, and only that
        return _answer(SiteForm(), site)
    # The site's values as they are, to be corrected (the numbers are not offered).
    form = SiteForm(formdata=None, obj=sites.values_of(site))
    return _answer(form, site)
