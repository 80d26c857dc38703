"""The FWB school directory import: the real packaged file, idempotence, updates, bad files, CLI."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.directory.schools_import import PACKAGED_FILE, SchoolFileError, import_schools
from app.extensions import db
from app.models import Establishment, Site

README = Path(__file__).resolve().parents[2] / "app" / "data" / "README.md"

# Written out here rather than taken from the importer, so that a typo there shows up.
COMPULSORY = {
    "Maternel ordinaire",
    "Primaire ordinaire",
    "Secondaire ordinaire",
    "Maternel spécialisé",
    "Primaire spécialisé",
    "Secondaire spécialisé",
    "Secondaire CEFA",
}


def plain(text: str) -> str:
    """Report lines with ordinary spaces (numbers are grouped with a narrow no-break space)."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Establishment)),
        db.session.scalar(select(func.count()).select_from(Site)),
    )


def snapshot() -> dict:
    """Every stored value of every establishment and site, to prove that nothing moved."""
    return {
        table.name: sorted(tuple(r) for r in db.session.execute(select(table)))
        for table in (Establishment.__table__, Site.__table__)
    }


# ------------------------------------------------------------------ small synthetic files

HEADER = [
    "N° FASE de l'établissement",
    "Nom de l'établissement",
    "Numéro BCE de l'établissement",
    "Type d'enseignement",
    "Niveau",
    "Genre",
    "Réseau",
    "Adresse de l'établissement",
    "Code postal de l'établissement",
    "Localité de l'établissement",
    "Commune de l'établissement",
    "Bassin",
    "Arrondissement administratif",
    "N° FASE de l'implantation",
    "Adresse de l'implantation",
    "Code postal de l'implantation",
    "Localité de l'implantation",
    "Commune de l'implantation",
    "Latitude",
    "Longitude",
    "N° FASE du P.O.",
    "Nom de P.O.",
    "N° BCE du P.O.",
    "Adresse du P.O.",
    "Code postal du P.O.",
    "Localité du P.O.",
    "Commune du P.O.",
    "geolocalisation",
]


def row(fe=2559, fi=5136, kind="Primaire ordinaire", **over) -> dict:
    values = {
        "N° FASE de l'établissement": str(fe),
        "Nom de l'établissement": "Ecole communale fondamentale Borlon-Tohogne",
        "Numéro BCE de l'établissement": "1234567890",
        "Type d'enseignement": kind,
        "Niveau": "Fondamental",
        "Genre": "Ordinaire",
        "Réseau": "Subventionné communal",
        "Adresse de l'établissement": "Rue de la Laiterie 32",
        "Code postal de l'établissement": "6941",
        "Localité de l'établissement": "TOHOGNE",
        "Commune de l'établissement": "Durbuy",
        "Bassin": "Luxembourg",
        "Arrondissement administratif": "Marche-en-Famenne",
        "N° FASE de l'implantation": str(fi),
        "Adresse de l'implantation": "Tige du Bois de Gras 16B",
        "Code postal de l'implantation": "6941",
        "Localité de l'implantation": "BORLON",
        "Commune de l'implantation": "Durbuy",
        "Latitude": "50.3741",
        "Longitude": "5.4095",
        "N° FASE du P.O.": "1000",
        "Nom de P.O.": "Commune de Durbuy",
        "N° BCE du P.O.": "0207357919",
        "Adresse du P.O.": "Grand-Rue 1",
        "Code postal du P.O.": "6940",
        "Localité du P.O.": "DURBUY",
        "Commune du P.O.": "Durbuy",
        "geolocalisation": "50.3741, 5.4095",
    }
    values.update(over)
    return values


