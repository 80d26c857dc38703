"""`flask equipment import` and bad files: the same kinds as the school import's corpus.

Every bad file ends with exit status 1, a French message naming its line, no traceback and
nothing written; the reading rules are the school import's (app.directory.csv_files).
"""

from __future__ import annotations

import gzip
import random

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Equipment
from tests.support import factories

HEADER = "label;serial;model;lot;FE;FI;supplier;warranty_end\n"
GOOD = "EN01-LOT04-00001;SN-1;Écran tactile;Lot 04;1234;5678;Meuse Informatique;31/08/2029\n"
OTHER = "EN01-LOT04-00002;SN-2;Portable;Lot 04;1234;5678;Meuse Informatique;\n"


@pytest.fixture
def world(app):
    est = factories.establishment(fase=1234)
    factories.site(est, fi=5678)
    factories.supplier(name="Meuse Informatique")
    db.session.commit()


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Equipment))


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def run(app, tmp_path, data: bytes, name: str = "lots.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["equipment", "import", str(path)])


def noise(size: int) -> bytes:
    return random.Random(16).randbytes(size)


BAD_FILES = {
    "random bytes (20 MB)": (
        noise(20 * 2**20),
        "Ligne 1 : le fichier n'est pas encodé en UTF-8",
    ),
    "Windows-1252 with byte 0x81": (
        (HEADER + OTHER).encode() + b"EN01-LOT04-00003;SN-3;Ecran\x81;Lot 04;1234;5678;X;\n",
        "Ligne 3 : le fichier n'est pas encodé en UTF-8 (octet 0x81)",
    ),
    "Windows-1252 throughout": (
        (HEADER + GOOD).encode("cp1252"),
        "Ligne 2 : le fichier n'est pas encodé en UTF-8 (octet 0xC9). "
        "Enregistrez-le au format « CSV UTF-8 ».",
    ),
    # One stray Latin-1 byte in a UTF-8 file: refused at its line, never read as cp1252 whole.
    "UTF-8 with one Latin-1 byte": (
        (HEADER + GOOD + OTHER).encode() + "EN01-LOT04-00003;SN-3;Télé;".encode("latin-1") + b"\n",
        "Ligne 4 : le fichier n'est pas encodé en UTF-8 (octet 0xE9)",
    ),
    "UTF-16": ((HEADER + GOOD).encode("utf-16"), "n'est pas encodé en UTF-8"),
    "field over 128 KiB": (
        (HEADER + OTHER + f"EN01-LOT04-00003;SN-3;{'x' * 140_000};Lot;1234;5678;M;\n").encode(),
        "Ligne 3 : un champ dépasse 128 Ko.",
    ),
    "NUL byte": (
        (
            HEADER
            + OTHER
            + "EN01-LOT04-00003;SN-3;Port\x00able;Lot;1234;5678;Meuse Informatique;\n"
        ).encode(),
        "Ligne 3 : caractère de contrôle (U+0000) dans « modèle ».",
    ),
    "truncated gzip": (gzip.compress((HEADER + GOOD).encode())[:20], "gzip"),
    "unbalanced quotes": (
        (HEADER + OTHER + 'EN01-LOT04-00003;"SN-3;Portable\n').encode(),
        "Ligne 3 : ligne illisible (guillemets mal appariés",
    ),
    "an unknown column": (
        (HEADER.strip() + ";couleur\n" + OTHER.strip() + ";rouge\n").encode(),
        "Ligne 1 : colonnes inconnues : « couleur ».",
    ),
    "a line with more fields than the header": (
        (HEADER + OTHER.strip() + ";rouge\n").encode(),
        "Ligne 2 : 9 champs au lieu de 8",
    ),
    "French field names, no Python quoting": (
        (HEADER + OTHER + "EN01-LOT04-00003;;;;;;Inconnue SA;bientôt\n").encode(),
        "Ligne 3 : modèle vide ; lot vide ; numéros FE/FI vides ; "
        "fournisseur inconnu : « Inconnue SA » ; "
        "date de fin de garantie illisible : « bientôt » (JJ/MM/AAAA ou AAAA-MM-JJ).",
    ),
    # The quoted model spans lines 2 and 3: the bad record after it starts on line 4.
    "a quoted field over two lines": (
        (
            HEADER
            + 'EN01-LOT04-00001;SN-1;"Portable\n14 pouces";Lot 04;1234;5678;Meuse Informatique;\n'
            + "EN01-LOT04-00002;SN-2;Portable;Lot 04;1234;9999;Meuse Informatique;\n"
        ).encode(),
        "Ligne 4 : implantation FE 1234 / FI 9999 inconnue",
    ),
    "missing columns": (
        b"label;model\nx;y\n",
        "Ligne 1 : colonnes manquantes : « lot », « FE », « FI », « fournisseur ».",
    ),
    "header only": (HEADER.encode(), "aucune ligne de matériel"),
    "empty": (b"", "Le fichier est vide."),
}


@pytest.mark.parametrize("case", BAD_FILES.keys())
def test_a_bad_file_is_refused_in_french_with_its_line_and_nothing_is_written(
    world, app, tmp_path, case
):
    data, message = BAD_FILES[case]
    result = run(app, tmp_path, data)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Erreur : Fichier refusé, rien n'a été importé." in result.stderr
    assert message in plain(result.stderr)
    assert "('" not in result.stderr  # no Python tuple or repr in a message
    db.session.rollback()
    assert count() == 0


def test_a_gzip_file_is_read_like_the_school_import(world, app, tmp_path):
    result = run(app, tmp_path, gzip.compress((HEADER + GOOD).encode()), name="lots.csv.gz")
    assert result.exit_code == 0, result.output
    assert "Matériel ajouté : 1" in result.output
    assert db.session.scalar(select(Equipment.model)) == "Écran tactile"


def test_a_byte_order_mark_and_a_multi_line_field_are_read(world, app, tmp_path):
    data = (
        "\ufeff"
        + HEADER
        + 'EN01-LOT04-00001;SN-1;"Portable\n14 pouces";Lot 04;1234;5678;Meuse Informatique;\n'
    ).encode()
    result = run(app, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Equipment.model)) == "Portable 14 pouces"


