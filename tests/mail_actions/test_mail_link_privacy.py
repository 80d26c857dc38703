"""The *Approuver* / *Rouvrir* link does not carry the contact's address (finding: links land in
proxy and access logs, and an itsdangerous payload is signed, not encrypted).

The links are read from the mail written to the outbox, as in tests/mail_actions/test_mail_links.py.
"""

from __future__ import annotations

import base64
import json
import zlib

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from app.mail_actions.tokens import SALT, read_answer_token
from app.models import Ticket
from app.tickets.workflow import Status
from tests.mail_actions.test_mail_links import _done, _links, _reload
from tests.support.tickets import build_world
from tests.support.web import extract_csrf


def _payload(token: str) -> dict:
    """What anyone holding the link can read: its first part, base64 (zlib if it starts with .)."""
    compressed = token.startswith(".")
    part = token.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(zlib.decompress(data) if compressed else data)


def _answer(client, path: str):
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": extract_csrf(page.get_data(as_text=True))})


def test_the_link_does_not_carry_the_contacts_address_and_still_works(app):
    world = build_world()
    address = "marc.lambert@ecole-du-centre.example.com"
    ticket = _done(world, contact_name="Marc Lambert", contact_email=address)
    path = _links(ticket)["approve"]
    token = path.rsplit("/", 1)[1]
    payload = _payload(token)
    assert payload["t"] == ticket.id  # the payload is the one read below
    readable = json.dumps(payload)
    for part in (address, "marc.lambert", "ecole-du-centre"):
        assert part not in readable
        assert part not in path
    assert "e" not in payload

    response = _answer(app.test_client(), path)
    assert response.status_code == 303
    assert _reload(ticket.id).status == Status.CLOSED.value


def test_a_link_sent_before_the_change_still_works(app):
    """Links already in mailboxes carry the address (« e »): read, and compared as before."""
    world = build_world()
    ticket = _done(world)
    new = read_answer_token(_links(ticket)["approve"].rsplit("/", 1)[1])
    old_payload = {**new.to_payload(), "e": world.teacher.email}
    del old_payload["c"]
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    old_token = serializer.dumps(old_payload)
    assert read_answer_token(old_token) == new

    response = _answer(app.test_client(), f"/reponse/{old_token}")
    assert response.status_code == 303
    ticket = _reload(ticket.id)
    assert isinstance(ticket, Ticket)
    assert ticket.status == Status.CLOSED.value
