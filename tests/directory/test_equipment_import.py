"""`flask equipment import`: a CSV of lots, checked whole before anything is written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.directory.equipment_import import EquipmentFileError, import_equipment
from app.extensions import db
from app.models import Equipment
from tests.support import factories

HEADER = "label;serial;model;lot;FE;FI;supplier;warranty_end\n"


@pytest.fixture
def inventory(app):
    """Two sites and two companies for the equipment files to refer to."""
    est = factories.establishment(fase=1234)
    a = factories.site(est, fi=5678)
    b = factories.site(est, fi=5679)
    meuse = factories.supplier(name="Meuse Informatique")
    ardenne = factories.supplier(name="Ardenne Tech")
    db.session.commit()
    return {"a": a, "b": b, "meuse": meuse, "ardenne": ardenne}


def write(tmp_path, body: str, header: str = HEADER, encoding="utf-8") -> str:
    path = tmp_path / "lots.csv"
    path.write_bytes((header + body).encode(encoding))
    return str(path)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Equipment))


def test_a_file_creates_then_changes_nothing_the_second_time(inventory, tmp_path):
    path = write(
        tmp_path,
        "en01-lot04-00001;SN-A1;Portable 14 pouces;Lot 04;1234;5678;Meuse Informatique;31/08/2029\n"
        "EN01-LOT04-00002;;Portable 14 pouces;Lot 04;1234;5678;meuse informatique;2029-08-31\n"
        ";SN-ONLY;Écran interactif;Lot 05;1234;5679;Ardenne Tech;\n",
    )
    report = import_equipment(path)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    first = db.session.scalar(select(Equipment).where(Equipment.label == "EN01-LOT04-00001"))
    assert first.serial == "SN-A1"
    assert first.site_id == inventory["a"].id
    assert first.supplier_id == inventory["meuse"].id
    assert first.warranty_end == date(2029, 8, 31)

    again = import_equipment(path)
    db.session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count() == 3


def test_a_device_that_moved_is_updated_and_reported(inventory, tmp_path):
    factories.equipment(label="EN01-LOT04-00009", serial="SN-9", site=inventory["a"])
    db.session.commit()
    path = write(tmp_path, "EN01-LOT04-00009;SN-9;Portable;Lot 04;1234;5679;Ardenne Tech;\n")
    report = import_equipment(path)
    db.session.commit()
    assert report.updated == 1
    assert report.moved == ["EN01-LOT04-00009"]
    item = db.session.scalar(select(Equipment).where(Equipment.serial == "SN-9"))
    assert item.site_id == inventory["b"].id
    assert item.supplier_id == inventory["ardenne"].id


def test_a_device_is_found_again_by_its_serial_when_the_file_has_no_label(inventory, tmp_path):
    factories.equipment(label="EN01-LOT04-00010", serial="SN-10", site=inventory["a"])
    db.session.commit()
    path = write(tmp_path, ";sn-10;Portable;Lot 04;1234;5678;Meuse Informatique;\n")
    report = import_equipment(path)
    db.session.commit()
    assert (report.created, report.updated) == (0, 1)
    item = db.session.scalar(select(Equipment).where(Equipment.serial == "SN-10"))
    assert item.label == "EN01-LOT04-00010"  # kept, not blanked


def test_errors_name_their_lines_and_nothing_is_written(inventory, tmp_path):
    path = write(
        tmp_path,
        "EN01-LOT04-00001;SN-1;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
        "EN01-LOT04-00002;SN-2;Portable;Lot 04;9999;1;Meuse Informatique;\n"
        "EN01-LOT04-00003;SN-3;Portable;Lot 04;1234;5678;Inconnue SA;\n"
        "EN01-LOT04-00001;SN-4;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
        ";;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
        "EN01-LOT04-00005;SN-5;Portable;Lot 04;1234;5678;Meuse Informatique;32/13/2029\n",
    )
    with pytest.raises(EquipmentFileError) as caught:
        import_equipment(path)
    db.session.rollback()
    text = str(caught.value)
    assert "Ligne 3 : implantation FE 9999 / FI 1 inconnue" in text
    assert "Ligne 4 : fournisseur inconnu : « Inconnue SA »" in text
    assert "Ligne 5 : EN01-LOT04-00001 figure déjà à la ligne 2" in text
    assert "Ligne 6 : ni étiquette ni numéro de série" in text
    assert "Ligne 7 : date de fin de garantie illisible" in text
    assert "Ligne 2" not in text.replace("à la ligne 2", "")
    assert count() == 0


def test_a_control_character_refuses_its_line_and_nothing_is_written(inventory, tmp_path, app):
    path = write(
        tmp_path,
        "EN01-LOT04-00001;SN-1;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
        "EN01-LOT04-00002;SN-\x002;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
        "EN01-LOT04-00003;SN-3;Port\x07able;Lot 04;1234;5678;Meuse Informatique;\n",
    )
    with pytest.raises(EquipmentFileError) as caught:
        import_equipment(path)
    db.session.rollback()
    text = str(caught.value)
    assert "Ligne 3 : caractère de contrôle (U+0000) dans « numéro de série »." in text
    assert "Ligne 4 : caractère de contrôle (U+0007) dans « modèle »." in text
    assert "Ligne 2" not in text
    assert count() == 0
    result = app.test_cli_runner().invoke(args=["equipment", "import", path])
    assert result.exit_code == 1
    assert "rien n'a été importé" in result.output
    assert "Traceback" not in result.output
    assert count() == 0


def test_missing_columns_are_named(inventory, tmp_path):
    path = write(tmp_path, "x;y\n", header="label;model\n")
    with pytest.raises(EquipmentFileError) as caught:
        import_equipment(path)
    assert "colonnes manquantes : « lot », « FE », « FI », « fournisseur »" in str(caught.value)


def test_a_label_and_a_serial_of_two_different_devices_are_refused(inventory, tmp_path):
    factories.equipment(label="EN01-LOT04-00020", serial="SN-20")
    factories.equipment(label="EN01-LOT04-00021", serial="SN-21")
    db.session.commit()
    path = write(tmp_path, "EN01-LOT04-00020;SN-21;Portable;Lot 04;1234;5678;Ardenne Tech;\n")
    with pytest.raises(EquipmentFileError, match="deux appareils différents"):
        import_equipment(path)
    db.session.rollback()
    item = db.session.scalar(select(Equipment).where(Equipment.label == "EN01-LOT04-00020"))
    assert item.supplier_id is None


def test_french_headers_and_commas(inventory, tmp_path):
    header = "Étiquette,N° de série,Modèle,Lot,FE,FI,Fournisseur,Fin de garantie\n"
    path = write(
        tmp_path,
        "EN01-LOT06-00001,SN-É1,Écran interactif,Lot 06,1234,5678,Ardenne Tech,01/09/2030\n",
        header=header,
    )
    report = import_equipment(path)
    db.session.commit()
    assert report.created == 1
    item = db.session.scalar(select(Equipment).where(Equipment.label == "EN01-LOT06-00001"))
    assert item.model == "Écran interactif"
    assert item.serial == "SN-É1"


def test_the_command_reports_and_refuses(inventory, tmp_path, app):
    runner = app.test_cli_runner()
    good = write(tmp_path, "EN01-LOT04-00001;SN-1;Portable;Lot 04;1234;5678;Ardenne Tech;\n")
    result = runner.invoke(args=["equipment", "import", good])
    assert result.exit_code == 0, result.output
    assert "Matériel ajouté : 1" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "EN01-LOT04-00002;SN-2;Portable;Lot 04;1;1;Ardenne Tech;\n")
    result = runner.invoke(args=["equipment", "import", str(bad)])
    assert result.exit_code != 0
    assert "rien n'a été importé" in result.output
    assert "Ligne 2" in result.output
    db.session.expire_all()
    assert count() == 1
