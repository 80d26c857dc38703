"""Import the FWB school directory (the FASE "fichier signalétique") into establishments and sites.

A plain module: no request, no commit. `import_schools()` reads the whole file, validates every
line it keeps, and only then writes, in the caller's transaction: the caller commits (or rolls
back on an exception), so a bad file never leaves half an import behind.

The file (ODWB open data, see app/data/README.md) has one row per (establishment, site, type of
teaching). Only compulsory education is kept; the rows of one (FE, FI) pair become one site whose
`teaching` lists the compulsory types given there. Existing rows are compared field by field and
written only when a value changed, so a second run of the same file writes nothing (and
`updated_at` stays put). Sites and establishments that disappeared from the file are kept (tickets,
accounts and equipment point at them) and counted in the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from app.core.input import clean_text
from app.directory.csv_files import (
    CsvFileError,
    control_errors,
    decode,
    each_record,
    read_bytes,
    records,
    width_error,
)
from app.extensions import db
from app.models import Establishment, Site
from app.models.school import LOCAL_NUMBERS_FROM, sync_site_search
from app.models.types import utcnow

PACKAGED_FILE = Path(__file__).resolve().parent.parent / "data" / "signaletique-fase_FWB.csv.gz"

# The header names, exactly as the open-data file writes them.
COL_FE = "N° FASE de l'établissement"
COL_NAME = "Nom de l'établissement"
COL_TYPE = "Type d'enseignement"
COL_NETWORK = "Réseau"
COL_EST_ADDRESS = "Adresse de l'établissement"
COL_EST_POSTAL_CODE = "Code postal de l'établissement"
COL_EST_LOCALITY = "Localité de l'établissement"
COL_FI = "N° FASE de l'implantation"
COL_SITE_ADDRESS = "Adresse de l'implantation"
COL_SITE_POSTAL_CODE = "Code postal de l'implantation"
COL_SITE_LOCALITY = "Localité de l'implantation"
COL_LATITUDE = "Latitude"
COL_LONGITUDE = "Longitude"

REQUIRED_COLUMNS = (
    COL_FE,
    COL_NAME,
    COL_TYPE,
    COL_NETWORK,
    COL_EST_ADDRESS,
    COL_EST_POSTAL_CODE,
    COL_EST_LOCALITY,
    COL_FI,
    COL_SITE_ADDRESS,
    COL_SITE_POSTAL_CODE,
    COL_SITE_LOCALITY,
    COL_LATITUDE,
    COL_LONGITUDE,
)

# Compulsory education, in the order a site's `teaching` lists them (by level, then kind).
COMPULSORY_TYPES = (
    "Maternel ordinaire",
    "Maternel spécialisé",
    "Primaire ordinaire",
    "Primaire spécialisé",
    "Secondaire ordinaire",
    "Secondaire spécialisé",
    "Secondaire CEFA",
)
_TYPE_ORDER = {name: i for i, name in enumerate(COMPULSORY_TYPES)}

# Which column feeds which model attribute.
ESTABLISHMENT_FIELDS = {
    "name": COL_NAME,
    "address": COL_EST_ADDRESS,
    "postal_code": COL_EST_POSTAL_CODE,
    "locality": COL_EST_LOCALITY,
    "network": COL_NETWORK,
}
SITE_TEXT_FIELDS = {
    "address": COL_SITE_ADDRESS,
    "postal_code": COL_SITE_POSTAL_CODE,
    "locality": COL_SITE_LOCALITY,
}

MAX_BYTES = 64 * 1024 * 1024  # the real file is 3 MB; this bounds a gzip bomb
MAX_LISTED = 20  # warnings shown in full; the rest are counted
FLUSH_EVERY = 1000  # rows per INSERT/UPDATE batch, and per progress-bar step

_INTEGER = re.compile(r"\d{1,9}", re.ASCII)
_DECIMAL = re.compile(r"-?\d{1,3}(?:[.,]\d+)?", re.ASCII)


class SchoolFileError(CsvFileError):
    """The file cannot be imported. `messages` are French, one per problem, with line numbers."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0  # in the database, absent from the file: kept


