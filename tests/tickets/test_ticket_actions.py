"""The workflow actions through their routes: plain POST and htmx, bad input, stale forms,
forbidden actions, the weekend confirmation, the visit message that follows the date."""

from __future__ import annotations

import io
import re
from datetime import date, time, timedelta

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, Intervention, OutboxMessage, Ticket, TicketEvent
from app.models.types import utcnow
from app.tickets import planning
from app.tickets.action_forms import MESSAGE_PLACEHOLDER
from app.tickets.service import ActionInput, add_comment, apply_action
from app.tickets.workflow import Action
from tests.support.tickets import build_world, later, ticket_in
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}
OOB_PARTS = (
    "ticket-state",
    "ticket-details",
    "ticket-participants",
    "ticket-interventions",
    "ticket-activity",
    "ticket-files",
)


def today() -> date:
    return planning.to_local(utcnow()).date()


def weekday_ahead(days: int = 2) -> date:
    day = today() + timedelta(days=days)
    # Weekends, holidays and Wednesday afternoons ask for a confirmation.
    while planning.visit_reasons(planning.to_utc(day, time(13, 30))):
        day += timedelta(days=1)
    return day


def saturday_ahead() -> date:
    day = today() + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


def fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def events(ticket) -> list[str]:
    return [e.kind for e in fresh(ticket).events]


def post(client, ticket, action, data=None, *, htmx=False, version=None, files=None):
    html = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    payload = {
        "csrf_token": extract_csrf(html),
        f"{action}-version": str(fresh(ticket).version if version is None else version),
    }
    payload.update({f"{action}-{key}": value for key, value in (data or {}).items()})
    kwargs = {}
    if files:
        payload.update({f"{action}-{key}": value for key, value in files.items()})
        kwargs["content_type"] = "multipart/form-data"
    return client.post(
        f"/demandes/{ticket.reference}/actions/{action}",
        data=payload,
        headers=HTMX if htmx else {},
        **kwargs,
    )


def assert_fragment(response, *, main="ticket-actions"):
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "<body" not in body
    first = re.match(r'\s*<[a-z]+ id="([a-z-]+)"', body)
    assert first, body[:200]
    assert first.group(1) == main
    for part in OOB_PARTS:
        if part != main:
            assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', body), part
    return body


# ------------------------------------------------------------------ every action, both ways


def _plan_data():
    day = weekday_ahead()
    return {"planned_date": day.isoformat(), "planned_time": "10:00"}


def _visit_now():
    local = planning.to_local(utcnow() - timedelta(hours=1))
    return {"visited_date": local.date().isoformat(), "visited_time": local.strftime("%H:%M")}


CASES = [
    # (action, starting state, who, form data, state after)
    (Action.PLAN, "open", "supplier_user", _plan_data, "in_progress"),
    (Action.PLAN, "open", "assistant", _plan_data, "in_progress"),
    (Action.RESCHEDULE, "in_progress", "supplier_user", _plan_data, "in_progress"),
    (Action.FINISH, "in_progress", "supplier_user", lambda: {"summary": "Écran remplacé."}, "done"),
    (
        Action.FINISH_ON_SPOT,
        "open",
        "supplier_colleague",
        lambda: {**_visit_now(), "summary": "Câble remplacé sur place."},
        "done",
    ),
    (Action.APPROVE, "done", "teacher", lambda: {"message": "Merci !"}, "closed"),
    (Action.APPROVE, "done", "assistant", dict, "closed"),
    (Action.REOPEN, "done", "teacher", lambda: {"reason": "L’écran s’éteint encore."}, "open"),
    (Action.SEND_BACK, "open", "supplier_user", lambda: {"reason": "Pas notre lot."}, "open"),
    (Action.CANCEL, "in_progress", "assistant", lambda: {"reason": "Doublon."}, "cancelled"),
    (Action.CHANGE_ASSIGNEE, "open", "admin", None, "open"),
    (Action.ASSIGN_TECHNICIAN, "open", "supplier_user", None, "open"),
    (Action.REASSIGN_SUPPLIER, "in_progress", "coordinator", None, "open"),
]


