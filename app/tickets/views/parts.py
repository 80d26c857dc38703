"""The ticket page's context and its answers, which every route of the page shares.

One context builder (`page_context`) feeds the whole page and every htmx answer, so that a
fragment swapped after a POST is exactly what the page would show. `respond` chooses: the whole
page, or (for htmx) the part that was asked for plus the other parts as out-of-band swaps.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.roles import EN_STAFF, can_open_outbox
from app.core.htmx import wants_fragment
from app.directory.permissions import can_open_device_history, can_view_supplier
from app.models import Ticket
from app.models.types import utcnow
from app.notify import admin as notify_admin
from app.notify import languages
from app.tickets import attachments, display, permissions, planning
from app.tickets.action_forms import (
    ACTION_FORMS,
    ActionForm,
    ChangeAssigneeForm,
    CommentForm,
    FinishOnSpotForm,
    NotificationsForm,
    RescheduleForm,
    ShareForm,
    VisitForm,
    fill_choices,
)
from app.tickets.permissions import ShareCircle, actor_for
from app.tickets.workflow import Action, Transition, available_actions

# The buttons people look for first (the current portal's green button): the main action.
MAIN_ACTIONS = (Action.PLAN, Action.FINISH, Action.RESOLVE, Action.APPROVE)
# Shown last, in red.
DANGER_ACTIONS = frozenset({Action.CANCEL})
# The parts of the page an htmx answer refreshes (each a template "tickets/_<part>.html"); the
# comment form is only swapped when it was sent (a comment being typed is never wiped).
PARTS = (
    "title",
    "frame",
    "state",
    "actions",
    "clocks",
    "details",
    "participants",
    "notified",
    "interventions",
    "activity",
    "files",
)
MAIN_PARTS = frozenset({*PARTS, "comment_form"})


# What « Partager » says to each circle (app.tickets.permissions.share_circle): its hint, and
# why an address was refused.
SHARE_HINTS = {
    ShareCircle.INVITE: _l("Une personne sans compte reçoit une invitation à s’inscrire."),
    ShareCircle.ACCOUNTS: _l("La personne doit avoir un compte Relais."),
    ShareCircle.COMPANY: _l("Un·e collègue de votre société qui a un compte Relais."),
    ShareCircle.SCHOOL: _l("Un·e collègue de votre école qui a un compte Relais."),
}


def action_options(action: Action, ticket: Ticket) -> list[tuple[int, str]]:
    return display.action_options(ticket, [action]).get(action.value, [])


def _local_now_floor() -> datetime:
    now = planning.to_local(utcnow())
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


def blank_form(action: Action, ticket: Ticket, options: list[tuple[int, str]]) -> ActionForm:
    """An action form as the page first shows it, carrying the current version."""
    form = ACTION_FORMS[action](formdata=None, prefix=action.value, version=ticket.version)
    fill_choices(form, options)
    if isinstance(form, RescheduleForm):
        visit = ticket.current_visit
        if visit is not None:
            local = planning.to_local(visit.planned_at)
            form.planned_date.data, form.planned_time.data = local.date(), local.time()
    if isinstance(form, VisitForm):
        form.refresh_message(languages.of_contact(ticket))
    if isinstance(form, FinishOnSpotForm):
        local = _local_now_floor()
        form.visited_date.data, form.visited_time.data = local.date(), local.time()
    if isinstance(form, ChangeAssigneeForm):
        form.assignee_id.data = ticket.assignee_id
    return form


def _ordered(transitions: list[Transition]) -> list[Transition]:
    def rank(t: Transition) -> tuple[int, int]:
        if t.action in MAIN_ACTIONS:
            return (0, 0)
        return (2, 0) if t.action in DANGER_ACTIONS else (1, 0)

    return sorted(transitions, key=rank)  # stable: the table's order within each group


def page_context(
    ticket: Ticket,
    *,
    bound: ActionForm | None = None,
    notice: str | None = None,
    notice_kind: str = "success",
    comment_form: CommentForm | None = None,
    share_form: ShareForm | None = None,
    share_notice: str | None = None,
    loaded: bool = False,
) -> dict:
    """Everything the page and its fragments show, for the current user.

    `loaded`: the ticket was just read by display.page_query (else it is read again, fresh)."""
    if not loaded:
        ticket = display.load_for_page(ticket.id)
    user = current_user._get_current_object()
    actor = actor_for(user, ticket)
    transitions = _ordered(
        available_actions(ticket.status, actor, has_supplier=ticket.supplier_id is not None)
    )
    forms: dict[str, ActionForm] = {}
    # The choices of every form shown (companies, technicians, people in charge): one statement.
    options = display.action_options(ticket, [t.action for t in transitions])
    for transition in transitions:
        if bound is not None and bound.action == transition.action:
            if isinstance(bound, VisitForm):
                bound.refresh_message(languages.of_contact(ticket))
            forms[transition.action.value] = bound
        else:
            choices = options.get(transition.action.value, [])
            forms[transition.action.value] = blank_form(transition.action, ticket, choices)
    main = next((t for t in transitions if t.action in MAIN_ACTIONS), None)
    staff = user.role in EN_STAFF
    if comment_form is None:
        comment_form = CommentForm(formdata=None)
    return {
        "ticket": ticket,
        "transitions": transitions,
        "forms": forms,
        "main_action": main.action if main else None,
        "danger_actions": DANGER_ACTIONS,
        "open_action": bound.action.value if bound is not None else None,
        "can_take": permissions.can_take(user, ticket),
        "can_edit": permissions.can_edit(user, ticket),
        "notice": notice,
        "notice_kind": notice_kind,
        "is_staff": staff,
        "sees_internal": permissions.sees_internal(user),
        "can_comment_internally": permissions.can_comment_internally(user, ticket),
        "share_hint": SHARE_HINTS.get(permissions.share_circle(user)),
        "outbox_link": (
            url_for("admin.outbox", statut="echecs", q=ticket.reference)
            if can_open_outbox(user.role)
            else None
        ),
        "school_link": (
            url_for("directory.school", fe=ticket.site.fe, fi=ticket.site.fi) if staff else None
        ),
        "supplier_link": (
            url_for("directory.supplier", supplier_id=ticket.supplier_id)
            if ticket.supplier is not None and can_view_supplier(user, ticket.supplier)
            else None
        ),
        "equipment_text": display.equipment_text(ticket),
        "device_link": _device_link(ticket, user),
        "visit": ticket.current_visit,
        "announced_visit": display.announced_visit(ticket),
        "approval_pending": display.approval_pending(ticket),
        "participants": display.participants(ticket),
        "notify_on": display.notifications_on(ticket, user),
        "notifications_form": NotificationsForm(formdata=None),
        "activity": display.activity(ticket, user),
        # « Notifications »: who was told of what, when (one query), and the failures for EN staff.
        "notified": notify_admin.messages_for_ticket(ticket, user),
        "files": display.visible_attachments(ticket, user),
        "accept": attachments.ACCEPT,
        "max_files": attachments.MAX_FILES,
        "comment_form": comment_form,
        "share_form": share_form or ShareForm(formdata=None),
        "share_notice": share_notice,
        "list_url": (
            url_for("tickets.index") if "tickets.index" in current_app.view_functions else None
        ),
    }


def _device_link(ticket: Ticket, user) -> str | None:
    """The device's history (directory), for those who may open it."""
    if not can_open_device_history(user):
        return None
    if ticket.equipment_id:
        return url_for("directory.device", equipment_id=ticket.equipment_id)
    identifier = ticket.equipment_label or ticket.equipment_serial
    return url_for("directory.device_by_identifier", identifier=identifier) if identifier else None


def respond(ticket: Ticket, *, main: str = "actions", status: int = 200, **context):
    """The whole page, or for htmx the `main` part and (unless the form came back with errors)
    the others out of band: the state, the buttons, the activity… as they are now."""
    assert main in MAIN_PARTS
    return render_page(page_context(ticket, **context), main=main, status=status)


def render_page(values: dict, *, main: str, status: int = 200):
    """`respond`, once the page's context (`values`) is built."""
    if wants_fragment():
        parts = [] if status == 422 else [p for p in PARTS if p != main]
        body = render_template("tickets/_updated.html", main=main, parts=parts, **values)
    else:
        body = render_template("tickets/show.html", main=main, **values)
    return body, status


def done(ticket: Ticket, message: str, *, main: str = "actions", anchor: str | None = None):
    """After a change: htmx gets the fresh parts; a plain POST is redirected (303) with a flash."""
    if wants_fragment():
        return respond(ticket, main=main, notice=message)
    flash(message, "success")
    return redirect(url_for("tickets.show", reference=ticket.reference, _anchor=anchor), code=303)
