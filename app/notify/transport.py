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
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.quoprimime import header_encode
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_mail import Connection, sanitize_address

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


# An encoded word, « =?utf-8?q?…?= », short enough for a line with « Subject: » before it.
WORD_LENGTH = 66


def encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 encoded words, every space inside one (« Delr=C3=A9e_ »).

    Whitespace between two encoded words is not part of the text: a space a folder puts
    between them, as Python's own folders do in front of « — » (« Delrée —Vidéo »), is lost."""
    words, piece = [], ""
    for char in text:
        if piece and len(header_encode((piece + char).encode(), "utf-8")) > WORD_LENGTH:
            words.append(header_encode(piece.encode(), "utf-8"))
            piece = ""
        piece += char
    if piece:
        words.append(header_encode(piece.encode(), "utf-8"))
    return words


class MailPolicy(EmailPolicy):
    """The modern policy (`email.policy.SMTP`: CRLF lines), with a subject that is not ASCII
    written as encoded words that each carry their spaces (see `encoded_words`)."""

    def fold(self, name, value):
        if name.lower() == "subject" and not str(value).isascii():
            return f"{name}: " + f"{self.linesep} ".join(encoded_words(str(value))) + self.linesep
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() == "subject" and not str(value).isascii():
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = MailPolicy(linesep="\r\n")


def _address(value: str | tuple[str, str]) -> str:
    """An address as it may go into a header (an IDNA domain, an encoded name); a line break
    in it (a header injected through a stored value) is refused."""
    if any("\r" in part or "\n" in part for part in ([value] if isinstance(value, str) else value)):
        raise ValueError("retour à la ligne dans une adresse")
    return sanitize_address(value)


def build(message: OutboxMessage | Outgoing) -> EmailMessage:
    """The message as the standard library's modern API builds it (MailPolicy).

    Flask-Mail's Message, and the standard library's folders too, may fold an accented subject
    between two encoded words and so drop a space (« Delrée —Vidéoprojecteur »): the subject
    is encoded by MailPolicy. A header value with a line break raises ValueError here
    (`encode` makes it a permanent failure)."""
    msg = EmailMessage(policy=POLICY)
    # One line whatever the subject was built from: a summary stored with a line break
    # (before the input layer, or by a script) would otherwise fail every mail about it.
    msg["Subject"] = clean_text(message.subject or "", multiline=False)
    msg["From"] = _address(current_app.config["MAIL_DEFAULT_SENDER"])
    msg["To"] = _address(message.recipient)
    if message.reply_to:
        msg["Reply-To"] = _address(message.reply_to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message.message_id or make_msgid(domain="relais")
    if message.thread_id and message.thread_id != message.message_id:
        # Mail clients group a ticket's mails under its first one.
        msg["In-Reply-To"] = message.thread_id
        msg["References"] = message.thread_id
    msg["X-Relais-Message"] = str(message.id)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(message.body_text or "")
    if message.body_html:
        msg.add_alternative(message.body_html, subtype="html")
    if message.calendar:
        # Calendar apps read the method from the part's content type (RFC 6047).
        method = message.calendar_method or "REQUEST"
        msg.add_attachment(
            message.calendar.encode(),
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "UTF-8"},
            filename="invitation.ics" if method != "CANCEL" else "annulation.ics",
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
        return msg["From"].addresses[0].addr_spec, [msg["To"].addresses[0].addr_spec], bytes(msg)
    except (IndexError, MessageError, UnicodeError, ValueError) as exc:
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
