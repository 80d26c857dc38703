"""The pages the approval mail's links open (no password: the signed link is the proof).

GET shows the ticket and one form; it never changes anything (mail scanners and link previews
follow links). The POST, with its CSRF token and rate-limited per client like the other public
forms, applies the answer through the ticket service as the ticket's contact, then redirects to
a confirmation. A link that may not act leads to a page saying what happened instead and what
the person can do.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, make_response, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import Form
from app.core.locales import choose_for_page
from app.extensions import db, limiter
from app.mail_actions.answers import (
    STATUS_CODES,
    Problem,
    finished_intervention,
    last_change,
    link_event,
    problem_with,
)
from app.mail_actions.tokens import (
    AnswerClaims,
    AnswerExpired,
    TokenExpired,
    TokenInvalid,
    make_answer_token,
    read_answer_token,
)
from app.models import Ticket
from app.notify import languages
from app.tickets import autoclose, service
from app.tickets.display import actor_name, equipment_text
from app.tickets.errors import Forbidden, StaleTicket, TicketError

bp = Blueprint("mail_actions", __name__)

DEFAULT_RATE_LIMIT = "10 per minute;60 per hour"
REASON_MAX = 5000


def _rate_limit() -> str:
    # Read at request time: each app (and each test) has its own settings.
    return current_app.config.get("RELAIS_MAIL_ANSWER_RATE_LIMIT") or DEFAULT_RATE_LIMIT


class ApproveAnswerForm(Form):
    """One deliberate press: only the CSRF token."""


class ReopenAnswerForm(Form):
    reason = TextAreaField(
        _l("Pourquoi le problème persiste-t-il ?"),
        validators=[
            DataRequired(message=_l("Expliquez pourquoi le problème persiste.")),
            Length(max=REASON_MAX, message=_l("%(max)d caractères au maximum.")),
        ],
    )


# ------------------------------------------------------------------ helpers


def _render(template: str, status: int = 200, **context):
    """A standalone page: the layout without the signed-in menu, never cached, never indexed,
    and no token leaking to other sites through the Referer header."""
    html = render_template(template, current_user=AnonymousUserMixin(), **context)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _load(token: str) -> tuple[AnswerClaims | None, Ticket | None, Problem | None]:
    try:
        claims = read_answer_token(token)
    except AnswerExpired as exc:
        ticket = db.session.get(Ticket, exc.claims.ticket_id)
        used = ticket is not None and link_event(ticket, exc.claims.link_id) is not None
        return exc.claims, ticket, Problem.USED if used else Problem.EXPIRED
    except TokenExpired:
        return None, None, Problem.EXPIRED
    except TokenInvalid:
        return None, None, Problem.INVALID
    ticket = db.session.get(Ticket, claims.ticket_id)
    return claims, ticket, problem_with(ticket, claims)


def _speak_as_mail(claims: AnswerClaims | None, ticket: Ticket | None) -> None:
    """The page in the language of the message the link came in (else the browser's)."""
    if claims is not None and ticket is not None and claims.is_for(ticket.contact_email or ""):
        choose_for_page(languages.of_contact(ticket))


def _refuse(problem: Problem, ticket: Ticket | None, claims: AnswerClaims | None):
    if problem == Problem.INVALID:
        ticket = None  # say nothing about a ticket a forged link names
    used = link_event(ticket, claims.link_id) if ticket is not None and claims else None
    return _render(
        "mail_actions/refused.html",
        STATUS_CODES[problem],
        problem=problem.value,
        ticket=ticket,
        used=used,
        change=last_change(ticket) if ticket is not None else None,
        reply_to=current_app.config.get("RELAIS_REPLY_TO"),
        who=actor_name,
    )


def _other_link(claims: AnswerClaims) -> str:
    """The same message's other answer (same link id, same expiry)."""
    other = "reopen" if claims.action == "approve" else "approve"
    return url_for(".answer", token=make_answer_token(replace(claims, action=other)))


# ------------------------------------------------------------------ pages


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
def answer(token: str):
    claims, ticket, problem = _load(token)
    _speak_as_mail(claims, ticket if problem != Problem.INVALID else None)
    if problem is not None:
        return _refuse(problem, ticket, claims)
    form = ReopenAnswerForm() if claims.action == "reopen" else ApproveAnswerForm()
    if form.validate_on_submit():
        reason = form.reason.data if isinstance(form, ReopenAnswerForm) else ""
        try:
            service.answer_from_mail(claims, reason=reason)
        except service.AnswerRefused as exc:
            return _refuse(exc.problem, db.session.get(Ticket, claims.ticket_id), claims)
        except (StaleTicket, Forbidden):
            # Changed in between (the automatic closure, someone on the ticket page): say what.
            db.session.expire_all()
            ticket = db.session.get(Ticket, claims.ticket_id)
            return _refuse(problem_with(ticket, claims) or Problem.MOVED_ON, ticket, claims)
        except TicketError as exc:
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors = [*target.errors, exc.message]
            else:
                form.form_errors.append(exc.message)
        else:
            return redirect(url_for(".done", token=token), code=303)
    status = 422 if form.is_submitted() else 200
    return _render(
        "mail_actions/answer.html",
        status,
        form=form,
        action=claims.action,
        ticket=ticket,
        intervention=finished_intervention(ticket),
        equipment_text=equipment_text(ticket),
        closes_at=autoclose.due_at(ticket),
        other_link=_other_link(claims),
        has_account=ticket.contact_user is not None,
    )


@bp.route("/<token>/merci")
def done(token: str):
    """The confirmation after the answer (a GET: reloading it changes nothing)."""
    try:
        claims = read_answer_token(token)
    except AnswerExpired as exc:
        claims = exc.claims
    except (TokenExpired, TokenInvalid):
        return _refuse(Problem.INVALID, None, None)
    ticket = db.session.get(Ticket, claims.ticket_id)
    _speak_as_mail(claims, ticket)
    event = link_event(ticket, claims.link_id) if ticket is not None else None
    if event is None:
        return redirect(url_for(".answer", token=token))
    return _render(
        "mail_actions/done.html",
        ticket=ticket,
        event=event,
        equipment_text=equipment_text(ticket),
        has_account=ticket.contact_user is not None,
        reply_to=current_app.config.get("RELAIS_REPLY_TO"),
    )
