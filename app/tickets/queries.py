"""The list « Demandes »: what the address asks for, and the query that answers it.

Plain functions, no request: `parse_list_args` reads a mapping (the query string) leniently —
a value it does not understand is replaced by its default, never an error — and `list_tickets`
turns the result into a total and one page of tickets, whose related rows (request type,
creator, person in charge, school, supplier) are joined into the page's statement. Who sees
what is `permissions.visible_to`, applied to every query here.

The search box (« La demande contient… ») matches each word typed against the reference, the
summary, the label and serial number, the school (establishment name, locality, FE or FI
number), and for EN staff the contact's name. A query that looks like a phone number ("081/23
45 67", "+32 81 23 45 67", "0032 …") also matches the contact's number (EN staff), which is
stored in one form (E.164): the digits typed, without the trunk 0 or the country code, are
searched inside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from app.auth.roles import EN_STAFF
from app.core.folding import fold_text
from app.core.input import clean_text, page_number, parse_id, parse_int
from app.directory.queries import name_order
from app.extensions import db
from app.models import (
    Establishment,
    PortalCategory,
    RequestType,
    Role,
    ServiceClock,
    Site,
    Supplier,
    Ticket,
    User,
)
from app.models.types import utcnow
from app.sla.loading import calendar_for
from app.sla.settings import warning_minutes
from app.tickets.permissions import visible_to
from app.tickets.workflow import FINAL_STATUSES, OPEN_STATUSES, Status

PER_PAGE = 25
MAX_QUERY = 120
MAX_TERMS = 8

# « Demandes ouvertes » / « Demandes fermées » / « Toutes »; EN staff may also pick one state.
SCOPES: dict[str, frozenset[Status] | None] = {
    "ouvertes": OPEN_STATUSES,
    "fermees": FINAL_STATUSES,
    "toutes": None,
}
DEFAULT_SCOPE = "ouvertes"
NO_SUPPLIER = "aucun"
# « En retard » / « Bientôt en retard »: a service-level clock still running past its due time,
# or due within RELAIS_SLA_WARNING_MINUTES business minutes (app.sla). A supplier's list looks at
# its own clocks (from its assignment), everyone else's at every running clock of the ticket.
LATE, SOON = "en-retard", "bientot"
DELAYS = (LATE, SOON)

# Sortable columns (the value in the address) and the direction a first click sorts by.
SORTS = {
    "type": "asc",
    "reference": "asc",
    "resume": "asc",
    "etat": "asc",
    "demandeur": "asc",
    "creation": "desc",
    "responsable": "asc",
}
DEFAULT_SORT = "creation"


# ------------------------------------------------------------------ what the address asks


@dataclass(frozen=True)
class ListParams:
    q: str = ""
    etat: str = DEFAULT_SCOPE
    createur: int | None = None
    type: int | None = None
    fournisseur: int | str | None = None  # a supplier id, NO_SUPPLIER, or None for all
    delai: str | None = None  # LATE, SOON, or None
    tri: str = DEFAULT_SORT
    ordre: str = SORTS[DEFAULT_SORT]
    page: int = 1

    @property
    def filtered(self) -> bool:
        """Something narrows the list beyond the default « Demandes ouvertes »."""
        return bool(
            self.q
            or self.etat != DEFAULT_SCOPE
            or self.createur
            or self.type
            or self.fournisseur
            or self.delai
        )

    def url_args(self, **changes) -> dict[str, object]:
        """The values that differ from the defaults, for url_for: a short, shareable address.

        A change of filter starts again at page 1; pass `page=` to keep or choose one."""
        params = replace(self, **changes)
        if "page" not in changes and set(changes) - {"tri", "ordre"}:
            params = replace(params, page=1)
        args: dict[str, object] = {}
        if params.q:
            args["q"] = params.q
        if params.etat != DEFAULT_SCOPE:
            args["etat"] = params.etat
        for name in ("createur", "type", "fournisseur", "delai"):
            if getattr(params, name) is not None:
                args[name] = getattr(params, name)
        if params.tri != DEFAULT_SORT or params.ordre != SORTS[params.tri]:
            args["tri"] = params.tri
            args["ordre"] = params.ordre
        if params.page > 1:
            args["page"] = params.page
        return args

    def sort_args(self, column: str) -> dict[str, object]:
        """The address of a column header: sort by it, or reverse it if it is the sort already."""
        reverse = "asc" if self.ordre == "desc" else "desc"
        order = reverse if column == self.tri else SORTS[column]
        return self.url_args(tri=column, ordre=order, page=1)

    def aria_sort(self, column: str) -> str | None:
        if column != self.tri:
            return None
        return "ascending" if self.ordre == "asc" else "descending"


def _clean_text(raw: object) -> str:
    text = clean_text(raw[: MAX_QUERY * 2], multiline=False) if isinstance(raw, str) else ""
    return " ".join(text.split())[:MAX_QUERY].strip()


def states_for(en_staff: bool) -> list[str]:
    """The « État » filter's values: the current portal's three, then each state for EN staff."""
    values = list(SCOPES)
    if en_staff:
        values += [status.value for status in Status]
    return values


def parse_list_args(args: Mapping[str, object], *, en_staff: bool) -> ListParams:
    """Read the list's query string; anything not understood falls back to its default."""
    etat = args.get("etat")
    if etat not in states_for(en_staff):
        etat = DEFAULT_SCOPE
    fournisseur: int | str | None = None
    if en_staff:
        raw = args.get("fournisseur")
        fournisseur = NO_SUPPLIER if raw == NO_SUPPLIER else parse_id(raw)
    tri = args.get("tri")
    if tri not in SORTS:
        tri = DEFAULT_SORT
    ordre = args.get("ordre")
    if ordre not in ("asc", "desc"):
        ordre = SORTS[tri]
    delai = args.get("delai")
    return ListParams(
        q=_clean_text(args.get("q")),
        etat=str(etat),
        createur=parse_id(args.get("createur")),
        type=parse_id(args.get("type")),
        fournisseur=fournisseur,
        delai=str(delai) if delai in DELAYS else None,
        tri=str(tri),
        ordre=str(ordre),
        page=page_number(args.get("page")),
    )