def csv_bytes(rows, header=HEADER, bom="\ufeff\ufeff", delimiter=";") -> bytes:
    """A file as the portal writes it: the byte-order mark twice, `;`, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(name, "") for name in header] if isinstance(r, dict) else r)
    return (bom + out.getvalue()).encode("utf-8")


def write(tmp_path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


GOOD_ROWS = [
    row(kind="Maternel ordinaire"),
    row(kind="Primaire ordinaire"),
    row(
        fi=5134, kind="Primaire ordinaire", **{"Adresse de l'implantation": "Rue de la Laiterie 32"}
    ),
    row(fe=6, fi=15, **{"Nom de l'établissement": 'Ecole fondamentale "Clair Soleil" (P1-M8)'}),
    row(fe=6, fi=15, kind="Haute École"),  # not compulsory: skipped
]


# ------------------------------------------------------------------ the real packaged file


def expected_from_file(path: Path) -> dict:
    """The figures the importer must reach, computed here with the csv module alone."""
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        header = next(reader)
        header[0] = header[0].lstrip("\ufeff")
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    kept = [r for r in rows if r["Type d'enseignement"] in COMPULSORY]
    fe = "N° FASE de l'établissement"
    fi = "N° FASE de l'implantation"
    return {
        "rows": len(rows),
        "kept": len(kept),
        "establishments": {int(r[fe]) for r in kept},
        "sites": {(int(r[fe]), int(r[fi])) for r in kept},
        "fi": {int(r[fi]) for r in kept},
    }


def test_packaged_file_is_the_open_data_extract():
    readme = README.read_text(encoding="utf-8")
    digest = re.search(r"SHA-256\s+`([0-9a-f]{64})`", readme).group(1)
    raw = gzip.decompress(PACKAGED_FILE.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == digest
    assert raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbfN\xc2\xb0 FASE")  # the doubled BOM


def test_packaged_file_imports_every_compulsory_school(app):
    expected = expected_from_file(PACKAGED_FILE)
    # The figures of the data README.
    assert (expected["rows"], expected["kept"]) == (8346, 7031)
    assert len(expected["establishments"]) == 2726
    assert len(expected["sites"]) == 4604
    assert len(expected["fi"]) == 4353

    report = import_schools()
    db.session.commit()

    assert report.rows_read == expected["rows"]
    assert report.rows_kept == expected["kept"]
    assert report.establishments.created == len(expected["establishments"])
    assert report.sites.created == len(expected["sites"])
    assert dict(report.skipped) == {"enseignement non obligatoire": 8346 - 7031}
    assert counts() == (2726, 4604)
    # The very same schools, not just as many (the first column, behind the BOM, was read).
    assert set(db.session.scalars(select(Establishment.fase))) == expected["establishments"]
    stored = db.session.execute(select(Establishment.fase, Site.fi).join(Site.establishment))
    assert {tuple(r) for r in stored} == expected["sites"]

    # The current portal's example school, as the ticket frame shows it.
    borlon = db.session.scalar(
        select(Site).join(Site.establishment).where(Establishment.fase == 2559, Site.fi == 5136)
    )
    assert borlon.label == (
        "FI 5136 - FE 2559 - Ecole communale fondamentale Borlon-Tohogne "
        "(Tige du Bois de Gras 16B 6941 BORLON)"
    )
    assert borlon.teaching == "Maternel ordinaire, Primaire ordinaire"
    assert borlon.establishment.network == "Subventionné communal"
    assert borlon.latitude == pytest.approx(50.37, abs=0.05)

    text = plain("\n".join(report.lines()))
    assert "Établissements : 2 726 créés, 0 mis à jour, 0 inchangés" in text
    assert "Implantations : 4 604 créées, 0 mises à jour, 0 inchangées" in text
    assert "enseignement non obligatoire : 1 315" in text
    assert "Annuaire mis à jour." in text


def test_second_run_changes_nothing(app):
    import_schools()
    db.session.commit()
    before = snapshot()

    again = import_schools()
    db.session.commit()

    assert (again.establishments.created, again.establishments.updated) == (0, 0)
    assert (again.sites.created, again.sites.updated) == (0, 0)
    assert again.establishments.unchanged == 2726
    assert again.sites.unchanged == 4604
    assert not again.changed
    assert plain(again.lines()[-1]) == "Aucun changement."
    assert snapshot() == before  # updated_at included


# ------------------------------------------------------------------ updates


def test_changed_values_are_updated_and_reported(app, tmp_path):
    import_schools(write(tmp_path, "v1.csv", csv_bytes(GOOD_ROWS)))
    db.session.commit()
    assert counts() == (2, 3)
    before = {s.fi: s.updated_at for s in db.session.scalars(select(Site))}
    est_before = {e.fase: e.updated_at for e in db.session.scalars(select(Establishment))}

    moved = {"Adresse de l'implantation": "Tige du Bois de Gras 18", "Latitude": "50.3750"}
    v2 = [
        row(kind="Maternel ordinaire", **moved),
        row(kind="Primaire ordinaire", **moved),
        row(kind="Primaire spécialisé", **moved),  # a new type of teaching on that site
        row(fi=5134, **{"Adresse de l'implantation": "Rue de la Laiterie 32"}),
        row(fe=6, fi=15, **{"Nom de l'établissement": 'Ecole fondamentale "Clair Soleil" (P1-M8)'}),
        row(fe=6, fi=16, **{"Nom de l'établissement": 'Ecole fondamentale "Clair Soleil" (P1-M8)'}),
    ]
    # Establishment 6 changes network; its rows must agree.
    for r in v2[4:]:
        r["Réseau"] = "Subventionné provincial"
    report = import_schools(write(tmp_path, "v2.csv.gz", gzip.compress(csv_bytes(v2))))
    db.session.commit()

    assert (report.establishments.created, report.establishments.updated) == (0, 1)
    assert report.establishments.unchanged == 1
    assert (report.sites.created, report.sites.updated, report.sites.unchanged) == (1, 1, 2)
    db.session.expire_all()
    sites = {s.fi: s for s in db.session.scalars(select(Site))}
    assert sites[5136].address == "Tige du Bois de Gras 18"
    assert sites[5136].latitude == pytest.approx(50.375)
    assert sites[5136].teaching == "Maternel ordinaire, Primaire ordinaire, Primaire spécialisé"
    assert sites[5136].updated_at > before[5136]
    assert sites[5134].updated_at == before[5134]
    assert sites[15].updated_at == before[15]
    establishments = {e.fase: e for e in db.session.scalars(select(Establishment))}
    assert establishments[6].network == "Subventionné provincial"
    assert establishments[6].updated_at > est_before[6]
    assert establishments[2559].updated_at == est_before[2559]
    text = plain("\n".join(report.lines()))
    assert "Implantations : 1 créées, 1 mises à jour, 2 inchangées" in text
    assert "Annuaire mis à jour." in text


def test_sites_missing_from_a_newer_file_are_kept_and_counted(app, tmp_path):
    import_schools(write(tmp_path, "v1.csv", csv_bytes(GOOD_ROWS)))
    db.session.commit()
    report = import_schools(write(tmp_path, "v2.csv", csv_bytes(GOOD_ROWS[:2])))
    db.session.commit()
    assert counts() == (2, 3)
    assert report.sites.not_in_file == 2
    assert report.establishments.not_in_file == 1
    text = plain("\n".join(report.lines()))
    assert "Implantations absentes du fichier (conservées) : 2" in text
    assert "Aucun changement." in text


def test_a_stream_and_a_single_bom_are_accepted(app):
    data = csv_bytes(GOOD_ROWS, bom="\ufeff")
    report = import_schools(io.BytesIO(gzip.compress(data)))
    assert (report.establishments.created, report.sites.created) == (2, 3)


def test_a_bad_number_on_a_skipped_row_does_not_block_the_import(app, tmp_path):
    rows = [*GOOD_ROWS, row(fi="n/a", kind="Université")]
    report = import_schools(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert report.sites.created == 3
    assert report.skipped["enseignement non obligatoire"] == 2


def test_duplicate_and_disagreeing_rows(app, tmp_path):
    rows = [
        *GOOD_ROWS,
        row(kind="Primaire ordinaire"),  # the same as line 3
        row(kind="Secondaire CEFA", **{"Réseau": "WBE"}),  # disagrees with line 2
    ]
    report = import_schools(write(tmp_path, "f.csv", csv_bytes(rows)))
    assert report.skipped["ligne en double"] == 1
    assert report.warnings == [
        "Ligne 8 : l'établissement FE 2559 diffère de la ligne 2 ; la ligne 2 est retenue."
    ]
    est = db.session.scalar(select(Establishment).where(Establishment.fase == 2559))
    assert est.network == "Subventionné communal"


# ------------------------------------------------------------------ bad files


def with_line(rows_before: int, bad) -> bytes:
    """GOOD_ROWS with `bad` inserted after `rows_before` rows: `bad` is on line rows_before + 2."""
    return csv_bytes([*GOOD_ROWS[:rows_before], bad, *GOOD_ROWS[rows_before:]])


def latin1_file() -> bytes:
    good = csv_bytes(GOOD_ROWS[:2])
    return good + "6;Ecole de la Forêt;;Primaire ordinaire\r\n".encode("latin-1")


BAD_FILES = {
    "missing column": (
        csv_bytes([row()], header=[h for h in HEADER if h != "Latitude"]),
        ["Ligne 1 : colonnes obligatoires absentes de l'en-tête : « Latitude »."],
    ),
    "comma separated": (
        csv_bytes(GOOD_ROWS, delimiter=","),
        ["Ligne 1 : colonnes obligatoires absentes", "point-virgule"],
    ),
    "bad FI": (
        with_line(2, row(fi="abc")),
        ["Ligne 4 : N° FASE de l'implantation « abc » n'est pas un nombre."],
    ),
    "bad FE": (
        with_line(3, row(fe="12a")),
        ["Ligne 5 : N° FASE de l'établissement « 12a » n'est pas un nombre."],
    ),
    "bad FI far down": (
        csv_bytes([*GOOD_ROWS * 300, row(fi="z9")]),
        ["Ligne 1502 : N° FASE de l'implantation « z9 » n'est pas un nombre."],
    ),
    "bad FI after a field on two lines": (
        csv_bytes([row(**{"Adresse de l'implantation": "Rue Haute 1\nbâtiment B"}), row(fi="q")]),
        ["Ligne 4 : N° FASE de l'implantation « q » n'est pas un nombre."],
    ),
    "wrong field count": (
        with_line(2, list(row().values())[:-1]),
        ["Ligne 4 : 27 champs au lieu de 28"],
    ),
    "bad latitude": (
        with_line(1, row(Latitude="95.2")),
        ["Ligne 3 : Latitude « 95.2 » n'est pas une coordonnée valide"],
    ),
    "not a number latitude": (
        with_line(1, row(Longitude="nan")),
        ["Ligne 3 : Longitude « nan » n'est pas une coordonnée valide"],
    ),
    "latitude alone": (
        with_line(1, row(Longitude="")),
        ["Ligne 3 : latitude et longitude doivent être données ensemble."],
    ),
    "empty name": (
        with_line(4, row(**{"Nom de l'établissement": "  "})),
        ["Ligne 6 : le nom de l'établissement est vide."],
    ),
    "too long": (
        with_line(0, row(**{"Localité de l'implantation": "X" * 121})),
        ["Ligne 2 : Localité de l'implantation dépasse 120 caractères."],
    ),
    "several errors": (
        csv_bytes([*GOOD_ROWS, row(fi="x1"), row(fe="")]),
        [
            "Ligne 7 : N° FASE de l'implantation « x1 » n'est pas un nombre.",
            "Ligne 8 : N° FASE de l'établissement est vide.",
        ],
    ),
    "unbalanced quotes": (
        csv_bytes(GOOD_ROWS) + b'2559;"Ecole;x\r\n',
        ["Ligne 7 : ligne illisible (guillemets mal appariés"],
    ),
    "not utf-8": (latin1_file(), ["Ligne 4 : le fichier n'est pas encodé en UTF-8"]),
    "empty": (b"", ["Le fichier est vide."]),
    "only byte-order marks": ("\ufeff\ufeff\r\n".encode(), ["Le fichier est vide."]),
    "header only": (csv_bytes([]), ["ne contient que l'en-tête"]),
    "truncated gzip": (gzip.compress(csv_bytes(GOOD_ROWS))[:200], ["gzip"]),
    # PostgreSQL refuses a NUL mid-import (a traceback), SQLite stored it: a refused line now.
    "NUL byte": (
        with_line(2, row(**{"Nom de l'établissement": "Ecole\x00 du Centre"})),
        ["Ligne 4 : Nom de l'établissement contient un caractère de contrôle (U+0000)."],
    ),
    "escape character": (
        with_line(0, row(**{"Localité de l'implantation": "BOR\x1bLON"})),
        ["Ligne 2 : Localité de l'implantation contient un caractère de contrôle (U+001B)."],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES.keys())
def test_bad_file_is_refused_with_its_line_and_nothing_is_written(app, tmp_path, case):
    data, messages = BAD_FILES[case]
    path = write(tmp_path, "bad.csv", data)
    with pytest.raises(SchoolFileError) as caught:
        import_schools(path)
    db.session.rollback()
    for message in messages:
        assert message in plain(str(caught.value))
    assert counts() == (0, 0)


def test_bad_file_leaves_an_existing_directory_untouched(app, tmp_path):
    import_schools(write(tmp_path, "v1.csv", csv_bytes(GOOD_ROWS)))
    db.session.commit()
    before = snapshot()
    # Line 2 would update a site and line 3 add one: neither may reach the database.
    bad = csv_bytes(
        [
            row(**{"Adresse de l'implantation": "Ailleurs 1"}),
            row(fi=9999),
            row(fi="9x"),
        ]
    )
    with pytest.raises(SchoolFileError, match="Ligne 4 "):
        import_schools(write(tmp_path, "v2.csv", bad))
    db.session.rollback()
    assert snapshot() == before


# ------------------------------------------------------------------ the command


def test_command_imports_then_says_nothing_changed(app, tmp_path):
    path = write(tmp_path, "fase.csv", csv_bytes(GOOD_ROWS))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["schools", "import", str(path)])
    assert first.exit_code == 0, first.output
    out = plain(first.output)
    assert "Établissements : 2 créés, 0 mis à jour, 0 inchangés" in out
    assert "Implantations : 3 créées, 0 mises à jour, 0 inchangées" in out
    assert "enseignement non obligatoire : 1" in out
    assert "Annuaire mis à jour." in out
    assert "[#" not in out  # no progress bar when the output is not a terminal

    second = runner.invoke(args=["schools", "import", str(path)])
    assert second.exit_code == 0, second.output
    assert "Implantations : 0 créées, 0 mises à jour, 3 inchangées" in plain(second.output)
    assert "Aucun changement." in second.output
    assert counts() == (2, 3)


def test_command_without_a_path_imports_the_packaged_file(app):
    result = app.test_cli_runner().invoke(args=["schools", "import"])
    assert result.exit_code == 0, result.output
    assert "signaletique-fase_FWB.csv.gz" in result.output
    assert "Implantations : 4 604 créées" in plain(result.output)
    assert counts() == (2726, 4604)


def test_command_refuses_a_bad_file_in_french(app, tmp_path):
    path = write(tmp_path, "bad.csv", with_line(2, row(fi="abc")))
    result = app.test_cli_runner().invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 1
    assert "Erreur : Fichier refusé, rien n'a été importé." in result.stderr
    assert "Ligne 4 : N° FASE de l'implantation « abc » n'est pas un nombre." in result.stderr
    assert "Error" not in result.output
    assert counts() == (0, 0)


def test_command_refuses_a_nul_byte_without_a_traceback(app, tmp_path):
    bad = row(fi=5140, **{"Adresse de l'implantation": "Rue\x00 Haute 1"})
    path = write(tmp_path, "nul.csv", csv_bytes([*GOOD_ROWS, bad]))
    result = app.test_cli_runner().invoke(args=["schools", "import", str(path)])
    assert result.exit_code == 1
    assert "Fichier refusé, rien n'a été importé." in result.stderr
    assert "Ligne 7 : Adresse de l'implantation contient un caractère de contrôle" in plain(
        result.stderr
    )
    assert "Traceback" not in result.output
    assert counts() == (0, 0)


def test_bidirectional_controls_and_decomposed_accents_are_normalised(app, tmp_path):
    name = "Ecole Saint-Jose\u0301ph\u202e"
    import_schools(write(tmp_path, "f.csv", csv_bytes([row(**{"Nom de l'établissement": name})])))
    db.session.commit()
    assert db.session.scalar(select(Establishment.name)) == "Ecole Saint-Joséph"


def test_command_reports_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["schools", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "Fichier introuvable" in result.stderr
