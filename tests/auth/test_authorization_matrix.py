"""The authorisation matrix, generated from the app's URL map.

Every route × every kind of person (anonymous; EN staff; a user of the ticket's supplier and of
another company; the ticket's teacher and a teacher of another school). Those the matrix allows
reach the page: a 2xx, or a 3xx that is not the sign-in page (a 404, a 422 or a 500 fails as a
403 does). Nobody else gets a 2xx from a page that is not theirs. The scene gives each route what
a real request carries: links that work (invitation, new password, answer from a mail, calendar
feed), a mail with an HTML part, and for each POST a form that succeeds (FORMS). A route missing
from ALLOWED fails the test, so a new route cannot ship without its line here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from flask import abort, redirect
from PIL import Image
from sqlalchemy import select

from app.agenda import tokens as feed_tokens
from app.auth.invitations import InvitationRequest, invitation_token, invite
from app.auth.lookups import site_code
from app.auth.reset import reset_token
from app.devmail import mailbox
from app.extensions import db
from app.models import OutboxMessage, Role, Supplier, Ticket, User
from app.models.calendar import SchoolHoliday
from app.models.types import utcnow
from app.tickets.attachments import store_upload
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support import factories
from tests.support.tickets import World, build_world
from tests.support.web import csrf_token, signed_in

ANON, ASSISTANT, COORDINATOR, ADMIN = "anonymous", "assistant", "coordinator", "admin"
SUPPLIER, OTHER_SUPPLIER = "supplier", "other_supplier"
TEACHER, OTHER_TEACHER = "teacher", "other_teacher"
PERSONAS = (ANON, ASSISTANT, COORDINATOR, ADMIN, SUPPLIER, OTHER_SUPPLIER, TEACHER, OTHER_TEACHER)
EN = {ASSISTANT, COORDINATOR, ADMIN}
SIGNED_IN = set(PERSONAS) - {ANON}
EVERYONE = set(PERSONAS)
ON_TICKET = EN | {SUPPLIER, TEACHER}

# endpoint → who may reach it (others: 403, 404, 405 or, when anonymous, the login page).
ALLOWED: dict[str, set[str]] = {
    "static": EVERYONE,
    "core.home": SIGNED_IN,  # anonymous people are sent to sign in
    "core.privacy": EVERYONE,
    "core.legal": EVERYONE,
    "core.health": EVERYONE,
    "locales.switch": EVERYONE,  # only sets a cookie (app/core/locales.py)
    # Prometheus' bearer token, no person: 404 here (no RELAIS_METRICS_TOKEN), 401 with one
    # (tests/core/test_operations.py).
    "core.metrics": set(),
    "auth.login": EVERYONE,
    "auth.logout": SIGNED_IN,
    "auth.forgot_password": EVERYONE,
    "auth.reset_password": EVERYONE,  # the link decides (a valid one here)
    "auth.signup": EVERYONE,
    "auth.password_strength": EVERYONE,
    "auth.profile": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.mail_preferences": SIGNED_IN,
    "devmail.index": EVERYONE,  # development only, never registered in production
    "devmail.show": EVERYONE,
    "devmail.html_part": EVERYONE,
    "devmail.clear": EVERYONE,
    "admin.users": {COORDINATOR, ADMIN},
    "admin.user": {COORDINATOR, ADMIN},
    "admin.invite": EN,
    "admin.invitations": EN,
    # The scene's invitation is a teacher's: coordinators do not invite teachers.
    "admin.resend_invitation": {ASSISTANT, ADMIN},
    "admin.revoke_invitation": {ASSISTANT, ADMIN},
    "admin.deactivate": {COORDINATOR, ADMIN},
    "admin.reactivate": {COORDINATOR, ADMIN},
    "admin.site_field": {ASSISTANT, ADMIN},  # sites are only chosen for teacher invitations
    "admin.site_suggestions": {ASSISTANT, ADMIN},
    "admin.outbox": {ADMIN},  # « Envois »
    "mail_in.to_sort": EN,  # « À trier »: received mail not placed
    "admin.resend_message": {ADMIN},
    "admin.resend_messages": {ADMIN},
    "admin.catalogue": {ADMIN},  # « Catalogue »: names in French and German
    "admin.catalogue_names": {ADMIN},
    "admin.new_site": {ADMIN},  # a site the FWB file does not list
    "admin.edit_site": {ADMIN},
    "directory.schools": EN,
    "directory.school": EN,
    "directory.suppliers": EN,
    "directory.supplier": EN | {SUPPLIER},
    "directory.supplier_contact": {COORDINATOR, ADMIN},
    "directory.equipment": EN,
    "dashboard.index": EN,
    "dashboard.supplier": EN | {SUPPLIER},  # a company's own scorecard
    "dashboard.export": EN | {SUPPLIER, OTHER_SUPPLIER},  # a supplier: its own figures only
    "directory.device": EN | {SUPPLIER},  # the company that maintains it
    "directory.device_by_identifier": EN | {SUPPLIER},
    "tickets.index": SIGNED_IN,
    "tickets.new": {ASSISTANT, ADMIN},
    "tickets.site_suggestions": {ASSISTANT, ADMIN},
    "tickets.equipment_lookup": {ASSISTANT, ADMIN},
    "tickets.site_field": {ASSISTANT, ADMIN},
    "tickets.contact_fields": {ASSISTANT, ADMIN},
    "tickets.visit_message": {ASSISTANT, ADMIN, SUPPLIER},  # those who may plan the visit
    "tickets.show": ON_TICKET,
    # « Modifier »: assistants and admins; the coordinator reads the ticket.
    "tickets.edit": {ASSISTANT, ADMIN},
    "tickets.act": {ASSISTANT, ADMIN, SUPPLIER},  # the scene's action: plan the visit
    "tickets.comment": ON_TICKET,
    "tickets.share": ON_TICKET,
    "tickets.notifications": ON_TICKET,
    "tickets.attachment": ON_TICKET,
    "tickets.thumbnail": ON_TICKET,
    # « Délais »: the supplier holding the ticket and EN staff pause, resume, ask the school.
    "tickets.pause_clocks": EN | {SUPPLIER},
    "tickets.resume_clocks": EN | {SUPPLIER},
    "tickets.ask_school": EN | {SUPPLIER},
    # Congés scolaires: EN staff read, admins change; the supplier switch is admins' and
    # coordinators'.
    "sla.holidays": EN,
    "sla.add_holiday": {ADMIN},
    "sla.edit_holiday": {ADMIN},
    "sla.delete_holiday": {ADMIN},
    "sla.import_holidays": {ADMIN},
    "sla.confirm_holiday": {ADMIN},
    "sla.confirm_year": {ADMIN},
    "sla.supplier_school_holidays": {COORDINATOR, ADMIN},
    "sla.site_school_calendar": {COORDINATOR, ADMIN},
    # Answers from the mailbox: no sign-in, the signed link decides (a valid one here).
    "mail_actions.answer": EVERYONE,
    "mail_actions.done": EVERYONE,
    # Each supplier user manages its own company's feed, each coordinator their own.
    "agenda.index": {COORDINATOR, SUPPLIER, OTHER_SUPPLIER},
    "agenda.create_link": {COORDINATOR, SUPPLIER, OTHER_SUPPLIER},
    "agenda.regenerate": {COORDINATOR, SUPPLIER, OTHER_SUPPLIER},
    "agenda.feed": EVERYONE,  # no sign-in: the secret decides (the company's, here)
}
DENIED_STATUSES = {403, 404, 405}

# Their success signs someone in: an allowed person sends them from a client of its own, signed
# in as that person, so that the walk goes on with the same session.
SIGNS_IN = {"auth.login", "auth.signup", "auth.reset_password"}
# Walked last, in this order: they remove a row of the scene, or change the walking session.
LAST = ("sla.delete_holiday", "auth.change_password", "auth.logout")
# Where their success leads is the sign-in page: « you are signed out », « a mail is on its way ».
ENDS_ON_SIGN_IN = {"auth.logout", "auth.forgot_password"}
NEW_PASSWORD = "Lune-verte-sur-la-Meuse-87!"
VISIT_DAY = (date.today() + timedelta(days=7)).isoformat()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _html_mail() -> bytes:
    message = EmailMessage()
    message["Subject"] = "test"
    message.set_content("Bonjour")
    message.add_alternative("<p>Bonjour</p>", subtype="html")
    return message.as_bytes()


@dataclass
class Scene:
    world: World
    people: dict[str, User]
    ticket_id: int
    # URL values by argument name; a callable is read when the URL is built (a feed's secret
    # changes when it is regenerated during the walk).
    values: dict[str, object]
    # Values of one endpoint that differ from the others'.
    only: dict[str, dict[str, object]]

    def url(self, rule) -> str:
        values = {**self.values, **self.only.get(rule.endpoint, {})}
        args = {name: values[name] for name in rule.arguments}
        args = {name: value() if callable(value) else value for name, value in args.items()}
        return rule.build(args, append_unknown=False)[1]

    def ticket(self) -> Ticket:
        db.session.expire_all()
        return db.session.get(Ticket, self.ticket_id)


def _answer_token(ticket: Ticket) -> str:
    """The « Approuver » link of the approval mail to the ticket's contact."""
    for body in db.session.scalars(
        select(OutboxMessage.body_text).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.recipient == ticket.contact_email,
        )
    ):
        found = re.search(r"Approuver \(le problème est résolu\) :\s+\S+/reponse/(\S+)", body)
        if found:
            return found.group(1)
    raise AssertionError("no approval link in the contact's mails")