@dataclass
class ImportReport:
    source: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    establishments: Counts = field(default_factory=Counts)
    sites: Counts = field(default_factory=Counts)
    skipped: Counter[str] = field(default_factory=Counter)  # French reason -> rows
    warnings: list[str] = field(default_factory=list)
    warnings_total: int = 0

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def changed(self) -> bool:
        return bool(
            self.establishments.created
            or self.establishments.updated
            or self.sites.created
            or self.sites.updated
        )

    def lines(self) -> list[str]:
        """The report in French, one line each, as the command prints it."""
        n = format_decimal
        est, sites = self.establishments, self.sites
        out = [
            _(
                "Lignes lues : %(read)s (%(kept)s retenues, %(skipped)s ignorées)",
                read=n(self.rows_read),
                kept=n(self.rows_kept),
                skipped=n(self.rows_skipped),
            ),
            _(
                "Établissements : %(created)s créés, %(updated)s mis à jour, "
                "%(unchanged)s inchangés",
                created=n(est.created),
                updated=n(est.updated),
                unchanged=n(est.unchanged),
            ),
            _(
                "Implantations : %(created)s créées, %(updated)s mises à jour, "
                "%(unchanged)s inchangées",
                created=n(sites.created),
                updated=n(sites.updated),
                unchanged=n(sites.unchanged),
            ),
        ]
        if self.skipped:
            out.append(_("Lignes ignorées :"))
            out.extend(
                f"  - {reason} : {n(count)}"
                for reason, count in sorted(self.skipped.items(), key=lambda kv: -kv[1])
            )
        if est.not_in_file:
            out.append(
                _(
                    "Établissements absents du fichier (conservés) : %(count)s",
                    count=n(est.not_in_file),
                )
            )
        if sites.not_in_file:
            out.append(
                _(
                    "Implantations absentes du fichier (conservées) : %(count)s",
                    count=n(sites.not_in_file),
                )
            )
        if self.warnings:
            out.append(_("Avertissements :"))
            out.extend(f"  - {w}" for w in self.warnings)
            hidden = self.warnings_total - len(self.warnings)
            if hidden > 0:
                out.append("  - " + _("… et %(count)s autres.", count=n(hidden)))
        out.append(_("Annuaire mis à jour.") if self.changed else _("Aucun changement."))
        return out


# A factory of progress bars, called as progress(length=…, label=…); click.progressbar fits.
ProgressFactory = Callable[..., AbstractContextManager[Any]]


class _NoBar:
    def update(self, _steps: int) -> None:
        pass


@contextmanager
def _no_progress(**_kwargs) -> Iterator[_NoBar]:
    yield _NoBar()


@dataclass
class _Parsed:
    establishments: dict[int, dict[str, str]] = field(default_factory=dict)
    sites: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    teaching: dict[tuple[int, int], set[str]] = field(default_factory=dict)


def import_schools(
    source: str | Path | IO[bytes] | None = None,
    *,
    progress: ProgressFactory | None = None,
) -> ImportReport:
    """Import the file (a path or a binary stream; `.csv` or gzip; the packaged file if None).

    Raises SchoolFileError, before anything is written, when the file is unreadable or any kept
    line is invalid. Does not commit.
    """
    source = PACKAGED_FILE if source is None else source
    report = ImportReport(source=_source_name(source))
    text = decode(read_bytes(source, MAX_BYTES, SchoolFileError), SchoolFileError)
    parsed = _parse(text, report)
    _write(parsed, report, progress or _no_progress)
    return report


# ------------------------------------------------------------------------------ reading


