"""`flask holidays …` commands: the school holidays (thin wrappers around app.sla.holidays)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import all_or_nothing, echo_report, file_refused
from app.sla.calendar import FWB, SCHOOL_CALENDARS
from app.sla.holidays import HolidayError, all_periods, import_file, import_packaged

holidays_cli = AppGroup(
    "holidays",
    help="Congés scolaires (Fédération Wallonie-Bruxelles et Communauté germanophone).",
)
CALENDAR_CHOICE = click.Choice(list(SCHOOL_CALENDARS))


def _calendar_option(help_text: str):
    return click.option(
        "--calendar",
        "calendar",
        type=CALENDAR_CHOICE,
        default=FWB.code,
        show_default=True,
        help=help_text,
    )


@holidays_cli.command("import")
@click.argument("path", required=False)
@_calendar_option("Le calendrier scolaire du fichier PATH (fwb ou dg).")
def import_command(path: str | None, calendar: str) -> None:
    """Importe un fichier iCalendar (.ics) de congés scolaires dans un calendrier ; sans PATH,
    charge toutes les années fournies avec Relais (FWB et DG) puis calcule, selon les règles,
    les années suivantes comme provisoires."""
    source = Path(path) if path else None
    if source is not None:
        click.echo(_("Import de %(path)s", path=str(source)))
    refusals = {
        OSError: lambda exc: _(
            "Impossible de lire %(path)s : %(error)s", path=str(source), error=exc.strerror
        ),
        HolidayError: lambda exc: file_refused("\n".join(exc.messages)),
    }
    with all_or_nothing(refusals):
        if source is None:
            lines = import_packaged().lines()
        else:
            lines = [import_file(source, calendar).summary()]
    echo_report(lines)


@holidays_cli.command("list")
@_calendar_option("Le calendrier scolaire à afficher (fwb ou dg).")
def list_command(calendar: str) -> None:
    """Affiche les périodes de congés scolaires d'un calendrier, les plus récentes d'abord."""
    periods = all_periods(calendar)
    if not periods:
        click.echo(_("Aucune période de congés scolaires n'est enregistrée."))
        return
    for period in periods:
        mark = "  " + _("provisoire") if period.provisional else ""
        click.echo(
            f"{period.starts_on:%d/%m/%Y} – {period.ends_on:%d/%m/%Y}  {period.name}"
            f"  ({period.source}){mark}"
        )
