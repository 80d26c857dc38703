"""Logs: one line per event, JSON in production, each carrying the id of the request behind it.

The id comes from the reverse proxy's `X-Request-Id` (nginx's $request_id, see deploy/) or is
made here; it goes back in the answer's header, into every log line written while the request
runs, and into the meta of the RQ jobs the request queues (app/jobs.py), so a worker's lines
about a mail name the click that asked for it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter
from rq import get_current_job

_request_id: ContextVar[str | None] = ContextVar("relais_request_id", default=None)
# What a proxy may hand us: short, and nothing that could forge a log line.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
_MARK = "_relais_handler"


def current_request_id() -> str | None:
    """This request's id, or in a job the id of the request that queued it."""
    rid = _request_id.get()
    if rid is None:
        job = get_current_job()
        if job is not None:
            rid = job.meta.get("request_id")
    return rid


def set_request_id(rid: str | None):
    """Run the following lines under `rid` (a job run in-process after the answer); a token."""
    return _request_id.set(rid)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def _install_record_factory() -> None:
    """Every record gets `request_id`, whichever handler (gunicorn's, rq's, pytest's) formats it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure(app: Flask) -> None:
    _install_record_factory()
    _register_request_id(app)
    if app.debug or app.testing:
        return  # Flask's and pytest's own handlers
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    setattr(handler, _MARK, True)
    if app.config["RELAIS_LOG_FORMAT"] == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _register_request_id(app: Flask) -> None:
    @app.before_request
    def _take_request_id() -> None:
        sent = request.headers.get("X-Request-Id", "")
        rid = sent if _VALID_ID.match(sent) else uuid.uuid4().hex
        g.request_id = rid
        g.request_id_token = _request_id.set(rid)

    @app.after_request
    def _give_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _drop_request_id(_exc) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:
                _request_id.set(None)  # set in another context (a streamed answer's generator)
