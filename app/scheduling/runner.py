"""Running the periodic jobs in this process: `flask jobs run-due` and the embedded mode's ticker.

In production `flask jobs cron` enqueues the same functions (app/scheduling/cron.py); here each is
imported by its dotted path and called. A job that fails is logged and reported, and the others
still run.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_app_context

from app.extensions import db
from app.scheduling.registry import PERIODIC_JOBS, PeriodicJob

log = logging.getLogger(__name__)


@dataclass
class JobRun:
    job: PeriodicJob
    ok: bool
    result: Any = None
    error: str = ""
    seconds: float = 0.0


def resolve(dotted: str) -> Callable[..., Any]:
    """The function named by a dotted path (`package.module.function`)."""
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def _call(func: Callable[..., Any], now: datetime | None) -> Any:
    if now is not None and "now" in inspect.signature(func).parameters:
        return func(now=now)
    return func()


def run_job(job: PeriodicJob, now: datetime | None = None) -> JobRun:
    started = time.perf_counter()
    try:
        result = _call(resolve(job.func), now)
    except Exception as exc:
        log.exception("Periodic job %s (%s) failed", job.name, job.func)
        if has_app_context():
            db.session.rollback()  # the next job starts from a clean session
        return JobRun(job, False, error=f"{type(exc).__name__}: {exc}", seconds=_since(started))
    return JobRun(job, True, result=result, seconds=_since(started))


def run_due(now: datetime | None = None, names: Iterable[str] | None = None) -> list[JobRun]:
    """Call every periodic job once (or those named), in the registry's order."""
    wanted = set(names) if names is not None else None
    return [run_job(job, now) for job in PERIODIC_JOBS if wanted is None or job.name in wanted]


def _since(started: float) -> float:
    return time.perf_counter() - started
