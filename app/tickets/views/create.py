"""Opening a ticket ("Nouvelle demande"), with its htmx helpers (site and device look-ups).

The form works as a plain POST: a site text matching several sites comes back with radio
buttons, a device is looked up when the form is sent, and a warning (an open ticket for the same
device, a device recorded at another site) brings the form back once with « Créer quand même ».
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import roles_required
from app.core.input import parse_id
from app.extensions import db
from app.models import Equipment, Role, Site, Ticket, User
from app.tickets import creation, phones
from app.tickets.attachments import MAX_FILES, AttachmentError, Upload, check_upload, uploads_in
from app.tickets.errors import Forbidden, TicketError
from app.tickets.forms import SUPPLIER_AUTO, SUPPLIER_NONE, NewTicketForm
from app.tickets.permissions import CREATORS
from app.tickets.service import NewTicket, create_ticket
from app.tickets.storage import settings
from app.tickets.views.common import bp

creators_required = roles_required(*CREATORS)


@dataclass
class Review:
    """What the submitted form means, once looked up: errors go on the form's fields."""

    site: Site | None = None
    candidates: list[Site] = field(default_factory=list)
    more_candidates: bool = False
    equipment: Equipment | None = None
    supplier_id: int | None = None
    uploads: list[Upload] = field(default_factory=list)
    duplicates: list[Ticket] = field(default_factory=list)
    other_site: bool = False  # the device is recorded at another site

    @property
    def warnings(self) -> bool:
        return bool(self.duplicates or self.other_site)


def _form(**kwargs) -> NewTicketForm:
    return NewTicketForm(
        request_types=creation.request_type_groups(),
        suppliers=creation.active_suppliers(),
        staff=creation.staff_members(),
        actor=current_user,
        **kwargs,
    )


def _review(form: NewTicketForm) -> Review:
    """Look up what the form names; put what is wrong next to its field."""
    review = Review()
    en_handled = creation.handled_by_en(form.request_type.data)
    form.device_optional = en_handled
    form.validate()

    if not form.site.errors:
        found = creation.resolve_site(form.site.data, request.form.get("site_pick", type=parse_id))
        review.site, review.candidates = found.site, found.candidates
        review.more_candidates = found.more
        if found.error:
            form.add_error("site", found.error)
        if found.site is not None:
            form.site.data = found.site.label

    match = creation.find_equipment(form.equipment_label.data, form.equipment_serial.data)
    review.equipment = match.equipment
    for name, message in creation.equipment_problems(
        match,
        form.equipment_label.data,
        form.equipment_serial.data,
        form.equipment_description.data,
    ):
        form.add_error(name, message)

    choice = form.supplier_choice()
    if choice == SUPPLIER_AUTO:
        equipment_supplier = match.equipment.supplier if match.equipment else None
        # The EN team's own request has no supplier unless one is chosen.
        if not en_handled and equipment_supplier is not None and equipment_supplier.active:
            review.supplier_id = equipment_supplier.id
    elif choice != SUPPLIER_NONE:
        review.supplier_id = choice

    files = uploads_in(form.attachments.data)
    if len(files) > MAX_FILES:
        form.add_error(
            "attachments",
            _("%(max)s fichiers au maximum par envoi.", max=MAX_FILES),
        )
    else:
        for upload in files:
            try:
                review.uploads.append(check_upload(upload))
            except AttachmentError as exc:
                form.add_error("attachments", exc.message)

    review.duplicates = creation.duplicates_for(
        form.equipment_label.data, form.equipment_serial.data, review.equipment
    )
    review.other_site = creation.at_another_site(review.equipment, review.site)
    return review


def _render(form: NewTicketForm, review: Review | None = None, status: int = 200):
    review = review or Review()
    files_sent = request.method == "POST" and bool(uploads_in(form.attachments.data))
    return render_template(
        "tickets/new.html",
        form=form,
        review=review,
        warn=review.warnings,
        chosen=review.site,
        candidates=review.candidates,
        more_candidates=review.more_candidates,
        # The device's box, as the look-up fragment shows it.
        equipment=review.equipment,
        conflict=[],
        suggestions=[],
        typed=bool(form.equipment_label.data or form.equipment_serial.data),
        duplicates=[],  # shown at the top with « Créer quand même »
        other_site=False,
        propose_supplier=False,
        files_sent=files_sent,
        max_files=MAX_FILES,
        max_mb=settings().max_mb,
    ), status


