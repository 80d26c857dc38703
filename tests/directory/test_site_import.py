"""Sites the FWB file does not list: the site file (`flask schools import-sites`), its example,
and the numbers Relais gives to sites without FASE numbers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.directory.schools_import import SchoolFileError, import_schools
from app.directory.sites_import import import_sites
from app.extensions import db
from app.models import Establishment, Site
from app.models.school import LOCAL_NUMBERS_FROM
from tests.support import factories

EXAMPLE = Path(__file__).resolve().parents[2] / "app" / "data" / "implantations-dg-exemple.csv"
HEADER = "fe;fi;etablissement;adresse;code_postal;localite;communaute;calendrier\n"


def _file(*lines: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + "\n".join(lines) + "\n").encode("utf-8"))


def _sites() -> list[Site]:
    db.session.expire_all()
    return list(db.session.scalars(select(Site).join(Site.establishment).order_by(Site.id)))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Site))


def test_the_example_file_imports_dg_schools_on_the_dg_calendar_with_relais_numbers(app):
    report = import_sites(EXAMPLE)
    db.session.commit()
    assert len(report.created) == 3
    assert not report.updated
    sites = _sites()
    names = {s.establishment.name for s in sites}
    assert "Bischöfliche Schule Sankt Vith" in names
    assert "Königliches Athenäum Eupen" in names
    for site in sites:
        assert site.school_calendar == "dg"
        assert site.fe > LOCAL_NUMBERS_FROM
        assert site.fi > LOCAL_NUMBERS_FROM
        assert site.establishment.fase_is_local
    sankt_vith = next(s for s in sites if s.locality == "Sankt Vith")
    assert (sankt_vith.address, sankt_vith.postal_code) == ("Klosterstraße 38", "4780")


def test_a_second_import_of_the_same_file_changes_nothing(app):
    import_sites(EXAMPLE)
    db.session.commit()
    before = [(s.id, s.fe, s.fi, s.updated_at) for s in _sites()]
    again = import_sites(EXAMPLE)
    db.session.commit()
    assert not again.changed
    assert again.unchanged == 3
    assert [(s.id, s.fe, s.fi, s.updated_at) for s in _sites()] == before
    assert "Aucun changement." in again.lines()


def test_the_fwb_import_leaves_them_alone_and_does_not_count_them_missing(app):
    import_sites(EXAMPLE)
    db.session.commit()
    before = [(s.id, s.address, s.school_calendar, s.updated_at) for s in _sites()]
    report = import_schools()
    db.session.commit()
    assert report.establishments.not_in_file == 0
    assert report.sites.not_in_file == 0
    dg = [s for s in _sites() if s.establishment.fase_is_local]
    assert [(s.id, s.address, s.school_calendar, s.updated_at) for s in dg] == before


def test_a_corrected_line_updates_its_site(app):
    import_sites(_file(";;Gemeindeschule Kettenis;Aachener Straße 1;4701;Eupen;de;"))
    db.session.commit()
    (site,) = _sites()
    # With the numbers Relais gave, the address itself may change.
    line = f"{site.fe};{site.fi};Gemeindeschule Kettenis;Aachener Straße 3;4701;Kettenis;de;fwb"
    report = import_sites(_file(line))
    db.session.commit()
    assert len(report.updated) == 1
    assert not report.created
    (site,) = _sites()
    assert (site.address, site.locality, site.school_calendar) == (
        "Aachener Straße 3",
        "Kettenis",
        "fwb",  # told so: the community's calendar is only the default
    )


def test_fase_numbers_key_the_line_and_a_french_school_follows_the_fwb_calendar(app):
    import_sites(_file("2559;5136;Athénée royal;Rue de la Gare 1;6941;Borlon;fr;"))
    db.session.commit()
    (site,) = _sites()
    assert (site.fe, site.fi, site.school_calendar) == (2559, 5136, "fwb")
    assert not site.establishment.fase_is_local


def test_bad_lines_are_all_named_by_line_and_nothing_is_saved(app):
    factories.site()
    db.session.commit()
    before = _count()
    bad = _file(
        ";;Gute Schule;Hauptstraße 1;4700;Eupen;de;",
        ";;;Hauptstraße 2;4700;Eupen;de;",  # no name
        ";;Schule;Hauptstraße 3;470;Eupen;de;",  # postal code
        ";;Schule;Hauptstraße 4;4700;Eupen;nl;",  # community
        "12;;Schule;Hauptstraße 5;4700;Eupen;de;",  # FE without FI
        ";;Schule;Haupt\x07straße;4700;Eupen;de;",  # a control character
        ";;Schule;Hauptstraße 6;4700;Eupen;de;ostbelgien",  # calendar
        ";;Gute Schule;Hauptstraße 1;4700;Eupen;de;",  # the first line again
        ";;Schule;4700;Eupen;de;",  # a field missing
    )
    with pytest.raises(SchoolFileError) as caught:
        import_sites(bad)
    db.session.rollback()
    text = str(caught.value)
    for line in range(3, 11):
        assert f"Ligne {line} :" in text, text
    assert "Ligne 2 :" not in text  # the good line
    assert "U+0007" in text
    assert "ligne 2" in text
    assert _count() == before


def test_a_bad_header_or_an_empty_file_is_refused(app):
    with pytest.raises(SchoolFileError, match="colonnes obligatoires absentes"):
        import_sites(_file(header="nom,adresse\n"))
    with pytest.raises(SchoolFileError, match="colonnes inconnues"):
        import_sites(_file(header=HEADER.strip() + ";couleur\n"))
    with pytest.raises(SchoolFileError, match="que l'en-tête"):
        import_sites(_file())
    with pytest.raises(SchoolFileError, match="UTF-8"):
        import_sites(io.BytesIO(HEADER.encode() + "x;y;Schüle".encode("latin-1")))


def test_the_command_imports_the_file_and_refuses_a_bad_one(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["schools", "import-sites", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "3 créées" in result.output
    again = runner.invoke(args=["schools", "import-sites", str(EXAMPLE)])
    assert again.exit_code == 0
    assert "Aucun changement." in again.output
    bad = tmp_path / "sites.csv"
    bad.write_text(HEADER + ";;Schule;Hauptstraße 1;47;Eupen;de;\n", encoding="utf-8")
    refused = runner.invoke(args=["schools", "import-sites", str(bad)])
    assert refused.exit_code != 0
    assert "rien n'a été importé" in refused.output
    assert "Ligne 2 :" in refused.output
    missing = runner.invoke(args=["schools", "import-sites", str(tmp_path / "absent.csv")])
    assert missing.exit_code != 0
    assert "introuvable" in missing.output
    assert db.session.scalar(select(func.count()).select_from(Establishment)) == 3
