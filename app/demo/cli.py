"""`flask demo …` commands."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.cli import CommandError, all_or_nothing, echo_report, progress_bar
from app.demo.accounts import DEMO_ACCOUNTS
from app.directory.schools_import import SchoolFileError

demo_cli = AppGroup("demo", help="Données de démonstration.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Importe l'annuaire, crée le catalogue, des fournisseurs, des comptes et du matériel."""
    # Imported here for start-up time: the seed loads every package's data; every `flask`
    # command (and every web worker, which registers the commands) would pay for it.
    from app.demo.seed import DemoSeedError, seed_demo

    if current_app.config["RELAIS_ENV"] == "production":
        raise CommandError(
            _("Refusé en production : les mots de passe des comptes de démonstration sont publics.")
        )
    started = time.perf_counter()
    with all_or_nothing({SchoolFileError: str, DemoSeedError: str}):
        report = seed_demo(progress=progress_bar())
    echo_report(report.lines(), started)


@demo_cli.command("accounts")
def accounts_command() -> None:
    """Liste les comptes de démo : RÔLE E-MAIL MOT-DE-PASSE [SOCIÉTÉ, FE:FI ou ÉCOLE]."""
    for account in DEMO_ACCOUNTS:
        fields = [account.role, account.email, account.password]
        if account.where:
            fields.append(account.where)
        click.echo(" ".join(fields))