# ------------------------------------------------------------------ the search box

# Numbers are ASCII digits (app.core.input): « ٣ » is a word here, not the number 3.
_FASE = re.compile(r"\b(FE|FI)\s*[:#°n]*\s*([0-9]{1,6})\b", re.IGNORECASE)
_REFERENCE = re.compile(r"[A-Za-z]{2,10}-[0-9]{1,9}")
_PHONE = re.compile(r"^(\+|00)?[0-9\s./()-]+$")
_EDGES = ".,;:!?()[]{}«»\"“”'’"
MIN_PHONE_DIGITS = 6


@dataclass
class SearchTerms:
    fe: int | None = None
    fi: int | None = None
    words: list[str] = field(default_factory=list)
    phone_digits: str = ""  # the national digits typed, when the query looks like a number

    @property
    def empty(self) -> bool:
        return self.fe is None and self.fi is None and not self.words and not self.phone_digits


def phone_digits(text: str) -> str:
    """The digits to look for inside a stored E.164 number, or "" if `text` is not phone-like.

    "081/23.45.67" → "81234567"; "+32 81 23 45 67" and "0032 81…" → "81234567"; "+33 1 …"
    → "331…" (a foreign number keeps its country code, as E.164 stores it)."""
    text = text.strip()
    if not _PHONE.fullmatch(text):
        return ""
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return ""
    if text.startswith(("+", "00")):
        digits = digits[2:] if text.startswith("00") else digits
        if not digits.startswith("32"):
            return digits
        digits = digits[2:]  # "+32 (0)81 …": the trunk 0 sometimes follows the country code
    return digits[1:] if digits.startswith("0") else digits


def parse_search(text: str) -> SearchTerms:
    terms = SearchTerms(phone_digits=phone_digits(text))
    for kind, number in _FASE.findall(text):
        if kind.upper() == "FE":
            terms.fe = int(number)
        else:
            terms.fi = int(number)
    if terms.fe is not None and terms.fi is not None:
        return terms  # a school line pasted from a ticket: both numbers say which site
    rest = _FASE.sub(" ", text)
    for token in rest.split():
        token = token.strip(_EDGES)
        if token:
            terms.words.append(token)
    terms.words = terms.words[:MAX_TERMS]
    return terms


MAX_SITE_IDS = 500


