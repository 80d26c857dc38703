"""`flask jobs …`: periodic work by hand, from the embedded mode's ticker, or on Redis (`cron`)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.scheduling.registry import PERIODIC_JOBS
from app.scheduling.runner import JobRun, run_due

jobs_cli = AppGroup("jobs", help="Travaux périodiques (envois, clôtures, rappels).")

JOB_NAMES = [job.name for job in PERIODIC_JOBS]


# The jobs' result keys, as people read them.
RESULT_WORDS = {
    "closed": _l("clôturée(s)"),
    "reminded": _l("rappel(s)"),
    "warned": _l("avertissement(s)"),
    "failed": _l("en échec"),
    "added": _l("période(s) de congé provisoire(s) ajoutée(s)"),
    # The mailbox (app.mail_in.imap): what the received messages became.
    "comment": _l("commentaire(s)"),
    "bounce": _l("avis de non-remise"),
    "ignored": _l("réponse(s) automatique(s) ignorée(s)"),
    "to_sort": _l("à trier"),
    "duplicate": _l("déjà reçu(s)"),
    "left": _l("laissé(s) pour la prochaine relève"),
}


def _details(result: Any) -> str:
    if result is None:
        return _("terminé")
    if isinstance(result, dict) and {"queued", "stale", "queue_unreachable"} <= result.keys():
        text = _(
            "%(queued)s message(s) remis en file, dont %(stale)s interrompu(s) en cours d’envoi",
            queued=result["queued"],
            stale=result["stale"],
        )
        if result["queue_unreachable"]:
            text += " ; " + _(
                "file injoignable : %(count)s message(s) restent en attente",
                count=result["not_queued"],
            )
        return text
    if isinstance(result, dict):
        return ", ".join(
            f"{value} {RESULT_WORDS.get(key, key)}" for key, value in result.items()
        ) or _("rien à faire")
    return str(result)


def summary(run: JobRun) -> str:
    """One line in French: the job's name, what it did or why it failed, and how long it took."""
    seconds = format_decimal(run.seconds, format="0.0")
    if not run.ok:
        return _(
            "%(name)s : ÉCHEC — %(error)s (%(seconds)s s)",
            name=run.job.name,
            error=run.error,
            seconds=seconds,
        )
    return _(
        "%(name)s : %(details)s (%(seconds)s s)",
        name=run.job.name,
        details=_details(run.result),
        seconds=seconds,
    )


def _did_something(run: JobRun) -> bool:
    if not run.ok:
        return True
    if isinstance(run.result, dict):
        return any(value for value in run.result.values())
    return run.result is not None


@jobs_cli.command("run-due")
@click.option(
    "--job",
    "names",
    multiple=True,
    type=click.Choice(JOB_NAMES),
    help="Seulement ce travail (répétable).",
)
def run_due_command(names: tuple[str, ...]) -> None:
    """Lance une fois chaque travail périodique (chacun trouve ce qui est échu)."""
    runs = run_due(names=names or None)
    for run in runs:
        click.echo(summary(run))
    if not all(run.ok for run in runs):
        raise SystemExit(1)


@jobs_cli.command("list")
def list_command() -> None:
    """Liste les travaux périodiques : nom, intervalle, fonction, rôle."""
    for job in PERIODIC_JOBS:
        every = _("toutes les %(seconds)s s", seconds=job.every_seconds)
        click.echo(f"{job.name}\t{every}\t{job.func}\t{job.description}")


@jobs_cli.command("cron")
@click.option(
    "--check-every",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Secondes au plus entre deux contacts avec Redis (une panne est vue dans ce délai).",
)
def cron_command(check_every: int) -> None:
    """Production : met chaque travail en file à son intervalle (RQ cron), jusqu’à SIGTERM.

    Un seul processus de ce type. Redis injoignable : il l’attend, puis remet tous les travaux
    en file dès son retour, sans redémarrage.
    """
    # Imported here for start-up time: RQ's cron machinery serves this command only.
    from app.scheduling import cron

    url = current_app.config["REDIS_URL"]
    if not url:
        raise click.UsageError(_("REDIS_URL manquante : sans Redis, lancez « flask jobs tick »."))
    click.echo(_("Travaux périodiques : mis en file sur Redis à leur intervalle."))
    cron.run(url, check_every=check_every)
    click.echo(_("Travaux périodiques arrêtés."))


@jobs_cli.command("tick")
@click.option(
    "--every",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    help="Secondes entre deux passages.",
)
def tick_command(every: int) -> None:
    """Mode intégré : lance les travaux échus toutes les N secondes, jusqu’à Ctrl-C ou SIGTERM.

    Chaque travail tourne à son propre intervalle (voir `flask jobs list`), arrondi au passage.
    """
    stop = threading.Event()

    def _request_stop(signum, frame):
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(_("Travaux périodiques : un passage toutes les %(seconds)s s.", seconds=every))
    last_run: dict[str, float] = {}
    next_tick = time.monotonic()
    try:
        while not stop.is_set():
            started = time.monotonic()
            due = [
                job.name
                for job in PERIODIC_JOBS
                if job.name not in last_run or started - last_run[job.name] + 1 >= job.every_seconds
            ]
            for run in run_due(names=due):
                last_run[run.job.name] = started
                if _did_something(run):
                    click.echo(summary(run))
            db.session.remove()
            next_tick = max(next_tick + every, time.monotonic())  # late: go on, never catch up
            stop.wait(max(0.0, next_tick - time.monotonic()))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(_("Travaux périodiques arrêtés."))
