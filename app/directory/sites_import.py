"""Import a file of sites the FWB's directory does not list (`flask schools import-sites FILE`).

The format (docs/operations.md, an example in app/data/implantations-dg-exemple.csv): CSV in
UTF-8, « ; » between fields, a header naming the columns in any order. Required: `etablissement`,
`adresse`, `code_postal`, `localite`, `communaute` (`fr` or `de`); optional: `fe` and `fi` (the
FASE numbers, both or neither), `calendrier` (`fwb` or `dg`; empty: the community's),
`reseau`, `enseignement`, `latitude` and `longitude`.

As strict as the FWB import (app.directory.schools_import, whose reading and errors it shares):
every line is checked before anything is written, errors name their line, a control character
refuses the line, and a file with one bad line writes nothing. A second run of the same file
changes nothing: each line is saved by app.directory.sites.save_site, which writes only what
differs. Does not commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.core.input import clean_text
from app.directory import csv_files
from app.directory.schools_import import SchoolFileError, read_header
from app.directory.sites import SiteValues, key_of, parse_number, problems, save_site

REQUIRED = ("etablissement", "adresse", "code_postal", "localite", "communaute")
OPTIONAL = ("fe", "fi", "calendrier", "reseau", "enseignement", "latitude", "longitude")
# Column -> SiteValues attribute, to name a column in an error.
ATTRIBUTES = {
    "etablissement": "name",
    "adresse": "address",
    "code_postal": "postal_code",
    "localite": "locality",
    "communaute": "community",
    "calendrier": "school_calendar",
    "reseau": "network",
    "enseignement": "teaching",
    "fe": "fe",
    "fi": "fi",
    "latitude": "latitude",
    "longitude": "longitude",
}
COLUMN_OF = {attr: column for column, attr in ATTRIBUTES.items()}
MAX_LINES = 10_000
MAX_BYTES = 4 * 1024 * 1024  # a few hundred sites at most; bounds a gzip bomb
# The example shipped with the package (three DG schools); the demo imports it.
EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "data" / "implantations-dg-exemple.csv"


@dataclass
class SiteImportReport:
    source: str = ""
    created: list[str] = field(default_factory=list)  # site labels
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        n = format_decimal
        out = [
            _(
                "Implantations : %(created)s créées, %(updated)s mises à jour, "
                "%(unchanged)s inchangées",
                created=n(len(self.created)),
                updated=n(len(self.updated)),
                unchanged=n(self.unchanged),
            )
        ]
        out += ["  + " + label for label in self.created]
        out += ["  ~ " + label for label in self.updated]
        out.append(_("Annuaire mis à jour.") if self.changed else _("Aucun changement."))
        return out


def import_sites(source: str | Path | IO[bytes]) -> SiteImportReport:
    """Read and check the whole file, then save each site. Raises SchoolFileError (French
    messages with line numbers) before writing anything when any line is wrong."""
    name = str(source) if isinstance(source, str | Path) else str(getattr(source, "name", ""))
    report = SiteImportReport(source=name)
    data = csv_files.read_bytes(source, MAX_BYTES, SchoolFileError)
    rows = parse_sites(csv_files.decode(data, SchoolFileError))
    for values in rows:
        site, outcome = save_site(values)
        if outcome == "created":
            report.created.append(site.label)
        elif outcome == "updated":
            report.updated.append(site.label)
        else:
            report.unchanged += 1
    return report


def parse_sites(text: str) -> list[SiteValues]:
    reader = csv_files.records(text, ";", SchoolFileError)
    header = _header(reader)
    errors: list[str] = []
    kept: list[SiteValues] = []
    first_line: dict[tuple, int] = {}
    # start: the line the record starts on
    for start, row in csv_files.each_record(reader, errors, SchoolFileError):
        if not any(cell.strip() for cell in row):
            continue
        if len(kept) + len(errors) >= MAX_LINES:
            raise SchoolFileError(
                [_("Le fichier dépasse %(count)s lignes.", count=format_decimal(MAX_LINES))]
            )
        if len(row) != len(header):
            errors.append(csv_files.width_error(start, len(row), len(header)))
            continue
        cells = dict(zip(header, row, strict=True))
        controls = csv_files.control_errors(start, cells)
        if controls:
            errors.extend(controls)
            continue
        cells = {col: clean_text(v, multiline=False) for col, v in cells.items()}
        values, line_errors = _values(cells)
        line_errors += [(COLUMN_OF.get(attr, attr), message) for attr, message in problems(values)]
        if line_errors:
            errors.extend(
                _("Ligne %(line)s : %(column)s : %(message)s", line=start, column=c, message=m)
                for c, m in line_errors
            )
            continue
        key = key_of(values)
        if key in first_line:
            errors.append(
                _(
                    "Ligne %(line)s : même implantation que la ligne %(first)s.",
                    line=start,
                    first=first_line[key],
                )
            )
            continue
        first_line[key] = start
        kept.append(values)
    if errors:
        raise SchoolFileError(errors)
    if not kept:
        raise SchoolFileError(
            [_("Le fichier ne contient que l'en-tête : aucune ligne à importer.")]
        )
    return kept


def _header(reader) -> list[str]:
    header = read_header(reader, REQUIRED, lower=True)
    unknown = [name for name in header if name not in ATTRIBUTES]
    doubled = sorted({name for name in header if header.count(name) > 1})
    if unknown or doubled:
        raise SchoolFileError(
            [
                _(
                    "Ligne 1 : colonnes inconnues ou en double : %(columns)s (colonnes "
                    "possibles : %(known)s).",
                    columns=", ".join(f"« {name} »" for name in unknown + doubled),
                    known=", ".join(REQUIRED + OPTIONAL),
                )
            ]
        )
    return header


def _values(cells: dict[str, str]) -> tuple[SiteValues, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    coordinates: dict[str, float | None] = {}
    for column in ("latitude", "longitude"):
        text = cells.get(column, "").replace(",", ".")
        try:
            coordinates[column] = float(text) if text else None
        except ValueError:
            errors.append((column, _("« %(value)s » n'est pas un nombre.", value=text)))
            coordinates[column] = None
    values = SiteValues(
        name=cells["etablissement"],
        address=cells["adresse"],
        postal_code=cells["code_postal"],
        locality=cells["localite"],
        community=cells["communaute"].lower(),
        school_calendar=cells.get("calendrier", "").lower(),
        network=cells.get("reseau", ""),
        teaching=cells.get("enseignement", ""),
        fe=parse_number(cells.get("fe", "")),  # type: ignore[arg-type]
        fi=parse_number(cells.get("fi", "")),  # type: ignore[arg-type]
        **coordinates,
    )
    return values, errors