def _data(world, action, make):
    if action == Action.CHANGE_ASSIGNEE:
        return {"assignee_id": str(world.assistant2.id)}
    if action == Action.ASSIGN_TECHNICIAN:
        return {"technician_id": str(world.supplier_colleague.id)}
    if action == Action.REASSIGN_SUPPLIER:
        return {"supplier_id": str(world.other_supplier.id), "reason": "Lot de Brabant."}
    return make()


@pytest.mark.parametrize(("action", "start", "who", "make", "after"), CASES)
def test_action_as_a_plain_post(app, world, action, start, who, make, after):
    ticket = ticket_in(world, start)
    before = events(ticket)
    client = signed_in(app, getattr(world, who))
    response = post(client, ticket, action.value, _data(world, action, make))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    # Sent back, the ticket leaves the company: the supplier goes back to the list.
    target = "/demandes" if action == Action.SEND_BACK else f"/demandes/{ticket.reference}"
    assert response.headers["Location"] == target
    assert fresh(ticket).status == after
    assert events(ticket) == [*before, action.value]
    html = client.get(target).get_data(as_text=True)
    assert 'class="flash flash-success"' in html


@pytest.mark.parametrize(("action", "start", "who", "make", "after"), CASES)
def test_action_with_htmx(app, world, action, start, who, make, after):
    ticket = ticket_in(world, start)
    client = signed_in(app, getattr(world, who))
    response = post(client, ticket, action.value, _data(world, action, make), htmx=True)
    assert response.status_code == 200
    if action == Action.SEND_BACK:
        assert response.headers["HX-Redirect"] == "/demandes"
        assert fresh(ticket).supplier_id is None
        return
    body = assert_fragment(response)
    assert fresh(ticket).status == after
    # The notice says what happened; the state badge and the activity are the new ones.
    assert 'class="flash flash-success ticket-notice" role="status"' in body
    state = body.split('id="ticket-state"')[1].split("</section>")[0]
    label = {"open": "OUVERT", "in_progress": "EN COURS", "done": "TERMINÉ"}
    label |= {"closed": "FERMÉ", "cancelled": "ANNULÉ"}
    assert f">{label[after]}</span>" in state
    # The buttons carry the new version: the next action is not refused as stale.
    versions = set(re.findall(r'-version" type="hidden" value="(\d+)"', body))
    assert versions <= {str(fresh(ticket).version)}


def test_plan_then_finish_then_approve_through_the_page(app, world):
    ticket = world.new_ticket()
    supplier = signed_in(app, world.supplier_user)
    day = weekday_ahead()
    response = post(
        supplier, ticket, "plan", {"planned_date": day.isoformat(), "planned_time": "13:30"}
    )
    assert response.status_code == 303
    page = supplier.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "L’intervention est planifiée. La demande est passée de « OUVERT » à « EN COURS »." in (
        page
    )
    visit = db.session.scalar(select(Intervention))
    assert visit.planned_at == planning.to_utc(day, time(13, 30))
    # Left untouched, the message was written for the chosen date.
    assert visit.message == planning.planned_message(visit.planned_at)
    assert post(supplier, ticket, "finish", {"summary": "Dalle changée."}).status_code == 303
    teacher = signed_in(app, world.teacher)
    page = teacher.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "1 approbation nécessaire" in page
    assert post(teacher, ticket, "approve").status_code == 303
    assert fresh(ticket).status == "closed"


def test_take_in_charge(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.assistant2)
    response = post(client, ticket, "change_assignee", {"assignee_id": str(world.assistant2.id)})
    assert response.status_code == 303
    assert fresh(ticket).assignee_id == world.assistant2.id
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "a pris la demande en charge" in page
    assert "Prendre en charge" not in page


# ------------------------------------------------------------------ bad input


