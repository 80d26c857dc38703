"""The outbox as people read it: the admins' list of messages, and a ticket's « Notifications ».

Plain functions over the database (no request): the views in app/admin/outbox.py and the ticket
page call them.

- The admins' list reads newest first, 50 rows at a time, through the (status, created_at)
  index: each status is read as its own index range, limited to one page, and the ranges are
  merged (UNION ALL) — a million sent messages cost no more than a hundred. Pages go by keyset
  (« plus anciens » / « plus récents » than a message id), never by a growing OFFSET.
- Counts per status stop at COUNT_CAP (« 10 000+ »): the page never counts a million rows.
- `resend` puts failed (or stuck) messages back to pending and hands them to the send job.
- `messages_for_ticket` is « who was notified of what, when » for one ticket, filtered for the
  person looking, in one statement.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, false, func, literal, or_, select, true, union_all
from sqlalchemy.orm import aliased, load_only

from app.auth.errors import PermissionDenied
from app.auth.roles import EN_STAFF
from app.core.input import parse_id
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, Role, Supplier, Ticket, TicketEvent, User
from app.models.types import utcnow
from app.notify.outbox import dispatch

log = logging.getLogger(__name__)

PER_PAGE = 50
COUNT_CAP = 10_000
# The most messages one « Renvoyer » may touch (a page's worth, and some margin).
RESEND_MAX = 200
# A ticket's « Notifications » shows at most its latest messages.
TICKET_LIMIT = 200
# Minutes after which a message still pending (or sending) counts as stuck, and may be resent.
STUCK_MINUTES_DEFAULT = 15

M = OutboxMessage
STATUSES = (OutboxStatus.FAILED, OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)

# The tabs of the page: key in the address → the statuses they show (None: every status).
TABS: dict[str, tuple[str, ...]] = {
    "echecs": (OutboxStatus.FAILED,),
    "attente": (OutboxStatus.PENDING, OutboxStatus.SENDING),
    "envoyes": (OutboxStatus.SENT,),
    "tous": STATUSES,
}

_MESSAGE_ID = re.compile(r"^#\s*([0-9]{1,12})$")
_REFERENCE = re.compile(r"^[A-Za-z]{2,10}-[0-9]{1,9}$")


def stuck_minutes() -> int:
    """RELAIS_OUTBOX_STUCK_MINUTES of the app's config (app.config reads the environment)."""
    value = current_app.config.get("RELAIS_OUTBOX_STUCK_MINUTES")
    return max(1, int(value if value not in (None, "") else STUCK_MINUTES_DEFAULT))


# ------------------------------------------------------------------ the admins' list


@dataclass(frozen=True)
class OutboxFilter:
    """What the list shows: a tab, a search, and where in the list (keyset)."""

    tab: str = "tous"
    q: str = ""
    before: int | None = None  # rows older than this message
    after: int | None = None  # rows newer than this message (going back towards the newest)
    explicit_tab: bool = False  # the tab was asked for (otherwise: the default one)

    def url_args(self, **changes) -> dict:
        """The address's arguments: the tab, the search, the page; empty values left out."""
        values = {"statut": self.tab, "q": self.q, "avant": self.before, "apres": self.after}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}

    @property
    def statuses(self) -> tuple[str, ...]:
        return TABS[self.tab]


def parse_filter(args: Mapping, *, has_failures: bool) -> OutboxFilter:
    """The filter from the address; the default tab is « Échecs » when there are any."""
    tab = str(args.get("statut") or "")
    explicit = tab in TABS
    if not explicit:
        tab = "echecs" if has_failures else "tous"
    q = " ".join(str(args.get("q") or "").split())[:120]
    before = parse_id(args.get("avant"))
    after = None if before else parse_id(args.get("apres"))
    return OutboxFilter(tab=tab, q=q, before=before, after=after, explicit_tab=explicit)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_condition(q: str):
    """« #123 »: that message; « TECH-175 »: that ticket's messages; else part of the address."""
    q = q.strip()
    if not q:
        return true()
    match = _MESSAGE_ID.match(q)
    if match:
        number = parse_id(match.group(1))
        return M.id == number if number else false()
    if _REFERENCE.match(q):
        ticket_id = select(Ticket.id).where(Ticket.reference == q.upper()).scalar_subquery()
        return M.ticket_id == ticket_id
    # Addresses are stored in lower case (app.notify.outbox): a plain LIKE, no ILIKE.
    return M.recipient.like(_like(q.lower()), escape="\\")