def _feed_secret(supplier_id: int) -> str:
    db.session.expire_all()  # regenerated during the walk, by another request
    return db.session.get(Supplier, supplier_id).calendar_token


@pytest.fixture
def scene(app):
    world = build_world()
    ticket = world.new_ticket()
    from werkzeug.datastructures import FileStorage

    attachment = store_upload(
        ticket, FileStorage(io.BytesIO(_png()), filename="photo.png"), world.assistant
    )
    invitation = invite(
        world.assistant,
        InvitationRequest(email="nouveau@ecole.example.com", role=Role.TEACHER, site=world.site),
    )
    # A second invitation, for the sign-up page (the first one is revoked during the walk).
    joining = invite(
        world.admin,
        InvitationRequest(
            email="nora@meuse.example.com", role=Role.SUPPLIER, supplier=world.supplier
        ),
    )
    # A ticket whose visit is done: its teacher's mail carries the answer links.
    finished = world.new_ticket(serial="SN-000456")
    now = utcnow()
    apply_action(
        world.supplier_user,
        finished.id,
        Action.PLAN,
        ActionInput(planned_at=now - timedelta(hours=2)),
        now=now - timedelta(days=1),
    )
    apply_action(
        world.supplier_user, finished.id, Action.FINISH, ActionInput(summary="Fait."), now=now
    )
    device = factories.equipment(supplier=world.supplier, site=world.site)
    holiday = SchoolHoliday(name="Congé", starts_on=date(2026, 2, 16), ends_on=date(2026, 3, 1))
    db.session.add(holiday)
    feed_tokens.ensure(world.supplier)
    db.session.commit()
    people = {
        ASSISTANT: world.assistant,
        COORDINATOR: world.coordinator,
        ADMIN: world.admin,
        SUPPLIER: world.supplier_user,
        OTHER_SUPPLIER: world.other_supplier_user,
        TEACHER: world.teacher,
        OTHER_TEACHER: world.other_teacher,
    }
    supplier_id = world.supplier.id
    values = {
        "reference": ticket.reference,
        "attachment_id": attachment.id,
        "supplier_id": supplier_id,
        "fe": world.site.establishment.fase,
        "fi": world.site.fi,
        "site_id": world.site.id,
        "user_id": world.supplier_colleague.id,
        "invitation_id": invitation.id,
        "key": mailbox.store(_html_mail()),
        "token": "not-a-valid-token",
        "action": "plan",
        "filename": "relais.css",
        # « Envois »: one of the ticket's messages.
        "message_id": db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id)),
        "equipment_id": device.id,
        "what": "fiches",
        "fmt": "csv",
        "identifier": device.label,
        "holiday_id": holiday.id,
        "code": "fwb",
        "year": 2025,
        "kind": "type",
        "row_id": world.request_type.id,
        "language": "fr",
    }
    only = {
        "auth.signup": {"token": invitation_token(joining)},
        "auth.reset_password": {"token": reset_token(world.assistant2)},
        "mail_actions.answer": {"token": _answer_token(finished)},
        "mail_actions.done": {"token": _answer_token(finished)},
        "agenda.feed": {"token": lambda: _feed_secret(supplier_id)},
        "tickets.contact_fields": {"user_id": world.teacher.id},  # a teacher of the site
    }
    return Scene(world, people, ticket.id, values, only)


