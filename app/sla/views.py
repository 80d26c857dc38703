"""Pages of the business calendar: the FWB school holidays (admins edit, EN staff read), the
Belgian public holidays for reference, and a supplier's « follows school holidays » switch.

Every POST works without JavaScript (POST → redirect with a message) and with htmx (the
`_holidays.html` fragment, or the supplier panel, swapped in place).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import admin_required, en_staff_required, roles_required
from app.core.forms import EmptyForm
from app.core.htmx import render, wants_fragment
from app.extensions import db
from app.models import Role, Supplier
from app.models.calendar import SchoolHoliday
from app.models.types import utcnow
from app.sla import holidays as service
from app.sla.calendar import FWB_DAY, FWB_DAY_NAME, public_holidays
from app.sla.forms import FollowsForm, HolidayForm, ImportForm
from app.tickets.planning import to_local

bp = Blueprint("sla", __name__)

# The largest .ics accepted (a year of FWB holidays is about 2 KiB).
DEFAULT_ICAL_MAX_KB = 256
SUPPLIER_EDITORS = (Role.ADMIN, Role.COORDINATOR)
supplier_editors_required = roles_required(*SUPPLIER_EDITORS)


def school_year(period: SchoolHoliday) -> str:
    """« 2025-2026 »: a school year runs from late August to early July."""
    first = period.starts_on.year if period.starts_on.month >= 8 else period.starts_on.year - 1
    return f"{first}-{first + 1}"


def _by_school_year(periods: list[SchoolHoliday]) -> list[tuple[str, list[SchoolHoliday]]]:
    """Newest school year first; inside a year, in calendar order."""
    groups: dict[str, list[SchoolHoliday]] = {}
    for period in periods:
        groups.setdefault(school_year(period), []).append(period)
    return [
        (year, sorted(items, key=lambda p: p.starts_on))
        for year, items in sorted(groups.items(), reverse=True)
    ]


def _days_off(year: int) -> list[tuple[date, str]]:
    fwb = date(year, *FWB_DAY)
    return sorted([*public_holidays(year), (fwb, FWB_DAY_NAME)])


def _context(**forms) -> dict:
    this_year = to_local(utcnow()).year
    return {
        "groups": _by_school_year(service.all_periods()),
        "may_edit": current_user.role == Role.ADMIN,
        "add_form": forms.get("add_form") or HolidayForm(formdata=None),
        "import_form": forms.get("import_form") or ImportForm(formdata=None),
        "action_form": EmptyForm(),
        "days_off": [(year, _days_off(year)) for year in (this_year, this_year + 1)],
        "notice": forms.get("notice"),
        "import_errors": forms.get("import_errors") or [],
        "ical_max_kb": _ical_max_kb(),
    }


def _ical_max_kb() -> int:
    return int(current_app.config.get("RELAIS_ICAL_MAX_KB", DEFAULT_ICAL_MAX_KB))


def _page(status: int = 200, **forms):
    return render("sla/holidays.html", "sla/_holidays.html", **_context(**forms)), status


def _done(message: str):
    """After a change: the fresh fragment (htmx) or a redirect with the message."""
    db.session.commit()
    if wants_fragment():
        return _page(notice=message)
    flash(message, "success")
    return redirect(url_for("sla.holidays"), code=303)


def _bind_errors(form: HolidayForm, exc: service.HolidayError) -> None:
    for name, messages in exc.errors.items():
        target = getattr(form, name, None) if name else None
        if target is None:
            form.form_errors.extend(messages)
        else:
            target.errors = [*target.errors, *messages]


def _holiday_or_404(holiday_id: int) -> SchoolHoliday:
    holiday = db.session.get(SchoolHoliday, holiday_id)
    if holiday is None:
        abort(404)
    return holiday


# ------------------------------------------------------------------ school holidays


@bp.route("/conges")
@en_staff_required
def holidays():
    return _page()


@bp.route("/conges/ajouter", methods=["POST"])
@admin_required
def add_holiday():
    # CSRFProtect has checked the token; the dates are parsed by the form, the rest by the
    # service (one set of rules and messages for the form and the import).
    form = HolidayForm()
    if form.validate():
        try:
            holiday = service.create(form.name.data, form.starts_on.data, form.ends_on.data)
        except service.HolidayError as exc:
            db.session.rollback()
            _bind_errors(form, exc)
        else:
            return _done(_("« %(name)s » est ajouté aux congés scolaires.", name=holiday.name))
    return _page(422, add_form=form)


@bp.route("/conges/<int:holiday_id>/modifier", methods=["GET", "POST"])
@admin_required
def edit_holiday(holiday_id: int):
    """A page of its own (works without JavaScript; boosted by htmx like any link)."""
    holiday = _holiday_or_404(holiday_id)
    form = HolidayForm(obj=holiday)
    if not form.is_submitted():
        return render_template("sla/holiday_edit.html", form=form, holiday=holiday)
    if form.validate():
        try:
            service.update(holiday, form.name.data, form.starts_on.data, form.ends_on.data)
        except service.HolidayError as exc:
            db.session.rollback()
            _bind_errors(form, exc)
        else:
            db.session.commit()
            flash(_("« %(name)s » est enregistré.", name=holiday.name), "success")
            return redirect(url_for("sla.holidays"), code=303)
    return render_template("sla/holiday_edit.html", form=form, holiday=holiday), 422


@bp.route("/conges/<int:holiday_id>/supprimer", methods=["POST"])
@admin_required
def delete_holiday(holiday_id: int):
    holiday = _holiday_or_404(holiday_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = holiday.name
    service.delete(holiday)
    return _done(_("« %(name)s » est retiré des congés scolaires.", name=name))


@bp.route("/conges/importer", methods=["POST"])
@admin_required
def import_holidays():
    form = ImportForm()
    upload = form.file.data
    limit = _ical_max_kb() * 1024
    errors: list[str] = []
    data = b""
    if upload is None or not getattr(upload, "filename", ""):
        errors = [_("Choisissez un fichier .ics à importer.")]
    else:
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            errors = [
                _(
                    "Le fichier dépasse %(n)s Kio : ce n’est pas un calendrier de congés.",
                    n=limit // 1024,
                )
            ]
        elif not service.looks_like_ical(data):
            errors = [
                _(
                    "« %(name)s » n’est pas un fichier iCalendar (text/calendar) : "
                    "il doit commencer par BEGIN:VCALENDAR.",
                    name=upload.filename,
                )
            ]
    if not errors:
        try:
            report = service.import_ical(data)
        except service.HolidayError as exc:
            db.session.rollback()
            errors = exc.messages
        else:
            return _done(report.summary())
    return _page(422, import_form=form, import_errors=errors)


# ------------------------------------------------------------------ a supplier's switch


def follows_form(supplier: Supplier) -> FollowsForm | None:
    """The switch, for those who may change it (admins, coordinators); None for the others."""
    if not (current_user.is_authenticated and current_user.role in SUPPLIER_EDITORS):
        return None
    return FollowsForm(formdata=None, follows=supplier.follows_school_holidays)


@bp.app_context_processor
def _template_helpers() -> dict:
    # templates/sla/_supplier_school_holidays.html, included by directory/supplier.html.
    return {"school_holidays_form": follows_form}


@bp.route("/fournisseurs/<int:supplier_id>/conges-scolaires", methods=["POST"])
@supplier_editors_required
def supplier_school_holidays(supplier_id: int):
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    form = FollowsForm()
    form.validate()  # a checkbox: checked or not, nothing else to check
    supplier.follows_school_holidays = bool(form.follows.data)
    db.session.commit()
    message = (
        _(
            "Les congés scolaires comptent désormais comme jours de fermeture pour %(name)s.",
            name=supplier.name,
        )
        if supplier.follows_school_holidays
        else _(
            "Les congés scolaires ne comptent plus comme jours de fermeture pour %(name)s.",
            name=supplier.name,
        )
    )
    if wants_fragment():
        return render_template(
            "sla/_supplier_school_holidays.html", saved=message, supplier=supplier
        )
    flash(message, "success")
    return redirect(url_for("directory.supplier", supplier_id=supplier.id), code=303)
