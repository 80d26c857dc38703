"""French typography: no line break before « : ; ? ! » nor inside « », « 1er » for a first day.

The rule itself (app.core.typography), then every page the demo's people reach and every mail
the demo seed wrote, as they are read (the seeded demo runs with the typography on)."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from flask_babel import gettext, lazy_gettext, ngettext
from sqlalchemy import select

from app.core.locales import in_language
from app.core.typography import NARROW, NBSP, french
from app.demo.accounts import DEMO_ACCOUNTS
from app.extensions import db
from app.models import OutboxMessage
from tests.support.web import sign_in

# A breakable space (or a line break) before « : ; ? ! » or « » », or after « « ».
BREAKABLE = re.compile(r"[ \t\r\n][:;?!»]|«[ \t\r\n]")
MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
FIRST_DAY = re.compile(rf"(?<![\d,.])\b1 ({MONTHS})\b")


def test_the_rule():
    assert french("Demande : « Écran » ; prête ? Oui !") == (
        f"Demande{NBSP}: «{NARROW}Écran{NARROW}»{NARROW}; prête{NARROW}? Oui{NARROW}!"
    )
    assert (
        french("https://relais.test/x?page=2 et 10:30") == "https://relais.test/x?page=2 et 10:30"
    )


def test_the_catalogue_gives_french_texts_unbreakable_spaces_and_leaves_values_alone(make_app):
    app = make_app(RELAIS_FRENCH_TYPOGRAPHY=True)
    with app.test_request_context():
        with in_language("fr"):
            said = gettext("Choisir les e-mails que vous recevez :")
            assert said.endswith(NBSP + ":")
            assert str(lazy_gettext("Voir la demande :")).endswith(NBSP + ":")
            # The value typed by a person goes in as typed.
            assert (
                gettext("Type de demande : %(name)s", name="A ? B")
                == f"Type de demande{NBSP}: A ? B"
            )
            assert NARROW in ngettext("%(num)d jour ?", "%(num)d jours ?", 2)
        with in_language("de"):
            assert NBSP not in gettext("Choisir les e-mails que vous recevez :")


def _visible(page: str) -> str:
    """The text a reader sees (and the words of titles and labels)."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    words = re.findall(r'(?:title|aria-label|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", "", page)
    return html.unescape(text + "\n" + "\n".join(words))


def _problems(where: str, text: str) -> list[str]:
    found = []
    for match in BREAKABLE.finditer(text):
        found.append(f"{where}: …{text[max(0, match.start() - 40) : match.end() + 10]!r}")
    for match in FIRST_DAY.finditer(text):
        found.append(f"{where}: …{text[max(0, match.start() - 20) : match.end()]!r}")
    return found


SKIPPED = ("/static/", "/deconnexion", "/logout", ".ics", ".csv", "/agenda/", "/export")
PAGES_PER_PERSON = 60


def _links(page: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)"', page):
        href = html.unescape(href)
        parts = urlsplit(href)
        if parts.netloc or not href.startswith("/") or any(s in href for s in SKIPPED):
            continue
        found.append(href)
    return found


@pytest.mark.parametrize("role", sorted({account.role for account in DEMO_ACCOUNTS}))
def test_every_page_of_the_demo_has_french_typography(demo_app, role):
    demo_app.config["RELAIS_FRENCH_TYPOGRAPHY"] = True
    demo_app.jinja_env.globals["french_typography"] = True
    demo_app.jinja_env.cache.clear()
    account = next(a for a in DEMO_ACCOUNTS if a.role == role)
    client = demo_app.test_client()
    sign_in(client, account.email, account.password)
    queue, seen, problems = deque(["/"]), set(), []
    while queue and len(seen) < PAGES_PER_PERSON:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        problems += _problems(url, _visible(page))
        queue.extend(link for link in _links(page) if link not in seen)
    assert len(seen) > 5
    assert not problems, "\n".join(problems)


def test_every_mail_of_the_demo_has_french_typography(demo_app):
    problems = []
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.language == "fr")).all()
    assert messages
    for message in messages:
        where = f"#{message.id} {message.subject[:40]}"
        problems += _problems(where, message.subject)
        problems += _problems(where, message.body_text or "")
        problems += _problems(where, _visible(message.body_html or ""))
    assert not problems, "\n".join(problems)