def _source_name(source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", "") or _("(flux)"))


def _parse(text: str, report: ImportReport) -> _Parsed:
    reader = records(text, ";", SchoolFileError)
    header = read_header(reader)
    index = {name: header.index(name) for name in REQUIRED_COLUMNS}  # the columns we read
    width = len(header)
    parsed = _Parsed()
    errors: list[str] = []
    seen_rows: set[tuple[int, int, str]] = set()
    first_line: dict[Any, int] = {}
    warnings: list[str] = []
    not_compulsory, no_type = _("enseignement non obligatoire"), _("type d'enseignement vide")
    blank, duplicate = _("ligne vide"), _("ligne en double")
    limits = _length_limits()

    for start, row in each_record(reader, errors, SchoolFileError):  # start: its first line
        report.rows_read += 1
        if not any(cell.strip() for cell in row):
            report.skipped[blank] += 1
            continue
        if len(row) != width:
            errors.append(width_error(start, len(row), width))
            continue
        values = {name: row[i] for name, i in index.items()}
        controls = control_errors(start, values)
        if controls:
            errors.extend(controls)
            continue
        values = {name: clean_text(value, multiline=False) for name, value in values.items()}
        kind = values[COL_TYPE]
        if kind not in _TYPE_ORDER:
            report.skipped[not_compulsory if kind else no_type] += 1
            continue
        row_errors = _check_row(values, start, limits)
        if row_errors:
            errors.extend(row_errors)
            continue
        if errors:
            continue  # the file is rejected anyway: only look for more errors
        fe, fi = int(values[COL_FE]), int(values[COL_FI])
        if (fe, fi, kind) in seen_rows:
            report.skipped[duplicate] += 1
            continue
        seen_rows.add((fe, fi, kind))
        report.rows_kept += 1

        est = {attr: values[col] for attr, col in ESTABLISHMENT_FIELDS.items()}
        site = {attr: values[col] for attr, col in SITE_TEXT_FIELDS.items()}
        site["latitude"] = _coordinate(values[COL_LATITUDE])
        site["longitude"] = _coordinate(values[COL_LONGITUDE])
        _merge(parsed.establishments, fe, est, ("FE", fe), start, first_line, warnings)
        _merge(parsed.sites, (fe, fi), site, ("FI", fe, fi), start, first_line, warnings)
        parsed.teaching.setdefault((fe, fi), set()).add(kind)

    if errors:
        raise SchoolFileError(errors)
    if report.rows_read == 0:
        raise SchoolFileError(
            [_("Le fichier ne contient que l'en-tête : aucune ligne à importer.")]
        )
    report.warnings = warnings[:MAX_LISTED]
    report.warnings_total = len(warnings)
    return parsed


def read_header(reader, required: tuple[str, ...] = REQUIRED_COLUMNS, *, lower=False):
    """The header's names (lower case with `lower`); refuses a header lacking one of `required`."""
    try:
        _line, header = next(reader)
    except (StopIteration, SchoolFileError) as exc:
        raise SchoolFileError([_("Ligne 1 : l'en-tête est illisible.")]) from exc
    header = [name.strip().lstrip("\ufeff").strip() for name in header]
    header = [name.lower() for name in header] if lower else header
    missing = [name for name in required if name not in header]
    if missing:
        message = _(
            "Ligne 1 : colonnes obligatoires absentes de l'en-tête : %(columns)s.",
            columns=", ".join(f"« {name} »" for name in missing),
        )
        if len(header) == 1:
            message += " " + _("Le séparateur attendu est le point-virgule « ; ».")
        raise SchoolFileError([message])
    return header


def _length_limits() -> list[tuple[str, int]]:
    """(column, longest value the model's column holds) for every text the import stores."""
    limits = [
        (col, Establishment.__table__.c[a].type.length) for a, col in ESTABLISHMENT_FIELDS.items()
    ]
    limits += [(col, Site.__table__.c[a].type.length) for a, col in SITE_TEXT_FIELDS.items()]
    return limits


def _check_row(values: dict[str, str], line: int, limits: list[tuple[str, int]]) -> list[str]:
    """The French errors of one kept line (none for a good line, which costs almost nothing)."""
    errors: list[str] = []
    if (
        _INTEGER.fullmatch(values[COL_FE])
        and _INTEGER.fullmatch(values[COL_FI])
        and values[COL_NAME]
        and _coordinates_ok(values[COL_LATITUDE], values[COL_LONGITUDE])
        and all(len(values[col]) <= limit for col, limit in limits)
    ):
        return errors
    where = line
    for col in (COL_FE, COL_FI):
        if not values[col]:
            errors.append(_("Ligne %(line)s : %(column)s est vide.", line=where, column=col))
        elif not _INTEGER.fullmatch(values[col]):
            errors.append(
                _(
                    "Ligne %(line)s : %(column)s « %(value)s » n'est pas un nombre.",
                    line=where,
                    column=col,
                    value=values[col],
                )
            )
    if not values[COL_NAME]:
        errors.append(_("Ligne %(line)s : le nom de l'établissement est vide.", line=where))
    coordinates = (values[COL_LATITUDE], values[COL_LONGITUDE])
    for col, limit in ((COL_LATITUDE, 90), (COL_LONGITUDE, 180)):
        value = values[col]
        if not value:
            continue
        if not _DECIMAL.fullmatch(value) or abs(_coordinate(value)) > limit:
            errors.append(
                _(
                    "Ligne %(line)s : %(column)s « %(value)s » n'est pas une coordonnée valide "
                    "(nombre entre -%(limit)s et %(limit)s).",
                    line=where,
                    column=col,
                    value=value,
                    limit=limit,
                )
            )
    if bool(coordinates[0]) != bool(coordinates[1]):
        errors.append(
            _("Ligne %(line)s : latitude et longitude doivent être données ensemble.", line=where)
        )
    for col, limit in limits:
        if len(values[col]) > limit:
            errors.append(
                _(
                    "Ligne %(line)s : %(column)s dépasse %(limit)s caractères.",
                    line=where,
                    column=col,
                    limit=limit,
                )
            )
    return errors


def _coordinates_ok(latitude: str, longitude: str) -> bool:
    if not latitude and not longitude:
        return True
    return bool(
        _DECIMAL.fullmatch(latitude)
        and _DECIMAL.fullmatch(longitude)
        and abs(_coordinate(latitude)) <= 90
        and abs(_coordinate(longitude)) <= 180
    )


def _coordinate(value: str) -> float | None:
    return float(value.replace(",", ".")) if value else None


def _merge(target: dict, key, values: dict, tag, line: int, first_line: dict, warnings: list):
    """Keep the first line's values for a key; note a later line that disagrees."""
    known = target.get(key)
    if known is None:
        target[key] = values
        first_line[tag] = line
    elif known != values:
        if tag[0] == "FE":
            warnings.append(
                _(
                    "Ligne %(line)s : l'établissement FE %(fe)s diffère de la ligne %(first)s ; "
                    "la ligne %(first)s est retenue.",
                    line=line,
                    fe=tag[1],
                    first=first_line[tag],
                )
            )
        else:
            warnings.append(
                _(
                    "Ligne %(line)s : l'implantation FE %(fe)s / FI %(fi)s diffère de la ligne "
                    "%(first)s ; la ligne %(first)s est retenue.",
                    line=line,
                    fe=tag[1],
                    fi=tag[2],
                    first=first_line[tag],
                )
            )


# ------------------------------------------------------------------------------ writing

_EST_COLUMNS = tuple(ESTABLISHMENT_FIELDS)
_SITE_COLUMNS = (*SITE_TEXT_FIELDS, "latitude", "longitude", "teaching")


def _write(parsed: _Parsed, report: ImportReport, progress: ProgressFactory) -> None:
    """Compare with what is stored (read once, as plain rows) and write only the differences.

    New rows go in with multi-row INSERTs and changed ones with executemany UPDATEs by primary
    key, a chunk at a time: no query per row and no per-object bookkeeping, so the 7,330 rows of
    the real file take well under a second on SQLite and PostgreSQL.
    """
    session = db.session
    session.flush()  # anything the caller left pending goes first
    now = utcnow()
    est_counts, site_counts = report.establishments, report.sites

    stored_est = {
        row.fase: row
        for row in session.execute(
            select(Establishment.id, Establishment.fase, *_columns(Establishment, _EST_COLUMNS))
        )
    }
    est_inserts, est_updates = [], []
    for fe, values in parsed.establishments.items():
        row = stored_est.get(fe)
        if row is None:
            est_inserts.append({"fase": fe, **values, "updated_at": now})
        elif _differs(row, values):
            est_updates.append({"id": row.id, **values, "updated_at": now})
        else:
            est_counts.unchanged += 1
    est_counts.created, est_counts.updated = len(est_inserts), len(est_updates)
    # Sites Relais numbered (app.directory.sites) are never in this file: not counted missing.
    listed = {fe for fe in stored_est if fe < LOCAL_NUMBERS_FROM}
    local_ids = {row.id for fe, row in stored_est.items() if fe >= LOCAL_NUMBERS_FROM}
    est_counts.not_in_file = len(listed - parsed.establishments.keys())

    total = len(parsed.establishments) + len(parsed.sites)
    with progress(length=total, label=_("Import de l'annuaire")) as bar:
        _execute(insert(Establishment), est_inserts, bar)
        _execute(update(Establishment), est_updates, bar)
        bar.update(est_counts.unchanged)

        # Establishment ids, the new ones included.
        est_id = dict(session.execute(select(Establishment.fase, Establishment.id)).all())
        stored_sites = {
            (row.establishment_id, row.fi): row
            for row in session.execute(
                select(Site.id, Site.establishment_id, Site.fi, *_columns(Site, _SITE_COLUMNS))
            )
        }
        site_inserts, site_updates, seen = [], [], set()
        for (fe, fi), values in parsed.sites.items():
            values = {**values, "teaching": _teaching(parsed.teaching[(fe, fi)])}
            key = (est_id[fe], fi)
            seen.add(key)
            row = stored_sites.get(key)
            if row is None:
                site_inserts.append(
                    {"establishment_id": key[0], "fi": fi, **values, "updated_at": now}
                )
            elif _differs(row, values):
                site_updates.append({"id": row.id, **values, "updated_at": now})
            else:
                site_counts.unchanged += 1
        site_counts.created, site_counts.updated = len(site_inserts), len(site_updates)
        site_counts.not_in_file = len({k for k in stored_sites if k[0] not in local_ids} - seen)

        _execute(insert(Site), site_inserts, bar)
        _execute(update(Site), site_updates, bar)
        bar.update(site_counts.unchanged)
    if est_inserts or est_updates or site_inserts or site_updates:
        # Bulk writes skip the ORM's events: the sites' folded search columns follow here.
        sync_site_search(session)


def _columns(model, names):
    return [getattr(model, name) for name in names]


def _differs(row, values: dict[str, Any]) -> bool:
    return any(getattr(row, name) != value for name, value in values.items())


def _execute(statement, rows: list[dict], bar) -> None:
    """ORM bulk INSERT (multi-row VALUES) or UPDATE by primary key, in chunks for the bar."""
    for start in range(0, len(rows), FLUSH_EVERY):
        chunk = rows[start : start + FLUSH_EVERY]
        db.session.execute(statement, chunk)
        bar.update(len(chunk))


def _teaching(kinds: set[str]) -> str:
    return ", ".join(sorted(kinds, key=_TYPE_ORDER.__getitem__))
