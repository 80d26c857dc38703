"""Handing one message to the SMTP server, or to the dev mailbox when none is configured."""

from __future__ import annotations

import smtplib

from flask import current_app
from flask_mail import Connection, Message

from app.models import OutboxMessage


class PermanentFailure(Exception):
    """The server refused the message for good (unknown address, bad header): no retry."""


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


def build(message: OutboxMessage) -> Message:
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=message.reply_to,
    )
    msg.extra_headers = {"X-Relais-Message": str(message.id), "Auto-Submitted": "auto-generated"}
    if message.calendar:
        # Calendar apps read the method from the part's content type (RFC 6047).
        method = message.calendar_method or "REQUEST"
        msg.attach(
            "invitation.ics" if method != "CANCEL" else "annulation.ics",
            f"text/calendar; method={method}; charset=UTF-8",
            message.calendar.encode(),
        )
    return msg


def deliver(message: OutboxMessage) -> None:
    msg = build(message)
    if not current_app.config.get("MAIL_SERVER"):
        from app.devmail.mailbox import store

        store(msg.as_bytes())
        return
    connection = _TimedConnection(current_app.extensions["mail"])
    try:
        with connection:
            refused = connection.host.sendmail(
                msg.sender, msg.send_to, msg.as_bytes(), msg.mail_options, msg.rcpt_options
            )
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"Adresse refusée : {exc.recipients}") from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    # sendmail() only raises when every recipient is refused: check the partial refusals too.
    if refused:
        raise PermanentFailure(f"Adresse refusée : {refused}")
