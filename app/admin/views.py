"""Administration pages: accounts (list, deactivate, reactivate) and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.admin.forms import InviteForm, UserSearchForm
from app.auth import accounts, invitations
from app.auth.access import en_staff_required, roles_required
from app.auth.errors import AccountError, PermissionDenied
from app.auth.lookups import find_site_by_code, parse_site_code, search_sites, site_code
from app.auth.roles import USER_LIST_ROLES, can_invite, roles_invitable_by
from app.core.filters import datetime_fr
from app.core.forms import EmptyForm
from app.core.htmx import render
from app.core.input import page_number
from app.extensions import db
from app.models import Invitation, Role, Site, Supplier, User
from app.models.types import utcnow

bp = Blueprint("admin", __name__)

PER_PAGE = 25
users_required = roles_required(*USER_LIST_ROLES)
# Who may invite teachers, and so look sites up.
site_lookup_required = roles_required(*[r for r in Role if Role.TEACHER in roles_invitable_by(r)])


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _page_number() -> int:
    return page_number(request.args.get("page"))


# ------------------------------------------------------------------ accounts


@bp.route("/utilisateurs")
@users_required
def users():
    form = UserSearchForm(request.args)
    filters = form.filters()
    stmt = select(User).options(
        joinedload(User.supplier), joinedload(User.site).joinedload(Site.establishment)
    )
    if filters["q"]:
        pattern = _like(filters["q"])
        stmt = stmt.where(
            or_(User.full_name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
    if filters["role"]:
        stmt = stmt.where(User.role == filters["role"])
    if filters["status"]:
        stmt = stmt.where(User.active.is_(filters["status"] == "actif"))
    page = db.paginate(
        stmt.order_by(User.full_name, User.id),
        page=_page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render(
        "admin/users.html",
        "admin/_users.html",
        form=form,
        results=page,
        filters={k: v for k, v in filters.items() if v},
    )


def _target(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/utilisateurs/<int:user_id>")
@users_required
def user(user_id: int):
    target = _target(user_id)
    return render_template(
        "admin/user.html",
        target=target,
        may_manage=accounts.may_manage(current_user, target),
    )


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
@users_required
def deactivate(user_id: int):
    return _change_account(
        user_id,
        accounts.deactivate,
        lambda who: _(
            "Le compte de %(name)s est désactivé : ses sessions ouvertes sont fermées.",
            name=who.full_name,
        ),
    )


@bp.route("/utilisateurs/<int:user_id>/reactiver", methods=["POST"])
@users_required
def reactivate(user_id: int):
    return _change_account(
        user_id,
        accounts.reactivate,
        lambda who: _("Le compte de %(name)s est réactivé.", name=who.full_name),
    )


def _change_account(user_id: int, change, done):
    """Deactivate or reactivate (`change`) an account, then back to its page saying `done(who)`."""
    target = _target(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        change(current_user, target)
    except PermissionDenied:
        abort(403)
    flash(done(target), "success")
    return redirect(url_for("admin.user", user_id=target.id))


# ------------------------------------------------------------------ invitations


def _active_suppliers() -> list[Supplier]:
    return list(
        db.session.scalars(
            select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.name)
        )
    )


def _resolve_site(form: InviteForm) -> tuple[Site | None, list[Site]]:
    """The site the person meant: a picked candidate, a FE:FI code, or a single search match.

    Several matches come back as candidates to choose from (works without JavaScript).
    """
    picked = request.form.get("site_pick", "")
    text = (form.site.data or "").strip()
    if picked:
        site = find_site_by_code(picked)
        if site is not None:
            form.site.data = site_code(site)
            return site, []
    if not text:
        return None, []
    if parse_site_code(text):
        site = find_site_by_code(text)
        if site is None:
            form.site.errors = [
                *form.site.errors,
                _("Aucune implantation n’a ces numéros FE:FI (%(code)s).", code=text),
            ]
        return site, []
    matches = search_sites(text, limit=8)
    if len(matches) == 1:
        form.site.data = site_code(matches[0])
        return matches[0], []
    if not matches:
        form.site.errors = [
            *form.site.errors,
            _(
                "Aucune implantation ne correspond à « %(text)s ». Indiquez ses numéros FE:FI.",
                text=text,
            ),
        ]
        return None, []
    form.site.errors = [
        *form.site.errors,
        _("Plusieurs implantations correspondent : choisissez-en une ci-dessous."),
    ]
    return None, matches


@bp.route("/invitations/nouvelle", methods=["GET", "POST"])
@en_staff_required
def invite():
    form = InviteForm(actor_role=current_user.role, suppliers=_active_suppliers())
    if not form.offered:
        abort(403)
    candidates: list[Site] = []
    if request.method == "GET" and request.args.get("role") in form.offers:
        form.role.data = request.args["role"]
    if form.validate_on_submit():
        role = form.role.data
        if role not in form.offers:
            abort(403)
        supplier = db.session.get(Supplier, form.supplier.data) if form.supplier.data else None
        if supplier is not None and not supplier.active:
            supplier = None  # only active companies are offered
        site, candidates = _resolve_site(form) if role == Role.TEACHER else (None, [])
        if not form.site.errors:
            request_ = invitations.InvitationRequest(
                email=form.email.data,
                role=role,
                full_name=form.full_name.data or "",
                supplier=supplier,
                site=site,
                language=form.language.data,
            )
            try:
                invitation = invitations.invite(current_user, request_)
            except PermissionDenied:
                abort(403)
            except AccountError as exc:
                form.add_error(exc.field, str(exc.message))
            else:
                flash(
                    _(
                        "Invitation envoyée à %(email)s. Le lien est valable jusqu’au %(date)s.",
                        email=invitation.email,
                        date=datetime_fr(invitation.expires_at),
                    ),
                    "success",
                )
                return redirect(url_for("admin.invitations"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/invite.html", form=form, candidates=candidates), status


@bp.route("/implantations")
@site_lookup_required
def site_suggestions():
    """Sites matching what is typed in the invite form's site field (an htmx fragment)."""
    text = request.args.get("site", "")[:200]
    matches = [] if parse_site_code(text) else search_sites(text, limit=8)
    return render_template("admin/_site_suggestions.html", matches=matches, text=text.strip())


