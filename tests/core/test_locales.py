"""French and German: how a page picks its language, and each message its recipient's.

With the real compiled catalogues (the test command compiles app/translations/*), real mails
delivered to a real SMTP server on loopback.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.auth import invitations
from app.auth.reset import reset_token
from app.core.filters import date_fr, datetime_fr, number
from app.core.locales import COOKIE, in_language, known
from app.dashboard.svg import backlog, within_target
from app.extensions import db
from app.models import OutboxMessage, Role, User
from app.models.types import utcnow
from app.notify.jobs import send_outbox_message
from app.sla.calendar import DG, FWB, public_holiday_name
from app.sla.display import duration_text, moment_text
from app.tickets import planning
from app.tickets.planning import date_text
from app.tickets.service import ActionInput, NewTicket, apply_action, create_ticket
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.environment import drain_queue
from tests.support.tickets import NOW, TOMORROW_10H, build_world, later
from tests.support.web import csrf_token, extract_csrf, signed_in

GERMAN = {"Accept-Language": "de-BE,de;q=0.9,fr;q=0.5"}
FRENCH = {"Accept-Language": "fr-BE,fr;q=0.9"}
LANG = re.compile(r'<html lang="([^"]+)">')
ANNA = "anna.schmitz@schule.example.be"  # a DG teacher without an account


def _lang(response) -> str:
    return LANG.search(response.get_data(as_text=True)).group(1)


# ------------------------------------------------------------------ pages


def test_the_browser_language_chooses_the_sign_in_page(client):
    german = client.get("/connexion", headers=GERMAN)
    assert german.status_code == 200
    assert _lang(german) == "de-BE"
    page = german.get_data(as_text=True)
    assert "Anmeldung" in page
    assert "Passwort vergessen?" in page
    assert "Mot de passe oublié" not in page
    assert "Accept-Language" in german.headers["Vary"]

    french = client.get("/connexion", headers=FRENCH)
    assert _lang(french) == "fr-BE"
    assert "Mot de passe oublié" in french.get_data(as_text=True)
    # No preference, or one the portal does not speak: French.
    assert _lang(client.get("/connexion")) == "fr-BE"
    assert _lang(client.get("/connexion", headers={"Accept-Language": "en-GB"})) == "fr-BE"


def test_the_switch_sets_the_language_of_a_visitor(client):
    page = client.get("/connexion", headers=FRENCH).get_data(as_text=True)
    assert 'href="/langue/de?next=/connexion"' in page

    response = client.get("/langue/de?next=/connexion", headers=FRENCH)
    assert response.status_code == 303
    assert response.headers["Location"] == "/connexion"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=de;")
    assert "SameSite=Lax" in cookie
    # The choice wins over the browser's language.
    page = client.get("/connexion", headers=FRENCH)
    assert _lang(page) == "de-BE"
    assert "Anmeldung" in page.get_data(as_text=True)

    back = client.get("/langue/fr?next=/connexion", headers=GERMAN)
    assert back.status_code == 303
    assert _lang(client.get("/connexion", headers=GERMAN)) == "fr-BE"


def test_the_language_cookie_is_secure_where_the_session_is(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    cookie = app.test_client().get("/langue/de").headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_the_switch_never_leaves_the_site(client, target):
    response = client.get("/langue/de", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_forged_language_is_ignored(client):
    response = client.get("/langue/xx?next=/connexion")
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    for forged in ("xx", "<script>", "de" * 300):
        client.set_cookie(COOKIE, forged)
        page = client.get("/connexion", headers={"Accept-Language": "zz;q=2, ;;"})
        assert page.status_code == 200
        assert _lang(page) == "fr-BE"
    assert known("de_BE") == known("DE") == "de"
    assert known("<de>") is None
    assert known(None) is None


def test_error_pages_speak_the_visitors_language(client):
    response = client.get("/nulle-part", headers=GERMAN)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)
    assert _lang(response) == "de-BE"
    assert "Page introuvable" in client.get("/nulle-part", headers=FRENCH).get_data(as_text=True)


def test_a_german_account_reads_german_and_can_go_back_to_french(app):
    user = factories.user(Role.ASSISTANT, language="de", full_name="Lena Kessler")
    db.session.commit()
    client = signed_in(app, user)
    # Signed in, the account's language wins over the browser's.
    home = client.get("/", headers=FRENCH)
    assert home.status_code == 200
    assert _lang(home) == "de-BE"
    assert "Anfragen" in home.get_data(as_text=True)
    profile = client.get("/profil", headers=FRENCH).get_data(as_text=True)
    assert "Mein Profil" in profile
    assert '<option selected value="de">Deutsch</option>' in profile

    # A forged language: the form comes back, in German, nothing saved.
    token = extract_csrf(profile)
    refused = client.post(
        "/profil", data={"full_name": "Lena Kessler", "language": "xx", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Keine gültige Auswahl" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "de"

    saved = client.post(
        "/profil",
        data={"full_name": "Lena Kessler", "language": "fr", "csrf_token": token},
        follow_redirects=True,
    )
    assert saved.status_code == 200
    page = saved.get_data(as_text=True)
    assert _lang(saved) == "fr-BE"
    assert "Votre profil a été enregistré." in page
    assert "Mon profil" in page
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "fr"


def test_sign_up_stores_the_chosen_language(app, client):
    admin = factories.user(Role.ADMIN)
    db.session.commit()
    request = invitations.InvitationRequest(
        email="jonas@schule.example.be", role=Role.ASSISTANT, language="de"
    )
    invitation = invitations.invite(admin, request)
    # The invitation mail is written in the invitation's language.
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == "jonas@schule.example.be")
    )
    assert mail.subject.startswith("Schließen Sie Ihre Registrierung")
    assert mail.language == "de"

    path = "/inscription/" + invitations.invitation_token(invitation)
    # The page speaks the invitation's language, whatever the browser's.
    page = client.get(path, headers=FRENCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option selected value="de">Deutsch</option>' in html
    assert "Registrieren" in html
    assert _lang(page) == "de-BE"
    response = client.post(
        path,
        data={
            "full_name": "Jonas Meyer",
            "password": "Ein langer Satz mit Bergen und Tälern",
            "language": "de",
            "csrf_token": extract_csrf(html),
        },
        headers=FRENCH,
    )
    assert response.status_code in (302, 303)
    user = db.session.scalar(select(User).where(User.email == "jonas@schule.example.be"))
    assert user.language == "de"
    # Signed in now: German pages, whatever the browser says.
    assert _lang(client.get("/", headers=FRENCH)) == "de-BE"


def test_the_reset_page_speaks_the_accounts_language(client):
    user = factories.user(Role.TEACHER, language="de")
    db.session.commit()
    page = client.get(f"/mot-de-passe/nouveau/{reset_token(user)}", headers=FRENCH)
    assert page.status_code == 200
    assert _lang(page) == "de-BE"
    assert "Neues Passwort" in page.get_data(as_text=True)


# ------------------------------------------------------------------ formats


def test_the_first_day_of_a_month_is_written_1er_in_french(app):
    first = datetime(2026, 11, 1, 9, tzinfo=UTC)  # a Sunday, 10:00 in Brussels
    with app.test_request_context():
        with in_language("fr"):
            assert date_fr(date(2026, 11, 1)) == "1er novembre 2026"
            assert date_fr(first) == "1er novembre 2026"
            assert datetime_fr(first) == "1er novembre 2026 à 10:00"
            assert date_text(first) == "1er novembre 2026"
            assert "le dimanche 1er novembre" in planning.visit_warning(first).lower()
            assert date_fr(date(2026, 11, 11)) == "11 novembre 2026"
            assert date_fr(date(2026, 11, 21)) == "21 novembre 2026"
        with in_language("de"):
            assert date_fr(date(2026, 11, 1)) == "1. November 2026"
            assert datetime_fr(first) == "1. November 2026 um 10:00"
            assert date_text(first) == "1. November 2026"


def test_dates_and_numbers_in_belgian_french_and_german(app):
    day = date(2026, 3, 3)
    with app.test_request_context():
        with in_language("fr"):
            assert date_fr(day) == "3 mars 2026"
            assert datetime_fr(NOW) == "3 mars 2026 à 09:00"
            assert number(1234.5) == "1\u202f234,5"
            assert date_text(NOW) == "3 mars 2026"
        with in_language("de"):
            assert date_fr(day) == "3. März 2026"
            assert datetime_fr(NOW) == "3. März 2026 um 09:00"
            assert number(1234.5) == "1.234,5"
            assert date_text(NOW) == "3. März 2026"
        with in_language("de"):
            assert duration_text(3 * 480 + 240) == "3 Arbeitstage und 4 h"
            assert moment_text(NOW) == "Di., 03.03. um 09:00"
        with in_language("fr"):
            assert duration_text(3 * 480 + 240) == "3 jours ouvrés et 4 h"
            assert moment_text(NOW) == "mar. 03/03 à 09:00"
        # Outside any choice, the portal's French.
        assert date_fr(day) == "3 mars 2026"


def test_calendar_names_and_charts_in_the_readers_language(app):
    christmas = date(2026, 12, 25)
    with app.test_request_context():
        with in_language("de"):
            assert public_holiday_name(christmas) == "Weihnachten"
            assert str(DG.day_name) == "Tag der Deutschsprachigen Gemeinschaft"
            assert str(FWB.name) == "Föderation Wallonie-Brüssel"
            chart = within_target([]) + backlog([])
            assert "Ziel 85" in chart
            assert "Keine Daten" in chart
            assert "7–15\u00a0T." in chart
            assert "objectif" not in chart
        with in_language("fr"):
            assert public_holiday_name(christmas) == "Noël"
            assert str(DG.day_name) == "Fête de la Communauté germanophone"
            chart = within_target([]) + backlog([])
            assert "objectif 85" in chart
            assert "7–15 j" in chart


def test_a_visit_warning_in_the_readers_language(app):
    saturday = planning.to_utc(date(2026, 3, 7), time(10, 0))
    wednesday = planning.to_utc(date(2026, 3, 11), time(14, 0))
    with app.test_request_context():
        with in_language("fr"):
            assert planning.visit_warning(saturday) == (
                "Le samedi 7 mars est un jour de week-end : confirmez-vous cette date ?"
            )
        with in_language("de"):
            assert planning.visit_warning(saturday) == (
                "Samstag, 7. März ist ein Wochenendtag: Bestätigen Sie dieses Datum?"
            )
            assert planning.visit_warning(wednesday).startswith("Mittwoch, 11. März um 14:00 ist")


# ------------------------------------------------------------------ messages


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def _dg_ticket(world, now=NOW):
    """A ticket at a school of the German-speaking Community, for a teacher without account."""
    world.site.school_calendar = "dg"
    db.session.commit()
    data = NewTicket(
        request_type_id=world.request_type.id,
        summary="Beamer defekt",
        description="Diagnostic : lampe HS.",
        site_id=world.site.id,
        contact_name="Anna Schmitz",
        contact_phone="+3287123456",
        contact_email=ANNA,
        equipment_serial="SN-000777",
        equipment_description="Lot 02 - Projecteur",
        supplier_id=world.supplier.id,
    )
    return create_ticket(world.assistant, data, now=now)


def _by_recipient(app, smtp_server) -> dict:
    drain_queue(app)
    got = {}
    for item in smtp_server.messages:
        [to] = item["to"]
        got.setdefault(to, []).append(item["message"])
    smtp_server.messages.clear()
    return got


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_one_event_two_recipients_two_languages(mail_app, smtp_server):
    world = build_world()
    ticket = _dg_ticket(world)
    got = _by_recipient(mail_app, smtp_server)
    # The new ticket reaches the company (French) and its contact (German), once each.
    [supplier_mail] = got["support@meuse.example.com"]
    [teacher_mail] = got[ANNA]
    assert supplier_mail["Subject"] == f"[{ticket.reference}] Nouvelle demande — Beamer defekt"
    assert teacher_mail["Subject"] == f"[{ticket.reference}] Neue Anfrage — Beamer defekt"
    for mail, lang in ((supplier_mail, "fr-BE"), (teacher_mail, "de-BE")):
        assert f'<html lang="{lang}">' in mail.get_body(("html",)).get_content()
    # The ticket's state, in the body, in each reader's words.
    assert "OFFEN" in _text(teacher_mail)
    assert "OUVERT" in _text(supplier_mail)

    # A visit: the German teacher reads German words and a German date, the French-speaking
    # coordinator French ones, in the subject, the body and the calendar invitation.
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=TOMORROW_10H),
        now=later(5),
    )
    got = _by_recipient(mail_app, smtp_server)
    [teacher_mail] = got[ANNA]
    [coordinator_mail] = got["olivier@relais.example.com"]
    assert teacher_mail["Subject"].startswith(
        f"[{ticket.reference}] Einsatz geplant am 4. März 2026 um 10:00"
    )
    assert "Einsatz geplant am 4. März 2026 um 10:00" in _text(teacher_mail)
    assert "Intervention prévue" not in teacher_mail["Subject"] + _text(teacher_mail)
    assert coordinator_mail["Subject"].startswith(
        f"[{ticket.reference}] Intervention prévue le 4 mars 2026 à 10:00"
    )
    assert "Einsatz geplant" not in _text(coordinator_mail)
    # The visit's message is written for the school, in its language: the coordinator reads it
    # as the teacher got it.
    assert "der Einsatz ist für den 4. März 2026 um 10:00 geplant." in _text(teacher_mail)
    assert "der Einsatz ist für den 4. März 2026 um 10:00 geplant." in _text(coordinator_mail)
    [calendar] = [p for p in teacher_mail.walk() if p.get_content_type() == "text/calendar"]
    ics = calendar.get_content()
    assert "Lieferant: Meuse Informatique" in ics.replace("\r\n ", "")
    assert "Fournisseur :" not in ics
    # Each row keeps the language it was written in (a digest is written again in it).
    rows = db.session.execute(
        select(OutboxMessage.recipient, OutboxMessage.language).where(
            OutboxMessage.ticket_id == ticket.id
        )
    ).all()
    languages = dict(rows)
    assert languages[ANNA] == "de"
    assert languages["olivier@relais.example.com"] == "fr"


def test_an_account_language_beats_the_school(mail_app, smtp_server):
    world = build_world()
    world.teacher.language = "de"  # Claire, at a French-speaking school, reads German
    world.supplier_user.language = "de"  # not the company's reference address: no effect
    db.session.commit()
    ticket = world.new_ticket()
    got = _by_recipient(mail_app, smtp_server)
    assert got[world.teacher.email][0]["Subject"].startswith(f"[{ticket.reference}] Neue Anfrage")
    assert "Nouvelle demande" in got["support@meuse.example.com"][0]["Subject"]


def _a_future_tuesday() -> datetime:
    # The digest's window is counted in real time by the in-process queue: a date to come.
    day = (utcnow() + timedelta(days=400)).date()
    while day.weekday() != 1:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


def test_a_digest_is_written_in_its_recipients_language(make_app, smtp_server):
    app = make_app(
        MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, RELAIS_DIGEST_SECONDS=60
    )
    start = _a_future_tuesday()
    visit = start + timedelta(days=1, hours=1)
    with app.app_context():
        world = build_world()
        ticket = _dg_ticket(world, now=start)
        apply_action(
            world.supplier_user,
            ticket.id,
            Action.PLAN,
            ActionInput(planned_at=visit),
            now=start + timedelta(seconds=10),
        )
        db.session.expire_all()
        for message_id in db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.recipient == ANNA)
            .order_by(OutboxMessage.id)
        ).all():
            send_outbox_message(message_id, now=start + timedelta(seconds=60))
        mails = [m["message"] for m in smtp_server.messages if m["to"] == [ANNA]]
        assert [m["Subject"] for m in mails] == [
            f"[{ticket.reference}] Neue Anfrage — Beamer defekt (+1 Änderung)"
        ]
        with in_language("de"):
            day = date_text(visit)
        assert f"Einsatz geplant am {day}" in _text(mails[0])
        assert "Intervention prévue" not in _text(mails[0])


def test_the_mail_answer_page_speaks_the_mails_language(mail_app, smtp_server):
    world = build_world()
    finished = utcnow() - timedelta(hours=1)
    ticket = _dg_ticket(world, now=utcnow() - timedelta(days=60))
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=finished - timedelta(hours=1)),
        now=finished - timedelta(days=1),
    )
    apply_action(
        world.supplier_user,
        ticket.id,
        Action.FINISH,
        ActionInput(summary="Lampe ersetzt."),
        now=finished,
    )
    body = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.recipient == ANNA)
        .order_by(OutboxMessage.id.desc())
    ).first()
    path = re.search(r"http://relais\.test(/reponse/\S+)", body).group(1)
    client = mail_app.test_client()
    page = client.get(path, headers=FRENCH)
    assert page.status_code == 200
    assert _lang(page) == "de-BE"
    assert "Einsatz bestätigen" in page.get_data(as_text=True)
    # The switch still works there: the visitor's choice wins.
    client.get("/langue/fr")
    assert "Approuver l’intervention" in client.get(path).get_data(as_text=True)


def test_the_calendar_feed_follows_its_owner(app):
    coordinator = factories.user(Role.COORDINATOR, language="de")
    db.session.commit()
    client = signed_in(app, coordinator)
    page = client.get("/agenda/")
    token = csrf_token(client, "/agenda/")
    client.post("/agenda/lien", data={"csrf_token": token})
    db.session.expire_all()
    feed_token = db.session.get(User, coordinator.id).calendar_token
    assert page.status_code == 200
    assert feed_token
    feed = app.test_client().get(f"/agenda/{feed_token}.ics", headers=FRENCH)
    assert feed.status_code == 200
    assert "Relais — Einsätze aller Lieferanten" in feed.get_data(as_text=True)


def test_exports_are_headed_in_the_language_of_who_asks(app):
    french = factories.user(Role.COORDINATOR)
    german = factories.user(Role.COORDINATOR, language="de")
    db.session.commit()
    query = "?du=2026-03-01&au=2026-03-31"
    for user, first_line in (
        (french, "Référence;Type;État;Résumé"),
        (german, "Referenz;Art;Status;Zusammenfassung"),
    ):
        export = signed_in(app, user).get(f"/suivi/export/demandes.csv{query}", headers=GERMAN)
        assert export.status_code == 200
        assert export.get_data(as_text=True).lstrip("\ufeff").startswith(first_line)
