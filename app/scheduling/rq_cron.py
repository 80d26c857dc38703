"""The configuration of RQ's cron scheduler: every periodic job, on the app's queue.

    flask jobs cron     # exactly one such process (app/scheduling/cron.py)

`flask jobs cron` loads this module as `rq cron app.scheduling.rq_cron` would, and keeps RQ's
scheduler running across Redis outages, where `rq cron` exits. RQ keeps what this module
registers through `rq.cron.register`; each job is enqueued at once on start, then every
`every_seconds`, on the queue named by RELAIS_QUEUE ("relais"). The scheduler only imports the
job functions and never opens the database: the worker that runs a job builds its own app
context (`app.jobs.job_context`).

A job whose module cannot be imported is left out with an error in the log; the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from rq import cron

from app.config import from_env
from app.scheduling.registry import PERIODIC_JOBS
from app.scheduling.runner import resolve

log = logging.getLogger(__name__)


def register_all(register: Callable[..., object] = cron.register) -> list[str]:
    """Register each periodic job with RQ's cron; the names of those registered."""
    queue = from_env()["RQ_QUEUE"]
    registered = []
    for job in PERIODIC_JOBS:
        try:
            func = resolve(job.func)
        except (ImportError, AttributeError):
            log.exception("Periodic job %s left out: %s cannot be imported", job.name, job.func)
            continue
        register(
            func,
            queue_name=queue,
            interval=job.every_seconds,
            # Not run within two intervals (no worker, say): dropped, the next one comes anyway.
            ttl=2 * job.every_seconds,
            # Long enough for a sweep of a full batch or a closure run; RQ's default is 180 s.
            job_timeout=max(300, job.every_seconds),
        )
        registered.append(job.name)
    return registered


REGISTERED = register_all()
