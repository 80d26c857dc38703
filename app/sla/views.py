"""Pages of the business calendar: the school holidays of each school calendar (admins edit,
EN staff read) with the coverage warning, the Belgian public holidays for reference, a
supplier's « follows school holidays » switch and a site's school calendar.

Every POST works without JavaScript (POST → redirect with a message) and with htmx (the
`_holidays.html` fragment, or the supplier's or the site's panel, swapped in place).
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import admin_required, en_staff_required, roles_required
from app.core.forms import EmptyForm
from app.core.htmx import render, wants_fragment
from app.extensions import db
from app.models import Site, Supplier
from app.models.calendar import SchoolHoliday
from app.sla import holidays as service
from app.sla import permissions
from app.sla.calendar import FWB, SCHOOL_CALENDARS, SchoolCalendar, public_holidays
from app.sla.forms import FollowsForm, HolidayForm, ImportForm, SiteCalendarForm
from app.sla.school_rules import school_year_label, school_year_of

bp = Blueprint("sla", __name__)

# The largest .ics accepted (a year of FWB holidays is about 2 KiB).
DEFAULT_ICAL_MAX_KB = 256
calendar_editors_required = roles_required(*permissions.CALENDAR_EDITORS)


def _by_school_year(periods: list[SchoolHoliday]) -> list[tuple[int, list[SchoolHoliday]]]:
    """Newest school year first; inside a year, in calendar order."""
    groups: dict[int, list[SchoolHoliday]] = {}
    for period in periods:
        groups.setdefault(school_year_of(period.starts_on), []).append(period)
    return [
        (year, sorted(items, key=lambda p: p.starts_on))
        for year, items in sorted(groups.items(), reverse=True)
    ]


def _days_off(year: int, calendar: SchoolCalendar) -> list[tuple[date, str]]:
    own = date(year, *calendar.day)
    return sorted([*public_holidays(year), (own, calendar.day_name)])


def _selected(code: str | None) -> SchoolCalendar:
    """The calendar a page shows: the one asked for, the FWB's otherwise."""
    return SCHOOL_CALENDARS.get(code or "", FWB)


def _context(calendar: SchoolCalendar, **forms) -> dict:
    today = service.today_in_brussels()
    return {
        "calendar": calendar,
        "calendars": list(SCHOOL_CALENDARS.values()),
        "groups": _by_school_year(service.all_periods(calendar.code)),
        "year_label": school_year_label,
        "origin": service.origin,
        "coverage": service.coverage_of(calendar.code, today),
        "alerts": service.coverage_alerts(today),
        "may_edit": permissions.can_edit_school_holidays(current_user),
        "add_form": forms.get("add_form") or HolidayForm(formdata=None, calendar=calendar.code),
        "import_form": forms.get("import_form")
        or ImportForm(formdata=None, calendar=calendar.code),
        "days_off": [(year, _days_off(year, calendar)) for year in (today.year, today.year + 1)],
        "notice": forms.get("notice"),
        "import_errors": forms.get("import_errors") or [],
        "ical_max_kb": _ical_max_kb(),
    }


def _ical_max_kb() -> int:
    return int(current_app.config.get("RELAIS_ICAL_MAX_KB", DEFAULT_ICAL_MAX_KB))


def _page(calendar: SchoolCalendar, status: int = 200, **forms):
    page = render("sla/holidays.html", "sla/_holidays.html", **_context(calendar, **forms))
    return page, status


def _done(message: str, calendar: SchoolCalendar):
    """After a change: the fresh fragment (htmx) or a redirect with the message."""
    db.session.commit()
    if wants_fragment():
        return _page(calendar, notice=message)
    flash(message, "success")
    return redirect(url_for("sla.holidays", calendrier=calendar.code), code=303)


def _bind_errors(form: HolidayForm, exc: service.HolidayError) -> None:
    for name, messages in exc.errors.items():
        target = getattr(form, name, None) if name else None
        if target is None:
            form.form_errors.extend(messages)
        else:
            target.errors = [*target.errors, *messages]


def _holiday_or_404(holiday_id: int) -> SchoolHoliday:
    holiday = db.get_or_404(SchoolHoliday, holiday_id)
    return holiday


def _checked_action() -> None:
    """A one-button POST: the CSRF token or 400."""
    if not EmptyForm().validate_on_submit():
        abort(400)


# ------------------------------------------------------------------ school holidays


@bp.route("/conges")
@en_staff_required
def holidays():
    return _page(_selected(request.args.get("calendrier")))


@bp.route("/conges/ajouter", methods=["POST"])
@admin_required
def add_holiday():
    # CSRFProtect has checked the token; the dates are parsed by the form, the rest by the
    # service (one set of rules and messages for the form and the import).
    form = HolidayForm()
    calendar = _selected(form.calendar.data)
    if form.validate():
        try:
            holiday = service.create(
                form.name.data, form.starts_on.data, form.ends_on.data, calendar=calendar.code
            )
        except service.HolidayError as exc:
            db.session.rollback()
            _bind_errors(form, exc)
        else:
            message = _("« %(name)s » est ajouté aux congés scolaires.", name=holiday.name)
            return _done(message, calendar)
    form.form_errors.extend(form.calendar.errors)
    return _page(calendar, 422, add_form=form)


