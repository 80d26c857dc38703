"""Dashboard pages (thin: the figures come from app.dashboard.figures).

The coordinator, the assistants and the admins see every supplier; a supplier's user sees its
own company's scorecard and nothing else.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_decimal, format_percent
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from app.auth.access import en_staff_required
from app.core.input import parse_id
from app.core.time import BRUSSELS
from app.dashboard import exports, svg
from app.dashboard.figures import dashboard as compute
from app.dashboard.forms import PeriodForm
from app.dashboard.permissions import can_view_scorecard, export_scope
from app.dashboard.stats import AGE_BUCKETS
from app.extensions import db
from app.models import Supplier
from app.models.localized import current_language
from app.sla.holidays import coverage_alerts

bp = Blueprint("dashboard", __name__)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _today():
    return datetime.now(BRUSSELS).date()


def _form() -> tuple[PeriodForm, object, list[str]]:
    form = PeriodForm(request.args)
    period, errors = form.period(_today())
    return form, period, errors


def _args(form: PeriodForm, period) -> dict:
    return {
        "du": period.start.isoformat(),
        "au": period.end.isoformat(),
        "groupe": form.groupe.data,
    }


def _charts(cards) -> dict:
    return {
        "within": svg.within_target(cards),
        "plan_times": svg.times(cards, "plan", "plan-times"),
        "resolve_times": svg.times(cards, "resolve", "resolve-times"),
        "backlog": svg.backlog(cards),
    }


@bp.app_template_filter("format_percent_fr")
def _format_percent(value: float) -> str:
    return format_percent(value, format="#,##0 %")


@bp.app_template_filter("format_hours")
def _format_hours(value: float) -> str:
    return format_decimal(value, format="#,##0.0")


@bp.context_processor
def _buckets():
    return {"age_buckets": AGE_BUCKETS}


@bp.route("/")
@en_staff_required
def index():
    form, period, errors = _form()
    board = compute(period, group=form.group)
    return render_template(
        "dashboard/index.html",
        form=form,
        board=board,
        errors=errors,
        charts=_charts(board.cards),
        args=_args(form, period),
        alerts=coverage_alerts(_today()),
    )


def _supplier_for(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if not can_view_scorecard(current_user, supplier):
        abort(404)
    return supplier


@bp.route("/fournisseurs/<int:supplier_id>")
@login_required
def supplier(supplier_id: int):
    company = _supplier_for(supplier_id)
    form, period, errors = _form()
    form.groupe.data = "lot"
    board = compute(period, group="lot", supplier_id=company.id)
    return render_template(
        "dashboard/supplier.html",
        form=form,
        supplier=company,
        board=board,
        errors=errors,
        charts=_charts(board.cards),
        args=_args(form, period),
    )


@bp.route("/export/<any(fiches, demandes):what>.<any(csv, xlsx):fmt>")
@login_required
def export(what: str, fmt: str):
    try:
        supplier_id = export_scope(current_user, request.args.get("fournisseur", type=parse_id))
    except PermissionError:
        abort(403)
    if supplier_id is not None:
        _supplier_for(supplier_id)
    form, period, _errors = _form()
    group = "lot" if supplier_id is not None else form.group
    name = f"relais-{what}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if what == "fiches":
        board = compute(period, group=group, supplier_id=supplier_id)
        headers, table = exports.scorecard_rows(board)
        body = _streamed(fmt, headers, lambda _session: table, "Fiches")
    else:
        language = current_language()  # the stream runs after the request's context is gone
        body = _streamed(
            fmt,
            exports.ticket_headers(),
            lambda session: exports.ticket_rows(
                period, supplier_id, session=session, language=language
            ),
            "Demandes",
        )
    return Response(body, content_type=FORMATS[fmt], headers=disposition)


def _streamed(fmt: str, headers: list[str], rows, sheet: str):
    """The export written as it is read: the rows come from the database while the answer goes
    out, through a session of its own on the app's engine that lives as long as the stream
    (the request's session ends with the view)."""
    engine = db.engine

    def pieces():
        with Session(engine) as session:
            if fmt == "csv":
                for piece in exports.csv_stream(headers, rows(session)):
                    yield piece.encode()
            else:
                yield from exports.xlsx_stream(headers, rows(session), sheet)

    return pieces()