# ------------------------------------------------------------------ the forms that succeed

Form = Callable[[Scene, str], dict]


def _plan(scene: Scene, who: str) -> dict:
    return {
        "plan-version": str(scene.ticket().version),
        "plan-planned_date": VISIT_DAY,
        "plan-planned_time": "10:00",
        "plan-confirm_weekend": "y",
    }


def _edit(scene: Scene, who: str) -> dict:
    ticket = scene.ticket()
    return {
        "version": str(ticket.version),
        "site": ticket.site.label,
        "contact_name": ticket.contact_name,
        "contact_phone": "081 99 99 99",
        "contact_email": ticket.contact_email,
        "equipment_label": ticket.equipment_label,
        "equipment_serial": ticket.equipment_serial,
        "equipment_description": ticket.equipment_description or "Écran interactif",
        "request_type": str(ticket.request_type_id),
        "summary": ticket.summary + " (" + who + ")",
        "description": ticket.description,
    }


def _new_ticket(scene: Scene, who: str) -> dict:
    world = scene.world
    return {
        "site": world.site.label,
        "contact_name": world.teacher.full_name,
        "contact_phone": "081 12 34 56",
        "contact_email": world.teacher.email,
        "equipment_serial": "SN-MATRICE",
        "equipment_description": "Écran interactif",
        "request_type": str(world.request_type.id),
        "summary": "Écran noir",
        "description": "Ne s’allume plus.",
        "supplier": str(world.supplier.id),
        "assignee": str(world.assistant.id),
    }


