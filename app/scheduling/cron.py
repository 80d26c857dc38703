"""RQ's cron scheduler, kept alive across Redis outages (`flask jobs cron`, one process).

`rq cron` stops at the first Redis connection error: nothing in its loop catches the error of a
heartbeat or an enqueue, so the outbox sweep, the automatic closures and the service-level
warnings would stop until a person restarted it. Here the same scheduler (RQ's `CronScheduler`,
loading `app.scheduling.rq_cron` as `rq cron` does) runs inside a loop: on a connection error it
waits for Redis with a capped backoff, logging the outage once, then starts a fresh scheduler. A
fresh one enqueues every job at once, which is what an outage calls for: a restarted Redis may
have lost the jobs it held, and every periodic job finds its own due work and is idempotent.
"""

from __future__ import annotations

import logging
import signal
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

CONFIG_MODULE = "app.scheduling.rq_cron"
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

log = logging.getLogger(__name__)


class Scheduler(CronScheduler):
    """RQ's scheduler, looking at Redis at least every `check_every` seconds and remembering a
    stop request.

    RQ sleeps until the next job is due (up to a minute) and only then meets a dead Redis; a
    shorter sleep sees an outage, and a restarted Redis that lost its queue, sooner. RQ's signal
    handler raises StopRequested, which its loop catches; unregistering from a Redis that is gone
    may then raise a connection error, which must still mean « stop », not « reconnect ».
    """

    def __init__(self, *args, check_every: float = 10, **kwargs):
        super().__init__(*args, **kwargs)
        self.check_every = check_every
        self.stop_requested = False

    def calculate_sleep_interval(self) -> float:
        return min(super().calculate_sleep_interval(), self.check_every)

    def _request_stop(self, signum, frame):
        self.stop_requested = True
        super()._request_stop(signum, frame)


def _raise_stop(signum, frame):
    raise StopRequested()


def run(url: str, check_every: float = 10, first_wait: float = 1, max_wait: float = 30) -> None:
    """Enqueue the periodic jobs until SIGTERM or SIGINT, whatever Redis does meanwhile."""
    # Until RQ installs its own handlers (the same behaviour), a stop while waiting for Redis.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_stop)
    wait = first_wait
    lost_at: float | None = None
    try:
        while True:
            connection = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
            try:
                connection.ping()
            except UNREACHABLE as exc:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning("Redis unreachable (%s): periodic jobs wait for it", exc)
                connection.close()
                time.sleep(wait)
                wait = min(2 * wait, max_wait)
                continue
            if lost_at is not None:
                log.warning(
                    "Redis reachable again after %.0f s: periodic jobs enqueued again",
                    time.monotonic() - lost_at,
                )
                lost_at = None
            wait = first_wait
            scheduler = Scheduler(connection=connection, check_every=check_every)
            scheduler.load_config_from_file(CONFIG_MODULE)
            try:
                scheduler.start()
                return  # stopped by a signal
            except UNREACHABLE as exc:
                if scheduler.stop_requested:
                    return
                lost_at = time.monotonic()
                log.warning("Redis unreachable (%s): periodic jobs wait for it", exc)
            finally:
                connection.close()
    except (StopRequested, KeyboardInterrupt):
        return
