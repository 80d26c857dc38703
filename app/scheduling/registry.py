"""Every periodic job, in one list: `flask jobs cron` enqueues them, `flask jobs run-due` runs them.

Each job is a function without arguments that finds its own due work (rows past a due time) and
is idempotent, so running it late, twice or from two places at once does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: str  # dotted path, as RQ enqueues it
    every_seconds: int
    description: str


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "sweep",
        "app.notify.sweep.sweep_outbox",
        60,
        "Renvoie aux files les messages restés en attente (Redis absent, worker arrêté).",
    ),
    PeriodicJob(
        "auto_close",
        "app.tickets.autoclose.run_due",
        300,
        "Rappels aux écoles et clôtures automatiques des demandes terminées.",
    ),
    PeriodicJob(
        "service_levels",
        "app.sla.jobs.run_due",
        300,
        "Avertissements de délai, rappels et clôtures des questions restées sans réponse.",
    ),
    PeriodicJob(
        "mailbox",
        "app.mail_in.imap.poll_mailbox",
        60,
        "Relève la boîte IMAP de l’équipe EN : réponses, avis de non-remise (si configurée).",
    ),
    PeriodicJob(
        "school_holidays",
        "app.sla.jobs.extend_school_holidays",
        86400,
        "Dates provisoires des congés scolaires des années à venir (calculées selon les règles).",
    ),
    PeriodicJob(
        "dashboard",
        "app.dashboard.kept.rebuild_all",
        3600,
        "Chiffres du tableau de bord recalculés pour toutes les demandes.",
    ),
)
