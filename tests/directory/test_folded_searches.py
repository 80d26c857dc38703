"""The directory's searches on folded columns: schools (the directory, the ticket form's and the
admins' site look-ups), equipment, and « Envois » addresses. Same results as before on both
databases (accents, case, parts of serials, FE/FI numbers), the folded copies kept in step
wherever rows are written, and on PostgreSQL the trigram indexes serving the searches."""

from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text, update

from app.auth.lookups import search_sites
from app.directory.queries import equipment_search, school_search, site_word_matches
from app.extensions import db
from app.models import Equipment, Establishment, OutboxMessage, Site
from app.models.school import sync_site_search
from app.notify.admin import search_condition
from app.tickets.creation import suggest_sites
from tests.admin.test_outbox_admin import message
from tests.support import factories

MIGRATION = "7b3d9e21c6a4"


@pytest.fixture
def sites(app):
    borlon = factories.establishment(fase=2559, name="Ecole fondamentale communale de Borlon")
    main = factories.site(
        borlon, fi=5136, address="Tige du Bois de Gras 16B", postal_code="6941", locality="BORLON"
    )
    annex = factories.site(
        borlon, fi=5137, address="Rue de Tohogne 2", postal_code="6941", locality="TOHOGNE"
    )
    ath = factories.site(
        factories.establishment(fase=1234, name="ATHÉNÉE ROYAL D’ATH"),
        fi=777,
        address="Chemin des Primevères 1",
        postal_code="7800",
        locality="ATH",
    )
    liege = factories.site(
        factories.establishment(fase=4321, name="École Saint-Barthélemy"),
        fi=888,
        address="Place Saint-Barthélemy 1",
        postal_code="4000",
        locality="LIÈGE",
    )
    db.session.commit()
    return {"main": main, "annex": annex, "ath": ath, "liege": liege}


@pytest.fixture
def stock(sites):
    items = {
        "laptop": factories.equipment(
            site=sites["main"],
            lot="Lot 01",
            model="Ordinateur portable 14 pouces",
            label="EN01-LOT01-00042",
            serial="PF3XK9",
            warranty_end=date(2026, 8, 20),
        ),
        "screen": factories.equipment(
            site=sites["ath"],
            lot="Lot 03",
            model="Écran interactif 75 pouces",
            label="EN03-LOT03-00007",
            serial="SCR-77",
        ),
        "tablet": factories.equipment(lot="Lot 03", model="Tablette", label=None, serial="TAB-1"),
    }
    db.session.commit()
    return items


def found(statement, rows) -> set[str]:
    ids = {row.id for row in db.session.scalars(statement)}
    return {name for name, row in rows.items() if row.id in ids}


# ------------------------------------------------------------------ kept in step


def test_a_site_keeps_its_folded_name_and_address(sites):
    ath = sites["ath"]
    assert ath.search_name == "athenee royal d'ath\nath"
    assert ath.search_address == "chemin des primeveres 1"
    ath.locality = "MAFFLE"
    ath.address = "Rue Émile Dürer 3"
    db.session.commit()
    assert (ath.search_name, ath.search_address) == (
        "athenee royal d'ath\nmaffle",
        "rue emile durer 3",
    )


def test_renaming_an_establishment_folds_its_sites_again(sites):
    borlon = sites["main"].establishment
    borlon.name = "École communale de Bórlon-Tohogne"
    db.session.commit()
    db.session.expire_all()
    assert sites["main"].search_name == "ecole communale de borlon tohogne\nborlon"
    assert sites["annex"].search_name == "ecole communale de borlon tohogne\ntohogne"


def test_bulk_writes_are_folded_by_sync_site_search(sites):
    db.session.execute(
        update(Establishment),
        [{"id": sites["ath"].establishment_id, "name": "Lycée Émile Verhaeren"}],
    )
    db.session.execute(update(Site), [{"id": sites["liege"].id, "locality": "HUY"}])
    assert sync_site_search(db.session) == 2
    db.session.commit()
    db.session.expire_all()
    assert sites["ath"].search_name == "lycee emile verhaeren\nath"
    assert sites["liege"].search_name == "ecole saint barthelemy\nhuy"
    assert sync_site_search(db.session) == 0


def test_an_item_keeps_its_folded_text(stock):
    screen = stock["screen"]
    assert screen.search_text == "en03 lot03 00007\nscr 77\nlot 03\necran interactif 75 pouces"
    screen.model = "Écran tactile"
    db.session.commit()
    assert screen.search_text.endswith("\necran tactile")