def test_a_new_label_with_a_known_serial_is_refused_not_renamed(world, app, tmp_path):
    factories.equipment(label="EN01-LOT04-00001", serial="SN-1")
    db.session.commit()
    data = HEADER + "EN01-LOT04-09999;SN-1;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
    result = run(app, tmp_path, data.encode())
    assert result.exit_code == 1, result.output
    assert (
        "Ligne 2 : le numéro de série SN-1 est celui de l’appareil EN01-LOT04-00001 ; "
        "la nouvelle étiquette EN01-LOT04-09999 ne peut pas le reprendre."
    ) in result.stderr
    db.session.rollback()
    assert db.session.scalars(select(Equipment.label)).all() == ["EN01-LOT04-00001"]


def test_a_label_given_to_a_device_known_only_by_its_serial_is_kept(world, app, tmp_path):
    factories.equipment(label=None, serial="SN-7")
    db.session.commit()
    data = HEADER + "EN01-LOT04-00007;SN-7;Portable;Lot 04;1234;5678;Meuse Informatique;\n"
    result = run(app, tmp_path, data.encode())
    assert result.exit_code == 0, result.output
    assert "Matériel mis à jour : 1" in result.output
    assert db.session.scalars(select(Equipment.label)).all() == ["EN01-LOT04-00007"]


def test_a_folder_or_a_missing_file_is_refused_in_french(world, app, tmp_path):
    runner = app.test_cli_runner()
    folder = runner.invoke(args=["equipment", "import", str(tmp_path)])
    assert folder.exit_code == 1
    assert "est un dossier, pas un fichier." in folder.stderr
    missing = runner.invoke(args=["equipment", "import", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 1
    assert "Fichier introuvable" in missing.stderr
    assert "Error" not in folder.output + missing.output
