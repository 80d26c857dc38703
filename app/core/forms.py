"""Form pieces every area shares."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A one-button POST (logout, deactivate…): only the CSRF token."""


def safe_next(target: str | None) -> str | None:
    """Accept `next` only as a local path: no scheme, no host, no protocol-relative trick."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
