"""Handing one message to the SMTP server, or to the dev mailbox when none is configured.

`deliver` raises PermanentFailure when trying again cannot help: the server refused the address
or the message with a 5xx answer, or the message cannot be built (a newline in a header, an
address that cannot be encoded). Anything else it raises (server down, timeout, a 4xx answer,
authentication) is transient: the message is tried again later.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.errors import MessageError

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message, sanitize_address, sanitize_addresses

from app.core.input import clean_text
from app.devmail.mailbox import store
from app.models import OutboxMessage


class PermanentFailure(Exception):
    """The server refused the message for good (unknown address, bad header): no retry."""


@dataclass
class Outgoing:
    """A message composed at send time (the digest), with the fields `build` reads."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None = None
    reply_to: str | None = None
    calendar: str | None = None
    calendar_method: str | None = None
    message_id: str | None = None
    thread_id: str | None = None


def _permanent_codes(refused: dict) -> bool:
    """True when every refusal is a 5xx answer (a 4xx one, greylisting say, may pass later)."""
    return all(500 <= code < 600 for code, _ in refused.values())


class _TimedConnection(Connection):
    # Flask-Mail 0.10 opens SMTP without a timeout: a stalled server would hang a worker forever.
    def configure_host(self):
        cfg = current_app.config
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=cfg["MAIL_TIMEOUT"])
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def build(message: OutboxMessage | Outgoing) -> Message:
    msg = Message(
        # One line whatever the subject was built from: a summary stored with a line break
        # (before the input layer, or by a script) would otherwise fail every mail about it.
        subject=clean_text(message.subject or "", multiline=False),
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=message.reply_to,
    )
    msg.extra_headers = {"X-Relais-Message": str(message.id), "Auto-Submitted": "auto-generated"}
    if message.message_id:
        msg.msgId = message.message_id
    if message.thread_id and message.thread_id != message.message_id:
        # Mail clients group a ticket's mails under its first one.
        msg.extra_headers["In-Reply-To"] = message.thread_id
        msg.extra_headers["References"] = message.thread_id
    if message.calendar:
        # Calendar apps read the method from the part's content type (RFC 6047).
        method = message.calendar_method or "REQUEST"
        msg.attach(
            "invitation.ics" if method != "CANCEL" else "annulation.ics",
            f"text/calendar; method={method}; charset=UTF-8",
            message.calendar.encode(),
        )
    return msg


def _close(host: smtplib.SMTP) -> None:
    # A failing QUIT must not hide what the server answered to the message itself.
    try:
        host.quit()
    except (smtplib.SMTPException, OSError):
        host.close()


def encode(message: OutboxMessage | Outgoing) -> tuple[str, list[str], bytes]:
    """Envelope sender, recipients and bytes; PermanentFailure when the message cannot be built."""
    try:
        msg = build(message)
        if msg.has_bad_headers():
            raise BadHeaderError("retour à la ligne dans un en-tête")
        return sanitize_address(msg.sender), sanitize_addresses(msg.send_to), msg.as_bytes()
    except (BadHeaderError, MessageError, UnicodeError, ValueError) as exc:
        raise PermanentFailure(f"Message impossible à construire : {exc!r}") from exc


def deliver(message: OutboxMessage | Outgoing) -> None:
    sender, recipients, raw = encode(message)
    if not current_app.config.get("MAIL_SERVER"):
        store(raw)
        return
    try:
        host = _TimedConnection(current_app.extensions["mail"]).configure_host()
        try:
            refused = host.sendmail(sender, recipients, raw)
        finally:
            _close(host)
    except smtplib.SMTPRecipientsRefused as exc:
        if _permanent_codes(exc.recipients):
            raise PermanentFailure(_refusal(exc.recipients)) from exc
        raise
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(
                f"Refusé par le serveur : {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        raise
    except (smtplib.SMTPNotSupportedError, UnicodeError) as exc:
        # An address the server cannot take (non-ASCII without SMTPUTF8).
        raise PermanentFailure(f"Adresse impossible à transmettre : {exc!r}") from exc
    # sendmail() only raises when every recipient is refused: check the partial refusals too.
    if refused:
        if _permanent_codes(refused):
            raise PermanentFailure(_refusal(refused))
        raise smtplib.SMTPRecipientsRefused(refused)


def _text(answer) -> str:
    if isinstance(answer, bytes):
        return answer.decode("utf-8", "replace")
    return str(answer)


def _refusal(refused: dict) -> str:
    """« Adresse refusée : x@y (550 Mailbox unavailable) », readable on the admin page."""
    parts = [f"{address} ({code} {_text(answer)})" for address, (code, answer) in refused.items()]
    return "Adresse refusée : " + "; ".join(parts)
