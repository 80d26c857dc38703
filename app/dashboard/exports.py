"""Exports of the scorecards and of the tickets, as XLSX and as CSV for a French spreadsheet.

Both formats come from the same rows (`scorecard_rows`, `ticket_rows`), so they always agree.
The CSV is what a Belgian Excel or LibreOffice opens right with a double click: « ; » between
fields, a byte-order mark so that accents survive, decimal commas, dates as DD/MM/YYYY HH:MM in
Brussels time. The XLSX keeps real numbers and dates.

Text typed by people (a summary, a serial) never becomes a formula (OWASP, « CSV injection »):
in the CSV, a text cell that a spreadsheet would read as a formula gets a leading « ' »; in the
XLSX every text cell is written as a string, those ones marked « quote prefix » as well. Numbers,
negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.time import BRUSSELS
from app.dashboard.figures import NO_LOT, Dashboard, Period
from app.dashboard.stats import AGE_BUCKETS, Scorecard
from app.extensions import db
from app.models import Equipment, Establishment, RequestType, ServiceClock, Site, Supplier, Ticket
from app.models.localized import FALLBACK, pick
from app.tickets.workflow import Status

MAX_TICKETS = 100_000
CHUNK = 64 * 1024
CSV_ROWS = 500


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def scorecard_rows(board: Dashboard) -> tuple[list[str], list[list]]:
    first = _("Lot") if board.group == "lot" else _("Fournisseur")
    headers = [
        first,
        _("Demandes reçues"),
        _("Planification : médiane (h ouvrées)"),
        _("Planification : 90e centile (h ouvrées)"),
        _("Planification : dans les délais (%)"),
        _("Résolution : médiane (h ouvrées)"),
        _("Résolution : 90e centile (h ouvrées)"),
        _("Résolution : dans les délais (%)"),
        _("Taux de réouverture (%)"),
        _("Taux de clôture automatique (%)"),
        *[_("En cours %(age)s", age=label) for label, _upper in AGE_BUCKETS],
        _("En cours (total)"),
    ]

    def row(card: Scorecard) -> list:
        return [
            card.name,
            card.received,
            _hours(card.plan.median),
            _hours(card.plan.p90),
            _percent(card.plan.within),
            _hours(card.resolve.median),
            _hours(card.resolve.p90),
            _percent(card.resolve.within),
            _percent(card.reopen_rate),
            _percent(card.auto_close_rate),
            *card.backlog,
            card.backlog_total,
        ]

    return headers, [row(card) for card in board.cards] + [row(board.overall)]


# Written in the language of the person who asks (lazy: translated by ticket_headers()).
TICKET_HEADERS = [
    _l("Référence"),
    _l("Type"),
    _l("État"),
    _l("Résumé"),
    "FE",
    "FI",
    _l("École"),
    _l("Lot"),
    _l("Matériel"),
    _l("Étiquette"),
    _l("N° de série"),
    _l("Fournisseur"),
    _l("Créée le"),
    _l("Fermée le"),
    _l("Planification (h ouvrées)"),
    _l("Planification dans le délai"),
    _l("Résolution (h ouvrées)"),
    _l("Résolution dans le délai"),
    _l("Réouvertures"),
]


def ticket_headers() -> list[str]:
    return [str(header) for header in TICKET_HEADERS]


# The columns the ticket export reads, and nothing else: no ORM objects, no relationships loaded.
_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.supplier_id,
    Ticket.reference,
    RequestType.name.label("request_type"),
    RequestType.name_de.label("request_type_de"),
    Ticket.status,
    Ticket.summary,
    Establishment.fase,
    Site.fi,
    Establishment.name.label("school"),
    Equipment.lot,
    Ticket.equipment_id,
    Ticket.equipment_description,
    Ticket.equipment_label,
    Ticket.equipment_serial,
    Supplier.name.label("supplier"),
    Ticket.created_at,
    Ticket.closed_at,
    Ticket.round,
)
BATCH = 1000


def ticket_rows(
    period: Period,
    supplier_id: int | None = None,
    *,
    session: Session | None = None,
    language: str = FALLBACK,
) -> Iterator[list]:
    """The tickets created in the period, with the current supplier's latest clocks.

    Two queries whatever the number of tickets: the clocks first (two small tuples per ticket),
    then the tickets' columns, read in batches as the caller streams the rows out.
    """
    session = session or db.session
    window = (Ticket.created_at >= period.starts_at, Ticket.created_at < period.ends_at)
    mine = () if supplier_id is None else (Ticket.supplier_id == supplier_id,)
    clocks: dict[tuple[int, str], tuple] = {}
    for ticket_id, kind, outcome, spent in session.execute(
        select(
            ServiceClock.ticket_id,
            ServiceClock.kind,
            ServiceClock.outcome,
            ServiceClock.spent_minutes,
        )
        .join(Ticket, Ticket.id == ServiceClock.ticket_id)
        .where(*window, *mine, ServiceClock.supplier_id == Ticket.supplier_id)
        .order_by(ServiceClock.id)
    ):
        clocks[(ticket_id, kind)] = (outcome, spent)  # the latest wins
    query = (
        select(*_TICKET_COLUMNS)
        .join(RequestType, RequestType.id == Ticket.request_type_id)
        .join(Site, Site.id == Ticket.site_id)
        .join(Establishment, Establishment.id == Site.establishment_id)
        .outerjoin(Equipment, Equipment.id == Ticket.equipment_id)
        .outerjoin(Supplier, Supplier.id == Ticket.supplier_id)
        .where(*window, *mine)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(MAX_TICKETS)
        .execution_options(yield_per=BATCH)
    )
    for t in session.execute(query):
        yield [
            t.reference,
            pick(t.request_type, t.request_type_de, language).text,  # data: no « (FR) » hint
            str(Status(t.status).label),
            t.summary,
            t.fase,
            t.fi,
            t.school,
            t.lot if t.equipment_id is not None else NO_LOT,
            t.equipment_description,
            t.equipment_label,
            t.equipment_serial,
            t.supplier or "",
            _local(t.created_at),
            _local(t.closed_at),
            *_clock_cells(clocks.get((t.id, "plan"))),
            *_clock_cells(clocks.get((t.id, "resolve"))),
            t.round - 1,
        ]


def _clock_cells(clock: tuple | None) -> list:
    if clock is None or clock[0] not in ("met", "breached"):
        return [None, None]
    outcome, spent = clock
    return [_hours((spent or 0) / 60), "oui" if outcome == "met" else "non"]


def _local(instant: datetime | None) -> datetime | None:
    # Spreadsheets know no time zones: Brussels wall-clock time, as people read it.
    return instant.astimezone(BRUSSELS).replace(tzinfo=None) if instant else None


# ------------------------------------------------------------------ formats

# What makes a spreadsheet read a cell as a formula (OWASP: =, +, -, @, tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def _csv_cell(value) -> str:
    if isinstance(value, str):  # most cells: tested first
        return "'" + value if _formula_like(value) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return str(value)


def csv_stream(headers: list[str], rows) -> Iterator[str]:
    """CSV text in pieces of a few hundred rows, beginning with the byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    yield "\ufeff" + buffer.getvalue()
    rows = iter(rows)
    while batch := list(islice(rows, CSV_ROWS)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([map(_csv_cell, row) for row in batch])
        yield buffer.getvalue()


def _xlsx_cell(worksheet, value):
    if not isinstance(value, str):
        return value
    # openpyxl would store a text beginning with « = » as a live formula.
    cell = WriteOnlyCell(worksheet, value=value)
    cell.data_type = "s"
    if _formula_like(value):
        cell.quotePrefix = True  # edited in Excel, it stays text
    return cell


def xlsx_stream(headers: list[str], rows, sheet: str) -> Iterator[bytes]:
    """The workbook in pieces: rows go one by one into openpyxl's write-only sheet (kept in a
    temporary file, not in memory); the finished file, which an XLSX reader needs whole, is
    then sent in chunks."""
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    worksheet.append(headers)
    for row in rows:
        worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk


def xlsx_bytes(headers: list[str], rows, sheet: str) -> bytes:
    return b"".join(xlsx_stream(headers, rows, sheet))
