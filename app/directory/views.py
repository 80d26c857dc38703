"""Directory pages: schools, suppliers, equipment (thin views; rules in permissions/queries)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.access import en_staff_required
from app.core.htmx import render, wants_fragment
from app.core.input import page_number
from app.directory import history, queries
from app.directory.forms import EquipmentSearchForm, SchoolSearchForm, SupplierContactForm
from app.directory.permissions import (
    can_browse_directory,
    can_edit_sites,
    can_edit_supplier,
    can_open_device_history,
    can_view_device,
    can_view_supplier,
    is_of_company,
)
from app.directory.service import NotAllowed, update_supplier_contact
from app.extensions import db
from app.models import Equipment, Role, Supplier

bp = Blueprint("directory", __name__)

PER_PAGE = 25


def _page_number() -> int:
    return page_number(request.args.get("page"))


# ------------------------------------------------------------------ schools


@bp.route("/ecoles")
@en_staff_required
def schools():
    form = SchoolSearchForm(request.args)
    q = (form.q.data or "").strip()[: queries.MAX_QUERY]
    results = db.paginate(
        queries.school_search(q), page=_page_number(), per_page=PER_PAGE, error_out=False
    )
    args = {"q": q} if q else {}
    return render(
        "directory/schools.html",
        "directory/_schools_results.html",
        form=form,
        q=q,
        results=results,
        args=args,
        may_add_site=can_edit_sites(current_user),
    )


@bp.route("/ecoles/<int:fe>/<int:fi>")
@en_staff_required
def school(fe: int, fi: int):
    site = queries.get_school(fe, fi)
    if site is None:
        abort(404)
    equipment = queries.school_equipment(site)
    tickets = history.site_tickets(site, current_user)
    return render_template(
        "directory/school.html",
        tickets=tickets[: history.SITE_TICKETS_LIMIT],
        tickets_more=len(tickets) > history.SITE_TICKETS_LIMIT,
        repeated=history.repeated_devices([e.id for e in equipment]),
        site=site,
        establishment=site.establishment,
        other_sites=[s for s in site.establishment.sites if s.id != site.id],
        teachers=queries.school_teachers(site),
        equipment=equipment[: queries.SITE_EQUIPMENT_LIMIT],
        equipment_more=len(equipment) > queries.SITE_EQUIPMENT_LIMIT,
        may_edit_site=can_edit_sites(current_user),
    )


# ------------------------------------------------------------------ suppliers


@bp.route("/fournisseurs")
@en_staff_required
def suppliers():
    return render_template("directory/suppliers.html", rows=queries.supplier_rows())


def _load_supplier(supplier_id: int) -> Supplier:
    """The company, or 403 if the user may not see it (or 404 for EN staff if it is unknown).

    A supplier's user gets 403 for any other id, existing or not: ids are not probed."""
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        abort(404 if can_browse_directory(current_user) else 403)
    if not can_view_supplier(current_user, supplier):
        abort(403)
    return supplier


def _supplier_page(supplier: Supplier, form: SupplierContactForm | None, status: int = 200):
    users = queries.supplier_users(supplier)
    return (
        render_template(
            "directory/supplier.html",
            supplier=supplier,
            users=users,
            owner=queries.reference_owner(supplier),
            lots=queries.supplier_lots(supplier),
            form=form,
            can_browse=can_browse_directory(current_user),
            shows_agenda=is_of_company(current_user, supplier),
        ),
        status,
    )


@bp.route("/fournisseurs/<int:supplier_id>")
@login_required
def supplier(supplier_id: int):
    supplier = _load_supplier(supplier_id)
    form = SupplierContactForm(obj=supplier) if can_edit_supplier(current_user, supplier) else None
    return _supplier_page(supplier, form)


@bp.route("/fournisseurs/<int:supplier_id>/contact", methods=["POST"])
@login_required
def supplier_contact(supplier_id: int):
    supplier = _load_supplier(supplier_id)
    if not can_edit_supplier(current_user, supplier):
        abort(403)
    form = SupplierContactForm()
    if form.validate_on_submit():
        try:
            changed = update_supplier_contact(
                current_user,
                supplier,
                reference_email=form.reference_email.data,
                phone=form.phone.data or "",
            )
        except NotAllowed:
            db.session.rollback()
            abort(403)
        db.session.commit()
        message = (
            _("Coordonnées de la société enregistrées.")
            if changed
            else _("Rien n’a changé : les coordonnées étaient déjà celles-là.")
        )
        if wants_fragment():
            return render_template(
                "directory/_supplier_contact.html",
                supplier=supplier,
                owner=queries.reference_owner(supplier),
                form=SupplierContactForm(formdata=None, obj=supplier),
                saved=message,
            )
        flash(message, "success")
        return redirect(url_for("directory.supplier", supplier_id=supplier.id), code=303)
    db.session.rollback()
    if wants_fragment():
        return (
            render_template(
                "directory/_supplier_contact.html",
                supplier=supplier,
                owner=queries.reference_owner(supplier),
                form=form,
            ),
            422,
        )
    return _supplier_page(supplier, form, 422)


# ------------------------------------------------------------------ equipment


@bp.route("/materiel")
@en_staff_required
def equipment():
    form = EquipmentSearchForm(request.args)
    form.fill_choices(queries.equipment_lots(), queries.supplier_choices())
    q = (form.q.data or "").strip()[: queries.MAX_QUERY]
    lot = (form.lot.data or "").strip() or None
    supplier_id = form.fournisseur.data if isinstance(form.fournisseur.data, int) else None
    results = db.paginate(
        queries.equipment_search(q, lot=lot, supplier_id=supplier_id),
        page=_page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    args = {k: v for k, v in {"q": q, "lot": lot, "fournisseur": supplier_id}.items() if v}
    return render(
        "directory/equipment.html",
        "directory/_equipment_results.html",
        form=form,
        q=q,
        results=results,
        args=args,
        filtered=bool(args),
    )


@bp.route("/materiel/<int:equipment_id>")
@login_required
def device(equipment_id: int):
    item = db.get_or_404(Equipment, equipment_id)
    found = history.device_history(current_user, equipment=item)
    # A supplier also sees a device another company maintains when it holds one of its tickets.
    holds_a_ticket = current_user.role == Role.SUPPLIER and bool(found.tickets)
    if not (can_view_device(current_user, item) or holds_a_ticket):
        abort(404)
    return render_template("directory/device.html", device=found)


@bp.route("/materiel/identifiant/<path:identifier>")
@login_required
def device_by_identifier(identifier: str):
    """A device by its label or serial number, in the inventory or only on tickets."""
    item = history.find_equipment(identifier)
    if item is not None:
        if not can_view_device(current_user, item):
            abort(404)
        return redirect(url_for("directory.device", equipment_id=item.id))
    if not can_open_device_history(current_user):
        abort(404)
    found = history.device_history(current_user, identifier=identifier[:64])
    # Outside the inventory the tickets are the device: no visible ticket, nothing to show.
    if found is None or not found.tickets:
        abort(404)
    return render_template("directory/device.html", device=found)