def _invitation(scene: Scene, who: str) -> dict:
    if who == ASSISTANT:  # assistants invite teachers
        return {
            "email": "eve@ecole.example.com",
            "role": "teacher",
            "site": site_code(scene.world.site),
        }
    return {
        "email": "max@meuse.example.com",
        "role": "supplier",
        "supplier": scene.world.supplier.id,
    }


def _share(scene: Scene, who: str) -> dict:
    # A supplier shares within its company; the others with a teacher of the school.
    colleague = scene.world.supplier_colleague if who == SUPPLIER else scene.world.colleague_teacher
    return {"email": colleague.email}


ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\nBEGIN:VEVENT\r\nUID:1@test\r\n"
    b"SUMMARY:Cong\xc3\xa9 d'essai\r\nDTSTART;VALUE=DATE:20260706\r\nDTEND;VALUE=DATE:20260710\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _const(body: dict) -> Form:
    return lambda scene, who: body


def _names(scene: Scene, who: str) -> dict:
    prefix = f"type-{scene.world.request_type.id}-"
    return {prefix + "name": "Retour fournisseur", prefix + "name_de": "Lieferanteneinsatz"}


def _site(scene: Scene, who: str) -> dict:
    site = scene.world.site
    return {
        "name": site.establishment.name,
        "address": site.address,
        "postal_code": site.postal_code,
        "locality": site.locality,
        "community": "fr",
    }