BAD_INPUT = [
    # (action, start, who, data, field, message)
    (
        Action.PLAN,
        "open",
        "supplier_user",
        {"planned_date": "", "planned_time": "", "message": "Bonjour, je passe."},
        "planned_date",
        "Indiquez la date et l’heure de l’intervention.",
    ),
    (
        Action.PLAN,
        "open",
        "supplier_user",
        {"planned_date": "2026-13-45", "planned_time": "10:00", "message": "Texte à moi"},
        "planned_date",
        "Indiquez une date valide (jour, mois, année).",
    ),
    (
        Action.PLAN,
        "open",
        "supplier_user",
        {"planned_date": "2020-01-07", "planned_time": "10:00", "message": "Texte à moi"},
        "planned_date",
        "Cette date est déjà passée.",
    ),
    (
        Action.RESCHEDULE,
        "in_progress",
        "supplier_user",
        {"planned_date": "", "planned_time": "25:00", "message": "Texte à moi"},
        "planned_time",
        "Indiquez une heure valide (par exemple 09:30).",
    ),
    (
        Action.FINISH,
        "in_progress",
        "supplier_user",
        {"summary": "  "},
        "summary",
        "Résumez ce qui a été fait.",
    ),
    (
        Action.FINISH_ON_SPOT,
        "open",
        "supplier_user",
        {"visited_date": "2099-01-05", "visited_time": "10:00", "summary": "Fait."},
        "visited_date",
        "Une visite déjà faite ne peut pas être dans le futur.",
    ),
    (
        Action.FINISH_ON_SPOT,
        "open",
        "supplier_user",
        {"visited_date": "", "visited_time": "", "summary": "Fait."},
        "visited_date",
        "Indiquez quand la visite a eu lieu.",
    ),
    (
        Action.REOPEN,
        "done",
        "teacher",
        {"reason": ""},
        "reason",
        "Expliquez pourquoi le problème persiste.",
    ),
    (
        Action.SEND_BACK,
        "in_progress",
        "supplier_user",
        {"reason": ""},
        "reason",
        "Expliquez pourquoi la demande revient à l’équipe EN.",
    ),
    (
        Action.CANCEL,
        "open",
        "assistant",
        {"reason": ""},
        "reason",
        "Indiquez pourquoi la demande est annulée.",
    ),
    (
        Action.REASSIGN_SUPPLIER,
        "open",
        "assistant",
        {"supplier_id": "", "reason": "Un autre lot"},
        "supplier_id",
        "Choisissez un fournisseur actif.",
    ),
    (
        Action.ASSIGN_TECHNICIAN,
        "open",
        "supplier_user",
        {"technician_id": "999999"},
        "technician_id",
        "Choisissez un technicien de votre société.",
    ),
    (
        Action.CHANGE_ASSIGNEE,
        "open",
        "assistant",
        {"assignee_id": "abc"},
        "assignee_id",
        "Choisissez un·e assistant·e EN actif·ve.",
    ),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("action", "start", "who", "data", "field", "message"), BAD_INPUT)
def test_bad_input(app, world, action, start, who, data, field, message, htmx):
    ticket = ticket_in(world, start)
    before = (fresh(ticket).status, fresh(ticket).version, events(ticket))
    outbox = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    client = signed_in(app, getattr(world, who))
    response = post(client, ticket, action.value, data, htmx=htmx)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    field_id = f"{action.value}-{field}"
    # The message next to its field, tied to it, and the form open again.
    assert f'<p class="error" id="{field_id}-error">{message}</p>' in body
    assert re.search(rf'aria-describedby="[^"]*{field_id}-error"', body)
    assert re.search(r'<details class="action action-\w+" open>\s*<summary[^>]*>', body)
    # What was typed is kept.
    for key, value in data.items():
        if value.strip() and key not in ("planned_time",):
            if key.endswith("_id"):
                continue
            assert value in body, key
    # Nothing saved.
    assert (fresh(ticket).status, fresh(ticket).version, events(ticket)) == before
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox
    if htmx:
        assert "<html" not in body
        assert "hx-swap-oob" not in body


