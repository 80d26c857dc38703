"""The job queue: RQ on Redis in production, the same RQ jobs run in-process without REDIS_URL.

Jobs take ids, never objects, and build their own app context (`job_context`) when a worker runs
them; in the embedded mode they run at once, inside the caller's context.

Start workers with `rq worker -w app.jobs.Worker --with-scheduler …`: RQ's worker forks a
process per job, and this class builds the app once before forking, so each job inherits it
instead of importing and building the whole app again (seconds of CPU per message otherwise).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, after_this_request, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq import Worker as RQWorker
from rq.utils import import_attribute

from app.core.logs import current_request_id, reset_request_id, set_request_id
from app.extensions import db

log = logging.getLogger(__name__)
_worker_app: Flask | None = None
_worker_pid: int | None = None


def redis_connection() -> Redis:
    url = current_app.config.get("REDIS_URL")
    if url:
        return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    import fakeredis

    return fakeredis.FakeStrictRedis()


def get_queue() -> Queue:
    cfg = current_app.config
    return Queue(cfg["RQ_QUEUE"], connection=redis_connection(), is_async=bool(cfg["REDIS_URL"]))


def _with_request_id(kwargs: dict) -> dict:
    """The job's meta names the request that queued it: its log lines carry that id."""
    rid = current_request_id()
    if rid is not None:
        kwargs = {**kwargs, "meta": {**kwargs.get("meta", {}), "request_id": rid}}
    return kwargs


def enqueue(func: str, *args, **kwargs) -> bool:
    """Queue `func` (a dotted path); False when Redis is unreachable.

    Callers enqueue after their commit, so the work is already recorded (an outbox row, say):
    a False here means it waits for the periodic sweep, never that it is lost.
    """
    try:
        get_queue().enqueue(func, *args, **_with_request_id(kwargs))
    except RedisError:
        log.warning("Redis unreachable, %s(%s) left for the sweep", func, args, exc_info=True)
        return False
    return True


def enqueue_in(delay: timedelta | float, func: str, *args, **kwargs) -> bool:
    """Queue `func` to run after `delay` (seconds or a timedelta); False when Redis is unreachable.

    RQ moves the job to its queue when it is due: workers must run `--with-scheduler`. In the
    embedded mode nothing would ever run a scheduled job, so it runs at once; a job that finds
    its work not yet due leaves it to the periodic sweep (`flask jobs run-due`).
    """
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
    if seconds <= 0 or not current_app.config.get("REDIS_URL"):
        return enqueue(func, *args, **kwargs)
    try:
        get_queue().enqueue_in(timedelta(seconds=seconds), func, *args, **_with_request_id(kwargs))
    except RedisError:
        log.warning("Redis unreachable, %s(%s) left for the sweep", func, args, exc_info=True)
        return False
    return True


def enqueue_after_response(func: str, *args) -> None:
    """Hand `func` (a dotted path) work that must not count in the time of this request's answer.

    With Redis a worker runs it, and the request only queued it. In the embedded mode, or while
    Redis is unreachable, it runs in this process once the answer has been sent: Werkzeug calls
    a response's close callbacks after its last byte, and the client has its answer by then.
    """
    if current_app.config.get("REDIS_URL"):
        try:
            get_queue().enqueue(func, *args, **_with_request_id({}))
            return
        except RedisError:
            log.warning("Redis unreachable, %s runs in this process after the response", func)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    target = import_attribute(func)
    rid = current_request_id()

    def _run() -> None:
        token = set_request_id(rid)
        try:
            with app.app_context():
                target(*args)
        except Exception:
            # The answer has left: nobody to show an error to, the log keeps it.
            log.exception("%s failed after the response", func)
        finally:
            reset_request_id(token)

    @after_this_request
    def _when_sent(response):
        response.call_on_close(_run)
        return response


def _app_for_worker() -> Flask:
    """The worker process's app, built once; a forked child drops the parent's connections."""
    global _worker_app, _worker_pid
    if _worker_app is None:
        # The one import upwards, by design: a worker process builds its app from the factory
        # (the import-linter contract ignores it, pyproject.toml).
        from app import create_app

        _worker_app = create_app()
    elif _worker_pid != os.getpid():
        with _worker_app.app_context():
            db.engine.dispose(close=False)  # pooled connections belong to the parent
    _worker_pid = os.getpid()
    return _worker_app


class Worker(RQWorker):
    """RQ's forking worker, with the app built in the parent so that work horses inherit it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _app_for_worker()


@contextmanager
def job_context() -> Iterator[Flask]:
    """The app context a job runs in: the caller's in-process, one per worker process otherwise."""
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    app = _app_for_worker()
    with app.app_context():
        yield app
