"""The job queue: RQ on Redis in production, the same RQ jobs run in-process without REDIS_URL.

Jobs take ids, never objects, and build their own app context (`job_context`) when a worker runs
them; in the embedded mode they run at once, inside the caller's context.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)
_worker_app: Flask | None = None


def redis_connection() -> Redis:
    url = current_app.config.get("REDIS_URL")
    if url:
        return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    import fakeredis

    return fakeredis.FakeStrictRedis()


def get_queue() -> Queue:
    cfg = current_app.config
    return Queue(cfg["RQ_QUEUE"], connection=redis_connection(), is_async=bool(cfg["REDIS_URL"]))


def enqueue(func: str, *args, **kwargs) -> bool:
    """Queue `func` (a dotted path); False when Redis is unreachable.

    Callers enqueue after their commit, so the work is already recorded (an outbox row, say):
    a False here means it waits for the periodic sweep, never that it is lost.
    """
    try:
        get_queue().enqueue(func, *args, **kwargs)
    except RedisError:
        log.warning("Redis unreachable, %s(%s) left for the sweep", func, args, exc_info=True)
        return False
    return True


@contextmanager
def job_context() -> Iterator[Flask]:
    """The app context a job runs in: the caller's in-process, one per worker process otherwise."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app
