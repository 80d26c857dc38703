"""Importing the programme's equipment from a CSV file of lots (`flask equipment import`).

One line per device: label, serial, model, lot, FE, FI, supplier, warranty end. The same care as
the schools import, and the same reading rules (app.directory.csv_files: UTF-8 only, gzip
accepted, records numbered by the line they start on): the whole file is read and checked
before anything is written, every error names its line, and importing the same file twice
changes nothing. A device is found again by its label, else by its serial number; its other
fields are updated from the file (it may have moved to another school). A serial number never
changes hands silently: a new label with the serial of a labelled device is refused.

Headers are matched without regard to case, accents or spaces, in French or English
(« Étiquette » or « label », « N° de série » or « serial », « Fin de garantie » or
« warranty_end »…); a column the import does not know is refused rather than ignored, so a
misspelt header cannot drop a column unnoticed. The separator is « ; » or « , ». Dates are
DD/MM/YYYY or YYYY-MM-DD.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.core.input import clean_text, control_character
from app.directory.csv_files import CsvFileError, decode, read_bytes, records
from app.extensions import db
from app.models import Equipment, Establishment, Site, Supplier

MAX_BYTES = 32 * 1024 * 1024
MAX_LISTED = 20  # devices listed in full in the report; the rest are counted
CHUNK = 500  # identifiers per IN (…) lookup

# Canonical field → accepted header spellings (already simplified by _key).
HEADERS = {
    "label": ("label", "etiquette", "etiquette_en", "asset_tag"),
    "serial": ("serial", "numero_de_serie", "n_de_serie", "no_de_serie", "serie", "serial_number"),
    "model": ("model", "modele"),
    "lot": ("lot",),
    "fe": ("fe", "fase_fe", "n_fase_etablissement", "fase_etablissement"),
    "fi": ("fi", "fase_fi", "n_fase_implantation", "fase_implantation"),
    "supplier": ("supplier", "fournisseur"),
    "warranty_end": ("warranty_end", "fin_de_garantie", "fin_garantie", "garantie"),
}
# How messages name each field.
FIELD_NAMES = {
    "label": _l("étiquette"),
    "serial": _l("numéro de série"),
    "model": _l("modèle"),
    "lot": _l("lot"),
    "fe": "FE",
    "fi": "FI",
    "supplier": _l("fournisseur"),
    "warranty_end": _l("fin de garantie"),
}
REQUIRED = ("model", "lot", "fe", "fi", "supplier")
LENGTHS = {"model": 160, "lot": 40}
_FASE = re.compile(r"\d{1,9}", re.ASCII)


class EquipmentFileError(CsvFileError):
    """The file cannot be imported; nothing was written."""


@dataclass
class EquipmentImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: list[str] = field(default_factory=list)  # identifiers that changed school

    def lines(self) -> list[str]:
        n = format_decimal
        lines = [
            _("Lignes lues : %(count)s", count=n(self.rows)),
            _("Matériel ajouté : %(count)s", count=n(self.created)),
            _("Matériel mis à jour : %(count)s", count=n(self.updated)),
            _("Inchangé : %(count)s", count=n(self.unchanged)),
        ]
        if self.moved:
            shown = ", ".join(self.moved[:MAX_LISTED])
            more = len(self.moved) - MAX_LISTED
            if more > 0:
                shown += ", " + _("… et %(count)s autres", count=n(more))
            lines.append(
                _(
                    "Changé d’école : %(count)s (%(devices)s)",
                    count=n(len(self.moved)),
                    devices=shown,
                )
            )
        return lines


@dataclass
class _Row:
    line: int
    label: str | None
    serial: str | None
    model: str
    lot: str
    site_id: int
    supplier_id: int
    warranty_end: date | None


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def _identifier(value: str) -> str | None:
    value = (value or "").strip().upper()
    return value or None


def import_equipment(source) -> EquipmentImportReport:
    """Check the whole file, then write it in the caller's transaction (the caller commits).

    `source` is a path, a binary stream or bytes. Raises EquipmentFileError, with numbered
    lines, before writing anything.
    """
    text = decode(read_bytes(source, MAX_BYTES, EquipmentFileError), EquipmentFileError)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = records(text, delimiter, EquipmentFileError)
    columns, width = _header(reader)

    raw: list[tuple[int, dict[str, str], list[str]]] = []
    errors: list[str] = []
    for line, values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) > width and any(v.strip() for v in values[width:]):
            errors.append(
                _(
                    "Ligne %(line)s : %(found)s champs au lieu de %(expected)s "
                    "(séparateur : « %(separator)s »).",
                    line=line,
                    found=len(values),
                    expected=width,
                    separator=delimiter,
                )
            )
            continue
        fields = {c: (values[i] if i < len(values) else "") for c, i in columns.items()}
        # A NUL or another control character refuses the line; the rest is shaped as the web
        # forms shape one-line text (app.core.input).
        controls = [
            _(
                "caractère de contrôle (%(code)s) dans « %(field)s »",
                code=control_character(v),
                field=FIELD_NAMES[c],
            )
            for c, v in fields.items()
            if control_character(v)
        ]
        raw.append((line, {c: clean_text(v, multiline=False) for c, v in fields.items()}, controls))
    if errors:
        raise EquipmentFileError(errors)
    if not raw:
        raise EquipmentFileError([_("Le fichier ne contient aucune ligne de matériel.")])

    rows = _check(raw)
    plan = _plan(rows)
    report = EquipmentImportReport(rows=len(rows))
    for row, target in plan:
        values = {
            "label": row.label or (target.label if target else None),
            "serial": row.serial or (target.serial if target else None),
            "model": row.model,
            "lot": row.lot,
            "site_id": row.site_id,
            "supplier_id": row.supplier_id,
            "warranty_end": row.warranty_end,
        }
        if target is None:
            db.session.add(Equipment(**values))
            report.created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(target, k) != v}
        if not changed:
            report.unchanged += 1
            continue
        if "site_id" in changed and target.site_id is not None:
            report.moved.append(target.label or target.serial)
        for key, value in changed.items():
            setattr(target, key, value)
        report.updated += 1
    db.session.flush()
    return report


def _quoted(names) -> str:
    return ", ".join(f"« {name} »" for name in names)


def _header(reader) -> tuple[dict[str, int], int]:
    """The column of each known field, and how many columns the header names."""
    try:
        _line, header = next(reader)
    except (StopIteration, EquipmentFileError) as exc:
        raise EquipmentFileError([_("Ligne 1 : l'en-tête est illisible.")]) from exc
    header = [name.strip() for name in header]
    while header and not header[-1]:
        header.pop()  # a spreadsheet's trailing separators
    columns: dict[str, int] = {}
    unknown, doubled = [], []
    for index, name in enumerate(header):
        key = _key(name)
        canonical = next((c for c, spellings in HEADERS.items() if key in spellings), None)
        if canonical is None:
            unknown.append(name or _("(sans nom, colonne %(index)s)", index=index + 1))
        elif canonical in columns:
            doubled.append(name)
        else:
            columns[canonical] = index
    problems = []
    missing = [FIELD_NAMES[c] for c in REQUIRED if c not in columns]
    if "label" not in columns and "serial" not in columns:
        missing.insert(0, _("étiquette ou numéro de série"))
    if missing:
        problems.append(_("colonnes manquantes : %(columns)s", columns=_quoted(missing)))
    if unknown:
        problems.append(_("colonnes inconnues : %(columns)s", columns=_quoted(unknown)))
    if doubled:
        problems.append(_("colonnes en double : %(columns)s", columns=_quoted(doubled)))
    if problems:
        known = _quoted(FIELD_NAMES[c] for c in HEADERS)
        raise EquipmentFileError(
            [
                _("Ligne 1 : %(problems)s.", problems=" ; ".join(problems))
                + " "
                + _("Colonnes reconnues : %(columns)s.", columns=known)
            ]
        )
    return columns, len(header)


def _check(raw: list[tuple[int, dict[str, str], list[str]]]) -> list[_Row]:
    """Every line's values checked against the directory and each other; refused if any fails."""
    sites = _sites({(r["fe"], r["fi"]) for _line, r, _c in raw})
    suppliers = {
        name.casefold(): sid
        for sid, name in db.session.execute(select(Supplier.id, Supplier.name)).all()
    }
    errors: list[str] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, r, controls in raw:
        problems = list(controls)
        label, serial = _identifier(r.get("label", "")), _identifier(r.get("serial", ""))
        if not label and not serial:
            problems.append(_("ni étiquette ni numéro de série"))
        for ident in (label and f"L:{label}", serial and f"S:{serial}"):
            if ident and ident in seen:
                problems.append(
                    _(
                        "%(value)s figure déjà à la ligne %(line)s",
                        value=ident[2:],
                        line=seen[ident],
                    )
                )
            elif ident:
                seen[ident] = line
        for name, limit in LENGTHS.items():
            if not r[name]:
                problems.append(_("%(field)s vide", field=FIELD_NAMES[name]))
            elif len(r[name]) > limit:
                problems.append(
                    _(
                        "%(field)s trop long (%(limit)s caractères au plus)",
                        field=FIELD_NAMES[name],
                        limit=limit,
                    )
                )
        if (label and len(label) > 64) or (serial and len(serial) > 64):
            problems.append(_("identifiant de plus de 64 caractères"))
        site_id = None
        if not (_FASE.fullmatch(r["fe"]) and _FASE.fullmatch(r["fi"])):
            if r["fe"] or r["fi"]:
                problems.append(
                    _(
                        "numéros FE/FI invalides (FE « %(fe)s », FI « %(fi)s »)",
                        fe=r["fe"],
                        fi=r["fi"],
                    )
                )
            else:
                problems.append(_("numéros FE/FI vides"))
        else:
            site_id = sites.get((int(r["fe"]), int(r["fi"])))
            if site_id is None:
                problems.append(
                    _(
                        "implantation FE %(fe)s / FI %(fi)s inconnue de l’annuaire",
                        fe=r["fe"],
                        fi=r["fi"],
                    )
                )
        supplier_id = suppliers.get(r["supplier"].casefold())
        if not r["supplier"]:
            problems.append(_("fournisseur vide"))
        elif supplier_id is None:
            problems.append(_("fournisseur inconnu : « %(name)s »", name=r["supplier"]))
        try:
            warranty = _date(r.get("warranty_end", ""))
        except ValueError:
            problems.append(
                _(
                    "date de fin de garantie illisible : « %(value)s » (JJ/MM/AAAA ou AAAA-MM-JJ)",
                    value=r["warranty_end"],
                )
            )
            warranty = None
        if problems:
            errors.append(
                _("Ligne %(line)s : %(problems)s.", line=line, problems=" ; ".join(problems))
            )
            continue
        rows.append(_Row(line, label, serial, r["model"], r["lot"], site_id, supplier_id, warranty))
    if errors:
        raise EquipmentFileError(errors)
    return rows


