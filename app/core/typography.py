"""French typography: no line break before « : ; ? ! », nor inside « ».

French puts a space before those signs and inside the guillemets, and a reader must never see
the sign alone at the start of a line. The rule is applied where the French words come from,
once, rather than typed as entities in each text:

- the catalogue: every text read through gettext (`_()`, `_l()`, `ngettext`, in Python and in
  templates) while the locale is French gets its spaces made non-breaking before the values are
  put in (TypographicDomain): what people typed (a ticket's summary, a comment) is never
  changed, and a form gives back exactly what was written;
- the templates' own words between two tags (« {{ _("État") }} : … »), by a Jinja extension
  that rewrites the literal text when a template is compiled (TypographyExtension).

U+202F (narrow no-break space) before « ; ? ! » and inside « », U+00A0 before « : ».
`RELAIS_FRENCH_TYPOGRAPHY` turns it off (see docs/architecture.md).
"""

from __future__ import annotations

import re

from flask import current_app, has_app_context
from flask_babel import Domain, get_locale
from jinja2.ext import Extension
from jinja2.lexer import Token

NARROW = "\u202f"
NBSP = "\u00a0"

_BEFORE = re.compile(r"[ \u00a0\u202f]+([;?!»])")
_COLON = re.compile(r"[ \u00a0\u202f]+:(?=[\s<{]|$)")
_AFTER = re.compile(r"«[ \u00a0\u202f]+")


def french(text: str) -> str:
    """`text` with the spaces French typography wants unbreakable made so."""
    if not isinstance(text, str) or not any(sign in text for sign in ":;?!«»"):
        return text
    text = _BEFORE.sub(lambda match: NARROW + match.group(1), text)
    text = _COLON.sub(NBSP + ":", text)
    return _AFTER.sub("«" + NARROW, text)


def enabled() -> bool:
    return has_app_context() and current_app.config.get("RELAIS_FRENCH_TYPOGRAPHY", True)


def typeset(text: str) -> str:
    """A French text written in Python (not in the catalogue), as the reader gets it."""
    return french(text) if enabled() else text


class _French:
    """A catalogue whose texts come out with French typography (the rest is the catalogue's)."""

    def __init__(self, translations):
        self._translations = translations

    def __getattr__(self, name):
        return getattr(self._translations, name)

    def ugettext(self, message):
        return french(self._translations.ugettext(message))

    def ungettext(self, singular, plural, num):
        return french(self._translations.ungettext(singular, plural, num))

    def upgettext(self, context, message):
        return french(self._translations.upgettext(context, message))

    def unpgettext(self, context, singular, plural, num):
        return french(self._translations.unpgettext(context, singular, plural, num))

    gettext, ngettext, pgettext, npgettext = ugettext, ungettext, upgettext, unpgettext


class TypographicDomain(Domain):
    """Flask-Babel's domain, its texts given French typography when the locale is French."""

    def get_translations(self):
        translations = super().get_translations()
        locale = get_locale()
        if locale is not None and locale.language == "fr" and enabled():
            return _French(translations)
        return translations


class TypographyExtension(Extension):
    """The literal words of the templates, with French typography (at compile time)."""

    def filter_stream(self, stream):
        active = self.environment.globals.get("french_typography", True)
        for token in stream:
            if active and token.type == "data":
                yield Token(token.lineno, token.type, french(token.value))
            else:
                yield token


def register(app, babel) -> None:
    babel.domain_instance = TypographicDomain()
    app.jinja_env.globals["french_typography"] = app.config.get("RELAIS_FRENCH_TYPOGRAPHY", True)
    app.jinja_env.add_extension(TypographyExtension)
