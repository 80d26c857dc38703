"""The private calendar feeds: a company's visits, every visit for a coordinator.

Fetched over HTTP without signing in (as a phone's calendar app does), parsed with icalendar:
a company never sees another's visits, the coordinator sees them all, a regenerated link kills
the old one, and the feed costs the same few statements whatever the number of visits.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import event

from app.agenda import feeds
from app.extensions import db
from app.models import Intervention, Supplier, User
from app.models.types import utcnow
from app.tickets.planning import to_utc
from app.tickets.service import ActionInput, apply_action
from app.tickets.workflow import Action
from tests.support.tickets import build_world
from tests.support.web import extract_csrf, signed_in

UID = re.compile(r"intervention-(\d+)@relais\.test")


def _plan(world, who, ticket, at, now):
    apply_action(who, ticket.id, Action.PLAN, ActionInput(planned_at=at), now=now)
    return db.session.scalars(
        db.select(Intervention)
        .where(Intervention.ticket_id == ticket.id)
        .order_by(Intervention.id.desc())
    ).first()


@pytest.fixture
def scene(app):
    """Two companies with one visit each, planned in the coming days (the feed uses the clock)."""
    world = build_world()
    now = utcnow().replace(second=0, microsecond=0)  # visits are planned to the minute
    ours = world.new_ticket(summary="Projecteur de la classe 3")
    theirs = world.new_ticket(summary="Tableau de la classe 5", supplier_id=world.other_supplier.id)
    our_visit = _plan(world, world.supplier_user, ours, now + timedelta(days=2), now)
    their_visit = _plan(world, world.other_supplier_user, theirs, now + timedelta(days=3), now)
    return world, our_visit, their_visit


def _link(app, user) -> str:
    """Make the feed link from the agenda page, as the person would; returns the token."""
    client = signed_in(app, user)
    page = client.get("/agenda/")
    assert page.status_code == 200
    response = client.post("/agenda/lien", data={"csrf_token": extract_csrf(page.text)})
    assert response.status_code == 303
    page = client.get("/agenda/")
    match = re.search(r'value="http://relais\.test/agenda/([A-Za-z0-9_-]+)\.ics"', page.text)
    assert match, "the page shows the feed's address"
    assert f'href="webcal://relais.test/agenda/{match.group(1)}.ics"' in page.text
    return match.group(1)


def _fetch(app, token: str):
    return app.test_client().get(f"/agenda/{token}.ics")  # a fresh client: nobody signed in


def _events(response) -> dict[int, object]:
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    return {int(UID.fullmatch(str(e["UID"])).group(1)): e for e in calendar.walk("VEVENT")}


def test_company_feed_holds_its_own_visits_only(app, scene):
    world, our_visit, their_visit = scene
    token = _link(app, world.supplier_user)
    db.session.expire_all()
    assert db.session.get(Supplier, world.supplier.id).calendar_token == token

    response = _fetch(app, token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert "Set-Cookie" not in response.headers
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Relais — Meuse Informatique"
    events = _events(response)
    assert set(events) == {our_visit.id}
    event = events[our_visit.id]
    assert str(event["SUMMARY"]).endswith("— Projecteur de la classe 3")
    assert "Brabant" not in response.text
    assert event.decoded("DTSTART") == our_visit.planned_at.astimezone(UTC)
    assert str(event["STATUS"]) == "CONFIRMED"

    # A colleague sees the same company link; the other company's feed holds only its visit.
    assert _link(app, world.supplier_colleague) == token
    other = _link(app, world.other_supplier_user)
    assert set(_events(_fetch(app, other))) == {their_visit.id}

    # A company that is switched off loses its feed.
    db.session.get(Supplier, world.supplier.id).active = False
    db.session.commit()
    assert _fetch(app, token).status_code == 404
    assert _fetch(app, other).status_code == 200


def test_coordinator_feed_holds_every_company(app, scene):
    world, our_visit, their_visit = scene
    token = _link(app, world.coordinator)
    events = _events(_fetch(app, token))
    assert set(events) == {our_visit.id, their_visit.id}
    assert "(Meuse Informatique)" in str(events[our_visit.id]["SUMMARY"])
    assert "(Brabant Systèmes)" in str(events[their_visit.id]["SUMMARY"])

    # A coordinator who leaves takes the feed along.
    db.session.get(User, world.coordinator.id).active = False
    db.session.commit()
    assert _fetch(app, token).status_code == 404


def test_regenerating_kills_the_old_link(app, scene):
    world, _, _ = scene
    old = _link(app, world.supplier_user)
    client = signed_in(app, world.supplier_colleague)
    page = client.get("/agenda/")
    assert "Tout utilisateur de Meuse Informatique peut régénérer ce lien" in page.text

    # Not confirmed: nothing changes, the reason is given.
    refused = client.post("/agenda/lien/regenerer", data={"csrf_token": extract_csrf(page.text)})
    assert refused.status_code == 422
    assert "Cochez la case pour confirmer" in refused.text
    assert _fetch(app, old).status_code == 200

    done = client.post(
        "/agenda/lien/regenerer",
        data={"csrf_token": extract_csrf(page.text), "confirm": "y"},
        headers={"HX-Request": "true", "HX-Target": "agenda-link"},
    )
    assert done.status_code == 200
    assert "L’ancien ne fonctionne plus" in done.text
    assert "<html" not in done.text, "htmx gets the fragment"
    db.session.expire_all()
    new = db.session.get(Supplier, world.supplier.id).calendar_token
    assert new != old
    assert f"/agenda/{new}.ics" in done.text
    assert _fetch(app, old).status_code == 404
    assert _fetch(app, new).status_code == 200


def test_unknown_or_malformed_tokens_are_not_found(app, scene):
    world, _, _ = scene
    _link(app, world.supplier_user)
    for token in ("x" * 43, "not-a-token", "a" * 200, "%27%20OR%201=1"):
        assert _fetch(app, token).status_code == 404
    # A teacher's or an assistant's account has no feed: their calendar_token is never looked up.
    teacher = db.session.get(User, world.teacher.id)
    teacher.calendar_token = "T" * 43
    db.session.commit()
    assert _fetch(app, "T" * 43).status_code == 404


def test_only_suppliers_and_coordinators_have_the_page(app, scene):
    world, _, _ = scene
    for user in (world.teacher, world.assistant, world.admin):
        assert signed_in(app, user).get("/agenda/").status_code == 403
    assert app.test_client().get("/agenda/").status_code == 302  # to the sign-in page


def test_window_cancelled_and_finished_visits(app, world):
    """What the feed holds around `now` (the function takes the clock)."""
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    tickets = [world.new_ticket(serial=f"SN-{n}") for n in range(5)]
    old = _plan(world, world.supplier_user, tickets[0], now + timedelta(days=1), now)
    # Its date is now long past (planned then, 100 days ago for the feed's clock).
    later = now + timedelta(days=101)
    recent = _plan(world, world.supplier_user, tickets[1], later + timedelta(days=1), later)
    called_off = _plan(world, world.supplier_user, tickets[2], later + timedelta(days=2), later)
    apply_action(
        world.assistant, tickets[2].id, Action.CANCEL, ActionInput(reason="Doublon."), now=later
    )
    long_off = _plan(world, world.supplier_user, tickets[3], later + timedelta(days=3), later)
    apply_action(
        world.assistant,
        tickets[3].id,
        Action.CANCEL,
        ActionInput(reason="Doublon."),
        now=later - timedelta(days=20),
    )
    done = _plan(world, world.supplier_user, tickets[4], later - timedelta(days=5), now)
    apply_action(
        world.supplier_user,
        tickets[4].id,
        Action.FINISH,
        ActionInput(summary="Réparé."),
        now=later - timedelta(days=5),
    )
    held = {i.id: i for i in feeds.visits(later, world.supplier.id)}
    assert set(held) == {recent.id, called_off.id, done.id}
    assert old.id not in held
    assert long_off.id not in held

    calendar = Calendar.from_ical(feeds.feed_of(world.supplier, later).to_ical(later))
    events = {int(UID.fullmatch(str(e["UID"])).group(1)): e for e in calendar.walk("VEVENT")}
    assert str(events[called_off.id]["STATUS"]) == "CANCELLED"
    assert str(events[called_off.id]["SUMMARY"]).startswith("Annulée — ")
    assert int(events[called_off.id]["SEQUENCE"]) == 1
    assert str(events[recent.id]["STATUS"]) == "CONFIRMED"
    assert "Intervention terminée." in str(events[done.id]["DESCRIPTION"])


def test_times_are_right_across_daylight_saving(app, world):
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    spring = _plan(
        world, world.supplier_user, world.new_ticket(), to_utc(date(2026, 3, 30), time(10)), now
    )
    autumn = _plan(
        world,
        world.supplier_user,
        world.new_ticket(serial="SN-2"),
        to_utc(date(2026, 10, 26), time(10)),
        now,
    )
    raw = feeds.feed_of(world.supplier, now).to_ical(now)
    events = {
        int(UID.fullmatch(str(e["UID"])).group(1)): e
        for e in Calendar.from_ical(raw).walk("VEVENT")
    }
    assert events[spring.id].decoded("DTSTART") == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert events[autumn.id].decoded("DTSTART") == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert b"DTSTART:20260330T080000Z" in raw
    assert b"DTSTART:20261026T090000Z" in raw


def _statements(app, url) -> int:
    count = 0

    def _count(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        assert app.test_client().get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    return count


def test_statement_count_does_not_grow_with_the_visits(app, scene):
    world, _, _ = scene
    supplier_token = _link(app, world.supplier_user)
    coordinator_token = _link(app, world.coordinator)
    few = _statements(app, f"/agenda/{supplier_token}.ics")
    few_all = _statements(app, f"/agenda/{coordinator_token}.ics")
    now = utcnow()
    for n in range(8):
        ticket = world.new_ticket(serial=f"SN-B{n}")
        _plan(world, world.supplier_user, ticket, now + timedelta(days=4, hours=n), now)
    assert len(_events(_fetch(app, supplier_token))) == 9
    # The token, the company's language (app.notify.languages), the visits.
    assert _statements(app, f"/agenda/{supplier_token}.ics") == few <= 3
    assert _statements(app, f"/agenda/{coordinator_token}.ics") == few_all <= 3


def test_feed_is_bounded(make_app):
    app = make_app(RELAIS_FEED_LIMIT=3)
    with app.app_context():
        world = build_world()
        now = utcnow()
        for n in range(5):
            ticket = world.new_ticket(serial=f"SN-L{n}")
            _plan(world, world.supplier_user, ticket, now + timedelta(days=1, hours=n), now)
        assert len(feeds.visits(now, world.supplier.id)) == 3
