"""Where attachment bytes live: a small storage interface, a local folder by default.

The database keeps the metadata (app.models.Attachment); the bytes are stored under a generated
key that says nothing of the file. The default is a folder under the instance path (never under
static/, so nothing is served without the permission checks of app.tickets.views.files). When
several application servers share the load, an object store replaces it: set the config value
ATTACHMENTS_STORAGE to a Storage instance, or to a callable taking the app and returning one.

Both settings of the attachments are read here, once: `settings()`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from flask import current_app

DEFAULT_MAX_MB = 10
EXTENSION_KEY = "relais.attachments.storage"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,80}$")


@dataclass(frozen=True)
class AttachmentSettings:
    folder: Path  # ATTACHMENTS_DIR (env RELAIS_ATTACHMENTS_DIR), default instance/attachments
    max_mb: int  # ATTACHMENT_MAX_MB (env RELAIS_ATTACHMENT_MAX_MB), default 10

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024


def settings() -> AttachmentSettings:
    """The attachment settings of the current app (the one place that reads them)."""
    config = current_app.config
    folder = config.get("ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments"
    return AttachmentSettings(
        folder=Path(folder), max_mb=int(config.get("ATTACHMENT_MAX_MB", DEFAULT_MAX_MB))
    )


class StorageKeyError(ValueError):
    """A key that the storage never hands out (a path trick, an empty string…)."""


@runtime_checkable
class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (a new key: existing content is never overwritten)."""

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of what `key` holds; FileNotFoundError when missing."""

    def delete(self, key: str) -> None:
        """Forget `key`; nothing happens when it is already gone."""


def new_key() -> str:
    """A random key (192 bits), URL- and file-name-safe: never derived from the user's name."""
    return secrets.token_urlsafe(24)


class LocalStorage:
    """Files in a folder, spread over sub-folders by the key's first two characters."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.match(key):
            raise StorageKeyError(key)
        return self.folder / key[:2] / key

    def save(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target, then moved into place: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if target.exists():
                raise FileExistsError(key)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    def __repr__(self) -> str:
        return f"<LocalStorage {self.folder}>"


def get_storage() -> Storage:
    """The current app's storage: ATTACHMENTS_STORAGE if set, else the local folder."""
    app = current_app._get_current_object()
    storage = app.extensions.get(EXTENSION_KEY)
    if storage is None:
        configured = app.config.get("ATTACHMENTS_STORAGE")
        if configured is None:
            storage = LocalStorage(settings().folder)
        elif isinstance(configured, Storage):
            storage = configured
        else:
            storage = configured(app)
        app.extensions[EXTENSION_KEY] = storage
    return storage
