"""« Envois » (/admin/envois): the messages Relais sends, their failures, and *Renvoyer*.

Admins only. The rules and queries live in app.notify.admin; these views read the address,
call them and choose between the whole page and the fragment htmx asked for.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from app.admin.views import bp
from app.auth.access import admin_required
from app.core.forms import EmptyForm, Form, QueryForm
from app.core.htmx import wants_fragment
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.notify import admin as outbox_admin


class OutboxSearchForm(QueryForm):
    """The search above the list."""

    q = StringField(
        _l("Destinataire ou demande"),
        validators=[Optional(), Length(max=120)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "type": "search"},
    )


class ResendShownForm(Form):
    """« Renvoyer tous les échecs affichés »: the ids of the failed rows the page showed."""

    ids = HiddenField(validators=[Optional(), Length(max=4000)])

    def message_ids(self) -> list[str]:
        return [part for part in (self.ids.data or "").split(",") if part.strip()]


def _count_text(count: outbox_admin.Count) -> str:
    """« 12 », « 10 000+ » (a count that stopped at its cap)."""
    return format_decimal(count.value) + ("+" if count.capped else "")


def _tab_counts(counts: dict[str, outbox_admin.Count]) -> dict[str, str]:
    def total(statuses) -> outbox_admin.Count:
        parts = [counts[str(s)] for s in statuses]
        return outbox_admin.Count(sum(c.value for c in parts), any(c.capped for c in parts))

    return {key: _count_text(total(statuses)) for key, statuses in outbox_admin.TABS.items()}


def _context(f: outbox_admin.OutboxFilter, counts: dict, **extra) -> dict:
    page = outbox_admin.list_messages(f)
    tab_counts = _tab_counts(counts)
    return {
        "filters": f,
        "page": page,
        "tabs": TAB_LABELS,
        "tab_count": tab_counts.get,
        "search_form": OutboxSearchForm(formdata=None, q=f.q),
        "shown_form": ResendShownForm(formdata=None, ids=",".join(str(i) for i in page.failed_ids)),
        "notice": None,
        "notice_kind": "success",
        **extra,
    }


TAB_LABELS = {
    "echecs": _l("Échecs"),
    "attente": _l("En attente"),
    "envoyes": _l("Envoyés"),
    "tous": _l("Tous"),
}


def _filter() -> tuple[outbox_admin.OutboxFilter, dict]:
    """The filter the address asks for, and the counts (which choose the default tab)."""
    counts = outbox_admin.counts()
    failures = counts[OutboxStatus.FAILED].value > 0
    return outbox_admin.parse_filter(request.args, has_failures=failures), counts


@bp.route("/envois")
@admin_required
def outbox():
    f, counts = _filter()
    template = "admin/_outbox.html" if wants_fragment() else "admin/outbox.html"
    return render_template(template, **_context(f, counts))


def _answer(result: outbox_admin.ResendResult) -> tuple[str, str]:
    """The French sentence after *Renvoyer*, and its kind (success or warning)."""
    n = len(result.messages)
    if n == 0:
        return _("Aucun de ces messages n’est en échec : rien n’a été renvoyé."), "warning"
    if n == 1:
        message = result.messages[0]
        if result.sent:
            return _("Le message à %(email)s est envoyé.", email=message.recipient), "success"
        if result.failed:
            return (
                _(
                    "Le message à %(email)s n’a de nouveau pas pu être envoyé : %(error)s",
                    email=message.recipient,
                    error=message.last_error or "",
                ),
                "error",
            )
        return (
            _("Le message à %(email)s est remis dans la file d’envoi.", email=message.recipient),
            "success",
        )
    text = ngettext("%(num)s message renvoyé", "%(num)s messages renvoyés", n)
    details = []
    if result.sent:
        details.append(ngettext("%(num)s envoyé", "%(num)s envoyés", result.sent))
    if result.waiting:
        details.append(
            ngettext("%(num)s dans la file d’envoi", "%(num)s dans la file d’envoi", result.waiting)
        )
    if result.failed:
        details.append(
            ngettext("%(num)s de nouveau en échec", "%(num)s de nouveau en échec", result.failed)
        )
    sentence = f"{text} : {', '.join(details)}." if details else f"{text}."
    return sentence, "warning" if result.failed else "success"


def _after_resend(result: outbox_admin.ResendResult):
    """htmx gets the list as it is now with the answer in it; a plain POST is redirected."""
    sentence, kind = _answer(result)
    f, counts = _filter()
    if wants_fragment():
        return render_template(
            "admin/_outbox.html", **_context(f, counts, notice=sentence, notice_kind=kind)
        )
    flash(sentence, kind)
    return redirect(url_for("admin.outbox", **f.url_args()), code=303)


@bp.route("/envois/<int:message_id>/renvoyer", methods=["POST"])
@admin_required
def resend_message(message_id: int):
    if db.session.get(OutboxMessage, message_id) is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = outbox_admin.resend([message_id], current_user._get_current_object())
    return _after_resend(result)


@bp.route("/envois/renvoyer", methods=["POST"])
@admin_required
def resend_messages():
    form = ResendShownForm()
    if not form.validate_on_submit():
        abort(400)
    result = outbox_admin.resend(form.message_ids(), current_user._get_current_object())
    return _after_resend(result)