def _plan(rows: list[_Row]) -> list[tuple[_Row, Equipment | None]]:
    """Each line with the device it updates (None: a new one); refused on any conflict."""
    existing_by_label, existing_by_serial = _existing(rows)
    conflicts = []
    plan: list[tuple[_Row, Equipment | None]] = []
    for row in rows:
        by_label = existing_by_label.get(row.label) if row.label else None
        by_serial = existing_by_serial.get(row.serial) if row.serial else None
        if by_label and by_serial and by_label.id != by_serial.id:
            conflicts.append(
                _(
                    "Ligne %(line)s : l’étiquette %(label)s et le numéro de série %(serial)s "
                    "désignent deux appareils différents de l’inventaire.",
                    line=row.line,
                    label=row.label,
                    serial=row.serial,
                )
            )
            continue
        if by_serial and not by_label and row.label and by_serial.label:
            # Taking the serial's device would rename it: a typo in the label, or a serial
            # copied from another line, must not silently change which device a label names.
            conflicts.append(
                _(
                    "Ligne %(line)s : le numéro de série %(serial)s est celui de l’appareil "
                    "%(other)s ; la nouvelle étiquette %(label)s ne peut pas le reprendre. "
                    "Corrigez l’étiquette ou le numéro de série.",
                    line=row.line,
                    serial=row.serial,
                    other=by_serial.label,
                    label=row.label,
                )
            )
            continue
        target = by_label or by_serial
        serial_differs = bool(target and row.serial and target.serial != row.serial)
        if serial_differs and target.serial and by_label is not None:
            conflicts.append(
                _(
                    "Ligne %(line)s : l’appareil %(label)s a le numéro de série %(stored)s "
                    "dans l’inventaire, pas %(serial)s.",
                    line=row.line,
                    label=row.label,
                    stored=target.serial,
                    serial=row.serial,
                )
            )
            continue
        plan.append((row, target))
    if conflicts:
        raise EquipmentFileError(conflicts)
    return plan


