"""What makes Relais's ticket mails a thread, and a reply to them recognisable.

- Every queued message gets its own Message-ID (`<…@RELAIS_MAIL_DOMAIN>`), kept in its outbox
  row; the messages about a ticket point at the ticket's first one (`In-Reply-To`,
  `References`), so that mail clients group them.
- Their Reply-To is the EN team's address (RELAIS_REPLY_TO) plus-addressed for the ticket and
  the recipient: `support+t123.k3m9q2x7ab@relais.example`. The signature is an HMAC of the
  ticket and the recipient's address with the app's secret, in lower-case base32, so that a
  mail server or client that changes the case of the address does not break it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.utils import make_msgid, parseaddr

from flask import current_app

SIGNATURE_LENGTH = 12  # base32 characters: 60 bits
_TAG = re.compile(rf"^t(\d{{1,12}})\.([a-z2-7]{{{SIGNATURE_LENGTH}}})$")


def mail_domain() -> str:
    """RELAIS_MAIL_DOMAIN, else the domain of the sender's address."""
    domain = current_app.config.get("RELAIS_MAIL_DOMAIN")
    if domain:
        return domain
    _, address = parseaddr(str(current_app.config.get("MAIL_DEFAULT_SENDER") or ""))
    return address.rpartition("@")[2] or "relais.localhost"


def new_message_id() -> str:
    return make_msgid(idstring="relais", domain=mail_domain())


def _signature(ticket_id: int, recipient: str) -> str:
    key = hashlib.sha256(b"relais-reply-address:" + current_app.secret_key.encode()).digest()
    text = f"{ticket_id}:{recipient.strip().lower()}".encode()
    digest = hmac.new(key, text, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:SIGNATURE_LENGTH]


def _base_address() -> tuple[str, str] | None:
    _, address = parseaddr(current_app.config.get("RELAIS_REPLY_TO") or "")
    local, at, domain = address.partition("@")
    if not at or not local or not domain:
        return None
    return local, domain


def reply_address(ticket_id: int, recipient: str) -> str | None:
    """The signed Reply-To of a mail about `ticket_id` to `recipient`; None without
    RELAIS_REPLY_TO."""
    base = _base_address()
    if base is None:
        return None
    local, domain = base
    return f"{local}+t{ticket_id}.{_signature(ticket_id, recipient)}@{domain}"


def ticket_of_reply_address(address: str, sender: str) -> int | None:
    """The ticket a plus-address of ours names, when its signature is the one Relais made for
    that ticket and `sender`: an address forwarded and used by someone else names nothing (the
    ingestion then needs that person to be one of the ticket's people)."""
    base = _base_address()
    if base is None:
        return None
    local, _, domain = address.strip().lower().partition("@")
    prefix = base[0].lower() + "+"
    if domain != base[1].lower() or not local.startswith(prefix):
        return None
    match = _TAG.match(local[len(prefix) :])
    if match is None:
        return None
    ticket_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _signature(ticket_id, sender)):
        return None
    return ticket_id
