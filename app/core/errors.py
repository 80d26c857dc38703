"""Error pages in the site's layout, in French; a CSRF failure is a clear message, not a 400.

An htmx request (not a boosted link, which wants the whole page) gets the message alone, sent to
the page's #request-error area (HX-Retarget): htmx swaps error answers too (base.html), and a
whole page swapped into the form that asked would nest the page, menu included, in itself.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.htmx import wants_fragment
from app.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Requête incorrecte"), _l("La demande envoyée n’a pas pu être comprise.")),
    403: (_l("Accès refusé"), _l("Vous n’avez pas accès à cette page.")),
    404: (_l("Page introuvable"), _l("Cette page n’existe pas ou n’existe plus.")),
    405: (_l("Méthode non autorisée"), _l("Cette action ne peut pas se faire de cette manière.")),
    413: (_l("Fichier trop volumineux"), _l("Le fichier envoyé dépasse la taille autorisée.")),
    429: (
        _l("Trop de tentatives"),
        _l("Vous avez fait trop de tentatives en peu de temps. Patientez quelques minutes."),
    ),
    500: (
        _l("Erreur interne"),
        _l("Une erreur inattendue s’est produite. L’équipe a été prévenue."),
    ),
}


ERROR_AREA = "#request-error"


def _page(code: int, title=None, message=None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    context = {"code": code, "title": title or default_title, "message": message or default_message}
    if wants_fragment():
        headers = {"HX-Retarget": ERROR_AREA, "HX-Reswap": "innerHTML show:top"}
        return render_template("errors/_message.html", **context), code, headers
    return render_template("errors/error.html", **context), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):
        return _page(
            400,
            _l("Formulaire expiré"),
            _l(
                "Le formulaire a expiré ou n’a pas été envoyé depuis Relais. "
                "Rechargez la page et recommencez."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = exc.code or 500
        if code in MESSAGES or (code >= 400 and wants_fragment()):
            return _page(code)
        return exc  # a redirect (308 to the address with its slash), or a rare status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _page(500)
