"""« Implantation »: an admin adds a site the FWB file does not list, or corrects one."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Establishment, Site
from app.models.school import LOCAL_NUMBERS_FROM
from tests.support.tickets import build_world
from tests.support.web import csrf_token

DG_SCHOOL = {
    "name": "Bischöfliche Schule Sankt Vith",
    "network": "Freies subventioniertes Unterrichtswesen",
    "address": "Klosterstraße 38",
    "postal_code": "4780",
    "locality": "Sankt Vith",
    "community": "de",
    "school_calendar": "",
    "teaching": "Secondaire ordinaire",
    "fe": "",
    "fi": "",
}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Site))


def _admin(client, login):
    world = build_world()
    db.session.commit()
    login(world.admin)
    return world


def test_an_admin_adds_a_dg_school_which_follows_the_dg_calendar(app, client, login):
    _admin(client, login)
    page = client.get("/admin/implantations/nouvelle")
    assert page.status_code == 200
    response = client.post(
        "/admin/implantations/nouvelle", data={**DG_SCHOOL, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    site = db.session.scalar(select(Site).where(Site.postal_code == "4780"))
    assert site.school_calendar == "dg"
    assert site.establishment.fase_is_local
    assert response.headers["Location"].endswith(f"/ecoles/{site.fe}/{site.fi}")
    school = client.get(response.headers["Location"])
    assert school.status_code == 200
    html = school.get_data(as_text=True)
    assert "Numéro Relais de l’implantation" in html
    assert "Bischöfliche Schule Sankt Vith" in html
    # The same school a second time is refused: it is corrected from its page.
    again = client.post(
        "/admin/implantations/nouvelle", data={**DG_SCHOOL, "csrf_token": csrf_token(client)}
    )
    assert again.status_code == 422
    assert "existe déjà" in again.get_data(as_text=True)


def test_bad_input_gives_the_form_back_with_what_was_typed(app, client, login):
    _admin(client, login)
    before = _count()
    typed = {
        **DG_SCHOOL,
        "postal_code": "47800",
        "fe": "12",
        "address": "Klosterstraße 38 b",
        "csrf_token": csrf_token(client),
    }
    response = client.post("/admin/implantations/nouvelle", data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Le code postal belge a quatre chiffres." in html
    assert "Les numéros FE et FI vont ensemble" in html
    assert 'value="Klosterstraße 38 b"' in html
    assert 'value="47800"' in html
    unknown = client.post(
        "/admin/implantations/nouvelle",
        data={
            **DG_SCHOOL,
            "community": "nl",
            "school_calendar": "x",
            "csrf_token": typed["csrf_token"],
        },
    )
    assert unknown.status_code == 422
    assert "Communauté inconnue" in unknown.get_data(as_text=True)
    # Every field to correct is named in one answer.
    both = client.post(
        "/admin/implantations/nouvelle",
        data={**DG_SCHOOL, "name": "", "postal_code": "47", "csrf_token": typed["csrf_token"]},
    )
    assert both.status_code == 422
    html = both.get_data(as_text=True)
    assert "Le code postal belge a quatre chiffres." in html
    assert html.count("Le nom de l’établissement est obligatoire.") == 1
    assert _count() == before


def test_an_admin_corrects_a_site_and_chooses_its_calendar(app, client, login):
    world = _admin(client, login)
    site = world.site
    url = f"/admin/implantations/{site.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{escape(site.address)}"' in page.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "name": site.establishment.name,
            "address": "Rue Neuve 2",
            "postal_code": site.postal_code,
            "locality": site.locality,
            "community": "fr",
            "school_calendar": "dg",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    site = db.session.get(Site, world.site.id)
    assert (site.address, site.school_calendar) == ("Rue Neuve 2", "dg")
    assert (site.fe, site.fi) == (world.site.fe, world.site.fi)  # numbers are kept
    assert client.post(url, data={"csrf_token": csrf_token(client)}).status_code == 422
    assert client.get("/admin/implantations/999999").status_code == 404


def test_the_pages_are_refused_to_non_admins_and_need_the_csrf_token(app, client, login):
    world = build_world()
    db.session.commit()
    before = _count()
    for person in (world.coordinator, world.assistant, world.supplier_user, world.teacher):
        login(person)
        assert client.get("/admin/implantations/nouvelle").status_code == 403
        data = {**DG_SCHOOL, "csrf_token": csrf_token(client)}
        assert client.post("/admin/implantations/nouvelle", data=data).status_code == 403
        assert client.post(f"/admin/implantations/{world.site.id}", data=data).status_code == 403
        client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
    login(world.admin)
    assert client.post("/admin/implantations/nouvelle", data=DG_SCHOOL).status_code == 400
    assert _count() == before


def test_the_directory_links_the_pages_for_admins_only(app, client, login):
    world = build_world()
    db.session.commit()
    school = f"/annuaire/ecoles/{world.site.fe}/{world.site.fi}"
    login(world.coordinator)
    for url in ("/annuaire/ecoles", school):
        page = client.get(url)
        assert page.status_code == 200
        assert "/admin/implantations" not in page.get_data(as_text=True)
    client.post("/deconnexion", data={"csrf_token": csrf_token(client)})
    login(world.admin)
    listing = client.get("/annuaire/ecoles").get_data(as_text=True)
    assert "/admin/implantations/nouvelle" in listing
    assert f"/admin/implantations/{world.site.id}" in client.get(school).get_data(as_text=True)


def test_two_admins_adding_the_same_school_at_once_get_a_message_not_an_error(app, client, login):
    # The other admin's save lands between this request's checks and its own write: the
    # establishment's Relais number is taken by then (a unique constraint refuses it).
    _admin(client, login)
    token = csrf_token(client)

    done = []

    def other_admin_saves_first(session, _context, _instances):
        if done:
            return
        done.append(True)
        with Session(db.engine) as other:
            taken = other.scalar(
                select(func.max(Establishment.fase)).where(Establishment.fase >= LOCAL_NUMBERS_FROM)
            )
            number = (taken or LOCAL_NUMBERS_FROM) + 1
            other.add(Establishment(fase=number, name="Bischöfliche Schule Sankt Vith"))
            other.commit()

    event.listen(db.session, "before_flush", other_admin_saves_first)
    try:
        response = client.post(
            "/admin/implantations/nouvelle", data={**DG_SCHOOL, "csrf_token": token}
        )
    finally:
        event.remove(db.session, "before_flush", other_admin_saves_first)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "vient d’être enregistrée par ailleurs" in html
    assert escape(DG_SCHOOL["name"]) in html  # the form back with what was typed
    assert db.session.scalar(select(func.count(Site.id)).where(Site.postal_code == "4780")) == 0
