"""The IMAP poller: each message of the mailbox's folder, handed to the one ingestion, then moved
to the « traités » folder — only after the ingestion committed.

A crash, a dropped connection or a database down between the commit and the move leaves the
message in the folder: the next poll hands it again, the ingestion finds it recorded (its
Message-ID, or the digest of its bytes) and changes nothing, and the move happens then. Run by the
periodic-work registry (app.scheduling.registry), so by `rq cron` in production and by the
ticker in the embedded mode; without RELAIS_IMAP_HOST it does nothing.
"""

from __future__ import annotations

import logging
import ssl
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from app.extensions import db
from app.jobs import job_context
from app.mail_in.ingest import ingest

log = logging.getLogger(__name__)

TLS_MODES = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    tls: str
    user: str
    password: str
    folder: str
    done_folder: str
    batch: int
    timeout: float


def settings() -> MailboxSettings | None:
    cfg = current_app.config
    if not cfg.get("RELAIS_IMAP_HOST"):
        return None
    tls = (cfg.get("RELAIS_IMAP_TLS") or "ssl").lower()
    return MailboxSettings(
        host=cfg["RELAIS_IMAP_HOST"],
        port=int(cfg.get("RELAIS_IMAP_PORT") or (993 if tls == "ssl" else 143)),
        tls=tls if tls in TLS_MODES else "ssl",
        user=cfg.get("RELAIS_IMAP_USER") or "",
        password=cfg.get("RELAIS_IMAP_PASSWORD") or "",
        folder=cfg.get("RELAIS_IMAP_FOLDER") or "INBOX",
        done_folder=cfg.get("RELAIS_IMAP_DONE_FOLDER") or "Traités",
        batch=int(cfg.get("RELAIS_IMAP_BATCH") or 100),
        timeout=float(cfg.get("RELAIS_IMAP_TIMEOUT") or 30),
    )


def _connect(mailbox: MailboxSettings) -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.host,
        port=mailbox.port,
        ssl=mailbox.tls == "ssl",
        ssl_context=context,
        timeout=mailbox.timeout,
    )
    if mailbox.tls == "starttls":
        client.starttls(context)
    client.login(mailbox.user, mailbox.password)
    return client


def _move(client: IMAPClient, uid: int, folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
    else:
        client.copy([uid], folder)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()


def poll_mailbox() -> dict:
    """Ingest the folder's messages (at most RELAIS_IMAP_BATCH); counts by outcome, with the
    duplicates (received before) and those left for the next poll."""
    with job_context():
        mailbox = settings()
        if mailbox is None:
            return {}  # no mailbox configured (mail may come by `flask mail receive`)
        counts: Counter = Counter()
        client = _connect(mailbox)
        try:
            if not client.folder_exists(mailbox.done_folder):
                client.create_folder(mailbox.done_folder)
            client.select_folder(mailbox.folder)
            for uid in client.search("ALL")[: mailbox.batch]:
                fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
                if not fetched or b"BODY[]" not in fetched:
                    continue  # expunged meanwhile by another client
                try:
                    received = ingest(fetched[b"BODY[]"])
                except Exception:
                    # The database, most likely: the message stays for the next poll.
                    db.session.rollback()
                    log.exception("Mail %s left in %s for the next poll", uid, mailbox.folder)
                    counts["left"] += 1
                    break
                # Committed: only now may the message leave the folder.
                _move(client, uid, mailbox.done_folder)
                counts["duplicate" if received.duplicate else received.outcome] += 1
        finally:
            try:
                client.logout()
            except (OSError, IMAPClientError):
                client.shutdown()
        return dict(counts)
