"""The authorisation matrix, generated from the app's URL map.

Every route × every kind of person (anonymous; EN staff; a user of the ticket's supplier and of
another company; the ticket's teacher and a teacher of another school): nobody gets a 2xx from
a page that is not theirs. A route missing from ALLOWED fails the test, so a new route cannot
ship without its line here.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from app.auth.invitations import InvitationRequest, invite
from app.devmail import mailbox
from app.extensions import db
from app.models import OutboxMessage, Role
from app.models.calendar import SchoolHoliday
from app.tickets.attachments import store_upload
from tests import factories
from tests.conftest import extract_csrf
from tests.ticket_support import build_world

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
    "core.home": EVERYONE,
    "core.privacy": EVERYONE,
    "core.legal": EVERYONE,
    "core.health": EVERYONE,
    "auth.login": EVERYONE,
    "auth.logout": SIGNED_IN,
    "auth.forgot_password": EVERYONE,
    "auth.reset_password": EVERYONE,  # the token decides (an invalid one here)
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
    "admin.resend_message": {ADMIN},
    "admin.resend_messages": {ADMIN},
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
    "tickets.act": ON_TICKET,
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
    # Answers from the mailbox: no sign-in, the signed link decides (an invalid one here).
    "mail_actions.answer": EVERYONE,
    "mail_actions.done": EVERYONE,
    # Each supplier user manages its own company's feed, each coordinator their own.
    "agenda.index": {COORDINATOR, SUPPLIER, OTHER_SUPPLIER},
    "agenda.create_link": {COORDINATOR, SUPPLIER, OTHER_SUPPLIER},
    "agenda.regenerate": {COORDINATOR, SUPPLIER, OTHER_SUPPLIER},
    "agenda.feed": EVERYONE,  # no sign-in: the token decides (an invalid one here)
}
DENIED_STATUSES = {403, 404, 405}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return buffer.getvalue()


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
    device = factories.equipment(supplier=world.supplier, site=world.site)
    holiday = SchoolHoliday(name="Congé", starts_on=date(2026, 2, 16), ends_on=date(2026, 3, 1))
    db.session.add(holiday)
    db.session.commit()
    mailbox.store(b"Subject: test\r\n\r\nbody")
    people = {
        ASSISTANT: world.assistant,
        COORDINATOR: world.coordinator,
        ADMIN: world.admin,
        SUPPLIER: world.supplier_user,
        OTHER_SUPPLIER: world.other_supplier_user,
        TEACHER: world.teacher,
        OTHER_TEACHER: world.other_teacher,
    }
    values = {
        "reference": ticket.reference,
        "attachment_id": attachment.id,
        "supplier_id": world.supplier.id,
        "fe": world.site.establishment.fase,
        "fi": world.site.fi,
        "site_id": world.site.id,
        "user_id": world.supplier_colleague.id,
        "invitation_id": invitation.id,
        "key": mailbox.messages()[0].key,
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
    }
    return people, values


def _cases(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ALLOWED) == set(), "add the new routes to ALLOWED"


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_unexpected_access(app, scene, make_app, login, client, persona):
    people, values = scene
    if persona != ANON:
        login(people[persona])
    token = extract_csrf(client.get("/confidentialite").get_data(as_text=True))
    problems = []
    for rule, method in _cases(app):
        if rule.endpoint in ("auth.logout",):
            continue  # would end the session the rest of the walk needs
        url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        status = response.status_code
        allowed = persona in ALLOWED[rule.endpoint]
        if allowed:
            if status in (401, 403):
                problems.append(f"{persona} refused {status} on {method} {url}")
        elif persona == ANON:
            redirected_to_login = status == 302 and "/connexion" in response.headers["Location"]
            if not (redirected_to_login or status in DENIED_STATUSES):
                problems.append(f"anonymous got {status} on {method} {url}")
        elif status not in DENIED_STATUSES:
            problems.append(f"{persona} got {status} on {method} {url}")
    assert problems == []
