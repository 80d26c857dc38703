"""The dev mailbox pages: every message Relais "sent" without an SMTP server.

Registered only outside production (app/__init__.py), and open without signing in: it is how an
invited person reads their invitation on a development machine.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core.forms import EmptyForm
from app.devmail import mailbox

bp = Blueprint("devmail", __name__)

# The HTML part is shown in a sandboxed frame with a policy of its own: no script, nothing fetched.
HTML_PART_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "sandbox allow-top-navigation-by-user-activation allow-popups"
)
URL = re.compile(r"https?://[^\s<>\"']+")
# Where a <base> goes: at the start of the head, else right after the first of these tags.
_BASE_AFTER = [
    re.compile(rf"<{tag}\b[^>]*>", re.IGNORECASE) for tag in ("head", "html", "!doctype")
]


def linkify(text: str) -> Markup:
    """The text part with its links clickable (everything else escaped)."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def links_open_the_page(html: str) -> str:
    """The HTML part with `<base target="_top">`: its buttons (« S’inscrire », « Voir la
    demande », « Approuver ») open the page in the whole tab, as in a mail client.

    A link of the part otherwise opens inside the frame, where every Relais page refuses to be
    shown (frame-ancestors 'none'). The frame's sandbox already lets a click navigate the top
    page; `_blank` instead would open a tab that inherits the sandbox (no script, no form) unless
    the sandbox were widened with allow-popups-to-escape-sandbox."""
    base = '<base target="_top">'
    for tag in _BASE_AFTER:
        found = tag.search(html)
        if found:
            return html[: found.end()] + base + html[found.end() :]
    return base + html


@bp.route("/")
def index():
    return render_template("devmail/index.html", messages=mailbox.messages())


@bp.route("/<key>")
def show(key: str):
    message = mailbox.get(key)
    if message is None:
        abort(404)
    text = message.part("plain")
    return render_template(
        "devmail/message.html",
        message=message,
        has_html=message.part("html") is not None,
        text=linkify(text) if text else None,
    )


@bp.route("/<key>/html")
def html_part(key: str):
    message = mailbox.get(key)
    html = message.part("html") if message else None
    if html is None:
        abort(404)
    response = make_response(links_open_the_page(html))
    response.headers["Content-Security-Policy"] = HTML_PART_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/vider", methods=["POST"])
def clear():
    form = EmptyForm()
    if form.validate_on_submit():
        count = mailbox.clear()
        flash(_("%(n)s message(s) supprimé(s).", n=count), "success")
    return redirect(url_for("devmail.index"))
