"""Reading one received message, with no database: who sent it, whether a machine wrote it, what
it refers to, and the new text a person typed (quoted history and signature removed).

The standard library's parser with its modern policy (`email.policy.default`) reads the bytes;
the charsets a message names (windows-1252, ISO-8859-15…) are decoded by it. A reply's new text
is cut by `mail-parser-reply` (French, German and English reply headers: « Le … a écrit : »,
« De : … Envoyé : … », « Am … schrieb … »), then at the separators it does not know.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

MAX_TEXT = 20_000  # characters of a comment made from a reply

_REFERENCE = re.compile(r"\[([A-Z][A-Z0-9]{1,9}-\d{1,9})\]")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}@[^<>\s]{1,250}>")
# Automatic answers named by their subject, when their headers say nothing.
_AUTO_SUBJECT = re.compile(
    r"^\s*(réponse automatique|absence du bureau|absent(e)? du bureau|abwesenheitsnotiz|"
    r"automatische antwort|abwesend|automatic reply|auto[- ]?reply|autoreply|out of (the )?office)",
    re.IGNORECASE,
)
_ROBOTS = ("mailer-daemon", "postmaster")
# Separators before a quoted message that the reply parser leaves in place.
_ORIGINAL = re.compile(
    r"^\s*(-{2,}\s*(message d.origine|original message|ursprüngliche nachricht|"
    r"message transféré|forwarded message|weitergeleitete nachricht)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_REPLY_PARSER = EmailReplyParser(languages=["fr", "de", "en"])


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def digest_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def header(message: Message, name: str) -> str:
    """A header as text, "" when absent or unreadable (a malformed header is not an error)."""
    try:
        value = message.get(name)
    except Exception:  # the parser raises many kinds on hostile headers
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _addresses(message: Message, *names: str) -> list[str]:
    found = []
    for name in names:
        try:
            values = [str(value) for value in message.get_all(name) or []]
        except Exception:  # a hostile header: read the others  # noqa: S112
            continue
        for _, address in getaddresses(values):
            if "@" in address:
                found.append(address.strip().lower())
    return found


@dataclass
class Facts:
    """What the ingestion needs from a message."""

    key: str
    sender: str  # lower case; "" for the null sender
    sender_name: str
    subject: str
    recipients: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject_reference: str | None = None
    machine: str | None = None  # why a machine wrote it: "auto_reply", "list", "null_sender"
    bounce: bool = False


def read(message: EmailMessage, raw: bytes) -> Facts:
    message_id = header(message, "Message-ID")
    match = _MESSAGE_ID.search(message_id)
    key = match.group(0) if match else digest_key(raw)
    name, sender = parseaddr(header(message, "From"))
    sender = sender.strip().lower() if "@" in sender else ""
    subject = header(message, "Subject")[:255]
    reference = _REFERENCE.search(subject)
    return Facts(
        key=key,
        sender=sender,
        sender_name=name.strip(),
        subject=subject,
        recipients=_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"),
        references=_MESSAGE_ID.findall(
            header(message, "In-Reply-To") + " " + header(message, "References")
        ),
        subject_reference=reference.group(1) if reference else None,
        machine=_machine(message, subject),
        bounce=is_bounce(message, sender),
    )


def headers_only(raw: bytes) -> Facts:
    """The facts of a message too large to read whole: its headers only."""
    headers = HeaderParser().parsestr(raw[:65536].decode("latin-1"))
    match = _MESSAGE_ID.search(header(headers, "Message-ID"))
    name, sender = parseaddr(header(headers, "From"))
    return Facts(
        key=match.group(0) if match else digest_key(raw),
        sender=sender.strip().lower() if "@" in sender else "",
        sender_name=name.strip(),
        subject=header(headers, "Subject")[:255],
    )


def is_bounce(message: Message, sender: str) -> bool:
    """A delivery-status report (RFC 3464), or a mail server's own notice."""
    if message.get_content_type() == "multipart/report":
        return True
    return sender.partition("@")[0] in _ROBOTS


def _machine(message: Message, subject: str) -> str | None:
    auto = header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto_reply"
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return "auto_reply"
    if header(message, "X-Auto-Response-Suppress").lower() in ("all", "oof", "autoreply"):
        return "auto_reply"
    precedence = header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        return "auto_reply"
    if precedence == "list" or header(message, "List-Id") or header(message, "List-Unsubscribe"):
        return "list"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply"
    if header(message, "Return-Path").strip() == "<>":
        return "null_sender"  # the envelope's null sender: a machine's own notice
    return None


# ------------------------------------------------------------------ delivery reports


@dataclass
class Report:
    """What a delivery-status report says: the Message-IDs it names, whether delivery failed
    for good, and the server's words."""

    message_ids: list[str]
    failed: bool
    reason: str


def report(message: EmailMessage) -> Report:
    ids: list[str] = []
    actions, diagnostics = [], []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for group in part.get_payload() or []:
                if not isinstance(group, Message):
                    continue
                actions.append(header(group, "Action").lower())
                status = header(group, "Status")
                diagnostic = header(group, "Diagnostic-Code")
                recipient = header(group, "Final-Recipient")
                if status or diagnostic:
                    diagnostics.append(" ".join(x for x in (recipient, status, diagnostic) if x))
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                ids += _MESSAGE_ID.findall(header(inner[0], "Message-ID"))
        elif kind == "text/rfc822-headers":
            headers = HeaderParser().parsestr(_text_of(part))
            ids += _MESSAGE_ID.findall(header(headers, "Message-ID"))
    if not ids:
        # A server's plain notice: the Message-IDs quoted anywhere in its text.
        ids = _MESSAGE_ID.findall(body_text(message))
    # « delayed » or « relayed » is not a failure; a plain notice from MAILER-DAEMON is.
    failed = not actions or any(action == "failed" for action in actions)
    return Report(message_ids=ids, failed=failed, reason="; ".join(diagnostics)[:1000])


# ------------------------------------------------------------------ the text


class _Text(HTMLParser):
    """An HTML body reduced to its text: no tag, script or style survives."""

    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}
    )

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self.skip:
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_of(part: Message) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AttributeError, KeyError):
        # An unknown or lying charset: the bytes as UTF-8, what cannot be read replaced.
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace")
    return text if isinstance(text, str) else ""


def body_text(message: EmailMessage) -> str:
    """The plain-text body, else the HTML one reduced to safe text."""
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a broken structure reads as no body
        body = None
    if body is None:
        return ""
    text = _text_of(body)
    if body.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def new_text(message: EmailMessage) -> str:
    """What the person wrote in this reply: no quoted history, no signature."""
    text = body_text(message)
    if not text.strip():
        return ""
    reply = _REPLY_PARSER.parse_reply(text=text) or ""
    for pattern in (_ORIGINAL, _SIGNATURE):
        found = pattern.search(reply)
        if found:
            reply = reply[: found.start()]
    lines = [line for line in reply.splitlines() if not line.startswith(">")]
    return "\n".join(lines).strip()[:MAX_TEXT]


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """The files sent along (name, bytes); images inline in an HTML signature are left out."""
    files = []
    for part in message.iter_attachments():
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        if part.get_content_disposition() != "attachment" and part.get("Content-ID"):
            continue
        payload = part.get_payload(decode=True)
        if payload:
            files.append((part.get_filename() or "piece-jointe", payload))
    return files
