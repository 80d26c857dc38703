"""Demo data: `flask demo seed` (idempotent, deterministic) and `flask demo accounts`."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from zxcvbn import zxcvbn

from app.demo.accounts import DEMO_ACCOUNTS, DEMO_SUPPLIERS
from app.demo.seed import equipment_plan, seed_demo
from app.extensions import db
from app.models import Equipment, Establishment, OutboxMessage, Role, Supplier, Ticket, User
from app.models.types import utcnow
from app.tickets.permissions import actor_for
from app.tickets.workflow import Action, Status, available_actions
from tests.support.demo import count, totals
from tests.support.web import csrf_token, sign_in

LABEL = re.compile(r"EN0[12]-LOT0[1-5]-\d{5}")


def test_seed_twice_creates_everything_once(seeded_demo, demo_app):
    # The first `flask demo seed` ran on an empty database (tests/fixtures/demo.py): its output
    # and totals, then a second run on a copy of what it made.
    # (Seeded with French typography: its unbreakable spaces read as spaces here.)
    first = seeded_demo.output.replace("\xa0", " ").replace("\u202f", " ")
    assert "Fournisseurs créés : 3" in first
    assert f"Comptes créés : {len(DEMO_ACCOUNTS)}" in first
    after_first = seeded_demo.totals
    assert totals() == after_first
    # The FWB file's, and the three German-speaking Community schools of the example file.
    assert after_first["Establishment"] == 2726 + 3
    assert after_first["Site"] == 4604 + 3
    assert "Implantations : 3 créées" in first
    assert after_first["PortalCategory"] == 3
    assert after_first["Supplier"] == 3
    assert after_first["User"] == len(DEMO_ACCOUNTS)
    assert 200 <= after_first["Equipment"] <= 1000
    assert 90 <= after_first["Ticket"] <= 120
    assert f"Demandes créées : {after_first['Ticket']}" in first
    # A German-speaking supplier user and a teacher at a German-speaking Community school read
    # Relais in German (docs/languages.md).
    german = db.session.scalars(
        select(User.email).where(User.language == "de").order_by(User.email)
    ).all()
    assert german == [
        "lukas.krings@ardenne-numerique.example.com",
        "monika.heinen@ka-eupen.example.com",
    ]

    second = demo_app.test_cli_runner().invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert "Fournisseurs créés : 0" in second.output
    assert "Comptes créés : 0" in second.output
    assert "Matériels créés : 0" in second.output
    assert "Demandes créées : 0" in second.output
    assert "Données de démonstration déjà en place : rien de nouveau." in second.output
    assert "Aucun changement." in second.output  # the directory import said so too
    assert totals() == after_first


def test_seeded_data_is_what_the_demo_needs(demo_app):
    users = {u.email: u for u in db.session.scalars(select(User))}
    roles = [u.role for u in users.values()]
    assert roles.count(Role.ASSISTANT) == 2
    assert roles.count(Role.COORDINATOR) == 1
    assert roles.count(Role.ADMIN) == 1
    assert roles.count(Role.TEACHER) >= 3
    assert any(u.full_name == "Quentin Delrée" for u in users.values())
    assert all(not u.email.endswith(".test") for u in users.values())

    suppliers = list(db.session.scalars(select(Supplier)))
    assert len(suppliers) == 3
    reference_is_a_user = []
    for supplier in suppliers:
        assert supplier.users, supplier.name  # at least one account
        assert all(u.role == Role.SUPPLIER for u in supplier.users)
        reference_is_a_user.append(supplier.reference_email in {u.email for u in supplier.users})
    # Both cases the model allows: one company's address is a user's, another's a shared box.
    assert True in reference_is_a_user
    assert False in reference_is_a_user

    # The current portal's example school: FE 2559, its Borlon site.
    borlon_teachers = [
        u for u in users.values() if u.role == Role.TEACHER and u.site.establishment.fase == 2559
    ]
    assert [u.site.fi for u in borlon_teachers] == [5136]
    assert all(u.site is not None for u in users.values() if u.role == Role.TEACHER)

    equipment = list(db.session.scalars(select(Equipment)))
    assert all(LABEL.fullmatch(e.label) for e in equipment)
    assert all(e.serial and e.site_id and e.warranty_end for e in equipment)
    assert {e.lot for e in equipment} == {"Lot 01", "Lot 02", "Lot 03", "Lot 04", "Lot 05"}
    maintained_by = {}
    for e in equipment:
        maintained_by.setdefault(e.lot, set()).add(e.supplier_id)
    assert all(len(ids) == 1 for ids in maintained_by.values())  # one supplier per lot
    assert len({e.site_id for e in equipment}) >= 40  # spread over real sites
    borlon = borlon_teachers[0].site
    assert any(e.site_id == borlon.id for e in equipment)
    models = {e.model for e in equipment}
    assert {"Ordinateur portable 14 pouces", "Écran interactif 75 pouces"} <= models

    _check_demo_tickets(users, suppliers)

    # The list « Demandes » has something to show each of them, and only their own.
    julie = next(a for a in DEMO_ACCOUNTS if a.email.startswith("julie.lambert@"))
    client = demo_app.test_client()
    sign_in(client, julie.email, julie.password)
    page = client.get("/demandes").get_data(as_text=True)
    shown = set(re.findall(r'class="row-link" href="/demandes/([A-Z]+-\d+)"', page))
    meuse = users[julie.email].supplier_id
    expected = {
        t.reference
        for t in db.session.scalars(select(Ticket).where(Ticket.supplier_id == meuse))
        if t.status in (Status.OPEN, Status.IN_PROGRESS, Status.DONE)
    }
    assert shown
    assert shown <= expected
    assert "OUVERT" in page
    assert "EN COURS" in page


def _check_demo_tickets(users: dict[str, User], suppliers: list[Supplier]) -> None:
    """About a hundred tickets in every state, for every company, each with a coherent history
    made by the ticket service."""
    tickets = list(db.session.scalars(select(Ticket).order_by(Ticket.id)))
    assert 90 <= len(tickets) <= 120
    assert {t.status for t in tickets} == set(Status)
    for supplier in suppliers:
        states = {t.status for t in tickets if t.supplier_id == supplier.id}
        assert {Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.CLOSED} <= states
    assistants = {u.id for u in users.values() if u.role == Role.ASSISTANT}
    assert {t.creator_id for t in tickets} == assistants  # both demo assistants open tickets
    kinds = Counter(e.kind for t in tickets for e in t.events)
    for kind in ("plan", "finish", "approve", "reopen", "send_back", "cancel", "comment"):
        assert kinds[kind] >= 3, kind
    assert kinds["created"] == len(tickets)
    assert any(e.internal for t in tickets for e in t.events)  # EN staff's own comments
    assert any(t.round > 1 for t in tickets if t.status == Status.OPEN)  # reopened, to redo
    assert any(t.supplier_id is None for t in tickets if t.status == Status.OPEN)  # sent back

    # The history reads in order, all of it in the past; references grow with the dates.
    now = utcnow()
    for ticket in tickets:
        times = [e.created_at for e in ticket.events]
        assert times == sorted(times), ticket.reference
        assert times[0] == ticket.created_at, ticket.reference
        assert times[-1] <= now, ticket.reference
        assert ticket.created_at >= now - timedelta(days=120)
    for key in ("TECH", "INFO"):
        dated = [t.created_at for t in tickets if t.reference.startswith(key + "-")]
        assert dated == sorted(dated)

    # What the demo accounts come to do: Claire approves, each supplier user plans.
    claire = users["claire.dumont@ecole-borlon.example.com"]
    to_approve = [
        t
        for t in tickets
        if t.status == Status.DONE
        and Action.APPROVE
        in {a.action for a in available_actions(t.status, actor_for(claire, t), has_supplier=True)}
    ]
    assert to_approve, "Claire Dumont has a finished visit to approve"
    for user in users.values():
        if user.role != Role.SUPPLIER:
            continue
        to_plan = [
            t
            for t in tickets
            if t.status == Status.OPEN
            and Action.PLAN
            in {
                a.action
                for a in available_actions(
                    t.status, actor_for(user, t), has_supplier=t.supplier_id is not None
                )
            }
        ]
        assert to_plan, f"{user.email} has an open ticket to plan"


def test_equipment_plan_is_deterministic():
    sites = [(fe, fi) for fe in range(1, 60) for fi in (fe * 10, fe * 10 + 1)]
    teachers = [a.site for a in DEMO_ACCOUNTS if a.site]
    sites += teachers
    first = equipment_plan(sites, teachers)
    second = equipment_plan(list(reversed(sites)), teachers)
    assert first == second
    assert len({item.label for item in first}) == len(first)


def test_accounts_prints_one_line_per_demo_account(app):
    result = app.test_cli_runner().invoke(args=["demo", "accounts"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(DEMO_ACCOUNTS)
    supplier_names = {s.name for s in DEMO_SUPPLIERS}
    emails = set()
    for line, account in zip(lines, DEMO_ACCOUNTS, strict=True):
        role, email, password, *rest = line.split(" ", 3)
        assert role in {r.value for r in Role}
        assert (role, email, password) == (account.role, account.email, account.password)
        assert re.fullmatch(r"[a-z.-]+@[a-z0-9.-]+\.example\.com", email)
        assert len(password) >= 12
        assert zxcvbn(password, user_inputs=[email, account.full_name])["score"] >= 3
        if role == "teacher":
            assert re.fullmatch(r"\d+:\d+", rest[0]) or rest[0] == account.school
        elif role == "supplier":
            assert rest[0] in supplier_names
        else:
            assert rest == []
        emails.add(email)
    assert len(emails) == len(lines)
    assert len({a.password for a in DEMO_ACCOUNTS}) == len(DEMO_ACCOUNTS)  # one each
    assert sum(1 for line in lines if line.endswith(" 2559:5136")) == 1


def test_every_demo_account_signs_in_through_the_form(app, client, login):
    seed_demo(tickets=False)
    db.session.commit()
    for account in DEMO_ACCOUNTS:
        response = login(account.email, account.password)
        assert response.status_code == 302, account.email
        assert response.headers["Location"] == "/"
        home = client.get("/")
        assert home.status_code == 200
        assert account.full_name in home.get_data(as_text=True)
        out = client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
        assert out.status_code == 302
    wrong = login(DEMO_ACCOUNTS[0].email, "pas-le-bon-mot-de-passe")
    assert wrong.status_code == 422


def test_seed_is_refused_in_production(app):
    app.config["RELAIS_ENV"] = "production"  # set after start-up: production refuses SQLite
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 1
    assert "Erreur : Refusé en production" in result.stderr
    assert count(User) == 0
    assert count(Establishment) == 0


def test_the_dg_teacher_gets_her_tickets_mails_in_german(demo_app):
    monika = db.session.scalar(select(User).where(User.email.startswith("monika.heinen@")))
    assert monika.site.establishment.name == "Königliches Athenäum Eupen"
    assert monika.site.school_calendar == "dg"
    tickets = db.session.scalars(select(Ticket).where(Ticket.contact_email == monika.email)).all()
    assert tickets
    assert {t.site_id for t in tickets} == {monika.site_id}
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == monika.email)
    ).all()
    assert mails, "the demo tickets announced something to her"
    assert {m.language for m in mails} == {"de"}
    # What Relais writes is German; what people wrote (the demo's summaries, the supplier's
    # report) stays as they wrote it.
    for mail in mails:
        headline = mail.subject.split("] ", 1)[1].rsplit(" — ", 1)[0]
        assert not {"demande", "intervention", "approbation"} & set(headline.lower().split())
        assert mail.body_text.startswith("Guten Tag Monika Heinen,"), mail.body_text[:40]
        assert "Status: " in mail.body_text
        assert "Schule: " in mail.body_text
        assert "État" not in mail.body_text
