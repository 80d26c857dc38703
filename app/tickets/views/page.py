"""The ticket page, and its small forms: comment, share, notifications switch (the page's
context and answers: app.tickets.views.parts)."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.auth import invitations
from app.auth.errors import AccountError, PermissionDenied
from app.auth.service import find_user_by_email
from app.models import Role, Ticket
from app.tickets import permissions, service
from app.tickets.action_forms import (
    CommentForm,
    NotificationsForm,
    ShareForm,
)
from app.tickets.errors import TicketError, TicketNotFound
from app.tickets.permissions import ShareCircle, Sharing
from app.tickets.views.common import bp, checked_uploads, get_ticket_or_404
from app.tickets.views.parts import done, page_context, respond


@bp.route("/<reference>")
@login_required
def show(reference: str):
    ticket = get_ticket_or_404(reference, for_page=True)
    return render_template("tickets/show.html", **page_context(ticket, loaded=True))


@bp.route("/<reference>/commentaires", methods=["POST"])
@login_required
def comment(reference: str):
    ticket = get_ticket_or_404(reference)
    form = CommentForm()
    internal = bool(form.internal.data) and permissions.can_comment_internally(current_user, ticket)
    if form.validate():
        try:
            uploads = checked_uploads(form.files)
            service.add_comment(
                current_user, ticket.id, form.body.data or "", internal=internal, files=uploads
            )
        except TicketNotFound:
            abort(404)
        except TicketError as exc:
            form.add_error(exc.field, exc.message, default="body")
        else:
            message = _("Commentaire interne ajouté.") if internal else _("Commentaire ajouté.")
            return done(ticket, message, main="comment_form", anchor="activite")
    return respond(ticket, main="comment_form", status=422, comment_form=form)


SHARE_REFUSALS = {
    ShareCircle.COMPANY: _l(
        "Vous pouvez partager cette demande avec les personnes de votre société qui ont un "
        "compte Relais."
    ),
    ShareCircle.SCHOOL: _l(
        "Vous pouvez partager cette demande avec les enseignant·es de votre école qui ont un "
        "compte Relais."
    ),
}
NO_ACCOUNT = _l(
    "Aucun compte n’existe pour cette adresse. Invitez d’abord la personne "
    "(menu Utilisateurs), puis partagez la demande avec elle."
)


@bp.route("/<reference>/partage", methods=["POST"])
@login_required
def share(reference: str):
    ticket = get_ticket_or_404(reference)
    form = ShareForm()
    if form.validate():
        email = (form.email.data or "").strip()
        user = find_user_by_email(email) if email else None
        outcome = permissions.sharing(current_user, ticket, user)
        if not email:
            form.email.errors = [_("Indiquez l’adresse e-mail de la personne.")]
        elif outcome == Sharing.INVITE:
            return _invite_teacher(ticket, form, email)
        elif outcome == Sharing.INACTIVE:
            form.email.errors = [_("Ce compte est désactivé : la demande n’est pas partagée.")]
        elif outcome == Sharing.REFUSED:
            circle = permissions.share_circle(current_user)
            form.email.errors = [str(SHARE_REFUSALS.get(circle, NO_ACCOUNT))]
        elif outcome == Sharing.ALREADY_SHARED:
            return done(
                ticket,
                _("La demande est déjà partagée avec %(name)s.", name=user.full_name),
                main="participants",
            )
        else:
            try:
                service.share(current_user, ticket.id, user)
            except TicketNotFound:
                abort(404)
            except TicketError as exc:
                form.add_error(exc.field, exc.message, default="email")
            else:
                message = _("Demande partagée avec %(name)s.", name=user.full_name)
                return done(ticket, message, main="participants")
    return respond(ticket, main="participants", status=422, share_form=form)


def _invite_teacher(ticket: Ticket, form: ShareForm, email: str):
    """An address without an account: EN staff who may invite teachers send an invitation."""
    request_ = invitations.InvitationRequest(email=email, role=Role.TEACHER, site=ticket.site)
    try:
        invitation = invitations.invite(current_user, request_)
    except PermissionDenied:
        abort(403)
    except AccountError as exc:
        form.email.errors = [str(exc.message)]
        return respond(ticket, main="participants", status=422, share_form=form)
    message = _(
        "Aucun compte n’existait pour %(email)s : une invitation à créer un compte "
        "d’enseignant·e de cette école lui a été envoyée. Partagez la demande avec cette "
        "personne une fois son compte créé.",
        email=invitation.email,
    )
    return done(ticket, message, main="participants")


@bp.route("/<reference>/notifications", methods=["POST"])
@login_required
def notifications(reference: str):
    ticket = get_ticket_or_404(reference)
    form = NotificationsForm()
    wanted = form.wanted
    if not form.validate() or wanted is None:
        abort(400)
    try:
        service.set_notifications(current_user, ticket.id, wanted)
    except TicketNotFound:
        abort(404)
    message = (
        _("Notifications activées pour cette demande.")
        if wanted
        else _("Notifications désactivées pour cette demande.")
    )
    return done(ticket, message, main="state")
