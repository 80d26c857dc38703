"""School holidays: the service rules, the iCalendar import (file, CLI, upload), the admin pages,
the supplier's switch, and the planning confirmation they feed (the school calendars, their
packaged years and their rules: tests/sla/test_school_calendars.py)."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Intervention, Supplier, Ticket
from app.models.calendar import SchoolHoliday
from app.models.types import utcnow
from app.sla import holidays
from app.sla.cli import holidays_cli
from app.tickets import planning
from tests.support.tickets import build_world
from tests.support.web import extract_csrf, signed_in

HTMX = {"HX-Request": "true"}
FWB_2025 = holidays.DATA_DIR / "conges-scolaires-fwb-2025-2026.ics"
PACKAGED = [
    ("Congé d'automne (Toussaint)", date(2025, 10, 20), date(2025, 11, 2)),
    ("Vacances d'hiver (Noël)", date(2025, 12, 22), date(2026, 1, 4)),
    ("Congé de détente (Carnaval)", date(2026, 2, 16), date(2026, 3, 1)),
    ("Vacances de printemps (Pâques)", date(2026, 4, 27), date(2026, 5, 10)),
    # The rentrée 2026 is on Monday 24 August (FWB calendar 2026-2027).
    ("Vacances d'été", date(2026, 7, 4), date(2026, 8, 23)),
]


def stored() -> list[tuple[str, date, date]]:
    db.session.expire_all()
    rows = db.session.scalars(select(SchoolHoliday).order_by(SchoolHoliday.starts_on))
    return [(r.name, r.starts_on, r.ends_on) for r in rows]


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(SchoolHoliday))


def ics(*events: str) -> bytes:
    body = "".join(events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n{body}END:VCALENDAR\r\n".encode()
    )


def event(summary: str, start: str, end: str | None = None, extra: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{start}@test", f"SUMMARY:{summary}"]
    lines.append(f"DTSTART;VALUE=DATE:{start}")
    if end:
        lines.append(f"DTEND;VALUE=DATE:{end}")
    if extra:
        lines.append(extra)
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


# ------------------------------------------------------------------ the service


def test_the_packaged_file_holds_the_five_periods(app):
    report = holidays.import_file(FWB_2025)
    db.session.commit()
    assert stored() == PACKAGED
    assert len(report.created) == 5
    assert {h.source for h in db.session.scalars(select(SchoolHoliday))} == {"ical"}

    # Idempotent: the same file again changes nothing.
    again = holidays.import_file(FWB_2025)
    db.session.commit()
    assert (len(again.created), len(again.renamed), len(again.unchanged)) == (0, 0, 5)
    assert stored() == PACKAGED


def test_same_dates_rename_the_period(app):
    holidays.create("Toussaint", date(2025, 10, 20), date(2025, 11, 2))
    db.session.commit()
    report = holidays.import_file(FWB_2025)
    db.session.commit()
    assert [h.name for h in report.renamed] == ["Congé d'automne (Toussaint)"]
    assert len(report.created) == 4
    assert stored() == PACKAGED
    assert "1 renommée(s)" in report.summary()


def test_dtend_is_exclusive_and_may_be_missing(app):
    data = ics(
        event("Un jour", "20270927"),  # no DTEND: one day
        event("Deux jours", "20271004", "20271006"),
        event("Une semaine", "20271011", extra="DURATION:P7D"),
    )
    holidays.import_ical(data)
    assert stored() == [
        ("Un jour", date(2027, 9, 27), date(2027, 9, 27)),
        ("Deux jours", date(2027, 10, 4), date(2027, 10, 5)),
        ("Une semaine", date(2027, 10, 11), date(2027, 10, 17)),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            ics(event("Bon", "20270104", "20270105"), event("Mauvais", "20270301", "20270301")),
            "Événement 2 (ligne 10) : la fin (DTEND) doit suivre le début (DTSTART).",
        ),
        (
            ics(event("", "20270104", "20270105")),
            "Événement 1 (ligne 4) : il n’a pas de nom (SUMMARY).",
        ),
        (
            ics(event("Bon", "20270104", "20270105"), "nimportequoi\r\n"),
            "Ligne 10 : ligne illisible « nimportequoi ».",
        ),
        (
            ics("BEGIN:VEVENT\r\nSUMMARY:X\r\nDTSTART;VALUE=DATE:20270104\r\n"),
            "Ligne 4 : BEGIN:VEVENT n’est jamais fermé.",
        ),
        (
            ics(
                event("Heure", "20270104", extra="").replace(
                    ";VALUE=DATE:20270104", ":20270104T100000"
                )
            ),
            "Événement 1 (ligne 4) : DTSTART n’est pas une date de journée entière",
        ),
        (
            ics(event("Cassé", "2027XX04", "20270105")),
            "Événement 1 (ligne 4) : la valeur de DTSTART est illisible",
        ),
        (
            ics(event("Répété", "20270104", "20270105", extra="RRULE:FREQ=YEARLY")),
            "Événement 1 (ligne 4) : les événements répétés ne sont pas pris en charge.",
        ),
        (
            ics(event("Trop long", "20270101", "20270601")),
            "Événement 1 (ligne 4) : une période de congé dure au plus 92 jours.",
        ),
        (
            ics(event("A", "20270104", "20270111"), event("B", "20270110", "20270115")),
            "Événements 1 (ligne 4) et 2 (ligne 10) : les dates se chevauchent.",
        ),
        (ics(), "Le fichier ne contient aucun événement (VEVENT)."),
        (b"\x89PNG\r\n\x1a\n", "Ligne 1 : le fichier ne commence pas par BEGIN:VCALENDAR."),
        (
            ics(event("Bon", "20270104", "20270105")).replace(b"Bon", b"B\xe9b\xe9"),
            "Ligne 6 : le fichier n’est pas du texte UTF-8.",
        ),
        (
            ics(event("Cong\x00é", "20270104", "20270105")),
            "Événement 1 (ligne 4) : le nom contient un caractère de contrôle (U+0000).",
        ),
    ],
    ids=[
        "end-before-start",
        "no-name",
        "garbage-line",
        "unclosed",
        "not-all-day",
        "broken-date",
        "recurring",
        "too-long",
        "overlap-in-file",
        "empty",
        "not-ical",
        "not-utf8",
        "nul-in-name",
    ],
)
def test_a_bad_file_writes_nothing(app, data, message):
    with pytest.raises(holidays.IcalError) as caught:
        holidays.import_ical(data)
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages
    db.session.rollback()
    assert count() == 0


def test_a_file_overlapping_a_kept_period_writes_nothing(app):
    holidays.create("Semaine blanche", date(2026, 2, 20), date(2026, 2, 27))
    db.session.commit()
    with pytest.raises(holidays.IcalError) as caught:
        holidays.import_file(FWB_2025)
    assert caught.value.messages == [
        "Événement 3 (ligne 23) : ses dates chevauchent « Semaine blanche » "
        "(du 20/02/2026 au 27/02/2026)."
    ]
    db.session.rollback()
    assert stored() == [("Semaine blanche", date(2026, 2, 20), date(2026, 2, 27))]


def test_manual_rules(app):
    holidays.create("  Congé   d’automne ", date(2026, 10, 19), date(2026, 11, 1))
    assert stored()[0][0] == "Congé d’automne"
    with pytest.raises(holidays.HolidayError) as caught:
        holidays.create("", date(2026, 12, 28), date(2026, 12, 21))
    assert caught.value.errors == {
        "name": ["Indiquez le nom de la période (par exemple « Congé d’automne »)."],
        "ends_on": ["Le dernier jour ne peut pas précéder le premier jour."],
    }
    with pytest.raises(holidays.HolidayError) as caught:
        holidays.create("Chevauche", date(2026, 11, 1), date(2026, 11, 3))
    assert caught.value.errors == {
        None: ["Ces dates chevauchent « Congé d’automne » (du 19/10/2026 au 01/11/2026)."]
    }
    with pytest.raises(holidays.HolidayError) as caught:
        holidays.create("Sans dates", None, None)
    assert set(caught.value.errors) == {"starts_on", "ends_on"}
    # A period may be changed without overlapping itself.
    period = db.session.scalar(select(SchoolHoliday))
    holidays.update(period, "Toussaint", date(2026, 10, 19), date(2026, 11, 2))
    assert stored() == [("Toussaint", date(2026, 10, 19), date(2026, 11, 2))]
    holidays.delete(period)
    assert count() == 0


# ------------------------------------------------------------------ the CLI


def test_cli_import_and_list(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(holidays_cli, ["import", str(FWB_2025)])
    assert result.exit_code == 0, result.output
    assert "5 période(s) dans le fichier : 5 ajoutée(s)" in result.output
    result = runner.invoke(holidays_cli, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "04/07/2026 – 23/08/2026  Vacances d'été  (ical)"
    assert len(lines) == 5
    result = runner.invoke(holidays_cli, ["list", "--calendar", "dg"])
    assert result.output.strip() == "Aucune période de congés scolaires n'est enregistrée."

    bad = tmp_path / "bad.ics"
    bad.write_bytes(ics(event("X", "20280104", "20280101")))
    result = runner.invoke(holidays_cli, ["import", str(bad)])
    assert result.exit_code == 1
    assert "Fichier refusé, rien n'a été importé." in result.output
    assert "Événement 1 (ligne 4)" in result.output
    result = runner.invoke(holidays_cli, ["import", str(tmp_path / "absent.ics")])
    assert result.exit_code == 1
    assert "Impossible de lire" in result.output
    assert count() == 5


# ------------------------------------------------------------------ the pages


def test_admin_page_lists_periods_and_public_holidays(app, world):
    holidays.import_file(FWB_2025)
    db.session.commit()
    client = signed_in(app, world.admin)
    body = client.get("/calendrier/conges").get_data(as_text=True)
    assert "Année scolaire 2025-2026" in body
    # Inside a school year, in calendar order.
    assert body.index("Congé d&#39;automne") < body.index("Vacances d&#39;été")
    for name, *_ in PACKAGED:
        assert name.replace("'", "&#39;") in body
    year = planning.to_local(utcnow()).year
    assert f'id="days-off-{year}"' in body
    assert f'id="days-off-{year + 1}"' in body
    assert "Toussaint" in body
    assert "Fête de la Fédération Wallonie-Bruxelles" in body
    assert 'action="/calendrier/conges/ajouter"' in body
    assert 'action="/calendrier/conges/importer"' in body


def test_newest_school_year_first(app, world):
    holidays.create("Ancien", date(2024, 10, 28), date(2024, 11, 3))
    holidays.create("Récent", date(2026, 10, 19), date(2026, 11, 1))
    db.session.commit()
    body = signed_in(app, world.admin).get("/calendrier/conges").get_data(as_text=True)
    assert body.index("Année scolaire 2026-2027") < body.index("Année scolaire 2024-2025")


@pytest.mark.parametrize("who", ["coordinator", "assistant"])
def test_en_staff_read_only(app, world, who):
    holidays.import_file(FWB_2025)
    db.session.commit()
    client = signed_in(app, getattr(world, who))
    response = client.get("/calendrier/conges")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Vacances d" in body
    assert "/calendrier/conges/ajouter" not in body
    assert "Supprimer" not in body
    token = extract_csrf(body)
    data = {"csrf_token": token, "name": "X", "starts_on": "2027-01-04", "ends_on": "2027-01-05"}
    assert client.post("/calendrier/conges/ajouter", data=data).status_code == 403
    assert count() == 5


@pytest.mark.parametrize("who", ["supplier_user", "teacher"])
def test_others_are_refused(app, world, who):
    assert signed_in(app, getattr(world, who)).get("/calendrier/conges").status_code == 403


def _form(client, path="/calendrier/conges"):
    return extract_csrf(client.get(path).get_data(as_text=True))


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_add_a_period(app, world, htmx):
    client = signed_in(app, world.admin)
    data = {
        "csrf_token": _form(client),
        "name": "Congé d’automne",
        "starts_on": "2026-10-19",
        "ends_on": "2026-11-01",
    }
    response = client.post("/calendrier/conges/ajouter", data=data, headers=HTMX if htmx else {})
    if htmx:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert body.lstrip().startswith('<div id="school-holidays">')
        assert "« Congé d’automne » est ajouté aux congés scolaires." in body
    else:
        assert response.status_code == 303
        body = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "« Congé d’automne » est ajouté aux congés scolaires." in body
    assert stored() == [("Congé d’automne", date(2026, 10, 19), date(2026, 11, 1))]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bad_input_comes_back_with_the_form(app, world, htmx):
    client = signed_in(app, world.admin)
    data = {
        "csrf_token": _form(client),
        "name": "Congé mal tapé",
        "starts_on": "2026-11-01",
        "ends_on": "2026-10-19",
    }
    response = client.post("/calendrier/conges/ajouter", data=data, headers=HTMX if htmx else {})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Le dernier jour ne peut pas précéder le premier jour." in body
    assert 'value="Congé mal tapé"' in body
    assert 'value="2026-11-01"' in body
    assert 'value="2026-10-19"' in body
    assert 'aria-invalid="true"' in body

    data.update(starts_on="pas une date", ends_on="2026-10-19")
    body = client.post("/calendrier/conges/ajouter", data=data).get_data(as_text=True)
    assert "Indiquez une date valide (jour, mois, année)." in body
    assert count() == 0


def test_overlap_is_refused_on_the_page(app, world):
    holidays.import_file(FWB_2025)
    db.session.commit()
    client = signed_in(app, world.admin)
    data = {
        "csrf_token": _form(client),
        "name": "Pont",
        "starts_on": "2026-03-01",
        "ends_on": "2026-03-02",
    }
    response = client.post("/calendrier/conges/ajouter", data=data)
    assert response.status_code == 422
    assert (
        "Ces dates chevauchent « Congé de détente (Carnaval) » (du 16/02/2026 au 01/03/2026)."
        in response.get_data(as_text=True)
    )
    assert count() == 5


def test_edit_and_delete(app, world):
    period = holidays.create("Toussaint", date(2026, 10, 19), date(2026, 11, 1))
    db.session.commit()
    client = signed_in(app, world.admin)
    path = f"/calendrier/conges/{period.id}/modifier"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Toussaint"' in page
    assert 'value="2026-10-19"' in page
    bad = {"csrf_token": extract_csrf(page), "name": "", "starts_on": "2026-10-19", "ends_on": ""}
    response = client.post(path, data=bad)
    assert response.status_code == 422
    assert "Indiquez le dernier jour de congé." in response.get_data(as_text=True)
    good = {**bad, "name": "Congé d’automne", "ends_on": "2026-11-02"}
    response = client.post(path, data=good)
    assert response.status_code == 303
    assert stored() == [("Congé d’automne", date(2026, 10, 19), date(2026, 11, 2))]

    token = _form(client)
    response = client.post(
        f"/calendrier/conges/{period.id}/supprimer", data={"csrf_token": token}, headers=HTMX
    )
    assert response.status_code == 200
    assert "« Congé d’automne » est retiré des congés scolaires." in response.get_data(as_text=True)
    assert count() == 0
    assert client.get(path).status_code == 404


def _upload(client, data: bytes, filename="conges.ics", htmx=False):
    return client.post(
        "/calendrier/conges/importer",
        data={"csrf_token": _form(client), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=HTMX if htmx else {},
    )


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_import_upload(app, world, htmx):
    client = signed_in(app, world.admin)
    response = _upload(client, FWB_2025.read_bytes(), htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    assert stored() == PACKAGED


def test_import_upload_errors(app, make_app, world):
    client = signed_in(app, world.admin)
    response = _upload(client, ics(event("X", "20280104", "20280101")))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Le fichier est refusé, rien n’a été importé :" in body
    assert "Événement 1 (ligne 4) : la fin (DTEND) doit suivre le début (DTSTART)." in body

    response = _upload(client, b"\x89PNG\r\n\x1a\n" + b"0" * 100, filename="photo.ics")
    assert response.status_code == 422
    assert "« photo.ics » n’est pas un fichier iCalendar" in response.get_data(as_text=True)

    response = client.post(
        "/calendrier/conges/importer",
        data={"csrf_token": _form(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choisissez un fichier .ics à importer." in response.get_data(as_text=True)
    assert count() == 0


def test_import_size_limit(make_app):
    app = make_app(RELAIS_ICAL_MAX_KB=1)
    with app.app_context():
        world = build_world()
        db.session.commit()
        client = signed_in(app, world.admin)
        padding = "X-PAD:" + "x" * 70 + "\r\n"
        big = ics(event("Gros", "20280104", "20280105", extra=padding * 20))
        assert len(big) > 1024
        response = _upload(client, big)
        assert response.status_code == 422
        assert "Le fichier dépasse 1 Kio" in response.get_data(as_text=True)
        assert count() == 0


# ------------------------------------------------------------------ a supplier's switch


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_coordinator_switches_a_supplier(app, world, htmx):
    client = signed_in(app, world.coordinator)
    page = client.get(f"/annuaire/fournisseurs/{world.supplier.id}").get_data(as_text=True)
    assert "Calendrier des délais" in page
    assert "Les congés scolaires comptent comme jours de fermeture" in page
    path = f"/calendrier/fournisseurs/{world.supplier.id}/conges-scolaires"
    headers = HTMX if htmx else {}
    token = extract_csrf(page)
    response = client.post(path, data={"csrf_token": token, "follows": "y"}, headers=headers)
    assert response.status_code == (200 if htmx else 303)
    db.session.expire_all()
    assert db.session.get(Supplier, world.supplier.id).follows_school_holidays is True
    if htmx:
        assert 'id="supplier-school-holidays"' in response.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": token}, headers=headers)
    db.session.expire_all()
    assert db.session.get(Supplier, world.supplier.id).follows_school_holidays is False


def test_supplier_sees_the_state_but_no_switch(app, world):
    world.supplier.follows_school_holidays = True
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    page = client.get(f"/annuaire/fournisseurs/{world.supplier.id}").get_data(as_text=True)
    assert "Suit le calendrier scolaire" in page
    assert "/conges-scolaires" not in page
    path = f"/calendrier/fournisseurs/{world.supplier.id}/conges-scolaires"
    assert client.post(path, data={"csrf_token": extract_csrf(page)}).status_code == 403


# ------------------------------------------------------------------ planning warnings

CARNIVAL = ((date(2026, 2, 16), date(2026, 3, 1), "Congé de détente (Carnaval)"),)


def warning(day: date, at: time, periods=CARNIVAL) -> str | None:
    return planning.visit_warning(planning.to_utc(day, at), periods)


def test_wednesday_afternoon_warns_morning_does_not():
    assert warning(date(2026, 3, 11), time(14, 0)) == (
        "Le mercredi 11 mars à 14:00 est un mercredi après-midi, quand les écoles sont fermées : "
        "confirmez-vous cette date ?"
    )
    assert warning(date(2026, 3, 11), time(12, 0)) is not None
    assert warning(date(2026, 3, 11), time(10, 0)) is None
    assert warning(date(2026, 3, 11), time(11, 59)) is None
    assert warning(date(2026, 3, 12), time(14, 0)) is None  # a Thursday


def test_public_holidays_warn_with_their_name():
    assert warning(date(2027, 11, 1), time(10)) == (
        "Le lundi 1er novembre est un jour férié (Toussaint) : confirmez-vous cette date ?"
    )
    assert warning(date(2026, 11, 1), time(10)) == (
        "Le dimanche 1er novembre est un jour de week-end et un jour férié (Toussaint) : "
        "confirmez-vous cette date ?"
    )
    assert "Fête de la Fédération Wallonie-Bruxelles" in warning(date(2027, 9, 27), time(10))


def test_school_holidays_warn_with_their_name():
    assert warning(date(2026, 2, 18), time(10)) == (
        "Le mercredi 18 février est un jour de congé scolaire (« Congé de détente (Carnaval) ») : "
        "confirmez-vous cette date ?"
    )
    # Without the periods (or after them) the same day is an ordinary school day.
    assert warning(date(2026, 2, 18), time(10), periods=()) is None
    assert warning(date(2026, 3, 2), time(10)) is None


def test_weekend_wording_is_kept():
    assert warning(date(2026, 3, 7), time(9)) == (
        "Le samedi 7 mars est un jour de week-end : confirmez-vous cette date ?"
    )


def _next(weekday: int, after_days: int = 2) -> date:
    day = planning.to_local(utcnow()).date() + timedelta(days=after_days)
    while day.weekday() != weekday or planning.visit_reasons(planning.to_utc(day, time(10))):
        day += timedelta(days=1)
    return day


def _plan(client, ticket, day: date, at: str, **extra):
    page = client.get(f"/demandes/{ticket.reference}").get_data(as_text=True)
    db.session.expire_all()
    data = {
        "csrf_token": extract_csrf(page),
        "plan-version": str(db.session.get(Ticket, ticket.id).version),
        "plan-planned_date": day.isoformat(),
        "plan-planned_time": at,
    }
    data.update({f"plan-{k}": v for k, v in extra.items()})
    return client.post(f"/demandes/{ticket.reference}/actions/plan", data=data)


def test_planning_on_a_wednesday_afternoon_asks_for_confirmation(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    wednesday = _next(2)
    response = _plan(client, ticket, wednesday, "14:00")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "est un mercredi après-midi, quand les écoles sont fermées" in body
    assert 'id="plan-confirm_weekend"' in body
    assert db.session.scalar(select(func.count()).select_from(Intervention)) == 0
    response = _plan(client, ticket, wednesday, "14:00", confirm_weekend="y")
    assert response.status_code == 303
    assert db.session.scalar(select(Intervention)).planned_at == planning.to_utc(
        wednesday, time(14)
    )


def test_planning_a_morning_needs_no_confirmation(app, world):
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    assert _plan(client, ticket, _next(2), "10:00").status_code == 303


def test_planning_in_a_school_holiday_asks_for_confirmation(app, world):
    monday = _next(0, after_days=14)
    holidays.create("Congé de test", monday, monday + timedelta(days=6))
    ticket = world.new_ticket()
    db.session.commit()
    client = signed_in(app, world.supplier_user)
    response = _plan(client, ticket, monday + timedelta(days=1), "10:00")
    assert response.status_code == 422
    assert "est un jour de congé scolaire (« Congé de test »)" in response.get_data(as_text=True)
    # The message fragment warns as soon as the date is chosen.
    url = (
        f"/demandes/{ticket.reference}/actions/plan/message?"
        f"plan-planned_date={(monday + timedelta(days=2)).isoformat()}&plan-planned_time=10:00"
    )
    fragment = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "est un jour de congé scolaire (« Congé de test »)" in fragment
    assert "Une confirmation vous sera demandée." in fragment


def test_each_period_says_where_its_dates_come_from(app, world):
    day = date(2030, 1, 7)
    rows = {
        "manual": SchoolHoliday(name="Saisi", starts_on=day, ends_on=day, source="manual"),
        "ical": SchoolHoliday(
            name="Importé", starts_on=day + timedelta(7), ends_on=day + timedelta(7), source="ical"
        ),
        "rules": SchoolHoliday(
            name="Confirmé",
            starts_on=day + timedelta(14),
            ends_on=day + timedelta(14),
            source="rules",
        ),
        "provisional": SchoolHoliday(
            name="Calculé",
            starts_on=day + timedelta(21),
            ends_on=day + timedelta(21),
            source="rules",
            provisional=True,
        ),
    }
    assert {k: str(holidays.origin(r)[0]) for k, r in rows.items()} == {
        "manual": "Saisie",
        "ical": "Importée",
        "rules": "Confirmée",
        "provisional": "Provisoire",
    }
    db.session.add_all(rows.values())
    db.session.commit()
    page = signed_in(app, world.admin).get("/calendrier/conges").get_data(as_text=True)
    for label in ("Saisie", "Importée", "Confirmée", "Provisoire"):
        assert f">{label}</span>" in page, label