@bp.route("/nouvelle", methods=["GET", "POST"])
@creators_required
def new():
    form = _form()
    if request.method == "GET":
        return _render(form)

    if request.form.get("search_site"):
        # « Chercher » (and Enter in any field, as the form's first button): only the site is
        # looked up, the rest is kept as typed, nothing is checked yet.
        found = creation.resolve_site(form.site.data, request.form.get("site_pick", type=parse_id))
        review = Review(site=found.site, candidates=found.candidates, more_candidates=found.more)
        if found.site is not None:
            form.site.data = found.site.label
        elif found.error and not found.candidates:
            form.add_error("site", found.error)
        return _render(form, review, 422 if form.site.errors else 200)

    review = _review(form)
    if form.has_errors:
        return _render(form, review, 422)
    if review.warnings and not form.confirm.data:
        # Once: the assistant sees the open tickets (or the other site) and decides.
        return _render(form, review, 200)

    data = NewTicket(
        request_type_id=form.request_type.data,
        summary=form.summary.data,
        description=form.description.data,
        site_id=review.site.id,
        contact_name=form.contact_name.data,
        contact_phone=form.phone_e164,
        contact_email=form.contact_email.data or "",
        equipment_id=review.equipment.id if review.equipment else None,
        equipment_label=form.equipment_label.data or "",
        equipment_serial=form.equipment_serial.data or "",
        equipment_description=form.equipment_description.data or "",
        supplier_id=review.supplier_id,
        assignee_id=form.assignee.data or None,
    )
    try:
        ticket = create_ticket(current_user, data, files=review.uploads)
    except Forbidden:
        abort(403)
    except TicketError as exc:
        form.add_error(exc.field, exc.message)
        return _render(form, review, 422)
    flash(_("Demande %(reference)s créée.", reference=ticket.reference), "success")
    return redirect(url_for("tickets.show", reference=ticket.reference))


# ------------------------------------------------------------------ htmx helpers


@bp.route("/nouvelle/implantations")
@creators_required
def site_suggestions():
    """Sites matching what is typed in the site field (a fragment listing them)."""
    text = request.args.get("site", "")[:300].strip()
    matches = creation.suggest_sites(text)
    exact = len(matches) == 1 and matches[0].label == text
    return render_template(
        "tickets/_site_suggestions.html",
        matches=[] if exact else matches,
        text=text,
        chosen=matches[0] if exact else None,
    )


@bp.route("/nouvelle/implantations/<int:site_id>")
@creators_required
def site_field(site_id: int):
    """The site field again, filled with the chosen site (a fragment)."""
    site = creation.get_site(site_id)
    if site is None:
        abort(404)
    form = _form(formdata=None)
    form.site.data = site.label
    return render_template(
        "tickets/_site_field.html",
        form=form,
        chosen=site,
        candidates=[],
        teachers=creation.site_teachers(site),
        picked=True,
    )


@bp.route("/nouvelle/materiel")
@creators_required
def equipment_lookup():
    """The device for the typed label or serial: what the inventory knows, the supplier it
    proposes (swapped into the supplier select), an open ticket for it, another site."""
    label = request.args.get("equipment_label", "")[:64].strip()
    serial = request.args.get("equipment_serial", "")[:64].strip()
    picked = creation.get_equipment(request.args.get("pick", type=parse_id))
    if picked is not None:
        label, serial = picked.label or "", picked.serial or ""
        match = creation.EquipmentMatch(equipment=picked)
    else:
        match = creation.find_equipment(label, serial)
    site = creation.resolve_site(request.args.get("site", "")[:300]).site
    equipment = match.equipment
    suggestions = []
    if equipment is None and not match.conflict:
        suggestions = creation.suggest_equipment(serial or label)
    form = _form(formdata=None)
    form.equipment_label.data, form.equipment_serial.data = label, serial
    form.supplier.data = SUPPLIER_AUTO
    if equipment is not None and equipment.supplier is not None and equipment.supplier.active:
        form.supplier.data = str(equipment.supplier_id)
    context = {
        "form": form,
        "equipment": equipment,
        "conflict": match.conflict,
        "suggestions": suggestions,
        "typed": bool(label or serial),
        "duplicates": creation.duplicates_for(label, serial, equipment),
        "other_site": creation.at_another_site(equipment, site),
        "propose_supplier": form.supplier.data != SUPPLIER_AUTO,
        "oob": form.supplier.data != SUPPLIER_AUTO,
    }
    template = "tickets/_equipment_field.html" if picked else "tickets/_equipment_result.html"
    return render_template(template, **context)


@bp.route("/nouvelle/contact/<int:user_id>")
@creators_required
def contact_fields(user_id: int):
    """The contact fields filled with one of the site's teachers (a fragment)."""
    teacher = db.session.get(User, user_id)
    if teacher is None or teacher.role != Role.TEACHER or not teacher.active:
        abort(404)
    form = _form(formdata=None)
    form.contact_name.data = teacher.full_name
    form.contact_email.data = teacher.email
    form.contact_phone.data = phones.display(teacher.phone) if teacher.phone else ""
    return render_template("tickets/_contact_fields.html", form=form)