@bp.route("/conges/<int:holiday_id>/modifier", methods=["GET", "POST"])
@admin_required
def edit_holiday(holiday_id: int):
    """A page of its own (works without JavaScript; boosted by htmx like any link)."""
    holiday = _holiday_or_404(holiday_id)
    calendar = _selected(holiday.calendar)
    form = HolidayForm(obj=holiday)
    context = {"form": form, "holiday": holiday, "calendar": calendar}
    if not form.is_submitted():
        return render_template("sla/holiday_edit.html", **context)
    form.calendar.data = holiday.calendar  # a period stays in its calendar
    if form.validate():
        try:
            service.update(holiday, form.name.data, form.starts_on.data, form.ends_on.data)
        except service.HolidayError as exc:
            db.session.rollback()
            _bind_errors(form, exc)
        else:
            db.session.commit()
            flash(_("« %(name)s » est enregistré.", name=holiday.name), "success")
            return redirect(url_for("sla.holidays", calendrier=calendar.code), code=303)
    return render_template("sla/holiday_edit.html", **context), 422


@bp.route("/conges/<int:holiday_id>/supprimer", methods=["POST"])
@admin_required
def delete_holiday(holiday_id: int):
    holiday = _holiday_or_404(holiday_id)
    _checked_action()
    name, calendar = holiday.name, _selected(holiday.calendar)
    service.delete(holiday)
    return _done(_("« %(name)s » est retiré des congés scolaires.", name=name), calendar)


@bp.route("/conges/<int:holiday_id>/confirmer", methods=["POST"])
@admin_required
def confirm_holiday(holiday_id: int):
    holiday = _holiday_or_404(holiday_id)
    _checked_action()
    service.confirm([holiday])
    message = _("Les dates de « %(name)s » sont confirmées.", name=holiday.name)
    return _done(message, _selected(holiday.calendar))


@bp.route("/conges/<any(fwb, dg):code>/<int:year>/confirmer", methods=["POST"])
@admin_required
def confirm_year(code: str, year: int):
    _checked_action()
    calendar = _selected(code)
    confirmed = service.confirm(service.school_year_periods(calendar.code, year))
    message = _(
        "Année scolaire %(year)s : %(n)s période(s) confirmée(s).",
        year=school_year_label(year),
        n=len(confirmed),
    )
    return _done(message, calendar)


@bp.route("/conges/importer", methods=["POST"])
@admin_required
def import_holidays():
    form = ImportForm()
    calendar = _selected(form.calendar.data)
    upload = form.file.data
    limit = _ical_max_kb() * 1024
    errors: list[str] = []
    data = b""
    if not form.validate():
        errors = [message for messages in form.errors.values() for message in messages]
    elif upload is None or not getattr(upload, "filename", ""):
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
            report = service.import_ical(data, calendar.code)
        except service.HolidayError as exc:
            db.session.rollback()
            errors = exc.messages
        else:
            return _done(report.summary(), calendar)
    return _page(calendar, 422, import_form=form, import_errors=errors)


# ------------------------------------------------------------------ a supplier's switch


def follows_form(supplier: Supplier) -> FollowsForm | None:
    """The switch, for those who may change it (admins, coordinators); None for the others."""
    if not permissions.can_edit_calendar_choices(current_user):
        return None
    return FollowsForm(formdata=None, follows=supplier.follows_school_holidays)


def site_calendar_form(site: Site) -> SiteCalendarForm | None:
    """A site's school calendar choice, for admins and coordinators; None for the others."""
    if not permissions.can_edit_calendar_choices(current_user):
        return None
    return SiteCalendarForm(formdata=None, school_calendar=site.school_calendar)


@bp.app_context_processor
def _template_helpers() -> dict:
    # templates/sla/_supplier_school_holidays.html, included by directory/supplier.html, and
    # templates/sla/_site_school_calendar.html, included by directory/school.html.
    return {
        "school_holidays_form": follows_form,
        "site_calendar_form": site_calendar_form,
        "school_calendars": SCHOOL_CALENDARS,
    }


@bp.route("/fournisseurs/<int:supplier_id>/conges-scolaires", methods=["POST"])
@calendar_editors_required
def supplier_school_holidays(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
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


# ------------------------------------------------------------------ a site's school calendar


@bp.route("/ecoles/<int:site_id>/calendrier-scolaire", methods=["POST"])
@calendar_editors_required
def site_school_calendar(site_id: int):
    site = db.get_or_404(Site, site_id)
    form = SiteCalendarForm()
    if not form.validate():
        if wants_fragment():
            html = render_template("sla/_site_school_calendar.html", site=site, bound=form)
            return html, 422
        for message in form.school_calendar.errors:
            flash(message, "error")
        return redirect(url_for("directory.school", fe=site.fe, fi=site.fi), code=303)
    site.school_calendar = form.school_calendar.data
    db.session.commit()
    message = _(
        "L’implantation suit désormais le calendrier scolaire : %(name)s.",
        name=SCHOOL_CALENDARS[site.school_calendar].name,
    )
    if wants_fragment():
        return render_template("sla/_site_school_calendar.html", site=site, saved=message)
    flash(message, "success")
    return redirect(url_for("directory.school", fe=site.fe, fi=site.fi), code=303)
