"""Helpers for the account tests (invitations, reset, profile, administration)."""

from __future__ import annotations

import re

from flask import Flask

from app.devmail import mailbox
from tests.support.environment import drain_queue

# The account pages' own limits, set high (conftest does too) for tests that are not about them.
RELAXED_LIMITS = {
    "SIGNUP_RATE_LIMIT": "1000 per minute",
    "PASSWORD_RESET_RATE_LIMIT": "1000 per minute",
    "PASSWORD_RESET_ACCOUNT_RATE_LIMIT": "1000 per minute",
    "PASSWORD_METER_RATE_LIMIT": "1000 per minute",
    "PASSWORD_CHANGE_RATE_LIMIT": "1000 per minute",
}

LINK = re.compile(r"https?://[^\s\"<>]+")


def run_queued_jobs(app: Flask) -> None:
    drain_queue(app)


def links(text: str) -> list[str]:
    return LINK.findall(text)


def path_of(url: str) -> str:
    """The local path of an absolute link from a mail (RELAIS_BASE_URL is http://relais.test)."""
    return re.sub(r"^https?://[^/]+", "", url)


def dev_mails(app: Flask, kind_subject: str | None = None) -> list:
    run_queued_jobs(app)
    found = mailbox.messages()
    if kind_subject:
        found = [m for m in found if kind_subject in m.subject]
    return found


def mail_link(message, path_prefix: str) -> str:
    """The first link in the text part whose path starts with `path_prefix`."""
    for url in links(message.part("plain") or ""):
        if path_of(url).startswith(path_prefix):
            return path_of(url)
    raise AssertionError(f"no {path_prefix} link in the mail")
