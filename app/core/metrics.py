"""Figures for Prometheus and for the health check: request latency, the queue, the outbox.

Latency is a histogram per route (the endpoint's name, never the raw path: one series per page,
whatever the ids in the URLs). Under gunicorn each worker is a process of its own: with
PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py sets it and clears it at start), every
worker writes its figures there and a scrape sums them. The queue and outbox figures are read
at scrape time, from Redis and the database, so they are the same whichever worker answers.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import get_queue
from app.models import OutboxMessage
from app.models.outbox import OutboxStatus
from app.models.types import utcnow
from app.notify.admin import counts

REQUEST_LATENCY = Histogram(
    "relais_request_duration_seconds",
    "Time to answer a request, by route (Flask endpoint) and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def register(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            # No endpoint: a 404 or a 405; one series for all of them.
            endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
            REQUEST_LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
        return response


def oldest_pending_outbox() -> datetime | None:
    """When the oldest message still waiting to leave was written (served by the status index)."""
    return db.session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
    )


def oldest_pending_age_seconds() -> float | None:
    oldest = oldest_pending_outbox()
    return None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())


class _LiveFigures:
    """Read at each scrape: queue length, failed jobs, outbox messages by state."""

    def collect(self):
        queue_length = GaugeMetricFamily(
            "relais_queue_jobs", "Jobs waiting in the RQ queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "relais_queue_failed_jobs",
            "Jobs in the RQ failed registry (RQ keeps them a year by default).",
            labels=["queue"],
        )
        redis_up = GaugeMetricFamily("relais_redis_up", "1 when Redis answered this scrape.")
        try:
            queue = get_queue()
            queue_length.add_metric([queue.name], queue.count)
            failed.add_metric([queue.name], FailedJobRegistry(queue=queue).count)
            redis_up.add_metric([], 1)
        except RedisError:
            redis_up.add_metric([], 0)
        yield queue_length
        yield failed
        yield redis_up

        outbox = GaugeMetricFamily(
            "relais_outbox_messages",
            "Outbox messages by state (each count stops at 10,000).",
            labels=["state"],
        )
        for state, count in counts().items():
            outbox.add_metric([state], count.value)
        yield outbox
        age = oldest_pending_age_seconds()
        yield GaugeMetricFamily(
            "relais_outbox_oldest_pending_seconds",
            "Age of the oldest pending outbox message (0 when none waits).",
            value=age or 0.0,
        )


def exposition() -> tuple[bytes, str]:
    """The text Prometheus scrapes, and its content type."""
    live = CollectorRegistry(auto_describe=False)
    live.register(_LiveFigures())
    folder = current_app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        process_figures = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_figures, path=folder)
    else:
        process_figures = REGISTRY
    return generate_latest(process_figures) + generate_latest(live), CONTENT_TYPE_LATEST
