"""Real-looking received mail, built around a message Relais really sent (caught by the test SMTP
server): replies from the usual clients, automatic answers, delivery reports."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.utils import format_datetime

from PIL import Image

from tests.support.tickets import NOW


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def header(message, name: str) -> str:
    value = message[name]
    return str(value).strip() if value is not None else ""


def reply_address(sent) -> str:
    return sent["Reply-To"].addresses[0].addr_spec


GMAIL_FR = """{text}

Le mar. 3 mars 2026 à 09:00, Relais <noreply@relais.example.com> a écrit :
> Bonjour Claire,
> Une question au sujet de votre demande.
"""

OUTLOOK_FR = """{text}

Claire Dumont
École communale de Namur

-----Message d'origine-----
De : Relais <noreply@relais.example.com>
Envoyé : mardi 3 mars 2026 09:00
À : Claire Dumont <claire@ecole.example.com>
Objet : [TECH-1] Question

Une question au sujet de votre demande.
"""

GERMAN = """{text}

Am Di., 3. März 2026 um 09:00 Uhr schrieb Relais <noreply@relais.example.com>:
> Guten Tag,
> eine Frage zu Ihrer Anfrage.
"""


def reply(
    sent,
    sender: str,
    text: str,
    *,
    template: str = GMAIL_FR,
    to: str | None = None,
    threaded: bool = True,
    subject: str | None = None,
    message_id: str | None = "<reply-1@ecole.example.com>",
    charset: str = "utf-8",
    extra: dict | None = None,
    files: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A reply to `sent`, from `sender`, to its Reply-To (or `to`)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to or reply_address(sent)
    message["Subject"] = subject if subject is not None else "RE: " + header(sent, "Subject")
    message["Date"] = format_datetime(NOW)
    if message_id:
        message["Message-ID"] = message_id
    if threaded:
        message["In-Reply-To"] = header(sent, "Message-ID")
        message["References"] = header(sent, "Message-ID")
    for name, value in (extra or {}).items():
        message[name] = value
    message.set_content(template.format(text=text), charset=charset)
    for filename, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def html_only(sent, sender: str, html: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = reply_address(sent)
    message["Subject"] = "RE: " + header(sent, "Subject")
    message["Message-ID"] = "<html-1@ecole.example.com>"
    message.set_content(html, subtype="html")
    return message.as_bytes()


def delivery_report(sent, *, action: str = "failed", message_id="<dsn-1@mx.example.com>") -> bytes:
    """A DSN (RFC 3464) as Postfix writes it, for `sent`."""
    recipient = sent["To"].addresses[0].addr_spec
    return (
        f"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        f"To: noreply@relais.example.com\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {message_id}\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        f"\r\n"
        f"--B\r\n"
        f"Content-Type: text/plain\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"--B\r\n"
        f"Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        f"--B\r\n"
        f"Content-Type: text/rfc822-headers\r\n\r\n"
        f"From: noreply@relais.example.com\r\n"
        f"To: {recipient}\r\n"
        f"Subject: {header(sent, 'Subject').encode('ascii', 'replace').decode()}\r\n"
        f"Message-ID: {header(sent, 'Message-ID')}\r\n"
        f"--B--\r\n"
    ).encode()


SECRET_KEY = "test-secret-key-that-is-long-enough-123"


def mail_settings(smtp_server) -> dict:
    """The settings of an app whose mails reach `smtp_server` at once, answerable."""
    return {
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        "RELAIS_DIGEST_SECONDS": 0,
        "RELAIS_REPLY_TO": "Équipe EN <support@relais.example.com>",
        "RELAIS_MAIL_DOMAIN": "relais.example.com",
    }


def sent_to(smtp_server, address: str, *, last: bool = True):
    """The message Relais sent to `address` (the latest one by default)."""
    found = [m["message"] for m in smtp_server.messages if address in m["to"]]
    assert found, f"no mail to {address}"
    return found[-1] if last else found[0]