@dataclass
class OutboxRow:
    message: OutboxMessage
    reference: str | None
    user_name: str | None
    stuck: bool = False

    @property
    def resendable(self) -> bool:
        return self.message.status == OutboxStatus.FAILED or self.stuck


@dataclass
class OutboxPage:
    rows: list[OutboxRow]
    has_older: bool
    has_newer: bool

    @property
    def oldest_id(self) -> int | None:
        return self.rows[-1].message.id if self.rows else None

    @property
    def newest_id(self) -> int | None:
        return self.rows[0].message.id if self.rows else None

    @property
    def failed_ids(self) -> list[int]:
        return [r.message.id for r in self.rows if r.message.status == OutboxStatus.FAILED]


def _keyset(cursor_id: int, *, older: bool):
    """Rows before (older) or after (newer) the message `cursor_id` in (created_at, id) order.

    Written as `created_at <= c AND (created_at < c OR id < i)`: the first half is a range of the
    (status, created_at) index, which a row comparison would not be on every database.
    """
    cursor = aliased(M)
    at = select(cursor.created_at).where(cursor.id == cursor_id).scalar_subquery()
    if older:
        return and_(M.created_at <= at, or_(M.created_at < at, M.id < cursor_id))
    return and_(M.created_at >= at, or_(M.created_at > at, M.id > cursor_id))


def list_messages(
    f: OutboxFilter, *, per_page: int = PER_PAGE, now: datetime | None = None
) -> OutboxPage:
    """One page of the list, newest first, in one statement."""
    now = now or utcnow()
    ascending = f.after is not None
    conditions = [search_condition(f.q)]
    if f.before is not None:
        conditions.append(_keyset(f.before, older=True))
    elif f.after is not None:
        conditions.append(_keyset(f.after, older=False))
    order = (M.created_at.asc(), M.id.asc()) if ascending else (M.created_at.desc(), M.id.desc())
    limit = per_page + 1  # one more tells whether there is a next page
    # One index range per status, each at most a page long, merged.
    ranges = [
        select(M.id.label("id"), M.created_at.label("created_at"))
        .where(M.status == status, *conditions)
        .order_by(*order)
        .limit(limit)
        .subquery()
        for status in f.statuses
    ]
    ids = ranges[0] if len(ranges) == 1 else union_all(*[r.select() for r in ranges]).subquery()
    ids_order = (
        (ids.c.created_at.asc(), ids.c.id.asc())
        if ascending
        else (
            ids.c.created_at.desc(),
            ids.c.id.desc(),
        )
    )
    stmt = (
        select(M, Ticket.reference, User.full_name)
        .join(ids, ids.c.id == M.id)
        .outerjoin(Ticket, Ticket.id == M.ticket_id)
        .outerjoin(User, User.id == M.user_id)
        .options(load_only(*_LIST_COLUMNS))
        .order_by(*ids_order)
        .limit(limit)
    )
    found = db.session.execute(stmt).all()
    more = len(found) > per_page
    found = found[:per_page]
    if ascending:
        found.reverse()
    limit_at = now - timedelta(minutes=stuck_minutes())
    rows = [
        OutboxRow(message=m, reference=ref, user_name=name, stuck=is_stuck(m, limit_at))
        for m, ref, name in found
    ]
    if ascending:
        return OutboxPage(rows=rows, has_older=True, has_newer=more)
    return OutboxPage(rows=rows, has_older=more, has_newer=f.before is not None)


# The list never reads the bodies (tens of kilobytes each).
_LIST_COLUMNS = (
    M.id,
    M.kind,
    M.ticket_id,
    M.event_id,
    M.user_id,
    M.recipient,
    M.subject,
    M.status,
    M.attempts,
    M.last_error,
    M.created_at,
    M.sent_at,
    M.send_after,
    M.claimed_at,
    M.failed_at,
    M.merged_into_id,
)


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool  # at least `value`, maybe more


def counts(cap: int = COUNT_CAP) -> dict[str, Count]:
    """How many messages per status, each count stopping at `cap` (one statement)."""
    parts = []
    for status in STATUSES:
        capped = select(literal(1).label("one")).where(M.status == status).limit(cap + 1)
        parts.append(
            select(literal(str(status)).label("status"), func.count().label("n")).select_from(
                capped.subquery()
            )
        )
    found = dict(db.session.execute(union_all(*parts)).all())
    result = {}
    for status in STATUSES:
        n = int(found.get(str(status), 0))
        result[str(status)] = Count(min(n, cap), n > cap)
    return result


