"""`flask holidays …` commands: the FWB school holidays (thin wrappers around app.sla.holidays)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CommandError
from app.extensions import db

holidays_cli = AppGroup("holidays", help="Congés scolaires de la Fédération Wallonie-Bruxelles.")


@holidays_cli.command("import")
@click.argument("path", required=False)
def import_command(path: str | None) -> None:
    """Importe un fichier iCalendar (.ics) de congés scolaires (par défaut, 2025-2026 du paquet)."""
    from app.sla.holidays import PACKAGED_FILE, HolidayError, import_file

    source = Path(path) if path else PACKAGED_FILE
    click.echo(_("Import de %(path)s", path=str(source)))
    try:
        report = import_file(source)
        db.session.commit()
    except OSError as exc:
        db.session.rollback()
        raise CommandError(
            _("Impossible de lire %(path)s : %(error)s", path=str(source), error=exc.strerror)
        ) from exc
    except HolidayError as exc:
        db.session.rollback()
        raise CommandError(
            _("Fichier refusé, rien n'a été importé.") + "\n" + "\n".join(exc.messages)
        ) from exc
    except BaseException:
        db.session.rollback()
        raise
    click.echo(report.summary())


@holidays_cli.command("list")
def list_command() -> None:
    """Affiche les périodes de congés scolaires enregistrées, les plus récentes d'abord."""
    from app.sla.holidays import all_periods

    periods = all_periods()
    if not periods:
        click.echo(_("Aucune période de congés scolaires n'est enregistrée."))
        return
    for period in periods:
        click.echo(
            f"{period.starts_on:%d/%m/%Y} – {period.ends_on:%d/%m/%Y}  {period.name}"
            f"  ({period.source})"
        )
