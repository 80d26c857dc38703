"""The dev mailbox: with no SMTP server configured, each message is kept as an .eml file.

Files rather than a table: the mailbox is a development aid, not part of the schema, and any
process (web, job runner) on the machine can write to it.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def _folder() -> Path:
    folder = Path(current_app.config["DEV_MAILBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


KEY = re.compile(r"[0-9]{8}T[0-9]{12}-[0-9a-f]{12}")  # store()'s names: arrival time, 12 hex


def store(raw: bytes) -> str:
    """Keep one message; the name sorts by arrival and cannot be guessed or traversed."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    key = f"{stamp}-{uuid.uuid4().hex[:12]}"
    tmp = _folder() / f".{key}.tmp"
    tmp.write_bytes(raw)
    os.replace(tmp, _folder() / f"{key}.eml")  # atomic: a reader never sees half a message
    return key


@dataclass
class StoredMessage:
    key: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def recipients(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", ""))

    @property
    def received_at(self) -> datetime:
        return datetime.strptime(self.key.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else None


def _parse(path: Path) -> StoredMessage:
    with path.open("rb") as fh:
        message = email.message_from_binary_file(fh, policy=email.policy.default)
    return StoredMessage(key=path.stem, message=message)  # type: ignore[arg-type]


def messages(limit: int = 200) -> list[StoredMessage]:
    """Newest first."""
    paths = sorted(_folder().glob("*.eml"), reverse=True)[:limit]
    return [_parse(p) for p in paths]


def get(key: str) -> StoredMessage | None:
    # Only the shape store() makes: nothing else reaches the file system (a path trick, or a
    # name too long for it).
    if not KEY.fullmatch(key or ""):
        return None
    path = _folder() / f"{key}.eml"
    return _parse(path) if path.is_file() else None


def clear() -> int:
    count = 0
    for path in _folder().glob("*.eml"):
        path.unlink(missing_ok=True)
        count += 1
    return count
