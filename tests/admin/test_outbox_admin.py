"""« Envois » (/admin/envois): who may see it, its tabs, search and pages, and *Renvoyer*."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.auth.errors import PermissionDenied
from app.devmail import mailbox
from app.extensions import db
from app.models import OutboxMessage, Role
from app.models.types import utcnow
from app.notify import admin as outbox_admin
from tests.support import factories
from tests.support.environment import drain_queue
from tests.support.tickets import build_world
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}
URL = "/admin/envois"


def message(**kw) -> OutboxMessage:
    """An outbox row as the send job leaves it (sent, by default)."""
    values = {
        "kind": "plan",
        "recipient": "ecole@example.com",
        "subject": "[TECH-1] Intervention prévue — Écran",
        "body_text": "Bonjour",
        "body_html": "<p>Bonjour</p>",
        "status": "sent",
        "attempts": 1,
        "created_at": utcnow() - timedelta(minutes=1),
    }
    values.update(kw)
    if values["status"] == "sent":
        values.setdefault("sent_at", values["created_at"])
    row = OutboxMessage(**values)
    db.session.add(row)
    db.session.flush()
    return row


def failed(**kw) -> OutboxMessage:
    kw.setdefault("last_error", "Adresse refusée : x@example.com (550 No such user)")
    return message(status="failed", failed_at=utcnow(), **kw)


def fresh(row: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row.id)


def shown_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="envoi-(\d+)"', html)]


def token(client) -> str:
    return extract_csrf(client.get(URL).get_data(as_text=True))


@pytest.fixture
def admin(app):
    user = factories.user(Role.ADMIN)
    db.session.commit()
    return user


@pytest.fixture
def admin_client(app, admin):
    return signed_in(app, admin)


# ------------------------------------------------------------------ who may


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.ASSISTANT, 403),
        (Role.COORDINATOR, 403),
        (Role.SUPPLIER, 403),
        (Role.TEACHER, 403),
    ],
)
def test_only_admins_see_and_resend(app, role, status):
    row = failed()
    user = factories.user(role)
    db.session.commit()
    client = signed_in(app, user)
    assert client.get(URL).status_code == status
    assert client.get(URL, headers=HTMX).status_code == status
    csrf = extract_csrf(client.get("/confidentialite").get_data(as_text=True))
    one = client.post(f"{URL}/{row.id}/renvoyer", data={"csrf_token": csrf})
    many = client.post(f"{URL}/renvoyer", data={"csrf_token": csrf, "ids": str(row.id)})
    if role == Role.ADMIN:
        assert one.status_code == 303
        assert many.status_code == 303
    else:
        assert one.status_code == 403
        assert many.status_code == 403
        assert fresh(row).status == "failed"  # nothing happened


def test_anonymous_goes_to_sign_in(app, client):
    row = failed()
    db.session.commit()
    csrf = extract_csrf(client.get("/confidentialite").get_data(as_text=True))
    posted = client.post(f"{URL}/{row.id}/renvoyer", data={"csrf_token": csrf})
    for response in (client.get(URL), posted):
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


def test_menu_entry_for_admins_only(app, admin_client):
    assert f'href="{URL}"' in admin_client.get("/").get_data(as_text=True)
    assistant = factories.user(Role.ASSISTANT)
    db.session.commit()
    assert f'href="{URL}"' not in signed_in(app, assistant).get("/").get_data(as_text=True)


def test_service_refuses_non_admins(app):
    row = failed()
    assistant = factories.user(Role.ASSISTANT)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        outbox_admin.resend([row.id], assistant)
    assert fresh(row).status == "failed"


# ------------------------------------------------------------------ tabs, counts, search


def test_failures_tab_is_the_default_when_there_are_any(app, admin_client):
    sent = message()
    db.session.commit()
    html = admin_client.get(URL).get_data(as_text=True)
    assert 'aria-current="page" class="outbox-tab outbox-tab-tous"' in html  # no failure: « Tous »
    assert shown_ids(html) == [sent.id]
    bad = failed()
    db.session.commit()
    html = admin_client.get(URL).get_data(as_text=True)
    assert 'aria-current="page" class="outbox-tab outbox-tab-echecs"' in html
    assert shown_ids(html) == [bad.id]


def test_each_tab_shows_its_statuses_with_counts(app, admin_client):
    now = utcnow()
    sent = message(created_at=now - timedelta(minutes=5))
    pending = message(status="pending", sent_at=None, attempts=0, created_at=now)
    sending = message(status="sending", claimed_at=now, created_at=now - timedelta(minutes=1))
    bad = failed(created_at=now - timedelta(minutes=3))
    db.session.commit()
    pages = {
        tab: admin_client.get(f"{URL}?statut={tab}").get_data(as_text=True)
        for tab in ("echecs", "attente", "envoyes", "tous")
    }
    assert shown_ids(pages["echecs"]) == [bad.id]
    assert shown_ids(pages["attente"]) == [pending.id, sending.id]  # newest first
    assert shown_ids(pages["envoyes"]) == [sent.id]
    assert shown_ids(pages["tous"]) == [pending.id, sending.id, bad.id, sent.id]
    html = pages["tous"]
    for tab, n in (("echecs", 1), ("attente", 2), ("envoyes", 1), ("tous", 4)):
        assert re.search(rf'outbox-tab-{tab}">[^<]+<span class="tab-count">{n}</span>', html), tab
    # French states, and the row's facts.
    assert "En attente" in html
    assert "En cours d’envoi" in html
    assert ">Envoyé<" in html
    assert ">Échec<" in html
    assert f'id="envoi-{bad.id}"' in html


def test_counts_stop_at_their_cap(app):
    for _ in range(7):
        message()
    failed()
    db.session.commit()
    counts = outbox_admin.counts(cap=5)
    assert counts["sent"] == outbox_admin.Count(5, True)
    assert counts["failed"] == outbox_admin.Count(1, False)
    assert counts["pending"] == outbox_admin.Count(0, False)
    assert outbox_admin.failed_count(cap=1) == outbox_admin.Count(1, False)


def test_search_by_address_reference_or_number(app, admin_client, world):
    ticket = world.new_ticket()
    db.session.commit()
    by_ticket = set(
        db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.ticket_id == ticket.id))
    )
    other = message(recipient="secretariat_ecole@athenee.example.com")
    lookalike = message(recipient="secretariatxecole@athenee.example.com")
    db.session.commit()

    def ids(q):
        html = admin_client.get(URL, query_string={"statut": "tous", "q": q}).get_data(as_text=True)
        return set(shown_ids(html))

    assert ids(ticket.reference) == by_ticket
    assert ids(ticket.reference.lower()) == by_ticket
    assert ids("ATHENEE") == {other.id, lookalike.id}  # part of the address, any case
    assert ids("secretariat_ecole") == {other.id}  # "_" is a letter here, not a wildcard
    assert ids(f"#{other.id}") == {other.id}
    assert ids("TECH-999") == set()
    html = admin_client.get(URL, query_string={"statut": "tous", "q": "personne"}).get_data(
        as_text=True
    )
    assert "Aucun envoi ne correspond à « personne » ici." in html


def test_search_with_htmx_returns_the_list_only(app, admin_client):
    row = message(recipient="direction@ecole.example.com")
    message(recipient="autre@example.com")
    db.session.commit()
    response = admin_client.get(
        URL, query_string={"statut": "tous", "q": "direction"}, headers=HTMX
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="outbox-search"' not in body
    assert body.lstrip().startswith('<nav class="outbox-tabs"')
    assert shown_ids(body) == [row.id]
    assert "HX-Request" in response.headers["Vary"]
    full = admin_client.get(URL, query_string={"statut": "tous", "q": "direction"})
    assert "<html" in full.get_data(as_text=True)


def test_pages_go_by_keyset_newest_first(app, admin_client):
    base = utcnow() - timedelta(days=1)
    rows = []
    for n in range(120):
        # 30 rows share one instant: the id breaks the tie, nothing is skipped or repeated.
        at = base + timedelta(seconds=n if n >= 30 else 0)
        rows.append(message(created_at=at))
    db.session.commit()
    expected = [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]

    html = admin_client.get(f"{URL}?statut=envoyes").get_data(as_text=True)
    first = shown_ids(html)
    assert first == expected[:50]
    assert "« Les plus récents" not in html
    older = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = admin_client.get(older).get_data(as_text=True)
    second = shown_ids(html)
    assert second == expected[50:100]
    older = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = admin_client.get(older).get_data(as_text=True)
    assert shown_ids(html) == expected[100:]
    assert 'rel="next"' not in html  # the end
    newer = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert shown_ids(admin_client.get(newer).get_data(as_text=True)) == second
    # Garbage in the address: the first page, no error.
    assert shown_ids(
        admin_client.get(f"{URL}?statut=envoyes&avant=abc").get_data(as_text=True)
    ) == (first)
    assert admin_client.get(f"{URL}?statut=nimportequoi&avant=-4").status_code == 200


def _statements(client, path) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_statements_do_not_grow_with_the_rows(app, admin_client, world):
    ticket = world.new_ticket()
    db.session.commit()
    admin_client.get(URL)  # warm-up
    few = _statements(admin_client, f"{URL}?statut=tous")
    for n in range(80):
        message(ticket_id=ticket.id, user_id=world.teacher.id, created_at=utcnow())
        if n % 10 == 0:
            failed(ticket_id=ticket.id)
    db.session.commit()
    assert _statements(admin_client, f"{URL}?statut=tous") == few
    assert _statements(admin_client, f"{URL}?statut=echecs") == few


def test_malicious_error_and_subject_are_escaped(app, admin_client):
    failed(
        subject="<script>alert('objet')</script>",
        last_error="550 <img src=x onerror=alert(1)>",
        recipient="x@example.com",
    )
    db.session.commit()
    html = admin_client.get(URL).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;objet&#39;)&lt;/script&gt;" in html
    assert "550 &lt;img src=x onerror=alert(1)&gt;" in html


def test_merged_and_stuck_messages(app, admin_client):
    now = utcnow()
    digest = message(created_at=now - timedelta(minutes=2))
    merged = message(created_at=now - timedelta(minutes=3), merged_into_id=digest.id)
    stuck = message(status="pending", sent_at=None, created_at=now - timedelta(hours=2))
    waiting = message(status="pending", sent_at=None, created_at=now)
    later = message(
        status="pending", sent_at=None, created_at=now - timedelta(hours=2),
        send_after=now + timedelta(minutes=5),
    )  # fmt: skip
    db.session.commit()
    html = admin_client.get(f"{URL}?statut=tous").get_data(as_text=True)
    row = html.split(f'id="envoi-{merged.id}"')[1].split("</tr>")[0]
    assert "Envoyé avec" in row
    assert f'href="/admin/envois?statut=tous&amp;q=%23{digest.id}">#{digest.id}</a>' in row
    # Pending for two hours with no reason to wait: « Bloqué », and it may be sent again.
    stuck_row = html.split(f'id="envoi-{stuck.id}"')[1].split("</tr>")[0]
    assert "Bloqué" in stuck_row
    assert "Renvoyer" in stuck_row
    for quiet in (waiting, later, digest):
        quiet_row = html.split(f'id="envoi-{quiet.id}"')[1].split("</tr>")[0]
        assert "Bloqué" not in quiet_row
        assert "Renvoyer" not in quiet_row


# ------------------------------------------------------------------ Renvoyer


def test_resend_without_javascript_sends_and_says_so(app, admin_client, admin, world):
    ticket = world.new_ticket()
    drain_queue(app)  # the first try (a real worker with Redis)
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id).limit(1)
    ).one()
    assert row.attempts == 1
    row.status, row.sent_at, row.last_error = "failed", None, "Adresse refusée"
    row.failed_at, row.send_after, row.merged_into_id = utcnow(), utcnow(), None
    db.session.commit()
    before = len(mailbox.messages())
    response = admin_client.post(
        f"{URL}/{row.id}/renvoyer?statut=echecs&q={ticket.reference}",
        data={"csrf_token": token(admin_client)},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{URL}?statut=echecs&q={ticket.reference}"
    drain_queue(app)
    row = fresh(row)
    assert row.status == "sent"
    assert row.attempts == 2  # the history is kept: one failed try, one good
    assert row.failed_at is None
    assert row.send_after is None
    if not app.config["REDIS_URL"]:
        assert len(mailbox.messages()) == before + 1
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Le message à" in html
    assert row.recipient in html
    assert shown_ids(html) == []  # nothing left in « Échecs » for this ticket


def test_resend_with_htmx_returns_the_fresh_list(app, admin_client):
    bad = failed(recipient="retour@example.com")
    db.session.commit()
    response = admin_client.post(
        f"{URL}/{bad.id}/renvoyer?statut=tous",
        data={"csrf_token": token(admin_client)},
        headers=HTMX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'class="flash flash-' in body
    assert "retour@example.com" in body
    drain_queue(app)
    assert fresh(bad).status == "sent"
    if not app.config["REDIS_URL"]:
        # In-process, the job ran before the answer: the row already reads « Envoyé ».
        row = body.split(f'id="envoi-{bad.id}"')[1].split("</tr>")[0]
        assert ">Envoyé<" in row
        assert "Renvoyer" not in row
        assert "Le message à retour@example.com est envoyé." in body


def test_resend_all_shown_failures(app, admin_client):
    first, second = failed(recipient="a@example.com"), failed(recipient="b@example.com")
    sent = message(recipient="c@example.com")
    unseen = failed(recipient="d@example.com")  # not on the page the admin saw
    db.session.commit()
    html = admin_client.get(URL, query_string={"q": "a@"}).get_data(as_text=True)
    assert "Renvoyer l’échec affiché" in html
    response = admin_client.post(
        f"{URL}/renvoyer",
        data={"csrf_token": extract_csrf(html), "ids": f"{first.id},{second.id},{sent.id},xyz"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    drain_queue(app)
    assert fresh(first).status == fresh(second).status == "sent"
    assert fresh(unseen).status == "failed"
    assert fresh(sent).attempts == 1  # not sent twice
    if not app.config["REDIS_URL"]:
        assert "2 messages renvoyés : 2 envoyés." in response.get_data(as_text=True)


def test_resend_of_a_sent_message_changes_nothing(app, admin_client):
    sent = message()
    db.session.commit()
    response = admin_client.post(
        f"{URL}/{sent.id}/renvoyer", data={"csrf_token": token(admin_client)}, follow_redirects=True
    )
    assert "Aucun de ces messages n’est en échec : rien n’a été renvoyé." in response.get_data(
        as_text=True
    )
    assert fresh(sent).attempts == 1
    assert (
        admin_client.post(
            f"{URL}/999999/renvoyer", data={"csrf_token": token(admin_client)}
        ).status_code
        == 404
    )


def test_resend_needs_the_csrf_token(app, admin_client):
    bad = failed()
    db.session.commit()
    for path, data in ((f"{URL}/{bad.id}/renvoyer", {}), (f"{URL}/renvoyer", {"ids": str(bad.id)})):
        response = admin_client.post(path, data=data)
        assert response.status_code == 400
        assert "Formulaire expiré" in response.get_data(as_text=True)
        wrong = admin_client.post(path, data={**data, "csrf_token": "forged"})
        assert wrong.status_code == 400
    assert fresh(bad).status == "failed"
    assert fresh(bad).attempts == 1


# ------------------------------------------------------------------ with a real SMTP server


@pytest.fixture
def mail_app(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        yield app


def test_refused_address_fails_for_good_then_resend_delivers(mail_app, smtp_server):
    world = build_world()
    smtp_server.refuse.add("support@meuse.example.com")
    ticket = world.new_ticket()
    drain_queue(mail_app)
    row = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.recipient == "support@meuse.example.com",
        )
    ).one()
    drain_queue(mail_app)  # a permanent refusal is not tried again
    row = fresh(row)
    assert row.status == "failed"
    assert row.attempts == 1
    assert "550" in (row.last_error or "") or "refusée" in (row.last_error or "")
    assert [m for m in smtp_server.messages if "support@meuse.example.com" in m["to"]] == []

    # EN staff see it on the ticket; the admin follows the link and sends it again.
    admin = signed_in(mail_app, world.admin)
    page = admin.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert 'role="alert"' in page
    assert "Le message à support@meuse.example.com n’a pas pu être envoyé" in page
    link = f"/admin/envois?statut=echecs&amp;q={ticket.reference}"
    assert link in page
    listing = admin.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert shown_ids(listing) == [row.id]

    smtp_server.refuse.clear()  # the address was fixed on the mail server's side
    response = admin.post(
        f"{URL}/{row.id}/renvoyer?statut=echecs&q={ticket.reference}",
        data={"csrf_token": extract_csrf(listing)},
    )
    assert response.status_code == 303
    drain_queue(mail_app)
    row = fresh(row)
    assert row.status == "sent"
    assert row.attempts == 2
    got = [m for m in smtp_server.messages if "support@meuse.example.com" in m["to"]]
    assert len(got) == 1
    assert ticket.reference in got[0]["message"]["Subject"]
    page = admin.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "n’a pas pu être envoyé" not in page


def test_a_stuck_message_may_be_resent_a_fresh_one_not(app, admin):
    now = utcnow()
    stuck = message(status="pending", sent_at=None, attempts=0, created_at=now - timedelta(hours=1))
    dead = message(
        status="sending", sent_at=None, claimed_at=now - timedelta(hours=1), created_at=now
    )
    fresh_one = message(status="pending", sent_at=None, attempts=0, created_at=now)
    db.session.commit()
    result = outbox_admin.resend([stuck.id, dead.id, fresh_one.id], admin, now=now)
    assert sorted(m.id for m in result.messages) == sorted([stuck.id, dead.id])
    assert result.skipped == 1
    drain_queue(app)
    assert fresh(stuck).status == "sent"
    assert fresh(dead).status == "sent"
    assert fresh(fresh_one).status == "pending"  # its own send job is on its way


def test_the_stuck_delay_is_a_setting(make_app):
    app = make_app(RELAIS_OUTBOX_STUCK_MINUTES=120)
    with app.app_context():
        row = message(status="pending", sent_at=None, created_at=utcnow() - timedelta(hours=1))
        db.session.commit()
        assert not outbox_admin.resendable(row)
        assert outbox_admin.resendable(row, now=utcnow() + timedelta(hours=2))