def _sites(pairs: set[tuple[str, str]]) -> dict[tuple[int, int], int]:
    wanted = {(int(fe), int(fi)) for fe, fi in pairs if _FASE.fullmatch(fe) and _FASE.fullmatch(fi)}
    if not wanted:
        return {}
    fes = sorted({fe for fe, _ in wanted})
    found = {}
    for start in range(0, len(fes), CHUNK):
        rows = db.session.execute(
            select(Establishment.fase, Site.fi, Site.id)
            .join(Site.establishment)
            .where(Establishment.fase.in_(fes[start : start + CHUNK]))
        ).all()
        for fe, fi, site_id in rows:
            if (fe, fi) in wanted:
                found[(fe, fi)] = site_id
    return found


def _existing(rows: list[_Row]) -> tuple[dict[str, Equipment], dict[str, Equipment]]:
    labels = sorted({r.label for r in rows if r.label})
    serials = sorted({r.serial for r in rows if r.serial})
    by_label: dict[str, Equipment] = {}
    by_serial: dict[str, Equipment] = {}
    for start in range(0, max(len(labels), len(serials)), CHUNK):
        chunk_l, chunk_s = labels[start : start + CHUNK], serials[start : start + CHUNK]
        conditions = []
        if chunk_l:
            conditions.append(Equipment.label.in_(chunk_l))
        if chunk_s:
            conditions.append(Equipment.serial.in_(chunk_s))
        for item in db.session.scalars(select(Equipment).where(or_(*conditions))):
            if item.label:
                by_label[item.label] = item
            if item.serial:
                by_serial[item.serial] = item
    return by_label, by_serial