def test_a_refused_photo_leaves_the_ticket_as_it_was(app, world):
    ticket = ticket_in(world, "in_progress")
    client = signed_in(app, world.supplier_user)
    response = post(
        client,
        ticket,
        "finish",
        {"summary": "Dalle changée."},
        files={"photos": [(io.BytesIO(b"<html><script>x</script></html>"), "photo.jpg")]},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert '<p class="error" id="finish-photos-error">« photo.jpg »' in body
    assert "Dalle changée." in body
    assert fresh(ticket).status == "in_progress"
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_finish_with_photos_from_the_phone(app, world):
    ticket = ticket_in(world, "in_progress")
    client = signed_in(app, world.supplier_user)
    photos = []
    for n in range(2):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (20 * n, 90, 160)).save(buffer, "JPEG")
        buffer.seek(0)
        photos.append((buffer, f"IMG_{n}.jpg"))
    response = post(
        client, ticket, "finish", {"summary": "Dalle changée."}, files={"photos": photos}
    )
    assert response.status_code == 303
    finish = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "finish"))
    files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(f.filename, f.event_id) for f in files] == [
        ("IMG_0.jpg", finish.id),
        ("IMG_1.jpg", finish.id),
    ]
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert f"/pieces/{files[0].id}/miniature" in page


# ------------------------------------------------------------------ refusals