def failed_count(cap: int = 99) -> Count:
    """How many messages failed for good, up to `cap` (cheap: at most cap + 1 index entries)."""
    capped = select(literal(1)).where(M.status == OutboxStatus.FAILED).limit(cap + 1).subquery()
    n = db.session.scalar(select(func.count()).select_from(capped)) or 0
    return Count(min(n, cap), n > cap)


# ------------------------------------------------------------------ resending


def is_stuck(message: OutboxMessage, limit_at: datetime) -> bool:
    """Pending (and due) or sending since before `limit_at`: no worker is going to send it."""
    if message.status == OutboxStatus.PENDING:
        if message.send_after is not None and message.send_after > limit_at:
            return False
        return message.created_at <= limit_at
    if message.status == OutboxStatus.SENDING:
        return (message.claimed_at or message.created_at) <= limit_at
    return False


def resendable(message: OutboxMessage, now: datetime | None = None) -> bool:
    if message.status == OutboxStatus.FAILED:
        return True
    return is_stuck(message, (now or utcnow()) - timedelta(minutes=stuck_minutes()))


def _ids(values: Iterable) -> list[int]:
    seen: dict[int, None] = {}
    for value in values:
        number = parse_id(value)
        if number is not None:
            seen[number] = None
    return list(seen)[:RESEND_MAX]


@dataclass
class ResendResult:
    """What « Renvoyer » did: the messages put back, and where each stands right after."""

    messages: list[OutboxMessage] = field(default_factory=list)
    skipped: int = 0  # asked for, but not failed nor stuck (already sent, say)

    def _count(self, status: str) -> int:
        return sum(1 for m in self.messages if m.status == status)

    @property
    def sent(self) -> int:
        return self._count(OutboxStatus.SENT)

    @property
    def failed(self) -> int:
        return self._count(OutboxStatus.FAILED)

    @property
    def waiting(self) -> int:
        return len(self.messages) - self.sent - self.failed


def resend(message_ids: Iterable, actor: User, *, now: datetime | None = None) -> ResendResult:
    """Put failed or stuck messages back to pending, commit, and hand them to the send job.

    The attempts and the last error are kept (the history); the digest link and the retry
    timers are cleared so that the message leaves on its own, now. Only admins may.
    """
    if actor is None or actor.role != Role.ADMIN:
        raise PermissionDenied()
    ids = _ids(message_ids)
    if not ids:
        return ResendResult()
    now = now or utcnow()
    # Locked (PostgreSQL): a worker claiming one of them waits for this commit.
    rows = db.session.scalars(select(M).where(M.id.in_(ids)).order_by(M.id).with_for_update()).all()
    chosen = [m for m in rows if resendable(m, now)]
    for message in chosen:
        message.status = OutboxStatus.PENDING
        message.send_after = None
        message.failed_at = None
        message.claimed_at = None
        message.merged_into_id = None
    db.session.commit()
    if chosen:
        log.info("Outbox: %s resent %s", actor.email, [m.id for m in chosen])
        dispatch(chosen)
        # Without Redis the job already ran: read where each message stands now.
        for message in chosen:
            db.session.refresh(message)
    return ResendResult(messages=chosen, skipped=len(ids) - len(chosen))


# ------------------------------------------------------------------ a ticket's « Notifications »


@dataclass
class Notice:
    """One message about a ticket, as its page shows it."""

    id: int
    recipient: str
    name: str  # the person's or the company's name, "" when unknown
    status: str
    subject: str
    title: str  # the subject without the ticket's frame
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    merged_into_id: int | None
    event_id: int | None
    event_at: datetime | None


@dataclass
class NoticeGroup:
    """The messages one change of the ticket sent."""

    title: str
    at: datetime
    notices: list[Notice]


@dataclass
class TicketNotices:
    groups: list[NoticeGroup]
    failures: list[Notice]  # for EN staff: messages that could not be sent
    total: int
    truncated: bool  # only the latest TICKET_LIMIT are shown


