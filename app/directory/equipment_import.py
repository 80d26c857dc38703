"""Importing the programme's equipment from a CSV file of lots (`flask equipment import`).

One line per device: label, serial, model, lot, FE, FI, supplier, warranty end. The same care as
the schools import: the whole file is read and checked before anything is written, every error
names its line, and importing the same file twice changes nothing. A device is found again by
its label, else by its serial number; its other fields are updated from the file (it may have
moved to another school).

Headers are matched without regard to case, accents or spaces, in French or English
(« Étiquette » or « label », « N° de série » or « serial », « Fin de garantie » or
« warranty_end »…); the separator is « ; » or « , »; UTF-8 with or without a byte-order mark,
or Windows-1252 as spreadsheets save it. Dates are DD/MM/YYYY or YYYY-MM-DD.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import or_, select

from app.core.input import clean_text, control_character
from app.extensions import db
from app.models import Equipment, Establishment, Site, Supplier

MAX_BYTES = 32 * 1024 * 1024
MAX_LISTED = 20  # errors shown in full; the rest are counted
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
REQUIRED = ("model", "lot", "fe", "fi", "supplier")
_FASE = re.compile(r"\d{1,9}", re.ASCII)


class EquipmentFileError(ValueError):
    """The file cannot be imported; nothing was written."""

    def __init__(self, messages: list[str], total: int | None = None):
        super().__init__(messages)
        self.messages = messages
        self.total = total if total is not None else len(messages)

    def __str__(self) -> str:
        lines = list(self.messages[:MAX_LISTED])
        if self.total > len(lines):
            lines.append(f"… et {self.total - len(lines)} autres erreurs.")
        return "\n".join(lines)


@dataclass
class EquipmentImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: list[str] = field(default_factory=list)  # identifiers that changed school

    def lines(self) -> list[str]:
        lines = [
            f"Lignes lues : {self.rows}",
            f"Matériel ajouté : {self.created}",
            f"Matériel mis à jour : {self.updated}",
            f"Inchangé : {self.unchanged}",
        ]
        if self.moved:
            shown = ", ".join(self.moved[:MAX_LISTED])
            more = len(self.moved) - MAX_LISTED
            lines.append(
                f"Changé d’école : {len(self.moved)} ({shown}{f', … +{more}' if more > 0 else ''})"
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


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _read(source) -> tuple[str, bytes]:
    if isinstance(source, bytes):
        return "<données>", source
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise EquipmentFileError([f"Fichier introuvable : {path}"]) from exc
    if size > MAX_BYTES:
        raise EquipmentFileError([f"Fichier trop grand ({size} octets ; maximum {MAX_BYTES})."])
    return str(path), path.read_bytes()


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

    Raises EquipmentFileError, with numbered lines, before writing anything.
    """
    _name, data = _read(source)
    text = _decode(data)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise EquipmentFileError(["Le fichier est vide."]) from exc
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _key(name)
        for canonical, spellings in HEADERS.items():
            if key in spellings and canonical not in columns:
                columns[canonical] = index
    missing = [c for c in REQUIRED if c not in columns]
    if "label" not in columns and "serial" not in columns:
        missing.insert(0, "label ou serial")
    if missing:
        raise EquipmentFileError(
            [f"Ligne 1 : colonnes manquantes : {', '.join(missing)} (en-tête lu : {header})."]
        )

    raw: list[tuple[int, dict[str, str], list[str]]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        fields = {c: (values[i] if i < len(values) else "") for c, i in columns.items()}
        # A NUL or another control character refuses the line; the rest is shaped as the web
        # forms shape one-line text (app.core.input).
        controls = [
            f"caractère de contrôle ({control_character(v)}) dans {c}"
            for c, v in fields.items()
            if control_character(v)
        ]
        raw.append((line, {c: clean_text(v, multiline=False) for c, v in fields.items()}, controls))
    if not raw:
        raise EquipmentFileError(["Le fichier ne contient aucune ligne de matériel."])

    sites = _sites({(r["fe"], r["fi"]) for _, r, _c in raw})
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
            problems.append("ni étiquette ni numéro de série")
        for ident in (label and f"L:{label}", serial and f"S:{serial}"):
            if ident and ident in seen:
                problems.append(f"{ident[2:]} figure déjà à la ligne {seen[ident]}")
            elif ident:
                seen[ident] = line
        for name in ("model", "lot"):
            if not r[name]:
                problems.append(f"{name} vide")
            elif len(r[name]) > (160 if name == "model" else 40):
                problems.append(f"{name} trop long")
        if (label and len(label) > 64) or (serial and len(serial) > 64):
            problems.append("identifiant de plus de 64 caractères")
        site_id = None
        if not (_FASE.fullmatch(r["fe"]) and _FASE.fullmatch(r["fi"])):
            problems.append(f"FE/FI invalides ({r['fe']!r}, {r['fi']!r})")
        else:
            site_id = sites.get((int(r["fe"]), int(r["fi"])))
            if site_id is None:
                problems.append(f"implantation FE {r['fe']} / FI {r['fi']} inconnue de l’annuaire")
        supplier_id = suppliers.get(r["supplier"].casefold())
        if supplier_id is None:
            problems.append(f"fournisseur inconnu : {r['supplier']!r}")
        try:
            warranty = _date(r.get("warranty_end", ""))
        except ValueError:
            problems.append(f"date de fin de garantie illisible : {r['warranty_end']!r}")
            warranty = None
        if problems:
            errors.append(f"Ligne {line} : " + " ; ".join(problems) + ".")
            continue
        rows.append(_Row(line, label, serial, r["model"], r["lot"], site_id, supplier_id, warranty))
    if errors:
        raise EquipmentFileError(errors)

    existing_by_label, existing_by_serial = _existing(rows)
    report = EquipmentImportReport(rows=len(rows))
    conflicts = []
    plan: list[tuple[_Row, Equipment | None]] = []
    for row in rows:
        by_label = existing_by_label.get(row.label) if row.label else None
        by_serial = existing_by_serial.get(row.serial) if row.serial else None
        if by_label and by_serial and by_label.id != by_serial.id:
            conflicts.append(
                f"Ligne {row.line} : l’étiquette {row.label} et le numéro de série {row.serial} "
                "désignent deux appareils différents de l’inventaire."
            )
            continue
        target = by_label or by_serial
        serial_differs = bool(target and row.serial and target.serial != row.serial)
        if serial_differs and target.serial and by_label is not None:
            conflicts.append(
                f"Ligne {row.line} : l’appareil {row.label} a le numéro de série "
                f"{target.serial} dans l’inventaire, pas {row.serial}."
            )
            continue
        plan.append((row, target))
    if conflicts:
        raise EquipmentFileError(conflicts)

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
