"""Which language a person reads: the portal speaks French and German (docs/languages.md).

A language is a short code, "fr" or "de"; Babel formats with the Belgian locale of each (fr_BE,
de_BE). A page follows, in this order: the language the page itself is about (a mail-answer page
follows its recipient's, the sign-up page its invitation's, unless the visitor chose another on
the switch), the signed-in person's account, the visitor's choice on the language switch (a
cookie), the browser's Accept-Language, then French. A message follows its recipient
(app.notify.languages). Any other value (a forged cookie, an old row) counts as no choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale, refresh
from flask_login import current_user

DEFAULT = "fr"
LANGUAGES = ("fr", "de")
LOCALES = {"fr": "fr_BE", "de": "de_BE"}
# Each language named in itself, as the switch and the forms show it (never translated).
NAMES = {"fr": "Français", "de": "Deutsch"}
COOKIE = "relais_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("locales", __name__)


def known(value: object) -> str | None:
    """`value` as a language code of the portal, or None ("de-BE", "DE" and "de_BE" are "de")."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def language_or_default(value: object) -> str:
    return known(value) or DEFAULT


def locale_of(language: object) -> str:
    """The Babel locale of a language code (fr_BE for anything unknown)."""
    return LOCALES[language_or_default(language)]


def current_language() -> str:
    """The language being written now: the page's, or the one a message is rendered in."""
    locale = get_locale() if has_app_context() else None
    return language_or_default(str(locale) if locale else None)


def current_locale() -> str:
    """The Babel locale to format dates and numbers with now (fr_BE outside any context)."""
    return locale_of(current_language())


@contextmanager
def in_language(language: object) -> Iterator[None]:
    """Render what is inside in `language` (a message for its recipient), whatever the page's."""
    with force_locale(locale_of(language)):
        yield


def choose_for_page(language: object) -> None:
    """The page answers in `language` (a mail-answer page, in its recipient's language)."""
    code = known(language)
    if code is not None:
        g.page_language = code
        refresh()


def page_language() -> str:
    """The language of the current request (see the module's docstring for the order)."""
    switched = known(request.cookies.get(COOKIE))
    chosen = g.get("page_language")
    if chosen:
        # A page about a message (a mail answer) speaks its language unless the visitor chose.
        return switched or chosen
    if current_user and current_user.is_authenticated:
        code = known(getattr(current_user, "language", None))
        if code:
            return code
    if switched:
        return switched
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def select_locale() -> str:
    """Flask-Babel's locale selector: a page's language, or the default outside a request."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return LOCALES[page_language()]


def switch_links() -> list[dict]:
    """The FR | DE links of the page footer: each sets the language and comes back here."""
    here = request.full_path.rstrip("?") if request.method == "GET" else "/"
    current = page_language()
    return [
        {
            "code": code,
            "label": code.upper(),
            "name": NAMES[code],
            "url": url_for("locales.switch", language=code, next=here),
            "current": code == current,
        }
        for code in LANGUAGES
    ]


@bp.get("/langue/<language>")
def switch(language: str):
    """Remember the visitor's language in a cookie and go back to the page (a local path only).

    A GET that only sets a preference, so that the switch works as a plain link, without
    JavaScript; an unknown code changes nothing. A signed-in person changes theirs on the profile.
    """
    from app.core.forms import safe_next

    response = redirect(safe_next(request.args.get("next")) or url_for("core.home"), code=303)
    code = known(language)
    if code is not None:
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
        )
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _languages():
        return {
            "html_lang": lambda: current_locale().replace("_", "-"),
            "language_links": switch_links,
        }

    @app.after_request
    def _vary(response):
        # The same URL answers in French or German: caches must keep them apart.
        response.vary.add("Accept-Language")
        return response