def test_the_migration_folds_the_existing_rows(stock):
    site_id, item_id = stock["screen"].site_id, stock["screen"].id
    db.session.commit()
    downgrade(revision=f"{MIGRATION}-1")
    db.session.execute(
        text("UPDATE school_site SET locality = 'Éghezée' WHERE id = :id"), {"id": site_id}
    )
    db.session.execute(
        text("UPDATE equipment SET model = 'Écran ÉTEINT' WHERE id = :id"), {"id": item_id}
    )
    db.session.commit()
    upgrade()
    site = db.session.execute(
        select(Site.search_name, Site.search_address).where(Site.id == site_id)
    ).one()
    assert site == ("athenee royal d'ath\neghezee", "chemin des primeveres 1")
    folded = db.session.scalar(select(Equipment.search_text).where(Equipment.id == item_id))
    assert folded == "en03 lot03 00007\nscr 77\nlot 03\necran eteint"


# ------------------------------------------------------------------ same results


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("athenee", {"ath"}),
        ("ATHÉNÉE royal d'Ath", {"ath"}),
        ("athénée royal d‘ath", {"ath"}),
        ("barthelemy", {"liege"}),
        ("Saint-Barthélemy", {"liege"}),
        ("liege", {"liege"}),
        ("LIÈGE", {"liege"}),
        ("primevères", {"ath"}),  # the address
        ("tohogne", {"annex"}),
        ("borlon", {"main", "annex"}),
        ("FE 2559", {"main", "annex"}),
        ("FI 777", {"ath"}),
        ("5137", {"annex"}),
        ("6941 gras", {"main"}),
        ("100%_", set()),
    ],
)
def test_the_school_search(sites, q, expected):
    assert found(school_search(q), sites) == expected


def test_the_ticket_forms_site_look_up(sites):
    assert {s.id for s in suggest_sites("barthelemy")} == {sites["liege"].id}
    assert {s.id for s in suggest_sites("ATHENEE")} == {sites["ath"].id}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ecole", {"main", "annex", "liege"}),  # « Ecole » and « École »
        ("ÉCOLE SAINT", {"liege"}),
        ("athénée", {"ath"}),
        ("liege", {"liege"}),
        ("primeveres", {"ath"}),
        ("2559:5136", {"main"}),
        ("5137", {"annex"}),
        ("6941", {"main", "annex"}),
        ("1234", {"ath"}),
        ("x%", set()),
    ],
)
def test_the_admins_site_look_up(sites, q, expected):
    ids = {site.id for site in search_sites(q)}
    assert ids == {sites[name].id for name in expected}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("EN01-LOT01-00042", {"laptop"}),
        ("lot01-00042", {"laptop"}),
        ("00042", {"laptop"}),
        ("pf3xk9", {"laptop"}),
        ("3XK", {"laptop"}),  # part of a serial
        ("scr-7", {"screen"}),
        ("ecran", {"screen"}),
        ("ÉCRAN Interactif", {"screen"}),
        ("lot 03", {"screen", "tablet"}),
        ("pouces 75", {"screen"}),
        ("tablette", {"tablet"}),
        ("100%_", set()),
    ],
)
def test_the_equipment_search(stock, q, expected):
    assert found(equipment_search(q), stock) == expected


# ------------------------------------------------------------------ served by the indexes


def plan_of(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    # A test table of a few rows is read whole, or along any index, by any planner; with
    # sequential and plain index scans priced out, the plan shows which index the search's
    # condition can use (a bitmap scan needs an index that answers the condition itself).
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    return "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))


@pytest.mark.postgres
def test_the_trigram_indexes_serve_the_school_searches(sites):
    plan = plan_of(school_search("barthelemy"))
    assert "ix_school_site_search_name_trgm" in plan, plan
    assert "ix_school_site_search_address_trgm" in plan, plan
    # The admins' look-up and the ticket search's school pre-query read the same condition.
    plan = plan_of(select(Site.id).where(site_word_matches("saint barthelemy")))
    assert "ix_school_site_search_name_trgm" in plan, plan


@pytest.mark.postgres
def test_the_trigram_index_serves_the_equipment_search(stock):
    plan = plan_of(equipment_search("3xk9").with_only_columns(Equipment.id))
    assert "ix_equipment_search_text_trgm" in plan, plan


@pytest.mark.postgres
def test_the_trigram_index_serves_the_outbox_address_search(app):
    message(recipient="secretariat@athenee.example.com")
    db.session.commit()
    plan = plan_of(select(OutboxMessage.id).where(search_condition("athenee")))
    assert "ix_outbox_message_recipient_trgm" in plan, plan