@bp.route("/implantations/choisir")
@site_lookup_required
def site_field():
    """The site field again, filled with the chosen site (an htmx fragment)."""
    form = InviteForm(formdata=None, actor_role=current_user.role)
    site = find_site_by_code(request.args.get("code", ""))
    if site is not None:
        form.site.data = site_code(site)
    return render_template("admin/_site_field.html", form=form, chosen=site)


def _visible_invitations():
    roles = [r.value for r in roles_invitable_by(current_user.role)]
    return (
        select(Invitation)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.role.in_(roles),
        )
        .options(
            joinedload(Invitation.supplier),
            joinedload(Invitation.site).joinedload(Site.establishment),
            joinedload(Invitation.invited_by),
        )
    )


@bp.route("/invitations", endpoint="invitations")
@en_staff_required
def invitations_list():
    page = db.paginate(
        _visible_invitations().order_by(Invitation.created_at.desc(), Invitation.id.desc()),
        page=_page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("admin/invitations.html", page=page, now=utcnow())


def _invitation(invitation_id: int) -> Invitation:
    invitation = db.get_or_404(Invitation, invitation_id)
    if not can_invite(current_user.role, invitation.role):
        abort(403)
    return invitation


@bp.route("/invitations/<int:invitation_id>/annuler", methods=["POST"])
@en_staff_required
def revoke_invitation(invitation_id: int):
    invitation = _invitation(invitation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        invitations.revoke(current_user, invitation)
    except PermissionDenied:
        abort(403)
    except AccountError as exc:
        flash(str(exc.message), "warning")
    else:
        flash(_("L’invitation de %(email)s est annulée.", email=invitation.email), "success")
    return redirect(url_for("admin.invitations"))


@bp.route("/invitations/<int:invitation_id>/renvoyer", methods=["POST"])
@en_staff_required
def resend_invitation(invitation_id: int):
    invitation = _invitation(invitation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        fresh = invitations.resend(current_user, invitation)
    except PermissionDenied:
        abort(403)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
    else:
        flash(
            _(
                "Nouvelle invitation envoyée à %(email)s, valable jusqu’au %(date)s.",
                email=fresh.email,
                date=datetime_fr(fresh.expires_at),
            ),
            "success",
        )
    return redirect(url_for("admin.invitations"))


# « Envois » (the outbox), « Catalogue » and « Implantation » register their routes on `bp`
# (imported last: they import `bp`).
from app.admin import catalogue, outbox, sites  # noqa: E402, F401