FORMS: dict[str, Form] = {
    "auth.login": lambda scene, who: {
        "email": scene.world.colleague_teacher.email,
        "password": factories.PASSWORD,
    },
    "auth.password_strength": _const({"password": "Lune"}),
    "auth.signup": _const({"full_name": "Nora Lambert", "password": NEW_PASSWORD}),
    "auth.forgot_password": _const({"email": "personne@ecole.example.com"}),
    "auth.reset_password": _const({"password": NEW_PASSWORD}),
    "auth.profile": lambda scene, who: {"full_name": "Nom de " + who},
    "auth.change_password": _const(
        {"current_password": factories.PASSWORD, "password": NEW_PASSWORD}
    ),
    "tickets.comment": _const({"body": "Un mot sur la demande."}),
    "tickets.share": _share,
    "tickets.notifications": _const({"on": "0"}),
    "tickets.act": _plan,
    "tickets.new": _new_ticket,
    "tickets.edit": _edit,
    "tickets.pause_clocks": _const({"pause-kind": "part", "pause-reason": "Pièce commandée."}),
    "tickets.ask_school": _const({"ask-question": "Le local est-il ouvert mardi ?"}),
    "directory.supplier_contact": _const({"reference_email": "support@meuse.example.com"}),
    "admin.invite": _invitation,
    "agenda.regenerate": _const({"confirm": "y"}),
    "sla.add_holiday": _const(
        {"name": "Congé d’essai", "starts_on": "2026-05-04", "ends_on": "2026-05-08"}
    ),
    "sla.edit_holiday": _const(
        {"name": "Congé", "starts_on": "2026-02-16", "ends_on": "2026-03-01"}
    ),
    "sla.import_holidays": lambda scene, who: {"file": (io.BytesIO(ICS), "conges.ics")},
    "sla.supplier_school_holidays": _const({"follows": "y"}),
    "admin.catalogue_names": _names,
    "admin.new_site": _const(
        {
            "name": "Königliches Athenäum Eupen",
            "address": "Lascheterweg",
            "postal_code": "4700",
            "locality": "Eupen",
            "community": "de",
        }
    ),
    "admin.edit_site": _site,
}


def _cases(app):
    rules = list(app.url_map.iter_rules())
    last = {name: n for n, name in enumerate(LAST)}
    rules.sort(key=lambda rule: last.get(rule.endpoint, -1))  # stable: the map's order otherwise
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _reached(response, endpoint: str) -> bool:
    """A 2xx, or a 3xx elsewhere than the sign-in page (unless that is where success leads)."""
    if not 200 <= response.status_code < 400:
        return False
    return endpoint in ENDS_ON_SIGN_IN or "/connexion" not in response.headers.get("Location", "")


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ALLOWED) == set(), "add the new routes to ALLOWED"


def _walk(app, scene: Scene, client, login, persona: str) -> list[str]:
    """Every route as `persona` (signed in through the form): what was not as the matrix says."""
    if persona != ANON:
        login(scene.people[persona])
    token = csrf_token(client)
    problems = []
    for rule, method in _cases(app):
        allowed = persona in ALLOWED[rule.endpoint]
        url = scene.url(rule)
        sender = client
        if allowed and rule.endpoint in SIGNS_IN:
            sender = app.test_client() if persona == ANON else signed_in(app, scene.people[persona])
        if method == "GET":
            response = sender.get(url)
        else:
            body = FORMS.get(rule.endpoint, _const({}))(scene, persona)
            if rule.endpoint in LAST:  # the session may have been renewed
                token = csrf_token(client)
            own = token if sender is client else csrf_token(sender)
            response = sender.post(url, data={"csrf_token": own, **body})
        status = response.status_code
        where = f"{method} {url} → {status} {response.headers.get('Location', '')}".rstrip()
        if allowed:
            if not _reached(response, rule.endpoint):
                problems.append(f"{persona} (allowed) got {where}")
        elif persona == ANON:
            redirected_to_login = status == 302 and "/connexion" in response.headers["Location"]
            if not (redirected_to_login or status in DENIED_STATUSES):
                problems.append(f"anonymous got {where}")
        elif status not in DENIED_STATUSES:
            problems.append(f"{persona} got {where}")
    return problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_unexpected_access(app, scene, client, login, persona):
    problems = _walk(app, scene, client, login, persona)
    assert problems == [], "\n".join(problems)


def test_a_page_refused_to_who_may_see_it_is_caught(app, scene, client, login):
    """Over-restriction fails the walk: a 404, a 500 or the sign-in page for an allowed person
    is reported as surely as a 403."""
    app.view_functions["tickets.show"] = lambda **values: abort(404)
    app.view_functions["auth.profile"] = lambda: ("Erreur", 500)
    app.view_functions["core.legal"] = lambda: redirect("/connexion?next=%2Favis-legal")
    problems = _walk(app, scene, client, login, TEACHER)
    reference = scene.ticket().reference
    assert problems == [
        "teacher (allowed) got GET /avis-legal → 302 /connexion?next=%2Favis-legal",
        "teacher (allowed) got GET /profil → 500",
        "teacher (allowed) got POST /profil → 500",
        f"teacher (allowed) got GET /demandes/{reference} → 404",
    ]
