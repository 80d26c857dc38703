"""Real services for the scheduling and delivery-fault tests, each the test's own.

- `OwnRedis`: a redis-server on a free loopback port, stopped and started at will (never the
  shared one on 6379);
- `MailSink`: an aiosmtpd server on a port kept across stop/start, that can be made slow in DATA;
- `spawn`: `rq worker`, `rq cron`, `flask …` as subprocesses of their own session, configured by
  the environment as in production (`service_env`), so that a kill reaches every child.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPRecorder:
    """An aiosmtpd handler that keeps every accepted message."""

    def __init__(self):
        self.messages = []
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
        )
        return "250 Message accepted"


BIN = ROOT / ".venv" / "bin"
# Settings the subprocesses read from the environment, forwarded from the test app's config.
FORWARDED = (
    "RELAIS_DIGEST_SECONDS",
    "RELAIS_SEND_RETRY_INTERVALS",
    "RELAIS_SEND_MAX_ATTEMPTS",
    "RELAIS_SWEEP_GRACE_SECONDS",
    "RELAIS_SENDING_STALE_SECONDS",
    "RELAIS_SWEEP_BATCH",
    "RELAIS_FRENCH_TYPOGRAPHY",
)


def wait_for(predicate: Callable[[], object], timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class OwnRedis:
    """A redis-server of the test's own, without persistence: a restart loses every queued job."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, 5, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
                return bool(client.ping())
        except RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def client(self) -> Redis:
        return Redis.from_url(self.url)


class MailSink:
    """An SMTP server that records the X-Relais-Message header of every message it accepts."""

    def __init__(self):
        self.host, self.port = "127.0.0.1", free_port()
        self.arrivals: list[str] = []
        self.slow_seconds = 0.0  # wait this long before answering DATA (the message is kept)
        self.data_started = threading.Event()
        self.in_data = 0
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.in_data += 1
        try:
            # Kept as soon as it is received, as a real MTA queues it before answering: a sender
            # killed while waiting for the answer never learns that its message went through.
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with self._lock:
                self.arrivals.append(str(message["X-Relais-Message"]))
            self.data_started.set()
            if self.slow_seconds:
                await asyncio.sleep(self.slow_seconds)
        finally:
            with self._lock:
                self.in_data -= 1
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def ids(self) -> list[int]:
        with self._lock:
            return [int(n) for value in self.arrivals for n in re.findall(r"\d+", value)]


def tally(rows: Iterable, arrivals: list[int]) -> dict:
    """sent: mails received; duplicated: mails beyond the first for one message; lost: rows that
    never reached the server, neither in their own mail nor in a digest that carried them."""
    counts = Counter(arrivals)
    rows = list(rows)
    lost = [
        row.id
        for row in rows
        if counts[row.id] == 0 and (row.merged_into_id is None or counts[row.merged_into_id] == 0)
    ]
    return {
        "messages": len(rows),
        "sent": len(arrivals),
        "duplicated": sum(count - 1 for count in counts.values() if count > 1),
        "lost": len(lost),
        "lost_ids": lost,
    }


def service_env(app, **extra: str) -> dict[str, str]:
    """The environment a worker, `rq cron` or `flask` subprocess needs to act as the test app."""
    cfg = app.config
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RELAIS_", "MAIL_", "RQ_", "FLASK_"))
        and key not in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY")
    }
    env.update(
        PYTHONUNBUFFERED="1",
        FLASK_APP="wsgi",
        RELAIS_ENV="development",
        DATABASE_URL=cfg["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=cfg["REDIS_URL"] or "",
        RELAIS_QUEUE=cfg["RQ_QUEUE"],
        RELAIS_INSTANCE_PATH=cfg["INSTANCE_PATH"],
        RELAIS_DEV_MAILBOX=cfg["DEV_MAILBOX_DIR"],
        RELAIS_BASE_URL=cfg["RELAIS_BASE_URL"],
        MAIL_SERVER=cfg["MAIL_SERVER"] or "",
        MAIL_PORT=str(cfg["MAIL_PORT"]),
        MAIL_TIMEOUT=str(cfg["MAIL_TIMEOUT"]),
        RELAIS_ARGON2_TIME_COST="1",
        RELAIS_ARGON2_MEMORY_KIB="8",
        RELAIS_ARGON2_PARALLELISM="1",
    )
    for key in FORWARDED:
        if cfg.get(key) is not None:
            env[key] = str(cfg[key])
    env.update(extra)
    return env


class Spawned:
    """A subprocess in a session of its own; its output goes to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def descendants(self) -> list[int]:
        """Every process below this one, RQ's work horses included (each in a group of its own)."""
        parents: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = [], [self.pid]
        while todo:
            children = parents.get(todo.pop(), [])
            found += children
            todo += children
        return found

    def kill_all(self) -> None:
        """SIGKILL to the process and everything below it, as when its machine goes down."""
        below = self.descendants()
        self.signal_group(signal.SIGKILL)
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
        if sig == signal.SIGKILL:
            self.kill_all()
        else:
            self.signal_group(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
            code = self.proc.wait(timeout=5)
        self._out.close()
        return code


def rq_worker(app, log: Path, *args: str, **env: str) -> Spawned:
    """`rq worker` as production runs it (docs/operations.md); settings from the environment."""
    command = [str(BIN / "rq"), "worker", "-w", "app.jobs.Worker", "--with-scheduler"]
    return Spawned(
        [*command, "--url", app.config["REDIS_URL"], *args, app.config["RQ_QUEUE"]],
        service_env(app, **env),
        log,
    )