def test_stale_form_gets_the_fresh_state(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    seen = fresh(ticket).version
    # Meanwhile, the assistant plans the visit.
    apply_action(
        world.assistant,
        ticket.id,
        Action.PLAN,
        ActionInput(planned_at=planning.to_utc(weekday_ahead(), time(9, 0))),
        version=seen,
    )
    response = post(client, ticket, "plan", _plan_data(), version=seen)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Ce ticket a été modifié entre-temps" in body
    assert "<html" in body  # the whole page, as it is now
    assert 'status-in_progress">EN COURS</span>' in body
    assert re.findall(r'action="/demandes/TECH-1/actions/(\w+)"', body).count("finish") == 1
    assert events(ticket) == ["created", "plan"]

    # Same with htmx: the fresh parts, never a second transition.
    response = post(client, ticket, "finish", {"summary": "Fait."}, version=seen, htmx=True)
    assert response.status_code == 409
    body = assert_fragment(response)
    assert 'role="alert">Ce ticket a été modifié entre-temps' in body
    assert events(ticket) == ["created", "plan"]


def test_a_comment_in_between_makes_the_form_stale(app, world):
    ticket = ticket_in(world, "in_progress")
    client = signed_in(app, world.supplier_user)
    seen = fresh(ticket).version
    add_comment(world.teacher, ticket.id, "Je ne suis pas là mardi.", now=later(30))
    response = post(client, ticket, "finish", {"summary": "Fait."}, version=seen)
    assert response.status_code == 409
    assert "Je ne suis pas là mardi." in response.get_data(as_text=True)
    assert fresh(ticket).status == "in_progress"


@pytest.mark.parametrize(
    ("who", "action", "start"),
    [
        ("teacher", "plan", "open"),
        ("supplier_user", "approve", "done"),
        ("coordinator", "cancel", "open"),
        ("supplier_user", "finish", "open"),  # wrong state
        ("assistant", "reschedule", "in_progress"),  # the supplier's
    ],
)
def test_forbidden_action_is_403_with_its_reason(app, world, who, action, start):
    ticket = ticket_in(world, start)
    before = events(ticket)
    client = signed_in(app, getattr(world, who))
    response = post(client, ticket, action, {"reason": "x", "summary": "x"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert re.search(r'class="flash flash-error ticket-notice" role="alert">[^<]+\.', body)
    assert events(ticket) == before


def test_other_company_and_unknown_actions_are_404(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.other_supplier_user)
    html = client.get("/confidentialite").get_data(as_text=True)
    response = client.post(
        f"/demandes/{ticket.reference}/actions/plan",
        data={"csrf_token": extract_csrf(html), "plan-version": "1"},
    )
    assert response.status_code == 404
    own = signed_in(app, world.supplier_user)
    html = own.get("/confidentialite").get_data(as_text=True)
    for action in ("auto_close", "delete", "PLAN"):
        response = own.post(
            f"/demandes/{ticket.reference}/actions/{action}",
            data={"csrf_token": extract_csrf(html), f"{action}-version": "1"},
        )
        assert response.status_code == 404, action
    # A form without its version is not one of ours.
    response = own.post(
        f"/demandes/{ticket.reference}/actions/plan", data={"csrf_token": extract_csrf(html)}
    )
    assert response.status_code == 400
    assert events(ticket) == ["created"]


def test_actions_need_the_csrf_token(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    response = client.post(
        f"/demandes/{ticket.reference}/actions/send_back",
        data={"send_back-version": "1", "send_back-reason": "Pas à nous."},
    )
    assert response.status_code == 400
    assert fresh(ticket).supplier_id == world.supplier.id


# ------------------------------------------------------------------ the weekend and the message


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_weekend_asks_for_a_confirmation(app, world, htmx):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    saturday = saturday_ahead()
    data = {"planned_date": saturday.isoformat(), "planned_time": "09:00"}
    response = post(client, ticket, "plan", data, htmx=htmx)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "est un jour de week-end : confirmez-vous cette date ?" in body
    assert 'id="plan-confirm_weekend"' in body
    assert "Confirmer cette date" in body
    # The message already follows the chosen Saturday.
    expected = planning.planned_message(planning.to_utc(saturday, time(9, 0)))
    assert expected in body
    assert fresh(ticket).status == "open"

    response = post(client, ticket, "plan", {**data, "confirm_weekend": "y"}, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    assert fresh(ticket).status == "in_progress"


def _last_all_saints() -> date:
    """The last 1 November already past: a public holiday, before today."""
    today = planning.to_local(utcnow()).date()
    day = date(today.year, 11, 1)
    return day if day < today else date(today.year - 1, 11, 1)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_past_holiday_is_refused_without_asking_to_confirm_it(app, world, htmx):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    data = {"planned_date": _last_all_saints().isoformat(), "planned_time": "10:00"}
    response = post(client, ticket, "plan", data, htmx=htmx)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Cette date est déjà passée." in body
    assert "confirmez-vous cette date" not in body
    assert 'id="plan-confirm_weekend"' not in body
    # Nor does the message that follows the chosen date ask it.
    live = client.get(_message_url(ticket, **data)).get_data(as_text=True)
    assert "confirmez-vous" not in live
    assert fresh(ticket).status == "open"


def test_weekday_needs_no_confirmation(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    assert post(client, ticket, "plan", _plan_data()).status_code == 303


def _message_url(ticket, action="plan", **values):
    query = "&".join(f"{action}-{k}={v}" for k, v in values.items())
    return f"/demandes/{ticket.reference}/actions/{action}/message?{query}"


def test_message_follows_the_chosen_date(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    placeholder = "Bonjour,\nL’intervention est prévue le DATE à HEURE."
    day = weekday_ahead()
    response = client.get(
        _message_url(
            ticket,
            planned_date=day.isoformat(),
            planned_time="14:30",
            message=placeholder,
            generated=placeholder,
        ),
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="plan-message-field"')
    expected = planning.planned_message(planning.to_utc(day, time(14, 30)))
    assert f">\r\n{expected}</textarea>" in body
    # The hidden copy follows too, so that the next change of date still updates the text.
    assert f'name="plan-generated" type="hidden" value="{expected}"' in body

    # A text of their own is never replaced.
    response = client.get(
        _message_url(
            ticket,
            planned_date=day.isoformat(),
            planned_time="15:00",
            message="Je passerai vers 15h.",
            generated=expected,
        ),
        headers=HTMX,
    )
    body = response.get_data(as_text=True)
    assert ">\r\nJe passerai vers 15h.</textarea>" in body
    later_expected = planning.planned_message(planning.to_utc(day, time(15, 0)))
    assert f'value="{later_expected}"' in body

    # Only a time so far: the placeholder stays.
    response = client.get(
        _message_url(ticket, planned_time="15:00", message=placeholder, generated=placeholder)
    )
    assert f">\r\n{placeholder}</textarea>" in response.get_data(as_text=True)


def test_message_fragment_warns_about_a_weekend(app, world):
    ticket = ticket_in(world, "in_progress")
    client = signed_in(app, world.supplier_user)
    response = client.get(
        _message_url(
            ticket,
            "reschedule",
            planned_date=saturday_ahead().isoformat(),
            planned_time="10:00",
        ),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "jour de week-end" in response.get_data(as_text=True)


def test_message_fragment_only_for_who_plans(app, world):
    ticket = world.new_ticket()
    assert signed_in(app, world.teacher).get(_message_url(ticket)).status_code == 403
    assert signed_in(app, world.other_supplier_user).get(_message_url(ticket)).status_code == 404
    assert signed_in(app, world.assistant).get(_message_url(ticket)).status_code == 200
    url = f"/demandes/{ticket.reference}/actions/finish/message"
    assert signed_in(app, world.supplier_user).get(url).status_code == 404


def test_own_message_is_kept_and_sent(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    data = {**_plan_data(), "message": "Bonjour,\nJe viendrai avec un écran neuf."}
    assert post(client, ticket, "plan", data).status_code == 303
    visit = db.session.scalar(select(Intervention))
    assert visit.message == "Bonjour,\nJe viendrai avec un écran neuf."


def test_reschedule_form_shows_the_current_visit(app, world):
    ticket = ticket_in(world, "in_progress")  # planned on 4 March 2026 at 10:00
    html = signed_in(app, world.supplier_user).get(f"/demandes/{ticket.reference}")
    html = html.get_data(as_text=True)
    assert (
        'id="reschedule-planned_date" name="reschedule-planned_date" type="date" value="2026-03-04"'
        in html
    )
    assert "L’intervention est prévue le 4 mars 2026 à 10:00." in html


# ------------------------------------------------------------------ the visit horizon


def _refused_next_to(response, field_id: str, message: str) -> None:
    assert response.status_code == 422, response.status_code
    body = response.get_data(as_text=True)
    assert f'<p class="error" id="{field_id}-error">{message}</p>' in body, body[:3000]


DATE_MESSAGE = "Indiquez une date valide (jour, mois, année)."


def _horizon_message(days: int) -> str:
    latest = planning.day_text(today() + timedelta(days=days))
    return f"Cette date est trop lointaine : choisissez-la au plus tard le {latest}."


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_visit_planned_for_the_year_9999_is_refused(app, world, htmx):
    ticket = world.new_ticket()
    before = (fresh(ticket).status, fresh(ticket).version, events(ticket))
    client = signed_in(app, world.supplier_user)
    # Beyond the years a date field reads, then within them but past the horizon: each refused
    # next to the field, with what was typed kept.
    for typed, message in (("9999-12-31", DATE_MESSAGE), ("2999-12-31", _horizon_message(365))):
        data = {"planned_date": typed, "planned_time": "10:00", "confirm_weekend": "y"}
        response = post(client, ticket, "plan", data, htmx=htmx)
        _refused_next_to(response, "plan-planned_date", message)
        assert f'value="{typed}"' in response.get_data(as_text=True)
    assert (fresh(ticket).status, fresh(ticket).version, events(ticket)) == before
    assert db.session.scalar(select(func.count()).select_from(Intervention)) == 0
    # The planning clock still runs: no « Délai respecté » for a visit that was never planned.
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "Délai respecté" not in page


def test_the_horizon_is_a_year_by_default_and_holds_for_rescheduling(app, world):
    ticket = ticket_in(world, "in_progress")
    client = signed_in(app, world.supplier_user)
    last = today() + timedelta(days=365)
    data = {"planned_time": "10:00", "confirm_weekend": "y"}
    response = post(
        client,
        ticket,
        "reschedule",
        {**data, "planned_date": (last + timedelta(days=1)).isoformat()},
    )
    _refused_next_to(response, "reschedule-planned_date", _horizon_message(365))
    assert fresh(ticket).interventions[0].planned_at == planning.to_utc(date(2026, 3, 4), time(10))
    response = post(client, ticket, "reschedule", {**data, "planned_date": last.isoformat()})
    assert response.status_code == 303
    assert fresh(ticket).interventions[0].planned_at == planning.to_utc(last, time(10))


def test_the_horizon_is_a_setting(make_app):
    app = make_app(RELAIS_VISIT_HORIZON_DAYS=30)
    with app.app_context():
        world = build_world()
        ticket = world.new_ticket()
        client = signed_in(app, world.supplier_user)
        day = today() + timedelta(days=31)
        data = {"planned_date": day.isoformat(), "planned_time": "10:00", "confirm_weekend": "y"}
        response = post(client, ticket, "plan", data)
        _refused_next_to(response, "plan-planned_date", _horizon_message(30))
        assert fresh(ticket).status == "open"


def test_a_visit_on_the_spot_is_recorded_within_the_horizon(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    earliest = today() - timedelta(days=365)
    message = (
        "Cette date est trop ancienne : indiquez une visite faite le "
        f"{planning.day_text(earliest)} ou après."
    )
    for typed, expected in (
        ((earliest - timedelta(days=1)).isoformat(), message),
        ("1900-01-01", message),
        ("0001-01-01", DATE_MESSAGE),  # before the years a date field reads
    ):
        data = {"visited_date": typed, "visited_time": "00:10", "summary": "Fait."}
        response = post(client, ticket, "finish_on_spot", data)
        _refused_next_to(response, "finish_on_spot-visited_date", expected)
        assert fresh(ticket).status == "open"
    data = {"visited_date": earliest.isoformat(), "visited_time": "10:00", "summary": "Fait."}
    assert post(client, ticket, "finish_on_spot", data).status_code == 303
    assert fresh(ticket).status == "done"


def test_the_service_keeps_the_horizon_for_every_caller(app, world):
    from app.tickets.errors import TicketError
    from tests.support.tickets import NOW

    ticket = world.new_ticket()
    far = planning.to_utc(date(9999, 12, 31), time(10))
    with pytest.raises(TicketError) as refused:
        apply_action(world.supplier_user, ticket.id, Action.PLAN, ActionInput(planned_at=far))
    assert refused.value.field == "planned_at"
    assert refused.value.message.startswith("Cette date est trop lointaine")
    old = NOW - timedelta(days=400)
    with pytest.raises(TicketError) as refused:
        apply_action(
            world.supplier_user,
            ticket.id,
            Action.FINISH_ON_SPOT,
            ActionInput(visited_at=old, summary="Fait."),
            now=NOW,
        )
    assert refused.value.field == "visited_at"
    assert fresh(ticket).status == "open"


def test_the_message_fragment_survives_a_day_out_of_reach(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    response = client.get(
        _message_url(ticket, planned_date="0001-01-01", planned_time="00:10"), headers=HTMX
    )
    assert response.status_code == 200
    assert "DATE à HEURE" in response.get_data(as_text=True)


# ------------------------------------------------------------------ the placeholders never leave

PLACEHOLDER = "Bonjour,\nL’intervention est prévue le DATE à HEURE."


def _announcements(ticket) -> list[str]:
    """Every text the visit reached: the visit, the activity and the mails."""
    db.session.expire_all()
    texts = [v.message or "" for v in db.session.scalars(select(Intervention))]
    texts += [e.body or "" for e in fresh(ticket).events]
    for row in db.session.scalars(select(OutboxMessage)):
        texts += [row.subject or "", row.body_text or "", row.body_html or ""]
    return texts


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_line_added_to_the_prefilled_message_gets_the_date(app, world, htmx):
    """Without JavaScript the message never follows the date: the server fills it in."""
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    day = weekday_ahead()
    typed = PLACEHOLDER.replace("\n", "\r\n") + "\r\nJe viendrai avec un écran neuf."
    data = {
        "planned_date": day.isoformat(),
        "planned_time": "10:00",
        "message": typed,
        "generated": PLACEHOLDER,  # what the page wrote before a date was chosen
    }
    response = post(client, ticket, "plan", data, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    instant = planning.to_utc(day, time(10))
    expected = (
        f"Bonjour,\nL’intervention est prévue le {planning.date_text(instant)} à 10:00.\n"
        "Je viendrai avec un écran neuf."
    )
    assert db.session.scalar(select(Intervention.message)) == expected
    assert fresh(ticket).events[-1].body == expected
    texts = _announcements(ticket)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) > 0
    assert any("Je viendrai avec un écran neuf." in text for text in texts[2:])
    assert not [text for text in texts if "DATE" in text or "HEURE" in text]

    # Rescheduled with the placeholders typed again, anywhere in the text.
    later_day = weekday_ahead(days=9)
    data = {
        "planned_date": later_day.isoformat(),
        "planned_time": "14:30",
        "message": "Nouveau passage le DATE (HEURE), merci.",
        "generated": expected,
    }
    assert post(client, ticket, "reschedule", data).status_code == 303
    moved = planning.to_utc(later_day, time(14, 30))
    assert db.session.scalar(select(Intervention.message)) == (
        f"Nouveau passage le {planning.date_text(moved)} (14:30), merci."
    )
    assert not [text for text in _announcements(ticket) if "DATE" in text or "HEURE" in text]


def test_placeholders_without_a_date_are_refused(app, world):
    ticket = world.new_ticket()
    client = signed_in(app, world.supplier_user)
    data = {
        "planned_date": "",
        "planned_time": "10:00",
        "message": PLACEHOLDER + "\nJe viendrai avec un écran neuf.",
        "generated": PLACEHOLDER,
    }
    response = post(client, ticket, "plan", data)
    _refused_next_to(
        response, "plan-planned_date", "Indiquez la date et l’heure de l’intervention."
    )
    assert "Je viendrai avec un écran neuf." in response.get_data(as_text=True)
    assert fresh(ticket).status == "open"
    assert not [text for text in _announcements(ticket) if "DATE à HEURE" in text]


def test_fill_placeholders_leaves_other_words_alone():
    instant = planning.to_utc(date(2026, 12, 8), time(10))
    assert planning.fill_placeholders("UPDATE, DATES et HEURES ; DATE à HEURE", instant) == (
        "UPDATE, DATES et HEURES ; 8 décembre 2026 à 10:00"
    )


def test_visit_message_in_german(app):
    # A German-speaking supplier's page prefills the message in German, with German placeholders
    # that the visit's date fills in as the French ones.
    instant = planning.to_utc(date(2026, 12, 8), time(10))
    with app.test_request_context(), force_locale("de"):
        assert planning.planned_message(instant) == (
            "Guten Tag,\nder Einsatz ist für den 8. Dezember 2026 um 10:00 geplant."
        )
        placeholder = "Guten Tag,\nder Einsatz ist für den DATUM um UHRZEIT geplant."
        assert str(MESSAGE_PLACEHOLDER) == placeholder
        assert planning.fill_placeholders(placeholder, instant) == planning.planned_message(instant)
        assert planning.horizon_problem(date(2029, 1, 1), date(2026, 12, 8), 365) == (
            "Dieses Datum liegt zu weit in der Zukunft: Wählen Sie spätestens den 8. Dezember 2027."
        )


def test_a_german_supplier_writes_to_a_french_school_in_french(app, world):
    # The page is German (the supplier's), the message the school gets is in its contact's
    # language: French here, German for a German-speaking teacher.
    world.supplier_user.language = "de"
    db.session.commit()
    ticket = world.new_ticket()
    supplier = signed_in(app, world.supplier_user)
    page = supplier.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    assert "Einsatz" in page
    assert "Bonjour,\nL’intervention est prévue le DATE à HEURE." in page
    assert " ;</li>" not in page
    assert ";</li>" in page
    day = weekday_ahead()
    response = post(
        supplier, ticket, "plan", {"planned_date": day.isoformat(), "planned_time": "13:30"}
    )
    assert response.status_code == 303
    visit = db.session.scalar(select(Intervention))
    assert visit.message == planning.planned_message(visit.planned_at, "fr")
    assert visit.message.startswith("Bonjour,\nL’intervention est prévue le ")

    world.teacher.language = "de"
    other = world.new_ticket()
    db.session.commit()
    page = supplier.get(f"/demandes/{other.reference}").get_data(as_text=True)
    assert "Guten Tag,\nder Einsatz ist für den DATUM um UHRZEIT geplant." in page