def _school_matches(condition: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """Tickets at a school that matches `condition`, or None when no school does.

    The directory (a few thousand rows) is searched first and the tickets are filtered by the
    list of sites found: the branch drops out when no school matches, and PostgreSQL can combine
    it with other indexed branches (BitmapOr), which a sub-select inside an OR prevents. A word
    that matches most schools ("école") keeps the sub-select: no list of thousands of values."""
    sites = select(Site.id).join(Site.establishment).where(condition)
    site_ids = list(db.session.scalars(sites.limit(MAX_SITE_IDS + 1)))
    if not site_ids:
        return None
    if len(site_ids) > MAX_SITE_IDS:
        return Ticket.site_id.in_(sites)
    return Ticket.site_id.in_(site_ids)


def _word_matches(word: str, *, en_staff: bool) -> ColumnElement[bool]:
    """The ticket's reference, summary, label or serial holds `word` (or its school's name or
    locality does, or the contact's name for EN staff), whatever the case and accents.

    The ticket's own fields are read from their folded copies (Ticket.search_text,
    contact_search), which a trigram index serves on PostgreSQL: no row is read to be rejected."""
    upper, folded = word.upper(), fold_text(word)
    in_text = Ticket.search_text.contains(folded, autoescape=True)
    if _REFERENCE.fullmatch(word):
        # "TECH-175" names one ticket (or a label or serial written that way): the folded text
        # finds the candidates, the label and serial themselves say which hold it.
        identifiers = or_(
            Ticket.equipment_label.contains(upper, autoescape=True),
            Ticket.equipment_serial.contains(upper, autoescape=True),
        )
        return or_(Ticket.reference == upper, and_(in_text, identifiers))
    # The site's folded copy of its establishment's name and its locality (trigram-indexed).
    school = [Site.search_name.contains(folded, autoescape=True)]
    number = parse_int(word, minimum=0)
    if number is not None:
        school += [Establishment.fase == number, Site.fi == number]
    options = [in_text]
    at_school = _school_matches(or_(*school))
    if at_school is not None:
        options.append(at_school)
    if en_staff:
        options.append(Ticket.contact_search.contains(folded, autoescape=True))
    return or_(*options)


def search_condition(text: str, *, en_staff: bool) -> ColumnElement[bool] | None:
    terms = parse_search(text)
    if terms.empty:
        return None
    conditions = []
    school = []
    if terms.fe is not None:
        school.append(Establishment.fase == terms.fe)
    if terms.fi is not None:
        school.append(Site.fi == terms.fi)
    if school:
        at_school = _school_matches(and_(*school))
        conditions.append(false() if at_school is None else at_school)
    conditions += [_word_matches(word, en_staff=en_staff) for word in terms.words]
    matched = and_(*conditions) if conditions else None
    if en_staff and terms.phone_digits:
        phone = Ticket.contact_phone.contains(terms.phone_digits, autoescape=True)
        return or_(phone, matched) if matched is not None else phone
    return matched


# ------------------------------------------------------------------ the list


def soon_bound(now: datetime) -> datetime:
    """The due time below which a running clock is « bientôt en retard » (standard calendar)."""
    return calendar_for(None, school_holidays=()).add_business_minutes(now, warning_minutes())


def _running_clocks(user: User):
    query = select(ServiceClock.ticket_id).where(ServiceClock.stopped_at.is_(None))
    if user.role == Role.SUPPLIER:
        query = query.where(ServiceClock.supplier_id == user.supplier_id)
    return query


def delay_condition(user: User, delai: str, now: datetime) -> ColumnElement[bool]:
    """Tickets with a running clock past due (LATE) or due soon (SOON): one range of
    ix_service_clock_running_due (stopped_at, due_at), inside the same statement."""
    clocks = _running_clocks(user)
    if delai == LATE:
        clocks = clocks.where(ServiceClock.due_at < now)
    else:
        clocks = clocks.where(ServiceClock.due_at >= now, ServiceClock.due_at <= soon_bound(now))
    return Ticket.id.in_(clocks)


def list_conditions(
    user: User, params: ListParams, *, now: datetime | None = None
) -> list[ColumnElement[bool]]:
    en_staff = user.role in EN_STAFF
    conditions = [visible_to(user)]
    if params.etat in SCOPES:
        statuses = SCOPES[params.etat]
        if statuses is not None:
            conditions.append(Ticket.status.in_(sorted(s.value for s in statuses)))
    else:
        conditions.append(Ticket.status == params.etat)
    if params.createur:
        conditions.append(Ticket.creator_id == params.createur)
    if params.type:
        conditions.append(Ticket.request_type_id == params.type)
    if en_staff and params.fournisseur == NO_SUPPLIER:
        conditions.append(Ticket.supplier_id.is_(None))
    elif en_staff and params.fournisseur:
        conditions.append(Ticket.supplier_id == params.fournisseur)
    if params.delai:
        conditions.append(delay_condition(user, params.delai, now or utcnow()))
    if params.q:
        found = search_condition(params.q, en_staff=en_staff)
        if found is not None:
            conditions.append(found)
    return conditions


# The group of the values missing from a ranked sort's order (a creator who left EN staff):
# after the known ones in ascending order, before them in descending order.
OTHERS = object()
_UNRANKED = 1 << 30


@dataclass
class RankedSort:
    """A sort by a column of few values shown in a fixed order: request types and EN staff by
    name, categories by key, states in the workflow's order.

    `ranks` is a small sub-select (value, position) that the statements join, so the order costs
    no statement of its own. Ordering every ticket by its value's position is a sort of all the
    matching rows: instead the plain list counts the tickets per value (one GROUP BY, which is
    also the total), finds which groups the page asked for falls in, and reads just those rows,
    each group along its index (`ix_ticket_<column>_created`, or the reference's
    `(category_id, number)`). A search's matches (which it does not count past a bound) are
    sorted by the position in one ORDER BY."""

    column: object
    ranks: object  # a subquery with the columns value and position
    descending: bool
    within: list = field(default_factory=list)  # the order inside a group, before the tie-breaks

    def position(self):
        return func.coalesce(self.ranks.c.position, _UNRANKED)

    def keys(self) -> list:
        """The same order as one ORDER BY (for a search's matches; join `ranks` first)."""
        position = self.position().desc() if self.descending else self.position().asc()
        # Tickets without anyone in charge come last, whichever the direction.
        return [self.column.is_(None), position]

    def join(self):
        return (self.ranks, self.ranks.c.value == self.column)

    def counts(self, conditions) -> list[tuple[object, int | None, int]]:
        """(value, position or None, tickets) for each value among the matching tickets.

        Counted first, then joined to the positions: a few rows to join rather than every
        ticket (11 ms instead of 31 for 100,000 tickets on PostgreSQL)."""
        grouped = (
            select(self.column.label("value"), func.count().label("tickets"))
            .where(*conditions)
            .group_by(self.column)
            .subquery("grouped")
        )
        query = select(grouped.c.value, self.ranks.c.position, grouped.c.tickets).outerjoin(
            self.ranks, self.ranks.c.value == grouped.c.value
        )
        return [tuple(row) for row in db.session.execute(query)]

    def groups(self, counts) -> list[tuple[object, int]]:
        """The groups that have tickets, in the order shown, with their sizes."""
        ranked = sorted(
            ((position, value, n) for value, position, n in counts if position is not None),
            reverse=self.descending,
        )
        known = [(value, n) for _position, value, n in ranked]
        rest = sum(n for value, position, n in counts if value is not None and position is None)
        others = [(OTHERS, rest)] if rest else []
        groups = [*others, *known] if self.descending else [*known, *others]
        unset = sum(n for value, _position, n in counts if value is None)
        return [*groups, (None, unset)] if unset else groups

    def condition(self, group, known: list) -> ColumnElement[bool]:
        if group is None:
            return self.column.is_(None)
        if group is OTHERS:
            return and_(self.column.is_not(None), self.column.not_in(known or [None]))
        return self.column == group


def _ranks(query, value, order: list):
    return query.add_columns(
        value.label("value"), func.row_number().over(order_by=order).label("position")
    ).subquery("ranks")


def _ranked_sort(params: ListParams) -> RankedSort | None:
    descending = params.ordre == "desc"
    if params.tri == "type":
        # By the name the reader sees (French or German: app.models.localized).
        order = [name_order(RequestType.label_column()), RequestType.id]
        ranks = _ranks(select(), RequestType.id, order)
        return RankedSort(Ticket.request_type_id, ranks, descending)
    if params.tri == "reference":
        ranks = _ranks(select(), PortalCategory.id, [PortalCategory.key])
        number = Ticket.number.desc() if descending else Ticket.number.asc()
        return RankedSort(Ticket.category_id, ranks, descending, within=[number])
    if params.tri == "etat":
        # The workflow's order: constants, no table to read.
        states = [
            select(literal(status.value).label("value"), literal(n).label("position"))
            for n, status in enumerate(Status, 1)
        ]
        return RankedSort(Ticket.status, union_all(*states).subquery("ranks"), descending)
    if params.tri in ("demandeur", "responsable"):
        # Tickets are opened by, and given to, EN staff.
        staff = select().where(User.role.in_(sorted(EN_STAFF)))
        ranks = _ranks(staff, User.id, [name_order(User.full_name), User.id])
        column = Ticket.creator_id if params.tri == "demandeur" else Ticket.assignee_id
        return RankedSort(column, ranks, descending)
    return None


# Newest first among equals, and the id last: a stable order across pages.
_TIE_BREAKS = (Ticket.created_at.desc(), Ticket.id.desc())


def _sort_keys(params: ListParams, ranked: RankedSort | None) -> list:
    descending = params.ordre == "desc"

    def direction(column):
        return column.desc() if descending else column.asc()

    if ranked is not None:
        keys = [*ranked.keys(), *ranked.within]
    elif params.tri == "resume":
        # The folded summary (École among the E), served by ix_ticket_summary_sort.
        keys = [direction(Ticket.summary_sort)]
    else:
        keys = [direction(Ticket.created_at)]
    return [*keys, *_TIE_BREAKS]


@dataclass
class TicketPage:
    """One page of the list, with what the pagination needs (Flask-SQLAlchemy's names)."""

    items: list[Ticket]
    total: int
    page: int
    per_page: int
    # A search stops counting past a bound: `total` is then the bound and there are more.
    more: bool = False
    # The service-level state of the rows shown: ticket id → LATE, SOON or "pause" (no entry:
    # on time, or no clock running).
    delays: dict[int, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more or self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page_query(conditions, order, page: int, per_page: int, *, join=None, outerjoin=None):
    query = select(Ticket)
    if join is not None:
        query = query.join(*join)
    if outerjoin is not None:
        query = query.outerjoin(*outerjoin)
    return (
        query.where(*conditions)
        # Many-to-one each: joined into the page's statement, one row per ticket still.
        .options(
            joinedload(Ticket.request_type),
            joinedload(Ticket.creator),
            joinedload(Ticket.assignee),
            joinedload(Ticket.site).joinedload(Site.establishment),
            joinedload(Ticket.supplier),
        )
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


def _count(conditions) -> int:
    # count(*), not count(id): PostgreSQL can then answer from an index alone (index-only scan
    # of ix_ticket_supplier_created for a supplier's 20,000 tickets: 2 ms instead of 35).
    return db.session.scalar(select(func.count()).select_from(Ticket).where(*conditions)) or 0


# A search counts its matches up to this many (« plus de 1 000 demandes »), or up to the page
# asked for: a word found in half the tickets does not make every row be counted.
SEARCH_COUNT_BOUND = 1000


def _bounded_count(conditions, bound: int) -> tuple[int, bool]:
    """The number of matching tickets, or (`bound`, True) when there are more than `bound`."""
    found = select(Ticket.id).where(*conditions).limit(bound + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(found)) or 0
    return (bound, True) if total > bound else (total, False)


PAUSED = "pause"


def delay_states(user: User, tickets: list[Ticket], now: datetime) -> dict[int, str]:
    """The badge of each row (one grouped query on the page's ids; EN staff and suppliers)."""
    if not tickets or user.role not in (*EN_STAFF, Role.SUPPLIER):
        return {}
    ids = [t.id for t in tickets if not t.is_final]
    if not ids:
        return {}
    rows = db.session.execute(
        _running_clocks(user)
        .add_columns(func.min(ServiceClock.due_at), func.count(), func.count(ServiceClock.due_at))
        .where(ServiceClock.ticket_id.in_(ids))
        .group_by(ServiceClock.ticket_id)
    ).all()
    soon = soon_bound(now)
    states = {}
    for ticket_id, due, running, with_due in rows:
        if running > with_due:
            states[ticket_id] = PAUSED
        elif due is not None and due < now:
            states[ticket_id] = LATE
        elif due is not None and due <= soon:
            states[ticket_id] = SOON
    return states


def _ranked_page_query(conditions, ranked: RankedSort, counts: list, page: int, per_page: int):
    """The page's tickets, read group by group (one UNION ALL, each part along an index)."""
    known = [value for value, position, _n in counts if position is not None]
    skip, wanted, parts = (page - 1) * per_page, per_page, []
    for group, size in ranked.groups(counts):
        if skip >= size:
            skip -= size
            continue
        taken = min(wanted, size - skip)
        part = (
            select(Ticket.id)
            .where(*conditions, ranked.condition(group, known))
            .order_by(*ranked.within, *_TIE_BREAKS)
            .limit(taken)
            .offset(skip)
            .subquery()
        )
        parts.append(select(part.c.id, literal(len(parts)).label("part")))
        wanted, skip = wanted - taken, 0
        if not wanted:
            break
    ids = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("page_ids")
    order = [ids.c.part, *ranked.within, *_TIE_BREAKS]
    return _page_query([], order, 1, per_page, join=(ids, ids.c.id == Ticket.id))


def list_tickets(
    user: User, params: ListParams, *, per_page: int = PER_PAGE, now: datetime | None = None
) -> TicketPage:
    """The page of tickets `params` asks for, among those `user` may see.

    Two statements for the list itself (a COUNT, then the page, its related rows joined), then
    one for the service-level badges of the rows shown. A search's COUNT stops past
    SEARCH_COUNT_BOUND matches (or the page asked for): the page then says « plus de … ». A sort
    by type, reference, state or person counts per group instead (RankedSort). A page past the
    end shows the last one.
    """
    now = now or utcnow()
    conditions = list_conditions(user, params, now=now)
    ranked = _ranked_sort(params)
    more, counts = False, None
    if params.q:
        bound = max(SEARCH_COUNT_BOUND, params.page * per_page)
        total, more = _bounded_count(conditions, bound)
    elif ranked is not None:
        counts = ranked.counts(conditions)
        total = sum(n for _value, _position, n in counts)
    else:
        total = _count(conditions)
    page = params.page if more else min(params.page, max(1, math.ceil(total / per_page)))
    if not total:
        query = None
    elif counts is not None:
        query = _ranked_page_query(conditions, ranked, counts, page, per_page)
    else:
        ranks = ranked.join() if ranked is not None else None
        order = _sort_keys(params, ranked)
        query = _page_query(conditions, order, page, per_page, outerjoin=ranks)
    items = list(db.session.scalars(query)) if query is not None else []
    delays = delay_states(user, items, now)
    return TicketPage(items, total, page, per_page, more=more, delays=delays)


# ------------------------------------------------------------------ the filters' choices


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def _choices(kind: str, value, label, extra, order: list):
    """One part of the filters' statement: (kind, value, label, extra, position in its list)."""
    return select(
        literal(kind).label("kind"),
        value.label("value"),
        label.label("label"),
        extra.label("extra"),
        func.row_number().over(order_by=order).label("position"),
    )


def _creators(user: User):
    """The people who opened a ticket this user can see. Tickets are opened by EN staff: each
    staff member is one EXISTS probe on ix_ticket_creator_created, rather than a DISTINCT over
    every ticket the user sees."""
    opened = (
        select(Ticket.id)
        .where(Ticket.creator_id == User.id, visible_to(user))
        .correlate(User)
        .exists()
    )
    order = [name_order(User.full_name), User.id]
    return _choices("creator", User.id, User.full_name, literal(""), order).where(
        User.role.in_(sorted(EN_STAFF)), opened
    )


def _request_types():
    # Named and sorted in the reader's language (app.models.localized).
    type_name, category_name = RequestType.label_column(), PortalCategory.label_column()
    order = [PortalCategory.position, category_name, PortalCategory.id, type_name]
    return _choices("type", RequestType.id, type_name, category_name, order).join(
        RequestType.category
    )


def _suppliers():
    return _choices("supplier", Supplier.id, Supplier.name, literal(""), [Supplier.name])


def _type_choices(rows) -> list[Choice]:
    names = [row.label for row in rows]
    return [
        # The category's name only where two categories have a type of the same name.
        Choice(
            str(row.value),
            row.label if names.count(row.label) == 1 else f"{row.label} ({row.extra})",
        )
        for row in rows
    ]


@dataclass
class FilterOptions:
    states: list[str]
    creators: list[Choice]
    request_types: list[Choice]
    suppliers: list[Choice] | None  # None: not offered (suppliers and teachers)


def filter_options(user: User) -> FilterOptions:
    """The filters' choices, read in one statement (a UNION ALL of the three lists)."""
    en_staff = user.role in EN_STAFF
    parts = [_creators(user), _request_types()] + ([_suppliers()] if en_staff else [])
    lists = union_all(*parts).subquery("choices")
    rows = db.session.execute(select(lists).order_by(lists.c.kind, lists.c.position)).all()
    by_kind: dict[str, list] = {"creator": [], "type": [], "supplier": []}
    for row in rows:
        by_kind[row.kind].append(row)
    return FilterOptions(
        states=states_for(en_staff),
        creators=[Choice(str(row.value), row.label) for row in by_kind["creator"]],
        request_types=_type_choices(by_kind["type"]),
        suppliers=[Choice(str(row.value), row.label) for row in by_kind["supplier"]]
        if en_staff
        else None,
    )
