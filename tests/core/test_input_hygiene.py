"""The input layer (app.core.input): whatever is typed, pasted or forged, never an answer ≥ 500.

Unicode digits and numbers beyond a column's range in searches, addresses and query parameters;
NUL and other control characters in every text; line breaks in one-line fields (they would break
every mail about the ticket); a file part where text is expected; bidirectional controls in an
attachment's name; an error page answering an htmx request. Each case ran into a 500 (on SQLite,
on PostgreSQL or both) or stored what it should not before the input layer existed.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.core import input as clean
from app.extensions import db
from app.models import (
    Attachment,
    Invitation,
    OutboxMessage,
    SchoolHoliday,
    Ticket,
    TicketEvent,
    TicketPause,
    User,
)
from app.models.types import utcnow
from app.tickets import planning
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.environment import drain_queue
from tests.support.tickets import TOMORROW_10H, build_world, later
from tests.support.web import csrf_token, extract_csrf, signed_in

HTMX = {"HX-Request": "true"}
NEW = "/demandes/nouvelle"
# « ² » sits next to « 1 » on a Belgian keyboard; « ① » is another digit int() refuses.
ODD_DIGITS = ["²", "①", "1²", "٣٣٣٣٣٣٣٣٣٣٣"]
# Beyond an INTEGER column (2³¹), a pasted phone number, beyond SQLite's 64 bits, absurdly long.
HUGE = [str(2**31), "32471234567", "12345678901234567890", "9" * 5000]


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def new_ticket_data(client, world, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, NEW),
        "site": world.site.label,
        "contact_name": "Claire Dumont",
        "contact_phone": "0123/456789",
        "contact_email": "claire@ecole.example.com",
        "equipment_serial": "SN-HORS-INVENTAIRE",
        "equipment_description": "Lot 03 - Écran interactif 75 pouces",
        "request_type": str(world.request_type.id),
        "summary": "Écran interactif ne s’allume plus",
        "description": "Diagnostic : l’alimentation ne répond plus.",
        "supplier": str(world.supplier.id),
        "assignee": str(world.assistant.id),
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------ the shared functions


def test_text_is_normalised_in_one_place():
    assert clean.clean_text("Cafe\u0301\x00 cr\u00e8me\u202e") == "Café crème"
    assert clean.clean_text("a\r\nb\rc\u2028d\x0be", multiline=True) == "a\nb\nc\nde"
    assert clean.clean_text("  Résumé\r\nsur deux lignes\t ", multiline=False) == (
        "Résumé sur deux lignes"
    )
    assert clean.control_character("a\x00b") == "U+0000"
    assert clean.control_character("a\x1bb\x00") == "U+001B"
    assert clean.control_character("tab\tand\r\nline") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("42", 42), (" 7 ", 7), ("²", None), ("٣", None), ("-3", None), ("0", None)]
    + [(value, None) for value in HUGE]
    + [(str(2**31 - 1), 2**31 - 1), (None, None), ("", None)],
)
def test_ids_are_ascii_digits_within_an_integer_column(raw, expected):
    assert clean.parse_id(raw) == expected


# ------------------------------------------------------------------ Unicode digits


@pytest.mark.parametrize("digits", ODD_DIGITS)
def test_unicode_digits_in_the_searches(app, world, digits):
    world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.assistant)
    for headers in ({}, HTMX):
        for path in (f"/demandes?q={digits}", f"/annuaire/ecoles?q={digits}"):
            assert client.get(path, headers=headers).status_code == 200, (path, headers)
        response = client.get(f"{NEW}/implantations?site={digits}", headers=headers)
        assert response.status_code == 200
        response = client.get(f"{NEW}/materiel?equipment_serial={digits}&site={digits}")
        assert response.status_code == 200


@pytest.mark.parametrize("digits", ODD_DIGITS)
def test_unicode_digits_in_the_new_ticket_site_field(app, world, digits):
    digits *= 2  # one character alone is too short to be looked up
    client = signed_in(app, world.assistant)
    response = client.post(NEW, data=new_ticket_data(client, world, site=digits))
    assert response.status_code == 422
    assert "Aucune implantation ne correspond" in text_of(response)
    assert digits in text_of(response)  # the form comes back with what was typed
    response = client.post(
        NEW, data={**new_ticket_data(client, world, site=digits), "search_site": "1"}
    )
    assert response.status_code == 422
    assert count(Ticket) == 0


def test_digits_of_other_scripts_are_words_not_numbers(app, world):
    """Only ASCII digits are numbers: « ٣٣٣٣ » is not FE 3333 (int() would have read it so)."""
    factories.site(factories.establishment(fase=3333, name="Athénée du Centre"))
    db.session.commit()
    client = signed_in(app, world.assistant)
    assert "Athénée du Centre" in text_of(client.get("/annuaire/ecoles?q=3333"))
    assert "Athénée du Centre" not in text_of(client.get("/annuaire/ecoles?q=٣٣٣٣"))


def test_a_supplier_choice_in_odd_digits_is_the_default_one(app, world):
    client = signed_in(app, world.assistant)
    response = client.post(NEW, data=new_ticket_data(client, world, supplier="²"))
    assert response.status_code == 302
    assert fresh(Ticket, 1).supplier_id is None  # the device is not in the inventory


# ------------------------------------------------------------------ numbers beyond a column


@pytest.mark.parametrize("number", HUGE)
def test_huge_numbers_in_the_searches_and_the_site_field(app, world, number):
    world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.assistant)
    for path in (
        f"/demandes?q={number}",
        f"/demandes?q=FE {number[:6]} FI {number}",
        f"/annuaire/ecoles?q={number}",
        f"/annuaire/materiel?q={number}",
        f"{NEW}/implantations?site={number}",
        f"{NEW}/implantations?site={number}:{number}",
        f"{NEW}/materiel?pick={number}",
        f"/admin/implantations?site={number}",
    ):
        assert client.get(path).status_code == 200, path
    for site in (number, f"{number}:{number}", f"FE {number}"):
        response = client.post(NEW, data=new_ticket_data(client, world, site=site))
        assert response.status_code == 422, site
        response = client.post(
            NEW, data=new_ticket_data(client, world, site=site, site_pick=number)
        )
        assert response.status_code == 422, site
    for field in ("request_type", "assignee", "supplier"):
        response = client.post(NEW, data=new_ticket_data(client, world, **{field: number}))
        assert response.status_code in (200, 302, 422), field
    assert count(Ticket, Ticket.supplier_id.is_(None)) <= 1  # the unknown supplier: the default


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_addresses_are_not_found(app, world, number):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.admin)
    for path in (
        f"/annuaire/materiel/{number}",
        f"/suivi/fournisseurs/{number}",
        f"/annuaire/fournisseurs/{number}",
        f"/annuaire/ecoles/{number}/1",
        f"/annuaire/ecoles/1/{number}",
        f"/admin/utilisateurs/{number}",
        f"/calendrier/conges/{number}/modifier",
        f"/demandes/nouvelle/implantations/{number}",
        f"/demandes/nouvelle/contact/{number}",
        f"/demandes/{ticket.reference}/pieces/{number}",
    ):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client)
    for path in (
        f"/admin/envois/{number}/renvoyer",
        f"/admin/invitations/{number}/annuler",
        f"/calendrier/conges/{number}/supprimer",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


@pytest.mark.parametrize("number", HUGE)
def test_huge_page_and_supplier_parameters_are_bounded(app, world, number):
    world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.admin)
    for path in (
        f"/demandes?page={number}",
        f"/demandes?fournisseur={number}&createur={number}&type={number}",
        f"/demandes?q=ecran&page={number}",
        f"/annuaire/ecoles?page={number}",
        f"/annuaire/materiel?page={number}&fournisseur={number}",
        f"/admin/utilisateurs?page={number}",
        f"/admin/invitations?page={number}",
        f"/admin/envois?avant={number}",
        f"/admin/envois?q=%23{number}",
        f"/suivi/export/demandes.csv?fournisseur={number}",
        f"/suivi/export/fiches.xlsx?fournisseur={number}",
    ):
        response = client.get(path)
        assert response.status_code in (200, 302, 303, 404), path


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_dates_beyond_what_anyone_means_are_refused(app, world, day):
    """Year 1 or 9999 overflowed the date arithmetic (time zones, periods): a message now."""
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    url = f"/demandes/{ticket.reference}/actions/plan"
    response = client.post(
        url,
        data={
            "csrf_token": _page_token(client, ticket),
            "plan-version": str(ticket.version),
            "plan-planned_date": day,
            "plan-planned_time": "00:00",
        },
    )
    assert response.status_code == 422
    assert "Indiquez une date valide (jour, mois, année)." in text_of(response)
    query = f"?plan-planned_date={day}&plan-planned_time=00:00"
    assert client.get(f"{url}/message{query}").status_code == 200
    admin = signed_in(app, world.admin)
    response = admin.get(f"/suivi/?du={day}&au={day}")
    assert response.status_code == 200
    assert "Date illisible" in text_of(response)
    response = admin.post(
        "/calendrier/conges/ajouter",
        data={
            "csrf_token": csrf_token(admin, "/calendrier/conges"),
            "name": "Congé",
            "starts_on": day,
            "ends_on": day,
        },
    )
    assert response.status_code == 422
    assert count(SchoolHoliday) == 0


# ------------------------------------------------------------------ NUL and control characters


NUL = "\x00"


def test_nul_in_a_ticket_address_is_not_found(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.assistant)
    assert client.get(f"/demandes/{ticket.reference}%00").status_code == 404
    assert client.get("/annuaire/materiel/identifiant/SN%00X").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/annuaire/materiel?q=EN01%00&lot=Lot%00",
        "/admin/utilisateurs?q=claire%00&role=teacher%00",
        "/admin/envois?q=claire%00&statut=echecs%00",
        "/admin/envois?q=TECH-1%00",
        "/demandes/nouvelle/materiel?equipment_serial=SN%00&site=x%00",
        "/admin/implantations?site=Borlon%00",
    ],
)
def test_nul_in_query_parameters(app, world, path):
    client = signed_in(app, world.admin)
    assert client.get(path).status_code == 200, path
    assert app.test_client().get("/connexion?next=/demandes%00").status_code == 200


def test_nul_in_a_new_ticket_is_removed(app, world):
    client = signed_in(app, world.assistant)
    data = new_ticket_data(
        client,
        world,
        summary=f"Écran{NUL} noir",
        description=f"Diagnostic :{NUL} alimentation\r\nHS.",
        contact_name=f"Claire{NUL} Dumont",
        equipment_serial=f"SN-{NUL}42",
        equipment_description=f"Lot 03{NUL} - Écran",
    )
    response = client.post(NEW, data=data)
    assert response.status_code == 302, text_of(response)
    ticket = fresh(Ticket, 1)
    assert ticket.summary == "Écran noir"
    assert ticket.description == "Diagnostic : alimentation\nHS."
    assert ticket.contact_name == "Claire Dumont"
    assert ticket.equipment_serial == "SN-42"


def _page_token(client, ticket) -> str:
    return extract_csrf(text_of(client.get(f"/demandes/{ticket.reference}")))


def test_nul_in_a_comment_pause_and_question(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    url = f"/demandes/{ticket.reference}"
    token = _page_token(client, ticket)

    response = client.post(f"{url}/commentaires", data={"csrf_token": token, "body": f"A{NUL}B"})
    assert response.status_code == 303
    comment = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "comment"))
    assert comment.body == "AB"

    response = client.post(
        f"{url}/delais/pause",
        data={"csrf_token": token, "pause-kind": "part", "pause-reason": f"Dalle{NUL} commandée"},
    )
    assert response.status_code == 303
    pause = db.session.scalar(select(TicketPause))
    assert pause.reason == "Dalle commandée"
    token = _page_token(client, ticket)
    assert client.post(f"{url}/delais/reprise", data={"csrf_token": token}).status_code == 303

    response = client.post(
        f"{url}/delais/question", data={"csrf_token": token, "ask-question": f"Quel{NUL} local ?"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    question = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "info_request"))
    assert question.body == "Quel local ?"


def test_nul_in_the_visit_message(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    day = planning.to_local(TOMORROW_10H).date()
    while day <= date.today() or planning.visit_reasons(planning.to_utc(day, TOMORROW_10H.time())):
        day += timedelta(days=1)
    response = client.post(
        f"/demandes/{ticket.reference}/actions/plan",
        data={
            "csrf_token": _page_token(client, ticket),
            "plan-version": str(ticket.version),
            "plan-planned_date": day.isoformat(),
            "plan-planned_time": "10:00",
            "plan-message": f"Passage{NUL} prévu avec un technicien.",
            "plan-generated": "",
        },
    )
    assert response.status_code == 303, text_of(response)
    planned = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "plan"))
    assert planned.body == "Passage prévu avec un technicien."


def test_nul_in_the_profile_and_invitation_names(app, world):
    client = signed_in(app, world.assistant)
    response = client.post(
        "/profil", data={"csrf_token": csrf_token(client, "/profil"), "full_name": f"Q{NUL}uentin"}
    )
    assert response.status_code == 302
    assert fresh(User, world.assistant.id).full_name == "Quentin"

    invite = "/admin/invitations/nouvelle"
    client = signed_in(app, world.admin)
    response = client.post(
        invite,
        data={
            "csrf_token": csrf_token(client, invite),
            "email": f"nouveau{NUL}@meuse.example.com",
            "full_name": f"Nouvelle{NUL} Personne",
            "role": "supplier",
            "supplier": str(world.supplier.id),
            "site": f"x{NUL}",
        },
    )
    assert response.status_code == 302, text_of(response)
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.full_name) == (
        "nouveau@meuse.example.com",
        "Nouvelle Personne",
    )


def test_nul_in_a_holiday_name(app, world):
    client = signed_in(app, world.admin)
    response = client.post(
        "/calendrier/conges/ajouter",
        data={
            "csrf_token": csrf_token(client, "/calendrier/conges"),
            "name": f"Congé{NUL} d’automne",
            "starts_on": "2031-10-20",
            "ends_on": "2031-10-31",
        },
    )
    assert response.status_code in (302, 303)
    assert db.session.scalar(select(SchoolHoliday.name)) == "Congé d’automne"


# ------------------------------------------------------------------ a file part where text goes


def _part(text: str = "du texte") -> tuple[io.BytesIO, str]:
    return io.BytesIO(text.encode()), "champ.txt"


def test_a_file_part_as_the_new_ticket_summary(app, world):
    client = signed_in(app, world.assistant)
    data = new_ticket_data(client, world)
    data["summary"] = _part()
    response = client.post(NEW, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    body = text_of(response)
    assert "Ce champ attend du texte, pas un fichier." in body
    assert "Claire Dumont" in body  # the rest comes back as typed
    assert count(Ticket) == 0


def test_a_file_part_as_a_comment(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    token = _page_token(client, ticket)
    for headers in ({}, HTMX):
        response = client.post(
            f"/demandes/{ticket.reference}/commentaires",
            data={"csrf_token": token, "body": _part(), "internal": _part()},
            headers=headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert "Ce champ attend du texte, pas un fichier." in text_of(response)
    assert count(TicketEvent, TicketEvent.kind == "comment") == 0


@pytest.mark.parametrize("action", [Action.FINISH, Action.FINISH_ON_SPOT])
def test_a_file_part_as_the_intervention_summary(app, world, action):
    ticket = world.new_ticket()
    if action == Action.FINISH:
        ticket = apply_action(
            world.supplier_user,
            ticket.id,
            Action.PLAN,
            ActionInput(planned_at=TOMORROW_10H),
            version=ticket.version,
            now=later(1),
        ).ticket
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    name = action.value
    local = planning.to_local(utcnow() - timedelta(hours=1))
    data = {
        "csrf_token": _page_token(client, ticket),
        f"{name}-version": str(fresh(Ticket, ticket.id).version),
        f"{name}-summary": _part("Alimentation remplacée."),
        f"{name}-visited_date": local.date().isoformat(),
        f"{name}-visited_time": local.strftime("%H:%M"),
    }
    for headers in ({}, HTMX):
        response = client.post(
            f"/demandes/{ticket.reference}/actions/{name}",
            data={**data, f"{name}-summary": _part("Alimentation remplacée.")},
            headers=headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, text_of(response)
        assert "Ce champ attend du texte, pas un fichier." in text_of(response)
    assert fresh(Ticket, ticket.id).status == ticket.status


def test_a_file_part_in_a_date_and_text_in_a_file_field(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    name = Action.FINISH_ON_SPOT.value
    response = client.post(
        f"/demandes/{ticket.reference}/actions/{name}",
        data={
            "csrf_token": _page_token(client, ticket),
            f"{name}-version": str(ticket.version),
            f"{name}-summary": "Alimentation remplacée.",
            f"{name}-visited_date": _part("2026-03-03"),
            f"{name}-visited_time": "10:00",
            f"{name}-photos": "pas un fichier",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    body = text_of(response)
    assert "Ce champ attend du texte, pas un fichier." in body
    assert "Ce champ attend un fichier." in body
    assert fresh(Ticket, ticket.id).status == "open"


# ------------------------------------------------------------------ line breaks and mail


def test_line_breaks_in_a_summary_never_reach_a_mail_header(make_app):
    app = make_app()
    with app.app_context():
        world = build_world()
        client = signed_in(app, world.assistant)
        summary = "Écran noir\r\nBcc: victime@example.com"
        response = client.post(NEW, data=new_ticket_data(client, world, summary=summary))
        assert response.status_code == 302
        ticket = fresh(Ticket, 1)
        assert ticket.summary == "Écran noir Bcc: victime@example.com"
        drain_queue(app)
        db.session.expire_all()
        statuses = set(db.session.scalars(select(OutboxMessage.status)))
        assert statuses == {"sent"}  # the supplier's assignment among them
        mailbox = text_of(client.get("/dev/mailbox/"))
        assert "Écran noir Bcc: victime@example.com" in mailbox


def test_a_stored_summary_with_a_line_break_still_lets_mail_out(make_app):
    """Rows written before the input layer: the subject is made one line where mail is built."""
    app = make_app()
    with app.app_context():
        world = build_world()
        ticket = world.new_ticket()
        ticket.summary = "Ancien résumé\r\nsur deux lignes"
        db.session.commit()
        apply_action(
            world.supplier_user,
            ticket.id,
            Action.PLAN,
            ActionInput(planned_at=TOMORROW_10H),
            version=ticket.version,
            now=later(1),
        )
        drain_queue(app)
        db.session.expire_all()
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert rows
        assert {row.status for row in rows} == {"sent"}, [row.last_error for row in rows]


# ------------------------------------------------------------------ attachment names


def test_bidirectional_controls_leave_attachment_names(app, world):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 200)).save(out, "PNG")
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    response = client.post(
        f"/demandes/{ticket.reference}/commentaires",
        data={
            "csrf_token": _page_token(client, ticket),
            "body": "La facture.",
            "files": (io.BytesIO(out.getvalue()), "facture\u202egnp.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert db.session.scalar(select(Attachment.filename)) == "facturegnp.png"
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        assert clean.clean_text(f"a{control}b") == "ab"


# ------------------------------------------------------------------ errors answering htmx


def test_an_error_answering_htmx_is_a_message_not_a_page(make_app):
    app = make_app()

    @app.route("/test-boom")
    def boom():
        raise RuntimeError("boom")

    with app.app_context():
        world = build_world()
        client = signed_in(app, world.assistant)
        for path, status, message in (
            ("/test-boom", 500, "Une erreur inattendue s’est produite."),
            ("/annuaire/materiel/424242", 404, "Cette page n’existe pas ou n’existe plus."),
        ):
            response = client.get(path, headers=HTMX)
            assert response.status_code == status
            body = text_of(response)
            assert message in body
            assert "<html" not in body
            assert "mainnav" not in body
            assert response.headers["HX-Retarget"] == "#request-error"
            assert response.headers["HX-Reswap"].startswith("innerHTML")
            # A boosted link or a plain request still gets the whole page.
            for headers in ({}, {**HTMX, "HX-Boosted": "true"}):
                page = client.get(path, headers=headers)
                assert "mainnav" in text_of(page)
                assert "HX-Retarget" not in page.headers
        # An expired form sent with htmx: the message, not the page inside the form.
        ticket = world.new_ticket()
        db.session.commit()
        response = client.post(
            f"/demandes/{ticket.reference}/commentaires",
            data={"csrf_token": "expired", "body": "x"},
            headers=HTMX,
        )
        assert response.status_code == 400
        assert "Formulaire expiré" in text_of(response)
        assert "mainnav" not in text_of(response)
        # Every page has the area the message goes to.
        assert re.search(r'id="request-error"[^>]*role="alert"', text_of(client.get("/demandes")))


# ------------------------------------------------------------------ every form shares the layer


def test_every_form_goes_through_the_input_layer():
    """A form class that bypassed the base forms would bypass the rules above."""
    import importlib
    import pkgutil

    import wtforms

    import app as package
    from app.core.forms import Form, QueryForm

    for module in pkgutil.walk_packages(package.__path__, "app."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(wtforms.Form) if c.__module__.startswith("app.")]
    assert len(ours) > 30
    stray = [
        f"{c.__module__}.{c.__qualname__}"
        for c in ours
        if not issubclass(c, Form | QueryForm) and c not in (Form, QueryForm)
    ]
    assert stray == []
