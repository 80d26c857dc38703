"""The interface's texts: all marked for translation, all in the French catalogue and translated in
the German one, compiled."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import get_translations

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Text between tags that is not a Jinja expression: a sentence written straight into a template.
BARE_TEXT = re.compile(r">\s*([^<>{}]*?[A-Za-zÀ-ÿ]{2,}[^<>{}]*?)\s*<")
ALLOWED_BARE = {"Relais"}  # none so far besides brand names


def _strip_jinja(source: str) -> str:
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    source = re.sub(r"{%.*?%}", "", source, flags=re.S)
    return re.sub(r"{{.*?}}", "", source, flags=re.S)


def test_templates_have_no_unmarked_text():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):  # mails included
        for text in BARE_TEXT.findall(_strip_jinja(path.read_text())):
            if text.strip() not in ALLOWED_BARE and not text.strip().startswith("&"):
                offenders.append(f"{path.relative_to(ROOT)}: {text.strip()!r}")
    assert offenders == []


def _marked(tmp_path) -> set:
    """The message ids of every marked text, extracted as `make messages` does."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_french_catalogue_holds_every_marked_string(tmp_path):
    marked = _marked(tmp_path)
    with (ROOT / "app/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = {m.id for m in read_po(fh) if m.id}
    missing = sorted(str(m) for m in marked - catalogue)
    assert missing == [], "run `make messages` to update the catalogue"


def test_german_catalogue_is_complete(tmp_path):
    """Every marked text has its German: a new French text without one fails here."""
    with (ROOT / "app/translations/de/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = list(read_po(fh))
    entries = {m.id: m for m in catalogue if m.id}
    missing = sorted(str(m) for m in _marked(tmp_path) - set(entries))
    assert missing == [], "run `make messages`, then translate the new entries"
    untranslated = [
        str(m.id)
        for m in entries.values()
        if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == [], f"{len(untranslated)} German entries empty or fuzzy"


def test_compiled_catalogue_is_loaded(app):
    with app.test_request_context():
        translations = get_translations()
    # NullTranslations (no compiled .mo) has no catalogue: the install step compiles it.
    assert getattr(translations, "_catalog", None), "app/translations/fr was not compiled"