def _title(subject: str, ticket: Ticket) -> str:
    """« Intervention prévue le … » from « [TECH-175] Intervention prévue le … — Résumé »."""
    title = subject
    prefix = f"[{ticket.reference}] "
    if title.startswith(prefix):
        title = title[len(prefix) :]
    suffix = f" — {ticket.summary}"
    if title.endswith(suffix) and len(title) > len(suffix):
        title = title[: -len(suffix)]
    return title


def _visibility(viewer: User, event_alias):
    """Which of the ticket's messages `viewer` may see (a SQL condition)."""
    if viewer.role in EN_STAFF:
        return true()
    public = or_(M.event_id.is_(None), event_alias.internal.is_(False))
    if viewer.role == Role.SUPPLIER and viewer.supplier_id is not None:
        reference = (
            select(func.lower(Supplier.reference_email))
            .where(Supplier.id == viewer.supplier_id)
            .scalar_subquery()
        )
        company_users = select(User.id).where(User.supplier_id == viewer.supplier_id)
        mine = or_(M.recipient == reference, M.user_id.in_(company_users))
        return and_(public, mine)
    if viewer.role == Role.TEACHER:
        mine = or_(M.user_id == viewer.id, M.recipient == viewer.email.strip().lower())
        return and_(public, mine)
    return false()


def messages_for_ticket(ticket: Ticket, viewer: User) -> TicketNotices:
    """« Who was notified of what, when » on `ticket`, as `viewer` may see it, in one statement.

    EN staff see every message; a supplier's user the messages to its company's reference address
    and to its company's users; a teacher their own. Messages about internal comments are shown
    to EN staff only.
    """
    event = aliased(TicketEvent)
    digest = aliased(M)
    stmt = (
        select(
            M.id,
            M.recipient,
            M.subject,
            M.status,
            M.created_at,
            M.sent_at,
            M.last_error,
            M.merged_into_id,
            M.event_id,
            User.full_name.label("user_name"),
            event.created_at.label("event_at"),
            digest.status.label("digest_status"),
            digest.sent_at.label("digest_sent_at"),
        )
        .outerjoin(User, User.id == M.user_id)
        .outerjoin(event, event.id == M.event_id)
        .outerjoin(digest, digest.id == M.merged_into_id)
        .where(M.ticket_id == ticket.id, _visibility(viewer, event))
        .order_by(M.created_at.desc(), M.id.desc())
        .limit(TICKET_LIMIT + 1)
    )
    found = db.session.execute(stmt).all()
    truncated = len(found) > TICKET_LIMIT
    found = found[:TICKET_LIMIT]
    names = {}
    if ticket.contact_email:
        names[ticket.contact_email.strip().lower()] = ticket.contact_name
    if ticket.supplier is not None and ticket.supplier.reference_email:
        names.setdefault(ticket.supplier.reference_email.lower(), ticket.supplier.name)
    notices = []
    for row in found:
        status, sent_at = row.status, row.sent_at
        if row.merged_into_id is not None and row.digest_status is not None:
            # Sent inside a digest: the digest's fate is the message's.
            status, sent_at = row.digest_status, row.digest_sent_at or sent_at
        notices.append(
            Notice(
                id=row.id,
                recipient=row.recipient,
                name=row.user_name or names.get(row.recipient, ""),
                status=status,
                subject=row.subject,
                title=_title(row.subject, ticket),
                created_at=row.created_at,
                sent_at=sent_at,
                last_error=row.last_error,
                merged_into_id=row.merged_into_id,
                event_id=row.event_id,
                event_at=row.event_at,
            )
        )
    groups: dict[object, NoticeGroup] = {}
    for notice in notices:  # newest first; a change's messages together
        key = ("event", notice.event_id) if notice.event_id is not None else ("id", notice.id)
        group = groups.get(key)
        if group is None:
            at = notice.event_at or notice.created_at
            groups[key] = NoticeGroup(title=notice.title, at=at, notices=[notice])
        else:
            group.notices.append(notice)
    for group in groups.values():
        group.notices.sort(key=lambda n: ((n.name or n.recipient).lower(), n.id))
    failures = []
    if viewer.role in EN_STAFF:
        failures = [n for n in notices if n.status == OutboxStatus.FAILED]
    return TicketNotices(
        groups=sorted(groups.values(), key=lambda g: g.at, reverse=True),
        failures=failures,
        total=len(notices),
        truncated=truncated,
    )
