"""gunicorn's settings for Relais: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_* below) or the command line.
"""

import os
import shutil
import tempfile

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the pages are short and the database does the waiting. 2 per core is the usual
# start; each worker holds one database connection (SQLAlchemy's pool grows on demand).
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # the XLSX export is the longest
graceful_timeout = 30  # as TimeoutStopSec in deploy/systemd/relais-web.service
keepalive = 5  # behind nginx on loopback
# A worker is replaced after about this many requests: a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200
# The body limit is nginx's and the app's (RELAIS_MAX_UPLOAD_MB); these bound the headers.
limit_request_line = 8190
forwarded_allow_ips = "127.0.0.1"

# Logs to stderr (journald): the app's lines are JSON (RELAIS_LOG_FORMAT=json in production),
# the access log too, with the request id the app gives back in X-Request-Id.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "request_id": "%({x-request-id}o)s", '
    '"remote": "%({x-forwarded-for}i)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s}'
)

# Prometheus in multiprocess mode: each worker writes its figures in this folder and /metrics
# sums them. It must be set before the app imports prometheus_client, hence here; emptied at each
# start so that figures of dead workers from a previous run do not linger.
# systemd's RuntimeDirectory (/run/relais) when there is one; a private /tmp otherwise.
_runtime = os.environ.get("RUNTIME_DIRECTORY") or tempfile.gettempdir()
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(_runtime, "relais-metrics")
)


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
