"""Names an admin writes in French and in German, and the one rule that picks which to show.

A name is stored twice: `name` in French (always there, the catalogue's own language) and
`name_de` in German (optional). `Bilingual.label` gives the reader's one: the German name when
the current locale is German and it exists, else the French name, flagged `missing` so that
pages mark it (« (FR) », `lang="fr"`) instead of passing French off as German.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func

LANGUAGES = ("fr", "de")
FALLBACK = "fr"


def current_language() -> str:
    """The reader's language ("fr" or "de"): the locale of the request or of a mail being
    rendered (`force_locale`); French outside them and for any other locale."""
    locale = get_locale()
    language = locale.language if locale is not None else FALLBACK
    return language if language in LANGUAGES else FALLBACK


@dataclass(frozen=True)
class LocalizedText:
    text: str
    lang: str  # the language `text` is written in
    missing: bool = False  # the reader's language was wanted and is not written yet

    def __str__(self) -> str:
        # Plain text (mail bodies, choices, the command line): the hint in brackets.
        return f"{self.text} (FR)" if self.missing else self.text

    def __html__(self) -> str:
        if not self.missing:
            return str(escape(self.text))
        return Markup(
            '<span lang="fr">{text}</span> <small class="lang-hint" title="{title}">(FR)</small>'
        ).format(text=self.text, title=_("Pas encore traduit : nom français"))

    def __bool__(self) -> bool:
        return bool(self.text)


def pick(french: str, german: str | None, language: str | None = None) -> LocalizedText:
    """The text to show in `language` (the current one by default)."""
    language = language or current_language()
    if language == "de":
        if german:
            return LocalizedText(german, "de")
        return LocalizedText(french, "fr", missing=bool(french))
    return LocalizedText(french, "fr")


class Bilingual:
    """For models with `name`, `name_de`, `description` and `description_de` columns."""

    name: str
    name_de: str | None
    description: str
    description_de: str | None

    @property
    def label(self) -> LocalizedText:
        return pick(self.name, self.name_de)

    @property
    def description_label(self) -> LocalizedText:
        return pick(self.description, self.description_de)

    @classmethod
    def label_column(cls, language: str | None = None):
        """The SQL value of `label` (sorting, the export): the German name or the French one."""
        if (language or current_language()) == "de":
            return func.coalesce(func.nullif(cls.name_de, ""), cls.name)
        return cls.name
