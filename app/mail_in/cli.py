"""`flask mail receive`: one message on standard input, as a mail server's pipe delivery hands it.

The exit code is what a mail server understands (sysexits.h):
0 the message is recorded (a comment, a bounce, ignored, to sort, or already received);
65 (EX_DATAERR) the input is not a mail message at all, the server returns it to its sender;
75 (EX_TEMPFAIL) the database cannot be reached, or anything unexpected: the server keeps the
message and delivers it again later (the ingestion records each message once).
"""

from __future__ import annotations

import logging
import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.mail_in.ingest import ingest, max_bytes

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75

log = logging.getLogger(__name__)

mail_cli = AppGroup("mail", help="Courrier reçu (réponses aux demandes, avis de non-remise).")


def looks_like_mail(raw: bytes) -> bool:
    """Some bytes with a header line first ("Name: value"): anything else is no mail."""
    first = raw.lstrip(b"\r\n").split(b"\n", 1)[0]
    name, colon, _ = first.partition(b":")
    return bool(colon) and bool(name) and not any(c in name for c in b" \t")


@mail_cli.command("receive")
def receive() -> None:
    """Lire un message sur l’entrée standard et le traiter (livraison par pipe)."""
    # One byte past the limit is enough to know the message is too large.
    raw = sys.stdin.buffer.read(max_bytes() + 1)
    if not looks_like_mail(raw):
        click.echo("Pas un message : entrée vide ou sans en-tête.", err=True)
        sys.exit(EX_DATAERR)
    try:
        received = ingest(raw)
    except Exception:
        # The database down, above all: the mail server tries again later.
        log.exception("Mail not received, the mail server will try again")
        db.session.rollback()
        click.echo("Échec temporaire : le message sera présenté à nouveau.", err=True)
        sys.exit(EX_TEMPFAIL)
    again = " (déjà reçu)" if received.duplicate else ""
    click.echo(f"{received.outcome} {received.reason} {received.key}{again}")
    sys.exit(EX_OK)
